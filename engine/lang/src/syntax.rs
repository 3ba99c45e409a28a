//! From text to the syntax tree: pest grammar, error recovery and limits.
//!
//! A file is parsed one item at a time: after a syntax error the parser
//! skips to the next line that starts an item (`rule`, `advisory`, ...) at
//! column 0, so one run reports the syntax errors of every item. Nesting is
//! limited before pest sees the text, so no input can exhaust the stack.

pub mod ast;

use std::cell::RefCell;
use std::sync::{LazyLock, Once};

use pest::Parser as _;
use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};
use winspect_inventory::Date;

use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, Span};
use ast::*;

#[derive(pest_derive::Parser)]
#[grammar = "grammar.pest"]
struct Grammar;

/// Brackets (`(`, `[`, `{`) may nest this deep.
pub const MAX_NESTING: usize = 32;
/// An expression tree may be this deep (long `and`/`or` chains are flat).
pub const MAX_EXPR_DEPTH: usize = 96;
/// `not` and `-` may repeat this many times in a row.
const MAX_PREFIX_RUN: usize = 8;
/// Bound on pest's rule calls per parse, so no input makes it backtrack for long.
const PEST_CALL_LIMIT: usize = 50_000_000;

/// The items of one file and the problems found while reading it.
#[derive(Debug, Default)]
pub struct Parsed {
    pub items: Vec<Item>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses one file. Never panics, whatever the text.
pub fn parse_file(file: FileId, text: &str) -> Parsed {
    static LIMIT: Once = Once::new();
    LIMIT.call_once(|| pest::set_call_limit(std::num::NonZeroUsize::new(PEST_CALL_LIMIT)));

    let mut parsed = Parsed::default();
    if let Some(d) = check_nesting(file, text) {
        parsed.diagnostics.push(d);
        return parsed;
    }
    let mut pos = 0usize;
    while let Some(rest) = text.get(pos..) {
        if only_trivia(rest) {
            break;
        }
        match Grammar::parse(Rule::item_entry, rest) {
            Ok(mut pairs) => {
                let Some(entry) = pairs.next() else { break };
                let end = entry.as_span().end();
                let builder = Builder::new(file, pos);
                if let Some(item) = entry.into_inner().find(|p| p.as_rule() != Rule::EOI)
                    && let Some(item) = builder.item(item)
                {
                    parsed.items.push(item);
                }
                parsed.diagnostics.extend(builder.diagnostics.into_inner());
                if end == 0 {
                    break;
                }
                pos += end;
            }
            Err(error) => {
                let (d, at) = syntax_error(file, pos, rest, &error);
                parsed.diagnostics.push(d);
                match next_item_start(text, at + 1) {
                    Some(next) => pos = next,
                    None => break,
                }
            }
        }
    }
    parsed
}

/// Whether `text` holds only what the grammar skips between items:
/// whitespace (`WHITESPACE`) and `#` comments (`COMMENT`).
///
/// Not asked of pest: its failed parse (the usual case, before every item)
/// builds an error whose line look-up walks the input back from its end,
/// which made parsing a file quadratic in its length.
fn only_trivia(text: &str) -> bool {
    let mut rest = text;
    // Each turn consumes a `#`, so this ends within `text.len()` turns.
    loop {
        rest = rest.trim_start_matches([' ', '\t', '\r', '\n', '\u{FEFF}']);
        match rest.strip_prefix('#') {
            Some(comment) => rest = comment.split_once('\n').map_or("", |(_, after)| after),
            None => return rest.is_empty(),
        }
    }
}

/// Parses a lone expression (for `winspect eval --expr` style uses and tests).
pub fn parse_expr(file: FileId, text: &str) -> Result<Expr, Vec<Diagnostic>> {
    if let Some(d) = check_nesting(file, text) {
        return Err(vec![d]);
    }
    match Grammar::parse(Rule::interpolation, text) {
        Ok(mut pairs) => {
            let builder = Builder::new(file, 0);
            let expr = pairs
                .next()
                .and_then(|p| p.into_inner().find(|p| p.as_rule() == Rule::expr))
                .and_then(|p| builder.expr(p));
            let diags = builder.diagnostics.into_inner();
            match expr {
                Some(e) if diags.is_empty() => Ok(e),
                _ => Err(diags),
            }
        }
        Err(e) => Err(vec![syntax_error(file, 0, text, &e).0]),
    }
}

/// Rejects text whose brackets nest deeper than [`MAX_NESTING`], skipping
/// strings and comments, before a recursive-descent parser sees it.
fn check_nesting(file: FileId, text: &str) -> Option<Diagnostic> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0usize;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'#' => {
                while bytes.get(i).is_some_and(|&c| c != b'\n') {
                    i += 1;
                }
            }
            b'"' => {
                let raw = i > 0
                    && bytes.get(i - 1) == Some(&b'r')
                    && !bytes
                        .get(i.wrapping_sub(2))
                        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_');
                i += 1;
                while let Some(&c) = bytes.get(i) {
                    if c == b'"' || c == b'\n' {
                        break;
                    }
                    if c == b'\\' && !raw {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(
                        Diagnostic::error(
                            Code::TooDeep,
                            Span::new(file, i, i + 1),
                            format!("brackets nest deeper than {MAX_NESTING} levels"),
                        )
                        .with_help("split the expression with `let` bindings"),
                    );
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// The next line at or after `from` that starts an item at column 0.
fn next_item_start(text: &str, from: usize) -> Option<usize> {
    const STARTS: [&str; 7] = [
        "rule", "advisory", "policy", "test", "let", "pack", "plugin",
    ];
    let mut offset = 0usize;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        if start < from {
            continue;
        }
        for kw in STARTS {
            if let Some(after) = line.strip_prefix(kw)
                && after.starts_with([' ', '\t'])
            {
                return Some(start);
            }
        }
    }
    None
}

/// Converts a pest error into our diagnostic; returns it with the absolute
/// offset of the error.
fn syntax_error(
    file: FileId,
    base: usize,
    rest: &str,
    error: &pest::error::Error<Rule>,
) -> (Diagnostic, usize) {
    use pest::error::{ErrorVariant, InputLocation};
    let at = match error.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let found = describe_token(rest.get(at..).unwrap_or(""));
    let message = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            let mut names: Vec<&str> = positives.iter().map(|r| rule_name(*r)).collect();
            names.sort_unstable();
            names.dedup();
            match names.as_slice() {
                [] => format!("unexpected {found}"),
                [one] => format!("expected {one}, found {found}"),
                [init @ .., last] => {
                    format!("expected {} or {last}, found {found}", init.join(", "))
                }
            }
        }
        ErrorVariant::CustomError { message } => message.clone(),
    };
    let len = rest
        .get(at..)
        .and_then(|s| s.chars().next())
        .map(char::len_utf8)
        .unwrap_or(0);
    let span = Span::new(file, base + at, base + at + len);
    (Diagnostic::error(Code::Syntax, span, message), base + at)
}

fn describe_token(rest: &str) -> String {
    let word: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .take(30)
        .collect();
    if !word.is_empty() {
        return format!("`{word}`");
    }
    match rest.chars().next() {
        None => "the end of the file".to_owned(),
        Some('\n') => "the end of the line".to_owned(),
        Some(c) => format!("`{c}`"),
    }
}

/// The words the "expected ..." messages use for each grammar rule.
fn rule_name(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI => "the end of the file",
        Rule::item_entry
        | Rule::pack_decl
        | Rule::let_decl
        | Rule::rule_decl
        | Rule::advisory_decl
        | Rule::policy_decl
        | Rule::plugin_decl
        | Rule::test_decl => {
            "an item (`pack`, `let`, `plugin`, `rule`, `advisory`, `policy` or `test`)"
        }
        Rule::ident | Rule::binder => "a name",
        Rule::field_name => "a field name",
        Rule::rule_id => "an id such as `IIS-0001`",
        Rule::string
        | Rule::raw_string
        | Rule::string_body
        | Rule::squote_body
        | Rule::raw_body
        | Rule::raw_body_hash => "a string",
        Rule::text_list => "a list of strings",
        Rule::date => "a date (YYYY-MM-DD)",
        Rule::duration => "a duration such as `30d`",
        Rule::number | Rule::json_number => "a number",
        Rule::integer => "a whole number",
        Rule::boolean => "`true` or `false`",
        Rule::kb => "a KB number such as `KB5009557`",
        Rule::expr
        | Rule::primary
        | Rule::paren
        | Rule::list
        | Rule::call
        | Rule::quantifier
        | Rule::quantifier_kind
        | Rule::op_not
        | Rule::op_neg
        | Rule::interpolation => "an expression",
        Rule::member => "`.field`",
        Rule::op_or
        | Rule::op_and
        | Rule::op_in
        | Rule::op_not_in
        | Rule::op_matches
        | Rule::op_glob
        | Rule::op_contains
        | Rule::op_starts_with
        | Rule::op_ends_with
        | Rule::op_eq
        | Rule::op_ne
        | Rule::op_le
        | Rule::op_ge
        | Rule::op_lt
        | Rule::op_gt
        | Rule::op_add
        | Rule::op_sub
        | Rule::op_mul
        | Rule::op_div
        | Rule::infix => "an operator",
        Rule::meta_title => "`title`",
        Rule::meta_description => "`description`",
        Rule::meta_severity => "`severity`",
        Rule::meta_tags => "`tags`",
        Rule::meta_controls => "`controls`",
        Rule::meta_references => "`references`",
        Rule::body | Rule::action | Rule::report => "`report`",
        Rule::for_block | Rule::kw_for => "`for`",
        Rule::when_block | Rule::kw_when => "`when`",
        Rule::fix | Rule::kw_fix => "`fix`",
        Rule::cvss => "`cvss`",
        Rule::kw_plugin => "`plugin`",
        Rule::plugin_field | Rule::plugin_key => "`path` or `sha256`",
        Rule::plugin_check | Rule::kw_check => "`check`",
        Rule::plugin_call => "an expression",
        Rule::published => "`published`",
        Rule::exploited => "`exploited`",
        Rule::affects | Rule::kw_affects => "`affects`",
        Rule::affects_windows | Rule::affects_range => {
            "what it affects (`windows`, `dotnet`, `nuget` or `file`)"
        }
        Rule::uses | Rule::kw_uses => "`uses`",
        Rule::verdict | Rule::verdict_kind => "`deny`, `warn` or `info`",
        Rule::waive | Rule::kw_waive => "`waive`",
        Rule::test_inventory | Rule::kw_inventory => "`inventory`",
        Rule::test_now | Rule::kw_now => "`now`",
        Rule::expectation | Rule::kw_expect => "`expect`",
        Rule::json_object => "a JSON object",
        Rule::json_array | Rule::json_atom => "a JSON value",
        Rule::kw_pack => "`pack`",
        Rule::kw_version => "`version`",
        Rule::kw_requires => "`requires`",
        Rule::kw_winspect => "`winspect`",
        Rule::kw_let => "`let`",
        Rule::kw_rule => "`rule`",
        Rule::kw_advisory => "`advisory`",
        Rule::kw_policy => "`policy`",
        Rule::kw_test => "`test`",
        Rule::kw_in => "`in`",
        Rule::kw_where => "`where`",
        Rule::kw_report => "`report`",
        Rule::kw_below => "`below`",
        Rule::kw_fixed_by => "`fixed_by`",
        Rule::kw_until => "`until`",
        Rule::kw_because => "`because`",
        Rule::kw_nothing => "`nothing`",
        Rule::kw_file => "`file`",
        Rule::keyword => "a keyword",
        _ => "more input",
    }
}

