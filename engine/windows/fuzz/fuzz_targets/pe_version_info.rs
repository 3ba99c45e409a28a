//! Any bytes given to the PE reader: it must return, never panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use winspect_windows::pe::{parse_version_info, read_version_info};

fuzz_target!(|data: &[u8]| {
    let _ = read_version_info("fuzz.dll", data);
    // The version block parser alone, so the fuzzer reaches it without
    // first having to build valid PE headers.
    let _ = parse_version_info("fuzz.dll", data);
});
