//! Rule tests: each pack carries inventories with exactly the findings they
//! must produce. A test passes when every expected finding appears and
//! nothing else does.

use serde::Serialize;
use winspect_inventory::Date;

use crate::program::{EvalOptions, Explain, Program};
use crate::source::Location;

#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    pub pack: String,
    pub name: String,
    pub location: Location,
    pub passed: bool,
    /// Expected findings that did not appear, as `RULE "message"`.
    pub missing: Vec<String>,
    /// Findings that appeared but were not expected.
    pub unexpected: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TestReport {
    pub cases: Vec<CaseResult>,
    /// Rules that no test expects to fire, as (pack, rule id).
    pub untested: Vec<(String, String)>,
}

impl TestReport {
    pub fn passed(&self) -> bool {
        !self.cases.is_empty() && self.cases.iter().all(|c| c.passed)
    }
}

impl Program {
    /// Runs every test of every pack. `today` is used by tests without `now`.
    pub fn run_tests(&self, today: Date) -> TestReport {
        let mut cases = Vec::with_capacity(self.tests.len());
        for test in &self.tests {
            let prepared = self.prepare(&test.inventory);
            let pack = self
                .packs
                .get(test.pack_index)
                .map(|p| p.name.clone())
                .unwrap_or_default();
            let options = EvalOptions {
                now: test.now.unwrap_or(today),
                explain: Explain::None,
                packs: Some(vec![pack]),
            };
            let evaluation = self.evaluate(&prepared, &options);
            let mut unmatched: Vec<(String, String)> = evaluation
                .findings
                .iter()
                .map(|f| (f.rule.clone(), f.message.clone()))
                .collect();
            let mut missing = Vec::new();
            for e in &test.expectations {
                let hit = unmatched.iter().position(|(rule, message)| {
                    *rule == e.rule && e.message.as_ref().is_none_or(|m| m == message)
                });
                match hit {
                    Some(i) => {
                        unmatched.remove(i);
                    }
                    None => missing.push(match &e.message {
                        Some(m) => format!("{} {m:?}", e.rule),
                        None => e.rule.clone(),
                    }),
                }
            }
            let unexpected: Vec<String> = unmatched
                .into_iter()
                .map(|(r, m)| format!("{r} {m:?}"))
                .collect();
            cases.push(CaseResult {
                pack: test.pack.clone(),
                name: test.name.clone(),
                location: test.location.clone(),
                passed: missing.is_empty() && unexpected.is_empty(),
                missing,
                unexpected,
            });
        }
        let untested = self
            .rules
            .iter()
            .filter(|r| {
                !self.tests.iter().any(|t| {
                    t.pack == r.meta.pack && t.expectations.iter().any(|e| e.rule == r.meta.id)
                })
            })
            .map(|r| (r.meta.pack.clone(), r.meta.id.clone()))
            .collect();
        TestReport { cases, untested }
    }
}
