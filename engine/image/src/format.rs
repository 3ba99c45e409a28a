//! The JSON documents of an image: OCI and Docker manifests and indexes,
//! the image config, and `docker save`'s `manifest.json`. Read leniently
//! where real images are sloppy (key case in configs, e.g. `rootfS`), and
//! strictly where a mistake would change what is read (digests, sizes).

use serde::Deserialize;
use serde_json::Value;

use crate::error::Error;

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LAYER_TAR: &str = "application/vnd.docker.image.rootfs.diff.tar";
pub const DOCKER_FOREIGN: &str = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
pub const OCI_NONDISTRIBUTABLE_PREFIX: &str = "application/vnd.oci.image.layer.nondistributable.";

/// Whether a layer media type marks a foreign (non-distributable) layer.
pub fn is_foreign(media_type: &str) -> bool {
    media_type == DOCKER_FOREIGN || media_type.starts_with(OCI_NONDISTRIBUTABLE_PREFIX)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    #[serde(default)]
    pub media_type: String,
    pub digest: String,
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(default)]
    pub urls: Vec<String>,
    #[serde(default)]
    pub platform: Option<Platform>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Platform {
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub architecture: String,
    #[serde(default, rename = "os.version")]
    pub os_version: Option<String>,
    #[serde(default)]
    pub variant: Option<String>,
}

impl Platform {
    pub fn describe(&self) -> String {
        let mut text = format!("{}/{}", self.os, self.architecture);
        if let Some(v) = &self.variant {
            text.push('/');
            text.push_str(v);
        }
        if let Some(v) = &self.os_version {
            text.push_str(&format!(" ({v})"));
        }
        text
    }
}

/// A manifest or an index: which one is told by `mediaType` or, when that
/// is absent (OCI allows it), by which list it has.
#[derive(Debug, Clone)]
pub enum Document {
    Index(Vec<Descriptor>),
    Manifest {
        config: Box<Descriptor>,
        layers: Vec<Descriptor>,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDocument {
    #[serde(default)]
    schema_version: Option<i64>,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Option<Vec<Descriptor>>,
}

impl Document {
    pub fn parse(bytes: &[u8], blob: &str) -> Result<Document, Error> {
        let raw: RawDocument = serde_json::from_slice(bytes)
            .map_err(|e| Error::invalid(blob, format!("not a manifest or index: {e}")))?;
        if let Some(v) = raw.schema_version
            && v != 2
        {
            return Err(Error::invalid(
                blob,
                format!("schemaVersion {v} is not supported (only 2)"),
            ));
        }
        let media = raw.media_type.unwrap_or_default();
        match (raw.manifests, raw.config, raw.layers) {
            (Some(manifests), None, None) => Ok(Document::Index(manifests)),
            (None, Some(config), Some(layers)) => Ok(Document::Manifest {
                config: Box::new(config),
                layers,
            }),
            _ => Err(Error::invalid(
                blob,
                format!(
                    "neither an index (`manifests`) nor an image manifest (`config` and `layers`){}",
                    if media.is_empty() {
                        String::new()
                    } else {
                        format!("; its mediaType is `{media}`")
                    }
                ),
            )),
        }
    }
}

/// The parts of an image config winspect reports.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub os: String,
    pub architecture: String,
    pub os_version: Option<String>,
    pub variant: Option<String>,
    pub created: Option<String>,
    pub user: String,
    pub env: Vec<String>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub shell: Vec<String>,
    pub working_dir: String,
    pub exposed_ports: Vec<String>,
    pub labels: Vec<(String, String)>,
    pub diff_ids: Vec<String>,
    pub history: Vec<History>,
}

#[derive(Debug, Clone, Default)]
pub struct History {
    pub created_by: String,
    pub empty_layer: bool,
}

/// A key of a JSON object, matched case-insensitively when no exact match
/// exists (real configs carry `rootfS`, and Windows-built ones `user`/`cmd`).
fn get<'a>(object: &'a Value, key: &str) -> Option<&'a Value> {
    let map = object.as_object()?;
    map.get(key).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

