//! Versions as first-class values, with the ordering each ecosystem uses.
//!
//! Three kinds exist because Windows, .NET/NuGet and SemVer order versions
//! differently, and comparing across kinds is meaningless (the rule checker
//! rejects it):
//!
//! - [`WindowsVersion`]: one to four dot-separated numbers (`10.0.17763.2452`,
//!   file versions, module versions). Missing parts count as zero and leading
//!   zeros are numeric (`4.8.04084` equals `4.8.4084`).
//! - [`DotNetVersion`]: NuGet rules: one to four numbers, an optional
//!   pre-release label (`9.0.0-preview.7.24405.7`) and ignored metadata
//!   (`+sha`). A release sorts after its pre-releases; labels compare per
//!   dot-separated identifier, numbers numerically and below text, text
//!   case-insensitively.
//! - [`SemVersion`]: strict Semantic Versioning 2.0 (exactly three numbers),
//!   compared by precedence, so build metadata is ignored.
//!
//! Each keeps the text it was parsed from, for display and round-trips.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a text is not a version of the kind asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a {kind} version: {reason}")]
pub struct VersionError {
    pub text: String,
    pub kind: VersionKind,
    pub reason: &'static str,
}

/// The ordering family a version belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VersionKind {
    Windows,
    DotNet,
    SemVer,
}

impl VersionKind {
    /// The name used in schemas and in rule-language diagnostics.
    pub fn name(self) -> &'static str {
        match self {
            VersionKind::Windows => "windows",
            VersionKind::DotNet => "dotnet",
            VersionKind::SemVer => "semver",
        }
    }

    /// The JSON Schema `format` that marks a string field as this kind.
    pub fn schema_format(self) -> &'static str {
        match self {
            VersionKind::Windows => "windows-version",
            VersionKind::DotNet => "dotnet-version",
            VersionKind::SemVer => "semver",
        }
    }

    pub fn from_schema_format(format: &str) -> Option<VersionKind> {
        [
            VersionKind::Windows,
            VersionKind::DotNet,
            VersionKind::SemVer,
        ]
        .into_iter()
        .find(|k| k.schema_format() == format)
    }
}

impl fmt::Display for VersionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A parsed version of any kind, for code that handles all three alike.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Version {
    Windows(WindowsVersion),
    DotNet(DotNetVersion),
    SemVer(SemVersion),
}

impl Version {
    pub fn parse(kind: VersionKind, text: &str) -> Result<Version, VersionError> {
        Ok(match kind {
            VersionKind::Windows => Version::Windows(WindowsVersion::parse(text)?),
            VersionKind::DotNet => Version::DotNet(DotNetVersion::parse(text)?),
            VersionKind::SemVer => Version::SemVer(SemVersion::parse(text)?),
        })
    }

    pub fn kind(&self) -> VersionKind {
        match self {
            Version::Windows(_) => VersionKind::Windows,
            Version::DotNet(_) => VersionKind::DotNet,
            Version::SemVer(_) => VersionKind::SemVer,
        }
    }

