//! Pulling from a registry with `oci-client`. Manifests and configs are
//! fetched whole (they are small and bounded); layers stream through a
//! channel into the same synchronous pipe local files use, so every source
//! is verified and read by one code path.
//!
//! Credentials, first found wins: explicit [`Credentials`], the environment
//! (`WINSPECT_REGISTRY_USERNAME` + `WINSPECT_REGISTRY_PASSWORD`, or
//! `WINSPECT_REGISTRY_TOKEN` for a bearer token), the Docker config's
//! `auths` entry for the registry (`auth` = base64 `user:password`, or
//! `username`/`password`), anonymous. Credential helpers (`credsStore`,
//! `credHelpers`) are not run. Plain HTTP is used for loopback registries
//! (`localhost`, `127.0.0.0/8`, `[::1]`) and, with `insecure`, for any;
//! everything else is HTTPS.

use std::io::{self, Read};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine as _;
use futures_util::StreamExt as _;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::manifest::OciDescriptor;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};

use crate::digest::sha256_digest;
use crate::error::Error;
use crate::format;
use crate::net::{self, Body};
use crate::options::{Credentials, PASSWORD_ENV, RegistryOptions, TOKEN_ENV, USERNAME_ENV};
use crate::read::PlannedLayer;

pub(crate) struct Registry {
    runtime: tokio::runtime::Runtime,
    client: Arc<Client>,
    reference: Reference,
    input: String,
    auth: RegistryAuth,
}

const ACCEPTED: [&str; 4] = [
    format::OCI_INDEX,
    format::OCI_MANIFEST,
    format::DOCKER_LIST,
    format::DOCKER_MANIFEST,
];

/// Whether `registry` (`host[:port]`) is on a loopback address.
pub(crate) fn is_loopback(registry: &str) -> bool {
    let host = if let Some(rest) = registry.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        registry.rsplit_once(':').map_or(registry, |(h, port)| {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                h
            } else {
                registry
            }
        })
    };
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn docker_config_path(options: &RegistryOptions) -> Option<PathBuf> {
    if let Some(path) = &options.docker_config {
        return Some(path.clone());
    }
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG") {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    dirs::home_dir().map(|h| h.join(".docker").join("config.json"))
}

fn normalize_host(key: &str) -> String {
    let key = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = key.split('/').next().unwrap_or(key).to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "docker.io" => "docker.io".into(),
        _ => host,
    }
}

/// The `auths` entry of a Docker config for `registry`.
pub(crate) fn docker_config_auth(
    config: &[u8],
    registry: &str,
    path: &str,
) -> Result<Option<RegistryAuth>, Error> {
    let value: serde_json::Value = serde_json::from_slice(config)
        .map_err(|e| Error::Credentials(format!("`{path}` is not valid JSON: {e}")))?;
    let Some(auths) = value.get("auths").and_then(|a| a.as_object()) else {
        return Ok(None);
    };
    let wanted = normalize_host(registry);
    let Some((key, entry)) = auths.iter().find(|(k, _)| normalize_host(k) == wanted) else {
        return Ok(None);
    };
    if let Some(encoded) = entry
        .get("auth")
        .and_then(|a| a.as_str())
        .filter(|a| !a.is_empty())
    {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|e| {
                Error::Credentials(format!("`{path}`: `auths.{key}.auth` is not base64: {e}"))
            })?;
        let text = String::from_utf8(decoded).map_err(|_| {
            Error::Credentials(format!("`{path}`: `auths.{key}.auth` is not UTF-8"))
        })?;
        let (user, password) = text.split_once(':').ok_or_else(|| {
            Error::Credentials(format!(
                "`{path}`: `auths.{key}.auth` is not `user:password`"
            ))
        })?;
        return Ok(Some(RegistryAuth::Basic(
            user.to_owned(),
            password.to_owned(),
        )));
    }
    let field = |name: &str| entry.get(name).and_then(|v| v.as_str()).map(str::to_owned);
    if let (Some(user), Some(password)) = (field("username"), field("password")) {
        return Ok(Some(RegistryAuth::Basic(user, password)));
    }
    if let Some(token) = field("registrytoken") {
        return Ok(Some(RegistryAuth::Bearer(token)));
    }
    Ok(None)
}

