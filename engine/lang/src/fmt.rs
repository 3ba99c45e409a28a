//! The canonical layout of rule files, as `winspect fmt` writes it.
//!
//! Formatting never changes meaning: literals are printed exactly as written
//! (escapes, raw strings, number forms), parentheses the author wrote are
//! kept and none are added, and every comment is kept, placed before the
//! item or statement it was in or before. The output parses to the same tree.

use std::fmt::Write as _;

use crate::diag::Diagnostic;
use crate::source::{FileId, Span};
use crate::syntax::ast::*;
use crate::syntax::parse_file;

const INDENT: &str = "  ";

/// Formats a file. Returns the diagnostics instead when it does not parse:
/// a file with errors is left as it is.
pub fn format_source(text: &str) -> Result<String, Vec<Diagnostic>> {
    let parsed = parse_file(FileId(0), text);
    if parsed.diagnostics.iter().any(Diagnostic::is_error) {
        return Err(parsed.diagnostics);
    }
    let mut f = Formatter {
        text,
        comments: comments(text),
        next_comment: 0,
        out: String::new(),
        depth: 0,
    };
    for (i, item) in parsed.items.iter().enumerate() {
        if i > 0 {
            f.out.push('\n');
        }
        f.item(item);
    }
    f.comments_before(u32::MAX);
    Ok(f.out)
}