    /// Orders two versions of the same kind; `None` across kinds.
    pub fn compare(&self, other: &Version) -> Option<Ordering> {
        match (self, other) {
            (Version::Windows(a), Version::Windows(b)) => Some(a.cmp(b)),
            (Version::DotNet(a), Version::DotNet(b)) => Some(a.cmp(b)),
            (Version::SemVer(a), Version::SemVer(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Version::Windows(v) => v.as_str(),
            Version::DotNet(v) => v.as_str(),
            Version::SemVer(v) => v.as_str(),
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn error(text: &str, kind: VersionKind, reason: &'static str) -> VersionError {
    VersionError {
        text: text.to_owned(),
        kind,
        reason,
    }
}

/// Parses `1` to `4` dot-separated decimal numbers, each fitting in u32.
fn parse_numbers(text: &str, kind: VersionKind) -> Result<([u32; 4], u8), VersionError> {
    let mut parts = [0u32; 4];
    let mut count = 0u8;
    for piece in text.split('.') {
        let slot = parts
            .get_mut(usize::from(count))
            .ok_or_else(|| error(text, kind, "it has more than four numbers"))?;
        if piece.is_empty() || !piece.bytes().all(|b| b.is_ascii_digit()) {
            return Err(error(text, kind, "each part must be a decimal number"));
        }
        *slot = piece
            .parse()
            .map_err(|_| error(text, kind, "a part is too large"))?;
        count += 1;
    }
    Ok((parts, count))
}

/// A Windows-style version: `major.minor.build.revision`, one to four parts.
#[derive(Debug, Clone)]
pub struct WindowsVersion {
    parts: [u32; 4],
    text: Box<str>,
}

impl WindowsVersion {
    pub fn parse(text: &str) -> Result<Self, VersionError> {
        let (parts, _) = parse_numbers(text.trim(), VersionKind::Windows)?;
        Ok(WindowsVersion {
            parts,
            text: text.trim().into(),
        })
    }

    /// Builds a version from its four numbers (missing parts are zero).
    pub fn from_parts(major: u32, minor: u32, build: u32, revision: u32) -> Self {
        WindowsVersion {
            parts: [major, minor, build, revision],
            text: format!("{major}.{minor}.{build}.{revision}").into(),
        }
    }

    pub fn parts(&self) -> [u32; 4] {
        self.parts
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl PartialEq for WindowsVersion {
    fn eq(&self, other: &Self) -> bool {
        self.parts == other.parts
    }
}
impl Eq for WindowsVersion {}
impl Hash for WindowsVersion {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.parts.hash(state);
    }
}
impl PartialOrd for WindowsVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for WindowsVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.parts.cmp(&other.parts)
    }
}

/// One identifier of a pre-release label.
#[derive(Debug, Clone)]
enum Label {
    Number(u64),
    Text(Box<str>),
}

impl Label {
    fn cmp_nuget(&self, other: &Label) -> Ordering {
        match (self, other) {
            (Label::Number(a), Label::Number(b)) => a.cmp(b),
            (Label::Number(_), Label::Text(_)) => Ordering::Less,
            (Label::Text(_), Label::Number(_)) => Ordering::Greater,
            (Label::Text(a), Label::Text(b)) => {
                let a = a.bytes().map(|c| c.to_ascii_lowercase());
                let b = b.bytes().map(|c| c.to_ascii_lowercase());
                a.cmp(b)
            }
        }
    }
}

/// A .NET / NuGet version: `1`–`4` numbers, optional `-label`, ignored `+metadata`.
#[derive(Debug, Clone)]
pub struct DotNetVersion {
    parts: [u32; 4],
    pre: Box<[Label]>,
    text: Box<str>,
}

impl DotNetVersion {
    pub fn parse(text: &str) -> Result<Self, VersionError> {
        let kind = VersionKind::DotNet;
        let trimmed = text.trim();
        let without_meta = match trimmed.split_once('+') {
            Some((head, meta)) => {
                if meta.is_empty() {
                    return Err(error(text, kind, "the metadata after `+` is empty"));
                }
                head
            }
            None => trimmed,
        };
        let (numbers, pre) = match without_meta.split_once('-') {
            Some((numbers, pre)) => (numbers, Some(pre)),
            None => (without_meta, None),
        };
        let (parts, _) = parse_numbers(numbers, kind)?;
        let pre = match pre {
            None => Box::default(),
            Some(pre) => {
                let mut labels = Vec::new();
                for id in pre.split('.') {
                    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    {
                        return Err(error(
                            text,
                            kind,
                            "a pre-release label must be dot-separated letters, digits and `-`",
                        ));
                    }
                    labels.push(match id.parse::<u64>() {
                        Ok(n) if id.bytes().all(|b| b.is_ascii_digit()) => Label::Number(n),
                        _ => Label::Text(id.into()),
                    });
                }
                labels.into_boxed_slice()
            }
        };
        Ok(DotNetVersion {
            parts,
            pre,
            text: trimmed.into(),
        })
    }

    pub fn parts(&self) -> [u32; 4] {
        self.parts
    }

    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl Ord for DotNetVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.parts.cmp(&other.parts).then_with(|| {
            match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    for (a, b) in self.pre.iter().zip(other.pre.iter()) {
                        let ord = a.cmp_nuget(b);
                        if ord != Ordering::Equal {
                            return ord;
                        }
                    }
                    self.pre.len().cmp(&other.pre.len())
                }
            }
        })
    }
}
impl PartialOrd for DotNetVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for DotNetVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for DotNetVersion {}
impl Hash for DotNetVersion {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.parts.hash(state);
        for label in self.pre.iter() {
            match label {
                Label::Number(n) => n.hash(state),
                Label::Text(t) => t.to_ascii_lowercase().hash(state),
            }
        }
    }
}

