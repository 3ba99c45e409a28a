//! `applicationHost.config`: sites, application pools, global modules, and
//! the settings each site ends up with.
//!
//! Defaults are the ones IIS's own schema (`IIS_schema.xml`) declares. A
//! site's settings start from them, then take the server-level
//! `system.webServer`, then `<location path="">`, then every
//! `<location path="SITE">` in file order; the last value set wins.

use roxmltree::Node;
use winspect_inventory::{IisAppPool, IisApplication, IisBinding, IisModule, IisSite, Layer};

use super::xml::{Config, ConfigError, children, descendant};
use crate::{Report, names_equal};

const SECTION: &str = "iis";

/// What `applicationHost.config` declares.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AppHost {
    pub sites: Vec<IisSite>,
    pub app_pools: Vec<IisAppPool>,
    pub global_modules: Vec<IisModule>,
}

/// Parses `text` (named `path`, from `layer`). Bindings that cannot be split
/// keep their raw text and add a warning to `report`.
pub fn parse(
    path: &str,
    text: &str,
    layer: &Layer,
    report: &mut Report,
) -> Result<AppHost, ConfigError> {
    let config = Config::parse(path, text)?;
    let root = config.root();
    let mut host = AppHost::default();
    for app_host in children(root, "system.applicationHost") {
        if let Some(pools) = descendant(app_host, "applicationPools") {
            host.app_pools = app_pools(&config, pools, layer)?;
        }
        if let Some(sites) = descendant(app_host, "sites") {
            host.sites = sites_of(&config, sites, layer, report)?;
        }
    }
    for web_server in children(root, "system.webServer") {
        if let Some(modules) = descendant(web_server, "globalModules") {
            host.global_modules = collection(modules)
                .into_iter()
                .map(|add| IisModule {
                    name: add.attribute("name").unwrap_or_default().to_owned(),
                    image: add.attribute("image").unwrap_or_default().to_owned(),
                    layer: layer.clone(),
                })
                .collect();
        }
    }
    for site in &mut host.sites {
        let settings = effective_settings(&config, &site.name)?;
        settings.apply(site);
    }
    Ok(host)
}

/// The `add` elements of a collection after its `clear` and `remove`
/// elements took effect, keyed by `name`.
fn collection<'a, 'input>(node: Node<'a, 'input>) -> Vec<Node<'a, 'input>> {
    let mut items: Vec<Node<'a, 'input>> = Vec::new();
    for child in node.children().filter(Node::is_element) {
        let name = child.attribute("name").unwrap_or_default();
        match child.tag_name().name() {
            "add" => {
                items.retain(|item| !names_equal(item.attribute("name").unwrap_or_default(), name));
                items.push(child);
            }
            "remove" => {
                items.retain(|item| !names_equal(item.attribute("name").unwrap_or_default(), name))
            }
            "clear" => items.clear(),
            _ => {}
        }
    }
    items
}

/// Pools, each inheriting `applicationPoolDefaults`, which inherits the schema.
fn app_pools(
    config: &Config<'_>,
    pools: Node<'_, '_>,
    layer: &Layer,
) -> Result<Vec<IisAppPool>, ConfigError> {
    let mut defaults = IisAppPool {
        identity: "ApplicationPoolIdentity".to_owned(),
        clr_version: String::new(),
        pipeline_mode: "Integrated".to_owned(),
        enable_32bit: false,
        auto_start: true,
        layer: layer.clone(),
        ..IisAppPool::default()
    };
    if let Some(node) = descendant(pools, "applicationPoolDefaults") {
        defaults = pool_from(config, node, defaults)?;
    }
    collection(pools)
        .into_iter()
        .map(|add| pool_from(config, add, defaults.clone()))
        .collect()
}

fn pool_from(
    config: &Config<'_>,
    node: Node<'_, '_>,
    inherited: IisAppPool,
) -> Result<IisAppPool, ConfigError> {
    let mut pool = inherited;
    if let Some(name) = node.attribute("name") {
        name.clone_into(&mut pool.name);
    }
    if let Some(version) = node.attribute("managedRuntimeVersion") {
        version.clone_into(&mut pool.clr_version);
    }
    if let Some(mode) = node.attribute("managedPipelineMode") {
        mode.clone_into(&mut pool.pipeline_mode);
    }
    if let Some(enabled) = config.bool_attr(node, "enable32BitAppOnWin64")? {
        pool.enable_32bit = enabled;
    }
    if let Some(auto_start) = config.bool_attr(node, "autoStart")? {
        pool.auto_start = auto_start;
    }
    if let Some(identity) =
        descendant(node, "processModel").and_then(|p| p.attribute("identityType"))
    {
        identity.clone_into(&mut pool.identity);
    }
    Ok(pool)
}

