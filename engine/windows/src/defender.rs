//! Microsoft Defender: present when `SOFTWARE\Microsoft\Windows Defender`
//! exists or the `WinDefend` service is registered (Server Core images
//! have neither unless the feature was added).

use winspect_inventory::Defender;

use crate::registry::{RegistryError, RegistryView, current_control_set};

const DEFENDER_KEY: &str = r"SOFTWARE\Microsoft\Windows Defender";

pub fn extract(registry: &dyn RegistryView) -> Result<Defender, RegistryError> {
    if let Some(key) = registry.key(DEFENDER_KEY)? {
        return Ok(Defender {
            installed: true,
            layer: key.layer,
        });
    }
    let service = format!(r"{}\Services\WinDefend", current_control_set(registry)?);
    Ok(match registry.key(&service)? {
        Some(key) => Defender {
            installed: true,
            layer: key.layer,
        },
        None => Defender::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{MemoryRegistry, RegData};

    #[test]
    fn the_key_or_the_service_means_present() {
        let mut registry = MemoryRegistry::new();
        registry.set(r"SYSTEM\Select", "Current", RegData::Dword(1), None);
        assert!(!extract(&registry).unwrap().installed);
        registry.add_key(
            r"SYSTEM\ControlSet001\Services\WinDefend",
            Some("svc".into()),
        );
        let defender = extract(&registry).unwrap();
        assert!(defender.installed);
        assert_eq!(defender.layer.as_deref(), Some("svc"));
        registry.add_key(DEFENDER_KEY, Some("key".into()));
        assert_eq!(extract(&registry).unwrap().layer.as_deref(), Some("key"));
    }
}
