//! The checker: resolves names, checks types against the inventory schema,
//! reports every problem at once, and lowers what it checked to the IR.

mod builtins;
mod expr;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use winspect_inventory::{Date, Inventory};

use crate::advisory::{InventoryPaths, RangeEntry, RangeKind, VersionRange, WindowsEntry};
use crate::diag::{Code, Diagnostic, did_you_mean};
use crate::ir::{self, Node, NodeKind};
use crate::program::{GlobalLet, PackInfo, Program, TestCase, TestExpectation};
use crate::schema::Schema;
use crate::source::{FileId, FileRole, SourceMap, Span};
use crate::syntax::ast::{self, Item};
use crate::syntax::parse_file;
use crate::types::{RecordId, Ty};
use crate::value::Severity;

pub use builtins::BUILTINS;
pub(crate) use builtins::is_pure as builtins_is_pure;

/// The version of the rule language this build implements. Packs state the
/// versions they need with `requires winspect ">= 0.1"`.
pub const LANGUAGE_VERSION: &str = "0.1.0";

/// At most this many diagnostics are reported per run.
pub const MAX_DIAGNOSTICS: usize = 200;

/// What fix kinds a rule may give.
pub const FIX_KINDS: [&str; 5] = ["text", "powershell", "reg", "dism", "dockerfile"];

/// Reads the inventory file a rule test names; the language does no IO.
pub type LoadInventory<'a> = &'a dyn Fn(&str, &str) -> Result<String, String>;

#[derive(Default)]
pub struct CheckOptions<'a> {
    /// The date waivers are judged against (expired ones are reported).
    pub today: Option<Date>,
    /// Loads `inventory file "..."` of rule tests: (naming file, path) to text.
    pub load_inventory: Option<LoadInventory<'a>>,
    /// Loads the plugins packs declare; without it, a pack that declares one
    /// is an error.
    pub load_plugin: Option<crate::plugin::LoadPlugin<'a>>,
}

impl std::fmt::Debug for CheckOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckOptions")
            .field("today", &self.today)
            .finish_non_exhaustive()
    }
}

/// The result of a check: all diagnostics, and the program when there is
/// no error.
#[derive(Debug)]
pub struct Checked {
    pub diagnostics: Vec<crate::diag::Diagnostic>,
    pub program: Option<Program>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    Rule,
    PackLet,
    Policy,
}

#[derive(Debug)]
struct Local {
    name: String,
    slot: u32,
    ty: Ty,
    span: Span,
    used: bool,
}

struct GlobalDef {
    name: String,
    pack: usize,
    ty: Ty,
    span: Span,
    used: bool,
}

pub(crate) struct Checker<'a> {
    sources: &'a SourceMap,
    schema: Arc<Schema>,
    diags: Vec<Diagnostic>,
    context: Context,
    pack: Option<usize>,
    scopes: Vec<Vec<Local>>,
    next_slot: u32,
    globals: Vec<GlobalDef>,
    /// Records read by the condition being checked, when collecting facts.
    facts: Option<Vec<Node>>,
    registry_requests: Vec<(String, Option<String>)>,
    /// Plugins by pack, in program order.
    plugins: Vec<LoadedPlugin>,
}

struct LoadedPlugin {
    pack: usize,
    name: String,
    handle: Arc<dyn crate::plugin::PluginHandle>,
}

