//! Reports of an evaluation: a table for people, JSON for machines.

use serde::Serialize;
use winspect_inventory::Date;
use winspect_lang::{Decision, Evaluation, Finding, Outcome, PackInfo, Severity, VerdictKind};

/// The JSON report `winspect eval --format json` prints.
#[derive(Debug, Serialize)]
pub struct JsonReport<'a> {
    pub winspect: &'static str,
    pub language: &'static str,
    pub inventory: String,
    pub evaluated_at: Date,
    /// True when the inventory itself says it is incomplete.
    pub partial: bool,
    pub packs: &'a [PackInfo],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<&'a str>,
    /// `pass` or `deny`.
    pub decision: &'static str,
    pub summary: Summary,
    pub findings: Vec<JsonFinding<'a>>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub expired_waivers: &'a [winspect_lang::ExpiredWaiver],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub explanations: &'a [winspect_lang::Explanation],
}

#[derive(Debug, Serialize)]
pub struct JsonFinding<'a> {
    #[serde(flatten)]
    pub finding: &'a Finding,
    #[serde(flatten)]
    pub outcome: Option<&'a Outcome>,
}

#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub findings: usize,
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
    pub denied: usize,
    pub warned: usize,
    pub waived: usize,
}

impl Summary {
    pub fn new(findings: &[Finding], decision: Option<&Decision>) -> Summary {
        let mut s = Summary {
            findings: findings.len(),
            ..Summary::default()
        };
        for f in findings {
            match f.severity {
                Severity::Critical => s.critical += 1,
                Severity::High => s.high += 1,
                Severity::Medium => s.medium += 1,
                Severity::Low => s.low += 1,
                Severity::Info => s.info += 1,
            }
        }
        for o in decision.map(|d| d.outcomes.as_slice()).unwrap_or(&[]) {
            if o.waived.is_some() {
                s.waived += 1;
            } else if o.verdict == Some(VerdictKind::Deny) {
                s.denied += 1;
            } else if o.verdict == Some(VerdictKind::Warn) {
                s.warned += 1;
            }
        }
        s
    }
}

fn verdict_word(outcome: Option<&Outcome>) -> &'static str {
    match outcome {
        Some(o) if o.waived.is_some() => "waived",
        Some(o) => o.verdict.map(|v| v.as_str()).unwrap_or("-"),
        None => "-",
    }
}

fn short_layer(layer: &str) -> &str {
    let hex = layer.strip_prefix("sha256:").unwrap_or(layer);
    hex.get(..12).unwrap_or(hex)
}

/// The table people read: one row per finding, its facts and fixes under it.
pub fn table(evaluation: &Evaluation, decision: Option<&Decision>, partial: bool) -> String {
    let findings = &evaluation.findings;
    let mut out = String::new();
    if partial {
        out.push_str("note: the inventory is partial; findings may be missing\n\n");
    }
    if findings.is_empty() {
        out.push_str("no findings\n");
    } else {
        let rule_width = findings
            .iter()
            .map(|f| f.rule.len())
            .max()
            .unwrap_or(4)
            .max(4);
        out.push_str(&format!(
            "{:<8}  {:<rule_width$}  {:<7}  MESSAGE\n",
            "SEVERITY", "RULE", "VERDICT"
        ));
        let indent = " ".repeat(8 + 2 + rule_width + 2 + 7 + 2);
        for (i, f) in findings.iter().enumerate() {
            let outcome = decision.and_then(|d| d.outcomes.get(i));
            out.push_str(&format!(
                "{:<8}  {:<rule_width$}  {:<7}  {}\n",
                f.severity.name(),
                f.rule,
                verdict_word(outcome),
                f.message
            ));
            for fact in &f.facts {
                match &fact.layer {
                    Some(layer) => out.push_str(&format!(
                        "{indent}at {} (layer {})\n",
                        fact.path,
                        short_layer(layer)
                    )),
                    None => out.push_str(&format!("{indent}at {}\n", fact.path)),
                }
            }
            if let Some(w) = outcome.and_then(|o| o.waived.as_ref()) {
                out.push_str(&format!(
                    "{indent}waived until {}: {}\n",
                    w.until, w.because
                ));
            }
            for fix in &f.remediation {
                out.push_str(&format!("{indent}fix ({}): {}\n", fix.kind, fix.text));
            }
        }
    }
    let s = Summary::new(findings, decision);
    out.push_str(&format!(
        "\n{} finding{}: {} critical, {} high, {} medium, {} low, {} info\n",
        s.findings,
        if s.findings == 1 { "" } else { "s" },
        s.critical,
        s.high,
        s.medium,
        s.low,
        s.info
    ));
    if let Some(d) = decision {
        for w in &d.expired_waivers {
            out.push_str(&format!(
                "warning: the waiver of {} expired on {}; it no longer applies\n",
                w.id, w.until
            ));
        }
        out.push_str(&format!(
            "policy {}: {} ({} denied, {} warned, {} waived)\n",
            d.policy,
            if d.denied { "DENIED" } else { "passed" },
            s.denied,
            s.warned,
            s.waived
        ));
    }
    if !evaluation.explanations.is_empty() {
        out.push_str("\nexplanation:\n");
        for e in &evaluation.explanations {
            out.push_str(&format!(
                "{} fired {} time{}\n",
                e.rule,
                e.fired,
                if e.fired == 1 { "" } else { "s" }
            ));
            for line in &e.lines {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}