fn string(object: &Value, key: &str) -> String {
    get(object, key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn strings(object: &Value, key: &str) -> Vec<String> {
    match get(object, key) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

impl Config {
    pub fn parse(bytes: &[u8], blob: &str) -> Result<Config, Error> {
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|e| Error::invalid(blob, format!("not an image config: {e}")))?;
        if !value.is_object() {
            return Err(Error::invalid(
                blob,
                "not an image config: not a JSON object",
            ));
        }
        let empty = Value::Null;
        let run = get(&value, "config").unwrap_or(&empty);
        let rootfs = get(&value, "rootfs").unwrap_or(&empty);
        let mut exposed_ports: Vec<String> = get(run, "ExposedPorts")
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        exposed_ports.sort();
        let labels = get(run, "Labels")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let history = match get(&value, "history") {
            Some(Value::Array(items)) => items
                .iter()
                .map(|h| History {
                    created_by: string(h, "created_by"),
                    empty_layer: get(h, "empty_layer")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                })
                .collect(),
            _ => Vec::new(),
        };
        Ok(Config {
            os: string(&value, "os"),
            architecture: string(&value, "architecture"),
            os_version: get(&value, "os.version")
                .and_then(Value::as_str)
                .map(str::to_owned),
            variant: get(&value, "variant")
                .and_then(Value::as_str)
                .map(str::to_owned),
            created: get(&value, "created")
                .and_then(Value::as_str)
                .map(str::to_owned),
            user: string(run, "User"),
            env: strings(run, "Env"),
            entrypoint: strings(run, "Entrypoint"),
            cmd: strings(run, "Cmd"),
            shell: strings(run, "Shell"),
            working_dir: string(run, "WorkingDir"),
            exposed_ports,
            labels,
            diff_ids: strings(rootfs, "diff_ids"),
            history,
        })
    }

    pub fn platform(&self) -> Platform {
        Platform {
            os: self.os.clone(),
            architecture: self.architecture.clone(),
            os_version: self.os_version.clone(),
            variant: self.variant.clone(),
        }
    }
}

/// One image of `docker save`'s `manifest.json`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SaveEntry {
    pub config: String,
    pub layers: Vec<String>,
    /// Foreign layers' descriptors, by diff_id.
    #[serde(default)]
    pub layer_sources: Option<std::collections::BTreeMap<String, Descriptor>>,
}

pub fn parse_save_manifest(bytes: &[u8]) -> Result<Vec<SaveEntry>, Error> {
    serde_json::from_slice(bytes)
        .map_err(|e| Error::invalid("docker save `manifest.json`", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_keys_are_matched_leniently() {
        let cfg = br#"{"architecture":"amd64","os":"windows","os.version":"10.0.19042.985",
            "history":[{"created_by":"Apply image"},{"created_by":"ENV x","empty_layer":true}],
            "rootfS":{"type":"layers","diff_ids":["sha256:e4"]},
            "config":{"user":"ContainerUser","cmd":["c:\\windows\\system32\\cmd.exe"],
              "ExposedPorts":{"80/tcp":{}},"Labels":{"a":"b"}}}"#;
        let c = Config::parse(cfg, "config").unwrap();
        assert_eq!(c.diff_ids, vec!["sha256:e4"]);
        assert_eq!(c.user, "ContainerUser");
        assert_eq!(c.cmd, vec!["c:\\windows\\system32\\cmd.exe"]);
        assert_eq!(c.os_version.as_deref(), Some("10.0.19042.985"));
        assert!(c.history[1].empty_layer);
        assert_eq!(c.exposed_ports, vec!["80/tcp"]);
        assert!(
            Config::parse(b"[1]", "config `x`")
                .unwrap_err()
                .to_string()
                .contains("config `x`")
        );
    }

    #[test]
    fn documents_are_told_apart() {
        let idx = br#"{"schemaVersion":2,"manifests":[{"digest":"sha256:a","platform":{"os":"windows","architecture":"amd64"}}]}"#;
        assert!(matches!(Document::parse(idx, "i").unwrap(), Document::Index(m) if m.len() == 1));
        let bad = br#"{"schemaVersion":1,"fsLayers":[]}"#;
        assert!(
            Document::parse(bad, "manifest `m`")
                .unwrap_err()
                .to_string()
                .contains("schemaVersion 1")
        );
    }
}
