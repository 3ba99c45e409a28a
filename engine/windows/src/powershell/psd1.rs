//! Reads the top-level `ModuleVersion` of a module manifest (`.psd1`).
//!
//! A manifest is a PowerShell hashtable literal, `@{ Key = value; ... }`.
//! This is not a PowerShell parser: it splits the text into the few tokens
//! that matter (words, strings, brackets, `=`), skipping `#` and `<# #>`
//! comments and reading `'...'`, `"..."` and here-strings (`@' '@`,
//! `@" "@`) whole, so that a key inside a comment or string never counts,
//! and it takes `ModuleVersion` only at the manifest's own level: nested
//! hashtables (`RequiredModules = @(@{ModuleVersion = '1.0'})`) have their own.

/// Why a manifest could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{path}` line {line}: {reason}")]
pub struct Psd1Error {
    pub path: String,
    pub line: usize,
    pub reason: String,
}

#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Text(String),
    Open,
    Close,
    Equals,
    Other,
}

/// The text of the top-level `ModuleVersion` of manifest `text` (named
/// `path` in errors), or `None` when the manifest has none.
pub fn module_version(path: &str, text: &str) -> Result<Option<String>, Psd1Error> {
    let tokens = tokenize(text).map_err(|(line, reason)| Psd1Error {
        path: path.to_owned(),
        line,
        reason,
    })?;
    let mut depth = 0usize;
    let mut iter = tokens.iter().peekable();
    while let Some(token) = iter.next() {
        match token {
            Token::Open => depth += 1,
            Token::Close => depth = depth.saturating_sub(1),
            Token::Word(key) | Token::Text(key)
                if depth == 1 && key.eq_ignore_ascii_case("ModuleVersion") =>
            {
                if iter.next_if_eq(&&Token::Equals).is_some()
                    && let Some(Token::Word(value) | Token::Text(value)) = iter.peek()
                {
                    return Ok(Some(value.trim().to_owned()));
                }
            }
            _ => {}
        }
    }
    Ok(None)
}

