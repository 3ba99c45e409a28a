use proptest::prelude::*;
use winspect_inventory::{IisAppPool, IisSite};

use super::*;
use crate::files::MemoryFiles;
use crate::registry::{MemoryRegistry, RegData};
use crate::test_support::{realdata, realdata_bytes, realdata_dir};

fn host(file: &str) -> Option<(app_host::AppHost, Report)> {
    let text = realdata(file)?;
    let mut report = Report::default();
    let host = app_host::parse(file, &text, &Some("sha256:l".into()), &mut report)
        .unwrap_or_else(|e| panic!("{e}"));
    Some((host, report))
}

fn pool<'a>(host: &'a app_host::AppHost, name: &str) -> &'a IisAppPool {
    host.app_pools
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no pool `{name}`"))
}

fn site<'a>(host: &'a app_host::AppHost, name: &str) -> &'a IisSite {
    host.sites
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no site `{name}`"))
}

fn bindings(site: &IisSite) -> Vec<(&str, &str, u16, &str)> {
    site.bindings
        .iter()
        .map(|b| (b.protocol.as_str(), b.ip.as_str(), b.port, b.host.as_str()))
        .collect()
}

fn pool_facts(pool: &IisAppPool) -> (&str, &str, &str, bool, bool) {
    (
        pool.identity.as_str(),
        pool.clr_version.as_str(),
        pool.pipeline_mode.as_str(),
        pool.enable_32bit,
        pool.auto_start,
    )
}

#[test]
fn the_full_iis_10_server_config() {
    let Some((host, report)) = host("iis-redhatse-container/applicationHost.config") else {
        return;
    };
    assert_eq!(report, Report::default());
    let names: Vec<_> = host.app_pools.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "DefaultAppPool",
            "Classic .NET AppPool",
            ".NET v2.0 Classic",
            ".NET v2.0",
            ".NET v4.5 Classic",
            ".NET v4.5"
        ]
    );
    // applicationPoolDefaults sets v4.0; the schema gives the rest.
    assert_eq!(
        pool_facts(pool(&host, "DefaultAppPool")),
        ("ApplicationPoolIdentity", "v4.0", "Integrated", false, true)
    );
    assert_eq!(
        pool_facts(pool(&host, ".NET v2.0 Classic")),
        ("ApplicationPoolIdentity", "v2.0", "Classic", false, true)
    );
    assert_eq!(host.sites.len(), 1);
    let default = site(&host, "Default Web Site");
    assert_eq!(default.id, 1);
    assert_eq!(default.physical_path, r"%SystemDrive%\inetpub\wwwroot");
    // No applicationPool on the application: applicationDefaults gives it.
    assert_eq!(default.app_pool, "DefaultAppPool");
    assert_eq!(bindings(default), [("http", "*", 80, "")]);
    assert!(!default.directory_browse);
    assert!(default.anonymous_auth && !default.basic_auth && !default.windows_auth);
    assert!(!default.detailed_errors);
    assert!(default.logging_enabled);
    assert!(!default.request_filtering.allow_double_escaping);
    assert!(default.request_filtering.allow_high_bit_characters);
    assert_eq!(
        default.request_filtering.max_allowed_content_length,
        30_000_000
    );
    assert_eq!(default.layer.as_deref(), Some("sha256:l"));
    assert_eq!(host.global_modules.len(), 40);
    assert_eq!(host.global_modules[0].name, "HttpLoggingModule");
    assert_eq!(
        host.global_modules[0].image,
        r"%windir%\System32\inetsrv\loghttp.dll"
    );
}

#[test]
fn the_shared_production_config_with_host_headers() {
    let Some((host, _)) = host("iis-sharedconfig-c1982/applicationHost.config") else {
        return;
    };
    let names: Vec<_> = host.sites.iter().map(|s| (s.name.as_str(), s.id)).collect();
    assert_eq!(
        names,
        [
            ("Default Web Site", 1),
            ("redisoncloud.com", 4),
            ("ikinci.com", 5),
            ("deneme.com", 6)
        ]
    );
    let redis = site(&host, "redisoncloud.com");
    assert_eq!(
        bindings(redis),
        [
            ("http", "*", 80, "redisoncloud.com"),
            ("http", "*", 80, "www.redisoncloud.com")
        ]
    );
    assert_eq!(redis.physical_path, r"C:\vhosts\redisoncloud.com\http");
    assert_eq!(redis.app_pool, "redisoncloud.com");
    // Server-level httpErrors errorMode="Detailed" and a raised request limit.
    assert!(redis.detailed_errors);
    assert_eq!(
        redis.request_filtering.max_allowed_content_length,
        50_000_000
    );
    assert!(redis.logging_enabled);
    // Defaults set enable32BitAppOnWin64 for every pool.
    assert_eq!(
        pool_facts(pool(&host, "DefaultAppPool")),
        ("ApplicationPoolIdentity", "v4.0", "Integrated", true, true)
    );
    assert_eq!(
        pool_facts(pool(&host, ".NET v4.5 Classic")),
        ("ApplicationPoolIdentity", "v4.0", "Classic", true, true)
    );
    assert_eq!(host.app_pools.len(), 6);
    assert_eq!(host.global_modules.len(), 26);
}

