//! SCHANNEL (TLS) settings under
//! `SYSTEM\<ControlSet>\Control\SecurityProviders\SCHANNEL`: `Protocols\<name>\
//! {Server,Client}` with `Enabled` and `DisabledByDefault`, and `Ciphers`,
//! `Hashes` and `KeyExchangeAlgorithms` with `Enabled`. Only keys that exist
//! are reported; a missing value is `None`, meaning the OS default.

use winspect_inventory::{Schannel, SchannelProtocol, SchannelSetting};

use crate::registry::{RegKey, RegistryError, RegistryView, current_control_set, subkeys};

/// Reads the settings; an image without the SCHANNEL key has none.
pub fn extract(registry: &dyn RegistryView) -> Result<Schannel, RegistryError> {
    let root = format!(
        r"{}\Control\SecurityProviders\SCHANNEL",
        current_control_set(registry)?
    );
    let mut schannel = Schannel::default();
    if let Some(protocols) = registry.key(&format!(r"{root}\Protocols"))? {
        for (protocol, name) in subkeys(registry, &protocols)?
            .into_iter()
            .zip(&protocols.subkeys)
        {
            for (side, side_name) in subkeys(registry, &protocol)?
                .into_iter()
                .zip(&protocol.subkeys)
            {
                let side_name = match side_name.to_ascii_lowercase().as_str() {
                    "server" => "Server",
                    "client" => "Client",
                    _ => continue,
                };
                schannel.protocols.push(SchannelProtocol {
                    name: name.clone(),
                    side: side_name.to_owned(),
                    enabled: flag(&side, "Enabled")?,
                    disabled_by_default: flag(&side, "DisabledByDefault")?,
                    layer: side.layer_of("Enabled"),
                });
            }
        }
    }
    schannel.ciphers = settings(registry, &format!(r"{root}\Ciphers"))?;
    schannel.hashes = settings(registry, &format!(r"{root}\Hashes"))?;
    schannel.key_exchanges = settings(registry, &format!(r"{root}\KeyExchangeAlgorithms"))?;
    Ok(schannel)
}

fn settings(
    registry: &dyn RegistryView,
    path: &str,
) -> Result<Vec<SchannelSetting>, RegistryError> {
    let Some(parent) = registry.key(path)? else {
        return Ok(Vec::new());
    };
    subkeys(registry, &parent)?
        .into_iter()
        .zip(&parent.subkeys)
        .map(|(key, name)| {
            Ok(SchannelSetting {
                name: name.clone(),
                enabled: flag(&key, "Enabled")?,
                layer: key.layer_of("Enabled"),
            })
        })
        .collect()
}

/// SCHANNEL reads any non-zero DWORD as on (`0xffffffff` is common).
fn flag(key: &RegKey, name: &str) -> Result<Option<bool>, RegistryError> {
    Ok(key.dword(name)?.map(|value| value != 0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{MemoryRegistry, RegData};

    #[test]
    fn protocols_ciphers_hashes_and_key_exchanges() {
        let mut registry = MemoryRegistry::new();
        registry.set(r"SYSTEM\Select", "Current", RegData::Dword(1), None);
        let root = r"SYSTEM\ControlSet001\Control\SecurityProviders\SCHANNEL";
        let hardening = Some("sha256:hardening".to_owned());
        registry.set(
            &format!(r"{root}\Protocols\TLS 1.0\Server"),
            "Enabled",
            RegData::Dword(0),
            hardening.clone(),
        );
        registry.set(
            &format!(r"{root}\Protocols\TLS 1.0\Server"),
            "DisabledByDefault",
            RegData::Dword(1),
            hardening.clone(),
        );
        registry.set(
            &format!(r"{root}\Protocols\TLS 1.2\Client"),
            "Enabled",
            RegData::Dword(0xFFFF_FFFF),
            None,
        );
        // The base image's empty `SSL 2.0\Client` key: defaults apply.
        registry.add_key(&format!(r"{root}\Protocols\SSL 2.0\Client"), None);
        registry.set(
            &format!(r"{root}\Ciphers\RC4 128/128"),
            "Enabled",
            RegData::Dword(0),
            hardening,
        );
        registry.set(
            &format!(r"{root}\Hashes\MD5"),
            "Enabled",
            RegData::Dword(0),
            None,
        );
        registry.set(
            &format!(r"{root}\KeyExchangeAlgorithms\PKCS"),
            "Enabled",
            RegData::Dword(1),
            None,
        );
        let schannel = extract(&registry).unwrap();
        let protocols: Vec<_> = schannel
            .protocols
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.side.as_str(),
                    p.enabled,
                    p.disabled_by_default,
                )
            })
            .collect();
        assert_eq!(
            protocols,
            [
                ("SSL 2.0", "Client", None, None),
                ("TLS 1.0", "Server", Some(false), Some(true)),
                ("TLS 1.2", "Client", Some(true), None),
            ]
        );
        assert_eq!(
            schannel.protocols[1].layer.as_deref(),
            Some("sha256:hardening")
        );
        assert_eq!(schannel.ciphers[0].name, "RC4 128/128");
        assert_eq!(schannel.ciphers[0].enabled, Some(false));
        assert_eq!(schannel.hashes[0].name, "MD5");
        assert_eq!(schannel.key_exchanges[0].enabled, Some(true));
    }

    #[test]
    fn no_schannel_key_means_no_settings() {
        let mut registry = MemoryRegistry::new();
        registry.set(r"SYSTEM\Select", "Current", RegData::Dword(1), None);
        assert_eq!(extract(&registry).unwrap(), Schannel::default());
    }
}
