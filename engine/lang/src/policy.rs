//! Policies: what each finding means for the pipeline (deny, warn, info),
//! and the waivers that set findings aside until a date.

use std::sync::Arc;

use serde::Serialize;
use winspect_inventory::Date;

use crate::eval::Frame;
use crate::program::{Finding, Program};
use crate::syntax::ast::VerdictKind;
use crate::value::{Origin, PreparedInventory, Record, Value};

/// What a policy decided about one finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    /// The strongest verdict whose condition held; `None` if none did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<VerdictKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub because: Option<String>,
    /// A waiver in force for this finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waived: Option<WaiverUse>,
    /// False when the finding's pack is not one the policy uses.
    pub in_scope: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaiverUse {
    pub until: Date,
    pub because: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExpiredWaiver {
    pub id: String,
    pub until: Date,
    pub because: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub policy: String,
    /// One per finding, in the order of the findings.
    pub outcomes: Vec<Outcome>,
    /// True when any finding in scope is denied and not waived.
    pub denied: bool,
    /// Waivers whose date has passed: they no longer apply.
    pub expired_waivers: Vec<ExpiredWaiver>,
}

#[derive(Debug, thiserror::Error)]
#[error("no policy is named `{name}`{}", if .known.is_empty() { String::new() } else { format!("; the policies are {}", .known.join(", ")) })]
pub struct UnknownPolicy {
    pub name: String,
    pub known: Vec<String>,
}

impl Program {
    /// Judges findings with the named policy at date `now`.
    pub fn decide(
        &self,
        policy: &str,
        findings: &[Finding],
        inventory: Option<&PreparedInventory>,
        now: Date,
    ) -> Result<Decision, UnknownPolicy> {
        let Some(p) = self.policies.iter().find(|p| p.name == policy) else {
            return Err(UnknownPolicy {
                name: policy.to_owned(),
                known: self
                    .policies
                    .iter()
                    .map(|p| format!("`{}`", p.name))
                    .collect(),
            });
        };
        let expired_waivers = p
            .waivers
            .iter()
            .filter(|w| w.until < now)
            .map(|w| ExpiredWaiver {
                id: w.id.clone(),
                until: w.until,
                because: w.because.clone(),
            })
            .collect();
        let mut outcomes = Vec::with_capacity(findings.len());
        let mut denied = false;
        for finding in findings {
            let in_scope = p.uses.is_empty() || p.uses.contains(&finding.pack);
            if !in_scope {
                outcomes.push(Outcome {
                    verdict: None,
                    because: None,
                    waived: None,
                    in_scope,
                });
                continue;
            }
            let value = self.finding_value(finding, now);
            let mut verdict: Option<(VerdictKind, Option<String>)> = None;
            for v in &p.verdicts {
                if verdict.as_ref().is_some_and(|(k, _)| *k >= v.kind) {
                    continue;
                }
                let mut frame = Frame::for_policy(self, inventory, &value, now, v.slots);
                if frame.eval(&v.condition).truthy() {
                    verdict = Some((v.kind, v.because.clone()));
                }
            }
            let waived = p
                .waivers
                .iter()
                .find(|w| w.id == finding.rule && w.until >= now)
                .map(|w| WaiverUse {
                    until: w.until,
                    because: w.because.clone(),
                });
            if waived.is_none()
                && verdict
                    .as_ref()
                    .is_some_and(|(k, _)| *k == VerdictKind::Deny)
            {
                denied = true;
            }
            let (verdict, because) = match verdict {
                Some((k, b)) => (Some(k), b),
                None => (None, None),
            };
            outcomes.push(Outcome {
                verdict,
                because,
                waived,
                in_scope,
            });
        }
        Ok(Decision {
            policy: p.name.clone(),
            outcomes,
            denied,
            expired_waivers,
        })
    }

    /// A finding as the `finding` record policies read; the field order is
    /// that of `schema::finding_record`.
    fn finding_value(&self, f: &Finding, now: Date) -> Value {
        let strings =
            |v: &[String]| Value::List(v.iter().map(|s| Value::str(s)).collect::<Vec<_>>().into());
        let age = f
            .published
            .map(|p| Value::Duration(p.days_until(now).saturating_mul(86_400)))
            .unwrap_or_default();
        let fields = vec![
            Value::str(&f.rule),
            Value::str(f.kind.as_str()),
            Value::str(&f.pack),
            Value::Severity(f.severity),
            Value::str(&f.title),
            Value::str(&f.message),
            strings(&f.tags),
            strings(&f.controls),
            f.cvss.map(Value::Float).unwrap_or_default(),
            Value::Bool(f.exploited),
            f.published.map(Value::Date).unwrap_or_default(),
            age,
        ];
        Value::Record(Arc::new(Record {
            ty: self.schema.finding,
            origin: Origin {
                list: Arc::from("finding"),
                index: None,
            },
            fields: fields.into(),
        }))
    }
}
