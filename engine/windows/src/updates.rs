//! Servicing packages: the `Package_*` subkeys of
//! `SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\Packages`
//! (updates, rollups, servicing stacks; the thousands of
//! `Microsoft-Windows-*` feature packages are left out), with their
//! `CurrentState` by name and the KB their name carries.

use winspect_inventory::Update;

use crate::registry::{RegistryError, RegistryView, subkeys};

const PACKAGES: &str =
    r"SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\Packages";

/// The name of a `CurrentState` value. Source: Microsoft, "Tip of the Day:
/// CBS Servicing States Chart - Refresher" (2015-10-12), the table
/// "Applicable/Current State", and its CbsApi.dll table for the negative
/// ("broken") states, stored as their 32-bit two's complement.
pub fn state_name(state: u32) -> String {
    match state {
        0x00 => "absent",
        0x05 => "uninstall-pending",
        0x10 => "resolving",
        0x20 => "resolved",
        0x30 => "staging",
        0x40 => "staged",
        0x50 => "superseded",
        0x60 => "install-pending",
        0x65 => "partially-installed",
        0x70 => "installed",
        0x80 => "permanent",
        0xFFFF_FF80 => "permanent-broken",
        0xFFFF_FF90 => "installed-broken",
        0xFFFF_FFC0 => "staged-broken",
        0xFFFF_FFE0 => "resolved-broken",
        other => return format!("unknown-{other:#x}"),
    }
    .to_owned()
}

/// The KB a package name carries, from the part before the first `~`:
/// `Package_for_KB5009557~31bf3856ad364e35~amd64~~17763.2452.1.5` gives
/// `KB5009557`; `Package_for_RollupFix~...` has none.
pub fn kb_of(package: &str) -> Option<String> {
    let name = package.split('~').next().unwrap_or(package);
    let upper = name.to_ascii_uppercase();
    let mut search = upper.as_str();
    while let Some(at) = search.find("KB") {
        let rest = search.get(at + 2..).unwrap_or_default();
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if !digits.is_empty() {
            return Some(format!("KB{digits}"));
        }
        search = rest;
    }
    None
}

/// Every `Package_*` package; none when the key does not exist.
pub fn extract(registry: &dyn RegistryView) -> Result<Vec<Update>, RegistryError> {
    let Some(packages) = registry.key(PACKAGES)? else {
        return Ok(Vec::new());
    };
    let mut updates = Vec::new();
    for package in subkeys(registry, &packages)? {
        let name = package
            .path
            .rsplit('\\')
            .next()
            .unwrap_or_default()
            .to_owned();
        if !name.to_ascii_lowercase().starts_with("package_") {
            continue;
        }
        let state = package.dword("CurrentState")?;
        updates.push(Update {
            kb: kb_of(&name).unwrap_or_default(),
            state: state.map(state_name).unwrap_or_default(),
            layer: package.layer_of("CurrentState"),
            package: name,
        });
    }
    Ok(updates)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{MemoryRegistry, RegData};

    #[test]
    fn kbs_come_from_package_names() {
        for (name, kb) in [
            (
                "Package_for_KB5009557~31bf3856ad364e35~amd64~~17763.2452.1.5",
                Some("KB5009557"),
            ),
            (
                "Package_1_for_KB5008873~31bf3856ad364e35~amd64~~10.0.1.2",
                Some("KB5008873"),
            ),
            (
                "Package_for_RollupFix~31bf3856ad364e35~amd64~~17763.2452.1.5",
                None,
            ),
            (
                "Package_for_ServicingStack_2451~31bf3856ad364e35~amd64~~17763.2451.1.0",
                None,
            ),
            (
                "Package_for_kb4486153~31bf3856ad364e35~amd64~~10.0.1.0",
                Some("KB4486153"),
            ),
            ("Package_for_KB~x~KB123", None),
        ] {
            assert_eq!(kb_of(name).as_deref(), kb, "{name}");
        }
    }

    #[test]
    fn states_have_their_documented_names() {
        assert_eq!(state_name(0x70), "installed");
        assert_eq!(state_name(0x50), "superseded");
        assert_eq!(state_name(0x40), "staged");
        assert_eq!(state_name(0x65), "partially-installed");
        assert_eq!(state_name(0xFFFF_FF90), "installed-broken");
        assert_eq!(state_name(0x42), "unknown-0x42");
    }

    #[test]
    fn packages_become_updates_with_their_layer() {
        let mut registry = MemoryRegistry::new();
        let add = |registry: &mut MemoryRegistry, name: &str, state: u32, layer: &str| {
            registry.set(
                &format!(r"{PACKAGES}\{name}"),
                "CurrentState",
                RegData::Dword(state),
                Some(layer.to_owned()),
            );
        };
        add(
            &mut registry,
            "Package_for_KB5009557~31bf3856ad364e35~amd64~~17763.2452.1.5",
            0x70,
            "update",
        );
        add(
            &mut registry,
            "Package_for_RollupFix~31bf3856ad364e35~amd64~~17763.2452.1.5",
            0x70,
            "update",
        );
        add(
            &mut registry,
            "Package_for_KB4580325~31bf3856ad364e35~amd64~~10.0.1.0",
            0x50,
            "base",
        );
        add(
            &mut registry,
            "Microsoft-Windows-Foundation-Package~31bf3856ad364e35~amd64~~10.0.17763.1",
            0x70,
            "base",
        );
        registry.add_key(&format!(r"{PACKAGES}\Package_for_KB1~x~amd64~~1.0"), None);
        let updates = extract(&registry).unwrap();
        let seen: Vec<_> = updates
            .iter()
            .map(|u| (u.kb.as_str(), u.state.as_str(), u.layer.as_deref()))
            .collect();
        assert_eq!(
            seen,
            [
                ("KB1", "", None),
                ("KB4580325", "superseded", Some("base")),
                ("KB5009557", "installed", Some("update")),
                ("", "installed", Some("update")),
            ]
        );
        assert!(updates[3].package.starts_with("Package_for_RollupFix~"));
        assert!(extract(&MemoryRegistry::new()).unwrap().is_empty());
    }
}
