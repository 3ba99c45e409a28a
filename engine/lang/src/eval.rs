//! Evaluation: runs the compiled rules and advisories over a prepared
//! inventory. No name is looked up here: variables are slots, fields are
//! indexes. With tracing on (`--explain`) it also records what it compared.

use std::fmt::Write as _;
use std::sync::Arc;

use winspect_inventory::{Date, Version, VersionKind};

use crate::check::builtins_is_pure;
use crate::ir::{self, ArithOp, Builtin, CmpOp, Node, NodeKind, TextOp};
use crate::program::{
    EvalOptions, Evaluation, Explain, Explanation, Fact, Finding, FindingKind, Program, Remediation,
};
use crate::schema::Schema;
use crate::syntax::ast::Quantifier;
use crate::value::{PreparedInventory, Quoted, Value, compare, values_equal};

/// At most this many loop items are shown by `--explain` per loop.
const EXPLAIN_ITEMS: usize = 25;
/// At most this many lines are recorded per rule by `--explain`.
const EXPLAIN_LINES: usize = 400;

/// Folds a node whose operands are all constants into a constant.
pub fn fold(node: Node) -> Node {
    if !foldable(&node.kind) {
        return node;
    }
    let mut frame = Frame::constant();
    let value = frame.eval(&node);
    Node::constant(value, node.span)
}

fn foldable(kind: &NodeKind) -> bool {
    let c = |n: &Node| n.as_const().is_some();
    match kind {
        NodeKind::Const(_)
        | NodeKind::Local(_)
        | NodeKind::Global(_)
        | NodeKind::Root
        | NodeKind::Finding => false,
        NodeKind::Field(b, _)
        | NodeKind::Not(b)
        | NodeKind::Neg(b)
        | NodeKind::Matches(b, _)
        | NodeKind::Glob(b, _) => c(b),
        NodeKind::And(v) | NodeKind::Or(v) | NodeKind::List(v) => v.iter().all(c),
        NodeKind::Compare(_, a, b) | NodeKind::Arith(_, a, b) | NodeKind::Text(_, a, b) => {
            c(a) && c(b)
        }
        NodeKind::In { item, list, .. } => c(item) && c(list),
        NodeKind::Quantified {
            collection, filter, ..
        } => filter.is_none() && c(collection),
        NodeKind::Call(b, args) => builtins_is_pure(*b) && args.iter().all(c),
        // Plugins run during evaluation only, never while checking.
        NodeKind::PluginCall { .. } => false,
    }
}

/// What `--explain` records while evaluating one rule.
struct Trace {
    lines: Vec<String>,
    depth: usize,
}

impl Trace {
    fn line(&mut self, text: String) {
        if self.lines.len() < EXPLAIN_LINES {
            self.lines
                .push(format!("{}{text}", "  ".repeat(self.depth + 1)));
        } else if self.lines.len() == EXPLAIN_LINES {
            self.lines.push(format!(
                "{}... (explanation cut at {EXPLAIN_LINES} lines)",
                "  ".repeat(self.depth + 1)
            ));
        }
    }
}

pub(crate) struct Frame<'a> {
    program: Option<&'a Program>,
    inventory: Option<&'a PreparedInventory>,
    globals: &'a [Value],
    locals: Vec<Value>,
    now: Option<Date>,
    finding: Option<&'a Value>,
    trace: Option<Trace>,
    /// Plugin failures met while evaluating the current rule.
    errors: Vec<String>,
}

