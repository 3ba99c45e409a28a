//! What the Windows extractors want from the layers, and what they get.
//!
//! A [`CaptureRequest`] is a list of rules. Each rule names tar paths by
//! case-insensitive glob patterns over the whole entry name as the layer tar
//! has it (`Files/Windows/System32/config/SOFTWARE`, `Hives/*_Delta`,
//! `Files/**/*.deps.json`) and says what to do with a matching entry: keep
//! its bytes, or run an inspection hook on them and keep only the small
//! artifact the hook returns. An entry is buffered only while a rule needs
//! it and only up to the rule's size limit, so a rule over every PE file of
//! System32 holds one file at a time.
//!
//! Captures are cached with the layer. The cache key includes
//! [`CaptureRequest::fingerprint`], which covers every rule's name, patterns,
//! limit, action and hook id: change any of them (or bump a hook's id when
//! its code changes) and cached layers are read again.

use std::fmt;
use std::sync::Arc;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::error::Error;

/// The signature of an inspection hook: the entry's tar path and bytes in,
/// a small JSON artifact (or a reason it could not inspect) out.
pub type Hook = dyn Fn(&str, &[u8]) -> Result<serde_json::Value, String> + Send + Sync;

/// What to do with an entry a rule matched.
#[derive(Clone)]
pub enum CaptureAction {
    /// Keep the entry's bytes.
    Keep,
    /// Run `hook` on the bytes and keep only its artifact. `id` names the
    /// hook and its version (e.g. `pe-version/1`): it is part of the cache
    /// key, so bump it when the hook's output changes.
    Inspect { id: String, hook: Arc<Hook> },
}

impl fmt::Debug for CaptureAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaptureAction::Keep => f.write_str("Keep"),
            CaptureAction::Inspect { id, .. } => f.debug_struct("Inspect").field("id", id).finish(),
        }
    }
}

#[derive(Debug, Clone)]
struct Rule {
    name: String,
    patterns: Vec<String>,
    max_bytes: u64,
    action: CaptureAction,
}

/// The entries a caller wants from every layer. Build with [`CaptureRequest::new`],
/// [`CaptureRequest::keep`] and [`CaptureRequest::inspect`].
#[derive(Debug, Clone, Default)]
pub struct CaptureRequest {
    rules: Vec<Rule>,
    matcher: Option<GlobSet>,
    /// For each glob of `matcher`, the rule it belongs to.
    glob_rule: Vec<usize>,
}

impl CaptureRequest {
    /// A request that captures nothing.
    pub fn new() -> CaptureRequest {
        CaptureRequest::default()
    }

    /// Keeps the bytes of entries matching any of `patterns`, each up to
    /// `max_bytes` (larger entries are reported as [`Captured::TooLarge`]).
    pub fn keep(self, name: &str, patterns: &[&str], max_bytes: u64) -> Result<Self, Error> {
        self.add(name, patterns, max_bytes, CaptureAction::Keep)
    }

    /// Runs `hook` on entries matching any of `patterns`, each buffered up to
    /// `max_bytes`, and keeps what it returns.
    pub fn inspect(
        self,
        name: &str,
        patterns: &[&str],
        max_bytes: u64,
        id: &str,
        hook: impl Fn(&str, &[u8]) -> Result<serde_json::Value, String> + Send + Sync + 'static,
    ) -> Result<Self, Error> {
        self.add(
            name,
            patterns,
            max_bytes,
            CaptureAction::Inspect {
                id: id.to_owned(),
                hook: Arc::new(hook),
            },
        )
    }

    fn add(
        mut self,
        name: &str,
        patterns: &[&str],
        max_bytes: u64,
        action: CaptureAction,
    ) -> Result<Self, Error> {
        if self.rules.iter().any(|r| r.name == name) {
            return Err(Error::Capture {
                rule: name.to_owned(),
                reason: "a rule of this name already exists".into(),
            });
        }
        if patterns.is_empty() {
            return Err(Error::Capture {
                rule: name.to_owned(),
                reason: "no patterns".into(),
            });
        }
        self.rules.push(Rule {
            name: name.to_owned(),
            patterns: patterns.iter().map(|p| (*p).to_owned()).collect(),
            max_bytes,
            action,
        });
        self.rebuild()?;
        Ok(self)
    }

