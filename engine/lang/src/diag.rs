//! Diagnostics: every problem the language finds, with where and what to do.
//!
//! House style: messages start lowercase, have no final period, put user
//! input in backticks and never name a Rust type; extra detail goes in
//! `help`. The checker returns all diagnostics of a run at once.

use serde::Serialize;

use crate::source::{Location, SourceMap, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Warning,
    Error,
}

/// A stable code per kind of problem, so tools and docs can refer to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Code {
    /// The text does not follow the grammar.
    Syntax,
    /// Brackets or operators nested deeper than the language allows.
    TooDeep,
    /// A name (variable, field, function, rule id) that does not exist.
    UnknownName,
    /// A value of the wrong type for where it is used.
    Type,
    /// A comparison that can never hold, or a condition that is constant.
    Impossible,
    /// Two things with one id, or one setting given twice.
    Duplicate,
    /// A required part is missing (a rule without a title, a pack header).
    Missing,
    /// A literal that is not valid for its kind (a version, a regex).
    BadLiteral,
    /// A binding that is never used.
    Unused,
    /// A pack needs a newer language than this winspect has.
    Version,
    /// A rule test's inventory cannot be read.
    TestInventory,
    /// A waiver whose date has passed.
    Expired,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Syntax => "syntax",
            Code::TooDeep => "too-deep",
            Code::UnknownName => "unknown-name",
            Code::Type => "type",
            Code::Impossible => "impossible",
            Code::Duplicate => "duplicate",
            Code::Missing => "missing",
            Code::BadLiteral => "bad-literal",
            Code::Unused => "unused",
            Code::Version => "version",
            Code::TestInventory => "test-inventory",
            Code::Expired => "expired",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub level: Level,
    pub code: Code,
    pub message: String,
    pub span: Span,
    /// Text shown under the underlined span.
    pub label: Option<String>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            level: Level::Error,
            code,
            message: message.into(),
            span,
            label: None,
            help: None,
        }
    }

    pub fn warning(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            level: Level::Warning,
            ..Diagnostic::error(code, span, message)
        }
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.level == Level::Error
    }
}

/// "did you mean `x`?" for the closest candidate, if one is close enough.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for candidate in candidates {
        let score = strsim::jaro_winkler(&lower, &candidate.to_ascii_lowercase());
        if score >= 0.8 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, c)| format!("did you mean `{c}`?"))
}