impl<'a> Frame<'a> {
    fn constant() -> Frame<'static> {
        Frame {
            program: None,
            inventory: None,
            globals: &[],
            locals: Vec::new(),
            now: None,
            finding: None,
            trace: None,
            errors: Vec::new(),
        }
    }

    pub(crate) fn for_policy(
        program: &'a Program,
        inventory: Option<&'a PreparedInventory>,
        finding: &'a Value,
        now: Date,
        slots: u32,
    ) -> Frame<'a> {
        Frame {
            program: Some(program),
            inventory,
            globals: &[],
            locals: vec![Value::Null; slots as usize],
            now: Some(now),
            finding: Some(finding),
            trace: None,
            errors: Vec::new(),
        }
    }

    fn snippet(&self, node: &Node) -> String {
        self.program
            .map(|p| p.snippet(node.span).to_owned())
            .unwrap_or_default()
    }

    fn set(&mut self, slot: u32, value: Value) {
        if let Some(s) = self.locals.get_mut(slot as usize) {
            *s = value;
        }
    }

    pub(crate) fn eval(&mut self, node: &Node) -> Value {
        match &node.kind {
            NodeKind::Const(v) => v.clone(),
            NodeKind::Local(slot) => self.locals.get(*slot as usize).cloned().unwrap_or_default(),
            NodeKind::Global(slot) => self
                .globals
                .get(*slot as usize)
                .cloned()
                .unwrap_or_default(),
            NodeKind::Root => self.inventory.map(|i| i.root.clone()).unwrap_or_default(),
            NodeKind::Finding => self.finding.cloned().unwrap_or_default(),
            NodeKind::Field(base, index) => self.field(base, *index as usize),
            NodeKind::Not(inner) => match self.eval(inner) {
                Value::Bool(b) => Value::Bool(!b),
                _ => Value::Bool(true),
            },
            NodeKind::Neg(inner) => match self.eval(inner) {
                Value::Int(n) => n.checked_neg().map(Value::Int).unwrap_or_default(),
                Value::Float(x) => Value::Float(-x),
                Value::Duration(s) => s.checked_neg().map(Value::Duration).unwrap_or_default(),
                _ => Value::Null,
            },
            NodeKind::And(items) => Value::Bool(items.iter().all(|i| self.eval(i).truthy())),
            NodeKind::Or(items) => Value::Bool(items.iter().any(|i| self.eval(i).truthy())),
            NodeKind::Compare(op, l, r) => {
                let (a, b) = (self.eval(l), self.eval(r));
                let result = match op {
                    CmpOp::Eq => values_equal(&a, &b),
                    CmpOp::Ne => !values_equal(&a, &b),
                    CmpOp::Lt => compare(&a, &b).is_some_and(|o| o.is_lt()),
                    CmpOp::Le => compare(&a, &b).is_some_and(|o| o.is_le()),
                    CmpOp::Gt => compare(&a, &b).is_some_and(|o| o.is_gt()),
                    CmpOp::Ge => compare(&a, &b).is_some_and(|o| o.is_ge()),
                };
                if self.trace.is_some() {
                    let text = self.snippet(node);
                    let symbol = match op {
                        CmpOp::Eq => "==",
                        CmpOp::Ne => "!=",
                        CmpOp::Lt => "<",
                        CmpOp::Le => "<=",
                        CmpOp::Gt => ">",
                        CmpOp::Ge => ">=",
                    };
                    self.traced(format!(
                        "`{text}`: {} {symbol} {} is {result}",
                        Quoted(&a),
                        Quoted(&b)
                    ));
                }
                Value::Bool(result)
            }
            NodeKind::Arith(op, l, r) => arith(*op, self.eval(l), self.eval(r)),
            NodeKind::In { negate, item, list } => {
                let (needle, haystack) = (self.eval(item), self.eval(list));
                let found = haystack
                    .as_list()
                    .is_some_and(|l| l.iter().any(|v| values_equal(v, &needle)));
                let result = found != *negate;
                if self.trace.is_some() {
                    let text = self.snippet(node);
                    self.traced(format!(
                        "`{text}`: {} in {} is {found}",
                        Quoted(&needle),
                        Quoted(&haystack)
                    ));
                }
                Value::Bool(result)
            }
            NodeKind::Matches(inner, re) => {
                let v = self.eval(inner);
                let result = v.as_str().is_some_and(|s| re.is_match(s));
                if self.trace.is_some() {
                    let text = self.snippet(node);
                    self.traced(format!(
                        "`{text}`: {} matches /{}/ is {result}",
                        Quoted(&v),
                        re.as_str()
                    ));
                }
                Value::Bool(result)
            }
            NodeKind::Glob(inner, glob) => {
                let v = self.eval(inner);
                let result = v.as_str().is_some_and(|s| glob.is_match(s));
                if self.trace.is_some() {
                    let text = self.snippet(node);
                    self.traced(format!("`{text}`: {} is {result}", Quoted(&v)));
                }
                Value::Bool(result)
            }
            NodeKind::Text(op, l, r) => {
                let (a, b) = (self.eval(l), self.eval(r));
                let result = match (a.as_str(), b.as_str()) {
                    (Some(x), Some(y)) => match op {
                        TextOp::Contains => x.contains(y),
                        TextOp::StartsWith => x.starts_with(y),
                        TextOp::EndsWith => x.ends_with(y),
                    },
                    _ => false,
                };
                if self.trace.is_some() {
                    let text = self.snippet(node);
                    self.traced(format!(
                        "`{text}`: {} and {} is {result}",
                        Quoted(&a),
                        Quoted(&b)
                    ));
                }
                Value::Bool(result)
            }
            NodeKind::Quantified {
                quantifier,
                slot,
                collection,
                filter,
            } => {
                let coll = self.eval(collection);
                let items = coll.as_list().unwrap_or(&[]);
                let result = match (slot, filter) {
                    (Some(slot), Some(filter)) => {
                        let mut count = 0i64;
                        let mut decided = None;
                        for item in items {
                            self.set(*slot, item.clone());
                            let hit = self.eval(filter).truthy();
                            match quantifier {
                                Quantifier::Any if hit => {
                                    decided = Some(true);
                                    break;
                                }
                                Quantifier::All if !hit => {
                                    decided = Some(false);
                                    break;
                                }
                                Quantifier::Count if hit => count += 1,
                                _ => {}
                            }
                        }
                        match quantifier {
                            Quantifier::Any => Value::Bool(decided.unwrap_or(false)),
                            Quantifier::All => Value::Bool(decided.unwrap_or(true)),
                            Quantifier::Count => Value::Int(count),
                        }
                    }
                    _ => match quantifier {
                        Quantifier::Any => Value::Bool(!items.is_empty()),
                        Quantifier::All => Value::Bool(items.iter().all(Value::truthy)),
                        Quantifier::Count => {
                            Value::Int(i64::try_from(items.len()).unwrap_or(i64::MAX))
                        }
                    },
                };
                if self.trace.is_some() {
                    let text = self.snippet(node);
                    self.traced(format!(
                        "`{text}` over {} items is {}",
                        items.len(),
                        Quoted(&result)
                    ));
                }
                result
            }
            NodeKind::List(items) => Value::List(
                items
                    .iter()
                    .map(|i| self.eval(i))
                    .collect::<Vec<_>>()
                    .into(),
            ),
            NodeKind::Call(builtin, args) => self.call(*builtin, args),
            NodeKind::PluginCall {
                plugin,
                function,
                args,
            } => {
                let values: Vec<Value> = args.iter().map(|a| self.eval(a)).collect();
                let Some(handle) = self.program.and_then(|p| p.plugins.get(*plugin as usize))
                else {
                    return Value::Null;
                };
                if values.iter().any(Value::is_null) {
                    // An unset argument: there is nothing to ask the plugin.
                    return Value::Null;
                }
                match handle.call(function, &values) {
                    Ok(v) => v,
                    Err(e) => {
                        self.errors.push(format!(
                            "plugin `{}` failed in `{function}`: {e}",
                            handle.name()
                        ));
                        Value::Null
                    }
                }
            }
        }
    }

    fn traced(&mut self, line: String) {
        if let Some(t) = self.trace.as_mut() {
            t.depth += 1;
            t.line(line);
            t.depth -= 1;
        }
    }

    fn field(&mut self, base: &Node, index: usize) -> Value {
        // Fast path: a chain of fields off a slot or the root needs no clone
        // of the intermediate records.
        match &base.kind {
            NodeKind::Local(slot) => self
                .locals
                .get(*slot as usize)
                .map(|v| v.field(index).clone())
                .unwrap_or_default(),
            NodeKind::Root => self
                .inventory
                .map(|i| i.root.field(index).clone())
                .unwrap_or_default(),
            NodeKind::Field(inner, i) if matches!(inner.kind, NodeKind::Root) => self
                .inventory
                .map(|inv| inv.root.field(*i as usize).field(index).clone())
                .unwrap_or_default(),
            _ => self.eval(base).field(index).clone(),
        }
    }

    fn call(&mut self, builtin: Builtin, args: &[Node]) -> Value {
        let mut values: Vec<Value> = args.iter().map(|a| self.eval(a)).collect();
        let first = values.first().cloned().unwrap_or_default();
        let text = |v: &Value| v.as_str().map(str::to_owned);
        match builtin {
            Builtin::Lower => text(&first)
                .map(|s| Value::str(&s.to_lowercase()))
                .unwrap_or_default(),
            Builtin::Upper => text(&first)
                .map(|s| Value::str(&s.to_uppercase()))
                .unwrap_or_default(),
            Builtin::Trim => text(&first)
                .map(|s| Value::str(s.trim()))
                .unwrap_or_default(),
            Builtin::Len => match &first {
                Value::Str(s) => Value::Int(i64::try_from(s.chars().count()).unwrap_or(i64::MAX)),
                Value::List(l) => Value::Int(i64::try_from(l.len()).unwrap_or(i64::MAX)),
                _ => Value::Int(0),
            },
            Builtin::Exists => Value::Bool(!first.is_null()),
            Builtin::Default => {
                if first.is_null() {
                    values.pop().unwrap_or_default()
                } else {
                    first
                }
            }
            Builtin::Registry => {
                let (Some(path), Some(name)) = (
                    values.first().and_then(Value::as_str),
                    values.get(1).and_then(Value::as_str),
                ) else {
                    return Value::Null;
                };
                self.inventory
                    .map(|i| i.registry_value(path, name))
                    .unwrap_or_default()
            }
            Builtin::RegistryKeyExists => Value::Bool(
                first
                    .as_str()
                    .zip(self.inventory)
                    .is_some_and(|(p, i)| i.registry_key_exists(p)),
            ),
            Builtin::File => first
                .as_str()
                .zip(self.inventory)
                .map(|(p, i)| i.file(p))
                .unwrap_or_default(),
            Builtin::FileExists => Value::Bool(
                first
                    .as_str()
                    .zip(self.inventory)
                    .is_some_and(|(p, i)| !i.file(p).is_null()),
            ),
            Builtin::ParseVersion(kind) => first
                .as_str()
                .and_then(|s| Version::parse(kind, s).ok())
                .map(|v| Value::Version(Arc::new(v)))
                .unwrap_or_default(),
            Builtin::Now => self.now.map(Value::Date).unwrap_or_default(),
            Builtin::Join => {
                let sep = values.get(1).and_then(Value::as_str).unwrap_or("");
                let parts: Vec<String> = first
                    .as_list()
                    .unwrap_or(&[])
                    .iter()
                    .map(|v| v.to_string())
                    .collect();
                Value::str(&parts.join(sep))
            }
            Builtin::Env | Builtin::Label => {
                let (Some(name), Some(program), Some(inv)) =
                    (first.as_str(), self.program, self.inventory)
                else {
                    return Value::Null;
                };
                image_pair(
                    program.schema(),
                    &inv.root,
                    if builtin == Builtin::Env {
                        "env"
                    } else {
                        "labels"
                    },
                    name,
                )
            }
        }
    }
}

