//! Internet Information Services: whether it is installed and which version
//! (`SOFTWARE\Microsoft\InetStp`), what `applicationHost.config` declares,
//! and the `web.config` files of the sites' folders; a site's root
//! `web.config` also changes the site settings applicationHost.config
//! delegates to it.

pub mod app_host;
pub mod web_config;
mod xml;

use winspect_inventory::{Iis, IisSite, WindowsVersion};

pub use xml::ConfigError;

use crate::dotnet_runtimes::strip_prefix_ignore_case;
use crate::files::{FileSource, captured, file_name};
use crate::registry::{RegistryError, RegistryView};
use crate::{Report, fold_name, names_equal};

const SECTION: &str = "iis";
const INETSTP: &str = r"SOFTWARE\Microsoft\InetStp";
/// Where IIS keeps its server configuration.
pub const APPLICATION_HOST: &str = "Windows/System32/inetsrv/config/applicationHost.config";

/// Reads IIS. Registry errors stop the extractor; a configuration file that
/// cannot be read is a gap in `report`.
pub fn extract(
    registry: &dyn RegistryView,
    files: &dyn FileSource,
    report: &mut Report,
) -> Result<Iis, RegistryError> {
    let mut iis = Iis::default();
    if let Some(key) = registry.key(INETSTP)? {
        iis.installed = true;
        iis.layer = key.layer_of("MajorVersion");
        if let Some(major) = key.dword("MajorVersion")? {
            let minor = key.dword("MinorVersion")?.unwrap_or(0);
            iis.version = WindowsVersion::parse(&format!("{major}.{minor}")).ok();
        }
    }
    let Some(file) = files.file(APPLICATION_HOST) else {
        return Ok(iis);
    };
    let parsed = captured(&file).and_then(|bytes| {
        let text = xml::decode(file.path, bytes).map_err(|e| e.to_string())?;
        app_host::parse(file.path, &text, &file.layer(), report).map_err(|e| e.to_string())
    });
    let mut host = match parsed {
        Ok(host) => host,
        Err(reason) => {
            report.gap(SECTION, reason);
            return Ok(iis);
        }
    };
    let folders = site_folders(&host.sites, report);
    // The folded `web.config` path at the root of each site.
    let site_roots: Vec<Option<String>> = host
        .sites
        .iter()
        .map(|site| {
            let folder = image_path(&site.physical_path)?;
            Some(fold_name(&format!(
                "{}/web.config",
                folder.trim_end_matches('/')
            )))
        })
        .collect();
    for file in files.files() {
        if !names_equal(file_name(file.path), "web.config") {
            continue;
        }
        let folded = fold_name(file.path);
        if !folders
            .iter()
            .any(|folder| folded.starts_with(folder.as_str()))
        {
            continue;
        }
        let parsed = captured(&file).and_then(|bytes| {
            let text = xml::decode(file.path, bytes).map_err(|e| e.to_string())?;
            let web =
                web_config::parse(file.path, &text, &file.layer()).map_err(|e| e.to_string())?;
            Ok((text, web))
        });
        let (text, web) = match parsed {
            Ok(parsed) => parsed,
            Err(reason) => {
                report.gap(SECTION, reason);
                continue;
            }
        };
        iis.web_configs.push(web);
        for (index, root) in site_roots.iter().enumerate() {
            if root.as_deref() == Some(folded.as_str())
                && let Err(e) = host.apply_site_web_config(index, file.path, &text, report)
            {
                report.gap(SECTION, e.to_string());
            }
        }
    }
    iis.sites = host.sites;
    iis.app_pools = host.app_pools;
    iis.global_modules = host.global_modules;
    iis.web_configs.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(iis)
}

/// The folders of every application's root, relative to `C:\`, folded and
/// ending in `/`. A path on another drive, or with a variable other than the
/// system ones, is not in the image: a warning says so.
fn site_folders(sites: &[IisSite], report: &mut Report) -> Vec<String> {
    let mut folders = Vec::new();
    for site in sites {
        for app in &site.applications {
            if app.physical_path.is_empty() {
                continue;
            }
            match image_path(&app.physical_path) {
                Some(path) => folders.push(format!("{}/", fold_name(path.trim_end_matches('/')))),
                None => report.warn(
                    SECTION,
                    format!(
                        "site `{}` application `{}`: `{}` is not a path on C: of the image; its web.config is not read",
                        site.name, app.path, app.physical_path
                    ),
                ),
            }
        }
    }
    folders.sort();
    folders.dedup();
    folders
}

/// `C:\inetpub\wwwroot` (or `%SystemDrive%\inetpub\wwwroot`) as
/// `inetpub/wwwroot`, relative to the image's `C:\`.
fn image_path(physical: &str) -> Option<String> {
    let mut path = physical.trim().replace('/', "\\");
    for (variable, value) in [
        ("%SystemDrive%", "C:"),
        ("%SystemRoot%", r"C:\Windows"),
        ("%windir%", r"C:\Windows"),
        ("%ProgramFiles%", r"C:\Program Files"),
        ("%ProgramData%", r"C:\ProgramData"),
    ] {
        if let Some(rest) = strip_prefix_ignore_case(&path, variable) {
            path = format!("{value}{rest}");
        }
    }
    let rest = strip_prefix_ignore_case(&path, "C:")?;
    if rest.contains('%') {
        return None;
    }
    let relative = rest.trim_start_matches('\\').replace('\\', "/");
    Some(relative)
}

#[cfg(test)]
mod tests;
