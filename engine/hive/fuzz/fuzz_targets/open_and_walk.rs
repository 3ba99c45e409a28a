//! Opens arbitrary bytes as a hive (with the tail used as a transaction log), walks it, merges it
//! over itself and dumps the result. Any panic, hang or runaway allocation is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use winspect_hive::dump::{dump_hive, dump_merged};
use winspect_hive::{Hive, Layer, MergedRegistry};

fuzz_target!(|data: &[u8]| {
    // Split the input: the first part is the primary file, the rest a log.
    let split = data.len().min(usize::from(data.first().copied().unwrap_or(0)) * 4096 + 8192);
    let (primary, log) = data.split_at(split);
    let Ok(hive) = Hive::from_bytes_with_logs(primary.to_vec(), &[log]) else {
        return;
    };
    let _ = hive.walk(|_, key| {
        let _ = key.class_name();
        let _ = key.security_descriptor();
        if let Ok(values) = key.values() {
            for value in values {
                let _ = value.data();
            }
        }
    });
    let _ = dump_hive(&hive, "fuzz", None);
    let Ok(delta) = Hive::from_bytes(primary.to_vec()) else {
        return;
    };
    if let Ok(registry) = MergedRegistry::new(vec![Layer::new("base", hive), Layer::new("delta", delta)]) {
        let _ = dump_merged(&registry, None);
        let _ = registry.current_control_set();
    }
});
