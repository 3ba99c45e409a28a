//! LSA hardening under `SYSTEM\<ControlSet>\Control\Lsa`, and Credential
//! Guard's `LsaCfgFlags`: the Group Policy value
//! (`SOFTWARE\Policies\Microsoft\Windows\DeviceGuard`) when set, as it takes
//! precedence, else the local one under `Control\Lsa` (Microsoft, "Configure
//! Credential Guard", registry settings).

use winspect_inventory::Lsa;

use crate::registry::{RegistryError, RegistryView, current_control_set};

const DEVICE_GUARD_POLICY: &str = r"SOFTWARE\Policies\Microsoft\Windows\DeviceGuard";

/// Reads the values that exist; a missing value is `None` (the OS default).
pub fn extract(registry: &dyn RegistryView) -> Result<Lsa, RegistryError> {
    let path = format!(r"{}\Control\Lsa", current_control_set(registry)?);
    let mut lsa = Lsa::default();
    if let Some(key) = registry.key(&path)? {
        lsa.run_as_ppl = key.dword("RunAsPPL")?;
        lsa.lm_compatibility_level = key.dword("LmCompatibilityLevel")?;
        lsa.no_lm_hash = key.dword("NoLMHash")?.map(|v| v != 0);
        lsa.restrict_anonymous = key.dword("RestrictAnonymous")?;
        lsa.limit_blank_password_use = key.dword("LimitBlankPasswordUse")?.map(|v| v != 0);
        lsa.lsa_cfg_flags = key.dword("LsaCfgFlags")?;
        lsa.layer = key.layer.clone();
    }
    if let Some(policy) = registry.key(DEVICE_GUARD_POLICY)?
        && let Some(flags) = policy.dword("LsaCfgFlags")?
    {
        lsa.lsa_cfg_flags = Some(flags);
    }
    Ok(lsa)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{MemoryRegistry, RegData};

    #[test]
    fn reads_lsa_values_and_lets_policy_set_credential_guard() {
        let mut registry = MemoryRegistry::new();
        registry.set(r"SYSTEM\Select", "Current", RegData::Dword(1), None);
        let lsa_key = r"SYSTEM\ControlSet001\Control\Lsa";
        let layer = Some("sha256:base".to_owned());
        registry.add_key(lsa_key, layer.clone());
        for (name, value) in [
            ("RunAsPPL", 1),
            ("LmCompatibilityLevel", 5),
            ("NoLMHash", 1),
            ("RestrictAnonymous", 0),
            ("LimitBlankPasswordUse", 1),
            ("LsaCfgFlags", 2),
        ] {
            registry.set(lsa_key, name, RegData::Dword(value), layer.clone());
        }
        let lsa = extract(&registry).unwrap();
        assert_eq!(
            lsa,
            Lsa {
                run_as_ppl: Some(1),
                lm_compatibility_level: Some(5),
                no_lm_hash: Some(true),
                restrict_anonymous: Some(0),
                limit_blank_password_use: Some(true),
                lsa_cfg_flags: Some(2),
                layer,
            }
        );
        registry.set(DEVICE_GUARD_POLICY, "LsaCfgFlags", RegData::Dword(1), None);
        assert_eq!(extract(&registry).unwrap().lsa_cfg_flags, Some(1));
    }

    #[test]
    fn missing_values_stay_unset_and_wrong_types_are_errors() {
        let mut registry = MemoryRegistry::new();
        registry.set(r"SYSTEM\Select", "Current", RegData::Dword(1), None);
        assert_eq!(extract(&registry).unwrap(), Lsa::default());
        registry.set(
            r"SYSTEM\ControlSet001\Control\Lsa",
            "RunAsPPL",
            RegData::String("1".into()),
            None,
        );
        let err = extract(&registry).unwrap_err();
        assert!(
            err.to_string().contains("value `RunAsPPL` is REG_SZ"),
            "{err}"
        );
    }
}
