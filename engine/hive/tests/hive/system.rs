//! Offline SYSTEM hives: current control set and SCHANNEL.

use winspect_hive::{Hive, Layer, MergedRegistry};

use crate::support::regipy;

fn registry(name: &str) -> Option<MergedRegistry> {
    let hive = Hive::from_bytes(regipy(name)?).unwrap();
    Some(MergedRegistry::new(vec![Layer::new(name, hive)]).unwrap())
}

#[test]
fn system_current_control_set_and_schannel() {
    let Some(registry) = registry("SYSTEM") else {
        return;
    };
    let current = registry
        .open("Select")
        .unwrap()
        .unwrap()
        .value("Current")
        .unwrap()
        .unwrap();
    assert_eq!(current.as_u32().unwrap(), 1);
    let control_set = registry.current_control_set().unwrap();
    assert_eq!(control_set.path(), "ControlSet001");
    let schannel = control_set
        .open(r"Control\SecurityProviders\SCHANNEL")
        .unwrap()
        .unwrap();
    let names: Vec<String> = schannel
        .subkeys()
        .unwrap()
        .iter()
        .map(|k| k.name())
        .collect();
    assert_eq!(
        names,
        [
            "Ciphers",
            "CipherSuites",
            "Hashes",
            "KeyExchangeAlgorithms",
            "Protocols"
        ]
    );
    let ssl2 = schannel.open(r"protocols\SSL 2.0").unwrap().unwrap();
    assert_eq!(
        ssl2.path(),
        r"ControlSet001\Control\SecurityProviders\SCHANNEL\Protocols\SSL 2.0"
    );
    let product = control_set
        .open(r"Control\ProductOptions")
        .unwrap()
        .unwrap();
    assert_eq!(
        product
            .value("ProductType")
            .unwrap()
            .unwrap()
            .as_string()
            .unwrap(),
        "WinNT"
    );
}

#[test]
fn missing_select_is_a_clear_error() {
    let Some(registry) = registry("NTUSER.DAT") else {
        return;
    };
    let err = registry.current_control_set().unwrap_err();
    assert_eq!(
        err.to_string(),
        "no current control set: the hive has no `Select` key"
    );
}