#[test]
fn the_iis_administration_config() {
    let Some((host, _)) = host("iis-administration/applicationHost.config") else {
        return;
    };
    assert_eq!(host.app_pools.len(), 1);
    // An explicit empty managedRuntimeVersion: no managed code.
    assert_eq!(
        pool_facts(pool(&host, "IISAdminAppPool")),
        ("ApplicationPoolIdentity", "", "Integrated", false, true)
    );
    let admin = site(&host, "IISAdmin");
    assert_eq!(bindings(admin), [("https", "*", 55539, "")]);
    assert_eq!(admin.app_pool, "IISAdminAppPool");
    // Server level turns anonymous authentication off.
    assert!(!admin.anonymous_auth && !admin.windows_auth);
    assert_eq!(host.global_modules.len(), 10);
}

#[test]
fn iis_express_configs() {
    let Some((host, _)) = host("iisexpress-0GiS0/applicationhost.config") else {
        return;
    };
    let app = site(&host, "WebAppWithAzureAD");
    assert_eq!(
        bindings(app),
        [
            ("http", "*", 31884, "localhost"),
            ("https", "*", 44351, "localhost")
        ]
    );
    assert_eq!(
        app.physical_path,
        r"C:\dev\webappwithazuread\WebAppWithAzureAD"
    );
    let one = site(&host, "WebSite1");
    // An empty IP part means all addresses.
    assert_eq!(bindings(one), [("http", "", 8080, "localhost")]);
    assert_eq!(one.app_pool, "Clr4IntegratedAppPool");
    assert_eq!(
        pool_facts(pool(&host, "UnmanagedClassicAppPool")),
        ("ApplicationPoolIdentity", "", "Classic", false, true)
    );
    assert_eq!(host.app_pools.len(), 5);
    assert_eq!(host.global_modules.len(), 39);

    let Some((jexus, _)) = self::host("jexusmanager/iisexpress_original.config") else {
        return;
    };
    let host = jexus;
    assert_eq!(host.sites.len(), 12);
    let guess = site(&host, "GuessMeWeb");
    assert_eq!(
        bindings(guess),
        [
            ("http", "*", 61902, "localhost"),
            ("https", "*", 44300, "localhost")
        ]
    );
    let katana = site(&host, "Katana.Sandbox.WebServer-Site");
    let apps: Vec<_> = katana
        .applications
        .iter()
        .map(|a| (a.path.as_str(), a.app_pool.as_str()))
        .collect();
    assert_eq!(
        apps,
        [
            ("/", "Clr4IntegratedAppPool"),
            ("/Katana.Sandbox.WebServer", "Clr4IntegratedAppPool")
        ]
    );
    assert_eq!(
        katana.applications[1].physical_path,
        r"E:\Projects\katanaproject\tests\Katana.Sandbox.WebServer"
    );
    // Pools without managedPipelineMode keep the schema's Integrated.
    assert_eq!(
        pool_facts(pool(&host, "Clr2IntegratedAppPool")).2,
        "Integrated"
    );
    assert_eq!(host.global_modules.len(), 37);
}

#[test]
fn the_config_missing_a_closing_tag_is_an_error_naming_the_file_and_line() {
    let Some(text) = realdata("jexusmanager/original2_missing_closing.config") else {
        return;
    };
    let err = app_host::parse(
        "original2_missing_closing.config",
        &text,
        &None,
        &mut Report::default(),
    )
    .unwrap_err();
    let line_count = u32::try_from(text.lines().count()).unwrap();
    assert_eq!(err.path, "original2_missing_closing.config");
    assert!(err.line >= line_count, "{err}");
    let message = err.to_string();
    assert!(
        message.starts_with(&format!(
            "`original2_missing_closing.config` line {}: not well-formed XML",
            err.line
        )),
        "{message}"
    );
}

