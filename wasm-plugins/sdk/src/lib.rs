//! Write winspect plugins in Rust.
//!
//! This crate implements interface version 1 of `wasm-plugins/ABI.md`
//! behind one macro, [`plugin!`], which declares the manifest and exports the
//! functions the host calls. A plugin is a `cdylib` built for
//! `wasm32-unknown-unknown`:
//!
//! ```ignore
//! use serde::Deserialize;
//! use winspect_plugin_sdk::{plugin, Error, Finding, Severity};
//!
//! // Only the fields the check reads: the rest of the section is ignored,
//! // so the plugin keeps working as the inventory grows.
//! #[derive(Deserialize)]
//! struct Input {
//!     files: Vec<File>,
//! }
//!
//! #[derive(Deserialize)]
//! struct File {
//!     path: String,
//!     size: u64,
//! }
//!
//! fn check(input: Input) -> Result<Vec<Finding>, Error> {
//!     Ok(input.files.iter().filter(|f| f.size > 1 << 30).map(|f| {
//!         Finding::new("HUGE-FILE", Severity::Low, format!("`{}` is over 1 GiB", f.path))
//!             .subject(&f.path)
//!     }).collect())
//! }
//!
//! fn double(x: i64) -> i64 {
//!     x * 2
//! }
//!
//! plugin! {
//!     name: "huge-files",
//!     version: "1.0.0",
//!     description: "Reports files over 1 GiB",
//!     sections: ["files"],
//!     check: check,
//!     functions: {
//!         fn double(x: i64) -> i64;
//!     }
//! }
//! ```
//!
//! - The check takes any `serde::Deserialize` type built from the declared
//!   sections (one field per section, renamed for dotted names such as
//!   `#[serde(rename = "dotnet.packages")]`), or [`Raw`] for the input bytes
//!   unparsed.
//! - Functions take and return [`AbiType`]s; their declared types come from
//!   the Rust types, so the manifest cannot disagree with the code. A function
//!   may return `Result<T, Error>` to report an error.
//! - Every call runs in a fresh instance: keep no state between calls.

#[doc(hidden)]
pub mod __rt;

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use serde;
pub use serde_json;

/// The interface version this SDK implements.
pub const INTERFACE_VERSION: u32 = 1;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

/// One finding of a check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    id: String,
    severity: Severity,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    remediation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    layer: Option<String>,
}

impl Finding {
    /// `id`: 1 to 64 ASCII letters, digits, `.`, `_` or `-`.
    pub fn new(id: impl Into<String>, severity: Severity, message: impl Into<String>) -> Finding {
        Finding {
            id: id.into(),
            severity,
            message: message.into(),
            remediation: None,
            subject: None,
            layer: None,
        }
    }

    /// What to do about it.
    pub fn remediation(mut self, text: impl Into<String>) -> Finding {
        self.remediation = Some(text.into());
        self
    }

    /// What the finding is about, e.g. a file path relative to `C:\`.
    pub fn subject(mut self, subject: impl Into<String>) -> Finding {
        self.subject = Some(subject.into());
        self
    }

    /// The layer that introduced the subject, as the inventory record gives it.
    pub fn layer(mut self, layer: Option<impl Into<String>>) -> Finding {
        self.layer = layer.map(Into::into);
        self
    }
}

/// An error a plugin reports instead of a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(String);

impl Error {
    pub fn new(message: impl Into<String>) -> Error {
        Error(message.into())
    }

    pub fn message(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Error {
        Error(format!("cannot read the input: {e}"))
    }
}

impl From<String> for Error {
    fn from(message: String) -> Error {
        Error(message)
    }
}

impl From<&str> for Error {
    fn from(message: &str) -> Error {
        Error(message.to_owned())
    }
}

/// The input of a check, as the check function wants it.
pub trait FromInput: Sized {
    fn from_input(bytes: Vec<u8>) -> Result<Self, Error>;
}

impl<T: DeserializeOwned> FromInput for T {
    fn from_input(bytes: Vec<u8>) -> Result<Self, Error> {
        Ok(serde_json::from_slice(&bytes)?)
    }
}

/// The check's input bytes, unparsed: `{"<section>":<json>,...}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raw(pub Vec<u8>);

impl FromInput for Raw {
    fn from_input(bytes: Vec<u8>) -> Result<Self, Error> {
        Ok(Raw(bytes))
    }
}

/// A Rust type a plugin function may take or return, with its interface
/// type name.
pub trait AbiType: Serialize + DeserializeOwned {
    fn type_name() -> String;
}

macro_rules! abi_types {
    ($($ty:ty => $name:literal),* $(,)?) => {
        $(impl AbiType for $ty {
            fn type_name() -> String {
                $name.to_owned()
            }
        })*
    };
}

abi_types! {
    bool => "bool",
    i64 => "int",
    f64 => "float",
    String => "string",
    Date => "date",
    WindowsVersion => "windows-version",
    DotNetVersion => "dotnet-version",
    SemVer => "semver",
}

impl<T: AbiType> AbiType for Vec<T> {
    fn type_name() -> String {
        format!("list<{}>", T::type_name())
    }
}

macro_rules! text_types {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        $($(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);)*
    };
}