/// A strict Semantic Versioning 2.0 version, ordered by precedence.
#[derive(Debug, Clone)]
pub struct SemVersion {
    inner: semver::Version,
    text: Box<str>,
}

impl SemVersion {
    pub fn parse(text: &str) -> Result<Self, VersionError> {
        let trimmed = text.trim();
        let inner = semver::Version::parse(trimmed).map_err(|_| {
            error(
                text,
                VersionKind::SemVer,
                "expected MAJOR.MINOR.PATCH with an optional -pre-release and +build",
            )
        })?;
        Ok(SemVersion {
            inner,
            text: trimmed.into(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl Ord for SemVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.inner.cmp_precedence(&other.inner)
    }
}
impl PartialOrd for SemVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for SemVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for SemVersion {}
impl Hash for SemVersion {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let v = &self.inner;
        (v.major, v.minor, v.patch, v.pre.as_str()).hash(state);
    }
}

/// Serde, Display and JSON Schema for the three kinds: they travel as the
/// text they were parsed from, and are validated when read.
macro_rules! version_traits {
    ($ty:ident, $kind:expr, $doc:literal) => {
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl std::str::FromStr for $ty {
            type Err = VersionError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $ty::parse(s)
            }
        }
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = Cow::<str>::deserialize(d)?;
                $ty::parse(&text).map_err(serde::de::Error::custom)
            }
        }
        impl JsonSchema for $ty {
            fn schema_name() -> Cow<'static, str> {
                stringify!($ty).into()
            }
            fn inline_schema() -> bool {
                true
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({
                    "type": "string",
                    "format": $kind.schema_format(),
                    "description": $doc,
                })
            }
        }
    };
}