const CONFIG: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <system.applicationHost>
    <applicationPools>
      <add name="DefaultAppPool" />
      <add name="Legacy" enable32BitAppOnWin64="true" autoStart="false" managedPipelineMode="Classic">
        <processModel identityType="LocalSystem" />
      </add>
      <add name="Gone" />
      <remove name="Gone" />
      <applicationPoolDefaults managedRuntimeVersion="v4.0">
        <processModel identityType="NetworkService" />
      </applicationPoolDefaults>
    </applicationPools>
    <sites>
      <site name="Shop" id="2">
        <application path="/" applicationPool="Legacy">
          <virtualDirectory path="/" physicalPath="%SystemDrive%\inetpub\shop" />
        </application>
        <application path="/api">
          <virtualDirectory path="/" physicalPath="D:\api" />
        </application>
        <bindings>
          <binding protocol="https" bindingInformation="[::1]:443:shop.example" sslFlags="1" />
          <binding protocol="net.tcp" bindingInformation="808:*" />
          <binding protocol="http" bindingInformation="nonsense" />
        </bindings>
        <logFile enabled="false" />
      </site>
      <site name="Blog" id="3">
        <application path="/">
          <virtualDirectory path="/" physicalPath="C:\inetpub\blog" />
        </application>
      </site>
      <applicationDefaults applicationPool="DefaultAppPool" />
    </sites>
  </system.applicationHost>
  <system.webServer>
    <directoryBrowse enabled="false" />
    <security>
      <requestFiltering allowDoubleEscaping="false">
        <requestLimits maxUrl="8192" />
      </requestFiltering>
    </security>
  </system.webServer>
  <location path="" overrideMode="Allow">
    <system.webServer>
      <httpErrors errorMode="Custom" />
    </system.webServer>
  </location>
  <location path="shop">
    <system.webServer>
      <directoryBrowse enabled="true" />
      <httpErrors errorMode="Detailed" />
      <security>
        <authentication>
          <anonymousAuthentication enabled="false" />
          <basicAuthentication enabled="true" />
        </authentication>
        <requestFiltering allowDoubleEscaping="true" allowHighBitCharacters="false" />
      </security>
    </system.webServer>
  </location>
  <location path="Shop/api">
    <system.webServer>
      <windowsAuthentication enabled="true" />
      <httpLogging dontLog="true" />
    </system.webServer>
  </location>
  <location path="Blog">
    <system.webServer>
      <httpLogging dontLog="true" />
    </system.webServer>
  </location>
</configuration>
"#;

#[test]
fn site_settings_follow_server_then_location_overrides() {
    let mut report = Report::default();
    let host = app_host::parse("applicationHost.config", CONFIG, &None, &mut report).unwrap();
    let shop = site(&host, "Shop");
    assert!(shop.directory_browse && shop.detailed_errors && shop.basic_auth);
    assert!(!shop.anonymous_auth && !shop.windows_auth);
    assert!(shop.request_filtering.allow_double_escaping);
    assert!(!shop.request_filtering.allow_high_bit_characters);
    assert_eq!(shop.request_filtering.max_url, 8192);
    assert_eq!(shop.request_filtering.max_query_string, 2048);
    // The site's own logFile turns logging off.
    assert!(!shop.logging_enabled);
    assert_eq!(shop.applications[1].app_pool, "DefaultAppPool");
    let blog = site(&host, "Blog");
    assert!(!blog.directory_browse && !blog.detailed_errors && blog.anonymous_auth);
    assert!(!blog.logging_enabled);
    assert_eq!(
        shop.bindings[0],
        winspect_inventory::IisBinding {
            protocol: "https".into(),
            information: "[::1]:443:shop.example".into(),
            ip: "[::1]".into(),
            port: 443,
            host: "shop.example".into(),
            ssl_flags: 1,
        }
    );
    assert_eq!(
        (shop.bindings[1].port, shop.bindings[1].information.as_str()),
        (0, "808:*")
    );
    assert_eq!(report.warnings.len(), 1);
    assert_eq!(
        report.warnings[0].message,
        "`applicationHost.config` line 26: site `Shop` binding `nonsense` is not `ip:port:host`"
    );
    let names: Vec<_> = host.app_pools.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["DefaultAppPool", "Legacy"]);
    assert_eq!(
        pool_facts(pool(&host, "Legacy")),
        ("LocalSystem", "v4.0", "Classic", true, false)
    );
    assert_eq!(
        pool_facts(pool(&host, "DefaultAppPool")),
        ("NetworkService", "v4.0", "Integrated", false, true)
    );
}

