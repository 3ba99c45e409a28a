//! `applicationHost.config`: sites, application pools, global modules, and
//! the settings each site ends up with.
//!
//! Defaults are the ones IIS's own schema (`IIS_schema.xml`) declares. A
//! site's settings start from them, then take the server-level
//! `system.webServer`, then `<location path="">`, then every
//! `<location path="SITE">` in file order; the last value set wins. The
//! site's root `web.config` may then change the sections delegated to it
//! ([`AppHost::apply_site_web_config`]).

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
    /// Per site, in the order of `sites`: what a `web.config` starts from.
    site_state: Vec<SiteState>,
}

#[derive(Debug, Clone, PartialEq)]
struct SiteState {
    settings: Settings,
    /// The sections a `web.config` of the site may set.
    delegated: Vec<&'static str>,
    /// The site's `logFile enabled` (or `siteDefaults`).
    log_file: bool,
}

/// The `system.webServer` sections the inventory reports.
const DIRECTORY_BROWSE: &str = "directoryBrowse";
const ANONYMOUS: &str = "security/authentication/anonymousAuthentication";
const BASIC: &str = "security/authentication/basicAuthentication";
const WINDOWS: &str = "security/authentication/windowsAuthentication";
const HTTP_ERRORS: &str = "httpErrors";
const HTTP_LOGGING: &str = "httpLogging";
const REQUEST_FILTERING: &str = "security/requestFiltering";
const SECTIONS: &[&str] = &[
    DIRECTORY_BROWSE,
    ANONYMOUS,
    BASIC,
    WINDOWS,
    HTTP_ERRORS,
    HTTP_LOGGING,
    REQUEST_FILTERING,
];

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
        let state = SiteState {
            settings: effective_settings(&config, &site.name)?,
            delegated: delegated_sections(&config, &site.name),
            log_file: site.logging_enabled,
        };
        state.settings.apply(site, state.log_file);
        host.site_state.push(state);
    }
    Ok(host)
}

impl AppHost {
    /// Applies `text`, the `web.config` (named `path`) in the root folder of
    /// `sites[site]`: its `system.webServer` settings for the sections
    /// `applicationHost.config` delegates. A locked section it sets is a
    /// warning in `report`: IIS answers such a site with error 500.19.
    pub fn apply_site_web_config(
        &mut self,
        site: usize,
        path: &str,
        text: &str,
        report: &mut Report,
    ) -> Result<(), ConfigError> {
        let (Some(target), Some(state)) = (self.sites.get_mut(site), self.site_state.get_mut(site))
        else {
            return Ok(());
        };
        let config = Config::parse(path, text)?;
        let root = config.root();
        let own_locations = children(root, "location").filter(|location| {
            let at = location.attribute("path").unwrap_or_default().trim();
            at.is_empty() || at == "."
        });
        let sections: Vec<Node<'_, '_>> = children(root, "system.webServer")
            .chain(own_locations.flat_map(|l| children(l, "system.webServer")))
            .collect();
        for web_server in sections {
            let delegated = &state.delegated;
            let refused = state
                .settings
                .merge(&config, web_server, &|section| delegated.contains(&section))?;
            for section in refused {
                report.warn(
                    SECTION,
                    format!(
                        "`{path}` line {}: site `{}` sets `system.webServer/{section}`, which applicationHost.config locks; IIS refuses to serve the site",
                        config.line(web_server),
                        target.name
                    ),
                );
            }
        }
        state.settings.apply(target, state.log_file);
        Ok(())
    }
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
    /// Takes the settings `web_server` (a `system.webServer` element) sets
    /// in the sections `allowed` accepts; returns the sections it sets that
    /// `allowed` refuses.
    fn merge(
        &mut self,
        config: &Config<'_>,
        web_server: Node<'_, '_>,
        allowed: &dyn Fn(&'static str) -> bool,
    ) -> Result<Vec<&'static str>, ConfigError> {
        let mut refused = Vec::new();
        for &section in SECTIONS {
            let Some(node) = descendant(web_server, section) else {
                continue;
            };
            if !allowed(section) {
                refused.push(section);
                continue;
            }
            let set = |target: &mut bool, attribute: &str| -> Result<(), ConfigError> {
                if let Some(value) = config.bool_attr(node, attribute)? {
                    *target = value;
                }
                Ok(())
            };
            match section {
                DIRECTORY_BROWSE => set(&mut self.directory_browse, "enabled")?,
                ANONYMOUS => set(&mut self.anonymous_auth, "enabled")?,
                BASIC => set(&mut self.basic_auth, "enabled")?,
                WINDOWS => set(&mut self.windows_auth, "enabled")?,
                HTTP_LOGGING => set(&mut self.dont_log, "dontLog")?,
                HTTP_ERRORS => {
                    if let Some(mode) = node.attribute("errorMode") {
                        mode.clone_into(&mut self.error_mode);
                    }
                }
                _ => {
                    set(&mut self.allow_double_escaping, "allowDoubleEscaping")?;
                    set(
                        &mut self.allow_high_bit_characters,
                        "allowHighBitCharacters",
                    )?;
                    if let Some(limits) = descendant(node, "requestLimits") {
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
                }
            }
        }
        Ok(refused)
    }

    fn apply(&self, site: &mut IisSite, log_file: bool) {
        site.directory_browse = self.directory_browse;
        site.anonymous_auth = self.anonymous_auth;
        site.basic_auth = self.basic_auth;
        site.windows_auth = self.windows_auth;
        site.detailed_errors = self.error_mode.eq_ignore_ascii_case("Detailed");
        site.logging_enabled = log_file && !self.dont_log;
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
        settings.merge(config, web_server, &|_| true)?;
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
            settings.merge(config, web_server, &|_| true)?;
        }
    }
    for location in children(root, "location").filter(|l| names_equal(&location_path(l), site)) {
        for web_server in children(location, "system.webServer") {
            settings.merge(config, web_server, &|_| true)?;
        }
    }
    Ok(settings)
}