static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::op_or, Assoc::Left))
        .op(Op::infix(Rule::op_and, Assoc::Left))
        .op(Op::prefix(Rule::op_not))
        .op(Op::infix(Rule::op_eq, Assoc::Left)
            | Op::infix(Rule::op_ne, Assoc::Left)
            | Op::infix(Rule::op_lt, Assoc::Left)
            | Op::infix(Rule::op_le, Assoc::Left)
            | Op::infix(Rule::op_gt, Assoc::Left)
            | Op::infix(Rule::op_ge, Assoc::Left)
            | Op::infix(Rule::op_in, Assoc::Left)
            | Op::infix(Rule::op_not_in, Assoc::Left)
            | Op::infix(Rule::op_matches, Assoc::Left)
            | Op::infix(Rule::op_glob, Assoc::Left)
            | Op::infix(Rule::op_contains, Assoc::Left)
            | Op::infix(Rule::op_starts_with, Assoc::Left)
            | Op::infix(Rule::op_ends_with, Assoc::Left))
        .op(Op::infix(Rule::op_add, Assoc::Left) | Op::infix(Rule::op_sub, Assoc::Left))
        .op(Op::infix(Rule::op_mul, Assoc::Left) | Op::infix(Rule::op_div, Assoc::Left))
        .op(Op::prefix(Rule::op_neg))
        .op(Op::postfix(Rule::member))
});