#[test]
fn the_extractor_reads_registry_config_and_the_sites_web_configs() {
    let mut registry = MemoryRegistry::new();
    registry.set(
        INETSTP,
        "MajorVersion",
        RegData::Dword(10),
        Some("iis".into()),
    );
    registry.set(
        INETSTP,
        "MinorVersion",
        RegData::Dword(0),
        Some("iis".into()),
    );
    let mut files = MemoryFiles::new();
    files.add(
        APPLICATION_HOST,
        CONFIG.as_bytes().to_vec(),
        Some("cfg".into()),
    );
    let web = br#"<configuration><system.web><compilation debug="true"/><customErrors mode="Off"/></system.web></configuration>"#;
    files.add("inetpub/Shop/web.config", web.to_vec(), Some("app".into()));
    files.add(
        "inetpub/shop/Views/Web.config",
        b"<configuration/>".to_vec(),
        None,
    );
    files.add("inetpub/blog/web.config", b"<configuration>".to_vec(), None);
    files.add("inetpub/other/web.config", web.to_vec(), None);
    files.add(
        "Windows/Microsoft.NET/Framework64/v4.0.30319/Config/web.config",
        web.to_vec(),
        None,
    );
    let mut report = Report::default();
    let iis = extract(&registry, &files, &mut report).unwrap();
    assert!(iis.installed);
    assert_eq!(iis.version.as_ref().unwrap().as_str(), "10.0");
    assert_eq!(iis.layer.as_deref(), Some("iis"));
    assert_eq!(iis.sites.len(), 2);
    assert_eq!(iis.sites[0].layer.as_deref(), Some("cfg"));
    let paths: Vec<_> = iis
        .web_configs
        .iter()
        .map(|w| (w.path.as_str(), w.debug))
        .collect();
    assert_eq!(
        paths,
        [
            ("inetpub/Shop/web.config", true),
            ("inetpub/shop/Views/Web.config", false)
        ]
    );
    assert_eq!(iis.web_configs[0].custom_errors, "Off");
    assert_eq!(iis.web_configs[0].layer.as_deref(), Some("app"));
    assert_eq!(report.gaps.len(), 1);
    assert!(
        report.gaps[0]
            .reason
            .starts_with("`inetpub/blog/web.config` line 1: not well-formed XML")
    );
    let warnings: Vec<_> = report.warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(
        warnings,
        [
            "`Windows/System32/inetsrv/config/applicationHost.config` line 26: site `Shop` binding `nonsense` is not `ip:port:host`",
            r"site `Shop` application `/api`: `D:\api` is not a path on C: of the image; its web.config is not read",
        ]
    );
}

#[test]
fn without_inetstp_or_config_iis_is_absent_and_a_bad_config_is_a_gap() {
    let mut report = Report::default();
    let iis = extract(&MemoryRegistry::new(), &MemoryFiles::new(), &mut report).unwrap();
    assert_eq!(iis, Iis::default());
    let mut files = MemoryFiles::new();
    files.add(
        APPLICATION_HOST,
        b"<configuration>\n<system.webServer>".to_vec(),
        None,
    );
    let iis = extract(&MemoryRegistry::new(), &files, &mut report).unwrap();
    assert!(iis.sites.is_empty());
    assert_eq!(report.gaps.len(), 1);
    assert!(report.gaps[0].reason.starts_with(
        "`Windows/System32/inetsrv/config/applicationHost.config` line 2: not well-formed XML"
    ));
}