/// Looks `name` up in the image's `env` or `labels` list of name/value pairs.
fn image_pair(schema: &Schema, root: &Value, list: &str, name: &str) -> Value {
    let Some(inv) = schema.record(schema.inventory) else {
        return Value::Null;
    };
    let Some((image_idx, image_field)) = inv.field("image") else {
        return Value::Null;
    };
    let crate::types::Ty::Record(image_ty) = image_field.ty else {
        return Value::Null;
    };
    let Some(image_def) = schema.record(image_ty) else {
        return Value::Null;
    };
    let Some((list_idx, _)) = image_def.field(list) else {
        return Value::Null;
    };
    let image = root.field(image_idx);
    for pair in image.field(list_idx).as_list().unwrap_or(&[]) {
        let Some(record) = pair.as_record() else {
            continue;
        };
        let Some(def) = schema.record(record.ty) else {
            continue;
        };
        let (Some((n, _)), Some((v, _))) = (def.field("name"), def.field("value")) else {
            continue;
        };
        let matches = pair.field(n).as_str().is_some_and(|s| {
            // Windows environment variable names are case-insensitive.
            if list == "env" {
                s.eq_ignore_ascii_case(name)
            } else {
                s == name
            }
        });
        if matches {
            return pair.field(v).clone();
        }
    }
    Value::Null
}