fn sites_of(
    config: &Config<'_>,
    sites: Node<'_, '_>,
    layer: &Layer,
    report: &mut Report,
) -> Result<Vec<IisSite>, ConfigError> {
    let default_pool = descendant(sites, "applicationDefaults")
        .and_then(|d| d.attribute("applicationPool"))
        .unwrap_or_default();
    let default_logging = match descendant(sites, "siteDefaults/logFile") {
        Some(log_file) => config.bool_attr(log_file, "enabled")?.unwrap_or(true),
        None => true,
    };
    let mut result = Vec::new();
    for site in children(sites, "site") {
        let name = site
            .attribute("name")
            .ok_or_else(|| config.error(site, "a `site` has no `name`"))?;
        let id = match site.attribute("id") {
            Some(text) => text.trim().parse().map_err(|_| {
                config.error(
                    site,
                    format!("site `{name}` has id `{text}`, expected a number"),
                )
            })?,
            None => 0,
        };
        let site_pool = descendant(site, "applicationDefaults")
            .and_then(|d| d.attribute("applicationPool"))
            .unwrap_or(default_pool);
        let applications: Vec<IisApplication> = children(site, "application")
            .map(|app| IisApplication {
                path: app.attribute("path").unwrap_or_default().to_owned(),
                physical_path: children(app, "virtualDirectory")
                    .find(|v| v.attribute("path") == Some("/"))
                    .and_then(|v| v.attribute("physicalPath"))
                    .unwrap_or_default()
                    .to_owned(),
                app_pool: app
                    .attribute("applicationPool")
                    .unwrap_or(site_pool)
                    .to_owned(),
            })
            .collect();
        let root = applications.iter().find(|app| app.path == "/");
        let mut bindings = Vec::new();
        for binding in children(site, "bindings").flat_map(|b| children(b, "binding")) {
            bindings.push(binding_of(config, binding, name, report)?);
        }
        let logging = match descendant(site, "logFile") {
            Some(log_file) => config
                .bool_attr(log_file, "enabled")?
                .unwrap_or(default_logging),
            None => default_logging,
        };
        result.push(IisSite {
            name: name.to_owned(),
            id,
            physical_path: root
                .map(|app| app.physical_path.clone())
                .unwrap_or_default(),
            app_pool: root.map(|app| app.app_pool.clone()).unwrap_or_default(),
            bindings,
            applications,
            logging_enabled: logging,
            layer: layer.clone(),
            ..IisSite::default()
        });
    }
    Ok(result)
}

/// `bindingInformation` is `ip:port:host` for HTTP-like protocols (the IP may
/// be `*`, empty or a bracketed IPv6 address); other protocols (`net.tcp`
/// `808:*`, `net.pipe` `*`) have their own forms and stay unsplit.
fn binding_of(
    config: &Config<'_>,
    node: Node<'_, '_>,
    site: &str,
    report: &mut Report,
) -> Result<IisBinding, ConfigError> {
    let protocol = node.attribute("protocol").unwrap_or_default();
    let information = node.attribute("bindingInformation").unwrap_or_default();
    let ssl_flags = config.u64_attr(node, "sslFlags")?.unwrap_or(0);
    let mut binding = IisBinding {
        protocol: protocol.to_owned(),
        information: information.to_owned(),
        ssl_flags: u32::try_from(ssl_flags)
            .map_err(|_| config.error(node, format!("`sslFlags` {ssl_flags} is too large")))?,
        ..IisBinding::default()
    };
    let http_like = ["http", "https", "ftp"]
        .iter()
        .any(|p| protocol.eq_ignore_ascii_case(p));
    if http_like {
        let split = information
            .rsplit_once(':')
            .and_then(|(rest, host)| rest.rsplit_once(':').map(|(ip, port)| (ip, port, host)))
            .and_then(|(ip, port, host)| port.parse::<u16>().ok().map(|port| (ip, port, host)));
        match split {
            Some((ip, port, host)) => {
                binding.ip = ip.to_owned();
                binding.port = port;
                binding.host = host.to_owned();
            }
            None => report.warn(
                SECTION,
                format!(
                    "`{}` line {}: site `{site}` binding `{information}` is not `ip:port:host`",
                    config.path,
                    config.line(node)
                ),
            ),
        }
    }
    Ok(binding)
}

