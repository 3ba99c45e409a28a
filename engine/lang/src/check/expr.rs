//! Type checking and lowering of expressions.

use std::sync::Arc;

use winspect_inventory::{Date, Version};

use super::{Checker, Context};
use crate::diag::{Code, Diagnostic, did_you_mean};
use crate::eval::fold;
use crate::ir::{ArithOp, Builtin, CmpOp, Node, NodeKind, TextOp};
use crate::source::Span;
use crate::syntax::ast::{BinaryOp, Expr, ExprKind, LogicOp, Quantifier, UnaryOp};
use crate::types::Ty;
use crate::value::{Severity, Value};

/// Patterns larger than this are refused, so a hostile pack cannot make
/// the compiler build a huge automaton.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

impl Checker<'_> {
    /// A condition: a boolean expression (possibly unset, which is false).
    pub(super) fn condition(&mut self, e: &Expr) -> Node {
        let (node, ty) = self.expr(e);
        if ty.is_error() {
            return poisoned(e.span).0;
        }
        if !matches!(ty.base(), Ty::Bool) {
            let shown = ty.show(&self.schema).to_string();
            self.error(
                Diagnostic::error(
                    Code::Type,
                    e.span,
                    format!("expected a condition, found a {shown}"),
                )
                .with_label(format!("this is a {shown}"))
                .with_help("compare it with something, e.g. `x == \"value\"`, or use `exists(x)`"),
            );
            return poisoned(e.span).0;
        }
        node
    }

    /// Warns when a condition folded to a constant: it never depends on the image.
    pub(super) fn warn_if_constant(&mut self, node: &Node) {
        if let Some(Value::Bool(b)) = node.as_const() {
            self.diags.push(Diagnostic::warning(
                Code::Impossible,
                node.span,
                format!("this condition is always {b}"),
            ));
        }
    }

    pub(super) fn expr(&mut self, e: &Expr) -> (Node, Ty) {
        let span = e.span;
        match &e.kind {
            ExprKind::Bool(b) => (Node::constant(Value::Bool(*b), span), Ty::Bool),
            ExprKind::Int(n) => (Node::constant(Value::Int(*n), span), Ty::Int),
            ExprKind::Float(x) => (Node::constant(Value::Float(*x), span), Ty::Float),
            ExprKind::Str(s) => (Node::constant(Value::str(s), span), Ty::Str),
            ExprKind::Date(d) => (Node::constant(Value::Date(*d), span), Ty::Date),
            ExprKind::Duration(s) => (Node::constant(Value::Duration(*s), span), Ty::Duration),
            ExprKind::Paren(inner) => {
                let (node, ty) = self.expr(inner);
                (Node { span, ..node }, ty)
            }
            ExprKind::List(items) => self.list(items, span),
            ExprKind::Name(name) => self.name(name, span),
            ExprKind::Member(base, field) => self.member(base, &field.name, field.span, span),
            ExprKind::Call(name, args) => self.call(&name.name, name.span, args, span),
            ExprKind::PluginCall {
                plugin,
                function,
                args,
            } => self.plugin_call(plugin, function, args, span),
            ExprKind::Quantified {
                quantifier,
                var,
                collection,
                filter,
            } => self.quantified(
                *quantifier,
                var.as_ref(),
                collection,
                filter.as_deref(),
                span,
            ),
            ExprKind::Unary(UnaryOp::Not, inner) => {
                let node = self.condition(inner);
                if is_error_node(&node) {
                    return poisoned(span);
                }
                (
                    fold(Node {
                        kind: NodeKind::Not(Box::new(node)),
                        span,
                    }),
                    Ty::Bool,
                )
            }
            ExprKind::Unary(UnaryOp::Neg, inner) => {
                let (node, ty) = self.expr(inner);
                if !matches!(ty.base(), Ty::Int | Ty::Float | Ty::Duration | Ty::Error) {
                    let shown = ty.show(&self.schema).to_string();
                    self.error(Diagnostic::error(
                        Code::Type,
                        inner.span,
                        format!("cannot negate a {shown}"),
                    ));
                }
                (
                    fold(Node {
                        kind: NodeKind::Neg(Box::new(node)),
                        span,
                    }),
                    ty,
                )
            }
            ExprKind::Logic(op, operands) => {
                let nodes: Vec<Node> = operands.iter().map(|o| self.condition(o)).collect();
                if nodes.iter().any(is_error_node) {
                    return poisoned(span);
                }
                let kind = match op {
                    LogicOp::And => NodeKind::And(nodes),
                    LogicOp::Or => NodeKind::Or(nodes),
                };
                (fold(Node { kind, span }), Ty::Bool)
            }
            ExprKind::Binary(op, lhs, rhs) => self.binary(*op, lhs, rhs, span),
        }
    }

    fn list(&mut self, items: &[Expr], span: Span) -> (Node, Ty) {
        let mut nodes = Vec::with_capacity(items.len());
        let mut elem = Ty::Unknown;
        for item in items {
            let (node, ty) = self.expr(item);
            if matches!(elem, Ty::Unknown) {
                elem = ty;
            } else if !elem.comparable(&ty) {
                let (a, b) = (
                    elem.show(&self.schema).to_string(),
                    ty.show(&self.schema).to_string(),
                );
                self.error(Diagnostic::error(
                    Code::Type,
                    item.span,
                    format!("a list holds one type: this is a {b} among {a}s"),
                ));
            }
            nodes.push(node);
        }
        let node = fold(Node {
            kind: NodeKind::List(nodes),
            span,
        });
        (node, Ty::List(Box::new(elem)))
    }

    fn name(&mut self, name: &str, span: Span) -> (Node, Ty) {
        if let Some(found) = self.lookup_local(name) {
            return found;
        }
        if let Some(found) = self.lookup_global(name) {
            return found;
        }
        if name == "finding" {
            if matches!(self.context, Context::Policy) {
                return (
                    Node {
                        kind: NodeKind::Finding,
                        span,
                    },
                    Ty::Record(self.schema.finding),
                );
            }
            self.error(
                Diagnostic::error(Code::UnknownName, span, "`finding` exists only in policies")
                    .with_help("rules read the inventory: `windows`, `iis`, `files`, ..."),
            );
            return (Node::constant(Value::Null, span), Ty::Error);
        }
        if let Some(inv) = self.schema.record(self.schema.inventory)
            && let Some((index, field)) = inv.field(name)
        {
            let node = Node {
                kind: NodeKind::Field(
                    Box::new(Node {
                        kind: NodeKind::Root,
                        span,
                    }),
                    index as u32,
                ),
                span,
            };
            return (node, field.ty.clone());
        }
        if let Some(sev) = Severity::parse(name) {
            return (Node::constant(Value::Severity(sev), span), Ty::Severity);
        }
        let mut candidates: Vec<String> = self.visible_names();
        if let Some(inv) = self.schema.record(self.schema.inventory) {
            candidates.extend(inv.fields.iter().map(|f| f.name.clone()));
        }
        candidates.extend(Severity::ALL.iter().map(|s| s.name().to_owned()));
        let mut d = Diagnostic::error(Code::UnknownName, span, format!("unknown name `{name}`"))
            .with_label("not defined");
        if let Some(help) = did_you_mean(name, candidates.iter().map(String::as_str)) {
            d = d.with_help(help);
        } else {
            d = d.with_help("inventory sections are `image`, `windows`, `updates`, `dotnet`, `iis`, `powershell`, `programs`, `services`, `schannel`, `lsa`, `defender`, `registry` and `files`");
        }
        self.error(d);
        (Node::constant(Value::Null, span), Ty::Error)
    }

    fn member(&mut self, base: &Expr, field: &str, field_span: Span, span: Span) -> (Node, Ty) {
        let (node, ty) = self.expr(base);
        let optional = ty.is_optional();
        match ty.base().clone() {
            Ty::Error => (Node::constant(Value::Null, span), Ty::Error),
            Ty::Record(id) => {
                let Some(def) = self.schema.record(id) else {
                    return (Node::constant(Value::Null, span), Ty::Error);
                };
                match def.field(field) {
                    Some((index, f)) => {
                        let fty = if optional {
                            f.ty.clone().optional()
                        } else {
                            f.ty.clone()
                        };
                        self.note_fact(&node);
                        let node = Node {
                            kind: NodeKind::Field(Box::new(node), index as u32),
                            span,
                        };
                        (node, fty)
                    }
                    None => {
                        let record = def.name.clone();
                        let names: Vec<&str> = def.fields.iter().map(|f| f.name.as_str()).collect();
                        let mut d = Diagnostic::error(
                            Code::UnknownName,
                            field_span,
                            format!("`{record}` has no field `{field}`"),
                        )
                        .with_label("unknown field");
                        d = match did_you_mean(field, names.iter().copied()) {
                            Some(help) => d.with_help(help),
                            None => d.with_help(format!("its fields are {}", list_names(&names))),
                        };
                        self.error(d);
                        (Node::constant(Value::Null, span), Ty::Error)
                    }
                }
            }
            Ty::List(inner) => {
                let shown = Ty::List(inner).show(&self.schema).to_string();
                let text = self.sources.slice(base.span).to_owned();
                self.error(
                    Diagnostic::error(
                        Code::Type,
                        field_span,
                        format!("`{text}` is a {shown}, which has no field `{field}`"),
                    )
                    .with_help(format!("look inside with `for x in {text}` or `any(x in {text} where x.{field} ...)`")),
                );
                (Node::constant(Value::Null, span), Ty::Error)
            }
            other => {
                let shown = other.show(&self.schema).to_string();
                self.error(Diagnostic::error(
                    Code::Type,
                    field_span,
                    format!("a {shown} has no fields, so no `{field}`"),
                ));
                (Node::constant(Value::Null, span), Ty::Error)
            }
        }
    }

    fn call(&mut self, name: &str, name_span: Span, args: &[Expr], span: Span) -> (Node, Ty) {
        let Some((builtin, signature)) = super::builtins::lookup(name) else {
            let mut d = Diagnostic::error(
                Code::UnknownName,
                name_span,
                format!("unknown function `{name}`"),
            )
            .with_label("not a function");
            if let Some(help) = did_you_mean(name, super::builtins::names()) {
                d = d.with_help(help);
            }
            self.error(d);
            for a in args {
                self.expr(a);
            }
            return (Node::constant(Value::Null, span), Ty::Error);
        };
        let checked: Vec<(Node, Ty)> = args.iter().map(|a| self.expr(a)).collect();
        if checked.iter().any(|(_, t)| t.is_error()) {
            return poisoned(span);
        }
        let arity = match builtin {
            Builtin::Now => 0,
            Builtin::Registry | Builtin::Default | Builtin::Join => 2,
            _ => 1,
        };
        if checked.len() != arity {
            self.error(
                Diagnostic::error(
                    Code::Type,
                    span,
                    format!(
                        "`{name}` takes {arity} argument{}, not {}",
                        if arity == 1 { "" } else { "s" },
                        checked.len()
                    ),
                )
                .with_help(signature),
            );
            return (Node::constant(Value::Null, span), Ty::Error);
        }
        let str_arg = |this: &mut Self, i: usize| {
            if let (Some((_, ty)), Some(arg)) = (checked.get(i), args.get(i))
                && !matches!(ty.base(), Ty::Str | Ty::Error)
            {
                let shown = ty.show(&this.schema).to_string();
                this.error(
                    Diagnostic::error(
                        Code::Type,
                        arg.span,
                        format!("`{name}` expects a string here, found a {shown}"),
                    )
                    .with_help(signature),
                );
            }
        };
        let ty = match builtin {
            Builtin::Lower | Builtin::Upper | Builtin::Trim => {
                str_arg(self, 0);
                passthrough_optional(&checked, Ty::Str)
            }
            Builtin::Len => {
                if let (Some((_, ty)), Some(arg)) = (checked.first(), args.first())
                    && !matches!(ty.base(), Ty::Str | Ty::List(_) | Ty::Error)
                {
                    let shown = ty.show(&self.schema).to_string();
                    self.error(Diagnostic::error(
                        Code::Type,
                        arg.span,
                        format!("`len` takes a string or a list, not a {shown}"),
                    ));
                }
                Ty::Int
            }
            Builtin::Exists => Ty::Bool,
            Builtin::Default => {
                let (Some((_, a)), Some((_, b))) = (checked.first(), checked.get(1)) else {
                    return poisoned(span);
                };
                if !a.comparable(b) {
                    let (sa, sb) = (
                        a.show(&self.schema).to_string(),
                        b.show(&self.schema).to_string(),
                    );
                    self.error(Diagnostic::error(
                        Code::Type,
                        span,
                        format!("`default` needs a fallback of the same type: {sa} and {sb}"),
                    ));
                }
                b.base().clone()
            }
            Builtin::Registry | Builtin::RegistryKeyExists => {
                str_arg(self, 0);
                if builtin == Builtin::Registry {
                    str_arg(self, 1);
                }
                let consts: Vec<Option<String>> = checked
                    .iter()
                    .map(|(n, _)| n.as_const().and_then(Value::as_str).map(str::to_owned))
                    .collect();
                match consts.as_slice() {
                    [Some(path), Some(value)] => self.registry_requests.push((path.clone(), Some(value.clone()))),
                    [Some(path)] => self.registry_requests.push((path.clone(), None)),
                    _ => self.error(
                        Diagnostic::error(Code::Type, span, format!("the arguments of `{name}` must be constant strings"))
                            .with_help("winspect reads only the registry values rules name, so it must know them before reading the image"),
                    ),
                }
                if builtin == Builtin::Registry {
                    Ty::Record(self.schema.registry_value).optional()
                } else {
                    Ty::Bool
                }
            }
            Builtin::File => {
                str_arg(self, 0);
                Ty::Record(self.schema.file).optional()
            }
            Builtin::FileExists => {
                str_arg(self, 0);
                Ty::Bool
            }
            Builtin::ParseVersion(kind) => {
                str_arg(self, 0);
                Ty::Version(kind).optional()
            }
            Builtin::Now => Ty::Date,
            Builtin::Join => {
                if let (Some((_, ty)), Some(arg)) = (checked.first(), args.first())
                    && !matches!(ty.base(), Ty::List(_) | Ty::Error)
                {
                    self.error(Diagnostic::error(
                        Code::Type,
                        arg.span,
                        "`join` takes a list first",
                    ));
                }
                str_arg(self, 1);
                Ty::Str
            }
            Builtin::Env | Builtin::Label => {
                str_arg(self, 0);
                Ty::Str.optional()
            }
        };
        let nodes = checked.into_iter().map(|(n, _)| n).collect();
        let node = Node {
            kind: NodeKind::Call(builtin, nodes),
            span,
        };
        if matches!(builtin, Builtin::Registry | Builtin::File) {
            self.note_call_fact(&node);
        }
        (fold(node), ty)
    }

    fn plugin_call(
        &mut self,
        plugin: &crate::syntax::ast::Ident,
        function: &crate::syntax::ast::Ident,
        args: &[Expr],
        span: Span,
    ) -> (Node, Ty) {
        let checked: Vec<(Node, Ty)> = args.iter().map(|a| self.expr(a)).collect();
        let Some((index, handle)) = self.lookup_plugin(&plugin.name) else {
            let mut d = Diagnostic::error(
                Code::UnknownName,
                plugin.span,
                format!("`{}` is not a plugin of this pack", plugin.name),
            )
            .with_label("not a plugin");
            d = match did_you_mean(&plugin.name, self.plugin_names().iter().map(String::as_str)) {
                Some(h) => d.with_help(h),
                None => d.with_help("declare it with `plugin NAME { path \"...\" sha256 \"...\" }`; values have no methods"),
            };
            self.error(d);
            return poisoned(span);
        };
        let functions = handle.functions();
        let Some(sig) = functions.iter().find(|f| f.name == function.name) else {
            let names: Vec<&str> = functions.iter().map(|f| f.name.as_str()).collect();
            let mut d = Diagnostic::error(
                Code::UnknownName,
                function.span,
                format!(
                    "plugin `{}` has no function `{}`",
                    plugin.name, function.name
                ),
            );
            d = match did_you_mean(&function.name, names.iter().copied()) {
                Some(h) => d.with_help(h),
                None if names.is_empty() => d.with_help("it offers no functions"),
                None => d.with_help(format!("its functions are {}", list_names(&names))),
            };
            self.error(d);
            return poisoned(span);
        };
        if checked.iter().any(|(_, t)| t.is_error()) {
            return poisoned(span);
        }
        if checked.len() != sig.params.len() {
            self.error(Diagnostic::error(
                Code::Type,
                span,
                format!(
                    "`{}.{}` takes {} argument(s), not {}",
                    plugin.name,
                    function.name,
                    sig.params.len(),
                    checked.len()
                ),
            ));
            return poisoned(span);
        }
        let mut nodes = Vec::with_capacity(checked.len());
        for ((mut node, ty), (want, arg)) in checked.into_iter().zip(sig.params.iter().zip(args)) {
            self.coerce_literal(&mut node, &ty, want);
            let ty = self.effective_ty(&node, ty);
            if !ty.comparable(want) || ty.is_optional() {
                let (got, expected) = (
                    ty.show(&self.schema).to_string(),
                    want.show(&self.schema).to_string(),
                );
                self.error(
                    Diagnostic::error(
                        Code::Type,
                        arg.span,
                        format!("expected a {expected}, found a {got}"),
                    )
                    .with_help(if ty.is_optional() {
                        "it may be unset: wrap it in `default(x, fallback)`"
                    } else {
                        "the plugin declares this parameter's type"
                    }),
                );
            }
            nodes.push(node);
        }
        let node = Node {
            kind: NodeKind::PluginCall {
                plugin: index,
                function: Arc::from(function.name.as_str()),
                args: nodes,
            },
            span,
        };
        // A failed call leaves the value unset, so the result may be unset.
        (node, sig.result.clone().optional())
    }

    fn quantified(
        &mut self,
        quantifier: Quantifier,
        var: Option<&crate::syntax::ast::Ident>,
        collection: &Expr,
        filter: Option<&Expr>,
        span: Span,
    ) -> (Node, Ty) {
        let (coll, cty) = self.expr(collection);
        let elem = match cty.base() {
            Ty::List(inner) => (**inner).clone(),
            Ty::Error => {
                if let Some(f) = filter {
                    self.push_scope();
                    if let Some(v) = var {
                        self.bind(&v.name, Ty::Error, v.span);
                    }
                    self.condition(f);
                    self.pop_scope(false);
                }
                return poisoned(span);
            }
            other => {
                let shown = other.show(&self.schema).to_string();
                self.error(Diagnostic::error(
                    Code::Type,
                    collection.span,
                    format!("expected a list to look through, found a {shown}"),
                ));
                Ty::Error
            }
        };
        let word = match quantifier {
            Quantifier::Any => "any",
            Quantifier::All => "all",
            Quantifier::Count => "count",
        };
        let (slot, filter) = match (var, filter) {
            (Some(v), f) => {
                self.push_scope();
                let slot = self.bind(&v.name, elem.clone(), v.span);
                let node = f.map(|f| self.condition(f));
                self.pop_scope(f.is_some());
                (Some(slot), node)
            }
            (None, Some(f)) => {
                self.error(Diagnostic::error(
                    Code::Syntax,
                    f.span,
                    format!("`where` needs a name for each item: `{word}(x in list where ...)`"),
                ));
                (None, None)
            }
            (None, None) => {
                if quantifier == Quantifier::All
                    && !matches!(elem.base(), Ty::Bool | Ty::Error | Ty::Unknown)
                {
                    self.error(
                        Diagnostic::error(
                            Code::Type,
                            collection.span,
                            "`all(list)` needs a list of booleans",
                        )
                        .with_help("write `all(x in list where ...)`"),
                    );
                }
                (None, None)
            }
        };
        let ty = if quantifier == Quantifier::Count {
            Ty::Int
        } else {
            Ty::Bool
        };
        let node = Node {
            kind: NodeKind::Quantified {
                quantifier,
                slot,
                collection: Box::new(coll),
                filter: filter.map(Box::new),
            },
            span,
        };
        (fold(node), ty)
    }

    fn binary(&mut self, op: BinaryOp, lhs: &Expr, rhs: &Expr, span: Span) -> (Node, Ty) {
        let (mut l, lt) = self.expr(lhs);
        let (mut r, rt) = self.expr(rhs);
        if lt.is_error() || rt.is_error() {
            return poisoned(span);
        }
        match op {
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge => {
                let cmp = match op {
                    BinaryOp::Eq => CmpOp::Eq,
                    BinaryOp::Ne => CmpOp::Ne,
                    BinaryOp::Lt => CmpOp::Lt,
                    BinaryOp::Le => CmpOp::Le,
                    BinaryOp::Gt => CmpOp::Gt,
                    _ => CmpOp::Ge,
                };
                self.coerce_literal(&mut r, &rt, &lt);
                self.coerce_literal(&mut l, &lt, &rt);
                let (lt, rt) = (self.effective_ty(&l, lt), self.effective_ty(&r, rt));
                if !lt.comparable(&rt) {
                    let (a, b) = (
                        lt.base().show(&self.schema).to_string(),
                        rt.base().show(&self.schema).to_string(),
                    );
                    let mut d = Diagnostic::error(
                        Code::Type,
                        span,
                        format!("cannot compare a {a} with a {b}"),
                    )
                    .with_label("these never compare");
                    if matches!(lt.base(), Ty::Version(_)) && matches!(rt.base(), Ty::Str) {
                        d = d.with_help("write the version as a constant string, or convert with `winver(...)`, `dotnet_version(...)` or `semver(...)`");
                    }
                    self.error(d);
                } else if !matches!(cmp, CmpOp::Eq | CmpOp::Ne) && !lt.ordered() {
                    let a = lt.base().show(&self.schema).to_string();
                    self.error(Diagnostic::error(
                        Code::Type,
                        span,
                        format!("a {a} has no order, so `{}` does not apply", op.symbol()),
                    ));
                }
                self.check_bounds(cmp, lhs, &l, &r, span);
                if self.sources.slice(lhs.span) == self.sources.slice(rhs.span)
                    && l.as_const().is_none()
                {
                    self.diags.push(Diagnostic::warning(
                        Code::Impossible,
                        span,
                        "both sides are the same expression, so the result never changes",
                    ));
                }
                let node = Node {
                    kind: NodeKind::Compare(cmp, Box::new(l), Box::new(r)),
                    span,
                };
                (fold(node), Ty::Bool)
            }
            BinaryOp::In | BinaryOp::NotIn => {
                let elem = match rt.base() {
                    Ty::List(inner) => Some((**inner).clone()),
                    Ty::Error => None,
                    other => {
                        let shown = other.show(&self.schema).to_string();
                        self.error(
                            Diagnostic::error(
                                Code::Type,
                                rhs.span,
                                format!(
                                    "`{}` needs a list on its right, found a {shown}",
                                    op.symbol()
                                ),
                            )
                            .with_help("for text inside text, write `text contains \"part\"`"),
                        );
                        None
                    }
                };
                match elem {
                    Some(elem) => self.membership(l, &lt, r, elem, op == BinaryOp::NotIn, span),
                    None => poisoned(span),
                }
            }
            BinaryOp::Matches | BinaryOp::Glob => {
                self.expect_str(lhs.span, &lt, op);
                let Some(pattern) = r.as_const().and_then(Value::as_str).map(str::to_owned) else {
                    if !rt.is_error() {
                        self.error(
                            Diagnostic::error(
                                Code::Type,
                                rhs.span,
                                format!(
                                    "the pattern of `{}` must be a constant string",
                                    op.symbol()
                                ),
                            )
                            .with_help("patterns are compiled once, before evaluation"),
                        );
                    }
                    return (Node::constant(Value::Null, span), Ty::Bool);
                };
                let kind = if op == BinaryOp::Matches {
                    match regex::RegexBuilder::new(&pattern)
                        .size_limit(REGEX_SIZE_LIMIT)
                        .build()
                    {
                        Ok(re) => NodeKind::Matches(Box::new(l), Arc::new(re)),
                        Err(e) => {
                            self.error(
                                Diagnostic::error(
                                    Code::BadLiteral,
                                    rhs.span,
                                    "this is not a valid regular expression",
                                )
                                .with_help(first_line(&e.to_string())),
                            );
                            return (Node::constant(Value::Null, span), Ty::Bool);
                        }
                    }
                } else {
                    let glob = globset::GlobBuilder::new(&pattern)
                        .case_insensitive(true)
                        .literal_separator(true)
                        .backslash_escape(false)
                        .build();
                    match glob {
                        Ok(g) => NodeKind::Glob(Box::new(l), Arc::new(g.compile_matcher())),
                        Err(e) => {
                            self.error(
                                Diagnostic::error(
                                    Code::BadLiteral,
                                    rhs.span,
                                    "this is not a valid glob pattern",
                                )
                                .with_help(e.kind().to_string()),
                            );
                            return (Node::constant(Value::Null, span), Ty::Bool);
                        }
                    }
                };
                (fold(Node { kind, span }), Ty::Bool)
            }
            BinaryOp::Contains | BinaryOp::StartsWith | BinaryOp::EndsWith => {
                // `list contains item` is membership; on strings these test text.
                if let (BinaryOp::Contains, Ty::List(elem)) = (op, lt.base()) {
                    let elem = (**elem).clone();
                    return self.membership(r, &rt, l, elem, false, span);
                }
                let text_op = match op {
                    BinaryOp::Contains => TextOp::Contains,
                    BinaryOp::StartsWith => TextOp::StartsWith,
                    _ => TextOp::EndsWith,
                };
                self.text_op(text_op, op, (l, &lt, lhs.span), (r, &rt, rhs.span), span)
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div => {
                let arith = match op {
                    BinaryOp::Add => ArithOp::Add,
                    BinaryOp::Sub => ArithOp::Sub,
                    BinaryOp::Mul => ArithOp::Mul,
                    _ => ArithOp::Div,
                };
                let ty = match (arith, lt.base(), rt.base()) {
                    (_, Ty::Error, _) | (_, _, Ty::Error) => Ty::Error,
                    (_, Ty::Int, Ty::Int) => Ty::Int,
                    (_, a, b) if a.is_numeric() && b.is_numeric() => Ty::Float,
                    (ArithOp::Add, Ty::Str, Ty::Str) => Ty::Str,
                    (ArithOp::Add | ArithOp::Sub, Ty::Date, Ty::Duration) => Ty::Date,
                    (ArithOp::Add, Ty::Duration, Ty::Date) => Ty::Date,
                    (ArithOp::Sub, Ty::Date, Ty::Date) => Ty::Duration,
                    (ArithOp::Add | ArithOp::Sub, Ty::Duration, Ty::Duration) => Ty::Duration,
                    (ArithOp::Mul | ArithOp::Div, Ty::Duration, Ty::Int) => Ty::Duration,
                    (ArithOp::Mul, Ty::Int, Ty::Duration) => Ty::Duration,
                    (_, a, b) => {
                        let (sa, sb) = (
                            a.show(&self.schema).to_string(),
                            b.show(&self.schema).to_string(),
                        );
                        self.error(Diagnostic::error(
                            Code::Type,
                            span,
                            format!("`{}` does not apply to a {sa} and a {sb}", op.symbol()),
                        ));
                        Ty::Error
                    }
                };
                let ty = if lt.is_optional() || rt.is_optional() {
                    ty.optional()
                } else {
                    ty
                };
                let node = Node {
                    kind: NodeKind::Arith(arith, Box::new(l), Box::new(r)),
                    span,
                };
                (fold(node), ty)
            }
        }
    }

    /// `item in list` (and `list contains item`): the item must compare with
    /// the list's elements; string constants in the list take the item's
    /// type (versions, severities, dates).
    fn membership(
        &mut self,
        item: Node,
        item_ty: &Ty,
        mut list: Node,
        elem: Ty,
        negate: bool,
        span: Span,
    ) -> (Node, Ty) {
        if let NodeKind::List(_) | NodeKind::Const(Value::List(_)) = &list.kind {
            list = self.coerce_list(list, &elem, item_ty);
        }
        let elem = match list.as_const() {
            Some(Value::List(items)) => items.first().map(value_ty).unwrap_or(elem),
            _ => elem,
        };
        if !item_ty.comparable(&elem) {
            let (a, b) = (
                item_ty.base().show(&self.schema).to_string(),
                elem.show(&self.schema).to_string(),
            );
            self.error(Diagnostic::error(
                Code::Type,
                span,
                format!("a {a} is never in a list of {b}s"),
            ));
        }
        let node = Node {
            kind: NodeKind::In {
                negate,
                item: Box::new(item),
                list: Box::new(list),
            },
            span,
        };
        (fold(node), Ty::Bool)
    }

    fn text_op(
        &mut self,
        text_op: TextOp,
        op: BinaryOp,
        (l, lt, lspan): (Node, &Ty, Span),
        (r, rt, rspan): (Node, &Ty, Span),
        span: Span,
    ) -> (Node, Ty) {
        self.expect_str(lspan, lt, op);
        self.expect_str(rspan, rt, op);
        let node = Node {
            kind: NodeKind::Text(text_op, Box::new(l), Box::new(r)),
            span,
        };
        (fold(node), Ty::Bool)
    }

    fn expect_str(&mut self, span: Span, ty: &Ty, op: BinaryOp) {
        if !matches!(ty.base(), Ty::Str | Ty::Error) {
            let shown = ty.show(&self.schema).to_string();
            self.error(Diagnostic::error(
                Code::Type,
                span,
                format!("`{}` works on strings, this is a {shown}", op.symbol()),
            ));
        }
    }

    /// A constant string compared with a version or a severity becomes one,
    /// so `runtime.version < "8.0.11"` reads naturally; an invalid literal
    /// is reported here, before any image is read.
    fn coerce_literal(&mut self, node: &mut Node, ty: &Ty, other: &Ty) {
        if !matches!(ty.base(), Ty::Str) {
            return;
        }
        let Some(text) = node.as_const().and_then(Value::as_str).map(str::to_owned) else {
            return;
        };
        match other.base() {
            Ty::Version(kind) => match Version::parse(*kind, &text) {
                Ok(v) => *node = Node::constant(Value::Version(Arc::new(v)), node.span),
                Err(e) => {
                    self.error(Diagnostic::error(
                        Code::BadLiteral,
                        node.span,
                        e.to_string(),
                    ));
                    *node = Node::constant(Value::Null, node.span);
                }
            },
            Ty::Severity => match Severity::parse(&text) {
                Some(s) => *node = Node::constant(Value::Severity(s), node.span),
                None => {
                    self.error(
                        Diagnostic::error(
                            Code::BadLiteral,
                            node.span,
                            format!("`{text}` is not a severity"),
                        )
                        .with_help("severities are info, low, medium, high and critical"),
                    );
                    *node = Node::constant(Value::Null, node.span);
                }
            },
            Ty::Date => match Date::parse(&text) {
                Ok(d) => *node = Node::constant(Value::Date(d), node.span),
                Err(e) => {
                    self.error(Diagnostic::error(
                        Code::BadLiteral,
                        node.span,
                        e.to_string(),
                    ));
                    *node = Node::constant(Value::Null, node.span);
                }
            },
            _ => {}
        }
    }

    /// The type of a node after literal coercion.
    fn effective_ty(&self, node: &Node, ty: Ty) -> Ty {
        match node.as_const() {
            Some(v @ (Value::Version(_) | Value::Severity(_) | Value::Date(_)))
                if matches!(ty, Ty::Str) =>
            {
                value_ty(v)
            }
            _ => ty,
        }
    }

    /// Coerces the string constants of a list compared with versions or severities.
    fn coerce_list(&mut self, list: Node, elem: &Ty, target: &Ty) -> Node {
        if !matches!(elem.base(), Ty::Str)
            || !matches!(target.base(), Ty::Version(_) | Ty::Severity | Ty::Date)
        {
            return list;
        }
        let span = list.span;
        let items: Vec<Node> = match list.kind {
            NodeKind::Const(Value::List(values)) => values
                .iter()
                .map(|v| Node::constant(v.clone(), span))
                .collect(),
            NodeKind::List(nodes) => nodes,
            other => return Node { kind: other, span },
        };
        let coerced: Vec<Node> = items
            .into_iter()
            .map(|mut n| {
                self.coerce_literal(&mut n, &Ty::Str, target);
                n
            })
            .collect();
        fold(Node {
            kind: NodeKind::List(coerced),
            span,
        })
    }

    /// Integer fields have bounds (a port is at most 65535): a comparison
    /// with a constant outside them can never hold, or always holds.
    fn check_bounds(&mut self, cmp: CmpOp, lhs: &Expr, l: &Node, r: &Node, span: Span) {
        let Some(Value::Int(n)) = r.as_const() else {
            return;
        };
        let NodeKind::Field(base, index) = &l.kind else {
            return;
        };
        let Some(bounds) = self.field_bounds(base, *index) else {
            return;
        };
        let (lo, hi) = bounds;
        let n = i128::from(*n);
        let never = match cmp {
            CmpOp::Eq => n < lo || n > hi,
            CmpOp::Lt => n <= lo,
            CmpOp::Le => n < lo,
            CmpOp::Gt => n >= hi,
            CmpOp::Ge => n > hi,
            CmpOp::Ne => false,
        };
        if never {
            let text = self.sources.slice(lhs.span).to_owned();
            self.error(
                Diagnostic::error(Code::Impossible, span, "this comparison can never hold")
                    .with_label(format!("`{text}` is always between {lo} and {hi}")),
            );
        }
    }

    fn field_bounds(&self, base: &Node, index: u32) -> Option<(i128, i128)> {
        let record = self.record_of_node(base)?;
        let def = self.schema.record(record)?;
        def.fields.get(index as usize)?.bounds
    }
}