fn arith(op: ArithOp, a: Value, b: Value) -> Value {
    use Value::*;
    match (op, a, b) {
        (ArithOp::Add, Int(x), Int(y)) => x.checked_add(y).map(Int).unwrap_or_default(),
        (ArithOp::Sub, Int(x), Int(y)) => x.checked_sub(y).map(Int).unwrap_or_default(),
        (ArithOp::Mul, Int(x), Int(y)) => x.checked_mul(y).map(Int).unwrap_or_default(),
        (ArithOp::Div, Int(x), Int(y)) => x.checked_div(y).map(Int).unwrap_or_default(),
        (op, Int(x), Float(y)) => float(op, x as f64, y),
        (op, Float(x), Int(y)) => float(op, x, y as f64),
        (op, Float(x), Float(y)) => float(op, x, y),
        (ArithOp::Add, Str(x), Str(y)) => Value::str(&format!("{x}{y}")),
        (ArithOp::Add, Date(d), Duration(s)) | (ArithOp::Add, Duration(s), Date(d)) => shift(d, s),
        (ArithOp::Sub, Date(d), Duration(s)) => {
            s.checked_neg().map(|n| shift(d, n)).unwrap_or_default()
        }
        (ArithOp::Sub, Date(x), Date(y)) => y
            .days_until(x)
            .checked_mul(86_400)
            .map(Duration)
            .unwrap_or_default(),
        (ArithOp::Add, Duration(x), Duration(y)) => {
            x.checked_add(y).map(Duration).unwrap_or_default()
        }
        (ArithOp::Sub, Duration(x), Duration(y)) => {
            x.checked_sub(y).map(Duration).unwrap_or_default()
        }
        (ArithOp::Mul, Duration(x), Int(y)) | (ArithOp::Mul, Int(y), Duration(x)) => {
            x.checked_mul(y).map(Duration).unwrap_or_default()
        }
        (ArithOp::Div, Duration(x), Int(y)) => x.checked_div(y).map(Duration).unwrap_or_default(),
        _ => Null,
    }
}

