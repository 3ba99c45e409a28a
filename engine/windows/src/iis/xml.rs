//! Shared reading of IIS configuration XML with roxmltree: decoding, errors
//! with the line, and typed attributes.

use roxmltree::{Document, Node, ParsingOptions};

/// Why a configuration file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{path}` line {line}: {reason}")]
pub struct ConfigError {
    pub path: String,
    pub line: u32,
    pub reason: String,
}

/// A parsed configuration file, with its name for errors.
pub(crate) struct Config<'input> {
    pub path: &'input str,
    pub document: Document<'input>,
}

/// Far above any real configuration (applicationHost.config has a few
/// thousand nodes); it bounds the memory a hostile file can take.
const NODES_LIMIT: u32 = 1_000_000;

/// Decodes UTF-8 (with or without BOM) or BOM-marked UTF-16, as the IIS
/// configuration system accepts.
pub(crate) fn decode(path: &str, bytes: &[u8]) -> Result<String, ConfigError> {
    let fail = |reason: &str| ConfigError {
        path: path.to_owned(),
        line: 1,
        reason: reason.to_owned(),
    };
    let utf16 = |bytes: &[u8], little: bool| {
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|pair| {
                let pair = <[u8; 2]>::try_from(pair).unwrap_or_default();
                if little {
                    u16::from_le_bytes(pair)
                } else {
                    u16::from_be_bytes(pair)
                }
            })
            .collect();
        String::from_utf16(&units).map_err(|_| fail("not valid UTF-16"))
    };
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        utf16(rest, true)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        utf16(rest, false)
    } else {
        let rest = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        String::from_utf8(rest.to_vec()).map_err(|e| ConfigError {
            path: path.to_owned(),
            line: line_of_offset(rest, e.utf8_error().valid_up_to()),
            reason: "not valid UTF-8".to_owned(),
        })
    }
}

fn line_of_offset(bytes: &[u8], offset: usize) -> u32 {
    let newlines = bytes.iter().take(offset).filter(|&&b| b == b'\n').count();
    u32::try_from(newlines + 1).unwrap_or(u32::MAX)
}

impl<'input> Config<'input> {
    /// Parses `text`; the root must be `<configuration>`.
    pub fn parse(path: &'input str, text: &'input str) -> Result<Self, ConfigError> {
        let options = ParsingOptions {
            allow_dtd: false,
            nodes_limit: NODES_LIMIT,
            ..ParsingOptions::default()
        };
        let document = Document::parse_with_options(text, options).map_err(|e| {
            let at_end = matches!(
                e,
                roxmltree::Error::UnclosedRootNode | roxmltree::Error::UnexpectedEndOfStream
            );
            // roxmltree places errors at the end of input on line 1; the
            // innermost element left open is what the reader must fix.
            match unclosed_element(text).filter(|_| at_end) {
                Some((name, line)) => ConfigError {
                    path: path.to_owned(),
                    line,
                    reason: format!("not well-formed XML: `<{name}>` is never closed"),
                },
                None => ConfigError {
                    path: path.to_owned(),
                    line: e.pos().row,
                    reason: format!("not well-formed XML: {e}"),
                },
            }
        })?;
        let config = Config { path, document };
        let root = config.document.root_element();
        if root.tag_name().name() != "configuration" {
            return Err(config.error(
                root,
                format!(
                    "the root element is `{}`, not `configuration`",
                    root.tag_name().name()
                ),
            ));
        }
        Ok(config)
    }

    pub fn root(&self) -> Node<'_, 'input> {
        self.document.root_element()
    }

    pub fn line(&self, node: Node<'_, '_>) -> u32 {
        self.document.text_pos_at(node.range().start).row
    }

    pub fn error(&self, node: Node<'_, '_>, reason: impl Into<String>) -> ConfigError {
        ConfigError {
            path: self.path.to_owned(),
            line: self.line(node),
            reason: reason.into(),
        }
    }

    /// Attribute `name` as `true`/`false` (any case), as IIS reads booleans.
    pub fn bool_attr(&self, node: Node<'_, '_>, name: &str) -> Result<Option<bool>, ConfigError> {
        match node.attribute(name).map(str::trim) {
            None => Ok(None),
            Some(text) if text.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(text) if text.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(text) => Err(self.error(
                node,
                format!(
                    "`{name}` of `{}` is `{text}`, expected `true` or `false`",
                    node.tag_name().name()
                ),
            )),
        }
    }

