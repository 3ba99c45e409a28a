//! The one error type of image reading. Every message names the blob, path
//! or reference it is about and says what is wrong with it.

use std::io;
use std::path::PathBuf;

/// Why an image could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("cannot read `{}`: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },

    #[error("`{input}` is not an image source: {reason}")]
    Source { input: String, reason: String },

    #[error("{blob} does not match its digest: expected `{expected}`, got `{actual}`")]
    DigestMismatch {
        blob: String,
        expected: String,
        actual: String,
    },

    #[error("{blob} is truncated: expected {expected} bytes, got {actual}")]
    Truncated {
        blob: String,
        expected: u64,
        actual: u64,
    },

    #[error("{blob} is larger than the limit of {limit} bytes ({what})")]
    TooLarge {
        blob: String,
        limit: u64,
        what: &'static str,
    },

    #[error(
        "{blob} expands like a decompression bomb: {uncompressed} bytes from {compressed} ({reason})"
    )]
    DecompressionBomb {
        blob: String,
        compressed: u64,
        uncompressed: u64,
        reason: String,
    },

    #[error("{blob} is not valid: {reason}")]
    Invalid { blob: String, reason: String },

    #[error("{blob} has an unsafe entry name `{path}`: {reason}")]
    UnsafePath {
        blob: String,
        path: String,
        reason: &'static str,
    },

    #[error(
        "`{reference}` is not a Windows image: its os is `{os}` (architecture `{architecture}`)"
    )]
    NotWindows {
        reference: String,
        os: String,
        architecture: String,
    },

    #[error("`{reference}` has no image for {wanted}; it offers: {offered}")]
    NoMatchingPlatform {
        reference: String,
        wanted: String,
        offered: String,
    },

    #[error("`{reference}`: the registry refused the credentials (401 unauthorized){hint}")]
    Unauthorized { reference: String, hint: String },

    #[error("`{reference}`: access denied (403 forbidden): {message}")]
    Forbidden { reference: String, message: String },

    #[error("`{reference}`: not found (404): {message}")]
    NotFound { reference: String, message: String },

    #[error("`{reference}`: the registry answered {status}: {message}")]
    Registry {
        reference: String,
        status: u16,
        message: String,
    },

    #[error("`{reference}`: cannot connect to the registry: {message}")]
    Connect { reference: String, message: String },

    #[error(
        "`{reference}`: plain HTTP is allowed only for loopback registries or with the insecure option"
    )]
    InsecureRefused { reference: String },

    #[error("`{url}`: {reason}")]
    Download { url: String, reason: String },

    #[error(
        "foreign layer `{layer}` could not be fetched from its urls: {}",
        attempts_text(attempts)
    )]
    ForeignLayer {
        layer: String,
        /// Each url tried, in order, and why it failed; empty when the
        /// layer lists no urls.
        attempts: Vec<FetchAttempt>,
    },

    #[error("credentials: {0}")]
    Credentials(String),

    #[error("capture rule `{rule}`: {reason}")]
    Capture { rule: String, reason: String },

    #[error("cache `{}`: {reason}", path.display())]
    Cache { path: PathBuf, reason: String },
}

/// One url of a foreign layer tried, and what went wrong with it.
#[derive(Debug)]
pub struct FetchAttempt {
    pub url: String,
    pub error: Error,
}

fn attempts_text(attempts: &[FetchAttempt]) -> String {
    if attempts.is_empty() {
        return "it lists none".into();
    }
    let each: Vec<String> = attempts
        .iter()
        .map(|attempt| match &attempt.error {
            // Already names its url.
            Error::Download { .. } => attempt.error.to_string(),
            other => format!("`{}`: {other}", attempt.url),
        })
        .collect();
    each.join("; ")
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn invalid(blob: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::Invalid {
            blob: blob.into(),
            reason: reason.into(),
        }
    }
}

/// Carries an [`Error`] through `std::io::Read` plumbing (decoders, tar).
pub(crate) fn to_io(err: Error) -> io::Error {
    io::Error::other(err)
}

/// Turns an IO error back into our error: an [`Error`] carried by
/// [`to_io`] comes out as itself, anything else is described against `blob`.
pub(crate) fn from_io(err: io::Error, blob: &str) -> Error {
    if err.get_ref().is_some_and(|inner| inner.is::<Error>()) {
        if let Some(inner) = err.into_inner() {
            return match inner.downcast::<Error>() {
                Ok(ours) => *ours,
                Err(other) => Error::invalid(blob, other.to_string()),
            };
        }
        return Error::invalid(blob, "unreadable");
    }
    if err.kind() == io::ErrorKind::UnexpectedEof {
        return Error::invalid(blob, format!("unexpected end of data: {err}"));
    }
    Error::invalid(blob, err.to_string())
}