text_types! {
    /// A date, `YYYY-MM-DD`; the host checks it.
    Date,
    /// A Windows version (`10.0.17763.2452`), ordered as Windows orders them; the host checks it.
    WindowsVersion,
    /// A NuGet/.NET version (`8.0.11`); the host checks it.
    DotNetVersion,
    /// A Semantic Versioning 2.0 version; the host checks it.
    SemVer,
}

/// What a plugin function may return: a value, or `Result<value, Error>`.
pub trait FunctionResult {
    type Value: AbiType;
    fn into_result(self) -> Result<Self::Value, Error>;
}

impl<T: AbiType> FunctionResult for T {
    type Value = T;
    fn into_result(self) -> Result<T, Error> {
        Ok(self)
    }
}

impl<T: AbiType> FunctionResult for Result<T, Error> {
    type Value = T;
    fn into_result(self) -> Result<T, Error> {
        self
    }
}

/// Declares a plugin: its manifest, its check and its functions.
///
/// ```ignore
/// plugin! {
///     name: "banned-hashes",                 // lowercase, digits, `-`
///     version: "1.0.0",                      // SemVer
///     description: "what it does",           // optional
///     sections: ["files"],                   // inventory sections the check reads
///     check: check,                          // optional: fn(impl FromInput) -> Result<Vec<Finding>, Error>
///     functions: {                           // optional
///         fn is_banned(sha256: String) -> bool;
///     }
/// }
/// ```
#[macro_export]
macro_rules! plugin {
    (
        name: $name:literal,
        version: $version:literal,
        $(description: $description:literal,)?
        sections: [$($section:literal),* $(,)?],
        $(check: $check:path,)?
        $(functions: {
            $(fn $fname:ident($($pname:ident: $pty:ty),* $(,)?) -> $rty:ty;)*
        })?
    ) => {
        #[unsafe(no_mangle)]
        pub extern "C" fn winspect_alloc(len: i32) -> i32 {
            $crate::__rt::alloc(len)
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn winspect_manifest() -> i64 {
            $crate::__rt::manifest(&$crate::__rt::Manifest {
                interface: $crate::INTERFACE_VERSION,
                name: $name,
                version: $version,
                description: $crate::__rt::first(&[$($description)?]),
                sections: &[$($section),*],
                check: $crate::__rt::first(&[$(stringify!($check))?]).is_some(),
                functions: vec![$($($crate::__rt::FunctionDecl {
                    name: stringify!($fname),
                    params: vec![$($crate::__rt::ParamDecl {
                        name: stringify!($pname),
                        ty: <$pty as $crate::AbiType>::type_name(),
                    }),*],
                    result: <<$rty as $crate::FunctionResult>::Value as $crate::AbiType>::type_name(),
                }),*)?],
            })
        }

        $(
            #[unsafe(no_mangle)]
            pub extern "C" fn winspect_check(ptr: i32, len: i32) -> i64 {
                $crate::__rt::check(ptr, len, $check)
            }
        )?

        $($(
            const _: () = {
                #[unsafe(export_name = concat!("winspect_fn_", stringify!($fname)))]
                extern "C" fn call(ptr: i32, len: i32) -> i64 {
                    $crate::__rt::function(ptr, len, |args| {
                        let mut args = args.into_iter();
                        $(let $pname: $pty = $crate::__rt::arg(&mut args, stringify!($pname))?;)*
                        $crate::FunctionResult::into_result($fname($($pname),*))
                    })
                }
            };
        )*)?
    };
}