#[test]
fn physical_paths_map_into_the_image() {
    assert_eq!(
        image_path(r"%SystemDrive%\inetpub\wwwroot").as_deref(),
        Some("inetpub/wwwroot")
    );
    assert_eq!(image_path(r"c:\Sites\A\").as_deref(), Some("Sites/A/"));
    assert_eq!(image_path(r"%windir%\web").as_deref(), Some("Windows/web"));
    assert_eq!(image_path(r"D:\x"), None);
    assert_eq!(image_path(r"%IIS_SITES_HOME%\WebSite1"), None);
}

fn xml_seeds() -> Vec<String> {
    let mut seeds = vec![CONFIG.to_owned()];
    if realdata_dir().is_some() {
        for file in [
            "iis-administration/applicationHost.config",
            "dotnet-framework-docker/tests_webapp-4.8_Web.config",
        ] {
            seeds.extend(realdata_bytes(file).map(|b| String::from_utf8_lossy(&b).into_owned()));
        }
    }
    seeds
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn mutated_configs_never_panic(
        seed in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let seeds = xml_seeds();
        let bytes = crate::test_support::mutate(seed.get(&seeds).clone().into_bytes(), &edits);
        if let Ok(text) = xml::decode("mutant.config", &bytes) {
            let _ = app_host::parse("mutant.config", &text, &None, &mut Report::default());
            let _ = web_config::parse("mutant.config", &text, &None);
        }
    }
}

const SITE_WEB_CONFIG: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <system.webServer>
    <directoryBrowse enabled="true" />
    <httpErrors errorMode="Detailed" />
    <security>
      <authentication>
        <anonymousAuthentication enabled="false" />
      </authentication>
    </security>
  </system.webServer>
</configuration>
"#;

#[test]
fn a_site_web_config_changes_delegated_sections_of_the_real_server_config() {
    let Some(text) = realdata("iis-redhatse-container/applicationHost.config") else {
        return;
    };
    let mut report = Report::default();
    let mut host = app_host::parse("applicationHost.config", &text, &None, &mut report).unwrap();
    host.apply_site_web_config(
        0,
        "inetpub/wwwroot/web.config",
        SITE_WEB_CONFIG,
        &mut report,
    )
    .unwrap();
    let site = &host.sites[0];
    // directoryBrowse and httpErrors are Allow in configSections...
    assert!(site.directory_browse);
    assert!(site.detailed_errors);
    // ...anonymousAuthentication is Deny: the web.config cannot change it.
    assert!(site.anonymous_auth);
    assert_eq!(report.warnings.len(), 1);
    assert_eq!(
        report.warnings[0].message,
        "`inetpub/wwwroot/web.config` line 3: site `Default Web Site` sets `system.webServer/security/authentication/anonymousAuthentication`, which applicationHost.config locks; IIS refuses to serve the site"
    );
}

#[test]
fn location_override_mode_unlocks_a_section_for_one_site() {
    let config = CONFIG.replace(
        "<configuration>\n",
        r#"<configuration>
  <configSections>
    <sectionGroup name="system.webServer">
      <section name="directoryBrowse" overrideModeDefault="Deny" />
      <sectionGroup name="security">
        <sectionGroup name="authentication">
          <section name="anonymousAuthentication" overrideModeDefault="Deny" />
        </sectionGroup>
      </sectionGroup>
    </sectionGroup>
  </configSections>
  <location path="Blog" overrideMode="Allow">
    <system.webServer>
      <security><authentication><anonymousAuthentication /></authentication></security>
    </system.webServer>
  </location>
"#,
    );
    let mut report = Report::default();
    let mut host = app_host::parse("applicationHost.config", &config, &None, &mut report).unwrap();
    let blog = host.sites.iter().position(|s| s.name == "Blog").unwrap();
    let shop = host.sites.iter().position(|s| s.name == "Shop").unwrap();
    let mut report = Report::default();
    host.apply_site_web_config(blog, "blog/web.config", SITE_WEB_CONFIG, &mut report)
        .unwrap();
    host.apply_site_web_config(shop, "shop/web.config", SITE_WEB_CONFIG, &mut report)
        .unwrap();
    let (blog, shop) = (&host.sites[blog], &host.sites[shop]);
    assert!(!blog.anonymous_auth && !blog.directory_browse && blog.detailed_errors);
    // Shop's own location already enabled directory browsing and turned
    // anonymous authentication off; its web.config may change neither.
    assert!(shop.directory_browse && !shop.anonymous_auth);
    let refused: Vec<_> = report
        .warnings
        .iter()
        .map(|w| {
            w.message
                .split(" sets ")
                .nth(1)
                .unwrap()
                .split(',')
                .next()
                .unwrap()
        })
        .collect();
    assert_eq!(
        refused,
        [
            "`system.webServer/directoryBrowse`",
            "`system.webServer/directoryBrowse`",
            "`system.webServer/security/authentication/anonymousAuthentication`",
        ]
    );
}

#[test]
fn the_extractor_applies_the_web_config_at_a_site_root() {
    let mut files = MemoryFiles::new();
    files.add(APPLICATION_HOST, CONFIG.as_bytes().to_vec(), None);
    files.add(
        "inetpub/blog/Web.config",
        SITE_WEB_CONFIG.as_bytes().to_vec(),
        None,
    );
    let mut report = Report::default();
    let iis = extract(&MemoryRegistry::new(), &files, &mut report).unwrap();
    let blog = iis.sites.iter().find(|s| s.name == "Blog").unwrap();
    assert!(blog.directory_browse && blog.detailed_errors && !blog.anonymous_auth);
    assert_eq!(iis.web_configs.len(), 1);
}
