//! `*.deps.json`: the libraries a .NET application was built with.
//!
//! Every entry of `libraries` (`"Name/Version": {"type": ...}`) is a record:
//! `package`, `project`, `runtimepack` (the runtime of a self-contained app;
//! the SDK's `runtimepack.` name prefix is removed, leaving the NuGet id),
//! `referenceassembly` and whatever other type the SDK writes. A file without
//! `libraries` (trimmed by hand) falls back to the entries of the runtime
//! target in `targets`, with the kind inferred from their assets.

use serde_json::{Map, Value};
use winspect_inventory::{DotNetVersion, Layer, NuGetPackage};

use crate::Report;
use crate::files::{FileSource, captured};

const SECTION: &str = "dotnet.packages";
const RUNTIME_PACK_PREFIX: &str = "runtimepack.";

/// Why a deps.json could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{path}`: {reason}")]
pub struct DepsJsonError {
    pub path: String,
    pub reason: String,
}

/// The libraries of one deps.json (`text`, named `path`, from `layer`).
/// Entries whose version is not a NuGet version keep it out (`None`) and add
/// a warning to `report`.
pub fn parse(
    path: &str,
    text: &[u8],
    layer: &Layer,
    report: &mut Report,
) -> Result<Vec<NuGetPackage>, DepsJsonError> {
    let fail = |reason: String| DepsJsonError {
        path: path.to_owned(),
        reason,
    };
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    let document: Value = serde_json::from_slice(text).map_err(|e| {
        fail(match conflict_marker(text) {
            Some(line) => format!("line {line}: a git merge conflict marker; the file is not JSON"),
            None => format!(
                "line {} column {}: not valid JSON: {e}",
                e.line(),
                e.column()
            ),
        })
    })?;
    let document = document
        .as_object()
        .ok_or_else(|| fail("the top level is not a JSON object".to_owned()))?;
    let entries: Vec<(String, String)> = match document.get("libraries") {
        Some(Value::Object(libraries)) => libraries
            .iter()
            .map(|(id, library)| {
                let kind = library
                    .get("type")
                    .and_then(Value::as_str)
                    .ok_or_else(|| fail(format!("library `{id}` has no `type`")))?;
                Ok((id.clone(), kind.to_owned()))
            })
            .collect::<Result<_, DepsJsonError>>()?,
        Some(_) => return Err(fail("`libraries` is not an object".to_owned())),
        None => from_targets(document).map_err(fail)?,
    };
    let mut packages = Vec::with_capacity(entries.len());
    for (id, kind) in entries {
        let (name, version) = id
            .split_once('/')
            .ok_or_else(|| fail(format!("library `{id}` is not `name/version`")))?;
        let name = match kind.as_str() {
            "runtimepack" => name.strip_prefix(RUNTIME_PACK_PREFIX).unwrap_or(name),
            _ => name,
        };
        let version = DotNetVersion::parse(version)
            .map_err(|e| report.warn(SECTION, format!("`{path}`: library `{id}`: {e}")))
            .ok();
        packages.push(NuGetPackage {
            name: name.to_owned(),
            version,
            kind,
            deps_file: path.to_owned(),
            layer: layer.clone(),
        });
    }
    Ok(packages)
}

/// Entries of the runtime target when `libraries` is missing. The target is
/// the one `runtimeTarget.name` names, else the only one. An entry whose
/// assets lie in folders (`lib/net6.0/x.dll`) comes from a NuGet package;
/// one whose assets are bare file names is a project of the application.
fn from_targets(document: &Map<String, Value>) -> Result<Vec<(String, String)>, String> {
    let targets = match document.get("targets") {
        None => return Ok(Vec::new()),
        Some(Value::Object(targets)) => targets,
        Some(_) => return Err("`targets` is not an object".to_owned()),
    };
    let wanted = document
        .get("runtimeTarget")
        .and_then(|t| t.get("name"))
        .and_then(Value::as_str);
    let target = match wanted {
        Some(name) => targets.get(name),
        None if targets.len() == 1 => targets.values().next(),
        None => return Err("no `libraries`, no `runtimeTarget` and several `targets`".to_owned()),
    };
    let Some(target) = target else {
        return Err(format!(
            "`runtimeTarget` `{}` is not in `targets`",
            wanted.unwrap_or_default()
        ));
    };
    let entries = target
        .as_object()
        .ok_or_else(|| "a target is not an object".to_owned())?;
    Ok(entries
        .iter()
        .map(|(id, entry)| {
            let in_folders = ["runtime", "native", "compile", "resources"]
                .iter()
                .filter_map(|group| entry.get(group).and_then(Value::as_object))
                .flat_map(|assets| assets.keys())
                .any(|asset| asset.contains('/'));
            let kind = if id.starts_with(RUNTIME_PACK_PREFIX) {
                "runtimepack"
            } else if in_folders {
                "package"
            } else {
                "project"
            };
            (id.clone(), kind.to_owned())
        })
        .collect())
}