fn float(op: ArithOp, x: f64, y: f64) -> Value {
    let r = match op {
        ArithOp::Add => x + y,
        ArithOp::Sub => x - y,
        ArithOp::Mul => x * y,
        ArithOp::Div => x / y,
    };
    if r.is_finite() {
        Value::Float(r)
    } else {
        Value::Null
    }
}

fn shift(date: Date, secs: i64) -> Value {
    let days = secs.div_euclid(86_400);
    let Ok(days) = i32::try_from(days) else {
        return Value::Null;
    };
    date.civil()
        .checked_add(jiff::Span::new().days(days))
        .map(|d| Value::Date(Date::from_civil(d)))
        .unwrap_or_default()
}

impl Program {
    /// Evaluates every rule and advisory (of the selected packs) over a
    /// prepared inventory.
    pub fn evaluate(&self, inventory: &PreparedInventory, options: &EvalOptions) -> Evaluation {
        let mut out = Evaluation::default();
        let in_scope = |pack: &str| {
            options
                .packs
                .as_ref()
                .is_none_or(|p| p.iter().any(|x| x == pack))
        };

        // Pack-level lets, once, in order: later ones may use earlier ones.
        let mut globals: Vec<Value> = Vec::with_capacity(self.globals.len());
        for g in &self.globals {
            let value = {
                let mut frame = Frame {
                    program: Some(self),
                    inventory: Some(inventory),
                    globals: &globals,
                    locals: vec![Value::Null; g.slots as usize],
                    now: Some(options.now),
                    finding: None,
                    trace: None,
                    errors: Vec::new(),
                };
                frame.eval(&g.node)
            };
            globals.push(value);
        }

        let mut frame = Frame {
            program: Some(self),
            inventory: Some(inventory),
            globals: &globals,
            locals: Vec::new(),
            now: Some(options.now),
            finding: None,
            trace: None,
            errors: Vec::new(),
        };
        for rule in &self.rules {
            if !in_scope(&rule.meta.pack) {
                continue;
            }
            let explain = options.explain == Explain::All;
            frame.trace = explain.then(|| Trace {
                lines: Vec::new(),
                depth: 0,
            });
            frame.locals.clear();
            frame.locals.resize(rule.slots as usize, Value::Null);
            let before = out.findings.len();
            let mut facts = Vec::new();
            frame.body(rule, &rule.body, &mut facts, &mut out.findings);
            let mut failures = std::mem::take(&mut frame.errors);
            failures.sort();
            failures.dedup();
            for message in failures {
                out.findings.push(error_finding(rule, message));
            }
            let fired = out.findings.len() - before;
            if options.explain == Explain::Fired && fired > 0 {
                // Run the rule again with tracing: the fast path stays free of it.
                frame.trace = Some(Trace {
                    lines: Vec::new(),
                    depth: 0,
                });
                frame.locals.clear();
                frame.locals.resize(rule.slots as usize, Value::Null);
                let mut scratch = Vec::new();
                frame.body(rule, &rule.body, &mut Vec::new(), &mut scratch);
            }
            if let Some(trace) = frame.trace.take() {
                out.explanations.push(Explanation {
                    rule: rule.meta.id.clone(),
                    fired,
                    lines: trace.lines,
                });
            }
        }
        self.advisories_into(
            inventory,
            &in_scope,
            options.explain != Explain::None,
            &mut out,
        );
        out
    }