/// Checks every pack and policy in `sources`.
pub fn check(sources: &SourceMap, options: &CheckOptions<'_>) -> Checked {
    let schema = match Schema::inventory() {
        Ok(s) => Arc::new(s),
        Err(e) => {
            return Checked {
                diagnostics: vec![Diagnostic::error(
                    Code::Missing,
                    Span::default(),
                    e.to_string(),
                )],
                program: None,
            };
        }
    };
    let mut checker = Checker {
        sources,
        schema: schema.clone(),
        diags: Vec::new(),
        context: Context::Rule,
        pack: None,
        scopes: Vec::new(),
        next_slot: 0,
        globals: Vec::new(),
        facts: None,
        registry_requests: Vec::new(),
        plugins: Vec::new(),
    };

    // Parse everything first: all syntax errors of all files in one run.
    let mut parsed: Vec<(FileId, FileRole, Vec<Item>)> = Vec::new();
    for (id, file) in sources.files() {
        let p = parse_file(id, &file.text);
        checker.diags.extend(p.diagnostics);
        parsed.push((id, file.role, p.items));
    }

    let mut program = Program::new(schema.clone(), sources);
    let Some(paths) = InventoryPaths::resolve(&schema) else {
        checker.error(Diagnostic::error(
            Code::Missing,
            Span::default(),
            "the inventory schema lacks the fields advisories read",
        ));
        return checker.finish(None);
    };
    program.paths = Some(paths);

    // Packs: headers, then ids of every rule and advisory, so that waivers
    // and test expectations can refer to any of them.
    let mut pack_names: HashMap<String, Span> = HashMap::new();
    for (index, pack) in sources.packs.iter().enumerate() {
        let headers: Vec<&ast::PackDecl> = parsed
            .iter()
            .filter(|(_, role, _)| *role == FileRole::Pack(index))
            .flat_map(|(_, _, items)| items.iter())
            .filter_map(|i| match i {
                Item::Pack(p) => Some(p),
                _ => None,
            })
            .collect();
        let info = checker.pack_header(&pack.origin, &headers, pack.files.first().copied());
        if let Some(first) = headers.first()
            && let Some(previous) = pack_names.insert(info.name.clone(), first.span)
        {
            let at = sources.location(previous);
            checker.error(Diagnostic::error(
                Code::Duplicate,
                first.name.span,
                format!("two packs are named `{}` (the other is at {at})", info.name),
            ));
        }
        program.packs.push(info);
    }

    let mut ids: HashMap<String, Span> = HashMap::new();
    for (_, role, items) in &parsed {
        for item in items {
            let (id, kind) = match item {
                Item::Rule(r) => (&r.id, "rule"),
                Item::Advisory(a) => (&a.id, "advisory"),
                Item::Pack(_)
                | Item::Let(_)
                | Item::Plugin(_)
                | Item::Policy(_)
                | Item::Test(_) => {
                    if *role == FileRole::Policy && !matches!(item, Item::Policy(_)) {
                        checker.error(
                            Diagnostic::error(
                                Code::Syntax,
                                item.span(),
                                "a policy file holds only `policy` blocks",
                            )
                            .with_help("rules, advisories, tests and `let` belong in a pack"),
                        );
                    }
                    continue;
                }
            };
            if *role == FileRole::Policy {
                checker.error(Diagnostic::error(
                    Code::Syntax,
                    item.span(),
                    format!("a {kind} belongs in a pack, not a policy file"),
                ));
                continue;
            }
            if let Some(previous) = ids.insert(id.name.clone(), id.span) {
                let at = sources.location(previous);
                checker.error(
                    Diagnostic::error(
                        Code::Duplicate,
                        id.span,
                        format!("`{}` is defined twice", id.name),
                    )
                    .with_label(format!("first defined at {at}")),
                );
            }
        }
    }

    // Plugins first, so rules anywhere in their pack can use them.
    for (file, role, items) in &parsed {
        let FileRole::Pack(pack) = *role else {
            continue;
        };
        for item in items {
            if let Item::Plugin(p) = item {
                checker.plugin_decl(p, *file, pack, options);
            }
        }
    }
    program.plugins = checker.plugins.iter().map(|p| p.handle.clone()).collect();

    // Items in file order: pack-level lets must come before their use.
    for (file, role, items) in &parsed {
        let FileRole::Pack(pack) = *role else {
            continue;
        };
        checker.pack = Some(pack);
        let pack_name = program
            .packs
            .get(pack)
            .map(|p| p.name.clone())
            .unwrap_or_default();
        for item in items {
            match item {
                Item::Pack(_) | Item::Policy(_) | Item::Plugin(_) => {}
                Item::Let(l) => {
                    if let Some(global) = checker.global_let(l, pack) {
                        program.globals.push(global);
                    }
                }
                Item::Rule(r) => {
                    if let Some(rule) = checker.rule(r, &pack_name) {
                        program.rules.push(rule);
                    }
                }
                Item::Advisory(a) => checker.advisory(a, &pack_name, &mut program),
                Item::Test(t) => {
                    if let Some(test) = checker.test(t, *file, pack, &parsed, options) {
                        program.tests.push(test);
                    }
                }
            }
        }
    }
    checker.pack = None;

    // Policies see no pack-level lets: they judge findings from any pack.
    let known_packs: Vec<String> = program.packs.iter().map(|p| p.name.clone()).collect();
    let mut policy_names: HashMap<String, Span> = HashMap::new();
    for (_, _, items) in &parsed {
        for item in items {
            if let Item::Policy(p) = item {
                if let Some(previous) = policy_names.insert(p.name.name.clone(), p.name.span) {
                    let at = sources.location(previous);
                    checker.error(Diagnostic::error(
                        Code::Duplicate,
                        p.name.span,
                        format!(
                            "two policies are named `{}` (the other is at {at})",
                            p.name.name
                        ),
                    ));
                }
                if let Some(policy) = checker.policy(p, &ids, &known_packs, options.today) {
                    program.policies.push(policy);
                }
            }
        }
    }

    checker.warn_unused_globals();
    let mut requests: BTreeSet<(String, Option<String>)> = BTreeSet::new();
    requests.extend(checker.registry_requests.drain(..));
    program.registry_requests = requests.into_iter().collect();
    checker.finish(Some(program))
}

