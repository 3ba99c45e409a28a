//! A checked, compiled set of packs and policies, ready to evaluate.

use std::sync::Arc;

use serde::Serialize;
use winspect_inventory::{Date, Inventory};

use crate::advisory::{AdvisoryIndex, InventoryPaths};
use crate::ir::{self, Node};
use crate::schema::Schema;
use crate::source::{Location, SourceMap, Span};
use crate::value::{PreparedInventory, Severity};

#[derive(Debug, Clone, Serialize)]
pub struct PackInfo {
    pub name: String,
    pub version: String,
    /// Where the pack was loaded from.
    pub origin: String,
}

#[derive(Debug, Clone)]
pub(crate) struct GlobalLet {
    pub node: Node,
    pub slots: u32,
}

#[derive(Debug, Clone)]
pub struct TestExpectation {
    pub rule: String,
    pub message: Option<String>,
}

#[derive(Debug, Clone)]
pub struct TestCase {
    pub pack: String,
    pub(crate) pack_index: usize,
    pub name: String,
    pub location: Location,
    pub inventory: Inventory,
    pub now: Option<Date>,
    pub expectations: Vec<TestExpectation>,
}

/// Rule packs and policies, checked and compiled.
#[derive(Debug)]
pub struct Program {
    pub(crate) schema: Arc<Schema>,
    pub(crate) packs: Vec<PackInfo>,
    pub(crate) globals: Vec<GlobalLet>,
    pub(crate) rules: Vec<ir::Rule>,
    pub(crate) advisories: Vec<ir::Advisory>,
    pub(crate) index: AdvisoryIndex,
    pub(crate) paths: Option<InventoryPaths>,
    pub(crate) policies: Vec<ir::Policy>,
    pub(crate) tests: Vec<TestCase>,
    pub(crate) registry_requests: Vec<(String, Option<String>)>,
    /// File texts by file id, for `--explain` snippets.
    pub(crate) texts: Vec<Arc<str>>,
    pub(crate) plugins: Vec<Arc<dyn crate::plugin::PluginHandle>>,
}

/// Whether a finding comes from a rule or an advisory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingKind {
    Rule,
    Advisory,
    /// A check that could not run (a plugin that timed out, trapped or
    /// returned garbage): the image was not judged on it.
    Error,
}

impl FindingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Rule => "rule",
            FindingKind::Advisory => "advisory",
            FindingKind::Error => "error",
        }
    }
}

/// A fact a finding is about: where in the inventory, and which layer put it there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fact {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Remediation {
    /// `text`, `powershell`, `reg`, `dism` or `dockerfile`.
    pub kind: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub rule: String,
    pub kind: FindingKind,
    pub pack: String,
    pub severity: Severity,
    pub title: String,
    pub message: String,
    pub facts: Vec<Fact>,
    pub remediation: Vec<Remediation>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cvss: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cvss_vector: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<Date>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub exploited: bool,
    /// Where the rule or advisory is defined.
    pub location: Location,
}

/// How much `--explain` to record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Explain {
    #[default]
    None,
    /// For each rule that fired.
    Fired,
    /// For every rule.
    All,
}

#[derive(Debug, Clone)]
pub struct EvalOptions {
    /// The date ages and `now()` are measured from.
    pub now: Date,
    pub explain: Explain,
    /// Evaluate only these packs (a policy's `uses`); all when `None`.
    pub packs: Option<Vec<String>>,
}

/// Why a rule fired or did not: the conditions and the values compared.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub rule: String,
    pub fired: usize,
    pub lines: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Evaluation {
    pub findings: Vec<Finding>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub explanations: Vec<Explanation>,
}

impl Program {
    pub(crate) fn new(schema: Arc<Schema>, sources: &SourceMap) -> Program {
        Program {
            schema,
            packs: Vec::new(),
            globals: Vec::new(),
            rules: Vec::new(),
            advisories: Vec::new(),
            index: AdvisoryIndex::default(),
            paths: None,
            policies: Vec::new(),
            tests: Vec::new(),
            registry_requests: Vec::new(),
            texts: sources.files().map(|(_, f)| f.text.clone()).collect(),
            plugins: Vec::new(),
        }
    }

    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    pub fn packs(&self) -> &[PackInfo] {
        &self.packs
    }

    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    pub fn advisory_count(&self) -> usize {
        self.advisories.len()
    }

    pub fn tests(&self) -> &[TestCase] {
        &self.tests
    }

    pub fn policy_names(&self) -> impl Iterator<Item = &str> {
        self.policies.iter().map(|p| p.name.as_str())
    }

    /// The packs a policy judges (empty: all).
    pub fn policy_uses(&self, policy: &str) -> Option<&[String]> {
        self.policies
            .iter()
            .find(|p| p.name == policy)
            .map(|p| p.uses.as_slice())
    }

    /// Registry keys and values the rules read, as (key path, value name),
    /// so an image reader can extract exactly those.
    pub fn registry_requests(&self) -> &[(String, Option<String>)] {
        &self.registry_requests
    }

    /// Turns an inventory into values in this program's layout; do it once
    /// per inventory and evaluate as often as needed.
    pub fn prepare(&self, inventory: &Inventory) -> PreparedInventory {
        PreparedInventory::new(inventory, &self.schema, !self.plugins.is_empty())
    }

    pub(crate) fn snippet(&self, span: Span) -> &str {
        self.texts
            .get(span.file.0 as usize)
            .and_then(|t| t.get(span.range()))
            .unwrap_or("")
    }
}