    fn advisories_into(
        &self,
        inventory: &PreparedInventory,
        in_scope: &dyn Fn(&str) -> bool,
        want_explain: bool,
        out: &mut Evaluation,
    ) {
        let Some(paths) = self.paths else { return };
        if self.index.is_empty() {
            return;
        }
        let root = &inventory.root;
        let windows = root.field(paths.windows);
        let explain = |out: &mut Evaluation, id: &str, line: String| {
            if let Some(e) = out.explanations.iter_mut().find(|e| e.rule == id) {
                e.fired += 1;
                e.lines.push(line);
            } else {
                out.explanations.push(Explanation {
                    rule: id.to_owned(),
                    fired: 1,
                    lines: vec![line],
                });
            }
        };
        if let (Value::Int(build), Value::Int(ubr)) =
            (windows.field(paths.build), windows.field(paths.ubr))
        {
            let entries = u32::try_from(*build)
                .ok()
                .and_then(|b| self.index.windows.get(&b));
            for entry in entries.into_iter().flatten() {
                let Some(adv) = self.advisories.get(entry.advisory as usize) else {
                    continue;
                };
                if !in_scope(&adv.meta.pack) || *ubr >= i64::from(entry.below) {
                    continue;
                }
                let fixed = format!("10.0.{build}.{}", entry.below);
                let by = entry
                    .kb
                    .as_ref()
                    .map(|kb| format!(" by {kb}"))
                    .unwrap_or_default();
                let message = format!(
                    "Windows 10.0.{build}.{ubr} is affected by {}; fixed in {fixed}{by}",
                    adv.meta.id
                );
                let mut remediation = vec![Remediation {
                    kind: "text".to_owned(),
                    text: format!(
                        "rebuild the image on a base image at {fixed} or later{}",
                        entry
                            .kb
                            .as_ref()
                            .map(|kb| format!(" (includes {kb})"))
                            .unwrap_or_default()
                    ),
                }];
                remediation.extend(advisory_fixes(adv));
                if want_explain {
                    explain(
                        out,
                        &adv.meta.id,
                        format!(
                            "  windows.build {build} == {build} and windows.ubr {ubr} < {}",
                            entry.below
                        ),
                    );
                }
                out.findings.push(advisory_finding(
                    adv,
                    message,
                    vec![self.fact(windows)],
                    remediation,
                ));
            }
        }
        let dotnet = root.field(paths.dotnet);
        let lists = [
            (
                paths.runtimes,
                paths.runtime_framework,
                paths.runtime_version,
                &self.index.dotnet,
                "runtime",
            ),
            (
                paths.packages,
                paths.package_name,
                paths.package_version,
                &self.index.nuget,
                "package",
            ),
        ];
        for (list, name_idx, version_idx, index, what) in lists {
            if index.is_empty() {
                continue;
            }
            for item in dotnet.field(list).as_list().unwrap_or(&[]) {
                let Some(name) = item.field(name_idx).as_str() else {
                    continue;
                };
                let Value::Version(version) = item.field(version_idx) else {
                    continue;
                };
                let Some(entries) = index.get(&name.to_ascii_lowercase()) else {
                    continue;
                };
                for entry in entries {
                    let Some(adv) = self.advisories.get(entry.advisory as usize) else {
                        continue;
                    };
                    if !in_scope(&adv.meta.pack) || !entry.range.contains(version) {
                        continue;
                    }
                    let message = format!(
                        "{what} {name} {version} is affected by {} ({}){}",
                        adv.meta.id,
                        entry.range.text(),
                        entry
                            .fixed_by
                            .as_ref()
                            .map(|f| format!("; fixed in {f}"))
                            .unwrap_or_default()
                    );
                    let mut remediation = Vec::new();
                    if let Some(f) = &entry.fixed_by {
                        let text = if what == "runtime" {
                            format!("update {name} to {f} or later")
                        } else {
                            format!(
                                "update the package reference {name} to {f} or later and rebuild the application"
                            )
                        };
                        remediation.push(Remediation {
                            kind: "text".to_owned(),
                            text,
                        });
                    }
                    remediation.extend(advisory_fixes(adv));
                    if want_explain {
                        explain(
                            out,
                            &adv.meta.id,
                            format!("  {name} {version} is in {}", entry.range.text()),
                        );
                    }
                    out.findings.push(advisory_finding(
                        adv,
                        message,
                        vec![self.fact(item)],
                        remediation,
                    ));
                }
            }
        }
        for entries in self.index.file.values() {
            for entry in entries {
                let Some(adv) = self.advisories.get(entry.advisory as usize) else {
                    continue;
                };
                if !in_scope(&adv.meta.pack) {
                    continue;
                }
                let file = inventory.file(&entry.subject);
                let Value::Version(version) = file.field(paths.file_version) else {
                    continue;
                };
                if version.kind() != VersionKind::Windows || !entry.range.contains(version) {
                    continue;
                }
                let message = format!(
                    "{} {version} is affected by {} ({}){}",
                    entry.subject,
                    adv.meta.id,
                    entry.range.text(),
                    entry
                        .fixed_by
                        .as_ref()
                        .map(|f| format!("; fixed in {f}"))
                        .unwrap_or_default()
                );
                let remediation = advisory_fixes(adv).collect();
                if want_explain {
                    explain(
                        out,
                        &adv.meta.id,
                        format!("  {} {version} is in {}", entry.subject, entry.range.text()),
                    );
                }
                out.findings.push(advisory_finding(
                    adv,
                    message,
                    vec![self.fact(&file)],
                    remediation,
                ));
            }
        }
    }