impl Checker<'_> {
    fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn finish(mut self, program: Option<Program>) -> Checked {
        self.diags
            .sort_by_key(|d| (d.span.file, d.span.start, d.level));
        self.diags.dedup();
        let failed = self.diags.iter().any(Diagnostic::is_error);
        if self.diags.len() > MAX_DIAGNOSTICS {
            // Past a few hundred, more diagnostics help nobody, and each one
            // costs a look-up in its file: keep the run linear.
            let hidden = self.diags.len() - MAX_DIAGNOSTICS;
            self.diags.truncate(MAX_DIAGNOSTICS);
            let span = self.diags.last().map(|d| d.span).unwrap_or_default();
            self.diags.push(Diagnostic::error(
                Code::Syntax,
                span,
                format!("{hidden} more problems are not shown"),
            ));
        }
        Checked {
            diagnostics: self.diags,
            program: if failed { None } else { program },
        }
    }

    fn pack_header(
        &mut self,
        origin: &str,
        headers: &[&ast::PackDecl],
        first_file: Option<FileId>,
    ) -> PackInfo {
        let Some(header) = headers.first() else {
            let span = Span {
                file: first_file.unwrap_or_default(),
                start: 0,
                end: 0,
            };
            self.error(
                Diagnostic::error(
                    Code::Missing,
                    span,
                    format!("pack `{origin}` has no `pack` header"),
                )
                .with_help("start one of its files with `pack \"name\" version \"1.0.0\"`"),
            );
            return PackInfo {
                name: origin.to_owned(),
                version: String::new(),
                origin: origin.to_owned(),
            };
        };
        for extra in headers.iter().skip(1) {
            let at = self.sources.location(header.span);
            self.error(Diagnostic::error(
                Code::Duplicate,
                extra.span,
                format!("a pack has one `pack` header; the first is at {at}"),
            ));
        }
        if header.name.value.trim().is_empty() {
            self.error(Diagnostic::error(
                Code::Missing,
                header.name.span,
                "the pack name is empty",
            ));
        }
        if semver::Version::parse(&header.version.value).is_err() {
            self.error(
                Diagnostic::error(
                    Code::BadLiteral,
                    header.version.span,
                    format!("`{}` is not a version", header.version.value),
                )
                .with_help("pack versions are semantic versions such as \"1.0.0\""),
            );
        }
        if let Some(req) = &header.requires {
            match semver::VersionReq::parse(&req.value) {
                Ok(r) => {
                    let ours = semver::Version::parse(LANGUAGE_VERSION).ok();
                    if ours.is_some_and(|v| !r.matches(&v)) {
                        self.error(
                            Diagnostic::error(
                                Code::Version,
                                req.span,
                                format!("pack `{}` requires winspect `{}`; this is language version {LANGUAGE_VERSION}", header.name.value, req.value),
                            )
                            .with_help("upgrade winspect, or use a version of the pack made for this one"),
                        );
                    }
                }
                Err(e) => self.error(Diagnostic::error(
                    Code::BadLiteral,
                    req.span,
                    format!("`{}` is not a version requirement: {e}", req.value),
                )),
            }
        }
        PackInfo {
            name: header.name.value.clone(),
            version: header.version.value.clone(),
            origin: origin.to_owned(),
        }
    }

    // ----------------------------------------------------------------- scopes

    fn push_scope(&mut self) {
        self.scopes.push(Vec::new());
    }

    /// Ends a scope; warns about names never used (unless `_`-prefixed).
    fn pop_scope(&mut self, warn_unused: bool) {
        let Some(scope) = self.scopes.pop() else {
            return;
        };
        if !warn_unused {
            return;
        }
        for local in scope {
            if !local.used && !local.name.starts_with('_') {
                self.diags.push(
                    Diagnostic::warning(
                        Code::Unused,
                        local.span,
                        format!("`{}` is never used", local.name),
                    )
                    .with_help(format!(
                        "remove it, or name it `_{}` if that is intended",
                        local.name
                    )),
                );
            }
        }
    }

    fn bind(&mut self, name: &str, ty: Ty, span: Span) -> u32 {
        let slot = self.next_slot;
        self.next_slot += 1;
        if let Some(scope) = self.scopes.last_mut() {
            scope.push(Local {
                name: name.to_owned(),
                slot,
                ty,
                span,
                used: false,
            });
        }
        slot
    }

    fn lookup_local(&mut self, name: &str) -> Option<(Node, Ty)> {
        for scope in self.scopes.iter_mut().rev() {
            if let Some(local) = scope.iter_mut().rev().find(|l| l.name == name) {
                local.used = true;
                let node = Node {
                    kind: NodeKind::Local(local.slot),
                    span: local.span,
                };
                return Some((node, local.ty.clone()));
            }
        }
        None
    }

    fn lookup_global(&mut self, name: &str) -> Option<(Node, Ty)> {
        let pack = self.pack?;
        let (index, global) = self
            .globals
            .iter_mut()
            .enumerate()
            .rev()
            .find(|(_, g)| g.pack == pack && g.name == name)?;
        global.used = true;
        let node = Node {
            kind: NodeKind::Global(u32::try_from(index).unwrap_or(u32::MAX)),
            span: global.span,
        };
        Some((node, global.ty.clone()))
    }

    fn visible_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .scopes
            .iter()
            .flatten()
            .map(|l| l.name.clone())
            .collect();
        if let Some(pack) = self.pack {
            names.extend(
                self.globals
                    .iter()
                    .filter(|g| g.pack == pack)
                    .map(|g| g.name.clone()),
            );
        }
        if self.context == Context::Policy {
            names.push("finding".to_owned());
        }
        names
    }

    fn warn_unused_globals(&mut self) {
        let unused: Vec<(String, Span)> = self
            .globals
            .iter()
            .filter(|g| !g.used && !g.name.starts_with('_'))
            .map(|g| (g.name.clone(), g.span))
            .collect();
        for (name, span) in unused {
            self.diags.push(Diagnostic::warning(
                Code::Unused,
                span,
                format!("`{name}` is never used"),
            ));
        }
    }

    // ---------------------------------------------------------------- plugins

    fn plugin_decl(
        &mut self,
        p: &ast::PluginDecl,
        file: FileId,
        pack: usize,
        options: &CheckOptions<'_>,
    ) {
        if let Some(previous) = self
            .plugins
            .iter()
            .find(|l| l.pack == pack && l.name == p.name.name)
        {
            let name = previous.name.clone();
            self.error(Diagnostic::error(
                Code::Duplicate,
                p.name.span,
                format!("plugin `{name}` is declared twice"),
            ));
            return;
        }
        let (Some(path), Some(sha)) = (&p.path, &p.sha256) else {
            self.error(
                Diagnostic::error(
                    Code::Missing,
                    p.name.span,
                    format!(
                        "plugin `{}` needs a `path` and a pinned `sha256`",
                        p.name.name
                    ),
                )
                .with_help("pinning the module's sha256 means a changed file is refused, not run"),
            );
            return;
        };
        let Some(load) = options.load_plugin else {
            self.error(Diagnostic::error(
                Code::Missing,
                p.span,
                "plugins cannot be loaded here",
            ));
            return;
        };
        let naming = self
            .sources
            .file(file)
            .map(|f| f.path.clone())
            .unwrap_or_default();
        match load(&naming, &path.value, &sha.value) {
            Ok(handle) => self.plugins.push(LoadedPlugin {
                pack,
                name: p.name.name.clone(),
                handle,
            }),
            Err(e) => self.error(
                Diagnostic::error(
                    Code::Missing,
                    path.span,
                    format!("plugin `{}` cannot be loaded: {e}", p.name.name),
                )
                .with_label("this module"),
            ),
        }
    }

    fn lookup_plugin(&self, name: &str) -> Option<(u32, Arc<dyn crate::plugin::PluginHandle>)> {
        let pack = self.pack?;
        self.plugins
            .iter()
            .enumerate()
            .find(|(_, p)| p.pack == pack && p.name == name)
            .map(|(i, p)| (u32::try_from(i).unwrap_or(u32::MAX), p.handle.clone()))
    }

    fn plugin_names(&self) -> Vec<String> {
        self.plugins
            .iter()
            .filter(|p| Some(p.pack) == self.pack)
            .map(|p| p.name.clone())
            .collect()
    }

    // ------------------------------------------------------------------ facts

    /// Notes a record a condition reads, if it hangs off the inventory root
    /// through fields only (`windows`, `iis`) or is bound by `let`: that
    /// record is a fact of the finding, with its layer.
    fn note_fact(&mut self, base: &Node) {
        let Some(facts) = self.facts.as_mut() else {
            return;
        };
        let local = matches!(base.kind, NodeKind::Local(_));
        if !local && (!is_root_path(base) || matches!(base.kind, NodeKind::Root)) {
            return;
        }
        if !facts.iter().any(|f| same_path(f, base)) {
            facts.push(base.clone());
        }
    }

    /// `registry(...)` and `file(...)` results are facts too.
    fn note_call_fact(&mut self, call: &Node) {
        let Some(facts) = self.facts.as_mut() else {
            return;
        };
        facts.push(call.clone());
    }

    /// The record type a node evaluates to, for bounds look-ups.
    fn record_of_node(&self, node: &Node) -> Option<RecordId> {
        match &node.kind {
            NodeKind::Root => Some(self.schema.inventory),
            NodeKind::Finding => Some(self.schema.finding),
            NodeKind::Field(base, index) => {
                let parent = self.record_of_node(base)?;
                let field = self.schema.record(parent)?.fields.get(*index as usize)?;
                match field.ty.base() {
                    Ty::Record(id) => Some(*id),
                    _ => None,
                }
            }
            NodeKind::Local(slot) => self
                .scopes
                .iter()
                .flatten()
                .find(|l| l.slot == *slot)
                .and_then(|l| match l.ty.base() {
                    Ty::Record(id) => Some(*id),
                    _ => None,
                }),
            NodeKind::Call(ir::Builtin::Registry, _) => Some(self.schema.registry_value),
            NodeKind::Call(ir::Builtin::File, _) => Some(self.schema.file),
            _ => None,
        }
    }

    // ------------------------------------------------------------------ items

    fn global_let(&mut self, l: &ast::LetDecl, pack: usize) -> Option<GlobalLet> {
        self.context = Context::PackLet;
        self.next_slot = 0;
        self.push_scope();
        let (node, ty) = self.expr(&l.value);
        self.pop_scope(false);
        let slots = self.next_slot;
        self.globals.push(GlobalDef {
            name: l.name.name.clone(),
            pack,
            ty,
            span: l.name.span,
            used: false,
        });
        Some(GlobalLet { node, slots })
    }

    fn meta(
        &mut self,
        id: &ast::Ident,
        meta: &ast::Meta,
        pack: &str,
        kind: &str,
        fallback: Option<Severity>,
    ) -> ir::Meta {
        let title = match &meta.title {
            Some(t) => t.value.clone(),
            None => {
                self.error(
                    Diagnostic::error(
                        Code::Missing,
                        id.span,
                        format!("{kind} `{}` has no `title`", id.name),
                    )
                    .with_help("add a line `title \"what is wrong, in a few words\"`"),
                );
                String::new()
            }
        };
        let severity = match &meta.severity {
            Some(s) => match Severity::parse(&s.name) {
                Some(level) => level,
                None => {
                    let mut d = Diagnostic::error(
                        Code::UnknownName,
                        s.span,
                        format!("`{}` is not a severity", s.name),
                    );
                    d = match did_you_mean(&s.name, Severity::ALL.iter().map(|s| s.name())) {
                        Some(h) => d.with_help(h),
                        None => d.with_help("severities are info, low, medium, high and critical"),
                    };
                    self.error(d);
                    Severity::Info
                }
            },
            None => match fallback {
                Some(s) => s,
                None => {
                    let help = if kind == "advisory" {
                        "add `severity high` or a `cvss` score to derive it from"
                    } else {
                        "add a line such as `severity medium`"
                    };
                    self.error(
                        Diagnostic::error(
                            Code::Missing,
                            id.span,
                            format!("{kind} `{}` has no `severity`", id.name),
                        )
                        .with_help(help),
                    );
                    Severity::Info
                }
            },
        };
        let texts = |v: &[ast::Text]| v.iter().map(|t| t.value.clone()).collect();
        ir::Meta {
            id: id.name.clone(),
            pack: pack.to_owned(),
            title,
            description: meta
                .description
                .as_ref()
                .map(|d| d.value.clone())
                .unwrap_or_default(),
            severity,
            tags: texts(&meta.tags),
            controls: texts(&meta.controls),
            references: texts(&meta.references),
            location: self.sources.location(id.span),
        }
    }

    fn rule(&mut self, r: &ast::RuleDecl, pack: &str) -> Option<ir::Rule> {
        let meta = self.meta(&r.id, &r.meta, pack, "rule", None);
        self.context = Context::Rule;
        self.next_slot = 0;
        self.push_scope();
        let body = self.body(&r.body);
        self.pop_scope(true);
        Some(ir::Rule {
            meta,
            slots: self.next_slot,
            body,
        })
    }

    fn body(&mut self, b: &ast::Body) -> ir::Body {
        self.push_scope();
        let mut lets = Vec::new();
        for l in &b.lets {
            let (node, ty) = self.expr(&l.value);
            let slot = self.bind(&l.name.name, ty, l.name.span);
            lets.push((slot, node));
        }
        let kind = match &b.kind {
            ast::BodyKind::Action(a) => ir::BodyKind::Action(self.action(a)),
            ast::BodyKind::Check(name) => match self.lookup_plugin(&name.name) {
                Some((index, handle)) if handle.has_check() => ir::BodyKind::Check(index),
                Some(_) => {
                    self.error(Diagnostic::error(
                        Code::Type,
                        name.span,
                        format!("plugin `{}` has no check, only functions", name.name),
                    ));
                    ir::BodyKind::Blocks(Vec::new())
                }
                None => {
                    let mut d = Diagnostic::error(
                        Code::UnknownName,
                        name.span,
                        format!("`{}` is not a plugin of this pack", name.name),
                    );
                    if let Some(h) =
                        did_you_mean(&name.name, self.plugin_names().iter().map(String::as_str))
                    {
                        d = d.with_help(h);
                    }
                    self.error(d);
                    ir::BodyKind::Blocks(Vec::new())
                }
            },
            ast::BodyKind::Blocks(blocks) => {
                ir::BodyKind::Blocks(blocks.iter().map(|blk| self.block(blk)).collect())
            }
        };
        self.pop_scope(true);
        ir::Body { lets, kind }
    }

    fn block(&mut self, b: &ast::Block) -> ir::Block {
        match b {
            ast::Block::For {
                var,
                collection,
                filter,
                body,
                ..
            } => {
                let (coll, cty) = self.expr(collection);
                let elem = match cty.base() {
                    Ty::List(inner) => (**inner).clone(),
                    Ty::Error => Ty::Error,
                    other => {
                        let shown = other.show(&self.schema).to_string();
                        let text = self.sources.slice(collection.span).to_owned();
                        self.error(
                            Diagnostic::error(
                                Code::Type,
                                collection.span,
                                format!("`for` needs a list, but `{text}` is a {shown}"),
                            )
                            .with_help("use `when` for a single condition"),
                        );
                        Ty::Error
                    }
                };
                self.push_scope();
                let slot = self.bind(&var.name, elem, var.span);
                let filter = filter.as_ref().map(|f| {
                    let node = self.condition(f);
                    self.warn_if_constant(&node);
                    node
                });
                let body = self.body(body);
                self.pop_scope(true);
                ir::Block::For {
                    slot,
                    var: var.name.clone(),
                    collection: coll,
                    filter,
                    body,
                }
            }
            ast::Block::When {
                condition, body, ..
            } => {
                let outer = self.facts.replace(Vec::new());
                let node = self.condition(condition);
                let facts = std::mem::replace(&mut self.facts, outer).unwrap_or_default();
                self.warn_if_constant(&node);
                let body = self.body(body);
                ir::Block::When {
                    condition: node,
                    facts,
                    body,
                }
            }
        }
    }

    fn action(&mut self, a: &ast::Action) -> ir::Action {
        let report = self.message(&a.report);
        let fixes = a
            .fixes
            .iter()
            .map(|f| (self.fix_kind(&f.kind), self.message(&f.message)))
            .collect();
        ir::Action { report, fixes }
    }

    fn fix_kind(&mut self, kind: &ast::Ident) -> String {
        if !FIX_KINDS.contains(&kind.name.as_str()) {
            let mut d = Diagnostic::error(
                Code::UnknownName,
                kind.span,
                format!("`{}` is not a kind of fix", kind.name),
            );
            d = match did_you_mean(&kind.name, FIX_KINDS) {
                Some(h) => d.with_help(h),
                None => {
                    d.with_help("fixes are `text`, `powershell`, `reg`, `dism` or `dockerfile`")
                }
            };
            self.error(d);
        }
        kind.name.clone()
    }

    fn message(&mut self, m: &ast::Message) -> ir::Message {
        let parts = m
            .parts
            .iter()
            .map(|p| match p {
                ast::MessagePart::Literal(s) => ir::Part::Literal(s.clone()),
                ast::MessagePart::Expr(e) => ir::Part::Expr(self.expr(e).0),
            })
            .collect();
        ir::Message { parts }
    }

    fn advisory(&mut self, a: &ast::AdvisoryDecl, pack: &str, program: &mut Program) {
        let derived = a.cvss.as_ref().map(|c| Severity::from_cvss(c.score));
        let meta = self.meta(&a.id, &a.meta, pack, "advisory", derived);
        if let Some(c) = &a.cvss {
            if !(0.0..=10.0).contains(&c.score) {
                self.error(Diagnostic::error(
                    Code::BadLiteral,
                    c.score_span,
                    "a CVSS score is between 0.0 and 10.0",
                ));
            }
            if let Some(v) = &c.vector
                && !v.value.starts_with("CVSS:")
                && !v.value.starts_with("AV:")
            {
                self.error(
                    Diagnostic::error(
                        Code::BadLiteral,
                        v.span,
                        format!("`{}` is not a CVSS vector", v.value),
                    )
                    .with_help(
                        "vectors look like \"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\"",
                    ),
                );
            }
        }
        if a.affects.is_empty() {
            self.error(
                Diagnostic::error(
                    Code::Missing,
                    a.id.span,
                    format!("advisory `{}` affects nothing", a.id.name),
                )
                .with_help(
                    "add a line such as `affects windows 17763 below 2452 fixed_by KB5009557`",
                ),
            );
        }
        let index = u32::try_from(program.advisories.len()).unwrap_or(u32::MAX);
        for affects in &a.affects {
            match affects {
                ast::Affects::Windows {
                    build, below, kb, ..
                } => {
                    if build.0 == 0 {
                        self.error(Diagnostic::error(
                            Code::BadLiteral,
                            build.1,
                            "a Windows build number is never 0",
                        ));
                    }
                    program
                        .index
                        .windows
                        .entry(build.0)
                        .or_default()
                        .push(WindowsEntry {
                            advisory: index,
                            below: below.0,
                            kb: kb.as_ref().map(|k| k.name.to_ascii_uppercase()),
                        });
                }
                ast::Affects::Range {
                    kind,
                    subject,
                    range,
                    fixed_by,
                    ..
                } => {
                    let Some(range_kind) = RangeKind::parse(&kind.name) else {
                        let mut d = Diagnostic::error(
                            Code::UnknownName,
                            kind.span,
                            format!("an advisory cannot affect `{}`", kind.name),
                        );
                        d = match did_you_mean(
                            &kind.name,
                            RangeKind::NAMES.iter().copied().chain(["windows"]),
                        ) {
                            Some(h) => d.with_help(h),
                            None => d.with_help(
                                "advisories affect `windows`, `dotnet`, `nuget` or `file`",
                            ),
                        };
                        self.error(d);
                        continue;
                    };
                    let parsed = match VersionRange::parse(range_kind.version_kind(), &range.value)
                    {
                        Ok(r) => r,
                        Err(e) => {
                            self.error(Diagnostic::error(Code::BadLiteral, range.span, e).with_help("ranges look like \">= 6.0.0, < 6.0.26\"; join alternatives with `||`"));
                            continue;
                        }
                    };
                    if let Some(f) = fixed_by
                        && let Err(e) =
                            winspect_inventory::Version::parse(range_kind.version_kind(), &f.value)
                    {
                        self.error(Diagnostic::error(Code::BadLiteral, f.span, e.to_string()));
                    }
                    program.index.add_range(
                        range_kind,
                        RangeEntry {
                            advisory: index,
                            subject: subject.value.clone(),
                            range: parsed,
                            fixed_by: fixed_by.as_ref().map(|f| f.value.clone()),
                        },
                    );
                }
            }
        }
        let mut fixes = Vec::new();
        for f in &a.fixes {
            let kind = self.fix_kind(&f.kind);
            if f.message
                .parts
                .iter()
                .any(|p| matches!(p, ast::MessagePart::Expr(_)))
            {
                self.error(
                    Diagnostic::error(
                        Code::Syntax,
                        f.message.text.span,
                        "advisory fixes are plain text: they cannot interpolate `{...}`",
                    )
                    .with_help("write `{{` for a literal brace"),
                );
            }
            let text = f
                .message
                .parts
                .iter()
                .filter_map(|p| match p {
                    ast::MessagePart::Literal(s) => Some(s.as_str()),
                    ast::MessagePart::Expr(_) => None,
                })
                .collect::<String>();
            fixes.push((kind, text));
        }
        program.advisories.push(ir::Advisory {
            meta,
            cvss: a.cvss.as_ref().map(|c| c.score),
            cvss_vector: a
                .cvss
                .as_ref()
                .and_then(|c| c.vector.as_ref())
                .map(|v| v.value.clone()),
            published: a.published.map(|(d, _)| d),
            exploited: a.exploited.map(|(e, _)| e).unwrap_or(false),
            fixes,
        });
    }

    fn policy(
        &mut self,
        p: &ast::PolicyDecl,
        ids: &HashMap<String, Span>,
        packs: &[String],
        today: Option<Date>,
    ) -> Option<ir::Policy> {
        self.context = Context::Policy;
        let mut policy = ir::Policy {
            name: p.name.name.clone(),
            uses: Vec::new(),
            verdicts: Vec::new(),
            waivers: Vec::new(),
        };
        let mut waived: HashMap<String, Span> = HashMap::new();
        for item in &p.items {
            match item {
                ast::PolicyItem::Uses { packs: used, span } => {
                    if !policy.uses.is_empty() {
                        self.error(Diagnostic::error(
                            Code::Duplicate,
                            *span,
                            "`uses` is given twice",
                        ));
                    }
                    for name in used {
                        if !packs.contains(&name.value) {
                            let mut d = Diagnostic::error(
                                Code::UnknownName,
                                name.span,
                                format!("no pack is named `{}`", name.value),
                            );
                            if let Some(h) =
                                did_you_mean(&name.value, packs.iter().map(String::as_str))
                            {
                                d = d.with_help(h);
                            }
                            self.error(d);
                        }
                        policy.uses.push(name.value.clone());
                    }
                }
                ast::PolicyItem::Verdict(v) => {
                    self.next_slot = 0;
                    self.push_scope();
                    let condition = self.condition(&v.condition);
                    self.pop_scope(true);
                    self.warn_if_constant(&condition);
                    policy.verdicts.push(ir::Verdict {
                        kind: v.kind,
                        condition,
                        because: v.because.as_ref().map(|b| b.value.clone()),
                        slots: self.next_slot,
                    });
                }
                ast::PolicyItem::Waive(w) => {
                    if !ids.contains_key(&w.id.name) {
                        let mut d = Diagnostic::error(
                            Code::UnknownName,
                            w.id.span,
                            format!("no rule or advisory is named `{}`", w.id.name),
                        );
                        if let Some(h) = did_you_mean(&w.id.name, ids.keys().map(String::as_str)) {
                            d = d.with_help(h);
                        }
                        self.error(d);
                    }
                    if let Some(previous) = waived.insert(w.id.name.clone(), w.span) {
                        let at = self.sources.location(previous);
                        self.error(Diagnostic::error(
                            Code::Duplicate,
                            w.span,
                            format!("`{}` is waived twice (also at {at})", w.id.name),
                        ));
                    }
                    if today.is_some_and(|t| w.until.0 < t) {
                        self.diags.push(
                            Diagnostic::warning(
                                Code::Expired,
                                w.until.1,
                                format!("the waiver of `{}` expired on {}", w.id.name, w.until.0),
                            )
                            .with_help(
                                "it no longer applies: renew it with a new date or remove it",
                            ),
                        );
                    }
                    if w.because.value.trim().is_empty() {
                        self.error(Diagnostic::error(
                            Code::Missing,
                            w.because.span,
                            "a waiver needs a reason",
                        ));
                    }
                    policy.waivers.push(ir::Waiver {
                        id: w.id.name.clone(),
                        until: w.until.0,
                        because: w.because.value.clone(),
                    });
                }
            }
        }
        Some(policy)
    }

    fn test(
        &mut self,
        t: &ast::TestDecl,
        file: FileId,
        pack: usize,
        parsed: &[(FileId, FileRole, Vec<Item>)],
        options: &CheckOptions<'_>,
    ) -> Option<TestCase> {
        let file_path = self
            .sources
            .file(file)
            .map(|f| f.path.clone())
            .unwrap_or_default();
        let inventory = match &t.inventory {
            ast::TestInventory::Inline { json, span } => match Inventory::from_json(json) {
                Ok(inv) => Some(inv),
                Err(e) => {
                    self.error(Diagnostic::error(
                        Code::TestInventory,
                        *span,
                        format!("this inventory cannot be read: {e}"),
                    ));
                    None
                }
            },
            ast::TestInventory::File(path) => match options.load_inventory {
                Some(load) => match load(&file_path, &path.value) {
                    Ok(text) => match Inventory::from_json(&text) {
                        Ok(inv) => Some(inv),
                        Err(e) => {
                            self.error(Diagnostic::error(
                                Code::TestInventory,
                                path.span,
                                format!("`{}` cannot be read as an inventory: {e}", path.value),
                            ));
                            None
                        }
                    },
                    Err(e) => {
                        self.error(Diagnostic::error(
                            Code::TestInventory,
                            path.span,
                            format!("`{}` cannot be read: {e}", path.value),
                        ));
                        None
                    }
                },
                None => {
                    self.error(Diagnostic::error(
                        Code::TestInventory,
                        path.span,
                        "inventory files cannot be read here",
                    ));
                    None
                }
            },
        };
        let pack_ids: HashSet<&str> = parsed
            .iter()
            .filter(|(_, role, _)| *role == FileRole::Pack(pack))
            .flat_map(|(_, _, items)| items.iter())
            .filter_map(|i| match i {
                Item::Rule(r) => Some(r.id.name.as_str()),
                Item::Advisory(a) => Some(a.id.name.as_str()),
                _ => None,
            })
            .collect();
        let mut expectations = Vec::new();
        let mut nothing = None;
        for e in &t.expectations {
            match e {
                ast::Expectation::Nothing(span) => nothing = Some(*span),
                ast::Expectation::Finding { rule, message, .. } => {
                    if !pack_ids.contains(rule.name.as_str()) {
                        let mut d = Diagnostic::error(
                            Code::UnknownName,
                            rule.span,
                            format!("this pack has no rule or advisory `{}`", rule.name),
                        );
                        if let Some(h) = did_you_mean(&rule.name, pack_ids.iter().copied()) {
                            d = d.with_help(h);
                        }
                        self.error(d);
                    }
                    expectations.push(TestExpectation {
                        rule: rule.name.clone(),
                        message: message.as_ref().map(|m| m.value.clone()),
                    });
                }
            }
        }
        match (nothing, expectations.is_empty()) {
            (Some(span), false) => self.error(Diagnostic::error(Code::Syntax, span, "`expect nothing` cannot be combined with other expectations")),
            (None, true) => self.error(
                Diagnostic::error(Code::Missing, t.name.span, format!("test `{}` expects nothing", t.name.value))
                    .with_help("add `expect RULE-ID \"message\"` lines, or `expect nothing` for a clean inventory"),
            ),
            _ => {}
        }
        Some(TestCase {
            pack: self_pack_name(parsed, pack),
            pack_index: pack,
            name: t.name.value.clone(),
            location: self.sources.location(t.name.span),
            inventory: inventory?,
            now: t.now.map(|(d, _)| d),
            expectations,
        })
    }
}

fn self_pack_name(parsed: &[(FileId, FileRole, Vec<Item>)], pack: usize) -> String {
    parsed
        .iter()
        .filter(|(_, role, _)| *role == FileRole::Pack(pack))
        .flat_map(|(_, _, items)| items.iter())
        .find_map(|i| match i {
            Item::Pack(p) => Some(p.name.value.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

fn is_root_path(node: &Node) -> bool {
    match &node.kind {
        NodeKind::Root => true,
        NodeKind::Field(base, _) => is_root_path(base),
        _ => false,
    }
}

fn same_path(a: &Node, b: &Node) -> bool {
    match (&a.kind, &b.kind) {
        (NodeKind::Root, NodeKind::Root) => true,
        (NodeKind::Local(x), NodeKind::Local(y)) => x == y,
        (NodeKind::Field(x, i), NodeKind::Field(y, j)) => i == j && same_path(x, y),
        _ => false,
    }
}
