//! Fetching foreign (non-distributable) layers from the `urls` of their
//! descriptor, for any source that does not hold their blob, and only when
//! the options allow it.
//!
//! The urls are tried in order. Each must be HTTPS; plain HTTP is allowed
//! for loopback hosts and, with the insecure option, for any (the same rule
//! as for registries), and so is every redirect they lead to. No
//! credentials are ever sent: urls can point anywhere, and a registry's
//! token must not leak to them. The bytes go through the same pipe as any
//! other layer (digest, size and decompression limits, the cache); a url
//! whose answer fails that is reported and the next one tried. A layer is
//! never read from a url unverified.

use std::io::Read;
use std::time::Duration;

use reqwest::Url;
use reqwest::redirect::{Attempt, Policy};

use crate::error::{Error, FetchAttempt};
use crate::net::{self, Body};
use crate::registry::is_loopback;

/// The most urls of one layer that are tried.
const MAX_URLS: usize = 32;
/// The most redirects one url may lead through.
const MAX_REDIRECTS: usize = 10;

/// Fetches foreign layers over HTTP, on a runtime of its own or on the
/// registry client's.
pub(crate) struct Fetcher {
    handle: tokio::runtime::Handle,
    client: reqwest::Client,
    insecure: bool,
    /// A runtime of its own when there was none to share; dropped last.
    _runtime: Option<tokio::runtime::Runtime>,
}

/// Whether `url` may be fetched: HTTPS always, HTTP for loopback hosts or
/// when `insecure`, nothing else.
fn check_url(url: &Url, insecure: bool) -> Result<(), String> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if insecure || url.host_str().is_some_and(is_loopback) => Ok(()),
        "http" => {
            Err("plain HTTP is allowed only for loopback hosts or with the insecure option".into())
        }
        other => Err(format!(
            "the scheme `{other}` is not fetched (only https, and http for loopback hosts)"
        )),
    }
}

fn redirect(attempt: Attempt<'_>, insecure: bool) -> reqwest::redirect::Action {
    if attempt.previous().len() >= MAX_REDIRECTS {
        return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
    }
    match check_url(attempt.url(), insecure) {
        Ok(()) => attempt.follow(),
        Err(reason) => {
            let to = attempt.url().to_string();
            attempt.error(format!("redirected to `{to}`: {reason}"))
        }
    }
}

impl Fetcher {
    /// A fetcher on `runtime` (the registry client's), or on a runtime of
    /// its own. Fails only when the machine cannot start a runtime or set
    /// up TLS; the reason is returned for the caller to attach to a url.
    pub fn new(runtime: Option<tokio::runtime::Handle>, insecure: bool) -> Result<Fetcher, String> {
        let (handle, own) = match runtime {
            Some(handle) => (handle, None),
            None => {
                let runtime =
                    net::runtime().map_err(|e| format!("cannot start the network runtime: {e}"))?;
                (runtime.handle().clone(), Some(runtime))
            }
        };
        // A process may install its own rustls provider first; that one is then used.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = {
            let _entered = handle.enter();
            reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(30))
                .read_timeout(Duration::from_secs(300))
                .redirect(Policy::custom(move |attempt| redirect(attempt, insecure)))
                .user_agent(concat!("winspect/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| format!("cannot set up the HTTP client: {}", net::chain(&e)))?
        };
        Ok(Fetcher {
            handle,
            client,
            insecure,
            _runtime: own,
        })
    }

    /// Tries `urls` in order: `read` gets each answer's body until one
    /// reads. An error of the transfer or of the bytes (status, connection,
    /// digest, size) moves on to the next url; any other error of `read`
    /// (a layer whose verified bytes are a bad tar, a cache that cannot be
    /// written) is the layer's own and is returned at once. When every url
    /// failed, the error names the layer and each url with its failure.
    pub fn fetch<T>(
        &self,
        layer: &str,
        urls: &[String],
        size: Option<u64>,
        limit: u64,
        mut read: impl FnMut(Box<dyn Read + Send>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut attempts = Vec::new();
        for url in urls.iter().take(MAX_URLS) {
            let result = self
                .open(url, size, limit)
                .and_then(|body| read(Box::new(body)));
            match result {
                Ok(value) => return Ok(value),
                Err(error) if is_transfer_failure(&error) => attempts.push(FetchAttempt {
                    url: url.clone(),
                    error,
                }),
                Err(error) => return Err(error),
            }
        }
        Err(Error::ForeignLayer {
            layer: layer.to_owned(),
            attempts,
        })
    }

    /// Sends the request and checks the answer's status and announced
    /// length; the body then streams in on the runtime.
    fn open(&self, url: &str, size: Option<u64>, limit: u64) -> Result<Body, Error> {
        let fail = |reason: String| Error::Download {
            url: url.to_owned(),
            reason,
        };
        let parsed = Url::parse(url).map_err(|e| fail(format!("not a url: {e}")))?;
        check_url(&parsed, self.insecure).map_err(fail)?;
        // Made inside the runtime: the request's timers need its context.
        let response = self
            .handle
            .block_on(async { self.client.get(parsed).send().await })
            .map_err(|e| fail(describe(&e)))?;
        let status = response.status();
        if !status.is_success() {
            return Err(fail(format!("the server answered {status}")));
        }
        if let Some(length) = response.content_length() {
            if let Some(size) = size
                && length != size
            {
                return Err(fail(format!(
                    "the server sends {length} bytes where the layer has {size}"
                )));
            }
            if length > limit {
                return Err(fail(format!(
                    "the server sends {length} bytes, more than the limit of {limit}"
                )));
            }
        }
        let (tx, body) = net::body();
        let owned = url.to_owned();
        let mut response = response;
        self.handle.spawn(async move {
            loop {
                let item = match response.chunk().await {
                    Ok(Some(bytes)) => Ok(bytes.to_vec()),
                    Ok(None) => break,
                    Err(e) => Err(Error::Download {
                        url: owned.clone(),
                        reason: format!("the transfer broke: {}", describe(&e)),
                    }),
                };
                let failed = item.is_err();
                if tx.send(item).await.is_err() || failed {
                    break;
                }
            }
        });
        Ok(body)
    }
}

fn describe(err: &reqwest::Error) -> String {
    let what = if err.is_connect() {
        "cannot connect"
    } else if err.is_timeout() {
        "timed out"
    } else if err.is_redirect() {
        "refused a redirect"
    } else {
        "the request failed"
    };
    format!("{what}: {}", net::chain(err))
}

/// Whether a failed read of a url's answer may be that url's fault, so
/// that the next url is worth trying.
fn is_transfer_failure(error: &Error) -> bool {
    matches!(
        error,
        Error::Download { .. }
            | Error::DigestMismatch { .. }
            | Error::Truncated { .. }
            | Error::TooLarge {
                what: "blob size",
                ..
            }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_and_loopback_http_are_fetched() {
        let url = |text: &str| Url::parse(text).unwrap();
        assert!(check_url(&url("https://mcr.microsoft.com/v2/x"), false).is_ok());
        assert!(check_url(&url("http://127.0.0.1:8080/base.tar.gz"), false).is_ok());
        assert!(check_url(&url("http://localhost/base"), false).is_ok());
        assert!(check_url(&url("http://[::1]:80/base"), false).is_ok());
        let err = check_url(&url("http://example.com/base"), false).unwrap_err();
        assert!(err.contains("plain HTTP"), "{err}");
        assert!(check_url(&url("http://example.com/base"), true).is_ok());
        let err = check_url(&url("ftp://example.com/base"), true).unwrap_err();
        assert!(err.contains("`ftp`"), "{err}");
    }
}