fn resolve_auth(options: &RegistryOptions, registry: &str) -> Result<RegistryAuth, Error> {
    match &options.credentials {
        Credentials::Anonymous => return Ok(RegistryAuth::Anonymous),
        Credentials::Basic { username, password } => {
            return Ok(RegistryAuth::Basic(username.clone(), password.clone()));
        }
        Credentials::Bearer(token) => return Ok(RegistryAuth::Bearer(token.clone())),
        Credentials::Auto => {}
    }
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    match (env(USERNAME_ENV), env(PASSWORD_ENV)) {
        (Some(user), Some(password)) => return Ok(RegistryAuth::Basic(user, password)),
        (Some(_), None) | (None, Some(_)) => {
            return Err(Error::Credentials(format!(
                "set both {USERNAME_ENV} and {PASSWORD_ENV}, or neither"
            )));
        }
        (None, None) => {}
    }
    if let Some(token) = env(TOKEN_ENV) {
        return Ok(RegistryAuth::Bearer(token));
    }
    if let Some(path) = docker_config_path(options) {
        match std::fs::read(&path) {
            Ok(bytes) => {
                if let Some(auth) =
                    docker_config_auth(&bytes, registry, &path.display().to_string())?
                {
                    return Ok(auth);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound && options.docker_config.is_none() => {}
            Err(e) => return Err(Error::io(path, e)),
        }
    }
    Ok(RegistryAuth::Anonymous)
}

impl Registry {
    pub fn connect(input: &str, options: &RegistryOptions) -> Result<Registry, Error> {
        let reference: Reference = input.parse().map_err(|e| Error::Source {
            input: input.to_owned(),
            reason: format!("not a registry reference: {e}"),
        })?;
        let registry = reference.resolve_registry().to_owned();
        let auth = resolve_auth(options, &registry)?;
        let protocol = if options.insecure || is_loopback(&registry) {
            ClientProtocol::HttpsExcept(vec![registry.clone(), reference.registry().to_owned()])
        } else {
            ClientProtocol::Https
        };
        // A process may install its own rustls provider first; that one is then used.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let config = ClientConfig {
            protocol,
            connect_timeout: Some(std::time::Duration::from_secs(30)),
            read_timeout: Some(std::time::Duration::from_secs(300)),
            platform_resolver: None,
            ..ClientConfig::default()
        };
        let runtime = crate::net::runtime().map_err(|e| Error::Connect {
            reference: input.to_owned(),
            message: format!("cannot start the network runtime: {e}"),
        })?;
        Ok(Registry {
            runtime,
            client: Arc::new(Client::new(config)),
            reference,
            input: input.to_owned(),
            auth,
        })
    }

    pub fn reference(&self) -> &str {
        &self.input
    }

    fn map_error(&self, err: OciDistributionError) -> Error {
        map_error(&self.input, &self.auth, err)
    }

    /// The manifest or index the reference names, and its digest (checked
    /// against the reference when it pins one).
    pub fn root_manifest(&self, limit: u64) -> Result<(Vec<u8>, String), Error> {
        let (bytes, _) = self
            .runtime
            .block_on(
                self.client
                    .pull_manifest_raw(&self.reference, &self.auth, &ACCEPTED),
            )
            .map_err(|e| self.map_error(e))?;
        if bytes.len() as u64 > limit {
            return Err(Error::TooLarge {
                blob: format!("manifest of `{}`", self.input),
                limit,
                what: "metadata size",
            });
        }
        let digest = sha256_digest(&bytes);
        if let Some(pinned) = self.reference.digest()
            && pinned != digest
        {
            return Err(Error::DigestMismatch {
                blob: format!("manifest of `{}`", self.input),
                expected: pinned.to_owned(),
                actual: digest,
            });
        }
        Ok((bytes.to_vec(), digest))
    }

    pub fn manifest_bytes(&self, digest: &str, limit: u64) -> Result<Vec<u8>, Error> {
        let child = self.reference.clone_with_digest(digest.to_owned());
        let (bytes, _) = self
            .runtime
            .block_on(self.client.pull_manifest_raw(&child, &self.auth, &ACCEPTED))
            .map_err(|e| self.map_error(e))?;
        if bytes.len() as u64 > limit {
            return Err(Error::TooLarge {
                blob: format!("manifest `{digest}`"),
                limit,
                what: "metadata size",
            });
        }
        Ok(bytes.to_vec())
    }

    pub fn blob_bytes(&self, desc: &format::Descriptor, limit: u64) -> Result<Vec<u8>, Error> {
        let mut reader = self.open_stream(descriptor(
            desc.digest.clone(),
            desc.size,
            &desc.media_type,
            Vec::new(),
        ))?;
        let mut bytes = Vec::new();
        (&mut reader)
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| crate::error::from_io(e, &format!("blob `{}`", desc.digest)))?;
        if bytes.len() as u64 > limit {
            return Err(Error::TooLarge {
                blob: format!("blob `{}`", desc.digest),
                limit,
                what: "metadata size",
            });
        }
        Ok(bytes)
    }

    /// A layer's blob as the registry has it. Its `urls` are not tried
    /// here: a foreign layer the registry does not hold is fetched by
    /// [`crate::foreign`], under its own rules.
    pub fn layer_reader(&self, layer: &PlannedLayer) -> Result<Box<dyn Read + Send>, Error> {
        let desc = descriptor(
            layer.digest.clone(),
            layer.size,
            &layer.media_type,
            Vec::new(),
        );
        Ok(Box::new(self.open_stream(desc)?))
    }

    /// The runtime the registry client runs on, for other network work of
    /// the same read.
    pub fn runtime(&self) -> tokio::runtime::Handle {
        self.runtime.handle().clone()
    }

    fn open_stream(&self, desc: OciDescriptor) -> Result<Body, Error> {
        let client = Arc::clone(&self.client);
        let reference = self.reference.clone();
        let sized = self
            .runtime
            .block_on(async { client.pull_blob_stream(&reference, &desc).await })
            .map_err(|e| self.map_error(e))?;
        let (tx, body) = net::body();
        let mut stream = sized.stream;
        let input = self.input.clone();
        self.runtime.spawn(async move {
            while let Some(item) = stream.next().await {
                let item = item
                    .map(|bytes| bytes.to_vec())
                    .map_err(|e| Error::Connect {
                        reference: input.clone(),
                        message: format!("the blob stream broke: {}", net::chain(&e)),
                    });
                let failed = item.is_err();
                if tx.send(item).await.is_err() || failed {
                    break;
                }
            }
        });
        Ok(body)
    }
}