/// Splits `text` into tokens; an unterminated string or comment is an
/// error at the line where it starts. Every step consumes input.
fn tokenize(text: &str) -> Result<Vec<Token>, (usize, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut at = 0usize;
    let mut line = 1usize;
    let get = |i: usize| chars.get(i).copied();
    while let Some(c) = get(at) {
        let start_line = line;
        match c {
            '\n' => {
                line += 1;
                at += 1;
            }
            '#' => {
                while get(at).is_some_and(|c| c != '\n') {
                    at += 1;
                }
            }
            '<' if get(at + 1) == Some('#') => {
                at += 2;
                loop {
                    match get(at) {
                        None => return Err((start_line, "a `<#` comment has no `#>`".to_owned())),
                        Some('#') if get(at + 1) == Some('>') => {
                            at += 2;
                            break;
                        }
                        Some(c) => {
                            line += usize::from(c == '\n');
                            at += 1;
                        }
                    }
                }
            }
            '@' if matches!(get(at + 1), Some('\'' | '"'))
                && matches!(get(at + 2), Some('\n' | '\r')) =>
            {
                // A here-string ends at a line that starts with its quote and `@`.
                let quote = get(at + 1).unwrap_or('\'');
                at += 2;
                let mut value = String::new();
                loop {
                    match get(at) {
                        None => return Err((start_line, "a here-string has no end".to_owned())),
                        Some('\n') if get(at + 1) == Some(quote) && get(at + 2) == Some('@') => {
                            line += 1;
                            at += 3;
                            break;
                        }
                        Some(c) => {
                            line += usize::from(c == '\n');
                            value.push(c);
                            at += 1;
                        }
                    }
                }
                let body = value
                    .strip_prefix("\r\n")
                    .or_else(|| value.strip_prefix('\n'));
                tokens.push(Token::Text(
                    body.unwrap_or(&value).trim_end_matches('\r').to_owned(),
                ));
            }
            '\'' | '"' | '‘' | '’' | '“' | '”' => {
                let double = matches!(c, '"' | '“' | '”');
                at += 1;
                let mut value = String::new();
                loop {
                    let Some(c) = get(at) else {
                        return Err((start_line, "a string has no closing quote".to_owned()));
                    };
                    at += 1;
                    let closes = if double {
                        matches!(c, '"' | '“' | '”')
                    } else {
                        matches!(c, '\'' | '‘' | '’')
                    };
                    if closes {
                        // A doubled quote is an escaped quote.
                        if get(at) == Some(c) {
                            value.push(c);
                            at += 1;
                            continue;
                        }
                        break;
                    }
                    if double && c == '`' {
                        if let Some(next) = get(at) {
                            value.push(next);
                            line += usize::from(next == '\n');
                            at += 1;
                        }
                        continue;
                    }
                    line += usize::from(c == '\n');
                    value.push(c);
                }
                tokens.push(Token::Text(value));
            }
            '{' | '(' | '[' => {
                tokens.push(Token::Open);
                at += 1;
            }
            '}' | ')' | ']' => {
                tokens.push(Token::Close);
                at += 1;
            }
            '=' => {
                tokens.push(Token::Equals);
                at += 1;
            }
            c if c.is_alphanumeric() || matches!(c, '_' | '.' | '-') => {
                let mut word = String::new();
                while let Some(c) =
                    get(at).filter(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-'))
                {
                    word.push(c);
                    at += 1;
                }
                tokens.push(Token::Word(word));
            }
            c if c.is_whitespace() => at += 1,
            _ => {
                tokens.push(Token::Other);
                at += 1;
            }
        }
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Laid out as `New-ModuleManifest` writes manifests, with the traps
    /// real ones hold.
    const MANIFEST: &str = r#"#
# Module manifest for module 'Contoso.Tools'
#
# ModuleVersion = '0.0.1' (a comment does not count)

@{

# Script module or binary module file associated with this manifest.
RootModule = 'Contoso.Tools.psm1'

<#
  ModuleVersion = '0.0.2'
#>
Description = @'
ModuleVersion = '0.0.3'
'@

# Modules that must be imported into the global environment prior to importing this module
RequiredModules = @(@{ModuleName="PackageManagement"; ModuleVersion="1.0.0.1"})

Copyright = "(c) Contoso. All rights reserved. ""quoted"" `"escaped`""

# Version number of this module.
ModuleVersion = '2.2.5'

PrivateData = @{
    PSData = @{
        Prerelease = 'beta1'
    }
}
}
"#;

    #[test]
    fn reads_the_top_level_module_version_past_comments_strings_and_nesting() {
        assert_eq!(
            module_version("m.psd1", MANIFEST).unwrap().as_deref(),
            Some("2.2.5")
        );
    }

    #[test]
    fn accepts_both_quote_styles_bare_numbers_and_any_case() {
        for (text, version) in [
            ("@{ModuleVersion=\"1.0\"}", "1.0"),
            ("@{ moduleversion = 3.1 }", "3.1"),
            (
                "\u{feff}@{\r\n  'ModuleVersion' = '7.0.0.0'\r\n}",
                "7.0.0.0",
            ),
            ("@{ GUID = 'x'; ModuleVersion = '1.2.3'; }", "1.2.3"),
        ] {
            assert_eq!(
                module_version("m.psd1", text).unwrap().as_deref(),
                Some(version),
                "{text}"
            );
        }
        assert_eq!(
            module_version("m.psd1", "@{ RootModule = 'a.psm1' }").unwrap(),
            None
        );
        assert_eq!(module_version("m.psd1", "").unwrap(), None);
    }

    #[test]
    fn unterminated_strings_and_comments_are_errors_with_the_line() {
        let err = module_version("Mods/M/M.psd1", "@{\n\nModuleVersion = '1.0\n}").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`Mods/M/M.psd1` line 3: a string has no closing quote"
        );
        let err = module_version("m.psd1", "@{\n<# open").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`m.psd1` line 2: a `<#` comment has no `#>`"
        );
        let err = module_version("m.psd1", "@{ D = @'\nno end").unwrap_err();
        assert_eq!(err.line, 1);
    }

    proptest! {
        #[test]
        fn never_panics_on_mutated_manifests(
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<char>()), 1..8),
        ) {
            let mut chars: Vec<char> = MANIFEST.chars().collect();
            for (at, c) in &edits {
                let i = at.index(chars.len());
                chars[i] = *c;
            }
            let text: String = chars.into_iter().collect();
            let _ = module_version("m.psd1", &text);
        }
    }
}
