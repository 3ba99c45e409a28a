//! The checked, resolved form of rules: what the evaluator runs.
//!
//! Names are gone: variables are frame slots, fields are indexes into record
//! layouts, regexes and globs are compiled, constant sub-expressions are
//! folded. Spans stay, for `--explain`.

use std::sync::Arc;

use globset::GlobMatcher;
use regex::Regex;
use winspect_inventory::{Date, VersionKind};

use crate::source::Span;
use crate::syntax::ast::{Quantifier, VerdictKind};
use crate::value::{Severity, Value};

#[derive(Debug, Clone)]
pub struct Node {
    pub kind: NodeKind,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextOp {
    Contains,
    StartsWith,
    EndsWith,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    Lower,
    Upper,
    Trim,
    Len,
    Exists,
    Default,
    Registry,
    RegistryKeyExists,
    File,
    FileExists,
    ParseVersion(VersionKind),
    Now,
    Join,
    Env,
    Label,
}

#[derive(Debug, Clone)]
pub enum NodeKind {
    Const(Value),
    /// A slot of the current rule's frame (`let` and loop variables).
    Local(u32),
    /// A pack-level `let`, evaluated once per evaluation.
    Global(u32),
    /// The inventory root record.
    Root,
    /// The finding a policy is judging.
    Finding,
    Field(Box<Node>, u32),
    Not(Box<Node>),
    Neg(Box<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
    Compare(CmpOp, Box<Node>, Box<Node>),
    Arith(ArithOp, Box<Node>, Box<Node>),
    /// `item in list` (negated for `not in`).
    In {
        negate: bool,
        item: Box<Node>,
        list: Box<Node>,
    },
    Matches(Box<Node>, Arc<Regex>),
    Glob(Box<Node>, Arc<GlobMatcher>),
    Text(TextOp, Box<Node>, Box<Node>),
    Quantified {
        quantifier: Quantifier,
        slot: Option<u32>,
        collection: Box<Node>,
        filter: Option<Box<Node>>,
    },
    List(Vec<Node>),
    Call(Builtin, Vec<Node>),
    /// A plugin function: the plugin's index in the program, the function.
    PluginCall {
        plugin: u32,
        function: Arc<str>,
        args: Vec<Node>,
    },
}

impl Node {
    pub fn constant(value: Value, span: Span) -> Node {
        Node {
            kind: NodeKind::Const(value),
            span,
        }
    }

    pub fn as_const(&self) -> Option<&Value> {
        match &self.kind {
            NodeKind::Const(v) => Some(v),
            _ => None,
        }
    }
}

/// A report or fix text with its interpolations.
#[derive(Debug, Clone, Default)]
pub struct Message {
    pub parts: Vec<Part>,
}

#[derive(Debug, Clone)]
pub enum Part {
    Literal(String),
    Expr(Node),
}

#[derive(Debug, Clone)]
pub struct Action {
    pub report: Message,
    pub fixes: Vec<(String, Message)>,
}

#[derive(Debug, Clone)]
pub struct Body {
    pub lets: Vec<(u32, Node)>,
    pub kind: BodyKind,
}

#[derive(Debug, Clone)]
pub enum BodyKind {
    Action(Action),
    /// A plugin's check, by the plugin's index in the program.
    Check(u32),
    Blocks(Vec<Block>),
}

#[derive(Debug, Clone)]
pub enum Block {
    For {
        slot: u32,
        var: String,
        collection: Node,
        filter: Option<Node>,
        body: Body,
    },
    When {
        condition: Node,
        /// Records the condition reads (`windows`, a `registry(...)` value):
        /// the facts a finding from this block is about.
        facts: Vec<Node>,
        body: Body,
    },
}

/// What rules and advisories share: the metadata a finding reports.
#[derive(Debug, Clone)]
pub struct Meta {
    pub id: String,
    pub pack: String,
    pub title: String,
    pub description: String,
    pub severity: Severity,
    pub tags: Vec<String>,
    pub controls: Vec<String>,
    pub references: Vec<String>,
    pub location: crate::source::Location,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub meta: Meta,
    /// Frame size: how many local slots the body uses.
    pub slots: u32,
    pub body: Body,
}

#[derive(Debug, Clone)]
pub struct Advisory {
    pub meta: Meta,
    pub cvss: Option<f64>,
    pub cvss_vector: Option<String>,
    pub published: Option<Date>,
    pub exploited: bool,
    pub fixes: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct Verdict {
    pub kind: VerdictKind,
    pub condition: Node,
    pub because: Option<String>,
    pub slots: u32,
}

#[derive(Debug, Clone)]
pub struct Waiver {
    pub id: String,
    pub until: Date,
    pub because: String,
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub name: String,
    /// The packs the policy judges; all packs when empty.
    pub uses: Vec<String>,
    pub verdicts: Vec<Verdict>,
    pub waivers: Vec<Waiver>,
}