fn descriptor(
    digest: String,
    size: Option<u64>,
    media_type: &str,
    urls: Vec<String>,
) -> OciDescriptor {
    OciDescriptor {
        media_type: media_type.to_owned(),
        digest,
        size: size.and_then(|s| i64::try_from(s).ok()).unwrap_or(0),
        urls: (!urls.is_empty()).then_some(urls),
        annotations: None,
        artifact_type: None,
    }
}

fn map_error(reference: &str, auth: &RegistryAuth, err: OciDistributionError) -> Error {
    let reference = reference.to_owned();
    let hint = || {
        match auth {
        RegistryAuth::Anonymous => {
            "; no credentials were found: pass them, or set WINSPECT_REGISTRY_USERNAME and WINSPECT_REGISTRY_PASSWORD".to_owned()
        }
        _ => String::new(),
    }
    };
    match err {
        OciDistributionError::UnauthorizedError { .. } => Error::Unauthorized {
            reference,
            hint: hint(),
        },
        OciDistributionError::AuthenticationFailure(message) => Error::Unauthorized {
            reference,
            hint: format!(": {message}{}", hint()),
        },
        OciDistributionError::ImageManifestNotFoundError(message) => {
            Error::NotFound { reference, message }
        }
        OciDistributionError::RegistryError { envelope, .. } => {
            let message = envelope.to_string();
            let codes: Vec<&OciErrorCode> = envelope.errors.iter().map(|e| &e.code).collect();
            if codes
                .iter()
                .any(|c| matches!(c, OciErrorCode::Unauthorized))
            {
                Error::Unauthorized {
                    reference,
                    hint: hint(),
                }
            } else if codes.iter().any(|c| matches!(c, OciErrorCode::Denied)) {
                Error::Forbidden { reference, message }
            } else if codes.iter().any(|c| {
                matches!(
                    c,
                    OciErrorCode::ManifestUnknown
                        | OciErrorCode::BlobUnknown
                        | OciErrorCode::NameUnknown
                )
            }) {
                Error::NotFound { reference, message }
            } else {
                Error::Registry {
                    reference,
                    status: 400,
                    message,
                }
            }
        }
        OciDistributionError::ServerError { code, message, .. } => match code {
            401 => Error::Unauthorized {
                reference,
                hint: hint(),
            },
            403 => Error::Forbidden { reference, message },
            404 => Error::NotFound { reference, message },
            status => Error::Registry {
                reference,
                status,
                message,
            },
        },
        OciDistributionError::RequestError(e) => {
            if e.is_connect() || e.is_timeout() {
                Error::Connect {
                    reference,
                    message: net::chain(&e),
                }
            } else {
                Error::Registry {
                    reference,
                    status: e.status().map(|s| s.as_u16()).unwrap_or(0),
                    message: net::chain(&e),
                }
            }
        }
        OciDistributionError::DigestError(e) => Error::Invalid {
            blob: format!("a blob of `{reference}`"),
            reason: e.to_string(),
        },
        other => Error::Registry {
            reference,
            status: 0,
            message: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_registries_are_recognised() {
        assert!(is_loopback("localhost:5000"));
        assert!(is_loopback("127.0.0.1:39111"));
        assert!(is_loopback("[::1]:5000"));
        assert!(!is_loopback("mcr.microsoft.com"));
        assert!(!is_loopback("10.0.0.1:5000"));
    }

    #[test]
    fn docker_config_auths_are_read() {
        let encoded = base64::engine::general_purpose::STANDARD.encode("alice:s3cret");
        let config = format!(
            r#"{{"auths":{{"https://index.docker.io/v1/":{{"auth":"{encoded}"}},"localhost:5000":{{"username":"bob","password":"pw"}}}}}}"#
        );
        let auth = docker_config_auth(config.as_bytes(), "index.docker.io", "c").unwrap();
        assert_eq!(
            auth,
            Some(RegistryAuth::Basic("alice".into(), "s3cret".into()))
        );
        let auth = docker_config_auth(config.as_bytes(), "localhost:5000", "c").unwrap();
        assert_eq!(auth, Some(RegistryAuth::Basic("bob".into(), "pw".into())));
        assert_eq!(
            docker_config_auth(config.as_bytes(), "ghcr.io", "c").unwrap(),
            None
        );
        let err = docker_config_auth(br#"{"auths":{"ghcr.io":{"auth":"!!"}}}"#, "ghcr.io", "cfg")
            .unwrap_err();
        assert!(err.to_string().contains("`cfg`"), "{err}");
    }
}