/// The machine-readable form printed by `--error-format json`.
#[derive(Debug, Serialize)]
pub struct JsonDiagnostic {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub severity: Level,
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl JsonDiagnostic {
    pub fn new(sources: &SourceMap, d: &Diagnostic) -> JsonDiagnostic {
        let Location { file, line, column } = sources.location(d.span);
        let end = sources.location(Span {
            start: d.span.end,
            ..d.span
        });
        JsonDiagnostic {
            file,
            line,
            column,
            end_line: end.line,
            end_column: end.column,
            severity: d.level,
            code: d.code.as_str(),
            message: d.message.clone(),
            help: d.help.clone(),
        }
    }
}

/// At most this many characters of a source line are shown in a code frame;
/// longer lines are cut around the span.
const FRAME_WIDTH: usize = 100;

/// Renders a diagnostic for people: the message, `file:line:col` and a code
/// frame with the span underlined, the label and the help.
///
/// ```text
/// error[unknown-name]: `IisSite` has no field `nam`
///   --> rules/iis.rules:5:31
///    |
///  5 |   for site in iis.sites where site.nam == "x" {
///    |                                    ^^^ unknown field
///    = help: did you mean `name`?
/// ```
pub fn render(sources: &SourceMap, d: &Diagnostic) -> String {
    let mut out = format!(
        "{}[{}]: {}\n",
        level_word(d.level),
        d.code.as_str(),
        d.message
    );
    let Some(file) = sources.file(d.span.file) else {
        return out;
    };
    let location = sources.location(d.span);
    out.push_str(&format!("  --> {location}\n"));
    let text: &str = &file.text;
    let start = (d.span.start as usize).min(text.len());
    let line_start = text
        .get(..start)
        .and_then(|t| t.rfind('\n'))
        .map(|i| i + 1)
        .unwrap_or(0);
    let line_end = text
        .get(start..)
        .and_then(|t| t.find('\n'))
        .map(|i| start + i)
        .unwrap_or(text.len());
    let line: Vec<char> = text
        .get(line_start..line_end)
        .unwrap_or("")
        .chars()
        .collect();
    let col = location.column.saturating_sub(1).min(line.len());
    let end = (d.span.end as usize).clamp(start, line_end);
    let width = text
        .get(start..end)
        .map(|s| s.chars().count())
        .unwrap_or(0)
        .max(1);
    // Window the line so the span is visible whatever the line's length.
    let first = col
        .saturating_sub(FRAME_WIDTH / 2)
        .min(line.len().saturating_sub(FRAME_WIDTH.min(line.len())));
    let first = if line.len() <= FRAME_WIDTH { 0 } else { first };
    let last = (first + FRAME_WIDTH).min(line.len());
    let shown: String = line
        .get(first..last)
        .unwrap_or(&[])
        .iter()
        .map(|c| if *c == '\t' { ' ' } else { *c })
        .collect();
    let prefix = if first > 0 { "..." } else { "" };
    let suffix = if last < line.len() { "..." } else { "" };
    let number = location.line.to_string();
    let gutter = " ".repeat(number.len());
    let marks = width.min(last.saturating_sub(col).max(1));
    let pad = " ".repeat(prefix.len() + col.saturating_sub(first));
    out.push_str(&format!("{gutter} |\n{number} | {prefix}{shown}{suffix}\n"));
    out.push_str(&format!("{gutter} | {pad}{}", "^".repeat(marks)));
    if let Some(label) = &d.label {
        out.push_str(&format!(" {label}"));
    }
    out.push('\n');
    if let Some(help) = &d.help {
        out.push_str(&format!("{gutter} = help: {help}\n"));
    }
    out
}

fn level_word(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Warning => "warning",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_only_close_names() {
        let names = ["sites", "app_pools", "global_modules"];
        assert_eq!(
            did_you_mean("sitez", names).as_deref(),
            Some("did you mean `sites`?")
        );
        assert_eq!(
            did_you_mean("apppools", names).as_deref(),
            Some("did you mean `app_pools`?")
        );
        assert_eq!(did_you_mean("zzz", names), None);
    }

    #[test]
    fn renders_location_and_code_frame() {
        let mut map = SourceMap::new();
        let p = map.add_pack("p");
        let id = map.add_pack_file(p, "x.rules", "rule A {\n  when iis.sitez\n}\n");
        let d = Diagnostic::error(
            Code::UnknownName,
            Span::new(id, 20, 25),
            "`iis` has no field `sitez`",
        )
        .with_label("unknown field")
        .with_help("did you mean `sites`?");
        let text = render(&map, &d);
        assert!(
            text.starts_with(
                "error[unknown-name]: `iis` has no field `sitez`\n  --> x.rules:2:12\n"
            ),
            "{text}"
        );
        assert!(text.contains("when iis.sitez"), "{text}");
        assert!(text.contains("unknown field"), "{text}");
        assert!(text.contains("did you mean `sites`?"), "{text}");
    }

    #[test]
    fn long_lines_are_cut_around_the_span() {
        let mut map = SourceMap::new();
        let p = map.add_pack("p");
        let line = format!("{}XYZ{}", "a".repeat(5000), "b".repeat(5000));
        let id = map.add_pack_file(p, "x.rules", line.as_str());
        let d = Diagnostic::error(Code::Syntax, Span::new(id, 5000, 5003), "here");
        let text = render(&map, &d);
        let frame = text.lines().nth(3).unwrap();
        assert!(frame.contains("XYZ") && frame.len() < 130, "{frame}");
        let marks = text.lines().nth(4).unwrap();
        assert_eq!(marks.find('^'), frame.find("XYZ"), "{text}");
        for (start, end) in [
            (0, 0),
            (10_002, 10_003),
            (10_003, 10_003),
            (4999, 10_003),
            (9000, 20),
        ] {
            let _ = render(
                &map,
                &Diagnostic::error(Code::Syntax, Span::new(id, start, end), "x"),
            );
        }
    }
}
