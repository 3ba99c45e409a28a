//! Built-in functions: names, signatures and how they are typed.

use winspect_inventory::VersionKind;

use crate::ir::Builtin;

/// Every built-in, with how rule authors see it in "did you mean" and docs.
pub const BUILTINS: &[(&str, Builtin, &str)] = &[
    ("lower", Builtin::Lower, "lower(string) -> string"),
    ("upper", Builtin::Upper, "upper(string) -> string"),
    ("trim", Builtin::Trim, "trim(string) -> string"),
    ("len", Builtin::Len, "len(string or list) -> number"),
    (
        "exists",
        Builtin::Exists,
        "exists(value) -> boolean: the value is set",
    ),
    (
        "default",
        Builtin::Default,
        "default(value, fallback) -> the value, or the fallback when unset",
    ),
    (
        "registry",
        Builtin::Registry,
        "registry(\"HKLM\\\\KEY\", \"Value\") -> RegistryValue (may be unset)",
    ),
    (
        "registry_key_exists",
        Builtin::RegistryKeyExists,
        "registry_key_exists(\"HKLM\\\\KEY\") -> boolean",
    ),
    (
        "file",
        Builtin::File,
        "file(\"C:\\\\path\") -> File (may be unset)",
    ),
    (
        "file_exists",
        Builtin::FileExists,
        "file_exists(\"C:\\\\path\") -> boolean",
    ),
    (
        "winver",
        Builtin::ParseVersion(VersionKind::Windows),
        "winver(string) -> windows version (unset if invalid)",
    ),
    (
        "dotnet_version",
        Builtin::ParseVersion(VersionKind::DotNet),
        "dotnet_version(string) -> dotnet version (unset if invalid)",
    ),
    (
        "semver",
        Builtin::ParseVersion(VersionKind::SemVer),
        "semver(string) -> semver version (unset if invalid)",
    ),
    ("now", Builtin::Now, "now() -> date of the evaluation"),
    (
        "join",
        Builtin::Join,
        "join(list of strings, separator) -> string",
    ),
    (
        "env",
        Builtin::Env,
        "env(\"NAME\") -> the image's environment variable (may be unset)",
    ),
    (
        "label",
        Builtin::Label,
        "label(\"name\") -> the image's label (may be unset)",
    ),
];

pub fn lookup(name: &str) -> Option<(Builtin, &'static str)> {
    BUILTINS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, b, sig)| (*b, *sig))
}

pub fn names() -> impl Iterator<Item = &'static str> {
    BUILTINS.iter().map(|(n, _, _)| *n)
}

/// Built-ins whose result depends only on their arguments, so calls with
/// constant arguments fold at compile time.
pub fn is_pure(b: Builtin) -> bool {
    !matches!(
        b,
        Builtin::Registry
            | Builtin::RegistryKeyExists
            | Builtin::File
            | Builtin::FileExists
            | Builtin::Now
            | Builtin::Env
            | Builtin::Label
    )
}