/// The `system.webServer` settings the inventory reports, as set so far.
#[derive(Debug, Clone, PartialEq)]
struct Settings {
    directory_browse: bool,
    anonymous_auth: bool,
    basic_auth: bool,
    windows_auth: bool,
    error_mode: String,
    dont_log: bool,
    allow_double_escaping: bool,
    allow_high_bit_characters: bool,
    max_allowed_content_length: u64,
    max_url: u64,
    max_query_string: u64,
}

impl Default for Settings {
    /// The defaults of IIS_schema.xml.
    fn default() -> Self {
        Settings {
            directory_browse: false,
            anonymous_auth: true,
            basic_auth: false,
            windows_auth: false,
            error_mode: "DetailedLocalOnly".to_owned(),
            dont_log: false,
            allow_double_escaping: false,
            allow_high_bit_characters: true,
            max_allowed_content_length: 30_000_000,
            max_url: 4096,
            max_query_string: 2048,
        }
    }
}

impl Settings {
    /// Takes every setting `web_server` (a `system.webServer` element) sets.
    fn merge(&mut self, config: &Config<'_>, web_server: Node<'_, '_>) -> Result<(), ConfigError> {
        let set_bool =
            |target: &mut bool, path: &str, attribute: &str| -> Result<(), ConfigError> {
                if let Some(node) = descendant(web_server, path)
                    && let Some(value) = config.bool_attr(node, attribute)?
                {
                    *target = value;
                }
                Ok(())
            };
        set_bool(&mut self.directory_browse, "directoryBrowse", "enabled")?;
        set_bool(
            &mut self.anonymous_auth,
            "security/authentication/anonymousAuthentication",
            "enabled",
        )?;
        set_bool(
            &mut self.basic_auth,
            "security/authentication/basicAuthentication",
            "enabled",
        )?;
        set_bool(
            &mut self.windows_auth,
            "security/authentication/windowsAuthentication",
            "enabled",
        )?;
        set_bool(&mut self.dont_log, "httpLogging", "dontLog")?;
        set_bool(
            &mut self.allow_double_escaping,
            "security/requestFiltering",
            "allowDoubleEscaping",
        )?;
        set_bool(
            &mut self.allow_high_bit_characters,
            "security/requestFiltering",
            "allowHighBitCharacters",
        )?;
        if let Some(mode) =
            descendant(web_server, "httpErrors").and_then(|e| e.attribute("errorMode"))
        {
            mode.clone_into(&mut self.error_mode);
        }
        if let Some(limits) = descendant(web_server, "security/requestFiltering/requestLimits") {
            for (target, attribute) in [
                (
                    &mut self.max_allowed_content_length,
                    "maxAllowedContentLength",
                ),
                (&mut self.max_url, "maxUrl"),
                (&mut self.max_query_string, "maxQueryString"),
            ] {
                if let Some(value) = config.u64_attr(limits, attribute)? {
                    *target = value;
                }
            }
        }
        Ok(())
    }

    fn apply(self, site: &mut IisSite) {
        site.directory_browse = self.directory_browse;
        site.anonymous_auth = self.anonymous_auth;
        site.basic_auth = self.basic_auth;
        site.windows_auth = self.windows_auth;
        site.detailed_errors = self.error_mode.eq_ignore_ascii_case("Detailed");
        site.logging_enabled = site.logging_enabled && !self.dont_log;
        site.request_filtering.allow_double_escaping = self.allow_double_escaping;
        site.request_filtering.allow_high_bit_characters = self.allow_high_bit_characters;
        site.request_filtering.max_allowed_content_length = self.max_allowed_content_length;
        site.request_filtering.max_url = self.max_url;
        site.request_filtering.max_query_string = self.max_query_string;
    }
}

/// Server level, then `<location path="">` (or `.`), then the site's own
/// `<location>` elements, in file order within each level.
fn effective_settings(config: &Config<'_>, site: &str) -> Result<Settings, ConfigError> {
    let root = config.root();
    let mut settings = Settings::default();
    for web_server in children(root, "system.webServer") {
        settings.merge(config, web_server)?;
    }
    let location_path = |node: &Node<'_, '_>| {
        node.attribute("path")
            .unwrap_or_default()
            .trim()
            .trim_matches('/')
            .to_owned()
    };
    let server_wide = |path: &str| path.is_empty() || path == ".";
    for location in children(root, "location").filter(|l| server_wide(&location_path(l))) {
        for web_server in children(location, "system.webServer") {
            settings.merge(config, web_server)?;
        }
    }
    for location in children(root, "location").filter(|l| names_equal(&location_path(l), site)) {
        for web_server in children(location, "system.webServer") {
            settings.merge(config, web_server)?;
        }
    }
    Ok(settings)
}