/// The sections a `web.config` of `site` may set: each section's
/// `overrideModeDefault` in `configSections` (Allow when unset), changed by
/// `overrideMode` (or the older `allowOverride`) on a `<location>` for the
/// server (`""`) and then for the site that holds the section.
fn delegated_sections(config: &Config<'_>, site: &str) -> Vec<&'static str> {
    let root = config.root();
    let declarations = descendant(root, "configSections");
    let mode_of = |node: Node<'_, '_>, attribute: &str| match node.attribute(attribute) {
        Some(mode) if mode.eq_ignore_ascii_case("Allow") || mode.eq_ignore_ascii_case("true") => {
            Some(true)
        }
        Some(mode) if mode.eq_ignore_ascii_case("Deny") || mode.eq_ignore_ascii_case("false") => {
            Some(false)
        }
        _ => None,
    };
    let location_path = |node: Node<'_, '_>| {
        node.attribute("path")
            .unwrap_or_default()
            .trim()
            .trim_matches('/')
            .to_owned()
    };
    SECTIONS
        .iter()
        .copied()
        .filter(|section| {
            let mut allowed = declarations
                .and_then(|d| declaration(d, section))
                .and_then(|node| mode_of(node, "overrideModeDefault"))
                .unwrap_or(true);
            let server = children(root, "location").filter(|l| {
                let path = location_path(*l);
                path.is_empty() || path == "."
            });
            let own = children(root, "location").filter(|l| names_equal(&location_path(*l), site));
            for location in server.chain(own) {
                let holds = children(location, "system.webServer")
                    .any(|web_server| descendant(web_server, section).is_some());
                if holds
                    && let Some(mode) = mode_of(location, "overrideMode")
                        .or_else(|| mode_of(location, "allowOverride"))
                {
                    allowed = mode;
                }
            }
            allowed
        })
        .collect()
}

/// The `<section>` declaring `system.webServer/<section>` in `configSections`.
fn declaration<'a, 'input>(sections: Node<'a, 'input>, section: &str) -> Option<Node<'a, 'input>> {
    let named = |node: Node<'a, 'input>, tag: &str, name: &str| {
        node.is_element() && node.tag_name().name() == tag && node.attribute("name") == Some(name)
    };
    let mut node = sections
        .children()
        .find(|child| named(*child, "sectionGroup", "system.webServer"))?;
    let mut parts = section.split('/').peekable();
    while let Some(part) = parts.next() {
        let tag = if parts.peek().is_some() {
            "sectionGroup"
        } else {
            "section"
        };
        node = node.children().find(|child| named(*child, tag, part))?;
    }
    Some(node)
}