/// The line of the first git conflict marker, if the text has one.
fn conflict_marker(text: &[u8]) -> Option<usize> {
    text.split(|&b| b == b'\n')
        .position(|line| {
            ["<<<<<<< ", ">>>>>>> "]
                .iter()
                .any(|m| line.starts_with(m.as_bytes()))
                || line.strip_suffix(b"\r").unwrap_or(line) == b"======="
        })
        .map(|index| index + 1)
}

/// Libraries of every `*.deps.json` in `files`. A file that cannot be read
/// is a gap; the others still count.
pub fn extract(files: &dyn FileSource, report: &mut Report) -> Vec<NuGetPackage> {
    let mut packages = Vec::new();
    for file in files.files() {
        if !file.path.to_ascii_lowercase().ends_with(".deps.json") {
            continue;
        }
        let parsed = captured(&file).and_then(|bytes| {
            parse(file.path, bytes, &file.layer(), report).map_err(|e| e.to_string())
        });
        match parsed {
            Ok(found) => packages.extend(found),
            Err(reason) => report.gap(SECTION, reason),
        }
    }
    packages
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::files::MemoryFiles;
    use crate::test_support::{realdata_bytes, realdata_dir};

    fn read(file: &str) -> Option<(Vec<NuGetPackage>, Report)> {
        let bytes = realdata_bytes(file)?;
        let mut report = Report::default();
        let packages = parse(file, &bytes, &Some("sha256:l".into()), &mut report)
            .unwrap_or_else(|e| panic!("{e}"));
        Some((packages, report))
    }

    fn find<'a>(packages: &'a [NuGetPackage], name: &str) -> &'a NuGetPackage {
        packages
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no `{name}` in {packages:?}"))
    }

    fn count(packages: &[NuGetPackage], kind: &str) -> usize {
        packages.iter().filter(|p| p.kind == kind).count()
    }

    fn version(package: &NuGetPackage) -> &str {
        package
            .version
            .as_ref()
            .map(|v| v.as_str())
            .unwrap_or("<none>")
    }

    #[test]
    fn real_deps_files_list_their_libraries() {
        // (file, packages, projects, runtime packs, reference assemblies)
        let expected = [
            ("orb-e-consoleapp/ConsoleApp1.deps.json", 0, 1, 0, 0),
            ("syft/MyApp.deps.json", 1, 1, 0, 2),
            ("syft/TestLibrary.deps.json", 12, 2, 0, 0),
            ("syft/net8-app-single-file.deps.json", 51, 1, 1, 0),
            ("trivy/ambiguous-root.deps.json", 1, 2, 0, 0),
            ("trivy/datacollector.deps.json", 1, 1, 0, 0),
            ("trivy/happy.deps.json", 1, 1, 0, 0),
            ("trivy/multi-project.deps.json", 1, 3, 0, 0),
            ("trivy/no-libraries.deps.json", 1, 1, 0, 0),
            ("trivy/self-contained.deps.json", 1, 1, 2, 0),
            ("trivy/without-runtime.deps.json", 7, 1, 0, 0),
        ];
        for (file, packages, projects, packs, references) in expected {
            let Some((found, report)) = read(file) else {
                return;
            };
            assert_eq!(count(&found, "package"), packages, "{file}");
            assert_eq!(count(&found, "project"), projects, "{file}");
            assert_eq!(count(&found, "runtimepack"), packs, "{file}");
            assert_eq!(count(&found, "referenceassembly"), references, "{file}");
            assert_eq!(
                found.len(),
                packages + projects + packs + references,
                "{file}"
            );
            assert!(report.warnings.is_empty(), "{file}: {report:?}");
            assert!(
                found
                    .iter()
                    .all(|p| p.deps_file == file && p.layer.as_deref() == Some("sha256:l"))
            );
        }
    }

    #[test]
    fn real_deps_files_give_names_and_versions() {
        let Some((found, _)) = read("syft/net8-app-single-file.deps.json") else {
            return;
        };
        let pack = find(&found, "Microsoft.NETCore.App.Runtime.win-x64");
        assert_eq!(
            (pack.kind.as_str(), version(pack)),
            ("runtimepack", "8.0.14")
        );
        assert_eq!(version(find(&found, "Humanizer")), "2.14.1");
        assert_eq!(version(find(&found, "Newtonsoft.Json")), "13.0.3");

        let (found, _) = read("trivy/datacollector.deps.json").unwrap();
        let project = find(&found, "Microsoft.VisualStudio.TestPlatform.Common");
        assert_eq!(version(project), "17.2.0-release-20220408-11");
        assert!(project.version.as_ref().unwrap().is_prerelease());
        assert_eq!(version(find(&found, "Newtonsoft.Json")), "9.0.1");

        let (found, _) = read("syft/TestLibrary.deps.json").unwrap();
        assert_eq!(version(find(&found, "Newtonsoft.Json")), "13.0.1");
        assert_eq!(find(&found, "AWSSDK.Core").kind, "package");

        let (found, _) = read("syft/MyApp.deps.json").unwrap();
        assert!(found.iter().any(|p| p.kind == "referenceassembly"));

        let (found, _) = read("trivy/self-contained.deps.json").unwrap();
        let pack = find(&found, "Microsoft.AspNetCore.App.Runtime.linux-x64");
        assert_eq!(version(pack), "8.0.0");

        // Without `libraries`, kinds come from the runtime target's assets.
        let (found, _) = read("trivy/no-libraries.deps.json").unwrap();
        assert_eq!(find(&found, "ExampleApp1").kind, "project");
        assert_eq!(find(&found, "Newtonsoft.Json").kind, "package");
        assert_eq!(version(find(&found, "Newtonsoft.Json")), "13.0.1");
    }

    #[test]
    fn merge_conflicts_are_errors_naming_the_file_and_line() {
        let Some(bytes) = realdata_bytes("orb-e-consoleapp/ConsoleApp1.deps.MERGE-CONFLICT.json")
        else {
            return;
        };
        let err = parse(
            "app/ConsoleApp1.deps.json",
            &bytes,
            &None,
            &mut Report::default(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`app/ConsoleApp1.deps.json`: line 1: a git merge conflict marker; the file is not JSON"
        );
        let err = parse(
            "a.deps.json",
            b"{\n  \"libraries\": [1,\n}",
            &None,
            &mut Report::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("`a.deps.json`: line 3 column 1: not valid JSON"),
            "{err}"
        );
    }

    #[test]
    fn malformed_entries_are_errors_or_warnings() {
        let mut report = Report::default();
        let err = parse(
            "x.deps.json",
            br#"{"libraries": {"A": {"type": "package"}}}"#,
            &None,
            &mut report,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`x.deps.json`: library `A` is not `name/version`"
        );
        let packages = parse(
            "x.deps.json",
            br#"{"libraries": {"A/not-a-version": {"type": "package"}}}"#,
            &None,
            &mut report,
        )
        .unwrap();
        assert!(packages[0].version.is_none());
        assert!(
            report.warnings[0]
                .message
                .contains("library `A/not-a-version`")
        );
        let err = parse(
            "x.deps.json",
            br#"{"runtimeTarget": {"name": "T"}, "targets": {"U": {}}}"#,
            &None,
            &mut report,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`x.deps.json`: `runtimeTarget` `T` is not in `targets`"
        );
    }

    #[test]
    fn the_extractor_reads_every_deps_file_and_reports_bad_ones_as_gaps() {
        let mut files = MemoryFiles::new();
        files.add(
            "app/a.deps.json",
            br#"{"libraries": {"Newtonsoft.Json/13.0.1": {"type": "package"}}}"#.to_vec(),
            Some("l1".into()),
        );
        files.add("app/b.DEPS.json", b"<<<<<<< HEAD\n".to_vec(), None);
        files.add_listed("app/c.deps.json", 10, "00", None);
        files.add("app/d.json", b"not json".to_vec(), None);
        let mut report = Report::default();
        let packages = extract(&files, &mut report);
        assert_eq!(packages.len(), 1);
        assert_eq!(packages[0].layer.as_deref(), Some("l1"));
        let reasons: Vec<_> = report.gaps.iter().map(|g| g.reason.as_str()).collect();
        assert_eq!(
            reasons,
            vec![
                "`app/b.DEPS.json`: line 1: a git merge conflict marker; the file is not JSON",
                "`app/c.deps.json`: the file's content was not captured",
            ]
        );
    }

    fn seeds() -> Vec<Vec<u8>> {
        let mut seeds = vec![br#"{"runtimeTarget": {"name": "T"}, "targets": {"T": {"A/1.0": {"runtime": {"lib/a.dll": {}}}}}}"#.to_vec()];
        if realdata_dir().is_some() {
            for file in [
                "trivy/self-contained.deps.json",
                "syft/MyApp.deps.json",
                "trivy/no-libraries.deps.json",
            ] {
                seeds.extend(realdata_bytes(file));
            }
        }
        seeds
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn mutated_deps_files_never_panic(
            seed in any::<prop::sample::Index>(),
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        ) {
            let seeds = seeds();
            let bytes = crate::test_support::mutate(seed.get(&seeds).clone(), &edits);
            let _ = parse("mutant.deps.json", &bytes, &None, &mut Report::default());
        }
    }
}
