//! Windows services: the subkeys of `SYSTEM\<ControlSet>\Services` whose
//! `Type` is a Win32 service (own or shared process, including per-user
//! service templates); drivers and file systems are left out.

use winspect_inventory::Service;

use crate::registry::{RegistryError, RegistryView, current_control_set, subkeys};

/// `SERVICE_WIN32_OWN_PROCESS | SERVICE_WIN32_SHARE_PROCESS`.
const SERVICE_WIN32: u32 = 0x30;

/// The name of a `Start` value (`SERVICE_BOOT_START` ... `SERVICE_DISABLED`).
pub fn start_type_name(start: u32) -> String {
    match start {
        0 => "boot".to_owned(),
        1 => "system".to_owned(),
        2 => "auto".to_owned(),
        3 => "manual".to_owned(),
        4 => "disabled".to_owned(),
        other => format!("unknown-{other}"),
    }
}

/// Every Win32 service of the control set the hive boots with.
pub fn extract(registry: &dyn RegistryView) -> Result<Vec<Service>, RegistryError> {
    let path = format!(r"{}\Services", current_control_set(registry)?);
    let Some(services) = registry.key(&path)? else {
        return Ok(Vec::new());
    };
    let mut result = Vec::new();
    for (key, name) in subkeys(registry, &services)?
        .into_iter()
        .zip(&services.subkeys)
    {
        let Some(kind) = key.dword("Type")? else {
            continue;
        };
        if kind & SERVICE_WIN32 == 0 {
            continue;
        }
        result.push(Service {
            name: name.clone(),
            display_name: key.string("DisplayName")?.unwrap_or_default().to_owned(),
            start_type: key.dword("Start")?.map(start_type_name).unwrap_or_default(),
            image_path: key.string("ImagePath")?.unwrap_or_default().to_owned(),
            account: key.string("ObjectName")?.unwrap_or_default().to_owned(),
            layer: key.layer_of("Start"),
        });
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{MemoryRegistry, RegData};

    #[test]
    fn win32_services_of_the_current_control_set() {
        let mut registry = MemoryRegistry::new();
        registry.set(r"SYSTEM\Select", "Current", RegData::Dword(1), None);
        let services = r"SYSTEM\ControlSet001\Services";
        let set = |registry: &mut MemoryRegistry, service: &str, name: &str, data: RegData| {
            registry.set(
                &format!(r"{services}\{service}"),
                name,
                data,
                Some("base".into()),
            );
        };
        set(&mut registry, "W3SVC", "Type", RegData::Dword(0x20));
        set(&mut registry, "W3SVC", "Start", RegData::Dword(2));
        set(
            &mut registry,
            "W3SVC",
            "DisplayName",
            RegData::String("World Wide Web Publishing Service".into()),
        );
        set(
            &mut registry,
            "W3SVC",
            "ImagePath",
            RegData::ExpandString(r"%systemroot%\system32\svchost.exe -k iissvcs".into()),
        );
        set(
            &mut registry,
            "W3SVC",
            "ObjectName",
            RegData::String("LocalSystem".into()),
        );
        set(&mut registry, "WinDefend", "Type", RegData::Dword(0x10));
        set(&mut registry, "WinDefend", "Start", RegData::Dword(4));
        set(&mut registry, "OneSyncSvc", "Type", RegData::Dword(0x60));
        set(&mut registry, "OneSyncSvc", "Start", RegData::Dword(3));
        set(&mut registry, "Tcpip", "Type", RegData::Dword(1));
        set(&mut registry, "Tcpip", "Start", RegData::Dword(0));
        registry.add_key(&format!(r"{services}\NoType"), None);
        registry.set(
            r"SYSTEM\ControlSet002\Services\Old",
            "Type",
            RegData::Dword(0x10),
            None,
        );
        let found = extract(&registry).unwrap();
        let seen: Vec<_> = found
            .iter()
            .map(|s| (s.name.as_str(), s.start_type.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                ("OneSyncSvc", "manual"),
                ("W3SVC", "auto"),
                ("WinDefend", "disabled")
            ]
        );
        let w3 = &found[1];
        assert_eq!(w3.display_name, "World Wide Web Publishing Service");
        assert_eq!(
            w3.image_path,
            r"%systemroot%\system32\svchost.exe -k iissvcs"
        );
        assert_eq!(w3.account, "LocalSystem");
        assert_eq!(w3.layer.as_deref(), Some("base"));
    }

    #[test]
    fn a_system_hive_without_select_is_an_error() {
        let err = extract(&MemoryRegistry::new()).unwrap_err();
        assert_eq!(
            err.to_string(),
            r"registry key `SYSTEM\Select`: the key does not exist"
        );
        assert_eq!(start_type_name(9), "unknown-9");
    }
}
