//! Audits the `web.config` files the inventory found for settings that
//! expose an ASP.NET application: debug compilation, custom errors off,
//! and the `X-AspNet-Version` header.

use serde::Deserialize;
use winspect_plugin_sdk::{Error, Finding, Severity, WindowsVersion, plugin};

#[derive(Deserialize)]
struct Input {
    iis: Iis,
}

#[derive(Deserialize)]
struct Iis {
    #[serde(default)]
    web_configs: Vec<WebConfig>,
}

/// The fields of an inventory `web.config` record this check reads.
#[derive(Deserialize)]
struct WebConfig {
    path: String,
    #[serde(default)]
    debug: bool,
    #[serde(default)]
    custom_errors: String,
    #[serde(default = "header_sent_by_default")]
    version_header: bool,
    #[serde(default)]
    layer: Option<String>,
}

/// ASP.NET sends the header unless `enableVersionHeader="false"`.
fn header_sent_by_default() -> bool {
    true
}

fn check(input: Input) -> Result<Vec<Finding>, Error> {
    let mut findings = Vec::new();
    for config in &input.iis.web_configs {
        let path = &config.path;
        let finding = |id: &str, severity, message: String, remediation: String| {
            Finding::new(id, severity, message)
                .remediation(remediation)
                .subject(path)
                .layer(config.layer.clone())
        };
        if config.debug {
            findings.push(finding(
                "WEBCONFIG-DEBUG",
                Severity::Medium,
                format!(
                    "`{path}` compiles with debug=\"true\": pages run slower, keep debug symbols \
                     and show source lines in error pages"
                ),
                format!("set `<compilation debug=\"false\">` in `{path}`"),
            ));
        }
        if config.custom_errors.eq_ignore_ascii_case("off") {
            findings.push(finding(
                "WEBCONFIG-CUSTOMERRORS-OFF",
                Severity::Medium,
                format!(
                    "`{path}` sets customErrors mode=\"Off\": remote clients see detailed error \
                     pages with stack traces"
                ),
                format!("set `<customErrors mode=\"RemoteOnly\">` (or `On`) in `{path}`"),
            ));
        }
        if config.version_header {
            findings.push(finding(
                "WEBCONFIG-VERSION-HEADER",
                Severity::Low,
                format!("`{path}` lets ASP.NET send the X-AspNet-Version header, which tells attackers the runtime version"),
                format!("set `<httpRuntime enableVersionHeader=\"false\">` in `{path}`"),
            ));
        }
    }
    Ok(findings)
}

/// The .NET Framework version an `httpRuntime targetFramework` names
/// (`4.8`, `v4.7.2`), as a version the rule language can compare.
fn target_framework_version(target_framework: String) -> Result<WindowsVersion, Error> {
    let text = target_framework.trim();
    let text = text.strip_prefix(['v', 'V']).unwrap_or(text);
    let parts: Vec<&str> = text.split('.').collect();
    let numeric = |p: &&str| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit());
    if parts.len() > 4 || !parts.iter().all(numeric) {
        return Err(Error::new(format!(
            "`{target_framework}` is not a .NET Framework version"
        )));
    }
    Ok(WindowsVersion(text.to_owned()))
}

plugin! {
    name: "webconfig-audit",
    version: "1.0.0",
    description: "Reports web.config files with debug compilation, custom errors off or the version header",
    sections: ["iis"],
    check: check,
    functions: {
        fn target_framework_version(target_framework: String) -> Result<WindowsVersion, Error>;
    }
}
