//! The syntax tree: what a file says, with a span on every node.
//!
//! Literals keep their span so the formatter can print them exactly as
//! written (escapes, raw strings, number forms); the checker reads the
//! decoded values.

use winspect_inventory::Date;

use crate::source::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A string literal, decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    pub value: String,
    pub span: Span,
}

/// A message with `{expression}` interpolations (report and fix texts).
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub text: Text,
    pub parts: Vec<MessagePart>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum MessagePart {
    Literal(String),
    Expr(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Pack(PackDecl),
    Let(LetDecl),
    Plugin(PluginDecl),
    Rule(RuleDecl),
    Advisory(AdvisoryDecl),
    Policy(PolicyDecl),
    Test(TestDecl),
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Pack(x) => x.span,
            Item::Let(x) => x.span,
            Item::Plugin(x) => x.span,
            Item::Rule(x) => x.span,
            Item::Advisory(x) => x.span,
            Item::Policy(x) => x.span,
            Item::Test(x) => x.span,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PackDecl {
    pub name: Text,
    pub version: Text,
    pub requires: Option<Text>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LetDecl {
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

/// Metadata shared by rules and advisories. Each field is given at most
/// once; the parser reports repeats.
/// `plugin NAME { path "..." sha256 "..." }`.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginDecl {
    pub name: Ident,
    pub path: Option<Text>,
    pub sha256: Option<Text>,
    pub span: Span,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Meta {
    pub title: Option<Text>,
    pub description: Option<Text>,
    pub severity: Option<Ident>,
    pub tags: Vec<Text>,
    pub controls: Vec<Text>,
    pub references: Vec<Text>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RuleDecl {
    pub id: Ident,
    pub meta: Meta,
    pub body: Body,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Body {
    pub lets: Vec<LetDecl>,
    pub kind: BodyKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum BodyKind {
    Action(Action),
    /// `check PLUGIN`: the plugin's findings are the rule's.
    Check(Ident),
    Blocks(Vec<Block>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    For {
        var: Ident,
        collection: Expr,
        filter: Option<Expr>,
        body: Body,
        span: Span,
    },
    When {
        condition: Expr,
        body: Body,
        span: Span,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    pub report: Message,
    pub fixes: Vec<Fix>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Fix {
    /// `text`, `powershell`, `reg`, `dism` or `dockerfile`.
    pub kind: Ident,
    pub message: Message,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AdvisoryDecl {
    pub id: Ident,
    pub meta: Meta,
    pub cvss: Option<Cvss>,
    pub published: Option<(Date, Span)>,
    pub exploited: Option<(bool, Span)>,
    pub affects: Vec<Affects>,
    pub fixes: Vec<Fix>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cvss {
    pub score: f64,
    pub score_span: Span,
    pub vector: Option<Text>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Affects {
    /// `affects windows BUILD below UBR [fixed_by KB]`.
    Windows {
        build: (u32, Span),
        below: (u32, Span),
        kb: Option<Ident>,
        span: Span,
    },
    /// `affects KIND "SUBJECT" "RANGE" [fixed_by "VERSION"]` for `dotnet`
    /// runtimes, `nuget` packages and `file` versions.
    Range {
        kind: Ident,
        subject: Text,
        range: Text,
        fixed_by: Option<Text>,
        span: Span,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct PolicyDecl {
    pub name: Ident,
    pub items: Vec<PolicyItem>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PolicyItem {
    Uses { packs: Vec<Text>, span: Span },
    Verdict(Verdict),
    Waive(Waiver),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VerdictKind {
    Info,
    Warn,
    Deny,
}

impl VerdictKind {
    pub fn as_str(self) -> &'static str {
        match self {
            VerdictKind::Info => "info",
            VerdictKind::Warn => "warn",
            VerdictKind::Deny => "deny",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub kind: VerdictKind,
    pub condition: Expr,
    pub because: Option<Text>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Waiver {
    pub id: Ident,
    pub until: (Date, Span),
    pub because: Text,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TestDecl {
    pub name: Text,
    pub inventory: TestInventory,
    pub now: Option<(Date, Span)>,
    pub expectations: Vec<Expectation>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TestInventory {
    /// `inventory file "path"`, relative to the file that names it.
    File(Text),
    /// `inventory { ...json... }`: the JSON text as written.
    Inline { json: String, span: Span },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expectation {
    Nothing(Span),
    Finding {
        rule: Ident,
        message: Option<Text>,
        span: Span,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantifier {
    Any,
    All,
    Count,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Matches,
    Glob,
    Contains,
    StartsWith,
    EndsWith,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::In => "in",
            BinaryOp::NotIn => "not in",
            BinaryOp::Matches => "matches",
            BinaryOp::Glob => "glob",
            BinaryOp::Contains => "contains",
            BinaryOp::StartsWith => "starts_with",
            BinaryOp::EndsWith => "ends_with",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
        }
    }

    pub fn is_comparison(self) -> bool {
        !matches!(
            self,
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogicOp {
    And,
    Or,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Date(Date),
    /// Seconds.
    Duration(i64),
    List(Vec<Expr>),
    Name(String),
    Member(Box<Expr>, Ident),
    Call(Ident, Vec<Expr>),
    /// `plugin.function(args)`.
    PluginCall {
        plugin: Ident,
        function: Ident,
        args: Vec<Expr>,
    },
    Quantified {
        quantifier: Quantifier,
        var: Option<Ident>,
        collection: Box<Expr>,
        filter: Option<Box<Expr>>,
    },
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `a and b and c`: chains are flat, so long ones do not nest deeply.
    Logic(LogicOp, Vec<Expr>),
    Paren(Box<Expr>),
}