    pub(crate) fn fact(&self, value: &Value) -> Fact {
        match value {
            Value::Record(r) => {
                let layer = self
                    .schema
                    .record(r.ty)
                    .and_then(|d| d.layer_field)
                    .and_then(|i| r.fields.get(i))
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                Fact {
                    path: r.origin.to_string(),
                    layer,
                }
            }
            other => Fact {
                path: other.to_string(),
                layer: None,
            },
        }
    }
}

/// A finding of a rule or advisory, with its metadata and nothing else yet.
fn finding_of(m: &ir::Meta, kind: FindingKind) -> Finding {
    Finding {
        rule: m.id.clone(),
        kind,
        pack: m.pack.clone(),
        severity: m.severity,
        title: m.title.clone(),
        message: String::new(),
        facts: Vec::new(),
        remediation: Vec::new(),
        description: m.description.clone(),
        tags: m.tags.clone(),
        controls: m.controls.clone(),
        references: m.references.clone(),
        cvss: None,
        cvss_vector: None,
        published: None,
        exploited: false,
        location: m.location.clone(),
    }
}

/// A rule that could not be judged: its plugin failed.
fn error_finding(rule: &ir::Rule, message: String) -> Finding {
    Finding {
        message,
        ..finding_of(&rule.meta, FindingKind::Error)
    }
}

/// The fixes an advisory itself names, after the ones winspect derives.
fn advisory_fixes(adv: &ir::Advisory) -> impl Iterator<Item = Remediation> + '_ {
    adv.fixes.iter().map(|(kind, text)| Remediation {
        kind: kind.clone(),
        text: text.clone(),
    })
}

fn advisory_finding(
    adv: &ir::Advisory,
    message: String,
    facts: Vec<Fact>,
    remediation: Vec<Remediation>,
) -> Finding {
    Finding {
        message,
        facts,
        remediation,
        cvss: adv.cvss,
        cvss_vector: adv.cvss_vector.clone(),
        published: adv.published,
        exploited: adv.exploited,
        ..finding_of(&adv.meta, FindingKind::Advisory)
    }
}