version_traits!(
    WindowsVersion,
    VersionKind::Windows,
    "A Windows version: one to four dot-separated numbers, e.g. 10.0.17763.2452"
);
version_traits!(
    DotNetVersion,
    VersionKind::DotNet,
    "A .NET / NuGet version, e.g. 8.0.11 or 9.0.0-preview.7.24405.7"
);
version_traits!(
    SemVersion,
    VersionKind::SemVer,
    "A Semantic Versioning 2.0 version, e.g. 7.4.6"
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn win(s: &str) -> WindowsVersion {
        WindowsVersion::parse(s).unwrap()
    }
    fn net(s: &str) -> DotNetVersion {
        DotNetVersion::parse(s).unwrap()
    }
    fn sem(s: &str) -> SemVersion {
        SemVersion::parse(s).unwrap()
    }

    #[test]
    fn windows_versions_compare_numerically_part_by_part() {
        assert!(win("10.0.17763.2452") > win("10.0.17763.999"));
        assert!(win("10.0.20348.1") > win("10.0.17763.9999"));
        assert_eq!(win("4.8.04084"), win("4.8.4084"));
        assert_eq!(win("10.0"), win("10.0.0.0"));
        assert_eq!(win("4.8.04084").to_string(), "4.8.04084");
    }

    #[test]
    fn windows_versions_reject_junk() {
        for bad in ["", "1..2", "1.2.3.4.5", "a.b", "1.2-beta", "99999999999"] {
            let err = WindowsVersion::parse(bad).unwrap_err();
            assert_eq!(err.kind, VersionKind::Windows, "{bad}");
        }
    }

    #[test]
    fn dotnet_releases_sort_after_their_previews() {
        let ordered = [
            "8.0.0-preview.1.23110.8",
            "8.0.0-preview.7.23375.6",
            "8.0.0-rc.1.23419.4",
            "8.0.0-rc.2.23479.6",
            "8.0.0",
            "8.0.1",
            "8.0.11",
            "8.1.0",
        ];
        for pair in ordered.windows(2) {
            assert!(net(pair[0]) < net(pair[1]), "{} < {}", pair[0], pair[1]);
        }
    }

    #[test]
    fn dotnet_versions_follow_nuget_rules() {
        assert_eq!(net("1.0"), net("1.0.0.0"));
        assert!(net("4.3.0.1") > net("4.3.0"));
        assert_eq!(net("1.0.0-Beta"), net("1.0.0-beta"));
        assert_eq!(net("5.0.0+cf258a14b70a"), net("5.0.0"));
        assert!(net("1.0.0-alpha.2") < net("1.0.0-alpha.10"));
        assert!(net("1.0.0-alpha.9") < net("1.0.0-alpha.beta"));
        assert!(DotNetVersion::parse("1.0.0-").is_err());
        assert!(DotNetVersion::parse("1.0.0+").is_err());
        assert!(DotNetVersion::parse("v1.0").is_err());
    }

    #[test]
    fn semver_ignores_build_metadata_and_needs_three_parts() {
        assert_eq!(sem("7.4.6+abc"), sem("7.4.6"));
        assert!(sem("7.4.0-rc.1") < sem("7.4.0"));
        assert!(SemVersion::parse("7.4").is_err());
    }

    #[test]
    fn kinds_do_not_compare_with_each_other() {
        let a = Version::parse(VersionKind::Windows, "1.0.0").unwrap();
        let b = Version::parse(VersionKind::DotNet, "1.0.0").unwrap();
        assert_eq!(a.compare(&b), None);
        assert_eq!(a.compare(&a), Some(Ordering::Equal));
    }

    #[test]
    fn versions_round_trip_through_json_as_their_text() {
        let v: WindowsVersion = serde_json::from_str("\"10.0.17763.02452\"").unwrap();
        assert_eq!(serde_json::to_string(&v).unwrap(), "\"10.0.17763.02452\"");
        let err = serde_json::from_str::<DotNetVersion>("\"eight\"").unwrap_err();
        assert!(err.to_string().contains("not a dotnet version"), "{err}");
    }

    proptest! {
        #[test]
        fn windows_order_matches_tuple_order(a in prop::array::uniform4(0u32..5000), b in prop::array::uniform4(0u32..5000)) {
            let va = WindowsVersion::from_parts(a[0], a[1], a[2], a[3]);
            let vb = WindowsVersion::from_parts(b[0], b[1], b[2], b[3]);
            prop_assert_eq!(va.cmp(&vb), a.cmp(&b));
        }

        #[test]
        fn dotnet_parse_never_panics_and_order_is_total(a in "[0-9a-z.+-]{0,20}", b in "[0-9a-z.+-]{0,20}") {
            if let (Ok(x), Ok(y)) = (DotNetVersion::parse(&a), DotNetVersion::parse(&b)) {
                prop_assert_eq!(x.cmp(&y), y.cmp(&x).reverse());
                prop_assert_eq!(x == y, x.cmp(&y) == Ordering::Equal);
            }
        }
    }
}
