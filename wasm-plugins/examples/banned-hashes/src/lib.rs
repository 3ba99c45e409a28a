//! Reports files whose SHA-256 is on a blocklist compiled into the plugin:
//! signed kernel drivers with known, actively abused vulnerabilities
//! ("bring your own vulnerable driver"), and the EICAR test file.
//!
//! Sources: the LOLDrivers project (magicsword-io/LOLDrivers, entries
//! `e32bc3da-4db1-4858-a62c-6fbe4db6afbd` for RTCore64.sys and the gdrv.sys
//! entry), Dell's advisory DSA-2021-088 for dbutil_2_3.sys, and the EICAR
//! standard anti-virus test file (the SHA-256 of its 68 bytes).

use serde::Deserialize;
use winspect_plugin_sdk::{Error, Finding, Severity, plugin};

struct Banned {
    sha256: &'static str,
    name: &'static str,
    why: &'static str,
    severity: Severity,
}

const RTCORE: &str = "CVE-2019-16098: any local user can read and write kernel memory, I/O ports and \
                      MSRs; ransomware loads it to switch off endpoint protection";
const DBUTIL: &str = "CVE-2021-21551 (Dell DSA-2021-088): insufficient access control lets a local user \
                      escalate to kernel privileges";

const BANNED: &[Banned] = &[
    Banned {
        sha256: "01aa278b07b58dc46c84bd0b1b5c8e9ee4e62ea0bf7a695862444af32e87f1fd",
        name: "RTCore64.sys from MSI Afterburner 4.6.2 (x64)",
        why: RTCORE,
        severity: Severity::Critical,
    },
    Banned {
        sha256: "cdd2a4575a46bada4837a6153a79c14d60ee3129830717ef09e0e3efd9d00812",
        name: "RTCore64.sys from MSI Afterburner (x86)",
        why: RTCORE,
        severity: Severity::Critical,
    },
    Banned {
        sha256: "0296e2ce999e67c76352613a718e11516fe1b0efc3ffdb8918fc999dd76a73a5",
        name: "dbutil_2_3.sys, Dell's BIOS update driver",
        why: DBUTIL,
        severity: Severity::Critical,
    },
    Banned {
        sha256: "87e38e7aeaaaa96efe1a74f59fca8371de93544b7af22862eb0e574cec49c7c3",
        name: "dbutil_2_3.sys, Dell's BIOS update driver (second build)",
        why: DBUTIL,
        severity: Severity::Critical,
    },
    Banned {
        sha256: "31f4cfb4c71da44120752721103a16512444c13c2ac2d857a7e6f13cb679b427",
        name: "gdrv.sys, GIGABYTE's tools driver",
        why: "CVE-2018-19320: any local user can map and write physical memory; used by \
              ransomware to load unsigned drivers",
        severity: Severity::Critical,
    },
    Banned {
        sha256: "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f",
        name: "the EICAR anti-virus test file",
        why: "a test signature that every scanner flags: it does not belong in a production image",
        severity: Severity::Medium,
    },
];

#[derive(Deserialize)]
struct Input {
    files: Vec<File>,
}

/// The fields of an inventory file record this check reads.
#[derive(Deserialize)]
struct File {
    path: String,
    #[serde(default)]
    sha256: String,
    #[serde(default)]
    layer: Option<String>,
}

fn lookup(sha256: &str) -> Option<&'static Banned> {
    BANNED
        .iter()
        .find(|b| b.sha256.eq_ignore_ascii_case(sha256.trim()))
}

fn check(input: Input) -> Result<Vec<Finding>, Error> {
    Ok(input
        .files
        .iter()
        .filter_map(|file| {
            let banned = lookup(&file.sha256)?;
            Some(
                Finding::new(
                    "BANNED-FILE",
                    banned.severity,
                    format!("`{}` is {}: {}", file.path, banned.name, banned.why),
                )
                .remediation(format!(
                    "remove `{}` from the image, or rebuild it from a base that does not ship it",
                    file.path
                ))
                .subject(&file.path)
                .layer(file.layer.clone()),
            )
        })
        .collect())
}

fn is_banned(sha256: String) -> bool {
    lookup(&sha256).is_some()
}

fn banned_hashes() -> Vec<String> {
    BANNED.iter().map(|b| b.sha256.to_owned()).collect()
}

plugin! {
    name: "banned-hashes",
    version: "1.0.0",
    description: "Reports files whose SHA-256 is on a blocklist of abused drivers and test files",
    sections: ["files"],
    check: check,
    functions: {
        fn is_banned(sha256: String) -> bool;
        fn banned_hashes() -> Vec<String>;
    }
}
