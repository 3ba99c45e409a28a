//! Advisories indexed by what they affect, so that evaluating 10,000 of them
//! costs about what the few that can match cost: a Windows advisory is found
//! by build number, a .NET one by framework, a NuGet one by package name, a
//! file one by path.

use std::collections::HashMap;

use winspect_inventory::{Version, VersionKind};

use crate::ir::CmpOp;
use crate::schema::Schema;
use crate::types::Ty;

/// A set of versions: alternatives separated by `||`, each a list of
/// comparators separated by `,` that must all hold (`>= 6.0.0, < 6.0.26`).
#[derive(Debug, Clone)]
pub struct VersionRange {
    alternatives: Vec<Vec<(CmpOp, Version)>>,
    text: String,
}

impl VersionRange {
    pub fn parse(kind: VersionKind, text: &str) -> Result<VersionRange, String> {
        let mut alternatives = Vec::new();
        for alternative in text.split("||") {
            let mut comparators = Vec::new();
            for comparator in alternative.split(',') {
                let c = comparator.trim();
                if c.is_empty() {
                    return Err(format!("`{text}` has an empty comparator"));
                }
                let (op, rest) = if let Some(r) = c.strip_prefix(">=") {
                    (CmpOp::Ge, r)
                } else if let Some(r) = c.strip_prefix("<=") {
                    (CmpOp::Le, r)
                } else if let Some(r) = c.strip_prefix("==") {
                    (CmpOp::Eq, r)
                } else if let Some(r) = c.strip_prefix('>') {
                    (CmpOp::Gt, r)
                } else if let Some(r) = c.strip_prefix('<') {
                    (CmpOp::Lt, r)
                } else if let Some(r) = c.strip_prefix('=') {
                    (CmpOp::Eq, r)
                } else {
                    (CmpOp::Eq, c)
                };
                let version = Version::parse(kind, rest.trim()).map_err(|e| e.to_string())?;
                comparators.push((op, version));
            }
            alternatives.push(comparators);
        }
        Ok(VersionRange {
            alternatives,
            text: text.trim().to_owned(),
        })
    }

    pub fn contains(&self, version: &Version) -> bool {
        self.alternatives.iter().any(|all| {
            all.iter().all(|(op, bound)| match version.compare(bound) {
                Some(ord) => match op {
                    CmpOp::Eq => ord.is_eq(),
                    CmpOp::Ne => ord.is_ne(),
                    CmpOp::Lt => ord.is_lt(),
                    CmpOp::Le => ord.is_le(),
                    CmpOp::Gt => ord.is_gt(),
                    CmpOp::Ge => ord.is_ge(),
                },
                None => false,
            })
        })
    }

    pub fn text(&self) -> &str {
        &self.text
    }
}

/// What kind of product an `affects` range line is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeKind {
    /// A shared runtime (`Microsoft.NETCore.App`), by .NET version.
    Dotnet,
    /// An application package from deps.json, by NuGet version.
    Nuget,
    /// A file, by its PE file version.
    File,
}

