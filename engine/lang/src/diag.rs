//! Diagnostics: every problem the language finds, with where and what to do.
//!
//! House style: messages start lowercase, have no final period, put user
//! input in backticks and never name a Rust type; extra detail goes in
//! `help`. The checker returns all diagnostics of a run at once.

use std::fmt;

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

/// Renders a diagnostic for people: the message, `file:line:col` and a code
/// frame with the span underlined.
pub fn render(sources: &SourceMap, d: &Diagnostic) -> String {
    let Some(file) = sources.file(d.span.file) else {
        return format!("{}: {}", level_word(d.level), d.message);
    };
    let report = Report {
        diagnostic: d,
        source: miette::NamedSource::new(file.path.clone(), file.text.clone()),
    };
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_context_lines(1)
            .with_width(100);
    let mut out = String::new();
    let location = sources.location(d.span);
    if handler.render_report(&mut out, &report).is_err() {
        out.clear();
    }
    // miette names the file in the frame; a plain first line keeps the
    // location greppable and clickable in terminals and editors.
    format!(
        "{}[{}]: {}\n  --> {location}\n{out}",
        level_word(d.level),
        d.code.as_str(),
        d.message
    )
}

fn level_word(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Warning => "warning",
    }
}

struct Report<'a> {
    diagnostic: &'a Diagnostic,
    source: miette::NamedSource<std::sync::Arc<str>>,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.level {
            Level::Error => miette::Severity::Error,
            Level::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diagnostic
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let span = self.diagnostic.span;
        let len = (span.end.saturating_sub(span.start)) as usize;
        let label = miette::LabeledSpan::new(
            self.diagnostic.label.clone(),
            span.start as usize,
            len.max(usize::from(len == 0)),
        );
        Some(Box::new(std::iter::once(label)))
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
}
