//! WebAssembly plugins for the language: the sandboxed host
//! (`winspect-plugins`) adapted to the language's `PluginHandle`.
//!
//! The host starts on the first plugin a pack declares. Its limits come from
//! the environment: `WINSPECT_PLUGIN_DEADLINE` (e.g. `1s`, `250ms`; default
//! 1 s), `WINSPECT_PLUGIN_MEMORY_MB` (default 64), `WINSPECT_PLUGIN_FUEL`
//! (an instruction budget for deterministic runs; default none). Compiled
//! modules are cached under `$WINSPECT_CACHE_DIR/plugins` (else the user's
//! cache directory).

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use winspect_lang::types::Ty;
use winspect_lang::value::Value;
use winspect_lang::{PluginFinding, PluginFunction, PluginHandle, Severity};
use winspect_plugins::{HostConfig, Plugin, PluginHost, Sections, TypedValue, ValueType};

/// Loads plugins for the language, starting the host on first use.
#[derive(Default)]
pub struct Loader {
    host: OnceLock<Result<PluginHost, String>>,
}

impl Loader {
    fn host(&self) -> Result<&PluginHost, String> {
        self.host
            .get_or_init(|| {
                let config = host_config()?;
                PluginHost::new(config).map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// `plugin NAME { path ... sha256 ... }`: the path is relative to the
    /// file that declares it.
    pub fn load(
        &self,
        naming_file: &str,
        path: &str,
        sha256: &str,
    ) -> Result<Arc<dyn PluginHandle>, String> {
        let base = Path::new(naming_file).parent().unwrap_or(Path::new("."));
        let full = base.join(path);
        let plugin = self
            .host()?
            .load(&full, Some(sha256))
            .map_err(|e| e.to_string())?;
        Ok(Arc::new(Adapter::new(plugin)))
    }
}

fn host_config() -> Result<HostConfig, String> {
    let mut config = HostConfig::default();
    if let Ok(text) = std::env::var("WINSPECT_PLUGIN_DEADLINE") {
        config.deadline = parse_duration(&text).ok_or_else(|| {
            format!("WINSPECT_PLUGIN_DEADLINE `{text}` is not a duration such as `1s` or `250ms`")
        })?;
    }
    if let Ok(text) = std::env::var("WINSPECT_PLUGIN_MEMORY_MB") {
        let mb: usize = text
            .parse()
            .map_err(|_| format!("WINSPECT_PLUGIN_MEMORY_MB `{text}` is not a number of MiB"))?;
        config.memory_limit = mb.saturating_mul(1024 * 1024);
    }
    if let Ok(text) = std::env::var("WINSPECT_PLUGIN_FUEL") {
        config.fuel = Some(
            text.parse()
                .map_err(|_| format!("WINSPECT_PLUGIN_FUEL `{text}` is not a number"))?,
        );
    }
    config.cache_dir = cache_dir();
    Ok(config)
}

fn cache_dir() -> Option<PathBuf> {
    let base = match std::env::var_os("WINSPECT_CACHE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => dirs::cache_dir()?.join("winspect"),
    };
    Some(base.join("plugins"))
}

fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    if let Some(ms) = text.strip_suffix("ms") {
        return ms.trim().parse().ok().map(Duration::from_millis);
    }
    text.strip_suffix('s')?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(Duration::from_secs_f64)
}

/// A loaded plugin as the language sees it.
#[derive(Debug)]
struct Adapter {
    plugin: Plugin,
    functions: Vec<PluginFunction>,
}

impl Adapter {
    fn new(plugin: Plugin) -> Adapter {
        let functions = plugin
            .manifest()
            .functions
            .iter()
            .map(|f| PluginFunction {
                name: f.name.clone(),
                params: f.params.iter().map(|p| lang_type(&p.ty)).collect(),
                result: lang_type(&f.result),
            })
            .collect();
        Adapter { plugin, functions }
    }
}

fn lang_type(ty: &ValueType) -> Ty {
    match ty {
        ValueType::Bool => Ty::Bool,
        ValueType::Int => Ty::Int,
        ValueType::Float => Ty::Float,
        ValueType::String => Ty::Str,
        ValueType::Date => Ty::Date,
        ValueType::Version(kind) => Ty::Version(*kind),
        ValueType::List(inner) => Ty::List(Box::new(lang_type(inner))),
    }
}

fn to_plugin(value: &Value) -> Result<TypedValue, String> {
    Ok(match value {
        Value::Bool(b) => TypedValue::Bool(*b),
        Value::Int(n) => TypedValue::Int(*n),
        Value::Float(x) => TypedValue::Float(*x),
        Value::Str(s) => TypedValue::String(s.to_string()),
        Value::Date(d) => TypedValue::Date(*d),
        Value::Version(v) => TypedValue::Version((**v).clone()),
        Value::List(items) => {
            TypedValue::List(items.iter().map(to_plugin).collect::<Result<_, _>>()?)
        }
        other => return Err(format!("a {other:?} cannot be passed to a plugin")),
    })
}

fn from_plugin(value: TypedValue) -> Value {
    match value {
        TypedValue::Bool(b) => Value::Bool(b),
        TypedValue::Int(n) => Value::Int(n),
        TypedValue::Float(x) => Value::Float(x),
        TypedValue::String(s) => Value::str(&s),
        TypedValue::Date(d) => Value::Date(d),
        TypedValue::Version(v) => Value::Version(Arc::new(v)),
        TypedValue::List(items) => Value::List(
            items
                .into_iter()
                .map(from_plugin)
                .collect::<Vec<_>>()
                .into(),
        ),
    }
}

fn severity(s: winspect_plugins::Severity) -> Severity {
    match s {
        winspect_plugins::Severity::Info => Severity::Info,
        winspect_plugins::Severity::Low => Severity::Low,
        winspect_plugins::Severity::Medium => Severity::Medium,
        winspect_plugins::Severity::High => Severity::High,
        winspect_plugins::Severity::Critical => Severity::Critical,
    }
}

impl PluginHandle for Adapter {
    fn name(&self) -> &str {
        self.plugin.name()
    }

    fn sections(&self) -> &[String] {
        &self.plugin.manifest().sections
    }

    fn has_check(&self) -> bool {
        self.plugin.manifest().check
    }

    fn functions(&self) -> &[PluginFunction] {
        &self.functions
    }

    fn run_check(&self, sections: &[(String, Arc<[u8]>)]) -> Result<Vec<PluginFinding>, String> {
        let mut input = Sections::new();
        for (name, bytes) in sections {
            input.insert(name.clone(), bytes.clone());
        }
        let findings = self.plugin.run_check(&input).map_err(|e| e.to_string())?;
        Ok(findings
            .into_iter()
            .map(|f| PluginFinding {
                id: f.id,
                severity: severity(f.severity),
                message: f.message,
                remediation: f.remediation,
                subject: f.subject,
                layer: f.layer,
            })
            .collect())
    }

    fn call(&self, function: &str, args: &[Value]) -> Result<Value, String> {
        let args: Vec<TypedValue> = args.iter().map(to_plugin).collect::<Result<_, _>>()?;
        self.plugin
            .call(function, &args)
            .map(from_plugin)
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(parse_duration("1s"), Some(Duration::from_secs(1)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("0.5s"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("soon"), None);
        assert_eq!(parse_duration("-1s"), None);
    }
}
