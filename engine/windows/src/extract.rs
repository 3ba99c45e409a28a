//! Runs every extractor and fills an inventory.

use winspect_inventory::{File, Inventory};

use crate::files::FileSource;
use crate::registry::RegistryView;
use crate::{
    Report, Warning, defender, deps_json, dotnet_framework, dotnet_runtimes, iis, lsa, os, pe,
    powershell, programs, schannel, services, updates,
};

/// File names whose version resource the `files` section reports, when
/// their content was captured.
const PE_EXTENSIONS: &[&str] = &[".exe", ".dll", ".sys"];

/// Fills every section of `inventory` except `image` and `registry` (which
/// the image reader and the rules own) from `registry` and `files`.
/// `inventory.image.os_version`, when set, is checked against the registry.
///
/// An extractor that fails leaves its section empty and adds a gap to
/// `inventory.completeness`, naming the key or file and what is wrong; the
/// other sections are still filled. The warnings are what the extractors
/// noticed without losing facts (e.g. config and registry disagreeing).
pub fn extract(
    registry: &dyn RegistryView,
    files: &dyn FileSource,
    inventory: &mut Inventory,
) -> Vec<Warning> {
    let mut report = Report::default();
    let config_version = inventory.image.os_version.clone();
    macro_rules! section {
        ($name:literal, $target:expr, $result:expr) => {
            match $result {
                Ok(value) => $target = value,
                Err(error) => report.gap($name, error.to_string()),
            }
        };
    }
    match os::extract(registry, config_version.as_ref(), &mut report) {
        Ok(windows) => inventory.windows = windows,
        Err(error) => {
            report.gap("windows", error.to_string());
            // The config's `os.version` still names build and revision, which
            // is what Windows advisories match on: better than nothing, and
            // said to be so.
            if let Some(config) = &config_version {
                inventory.windows = os::from_config(config);
                report.warn(
                    "windows",
                    format!(
                        "build and revision come from the image config's os.version `{}`; the registry could not confirm them",
                        config.as_str()
                    ),
                );
            }
        }
    }
    section!("updates", inventory.updates, updates::extract(registry));
    section!(
        "dotnet.framework",
        inventory.dotnet.framework,
        dotnet_framework::extract(registry, files, &mut report)
    );
    inventory.dotnet.runtimes = dotnet_runtimes::extract(files, &mut report);
    inventory.dotnet.packages = deps_json::extract(files, &mut report);
    section!(
        "iis",
        inventory.iis,
        iis::extract(registry, files, &mut report)
    );
    section!(
        "powershell",
        inventory.powershell,
        powershell::extract(registry, files, &mut report)
    );
    section!(
        "programs",
        inventory.programs,
        programs::extract(registry, &mut report)
    );
    section!("services", inventory.services, services::extract(registry));
    section!("schannel", inventory.schannel, schannel::extract(registry));
    section!("lsa", inventory.lsa, lsa::extract(registry));
    section!("defender", inventory.defender, defender::extract(registry));
    inventory.files = file_records(files, &mut report);
    for gap in report.gaps {
        inventory.completeness.add_gap(gap.section, gap.reason);
    }
    report.warnings
}

/// One record per file, sorted by path, with the version resource of the
/// captured PE files. A captured PE that cannot be read is a gap.
fn file_records(files: &dyn FileSource, report: &mut Report) -> Vec<File> {
    let mut records: Vec<File> = files
        .files()
        .map(|file| {
            let mut record = File {
                path: file.path.to_owned(),
                size: file.size,
                sha256: file.sha256.to_owned(),
                layer: file.layer(),
                ..File::default()
            };
            let lower = file.path.to_ascii_lowercase();
            let is_pe = PE_EXTENSIONS.iter().any(|ext| lower.ends_with(ext));
            if let (true, Some(bytes)) = (is_pe, file.bytes) {
                match pe::read_version_info(file.path, bytes) {
                    Ok(Some(info)) => {
                        record.product_version =
                            info.string("ProductVersion").unwrap_or_default().to_owned();
                        record.product_name =
                            info.string("ProductName").unwrap_or_default().to_owned();
                        record.company_name =
                            info.string("CompanyName").unwrap_or_default().to_owned();
                        record.file_version = info.file_version;
                    }
                    Ok(None) => {}
                    Err(e) => report.gap("files", e.to_string()),
                }
            }
            record
        })
        .collect();
    records.sort_by(|a, b| a.path.cmp(&b.path));
    records
}

#[cfg(test)]
mod tests;