impl RangeKind {
    pub const NAMES: [&'static str; 3] = ["dotnet", "nuget", "file"];

    pub fn parse(name: &str) -> Option<RangeKind> {
        match name {
            "dotnet" => Some(RangeKind::Dotnet),
            "nuget" => Some(RangeKind::Nuget),
            "file" => Some(RangeKind::File),
            _ => None,
        }
    }

    pub fn version_kind(self) -> VersionKind {
        match self {
            RangeKind::Dotnet | RangeKind::Nuget => VersionKind::DotNet,
            RangeKind::File => VersionKind::Windows,
        }
    }
}

#[derive(Debug, Clone)]
pub struct WindowsEntry {
    pub advisory: u32,
    /// The first fixed update build revision.
    pub below: u32,
    pub kb: Option<String>,
}

#[derive(Debug, Clone)]
pub struct RangeEntry {
    pub advisory: u32,
    /// The subject as the advisory wrote it (framework, package, path).
    pub subject: String,
    pub range: VersionRange,
    pub fixed_by: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct AdvisoryIndex {
    pub windows: HashMap<u32, Vec<WindowsEntry>>,
    pub dotnet: HashMap<String, Vec<RangeEntry>>,
    pub nuget: HashMap<String, Vec<RangeEntry>>,
    pub file: HashMap<String, Vec<RangeEntry>>,
}

impl AdvisoryIndex {
    pub fn add_range(&mut self, kind: RangeKind, entry: RangeEntry) {
        let (map, key) = match kind {
            RangeKind::Dotnet => (&mut self.dotnet, entry.subject.to_ascii_lowercase()),
            RangeKind::Nuget => (&mut self.nuget, entry.subject.to_ascii_lowercase()),
            RangeKind::File => (
                &mut self.file,
                crate::value::normalize_file_path(&entry.subject),
            ),
        };
        map.entry(key).or_default().push(entry);
    }

    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
            && self.dotnet.is_empty()
            && self.nuget.is_empty()
            && self.file.is_empty()
    }
}

/// Where advisories read the inventory: field indexes resolved once from the
/// schema, so matching does no name look-ups.
#[derive(Debug, Clone, Copy)]
pub struct InventoryPaths {
    pub windows: usize,
    pub build: usize,
    pub ubr: usize,
    pub dotnet: usize,
    pub runtimes: usize,
    pub runtime_framework: usize,
    pub runtime_version: usize,
    pub packages: usize,
    pub package_name: usize,
    pub package_version: usize,
    pub file_version: usize,
}

impl InventoryPaths {
    pub fn resolve(schema: &Schema) -> Option<InventoryPaths> {
        let inv = schema.record(schema.inventory)?;
        let (windows, wt) = inv.field("windows")?;
        let w = schema.record(record_of(&wt.ty)?)?;
        let (dotnet, dt) = inv.field("dotnet")?;
        let d = schema.record(record_of(&dt.ty)?)?;
        let (runtimes, rt) = d.field("runtimes")?;
        let r = schema.record(record_of(&rt.ty)?)?;
        let (packages, pt) = d.field("packages")?;
        let p = schema.record(record_of(&pt.ty)?)?;
        let f = schema.record(schema.file)?;
        Some(InventoryPaths {
            windows,
            build: w.field("build")?.0,
            ubr: w.field("ubr")?.0,
            dotnet,
            runtimes,
            runtime_framework: r.field("framework")?.0,
            runtime_version: r.field("version")?.0,
            packages,
            package_name: p.field("name")?.0,
            package_version: p.field("version")?.0,
            file_version: f.field("file_version")?.0,
        })
    }
}

/// The record type of a field, looking through lists and optionals.
fn record_of(ty: &Ty) -> Option<crate::types::RecordId> {
    match ty.base() {
        Ty::Record(id) => Some(*id),
        Ty::List(inner) => record_of(inner),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(kind: VersionKind, s: &str) -> Version {
        Version::parse(kind, s).unwrap()
    }

    #[test]
    fn ranges_follow_each_kinds_order() {
        let r = VersionRange::parse(
            VersionKind::DotNet,
            ">= 6.0.0, < 6.0.26 || >= 8.0.0-rc.1, < 8.0.1",
        )
        .unwrap();
        assert!(r.contains(&v(VersionKind::DotNet, "6.0.25")));
        assert!(!r.contains(&v(VersionKind::DotNet, "6.0.26")));
        assert!(!r.contains(&v(VersionKind::DotNet, "7.0.5")));
        assert!(r.contains(&v(VersionKind::DotNet, "8.0.0")));
        assert!(r.contains(&v(VersionKind::DotNet, "8.0.0-rc.2.23479.6")));
        assert!(!r.contains(&v(VersionKind::DotNet, "8.0.0-preview.7")));
        let exact = VersionRange::parse(VersionKind::Windows, "10.0.17763.1").unwrap();
        assert!(exact.contains(&v(VersionKind::Windows, "10.0.17763.01")));
    }

    #[test]
    fn bad_ranges_say_what_is_wrong() {
        let err = VersionRange::parse(VersionKind::DotNet, ">= 6.0.0,").unwrap_err();
        assert!(err.contains("empty comparator"), "{err}");
        let err = VersionRange::parse(VersionKind::Windows, "< 10.0.x").unwrap_err();
        assert!(err.contains("not a windows version"), "{err}");
    }

    #[test]
    fn resolves_paths_in_the_inventory_schema() {
        let schema = Schema::inventory().unwrap();
        assert!(InventoryPaths::resolve(&schema).is_some());
    }
}