/// The node and type of an expression already reported as wrong: it takes
/// part in nothing further, so one mistake gives one diagnostic.
fn poisoned(span: Span) -> (Node, Ty) {
    (Node::constant(Value::Null, span), Ty::Error)
}

fn is_error_node(node: &Node) -> bool {
    matches!(node.as_const(), Some(Value::Null))
}

fn passthrough_optional(args: &[(Node, Ty)], ty: Ty) -> Ty {
    if args.first().is_some_and(|(_, t)| t.is_optional()) {
        ty.optional()
    } else {
        ty
    }
}

pub(super) fn value_ty(v: &Value) -> Ty {
    match v {
        Value::Null => Ty::Unknown,
        Value::Bool(_) => Ty::Bool,
        Value::Int(_) => Ty::Int,
        Value::Float(_) => Ty::Float,
        Value::Str(_) => Ty::Str,
        Value::Version(v) => Ty::Version(v.kind()),
        Value::Date(_) => Ty::Date,
        Value::Duration(_) => Ty::Duration,
        Value::Severity(_) => Ty::Severity,
        Value::List(items) => {
            Ty::List(Box::new(items.first().map(value_ty).unwrap_or(Ty::Unknown)))
        }
        Value::Record(r) => Ty::Record(r.ty),
    }
}

fn list_names(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn first_line(text: &str) -> String {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(text)
        .trim()
        .to_owned()
}