    /// Attribute `name` as an unsigned number.
    pub fn u64_attr(&self, node: Node<'_, '_>, name: &str) -> Result<Option<u64>, ConfigError> {
        match node.attribute(name).map(str::trim) {
            None => Ok(None),
            Some(text) => text.parse().map(Some).map_err(|_| {
                self.error(
                    node,
                    format!(
                        "`{name}` of `{}` is `{text}`, expected a number",
                        node.tag_name().name()
                    ),
                )
            }),
        }
    }
}

/// The innermost start tag that no end tag closes, with its line: a rough
/// scan (comments, CDATA, declarations and quoted attribute values skipped)
/// used only to word an error after the real parser failed at the end.
fn unclosed_element(text: &str) -> Option<(String, u32)> {
    let bytes = text.as_bytes();
    let mut open: Vec<(&str, usize)> = Vec::new();
    let mut at = 0usize;
    let find = |from: usize, needle: &str| {
        text.get(from..)
            .and_then(|rest| rest.find(needle))
            .map(|i| from + i)
    };
    while let Some(start) = find(at, "<") {
        let rest = text.get(start..)?;
        if rest.starts_with("<!--") {
            at = find(start, "-->")? + 3;
        } else if rest.starts_with("<![CDATA[") {
            at = find(start, "]]>")? + 3;
        } else if rest.starts_with("<?") {
            at = find(start, "?>")? + 2;
        } else {
            // Scan to the tag's `>`, past quoted attribute values.
            let mut end = start + 1;
            let mut quote = None;
            loop {
                let byte = *bytes.get(end)?;
                match (quote, byte) {
                    (None, b'"' | b'\'') => quote = Some(byte),
                    (Some(q), b) if b == q => quote = None,
                    (None, b'>') => break,
                    _ => {}
                }
                end += 1;
            }
            let tag = text.get(start + 1..end)?;
            if rest.starts_with("<!") || tag.ends_with('/') {
                // A declaration or an empty element.
            } else if let Some(name) = tag.strip_prefix('/') {
                if let Some(index) = open
                    .iter()
                    .rposition(|(open_name, _)| *open_name == name.trim())
                {
                    open.truncate(index);
                }
            } else {
                let name = tag.split(|c: char| c.is_whitespace()).next().unwrap_or(tag);
                open.push((name, start));
            }
            at = end + 1;
        }
    }
    let (name, offset) = open.last()?;
    Some(((*name).to_owned(), line_of_offset(bytes, *offset)))
}

/// The element children of `node` named `name`.
pub(crate) fn children<'a, 'input: 'a>(
    node: Node<'a, 'input>,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'input>> + 'a {
    node.children()
        .filter(move |child| child.is_element() && child.tag_name().name() == name)
}

/// The element at `path` (`/`-separated child names) below `node`; the last
/// one when a name repeats, as later elements win in IIS configuration.
pub(crate) fn descendant<'a, 'input: 'a>(
    node: Node<'a, 'input>,
    path: &str,
) -> Option<Node<'a, 'input>> {
    path.split('/').try_fold(node, |current, name| {
        current
            .children()
            .rfind(|child| child.is_element() && child.tag_name().name() == name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_utf8_with_bom_and_utf16() {
        assert_eq!(decode("a", b"\xEF\xBB\xBF<x/>").unwrap(), "<x/>");
        assert_eq!(
            decode("a", b"\xFF\xFE<\x00x\x00/\x00>\x00").unwrap(),
            "<x/>"
        );
        assert_eq!(
            decode("a", b"\xFE\xFF\x00<\x00x\x00/\x00>").unwrap(),
            "<x/>"
        );
        let err = decode("a.config", b"<x>\n\xFF</x>").unwrap_err();
        assert_eq!(err.to_string(), "`a.config` line 2: not valid UTF-8");
    }

    #[test]
    fn typed_attributes_name_the_line_and_the_value() {
        let text = "<configuration>\n<a enabled=\"True\" n=\"12\" bad=\"yes\" big=\"-1\"/></configuration>";
        let config = Config::parse("c.config", text).unwrap();
        let a = descendant(config.root(), "a").unwrap();
        assert_eq!(config.bool_attr(a, "enabled").unwrap(), Some(true));
        assert_eq!(config.u64_attr(a, "n").unwrap(), Some(12));
        assert_eq!(config.bool_attr(a, "missing").unwrap(), None);
        assert_eq!(
            config.bool_attr(a, "bad").unwrap_err().to_string(),
            "`c.config` line 2: `bad` of `a` is `yes`, expected `true` or `false`"
        );
        assert!(config.u64_attr(a, "big").is_err());
        let err = Config::parse("c.config", "<other/>").err().unwrap();
        assert_eq!(
            err.to_string(),
            "`c.config` line 1: the root element is `other`, not `configuration`"
        );
    }
}
