//! `web.config`: the ASP.NET settings of a site or application folder.
//!
//! Read from `configuration/system.web` and from `<location>` elements whose
//! path is empty or `.` (they apply to the folder itself); later elements
//! win. `<location>` elements for sub-paths are not the folder's settings.

use roxmltree::Node;
use winspect_inventory::{Layer, WebConfig};

use super::xml::{Config, ConfigError, children, descendant};

/// Parses `text` (named `path`, from `layer`).
pub fn parse(path: &str, text: &str, layer: &Layer) -> Result<WebConfig, ConfigError> {
    let config = Config::parse(path, text)?;
    let root = config.root();
    let mut web = WebConfig {
        path: path.to_owned(),
        version_header: true,
        layer: layer.clone(),
        ..WebConfig::default()
    };
    let own_locations = children(root, "location").filter(|location| {
        let target = location.attribute("path").unwrap_or_default().trim();
        target.is_empty() || target == "."
    });
    let sections: Vec<Node<'_, '_>> = children(root, "system.web")
        .chain(own_locations.flat_map(|location| children(location, "system.web")))
        .collect();
    for system_web in sections {
        if let Some(compilation) = descendant(system_web, "compilation")
            && let Some(debug) = config.bool_attr(compilation, "debug")?
        {
            web.debug = debug;
        }
        if let Some(mode) = descendant(system_web, "customErrors").and_then(|c| c.attribute("mode"))
        {
            mode.clone_into(&mut web.custom_errors);
        }
        if let Some(runtime) = descendant(system_web, "httpRuntime") {
            if let Some(framework) = runtime.attribute("targetFramework") {
                framework.clone_into(&mut web.target_framework);
            }
            if let Some(header) = config.bool_attr(runtime, "enableVersionHeader")? {
                web.version_header = header;
            }
        }
    }
    Ok(web)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::realdata;

    #[test]
    fn reads_the_microsoft_sample_web_configs() {
        for (file, debug) in [
            (
                "dotnet-framework-docker/samples_aspnetapp_aspnetapp_Web.config",
                true,
            ),
            (
                "dotnet-framework-docker/samples_aspnetmvcapp_aspnetmvcapp_Web.config",
                true,
            ),
            (
                "dotnet-framework-docker/samples_wcfapp_WcfServiceWebApp_Web.config",
                true,
            ),
            ("dotnet-framework-docker/tests_aspnet-4.8_web.config", false),
            ("dotnet-framework-docker/tests_webapp-4.8_Web.config", true),
        ] {
            let Some(text) = realdata(file) else {
                return;
            };
            let web = parse(file, &text, &Some("l".into())).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(web.debug, debug, "{file}");
            assert_eq!(web.target_framework, "4.8", "{file}");
            assert_eq!(web.custom_errors, "", "{file}");
            assert!(web.version_header, "{file}");
            assert_eq!(web.path, file);
        }
        // ASP.NET Core's web.config has no system.web at all.
        let Some(text) = realdata("iis-administration/web.config") else {
            return;
        };
        let web = parse("web.config", &text, &None).unwrap();
        assert_eq!((web.debug, web.target_framework.as_str()), (false, ""));
    }

    #[test]
    fn location_elements_for_the_folder_itself_count_and_others_do_not() {
        let text = r#"<?xml version="1.0"?>
<configuration>
  <system.web>
    <compilation debug="false" />
    <customErrors mode="RemoteOnly" />
  </system.web>
  <location path="." inheritInChildApplications="false">
    <system.web>
      <compilation debug="true" />
      <httpRuntime targetFramework="4.7.2" enableVersionHeader="false" />
    </system.web>
  </location>
  <location path="admin">
    <system.web>
      <customErrors mode="Off" />
    </system.web>
  </location>
</configuration>"#;
        let web = parse("site/web.config", text, &None).unwrap();
        assert!(web.debug);
        assert_eq!(web.custom_errors, "RemoteOnly");
        assert_eq!(web.target_framework, "4.7.2");
        assert!(!web.version_header);
    }

    #[test]
    fn bad_values_and_bad_xml_are_errors_with_the_line() {
        let err = parse(
            "w.config",
            "<configuration>\n<system.web>\n<compilation debug=\"maybe\"/>",
            &None,
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("`w.config` line "), "{err}");
        let err = parse(
            "w.config",
            "<configuration>\n<system.web>\n<compilation debug=\"maybe\"/></system.web></configuration>",
            &None,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`w.config` line 3: `debug` of `compilation` is `maybe`, expected `true` or `false`"
        );
    }
}