/// An expression under construction, with its depth so limits can be
/// enforced without recursing over a tree that may already be too deep.
struct Built {
    expr: Expr,
    depth: usize,
}

/// Builds syntax nodes from pest pairs of one item. Pairs carry offsets
/// relative to where the item's parse started; `base` makes them absolute.
struct Builder {
    file: FileId,
    base: usize,
    diagnostics: RefCell<Vec<Diagnostic>>,
}

impl Builder {
    fn new(file: FileId, base: usize) -> Builder {
        Builder {
            file,
            base,
            diagnostics: RefCell::new(Vec::new()),
        }
    }

    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.file, self.base + s.start(), self.base + s.end())
    }

    fn report(&self, d: Diagnostic) {
        self.diagnostics.borrow_mut().push(d);
    }

    fn ident(&self, pair: Pair<'_, Rule>) -> Ident {
        Ident {
            span: self.span(&pair),
            name: pair.as_str().to_owned(),
        }
    }

    fn item(&self, pair: Pair<'_, Rule>) -> Option<Item> {
        Some(match pair.as_rule() {
            Rule::pack_decl => Item::Pack(self.pack(pair)?),
            Rule::let_decl => Item::Let(self.let_decl(pair)?),
            Rule::plugin_decl => Item::Plugin(self.plugin(pair)?),
            Rule::rule_decl => Item::Rule(self.rule(pair)?),
            Rule::advisory_decl => Item::Advisory(self.advisory(pair)?),
            Rule::policy_decl => Item::Policy(self.policy(pair)?),
            Rule::test_decl => Item::Test(self.test(pair)?),
            _ => return None,
        })
    }

    fn pack(&self, pair: Pair<'_, Rule>) -> Option<PackDecl> {
        let span = self.span(&pair);
        let mut texts = pair.into_inner().filter(|p| is_text(p.as_rule()));
        let name = self.text(texts.next()?);
        let version = self.text(texts.next()?);
        let requires = texts.next().map(|p| self.text(p));
        Some(PackDecl {
            name,
            version,
            requires,
            span,
        })
    }

    fn let_decl(&self, pair: Pair<'_, Rule>) -> Option<LetDecl> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner().filter(|p| p.as_rule() != Rule::kw_let);
        let name = self.ident(inner.next()?);
        let value = self.expr(inner.next()?)?;
        Some(LetDecl { name, value, span })
    }

    fn plugin(&self, pair: Pair<'_, Rule>) -> Option<PluginDecl> {
        let span = self.span(&pair);
        let mut decl = PluginDecl {
            name: Ident {
                name: String::new(),
                span,
            },
            path: None,
            sha256: None,
            span,
        };
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => decl.name = self.ident(p),
                Rule::plugin_field => {
                    let fspan = self.span(&p);
                    let mut inner = p.into_inner();
                    let key = inner.next()?.as_str().to_owned();
                    let value = self.text(inner.next()?);
                    let slot = if key == "path" {
                        &mut decl.path
                    } else {
                        &mut decl.sha256
                    };
                    if slot.replace(value).is_some() {
                        self.duplicate(fspan, &key);
                    }
                }
                _ => {}
            }
        }
        Some(decl)
    }

    fn rule(&self, pair: Pair<'_, Rule>) -> Option<RuleDecl> {
        let span = self.span(&pair);
        let mut id = None;
        let mut meta = Meta::default();
        let mut body = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::rule_id => id = Some(self.ident(p)),
                Rule::body => body = Some(self.body(p)?),
                _ => {
                    self.meta(&mut meta, p);
                }
            }
        }
        Some(RuleDecl {
            id: id?,
            meta,
            body: body?,
            span,
        })
    }

    /// Reads one metadata entry; returns false if `pair` is not metadata.
    fn meta(&self, meta: &mut Meta, pair: Pair<'_, Rule>) -> bool {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let keyword = match rule {
            Rule::meta_title => "title",
            Rule::meta_description => "description",
            Rule::meta_severity => "severity",
            Rule::meta_tags => "tags",
            Rule::meta_controls => "controls",
            Rule::meta_references => "references",
            _ => return false,
        };
        let Some(value) = pair.into_inner().next() else {
            return true;
        };
        let repeated = match rule {
            Rule::meta_title => meta.title.replace(self.text(value)).is_some(),
            Rule::meta_description => meta.description.replace(self.text(value)).is_some(),
            Rule::meta_severity => meta.severity.replace(self.ident(value)).is_some(),
            Rule::meta_tags => set_list(&mut meta.tags, self.text_list(value)),
            Rule::meta_controls => set_list(&mut meta.controls, self.text_list(value)),
            _ => set_list(&mut meta.references, self.text_list(value)),
        };
        if repeated {
            self.report(
                Diagnostic::error(Code::Duplicate, span, format!("`{keyword}` is given twice"))
                    .with_help("keep one; the later one would silently win"),
            );
        }
        true
    }

    fn text_list(&self, pair: Pair<'_, Rule>) -> Vec<Text> {
        pair.into_inner().map(|p| self.text(p)).collect()
    }

    fn body(&self, pair: Pair<'_, Rule>) -> Option<Body> {
        let mut lets = Vec::new();
        let mut blocks = Vec::new();
        let mut action = None;
        let mut check = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::let_decl => lets.push(self.let_decl(p)?),
                Rule::action => action = Some(self.action(p)?),
                Rule::plugin_check => {
                    let name = p.into_inner().find(|q| q.as_rule() == Rule::ident)?;
                    check = Some(self.ident(name));
                }
                Rule::for_block => blocks.push(self.for_block(p)?),
                Rule::when_block => blocks.push(self.when_block(p)?),
                _ => {}
            }
        }
        let kind = match (action, check) {
            (Some(a), _) => BodyKind::Action(a),
            (None, Some(c)) => BodyKind::Check(c),
            (None, None) => BodyKind::Blocks(blocks),
        };
        Some(Body { lets, kind })
    }

    fn for_block(&self, pair: Pair<'_, Rule>) -> Option<Block> {
        let span = self.span(&pair);
        let mut var = None;
        let mut exprs = Vec::new();
        let mut body = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => var = Some(self.ident(p)),
                Rule::expr => exprs.push(self.expr(p)?),
                Rule::body => body = Some(self.body(p)?),
                _ => {}
            }
        }
        let mut exprs = exprs.into_iter();
        Some(Block::For {
            var: var?,
            collection: exprs.next()?,
            filter: exprs.next(),
            body: body?,
            span,
        })
    }

    fn when_block(&self, pair: Pair<'_, Rule>) -> Option<Block> {
        let span = self.span(&pair);
        let mut condition = None;
        let mut body = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::expr => condition = Some(self.expr(p)?),
                Rule::body => body = Some(self.body(p)?),
                _ => {}
            }
        }
        Some(Block::When {
            condition: condition?,
            body: body?,
            span,
        })
    }

    fn action(&self, pair: Pair<'_, Rule>) -> Option<Action> {
        let span = self.span(&pair);
        let mut report = None;
        let mut fixes = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::report => {
                    let text = p.into_inner().find(|p| is_text(p.as_rule()))?;
                    report = Some(self.message(text));
                }
                Rule::fix => fixes.push(self.fix(p)?),
                _ => {}
            }
        }
        Some(Action {
            report: report?,
            fixes,
            span,
        })
    }

    fn fix(&self, pair: Pair<'_, Rule>) -> Option<Fix> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner().filter(|p| p.as_rule() != Rule::kw_fix);
        let kind = self.ident(inner.next()?);
        let message = self.message(inner.next()?);
        Some(Fix {
            kind,
            message,
            span,
        })
    }

    fn advisory(&self, pair: Pair<'_, Rule>) -> Option<AdvisoryDecl> {
        let span = self.span(&pair);
        let mut adv = AdvisoryDecl {
            id: Ident {
                name: String::new(),
                span,
            },
            meta: Meta::default(),
            cvss: None,
            published: None,
            exploited: None,
            affects: Vec::new(),
            fixes: Vec::new(),
            span,
        };
        for p in pair.into_inner() {
            let pspan = self.span(&p);
            match p.as_rule() {
                Rule::rule_id => adv.id = self.ident(p),
                Rule::cvss => {
                    let mut inner = p.into_inner();
                    let score_pair = inner.next()?;
                    let score_span = self.span(&score_pair);
                    let score = score_pair.as_str().parse::<f64>().unwrap_or(f64::NAN);
                    let vector = inner.next().map(|v| self.text(v));
                    let cvss = Cvss {
                        score,
                        score_span,
                        vector,
                        span: pspan,
                    };
                    if adv.cvss.replace(cvss).is_some() {
                        self.duplicate(pspan, "cvss");
                    }
                }
                Rule::published => {
                    let date = self.date(p.into_inner().next()?)?;
                    if adv.published.replace(date).is_some() {
                        self.duplicate(pspan, "published");
                    }
                }
                Rule::exploited => {
                    let flag = p.into_inner().next()?.as_str() == "true";
                    if adv.exploited.replace((flag, pspan)).is_some() {
                        self.duplicate(pspan, "exploited");
                    }
                }
                Rule::affects => adv.affects.push(self.affects(p)?),
                Rule::fix => adv.fixes.push(self.fix(p)?),
                _ => {
                    self.meta(&mut adv.meta, p);
                }
            }
        }
        Some(adv)
    }

    fn duplicate(&self, span: Span, keyword: &str) {
        self.report(Diagnostic::error(
            Code::Duplicate,
            span,
            format!("`{keyword}` is given twice"),
        ));
    }

    fn affects(&self, pair: Pair<'_, Rule>) -> Option<Affects> {
        let span = self.span(&pair);
        let target = pair
            .into_inner()
            .find(|p| p.as_rule() != Rule::kw_affects)?;
        match target.as_rule() {
            Rule::affects_windows => {
                let mut ints = Vec::new();
                let mut kb = None;
                for p in target.into_inner() {
                    match p.as_rule() {
                        Rule::integer => ints.push(self.u32_literal(p)?),
                        Rule::kb => kb = Some(self.ident(p)),
                        _ => {}
                    }
                }
                let mut ints = ints.into_iter();
                Some(Affects::Windows {
                    build: ints.next()?,
                    below: ints.next()?,
                    kb,
                    span,
                })
            }
            _ => {
                let mut inner = target
                    .into_inner()
                    .filter(|p| p.as_rule() != Rule::kw_fixed_by);
                let kind = self.ident(inner.next()?);
                let subject = self.text(inner.next()?);
                let range = self.text(inner.next()?);
                let fixed_by = inner.next().map(|p| self.text(p));
                Some(Affects::Range {
                    kind,
                    subject,
                    range,
                    fixed_by,
                    span,
                })
            }
        }
    }

    fn u32_literal(&self, pair: Pair<'_, Rule>) -> Option<(u32, Span)> {
        let span = self.span(&pair);
        match pair.as_str().parse::<u32>() {
            Ok(n) => Some((n, span)),
            Err(_) => {
                self.report(Diagnostic::error(
                    Code::BadLiteral,
                    span,
                    format!("`{}` is too large", pair.as_str()),
                ));
                None
            }
        }
    }

    fn policy(&self, pair: Pair<'_, Rule>) -> Option<PolicyDecl> {
        let span = self.span(&pair);
        let mut name = None;
        let mut items = Vec::new();
        for p in pair.into_inner() {
            let pspan = self.span(&p);
            match p.as_rule() {
                Rule::ident => name = Some(self.ident(p)),
                Rule::uses => {
                    let list = p.into_inner().find(|p| p.as_rule() == Rule::text_list)?;
                    items.push(PolicyItem::Uses {
                        packs: self.text_list(list),
                        span: pspan,
                    });
                }
                Rule::verdict => {
                    let mut kind = VerdictKind::Info;
                    let mut condition = None;
                    let mut because = None;
                    for q in p.into_inner() {
                        match q.as_rule() {
                            Rule::verdict_kind => {
                                kind = match q.as_str() {
                                    "deny" => VerdictKind::Deny,
                                    "warn" => VerdictKind::Warn,
                                    _ => VerdictKind::Info,
                                }
                            }
                            Rule::expr => condition = Some(self.expr(q)?),
                            r if is_text(r) => because = Some(self.text(q)),
                            _ => {}
                        }
                    }
                    items.push(PolicyItem::Verdict(Verdict {
                        kind,
                        condition: condition?,
                        because,
                        span: pspan,
                    }));
                }
                Rule::waive => {
                    let mut id = None;
                    let mut until = None;
                    let mut because = None;
                    for q in p.into_inner() {
                        match q.as_rule() {
                            Rule::rule_id => id = Some(self.ident(q)),
                            Rule::date => until = Some(self.date(q)?),
                            r if is_text(r) => because = Some(self.text(q)),
                            _ => {}
                        }
                    }
                    items.push(PolicyItem::Waive(Waiver {
                        id: id?,
                        until: until?,
                        because: because?,
                        span: pspan,
                    }));
                }
                _ => {}
            }
        }
        Some(PolicyDecl {
            name: name?,
            items,
            span,
        })
    }

    fn test(&self, pair: Pair<'_, Rule>) -> Option<TestDecl> {
        let span = self.span(&pair);
        let mut name = None;
        let mut inventory = None;
        let mut now = None;
        let mut expectations = Vec::new();
        for p in pair.into_inner() {
            let pspan = self.span(&p);
            match p.as_rule() {
                r if is_text(r) => name = Some(self.text(p)),
                Rule::test_inventory => {
                    let value = p.into_inner().find(|q| {
                        matches!(q.as_rule(), Rule::json_object) || is_text(q.as_rule())
                    })?;
                    inventory = Some(if value.as_rule() == Rule::json_object {
                        TestInventory::Inline {
                            span: self.span(&value),
                            json: value.as_str().to_owned(),
                        }
                    } else {
                        TestInventory::File(self.text(value))
                    });
                }
                Rule::test_now => {
                    now = Some(self.date(p.into_inner().find(|q| q.as_rule() == Rule::date)?)?)
                }
                Rule::expectation => {
                    let mut rule = None;
                    let mut message = None;
                    let mut nothing = false;
                    for q in p.into_inner() {
                        match q.as_rule() {
                            Rule::kw_nothing => nothing = true,
                            Rule::rule_id => rule = Some(self.ident(q)),
                            r if is_text(r) => message = Some(self.text(q)),
                            _ => {}
                        }
                    }
                    expectations.push(if nothing {
                        Expectation::Nothing(pspan)
                    } else {
                        Expectation::Finding {
                            rule: rule?,
                            message,
                            span: pspan,
                        }
                    });
                }
                _ => {}
            }
        }
        Some(TestDecl {
            name: name?,
            inventory: inventory?,
            now,
            expectations,
            span,
        })
    }

    fn date(&self, pair: Pair<'_, Rule>) -> Option<(Date, Span)> {
        let span = self.span(&pair);
        match Date::parse(pair.as_str()) {
            Ok(d) => Some((d, span)),
            Err(_) => {
                self.report(Diagnostic::error(
                    Code::BadLiteral,
                    span,
                    format!("`{}` is not a calendar date", pair.as_str()),
                ));
                None
            }
        }
    }

    /// Decodes a string literal; bad escapes are reported and kept as written.
    fn text(&self, pair: Pair<'_, Rule>) -> Text {
        let span = self.span(&pair);
        let raw = pair.as_rule() == Rule::raw_string;
        let body = pair.into_inner().next();
        let (body_text, body_start) = match &body {
            Some(b) => (b.as_str(), self.base + b.as_span().start()),
            None => ("", span.start as usize),
        };
        let value = if raw {
            body_text.to_owned()
        } else {
            self.unescape(body_text, body_start)
        };
        Text { value, span }
    }

    fn unescape(&self, body: &str, start: usize) -> String {
        let mut out = String::with_capacity(body.len());
        let mut chars = body.char_indices();
        while let Some((i, c)) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            let Some((_, e)) = chars.next() else { break };
            match e {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                '0' => out.push('\0'),
                '\\' | '"' | '\'' | '/' | '{' | '}' => out.push(e),
                'u' => {
                    let hex: String = chars.by_ref().take(4).map(|(_, h)| h).collect();
                    match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                        Some(ch) if hex.len() == 4 => out.push(ch),
                        _ => self.report(
                            Diagnostic::error(
                                Code::BadLiteral,
                                Span::new(self.file, start + i, start + i + 2 + hex.len()),
                                "`\\u` must be followed by four hex digits of a character",
                            )
                            .with_help("write `\\u00e9` for é"),
                        ),
                    }
                }
                other => self.report(
                    Diagnostic::error(
                        Code::BadLiteral,
                        Span::new(self.file, start + i, start + i + 1 + other.len_utf8()),
                        format!("unknown escape `\\{other}`"),
                    )
                    .with_help("use a raw string, r\"C:\\Windows\", for backslashes"),
                ),
            }
        }
        out
    }

    /// A report or fix text: literal pieces and `{expression}` holes.
    /// `{{` and `}}` stand for braces.
    fn message(&self, pair: Pair<'_, Rule>) -> Message {
        let raw = pair.as_rule() == Rule::raw_string;
        let body = pair.clone().into_inner().next();
        let text = self.text(pair);
        let Some(body) = body else {
            return Message {
                text,
                parts: Vec::new(),
            };
        };
        let source = body.as_str();
        let start = self.base + body.as_span().start();
        let decode = |from: usize, to: usize| -> String {
            let piece = source.get(from..to).unwrap_or("");
            if raw {
                piece.to_owned()
            } else {
                self.unescape(piece, start + from)
            }
        };
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut literal_from = 0usize;
        let bytes = source.as_bytes();
        let mut i = 0usize;
        while let Some(&b) = bytes.get(i) {
            let doubled = bytes.get(i + 1) == Some(&b);
            match b {
                b'\\' if !raw => i += 2,
                b'{' | b'}' if doubled => {
                    literal.push_str(&decode(literal_from, i));
                    literal.push(char::from(b));
                    i += 2;
                    literal_from = i;
                }
                b'{' => {
                    literal.push_str(&decode(literal_from, i));
                    let Some(close) = source.get(i + 1..).and_then(|s| s.find('}')) else {
                        self.report(
                            Diagnostic::error(
                                Code::Syntax,
                                Span::new(self.file, start + i, start + i + 1),
                                "`{` opens an interpolation that is never closed",
                            )
                            .with_help("write `{{` for a literal brace"),
                        );
                        literal_from = source.len();
                        break;
                    };
                    if !literal.is_empty() {
                        parts.push(MessagePart::Literal(std::mem::take(&mut literal)));
                    }
                    let inner = source.get(i + 1..i + 1 + close).unwrap_or("");
                    if let Some(expr) = self.interpolation(inner, start + i + 1) {
                        parts.push(MessagePart::Expr(expr));
                    }
                    i += close + 2;
                    literal_from = i;
                }
                b'}' => {
                    self.report(
                        Diagnostic::error(
                            Code::Syntax,
                            Span::new(self.file, start + i, start + i + 1),
                            "`}` closes no interpolation",
                        )
                        .with_help("write `}}` for a literal brace"),
                    );
                    i += 1;
                }
                _ => i += 1,
            }
        }
        literal.push_str(&decode(literal_from.min(source.len()), source.len()));
        if !literal.is_empty() {
            parts.push(MessagePart::Literal(literal));
        }
        Message { text, parts }
    }

    fn interpolation(&self, inner: &str, at: usize) -> Option<Expr> {
        match Grammar::parse(Rule::interpolation, inner) {
            Ok(mut pairs) => {
                let expr = pairs
                    .next()?
                    .into_inner()
                    .find(|p| p.as_rule() == Rule::expr)?;
                let nested = Builder::new(self.file, at);
                let built = nested.expr(expr);
                self.diagnostics
                    .borrow_mut()
                    .extend(nested.diagnostics.into_inner());
                built
            }
            Err(e) => {
                let (d, _) = syntax_error(self.file, at, inner, &e);
                self.report(
                    d.with_help("inside `{...}` write an expression such as `{site.name}`"),
                );
                None
            }
        }
    }

    /// Builds an expression, enforcing the operator and depth limits.
    fn expr(&self, pair: Pair<'_, Rule>) -> Option<Expr> {
        self.expr_built(pair).map(|b| b.expr)
    }

    fn expr_built(&self, pair: Pair<'_, Rule>) -> Option<Built> {
        let span = self.span(&pair);
        let mut run = 0usize;
        for p in pair.clone().into_inner() {
            if matches!(p.as_rule(), Rule::op_not | Rule::op_neg) {
                run += 1;
                if run > MAX_PREFIX_RUN {
                    self.report(Diagnostic::error(
                        Code::TooDeep,
                        span,
                        format!("more than {MAX_PREFIX_RUN} `not` or `-` in a row"),
                    ));
                    return None;
                }
            } else {
                run = 0;
            }
        }
        let built = PRATT
            .map_primary(|p| self.primary(p))
            .map_prefix(|op, rhs| {
                let rhs = rhs?;
                let span = self.span(&op).to(rhs.expr.span);
                let op = if op.as_rule() == Rule::op_not {
                    UnaryOp::Not
                } else {
                    UnaryOp::Neg
                };
                Some(Built {
                    depth: rhs.depth + 1,
                    expr: Expr {
                        kind: ExprKind::Unary(op, Box::new(rhs.expr)),
                        span,
                    },
                })
            })
            .map_postfix(|lhs, op| {
                let lhs = lhs?;
                let name = op.into_inner().next().map(|n| self.ident(n))?;
                let span = lhs.expr.span.to(name.span);
                Some(Built {
                    depth: lhs.depth + 1,
                    expr: Expr {
                        kind: ExprKind::Member(Box::new(lhs.expr), name),
                        span,
                    },
                })
            })
            .map_infix(|lhs, op, rhs| self.infix(lhs?, op, rhs?))
            .parse(pair.into_inner())?;
        if built.depth > MAX_EXPR_DEPTH {
            self.report(
                Diagnostic::error(
                    Code::TooDeep,
                    built.expr.span,
                    format!("expression is nested deeper than {MAX_EXPR_DEPTH} levels"),
                )
                .with_help("split it with `let` bindings"),
            );
            return None;
        }
        Some(built)
    }

    fn infix(&self, lhs: Built, op: Pair<'_, Rule>, rhs: Built) -> Option<Built> {
        let span = lhs.expr.span.to(rhs.expr.span);
        let logic = match op.as_rule() {
            Rule::op_and => Some(LogicOp::And),
            Rule::op_or => Some(LogicOp::Or),
            _ => None,
        };
        if let Some(logic) = logic {
            // Flatten `a and b and c` into one node.
            let depth = lhs.depth.max(rhs.depth + 1);
            let mut operands = match lhs.expr.kind {
                ExprKind::Logic(l, ops) if l == logic => ops,
                other => vec![Expr {
                    kind: other,
                    span: lhs.expr.span,
                }],
            };
            operands.push(rhs.expr);
            return Some(Built {
                depth: depth.max(2),
                expr: Expr {
                    kind: ExprKind::Logic(logic, operands),
                    span,
                },
            });
        }
        let op_kind = match op.as_rule() {
            Rule::op_eq => BinaryOp::Eq,
            Rule::op_ne => BinaryOp::Ne,
            Rule::op_lt => BinaryOp::Lt,
            Rule::op_le => BinaryOp::Le,
            Rule::op_gt => BinaryOp::Gt,
            Rule::op_ge => BinaryOp::Ge,
            Rule::op_in => BinaryOp::In,
            Rule::op_not_in => BinaryOp::NotIn,
            Rule::op_matches => BinaryOp::Matches,
            Rule::op_glob => BinaryOp::Glob,
            Rule::op_contains => BinaryOp::Contains,
            Rule::op_starts_with => BinaryOp::StartsWith,
            Rule::op_ends_with => BinaryOp::EndsWith,
            Rule::op_add => BinaryOp::Add,
            Rule::op_sub => BinaryOp::Sub,
            Rule::op_mul => BinaryOp::Mul,
            _ => BinaryOp::Div,
        };
        if op_kind.is_comparison()
            && let ExprKind::Binary(prev, ..) = &lhs.expr.kind
            && prev.is_comparison()
        {
            self.report(
                Diagnostic::error(
                    Code::Syntax,
                    self.span(&op),
                    format!(
                        "comparisons cannot be chained: `{}` follows `{}`",
                        op_kind.symbol(),
                        prev.symbol()
                    ),
                )
                .with_help("join two comparisons with `and`"),
            );
            return None;
        }
        Some(Built {
            depth: lhs.depth.max(rhs.depth) + 1,
            expr: Expr {
                kind: ExprKind::Binary(op_kind, Box::new(lhs.expr), Box::new(rhs.expr)),
                span,
            },
        })
    }

    fn primary(&self, pair: Pair<'_, Rule>) -> Option<Built> {
        let span = self.span(&pair);
        let leaf = |kind| {
            Some(Built {
                depth: 1,
                expr: Expr { kind, span },
            })
        };
        match pair.as_rule() {
            Rule::boolean => leaf(ExprKind::Bool(pair.as_str() == "true")),
            Rule::number => {
                let s = pair.as_str();
                if s.contains('.') {
                    match s.parse::<f64>() {
                        Ok(f) => leaf(ExprKind::Float(f)),
                        Err(_) => self.bad_number(span, s),
                    }
                } else {
                    match s.parse::<i64>() {
                        Ok(n) => leaf(ExprKind::Int(n)),
                        Err(_) => self.bad_number(span, s),
                    }
                }
            }
            Rule::date => {
                let (date, _) = self.date(pair)?;
                leaf(ExprKind::Date(date))
            }
            Rule::duration => {
                let s = pair.as_str();
                let (digits, unit) = s.split_at(s.len().saturating_sub(1));
                let scale = match unit {
                    "w" => 604_800,
                    "d" => 86_400,
                    "h" => 3_600,
                    "m" => 60,
                    _ => 1,
                };
                match digits
                    .parse::<i64>()
                    .ok()
                    .and_then(|n| n.checked_mul(scale))
                {
                    Some(secs) => leaf(ExprKind::Duration(secs)),
                    None => self.bad_number(span, s),
                }
            }
            Rule::string | Rule::raw_string => {
                let text = self.text(pair);
                leaf(ExprKind::Str(text.value))
            }
            Rule::ident => leaf(ExprKind::Name(pair.as_str().to_owned())),
            Rule::paren => {
                let inner = self.expr_built(pair.into_inner().next()?)?;
                Some(Built {
                    depth: inner.depth + 1,
                    expr: Expr {
                        kind: ExprKind::Paren(Box::new(inner.expr)),
                        span,
                    },
                })
            }
            Rule::list => {
                let mut items = Vec::new();
                let mut depth = 1;
                for p in pair.into_inner() {
                    let item = self.expr_built(p)?;
                    depth = depth.max(item.depth + 1);
                    items.push(item.expr);
                }
                Some(Built {
                    depth,
                    expr: Expr {
                        kind: ExprKind::List(items),
                        span,
                    },
                })
            }
            Rule::call => {
                let mut inner = pair.into_inner();
                let name = self.ident(inner.next()?);
                let (args, depth) = self.args(inner)?;
                Some(Built {
                    depth,
                    expr: Expr {
                        kind: ExprKind::Call(name, args),
                        span,
                    },
                })
            }
            Rule::plugin_call => {
                let mut inner = pair.into_inner();
                let plugin = self.ident(inner.next()?);
                let function = self.ident(inner.next()?);
                let (args, depth) = self.args(inner)?;
                Some(Built {
                    depth,
                    expr: Expr {
                        kind: ExprKind::PluginCall {
                            plugin,
                            function,
                            args,
                        },
                        span,
                    },
                })
            }
            Rule::quantifier => {
                let mut quantifier = Quantifier::Any;
                let mut var = None;
                let mut exprs = Vec::new();
                for p in pair.into_inner() {
                    match p.as_rule() {
                        Rule::quantifier_kind => {
                            quantifier = match p.as_str() {
                                "all" => Quantifier::All,
                                "count" => Quantifier::Count,
                                _ => Quantifier::Any,
                            }
                        }
                        Rule::binder => {
                            var = p
                                .into_inner()
                                .find(|q| q.as_rule() == Rule::ident)
                                .map(|q| self.ident(q))
                        }
                        Rule::expr => exprs.push(self.expr_built(p)?),
                        _ => {}
                    }
                }
                let depth = exprs.iter().map(|b| b.depth + 1).max().unwrap_or(1);
                let mut exprs = exprs.into_iter().map(|b| b.expr);
                let collection = exprs.next()?;
                let filter = exprs.next().map(Box::new);
                Some(Built {
                    depth,
                    expr: Expr {
                        kind: ExprKind::Quantified {
                            quantifier,
                            var,
                            collection: Box::new(collection),
                            filter,
                        },
                        span,
                    },
                })
            }
            _ => None,
        }
    }

    /// Call arguments, and the depth of the call they make.
    fn args<'i>(&self, pairs: impl Iterator<Item = Pair<'i, Rule>>) -> Option<(Vec<Expr>, usize)> {
        let mut args = Vec::new();
        let mut depth = 1;
        for p in pairs {
            let arg = self.expr_built(p)?;
            depth = depth.max(arg.depth + 1);
            args.push(arg.expr);
        }
        Some((args, depth))
    }

    fn bad_number(&self, span: Span, text: &str) -> Option<Built> {
        self.report(Diagnostic::error(
            Code::BadLiteral,
            span,
            format!("`{text}` is out of range"),
        ));
        None
    }
}

fn is_text(rule: Rule) -> bool {
    matches!(rule, Rule::string | Rule::raw_string)
}

/// Sets a list once; returns true if it was already set.
fn set_list(slot: &mut Vec<Text>, value: Vec<Text>) -> bool {
    let repeated = !slot.is_empty();
    *slot = value;
    repeated
}

#[cfg(test)]
mod tests;