    fn rebuild(&mut self) -> Result<(), Error> {
        let mut builder = GlobSetBuilder::new();
        let mut glob_rule = Vec::new();
        for (index, rule) in self.rules.iter().enumerate() {
            for pattern in &rule.patterns {
                let glob = GlobBuilder::new(pattern)
                    .case_insensitive(true)
                    .literal_separator(true)
                    .backslash_escape(true)
                    .build()
                    .map_err(|e| Error::Capture {
                        rule: rule.name.clone(),
                        reason: format!("pattern `{pattern}`: {e}"),
                    })?;
                builder.add(glob);
                glob_rule.push(index);
            }
        }
        self.matcher = Some(builder.build().map_err(|e| Error::Capture {
            rule: "*".into(),
            reason: e.to_string(),
        })?);
        self.glob_rule = glob_rule;
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// A short stable string that changes whenever the request would
    /// capture anything differently. Cached layers are keyed by it.
    pub fn fingerprint(&self) -> String {
        if self.rules.is_empty() {
            return "none".into();
        }
        let mut hasher = Sha256::new();
        for rule in &self.rules {
            let action = match &rule.action {
                CaptureAction::Keep => "keep".to_owned(),
                CaptureAction::Inspect { id, .. } => format!("inspect:{id}"),
            };
            let line = serde_json::json!([rule.name, rule.patterns, rule.max_bytes, action]);
            hasher.update(line.to_string().as_bytes());
            hasher.update(b"\n");
        }
        hex::encode(hasher.finalize()).chars().take(16).collect()
    }

    /// Indexes of the rules matching tar path `path`.
    pub(crate) fn matching(&self, path: &str) -> Vec<usize> {
        let Some(matcher) = &self.matcher else {
            return Vec::new();
        };
        let mut rules: Vec<usize> = matcher
            .matches(path)
            .into_iter()
            .filter_map(|glob| self.glob_rule.get(glob).copied())
            .collect();
        rules.sort_unstable();
        rules.dedup();
        rules
    }

    pub(crate) fn max_bytes(&self, rules: &[usize]) -> u64 {
        rules
            .iter()
            .filter_map(|&i| self.rules.get(i))
            .map(|r| r.max_bytes)
            .max()
            .unwrap_or(0)
    }

    /// Turns the bytes of one entry into what each matched rule keeps.
    pub(crate) fn capture(
        &self,
        rules: &[usize],
        path: &str,
        size: u64,
        sha256: &str,
        bytes: Option<&[u8]>,
    ) -> Vec<CapturedEntry> {
        rules
            .iter()
            .filter_map(|&i| self.rules.get(i))
            .map(|rule| {
                let content = match bytes {
                    Some(bytes) if size <= rule.max_bytes => match &rule.action {
                        CaptureAction::Keep => Captured::Bytes(bytes.to_vec()),
                        CaptureAction::Inspect { hook, .. } => match hook(path, bytes) {
                            Ok(artifact) => Captured::Artifact(artifact),
                            Err(reason) => Captured::Failed(reason),
                        },
                    },
                    _ => Captured::TooLarge {
                        limit: rule.max_bytes,
                    },
                };
                CapturedEntry {
                    rule: rule.name.clone(),
                    path: path.to_owned(),
                    size,
                    sha256: sha256.to_owned(),
                    content,
                }
            })
            .collect()
    }

    /// What each matched rule records for a hard link: the link itself (its
    /// target's bytes are in the layer that wrote the target).
    pub(crate) fn capture_link(
        &self,
        rules: &[usize],
        path: &str,
        target: &str,
    ) -> Vec<CapturedEntry> {
        rules
            .iter()
            .filter_map(|&i| self.rules.get(i))
            .map(|rule| CapturedEntry {
                rule: rule.name.clone(),
                path: path.to_owned(),
                size: 0,
                sha256: String::new(),
                content: Captured::HardLink {
                    target: target.to_owned(),
                },
            })
            .collect()
    }
}

/// One captured entry of one layer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapturedEntry {
    /// The rule that captured it.
    pub rule: String,
    /// The tar path with its original case, e.g. `Hives/Software_Delta`.
    pub path: String,
    pub size: u64,
    /// Lowercase hex sha256 of the entry's bytes (empty for a hard link).
    pub sha256: String,
    pub content: Captured,
}

/// What a rule kept of an entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Captured {
    /// The entry's bytes (a [`CaptureAction::Keep`] rule).
    Bytes(#[serde(with = "bytes_b64")] Vec<u8>),
    /// What the hook returned (a [`CaptureAction::Inspect`] rule).
    Artifact(serde_json::Value),
    /// The entry was larger than the rule's limit and was not buffered.
    TooLarge { limit: u64 },
    /// The hook said it could not inspect the bytes.
    Failed(String),
    /// The entry is a hard link to `target` (a tar path).
    HardLink { target: String },
}

mod bytes_b64 {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_case_insensitively_and_fingerprints_differ() {
        let a = CaptureRequest::new()
            .keep(
                "hives",
                &["Hives/*_Delta", "Files/Windows/System32/config/SOFTWARE"],
                10,
            )
            .unwrap();
        assert_eq!(a.matching("hives/SOFTWARE_DELTA"), vec![0]);
        assert_eq!(
            a.matching("Files/windows/system32/CONFIG/software"),
            vec![0]
        );
        assert!(
            a.matching("Files/Windows/System32/config/SOFTWARE.LOG1")
                .is_empty()
        );
        assert!(a.matching("Hives/sub/Software_Delta").is_empty());
        let b = CaptureRequest::new()
            .keep("hives", &["Hives/*_Delta"], 10)
            .unwrap();
        let c = CaptureRequest::new()
            .keep("hives", &["Hives/*_Delta"], 11)
            .unwrap();
        let d = CaptureRequest::new()
            .inspect("hives", &["Hives/*_Delta"], 10, "x/1", |_, _| {
                Ok(serde_json::Value::Null)
            })
            .unwrap();
        let fps = [
            a.fingerprint(),
            b.fingerprint(),
            c.fingerprint(),
            d.fingerprint(),
        ];
        for (i, x) in fps.iter().enumerate() {
            for y in fps.iter().skip(i + 1) {
                assert_ne!(x, y);
            }
        }
        assert_eq!(CaptureRequest::new().fingerprint(), "none");
    }

    #[test]
    fn bad_rules_are_errors_naming_the_rule() {
        let err = CaptureRequest::new()
            .keep("x", &["Files/[a"], 1)
            .unwrap_err();
        assert!(err.to_string().contains("capture rule `x`"), "{err}");
        let err = CaptureRequest::new()
            .keep("x", &["a"], 1)
            .unwrap()
            .keep("x", &["b"], 1)
            .unwrap_err();
        assert!(err.to_string().contains("already exists"), "{err}");
    }
}
