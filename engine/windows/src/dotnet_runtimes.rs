//! Shared .NET runtimes: the folders
//! `Program Files[ (x86)]/dotnet/shared/<Framework>/<version>/` of the file
//! list (`Microsoft.NETCore.App`, `Microsoft.AspNetCore.App`,
//! `Microsoft.WindowsDesktop.App`, and any other framework found there).

use std::collections::BTreeMap;

use winspect_inventory::{DotNetRuntime, DotNetVersion, Layer};

use crate::files::FileSource;
use crate::{Report, fold_name, names_equal};

const SECTION: &str = "dotnet.runtimes";
const ROOTS: &[&str] = &[
    "Program Files/dotnet/shared/",
    "Program Files (x86)/dotnet/shared/",
];

/// Every shared runtime folder with at least one file. The layer is the one
/// of the framework's own `<Framework>.deps.json` (written with the runtime),
/// else the layer most of the folder's files come from.
pub fn extract(files: &dyn FileSource, report: &mut Report) -> Vec<DotNetRuntime> {
    struct Folder {
        path: String,
        framework: String,
        version: String,
        deps_layer: Option<Layer>,
        layers: BTreeMap<Layer, usize>,
    }
    let mut folders: BTreeMap<String, Folder> = BTreeMap::new();
    for file in files.files() {
        let Some(rest) = ROOTS
            .iter()
            .find_map(|root| strip_prefix_ignore_case(file.path, root))
        else {
            continue;
        };
        let mut parts = rest.splitn(3, '/');
        let (Some(framework), Some(version), Some(name)) =
            (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let prefix_len = file.path.len() - rest.len() + framework.len() + 1 + version.len();
        let path = file.path.get(..prefix_len).unwrap_or(file.path);
        let folder = folders.entry(fold_name(path)).or_insert_with(|| Folder {
            path: path.to_owned(),
            framework: framework.to_owned(),
            version: version.to_owned(),
            deps_layer: None,
            layers: BTreeMap::new(),
        });
        *folder.layers.entry(file.layer()).or_default() += 1;
        if names_equal(name, &format!("{framework}.deps.json")) {
            folder.deps_layer = Some(file.layer());
        }
    }
    folders
        .into_values()
        .map(|folder| {
            let version = match DotNetVersion::parse(&folder.version) {
                Ok(version) => Some(version),
                Err(e) => {
                    report.warn(SECTION, format!("`{}`: {e}", folder.path));
                    None
                }
            };
            let layer = folder.deps_layer.unwrap_or_else(|| {
                folder
                    .layers
                    .into_iter()
                    .max_by_key(|(_, count)| *count)
                    .and_then(|(layer, _)| layer)
            });
            DotNetRuntime {
                framework: folder.framework,
                version,
                path: folder.path,
                layer,
            }
        })
        .collect()
}

/// `path` without `prefix`, compared ignoring ASCII case.
pub(crate) fn strip_prefix_ignore_case<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    let head = path.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| path.get(prefix.len()..))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::MemoryFiles;

    #[test]
    fn runtime_folders_become_runtimes_with_their_layer() {
        let mut files = MemoryFiles::new();
        let l = |s: &str| Some(s.to_owned());
        let base = "Program Files/dotnet/shared/Microsoft.NETCore.App/8.0.11";
        files.add_listed(
            &format!("{base}/System.Private.CoreLib.dll"),
            1,
            "00",
            l("a"),
        );
        files.add_listed(&format!("{base}/System.Net.Http.dll"), 1, "00", l("b"));
        files.add_listed(&format!("{base}/System.Text.Json.dll"), 1, "00", l("b"));
        files.add_listed(
            &format!("{base}/Microsoft.NETCore.App.deps.json"),
            1,
            "00",
            l("a"),
        );
        files.add_listed(
            "program files/DOTNET/shared/Microsoft.AspNetCore.App/9.0.0-rc.2.24474.3/Microsoft.AspNetCore.dll",
            1,
            "00",
            l("c"),
        );
        files.add_listed(
            "Program Files (x86)/dotnet/shared/Microsoft.WindowsDesktop.App/6.0.36/a.dll",
            1,
            "00",
            l("d"),
        );
        files.add_listed(
            "Program Files (x86)/dotnet/shared/Microsoft.WindowsDesktop.App/6.0.36/b.dll",
            1,
            "00",
            l("e"),
        );
        files.add_listed(
            "Program Files (x86)/dotnet/shared/Microsoft.WindowsDesktop.App/6.0.36/c.dll",
            1,
            "00",
            l("e"),
        );
        files.add_listed(
            "Program Files/dotnet/shared/Microsoft.NETCore.App/junk",
            1,
            "00",
            None,
        );
        files.add_listed(
            "Program Files/dotnet/shared/Microsoft.NETCore.App/latest/x.dll",
            1,
            "00",
            None,
        );
        files.add_listed("Program Files/dotnet/dotnet.exe", 1, "00", None);
        let mut report = Report::default();
        let runtimes = extract(&files, &mut report);
        let seen: Vec<_> = runtimes
            .iter()
            .map(|r| {
                (
                    r.framework.as_str(),
                    r.version.as_ref().map(|v| v.as_str()),
                    r.path.as_str(),
                    r.layer.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            vec![
                (
                    "Microsoft.WindowsDesktop.App",
                    Some("6.0.36"),
                    "Program Files (x86)/dotnet/shared/Microsoft.WindowsDesktop.App/6.0.36",
                    Some("e")
                ),
                (
                    "Microsoft.AspNetCore.App",
                    Some("9.0.0-rc.2.24474.3"),
                    "program files/DOTNET/shared/Microsoft.AspNetCore.App/9.0.0-rc.2.24474.3",
                    Some("c")
                ),
                ("Microsoft.NETCore.App", Some("8.0.11"), base, Some("a")),
                (
                    "Microsoft.NETCore.App",
                    None,
                    "Program Files/dotnet/shared/Microsoft.NETCore.App/latest",
                    None
                ),
            ]
        );
        assert_eq!(report.warnings.len(), 1);
        assert!(
            report.warnings[0]
                .message
                .contains("`latest` is not a dotnet version")
        );
    }
}