impl Frame<'_> {
    fn body(
        &mut self,
        rule: &ir::Rule,
        body: &ir::Body,
        facts: &mut Vec<Value>,
        out: &mut Vec<Finding>,
    ) {
        for (slot, node) in &body.lets {
            let v = self.eval(node);
            self.set(*slot, v);
        }
        match &body.kind {
            ir::BodyKind::Action(action) => {
                let finding = self.finding(rule, action, facts);
                if let Some(t) = self.trace.as_mut() {
                    t.line(format!("reports: {}", finding.message));
                }
                out.push(finding);
            }
            ir::BodyKind::Check(index) => self.plugin_check(rule, *index, facts, out),
            ir::BodyKind::Blocks(blocks) => {
                for block in blocks {
                    self.block(rule, block, facts, out);
                }
            }
        }
    }

    /// Runs a plugin's check; its findings become the rule's.
    fn plugin_check(
        &mut self,
        rule: &ir::Rule,
        index: u32,
        facts: &[Value],
        out: &mut Vec<Finding>,
    ) {
        let (Some(program), Some(inventory)) = (self.program, self.inventory) else {
            return;
        };
        let Some(handle) = program.plugins.get(index as usize) else {
            return;
        };
        let sections: Vec<(String, Arc<[u8]>)> = handle
            .sections()
            .iter()
            .map(|s| (s.clone(), inventory.section(s)))
            .collect();
        match handle.run_check(&sections) {
            Ok(found) => {
                if let Some(t) = self.trace.as_mut() {
                    t.line(format!(
                        "check `{}`: {} findings",
                        handle.name(),
                        found.len()
                    ));
                }
                for f in found {
                    let mut finding = self.finding_shell(rule, facts);
                    finding.severity = f.severity;
                    finding.message = f.message;
                    finding
                        .tags
                        .push(format!("plugin:{}/{}", handle.name(), f.id));
                    if let Some(subject) = f.subject {
                        finding.facts.push(Fact {
                            path: subject,
                            layer: f.layer,
                        });
                    }
                    if let Some(text) = f.remediation {
                        finding.remediation.push(Remediation {
                            kind: "text".to_owned(),
                            text,
                        });
                    }
                    out.push(finding);
                }
            }
            Err(e) => self.errors.push(format!(
                "plugin `{}` could not run its check: {e}",
                handle.name()
            )),
        }
    }

    fn block(
        &mut self,
        rule: &ir::Rule,
        block: &ir::Block,
        facts: &mut Vec<Value>,
        out: &mut Vec<Finding>,
    ) {
        match block {
            ir::Block::For {
                slot,
                var,
                collection,
                filter,
                body,
                ..
            } => {
                let coll = self.eval(collection);
                let items = coll.as_list().unwrap_or(&[]);
                if self.trace.is_some() {
                    let text = self.snippet(collection);
                    let filter_text = filter
                        .as_ref()
                        .map(|f| format!(" where {}", self.snippet(f)))
                        .unwrap_or_default();
                    if let Some(t) = self.trace.as_mut() {
                        t.line(format!(
                            "for {var} in `{text}`{filter_text}: {} items",
                            items.len()
                        ));
                    }
                }
                for (i, item) in items.iter().enumerate() {
                    self.set(*slot, item.clone());
                    let shown = i < EXPLAIN_ITEMS;
                    if let Some(t) = self.trace.as_mut() {
                        if shown {
                            t.depth += 1;
                            t.line(format!("{var} = {}", Quoted(item)));
                        } else if i == EXPLAIN_ITEMS {
                            t.line(format!("  ... {} more items", items.len() - EXPLAIN_ITEMS));
                        }
                    }
                    let saved = if shown { None } else { self.trace.take() };
                    let pass = match filter {
                        Some(f) => {
                            let hit = self.eval(f).truthy();
                            if let Some(t) = self.trace.as_mut() {
                                t.line(format!("where is {hit}"));
                            }
                            hit
                        }
                        None => true,
                    };
                    if pass {
                        facts.push(item.clone());
                        self.body(rule, body, facts, out);
                        facts.pop();
                    }
                    if let Some(t) = saved {
                        self.trace = Some(t);
                    } else if let Some(t) = self.trace.as_mut() {
                        t.depth = t.depth.saturating_sub(1);
                    }
                }
            }
            ir::Block::When {
                condition,
                facts: fact_nodes,
                body,
                ..
            } => {
                let hit = self.eval(condition).truthy();
                if self.trace.is_some() {
                    let text = self.snippet(condition);
                    if let Some(t) = self.trace.as_mut() {
                        t.line(format!("when `{text}` is {hit}"));
                    }
                }
                if hit {
                    let n = facts.len();
                    for node in fact_nodes {
                        let v = self.eval(node);
                        if !v.is_null() {
                            facts.push(v);
                        }
                    }
                    if let Some(t) = self.trace.as_mut() {
                        t.depth += 1;
                    }
                    self.body(rule, body, facts, out);
                    if let Some(t) = self.trace.as_mut() {
                        t.depth = t.depth.saturating_sub(1);
                    }
                    facts.truncate(n);
                }
            }
        }
    }

    fn render(&mut self, message: &ir::Message) -> String {
        let mut out = String::new();
        for part in &message.parts {
            match part {
                ir::Part::Literal(s) => out.push_str(s),
                ir::Part::Expr(e) => {
                    let v = self.eval(e);
                    let _ = write!(out, "{v}");
                }
            }
        }
        out
    }

    fn finding(&mut self, rule: &ir::Rule, action: &ir::Action, facts: &[Value]) -> Finding {
        // Rendering evaluates interpolations: keep them out of the trace.
        let trace = self.trace.take();
        let message = self.render(&action.report);
        let remediation = action
            .fixes
            .iter()
            .map(|(kind, m)| Remediation {
                kind: kind.clone(),
                text: self.render(m),
            })
            .collect();
        self.trace = trace;
        Finding {
            message,
            remediation,
            ..self.finding_shell(rule, facts)
        }
    }

    /// A finding of `rule` about `facts`, without message or fixes yet.
    fn finding_shell(&self, rule: &ir::Rule, facts: &[Value]) -> Finding {
        let program = self.program;
        let mut seen: Vec<Fact> = Vec::new();
        for f in facts {
            if let Some(p) = program {
                let fact = p.fact(f);
                if !seen.contains(&fact) {
                    seen.push(fact);
                }
            }
        }
        Finding {
            facts: seen,
            ..finding_of(&rule.meta, FindingKind::Rule)
        }
    }
}