/// `#` comments outside strings: (offset, text).
fn comments(text: &str) -> Vec<(u32, String)> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0usize;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'#' => {
                let start = i;
                while bytes.get(i).is_some_and(|&c| c != b'\n') {
                    i += 1;
                }
                let comment = text.get(start..i).unwrap_or("").trim_end().to_owned();
                found.push((u32::try_from(start).unwrap_or(u32::MAX), comment));
                continue;
            }
            b'"' | b'\'' => {
                let quote = b;
                let raw = i > 0 && bytes.get(i - 1) == Some(&b'r');
                let hashed = raw && bytes.get(i.wrapping_sub(1)) == Some(&b'#');
                i += 1;
                while let Some(&c) = bytes.get(i) {
                    if c == b'\n' {
                        break;
                    }
                    if c == quote && (!hashed || bytes.get(i + 1) == Some(&b'#')) {
                        break;
                    }
                    if c == b'\\' && !raw {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'r' if bytes.get(i + 1) == Some(&b'#') && bytes.get(i + 2) == Some(&b'"') => {
                // r#"..."#: skip to the closing `"#`.
                i += 3;
                while let Some(&c) = bytes.get(i) {
                    if c == b'\n' || (c == b'"' && bytes.get(i + 1) == Some(&b'#')) {
                        i += 1;
                        break;
                    }
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    found
}

struct Formatter<'a> {
    text: &'a str,
    comments: Vec<(u32, String)>,
    next_comment: usize,
    out: String,
    depth: usize,
}

impl Formatter<'_> {
    fn src(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }

    /// Writes the comments that start before `offset`, each on its own line.
    fn comments_before(&mut self, offset: u32) {
        while let Some((at, comment)) = self.comments.get(self.next_comment) {
            if *at >= offset {
                break;
            }
            let line = format!("{}{comment}\n", INDENT.repeat(self.depth));
            self.out.push_str(&line);
            self.next_comment += 1;
        }
    }

    fn line(&mut self, at: Span, text: &str) {
        self.comments_before(at.start);
        let _ = writeln!(self.out, "{}{text}", INDENT.repeat(self.depth));
    }

    fn open(&mut self, at: Span, text: &str) {
        self.line(at, &format!("{text} {{"));
        self.depth += 1;
    }

    fn close(&mut self, end: u32) {
        self.comments_before(end);
        self.depth = self.depth.saturating_sub(1);
        let _ = writeln!(self.out, "{}}}", INDENT.repeat(self.depth));
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Pack(p) => {
                let mut text = format!(
                    "pack {} version {}",
                    self.src(p.name.span),
                    self.src(p.version.span)
                );
                if let Some(r) = &p.requires {
                    let _ = write!(text, " requires winspect {}", self.src(r.span));
                }
                self.line(p.span, &text);
            }
            Item::Let(l) => {
                let text = format!("let {} = {}", l.name.name, self.expr(&l.value));
                self.line(l.span, &text);
            }
            Item::Plugin(p) => {
                self.open(p.span, &format!("plugin {}", p.name.name));
                if let Some(path) = &p.path {
                    let text = format!("path {}", self.src(path.span));
                    self.line(path.span, &text);
                }
                if let Some(sha) = &p.sha256 {
                    let text = format!("sha256 {}", self.src(sha.span));
                    self.line(sha.span, &text);
                }
                self.close(p.span.end);
            }
            Item::Rule(r) => {
                self.open(r.span, &format!("rule {}", r.id.name));
                self.meta(&r.meta);
                self.body(&r.body);
                self.close(r.span.end);
            }
            Item::Advisory(a) => self.advisory(a),
            Item::Policy(p) => {
                self.open(p.span, &format!("policy {}", p.name.name));
                for item in &p.items {
                    match item {
                        PolicyItem::Uses { packs, span } => {
                            let list = self.text_list(packs);
                            self.line(*span, &format!("uses {list}"));
                        }
                        PolicyItem::Verdict(v) => {
                            let mut text =
                                format!("{} when {}", v.kind.as_str(), self.expr(&v.condition));
                            if let Some(b) = &v.because {
                                let _ = write!(text, " because {}", self.src(b.span));
                            }
                            self.line(v.span, &text);
                        }
                        PolicyItem::Waive(w) => {
                            let text = format!(
                                "waive {} until {} because {}",
                                w.id.name,
                                self.src(w.until.1),
                                self.src(w.because.span)
                            );
                            self.line(w.span, &text);
                        }
                    }
                }
                self.close(p.span.end);
            }
            Item::Test(t) => {
                self.open(t.span, &format!("test {}", self.src(t.name.span)));
                match &t.inventory {
                    TestInventory::File(path) => {
                        let text = format!("inventory file {}", self.src(path.span));
                        self.line(path.span, &text);
                    }
                    TestInventory::Inline { json, span } => {
                        // JSON is kept as written: reflowing it is not ours to do.
                        self.line(*span, &format!("inventory {}", json.trim()));
                        self.skip_comments_within(*span);
                    }
                }
                if let Some((_, span)) = t.now {
                    let text = format!("now {}", self.src(span));
                    self.line(span, &text);
                }
                for e in &t.expectations {
                    match e {
                        Expectation::Nothing(span) => self.line(*span, "expect nothing"),
                        Expectation::Finding {
                            rule,
                            message,
                            span,
                        } => {
                            let mut text = format!("expect {}", rule.name);
                            if let Some(m) = message {
                                let _ = write!(text, " {}", self.src(m.span));
                            }
                            self.line(*span, &text);
                        }
                    }
                }
                self.close(t.span.end);
            }
        }
    }

    /// Comments inside inline JSON are impossible (JSON has none), but a
    /// `#` inside a JSON string must not be printed as a comment.
    fn skip_comments_within(&mut self, span: Span) {
        while self
            .comments
            .get(self.next_comment)
            .is_some_and(|(at, _)| *at < span.end)
        {
            self.next_comment += 1;
        }
    }

    fn text_list(&self, items: &[Text]) -> String {
        let parts: Vec<&str> = items.iter().map(|t| self.src(t.span)).collect();
        format!("[{}]", parts.join(", "))
    }

    fn meta(&mut self, m: &Meta) {
        self.meta_head(m);
        self.meta_lists(m);
    }

    /// `title`, `description` and `severity`, in that order.
    fn meta_head(&mut self, m: &Meta) {
        if let Some(t) = &m.title {
            let text = format!("title {}", self.src(t.span));
            self.line(t.span, &text);
        }
        if let Some(d) = &m.description {
            let text = format!("description {}", self.src(d.span));
            self.line(d.span, &text);
        }
        if let Some(s) = &m.severity {
            self.line(s.span, &format!("severity {}", s.name));
        }
    }

    /// `tags`, `controls` and `references`, in that order.
    fn meta_lists(&mut self, m: &Meta) {
        for (word, list) in [
            ("tags", &m.tags),
            ("controls", &m.controls),
            ("references", &m.references),
        ] {
            if let Some(first) = list.first() {
                let text = format!("{word} {}", self.text_list(list));
                self.line(first.span, &text);
            }
        }
    }

    fn body(&mut self, b: &Body) {
        for l in &b.lets {
            let text = format!("let {} = {}", l.name.name, self.expr(&l.value));
            self.line(l.span, &text);
        }
        match &b.kind {
            BodyKind::Check(name) => self.line(name.span, &format!("check {}", name.name)),
            BodyKind::Action(a) => {
                let text = format!("report {}", self.src(a.report.text.span));
                self.line(a.report.text.span, &text);
                for fix in &a.fixes {
                    let text = format!("fix {} {}", fix.kind.name, self.src(fix.message.text.span));
                    self.line(fix.span, &text);
                }
            }
            BodyKind::Blocks(blocks) => {
                for block in blocks {
                    match block {
                        Block::For {
                            var,
                            collection,
                            filter,
                            body,
                            span,
                        } => {
                            let mut head = format!("for {} in {}", var.name, self.expr(collection));
                            if let Some(f) = filter {
                                let _ = write!(head, " where {}", self.expr(f));
                            }
                            self.open(*span, &head);
                            self.body(body);
                            self.close(span.end);
                        }
                        Block::When {
                            condition,
                            body,
                            span,
                        } => {
                            let head = format!("when {}", self.expr(condition));
                            self.open(*span, &head);
                            self.body(body);
                            self.close(span.end);
                        }
                    }
                }
            }
        }
    }

    fn advisory(&mut self, a: &AdvisoryDecl) {
        self.open(a.span, &format!("advisory {}", a.id.name));
        self.meta_head(&a.meta);
        if let Some(c) = &a.cvss {
            let mut text = format!("cvss {}", self.src(c.score_span));
            if let Some(v) = &c.vector {
                let _ = write!(text, " {}", self.src(v.span));
            }
            self.line(c.span, &text);
        }
        if let Some((_, span)) = a.published {
            let text = format!("published {}", self.src(span));
            self.line(span, &text);
        }
        if let Some((flag, span)) = a.exploited {
            self.line(span, &format!("exploited {flag}"));
        }
        self.meta_lists(&a.meta);
        for affects in &a.affects {
            match affects {
                Affects::Windows {
                    build,
                    below,
                    kb,
                    span,
                } => {
                    let mut text = format!(
                        "affects windows {} below {}",
                        self.src(build.1),
                        self.src(below.1)
                    );
                    if let Some(kb) = kb {
                        let _ = write!(text, " fixed_by {}", kb.name);
                    }
                    self.line(*span, &text);
                }
                Affects::Range {
                    kind,
                    subject,
                    range,
                    fixed_by,
                    span,
                } => {
                    let mut text = format!(
                        "affects {} {} {}",
                        kind.name,
                        self.src(subject.span),
                        self.src(range.span)
                    );
                    if let Some(f) = fixed_by {
                        let _ = write!(text, " fixed_by {}", self.src(f.span));
                    }
                    self.line(*span, &text);
                }
            }
        }
        for fix in &a.fixes {
            let text = format!("fix {} {}", fix.kind.name, self.src(fix.message.text.span));
            self.line(fix.span, &text);
        }
        self.close(a.span.end);
    }

    fn expr(&self, e: &Expr) -> String {
        match &e.kind {
            ExprKind::Bool(_)
            | ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Date(_)
            | ExprKind::Duration(_) => self.src(e.span).to_owned(),
            ExprKind::Name(n) => n.clone(),
            ExprKind::List(items) => {
                let parts: Vec<String> = items.iter().map(|i| self.expr(i)).collect();
                format!("[{}]", parts.join(", "))
            }
            ExprKind::Member(base, field) => format!("{}.{}", self.expr(base), field.name),
            ExprKind::Call(name, args) => {
                let parts: Vec<String> = args.iter().map(|a| self.expr(a)).collect();
                format!("{}({})", name.name, parts.join(", "))
            }
            ExprKind::PluginCall {
                plugin,
                function,
                args,
            } => {
                let parts: Vec<String> = args.iter().map(|a| self.expr(a)).collect();
                format!("{}.{}({})", plugin.name, function.name, parts.join(", "))
            }
            ExprKind::Quantified {
                quantifier,
                var,
                collection,
                filter,
            } => {
                let word = match quantifier {
                    Quantifier::Any => "any",
                    Quantifier::All => "all",
                    Quantifier::Count => "count",
                };
                let mut text = format!("{word}(");
                if let Some(v) = var {
                    let _ = write!(text, "{} in ", v.name);
                }
                text.push_str(&self.expr(collection));
                if let Some(f) = filter {
                    let _ = write!(text, " where {}", self.expr(f));
                }
                text.push(')');
                text
            }
            ExprKind::Unary(UnaryOp::Not, inner) => format!("not {}", self.expr(inner)),
            ExprKind::Unary(UnaryOp::Neg, inner) => format!("-{}", self.expr(inner)),
            ExprKind::Binary(op, l, r) => {
                format!("{} {} {}", self.expr(l), op.symbol(), self.expr(r))
            }
            ExprKind::Logic(op, items) => {
                let word = match op {
                    LogicOp::And => " and ",
                    LogicOp::Or => " or ",
                };
                let parts: Vec<String> = items.iter().map(|i| self.expr(i)).collect();
                parts.join(word)
            }
            ExprKind::Paren(inner) => format!("({})", self.expr(inner)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tree of a text with positions erased, to compare meaning.
    pub(crate) fn shape(text: &str) -> String {
        let parsed = parse_file(FileId(0), text);
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        let debug = format!("{:?}", parsed.items);
        let re =
            regex::Regex::new(r"Span \{ file: FileId\(\d+\), start: \d+, end: \d+ \}").unwrap();
        re.replace_all(&debug, "Span").into_owned()
    }

    const MESSY: &str = r##"# A pack header.
pack   "p"   version "1.0.0"
let   legacy=["TLS 1.0",'TLS 1.1']   # trailing comment
rule  A-1 {   severity   high
 title "t"   # why
      for s in iis.sites where (s.basic_auth or s.anonymous_auth) and not s.name starts_with "x"{
   # inside
   report "site {s.name}"   fix powershell r"C:\x {s.name}"
 }}
advisory CVE-1 { title "x" cvss 9.8 affects windows 17763 below 10 fixed_by kb5 }
policy prod { deny when finding.severity >= high and finding.age > 30d because "sla"
  waive A-1 until 2030-01-01 because "ok" }
test "t" { inventory { "iis": {"sites": [ {"name": "#not a comment"} ] } }
 expect A-1 "site a" }
# end
"##;

    #[test]
    fn formats_to_the_canonical_layout() {
        let out = format_source(MESSY).unwrap();
        let expected = r##"# A pack header.
pack "p" version "1.0.0"

let legacy = ["TLS 1.0", 'TLS 1.1']

# trailing comment
rule A-1 {
  title "t"
  severity high
  # why
  for s in iis.sites where (s.basic_auth or s.anonymous_auth) and not s.name starts_with "x" {
    # inside
    report "site {s.name}"
    fix powershell r"C:\x {s.name}"
  }
}

advisory CVE-1 {
  title "x"
  cvss 9.8
  affects windows 17763 below 10 fixed_by kb5
}

policy prod {
  deny when finding.severity >= high and finding.age > 30d because "sla"
  waive A-1 until 2030-01-01 because "ok"
}

test "t" {
  inventory { "iis": {"sites": [ {"name": "#not a comment"} ] } }
  expect A-1 "site a"
}
# end
"##;
        assert_eq!(out, expected);
    }

    #[test]
    fn formatting_is_idempotent_and_keeps_meaning() {
        let once = format_source(MESSY).unwrap();
        assert_eq!(format_source(&once).unwrap(), once);
        assert_eq!(shape(&once), shape(MESSY));
        let comments_in = MESSY.matches('#').count();
        assert_eq!(once.matches('#').count(), comments_in);
    }

    #[test]
    fn files_with_errors_are_not_formatted() {
        assert!(format_source("rule {").is_err());
    }
}
