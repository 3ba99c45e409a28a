//! 1,000 hardening rules, each written twice from one set of parameters: in
//! winspect's rule language and in Rego (a `deny contains ... if` rule). The
//! rules come from 25 shapes that real packs use (IIS sites, bindings and
//! pools, SCHANNEL, services, programs, files by glob and regex, registry and
//! LSA values, runtime, package and file versions, quantifiers, `let`), 40
//! variants each, with constants drawn so that a minority fire on the image.

use crate::Rng;
use crate::image::{
    APP_POOLS, BUILD, IIS_MODULES, INETSRV, PACKAGES, PROGRAMS, PS_MODULES, SERVICES, SITES,
    SYSTEM32, UBR, UPDATES,
};

/// One rule in both languages.
pub struct Twin {
    pub id: String,
    pub winspect: String,
    pub rego: String,
}

pub const SHAPES: usize = 25;

/// The winspect pack header and the pack-level bindings the rules use.
pub const WINSPECT_HEADER: &str = r#"pack "bench-hardening" version "1.0.0" requires winspect ">= 0.1"

let legacy_protocols = ["SSL 2.0", "SSL 3.0", "TLS 1.0", "TLS 1.1"]
"#;

/// The Rego module header: the same bindings, the look-up tables a Rego
/// author builds once per evaluation, and helper functions.
pub const REGO_HEADER: &str = r#"package winspect

import rego.v1

legacy_protocols := ["SSL 2.0", "SSL 3.0", "TLS 1.0", "TLS 1.1"]

files_by_path := {lower(f.path): f | some f in input.files}

registry_values := {concat("|", [lower(r.path), lower(r.name)]): r | some r in input.registry}

installed_kbs := {u.kb | some u in input.updates}

reg_number(key, name, fallback) := n if {
	n := registry_values[concat("|", [lower(key), lower(name)])].number
	is_number(n)
} else := fallback

reg_data(key, name) := object.get(registry_values, [concat("|", [lower(key), lower(name)]), "data"], "unset")

# Windows versions: one to four numbers, missing ones are zero, leading
# zeros are numeric (to_number reads JSON numbers, which have none).
winver(v) := array.slice(array.concat([winver_part(p) | some p in split(v, ".")], [0, 0, 0]), 0, 4) if {
	regex.match(`^[0-9]+(\.[0-9]+){0,3}$`, v)
}

winver_part(p) := 0 if trim_left(p, "0") == ""

winver_part(p) := to_number(trim_left(p, "0")) if trim_left(p, "0") != ""

winver_lt(a, b) if winver(a) < winver(b)

tls13_enabled(side) if {
	some q in input.schannel.protocols
	q.name == "TLS 1.3"
	q.side == side
	q.enabled == true
}

config_exposes(c, _) if c.debug

config_exposes(c, mode) if c.custom_errors == mode
"#;

const SEVERITIES: [&str; 5] = ["info", "low", "medium", "high", "critical"];

fn twin(id: String, title: &str, severity: &str, winspect_body: &str, rego_body: &str) -> Twin {
    let escaped = title.replace('\\', "\\\\");
    let winspect = format!(
        "rule {id} {{\n  title \"{escaped}\"\n  severity {severity}\n  tags [\"bench\"]\n  controls [\"CIS-WS2019 {}\"]\n{winspect_body}}}\n\n",
        id.len()
    );
    let rego = format!(
        "# {id}: {title}\ndeny contains {{\"id\": \"{id}\", \"msg\": msg}} if {{\n{rego_body}}}\n\n"
    );
    Twin { id, winspect, rego }
}

/// Bumps the first number of a dotted version: `7.2.1993` -> `8.2.1993`.
fn bump_first(version: &str) -> String {
    let mut parts: Vec<String> = version.split('.').map(str::to_owned).collect();
    if let Some(first) = parts.first_mut() {
        *first = (first.parse::<u64>().unwrap_or(0) + 1).to_string();
    }
    parts.join(".")
}

/// Bumps the last number of a dotted version: `1.0.0.1` -> `1.0.0.2`.
fn bump_last(version: &str) -> String {
    let mut parts: Vec<String> = version.split('.').map(str::to_owned).collect();
    if let Some(last) = parts.last_mut() {
        *last = (last.parse::<u64>().unwrap_or(0) + 1).to_string();
    }
    parts.join(".")
}

/// The rule with number `n` (0-based): shape `n % SHAPES`, variant `n / SHAPES`.
pub fn rule(n: usize, rng: &mut Rng) -> Twin {
    let k = n / SHAPES;
    let severity = SEVERITIES[(n * 7 + k) % SEVERITIES.len()];
    let num = n + 1;
    match n % SHAPES {
        0 => {
            let flag = [
                "directory_browse",
                "basic_auth",
                "detailed_errors",
                "windows_auth",
            ][k % 4];
            let prefix = if k.is_multiple_of(3) {
                SITES[k % SITES.len()].1.to_owned()
            } else {
                format!(r"C:\inetpub\app{k}")
            };
            twin(
                format!("IIS-{num:04}"),
                &format!("IIS site under {prefix} has {flag}"),
                severity,
                &format!(
                    "  for site in iis.sites where site.{flag} and site.physical_path starts_with r\"{prefix}\" {{\n    report \"site `{{site.name}}` has {flag} on\"\n    fix powershell \"Set-WebConfigurationProperty -PSPath 'IIS:\\\\Sites\\\\{{site.name}}' -Name {flag} -Value False\"\n  }}\n"
                ),
                &format!(
                    "\tsome site in input.iis.sites\n\tsite.{flag}\n\tstartswith(site.physical_path, `{prefix}`)\n\tmsg := sprintf(\"site `%s` has {flag} on\", [site.name])\n"
                ),
            )
        }
        1 => {
            let pool = [
                ("http", 80),
                ("http", 8080),
                ("https", 443),
                ("http", 8081),
                ("https", 8443),
                ("net.tcp", 808),
                ("http", 9080),
                ("http", 8090),
            ];
            let (protocol, port) = if k.is_multiple_of(4) {
                pool[(k / 4) % pool.len()]
            } else {
                ("http", 7000 + k)
            };
            twin(
                format!("IIS-{num:04}"),
                &format!("IIS listens on {protocol} port {port}"),
                severity,
                &format!(
                    "  for site in iis.sites where any(b in site.bindings where b.protocol == \"{protocol}\" and b.port == {port}) {{\n    report \"site `{{site.name}}` listens on {protocol} port {port}\"\n  }}\n"
                ),
                &format!(
                    "\tsome site in input.iis.sites\n\tsome b in site.bindings\n\tb.protocol == \"{protocol}\"\n\tb.port == {port}\n\tmsg := sprintf(\"site `%s` listens on {protocol} port {port}\", [site.name])\n"
                ),
            )
        }
        2 => {
            let limit = [1024, 2048, 8100, 9000, 10000][k % 5];
            let more = 1 + (k / 5) % 4;
            twin(
                format!("IIS-{num:04}"),
                &format!("IIS site has more than {more} bindings below port {limit}"),
                severity,
                &format!(
                    "  for site in iis.sites where count(b in site.bindings where b.port < {limit}) > {more} {{\n    report \"site `{{site.name}}` has more than {more} bindings below port {limit}\"\n  }}\n"
                ),
                &format!(
                    "\tsome site in input.iis.sites\n\tcount([b | some b in site.bindings; b.port < {limit}]) > {more}\n\tmsg := sprintf(\"site `%s` has more than {more} bindings below port {limit}\", [site.name])\n"
                ),
            )
        }
        3 => {
            let identity = [
                "LocalSystem",
                "NetworkService",
                "LocalService",
                "ApplicationPoolIdentity",
                "SpecificUser",
            ][k % 5];
            let mode = ["Classic", "Integrated"][(k / 5) % 2];
            let clr = ["v2.0", "v4.0"][(k / 10) % 2];
            let bits = (k / 20).is_multiple_of(2);
            twin(
                format!("IIS-{num:04}"),
                &format!("application pool runs as {identity} in {mode} mode on CLR {clr}"),
                severity,
                &format!(
                    "  for pool in iis.app_pools where pool.identity == \"{identity}\" and pool.pipeline_mode == \"{mode}\" and pool.clr_version == \"{clr}\" and pool.enable_32bit == {bits} {{\n    report \"application pool `{{pool.name}}` runs as {identity} in {mode} mode\"\n  }}\n"
                ),
                &format!(
                    "\tsome pool in input.iis.app_pools\n\tpool.identity == \"{identity}\"\n\tpool.pipeline_mode == \"{mode}\"\n\tpool.clr_version == \"{clr}\"\n\tpool.enable_32bit == {bits}\n\tmsg := sprintf(\"application pool `%s` runs as {identity} in {mode} mode\", [pool.name])\n"
                ),
            )
        }
        4 => {
            let globs = [
                "inetpub/*/web.config",
                "inetpub/**/web.config",
                "inetpub/shop/**",
                "inetpub/admin/*/web.config",
                "inetpub/status/web.config",
            ];
            let pattern = if k.is_multiple_of(2) {
                globs[(k / 2) % globs.len()].to_owned()
            } else {
                format!("srv{k}/**/web.config")
            };
            let mode = ["Off", "On"][(k / 10) % 2];
            twin(
                format!("WEB-{num:04}"),
                &format!("web.config under {pattern} exposes errors"),
                severity,
                &format!(
                    "  for c in iis.web_configs where c.path glob \"{pattern}\" and (c.debug or c.custom_errors == \"{mode}\") {{\n    report \"{{c.path}} exposes error details (debug or customErrors {mode})\"\n  }}\n"
                ),
                &format!(
                    "\tsome c in input.iis.web_configs\n\tglob.match(\"{pattern}\", [\"/\"], lower(c.path))\n\tconfig_exposes(c, \"{mode}\")\n\tmsg := sprintf(\"%s exposes error details (debug or customErrors {mode})\", [c.path])\n"
                ),
            )
        }
        5 => {
            let side = ["Server", "Client"][k % 2];
            let at_least = [1, 2, 3, 1, 2][(k / 2) % 5];
            let without_tls13 = (k / 10) % 2 == 1;
            let (ws_extra, rego_extra) = if without_tls13 {
                (
                    format!(
                        " and not any(q in schannel.protocols where q.name == \"TLS 1.3\" and q.side == \"{side}\" and q.enabled == true)"
                    ),
                    format!("\tnot tls13_enabled(\"{side}\")\n"),
                )
            } else {
                (String::new(), String::new())
            };
            twin(
                format!("TLS-{num:04}"),
                &format!("{at_least} or more legacy protocols enabled for {side}"),
                severity,
                &format!(
                    "  let n = count(p in schannel.protocols where p.name in legacy_protocols and p.side == \"{side}\" and p.enabled == true)\n  when n >= {at_least}{ws_extra} {{\n    report \"{{n}} legacy protocols are enabled for {side}\"\n  }}\n"
                ),
                &format!(
                    "\tn := count([p | some p in input.schannel.protocols; p.name in legacy_protocols; p.side == \"{side}\"; p.enabled == true])\n\tn >= {at_least}\n{rego_extra}\tmsg := sprintf(\"%d legacy protocols are enabled for {side}\", [n])\n"
                ),
            )
        }
        6 => {
            let (section, names): (&str, &[&str]) = [
                (
                    "ciphers",
                    &[
                        "NULL",
                        "DES 56/56",
                        "RC2 40/128",
                        "RC2 56/128",
                        "RC2 128/128",
                        "RC4 40/128",
                        "RC4 56/128",
                        "RC4 64/128",
                        "RC4 128/128",
                        "Triple DES 168",
                    ][..],
                ),
                ("hashes", &["MD5", "SHA"][..]),
                ("key_exchanges", &["Diffie-Hellman", "PKCS"][..]),
            ][k % 3];
            let base = names[(k / 3) % names.len()];
            let name = if k % 4 == 3 {
                format!("{base} (legacy)")
            } else {
                base.to_owned()
            };
            twin(
                format!("TLS-{num:04}"),
                &format!("SCHANNEL {section} entry {name} is not disabled"),
                severity,
                &format!(
                    "  for c in schannel.{section} where c.name == \"{name}\" and c.enabled != false {{\n    report \"{section} entry {{c.name}} is not disabled\"\n  }}\n"
                ),
                &format!(
                    "\tsome c in input.schannel.{section}\n\tc.name == \"{name}\"\n\tc.enabled != false\n\tmsg := sprintf(\"{section} entry %s is not disabled\", [c.name])\n"
                ),
            )
        }
        7 => {
            let account = [
                "localsystem",
                r"nt authority\networkservice",
                r"nt authority\localservice",
            ][k % 3];
            let dirs = [
                "inetsrv",
                "system32",
                "Program Files",
                "servicing",
                "OpenSSH",
                "Microsoft.NET",
            ];
            let dir = if k.is_multiple_of(2) {
                dirs[(k / 2) % dirs.len()].to_owned()
            } else {
                format!("vendor{k}")
            };
            twin(
                format!("SVC-{num:04}"),
                &format!("service from {dir} runs as a built-in account"),
                severity,
                &format!(
                    "  for s in services where lower(s.account) == r\"{account}\" and s.start_type != \"disabled\" and s.image_path matches r\"(?i)\\\\{dir}\\\\\" {{\n    report \"service {{s.name}} runs as {{s.account}} from {dir}\"\n  }}\n"
                ),
                &format!(
                    "\tsome s in input.services\n\tlower(s.account) == `{account}`\n\ts.start_type != \"disabled\"\n\tregex.match(`(?i)\\\\{dir}\\\\`, s.image_path)\n\tmsg := sprintf(\"service %s runs as %s from {dir}\", [s.name, s.account])\n"
                ),
            )
        }
        8 => {
            let mut names: Vec<String> = (0..3)
                .map(|_| SERVICES[rng.below(SERVICES.len())].0.to_owned())
                .collect();
            names.push(format!("Legacy{k}"));
            let start = ["auto", "manual", "disabled"][k % 3];
            let list = names
                .iter()
                .map(|n| format!("\"{n}\""))
                .collect::<Vec<_>>()
                .join(", ");
            twin(
                format!("SVC-{num:04}"),
                &format!("listed service starts {start}"),
                severity,
                &format!(
                    "  for s in services where s.name in [{list}] and s.start_type == \"{start}\" {{\n    report \"service {{s.name}} starts {start}\"\n  }}\n"
                ),
                &format!(
                    "\tsome s in input.services\n\ts.name in {{{list}}}\n\ts.start_type == \"{start}\"\n\tmsg := sprintf(\"service %s starts {start}\", [s.name])\n"
                ),
            )
        }
        9 => {
            let fragments = [
                "Redistributable",
                ".NET",
                "SQL Server",
                "Contoso",
                "Agent",
                "Java",
                "OpenSSL",
                "Python",
                "Node.js",
                "7-Zip",
                "WinSCP",
                "Wireshark",
                "Adobe",
                "Crystal",
                "Notepad",
            ];
            let publishers = [
                "Corporation",
                "Inc.",
                "Ltd.",
                "Foundation",
                "Team",
                "SAP",
                "Pavlov",
            ];
            let fragment = fragments[k % fragments.len()];
            let publisher = publishers[(k / 3) % publishers.len()];
            twin(
                format!("PRG-{num:04}"),
                &format!("program {fragment} from a {publisher} publisher is installed"),
                severity,
                &format!(
                    "  for p in programs where p.name contains \"{fragment}\" and p.publisher ends_with \"{publisher}\" {{\n    report \"{{p.name}} {{p.version}} from {{p.publisher}} is installed\"\n  }}\n"
                ),
                &format!(
                    "\tsome p in input.programs\n\tcontains(p.name, \"{fragment}\")\n\tendswith(p.publisher, \"{publisher}\")\n\tmsg := sprintf(\"%s %s from %s is installed\", [p.name, p.version, p.publisher])\n"
                ),
            )
        }
        10 => {
            let patterns = [
                "windows/system32/*.dll",
                "inetpub/**/*.config",
                "inetpub/*/bin/*.dll",
                "program files/dotnet/shared/*/*/*.dll",
                "app/*.json",
                "**/*.pdb",
                "**/*.bak",
                "**/*.pfx",
                "windows/temp/*.log",
                "inetpub/**/appsettings.*.json",
            ];
            let pattern = if k % 4 == 3 {
                format!("opt/vendor{k}/**")
            } else {
                patterns[k % patterns.len()].to_owned()
            };
            let more = [0, 5, 10, 50, 100, 200][(k / 3) % 6];
            twin(
                format!("FILE-{num:04}"),
                &format!("more than {more} files match {pattern}"),
                severity,
                &format!(
                    "  let n = count(f in files where f.path glob \"{pattern}\")\n  when n > {more} {{\n    report \"{{n}} files match {pattern}\"\n  }}\n"
                ),
                &format!(
                    "\tn := count([f | some f in input.files; glob.match(\"{pattern}\", [\"/\"], lower(f.path))])\n\tn > {more}\n\tmsg := sprintf(\"%d files match {pattern}\", [n])\n"
                ),
            )
        }
        11 => {
            let patterns = [
                r"(?i)^inetpub/.*\.(bak|old|orig)$",
                r"(?i)\.pdb$",
                r"(?i)\.pfx$",
                r"(?i)^inetpub/[^/]+/appsettings\.development\.json$",
                r"(?i)^windows/temp/",
                r"(?i)id_rsa",
                r"(?i)\.sql(\.old)?$",
                r"(?i)^app/.*\.runtimeconfig\.json$",
            ];
            let pattern = if k % 5 == 4 {
                format!(r"(?i)^vendor{k}/")
            } else {
                patterns[k % patterns.len()].to_owned()
            };
            let size = [0, 100_000, 1_000_000, 3_000_000][(k / 2) % 4];
            twin(
                format!("FILE-{num:04}"),
                &format!(
                    "files matching {} larger than {size} bytes",
                    pattern.replace('\\', "/")
                ),
                severity,
                &format!(
                    "  for f in files where f.path matches r\"{pattern}\" and f.size > {size} {{\n    report \"{{f.path}} ({{f.size}} bytes) should not ship in the image\"\n  }}\n"
                ),
                &format!(
                    "\tsome f in input.files\n\tregex.match(`{pattern}`, f.path)\n\tf.size > {size}\n\tmsg := sprintf(\"%s (%d bytes) should not ship in the image\", [f.path, f.size])\n"
                ),
            )
        }
        12 => {
            let (dir, name) = if k % 5 == 4 {
                ("Windows/System32", format!("legacy{k}.dll"))
            } else if k % 5 == 3 {
                (
                    "Windows/System32/inetsrv",
                    INETSRV[(k * 7) % INETSRV.len()].to_owned(),
                )
            } else {
                (
                    "Windows/System32",
                    SYSTEM32[(k * 3) % SYSTEM32.len()].to_owned(),
                )
            };
            let revision = [UBR + 10, UBR - 100, 3_000, UBR - 1_000, 5_000, 200][k % 6];
            let version = format!("10.0.{BUILD}.{revision}");
            let windows_path = format!(r"C:\{}\{name}", dir.replace('/', r"\"));
            let key = format!("{dir}/{name}").to_lowercase();
            twin(
                format!("FILE-{num:04}"),
                &format!("{name} is older than {version}"),
                severity,
                &format!(
                    "  let f = file(r\"{windows_path}\")\n  when exists(f) and f.file_version < \"{version}\" {{\n    report \"{{f.path}} is at {{f.file_version}}, below {version}\"\n  }}\n"
                ),
                &format!(
                    "\tf := files_by_path[\"{key}\"]\n\twinver_lt(f.file_version, \"{version}\")\n\tmsg := sprintf(\"%s is at %s, below {version}\", [f.path, f.file_version])\n"
                ),
            )
        }
        13 => {
            let lsa = r"HKLM\SYSTEM\CurrentControlSet\Control\Lsa";
            let fixed: [(&str, &str, u64, u64); 16] = [
                (lsa, "RunAsPPL", 0, 1),
                (lsa, "LmCompatibilityLevel", 0, 5),
                (lsa, "NoLMHash", 0, 1),
                (lsa, "RestrictAnonymous", 0, 1),
                (
                    r"HKLM\SOFTWARE\Microsoft\.NETFramework\v4.0.30319",
                    "SchUseStrongCrypto",
                    0,
                    1,
                ),
                (
                    r"HKLM\SOFTWARE\Microsoft\.NETFramework\v4.0.30319",
                    "SystemDefaultTlsVersions",
                    0,
                    1,
                ),
                (
                    r"HKLM\SOFTWARE\Wow6432Node\Microsoft\.NETFramework\v4.0.30319",
                    "SchUseStrongCrypto",
                    0,
                    1,
                ),
                (
                    r"HKLM\SOFTWARE\Policies\Microsoft\Windows\WinRM\Service",
                    "AllowBasic",
                    0,
                    0,
                ),
                (
                    r"HKLM\SOFTWARE\Policies\Microsoft\Windows\WinRM\Service",
                    "AllowUnencryptedTraffic",
                    0,
                    0,
                ),
                (
                    r"HKLM\SYSTEM\CurrentControlSet\Services\HTTP\Parameters",
                    "DisableServerHeader",
                    0,
                    1,
                ),
                (
                    r"HKLM\SYSTEM\CurrentControlSet\Services\LanmanServer\Parameters",
                    "SMB1",
                    1,
                    0,
                ),
                (
                    r"HKLM\SYSTEM\CurrentControlSet\Services\LanmanServer\Parameters",
                    "RequireSecuritySignature",
                    0,
                    1,
                ),
                (
                    r"HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\WDigest",
                    "UseLogonCredential",
                    0,
                    0,
                ),
                (
                    r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System",
                    "LocalAccountTokenFilterPolicy",
                    0,
                    0,
                ),
                (
                    r"HKLM\SOFTWARE\Microsoft\Cryptography\Wintrust\Config",
                    "EnableCertPaddingCheck",
                    0,
                    1,
                ),
                (
                    r"HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Kernel",
                    "DisableExceptionChainValidation",
                    1,
                    0,
                ),
            ];
            let flag;
            let (key, name, fallback, want) = if k < fixed.len() {
                fixed[k]
            } else {
                flag = format!(r"HKLM\SOFTWARE\Contoso\Shop\Features\Flag{:02}", k % 36);
                (flag.as_str(), "Enabled", 0, u64::from(k.is_multiple_of(3)))
            };
            twin(
                format!("REG-{num:04}"),
                &format!("{name} is not {want}"),
                severity,
                &format!(
                    "  let v = registry(r\"{key}\", \"{name}\")\n  when default(v.number, {fallback}) != {want} {{\n    report \"{name} is {{default(v.data, 'unset')}}\"\n    fix reg \"reg add {} /v {name} /t REG_DWORD /d {want} /f\"\n  }}\n",
                    key.replace('\\', r"\\")
                ),
                &format!(
                    "\treg_number(`{key}`, \"{name}\", {fallback}) != {want}\n\tmsg := sprintf(\"{name} is %s\", [reg_data(`{key}`, \"{name}\")])\n"
                ),
            )
        }
        14 => {
            let numeric = [
                ("lm_compatibility_level", [5, 4, 3, 2]),
                ("restrict_anonymous", [1, 2, 1, 3]),
                ("run_as_ppl", [1, 1, 2, 1]),
                ("lsa_cfg_flags", [1, 2, 1, 2]),
            ];
            if k % 6 < 4 {
                let (field, limits) = numeric[k % 6];
                let limit = limits[(k / 6) % 4];
                twin(
                    format!("LSA-{num:04}"),
                    &format!("LSA {field} below {limit}"),
                    severity,
                    &format!(
                        "  when exists(lsa.{field}) and lsa.{field} < {limit} {{\n    report \"LSA {field} is {{lsa.{field}}}, below {limit}\"\n  }}\n"
                    ),
                    &format!(
                        "\tv := input.lsa.{field}\n\tis_number(v)\n\tv < {limit}\n\tmsg := sprintf(\"LSA {field} is %d, below {limit}\", [v])\n"
                    ),
                )
            } else {
                let field = ["no_lm_hash", "limit_blank_password_use"][k % 6 - 4];
                let value = (k / 6).is_multiple_of(2);
                twin(
                    format!("LSA-{num:04}"),
                    &format!("LSA {field} is {value}"),
                    severity,
                    &format!(
                        "  when lsa.{field} == {value} {{\n    report \"LSA {field} is {value}\"\n  }}\n"
                    ),
                    &format!(
                        "\tinput.lsa.{field} == {value}\n\tmsg := \"LSA {field} is {value}\"\n"
                    ),
                )
            }
        }
        15 => {
            let framework = [
                "Microsoft.NETCore.App",
                "Microsoft.AspNetCore.App",
                "Microsoft.WindowsDesktop.App",
            ][k % 3];
            let major = [6, 7, 8, 9, 5, 3][(k / 3) % 6];
            let patch = 1 + rng.below(40);
            let (low, high) = (format!("{major}.0.0"), format!("{major}.0.{patch}"));
            twin(
                format!("NET-{num:04}"),
                &format!("{framework} below {high}"),
                severity,
                &format!(
                    "  for rt in dotnet.runtimes where rt.framework == \"{framework}\" and rt.version >= \"{low}\" and rt.version < \"{high}\" {{\n    report \"{{rt.framework}} {{rt.version}} is below {high}\"\n  }}\n"
                ),
                &format!(
                    "\tsome rt in input.dotnet.runtimes\n\trt.framework == \"{framework}\"\n\tsemver.compare(rt.version, \"{low}\") >= 0\n\tsemver.compare(rt.version, \"{high}\") < 0\n\tmsg := sprintf(\"%s %s is below {high}\", [rt.framework, rt.version])\n"
                ),
            )
        }
        16 => {
            let (name, version) = PACKAGES[k % PACKAGES.len()];
            let numeric: Vec<u64> = version
                .split('-')
                .next()
                .unwrap_or(version)
                .split('.')
                .map(|p| p.parse().unwrap_or(0))
                .collect();
            let [a, b, c] = [numeric[0], numeric[1], numeric[2]];
            let threshold = match k % 3 {
                0 => format!("{a}.{b}.{}", c + 1),
                1 => format!("{a}.{b}.0"),
                _ => format!("{}.0.0", a.saturating_sub(1)),
            };
            let lower = name.to_lowercase();
            twin(
                format!("PKG-{num:04}"),
                &format!("{name} below {threshold}"),
                severity,
                &format!(
                    "  for p in dotnet.packages where lower(p.name) == \"{lower}\" and p.version < \"{threshold}\" {{\n    report \"{{p.name}} {{p.version}} in {{p.deps_file}} is below {threshold}\"\n  }}\n"
                ),
                &format!(
                    "\tsome p in input.dotnet.packages\n\tlower(p.name) == \"{lower}\"\n\tsemver.compare(p.version, \"{threshold}\") < 0\n\tmsg := sprintf(\"%s %s in %s is below {threshold}\", [p.name, p.version, p.deps_file])\n"
                ),
            )
        }
        17 => {
            let (name, version) = PS_MODULES[k % PS_MODULES.len()];
            let threshold = if k.is_multiple_of(2) {
                bump_last(version)
            } else {
                version.to_owned()
            };
            twin(
                format!("PS-{num:04}"),
                &format!("PowerShell module {name} below {threshold}"),
                severity,
                &format!(
                    "  for m in powershell.modules where m.name == \"{name}\" and m.version < \"{threshold}\" {{\n    report \"module {{m.name}} {{m.version}} is below {threshold}\"\n  }}\n"
                ),
                &format!(
                    "\tsome m in input.powershell.modules\n\tm.name == \"{name}\"\n\twinver_lt(m.version, \"{threshold}\")\n\tmsg := sprintf(\"module %s %s is below {threshold}\", [m.name, m.version])\n"
                ),
            )
        }
        18 => {
            let kb = if k.is_multiple_of(2) {
                UPDATES[(k / 2) % UPDATES.len()].to_owned()
            } else {
                format!("KB50{:05}", 40_000 + k)
            };
            let build = if k % 4 == 3 { 20348 } else { BUILD };
            twin(
                format!("UPD-{num:04}"),
                &format!("{kb} is missing on build {build}"),
                severity,
                &format!(
                    "  when windows.build == {build} and not any(u in updates where u.kb == \"{kb}\") {{\n    report \"{kb} is not installed\"\n  }}\n"
                ),
                &format!(
                    "\tinput.windows.build == {build}\n\tnot \"{kb}\" in installed_kbs\n\tmsg := \"{kb} is not installed\"\n"
                ),
            )
        }
        19 => {
            let pairs = [
                ("ASPNETCORE_ENVIRONMENT", "Development"),
                ("COMPlus_EnableDiagnostics", "1"),
                ("DOTNET_RUNNING_IN_CONTAINER", "false"),
                ("APP_ENV", "debug"),
                ("ASPNETCORE_URLS", "http://+:80"),
                ("NODE_ENV", "development"),
                ("ASPNETCORE_DETAILEDERRORS", "true"),
                ("APP_ENV", "production"),
            ];
            let (base, value) = pairs[k % pairs.len()];
            let name = if (k / 8) % 2 == 1 {
                base.to_lowercase()
            } else {
                base.to_owned()
            };
            twin(
                format!("ENV-{num:04}"),
                &format!("environment sets {name}={value}"),
                severity,
                &format!(
                    "  when env(\"{name}\") == \"{value}\" {{\n    report \"environment variable {name} is {value}\"\n  }}\n"
                ),
                &format!(
                    "\tsome e in input.image.env\n\tlower(e.name) == \"{}\"\n\te.value == \"{value}\"\n\tmsg := \"environment variable {name} is {value}\"\n",
                    name.to_lowercase()
                ),
            )
        }
        20 => {
            let (field, limits) = [
                (
                    "max_allowed_content_length",
                    [10_000_000u64, 30_000_000, 50_000_000, 100_000_000],
                ),
                ("max_url", [2_048, 4_096, 8_192, 1_024]),
                ("max_query_string", [1_024, 2_048, 4_096, 512]),
            ][k % 3];
            let limit = limits[(k / 3) % 4];
            twin(
                format!("IIS-{num:04}"),
                &format!("a site allows {field} above {limit}"),
                severity,
                &format!(
                    "  when iis.installed and not all(s in iis.sites where s.request_filtering.{field} <= {limit}) {{\n    report \"a site allows {field} above {limit}\"\n  }}\n"
                ),
                &format!(
                    "\tinput.iis.installed\n\tsome s in input.iis.sites\n\ts.request_filtering.{field} > {limit}\n\tmsg := \"a site allows {field} above {limit}\"\n"
                ),
            )
        }
        21 => {
            let pool = if k % 5 < 3 {
                APP_POOLS[k % APP_POOLS.len()].0.to_owned()
            } else {
                format!("pool{k}")
            };
            let except = SITES[(k / 5) % SITES.len()].0;
            twin(
                format!("IIS-{num:04}"),
                &format!("applications outside {except} run in pool {pool}"),
                severity,
                &format!(
                    "  for site in iis.sites where site.name != \"{except}\" {{\n    for app in site.applications where app.app_pool == \"{pool}\" {{\n      report \"application {{app.path}} of `{{site.name}}` runs in pool {pool}\"\n    }}\n  }}\n"
                ),
                &format!(
                    "\tsome site in input.iis.sites\n\tsite.name != \"{except}\"\n\tsome app in site.applications\n\tapp.app_pool == \"{pool}\"\n\tmsg := sprintf(\"application %s of `%s` runs in pool {pool}\", [app.path, site.name])\n"
                ),
            )
        }
        22 => {
            let module = if k < IIS_MODULES.len() && k.is_multiple_of(2) {
                IIS_MODULES[k].to_lowercase()
            } else {
                format!("vendormodule{k}")
            };
            twin(
                format!("IIS-{num:04}"),
                &format!("IIS module {module} is loaded"),
                severity,
                &format!(
                    "  when iis.installed and any(m in iis.global_modules where lower(m.name) == \"{module}\") {{\n    report \"IIS module {module} is loaded\"\n  }}\n"
                ),
                &format!(
                    "\tinput.iis.installed\n\tsome m in input.iis.global_modules\n\tlower(m.name) == \"{module}\"\n\tmsg := \"IIS module {module} is loaded\"\n"
                ),
            )
        }
        23 => {
            let (name, version, _) = PROGRAMS[k % PROGRAMS.len()];
            let prefix: String = name.split(' ').take(2).collect::<Vec<_>>().join(" ");
            let threshold = if k.is_multiple_of(3) {
                bump_first(version)
            } else {
                "0.1".to_owned()
            };
            twin(
                format!("PRG-{num:04}"),
                &format!("{prefix} older than {threshold}"),
                severity,
                &format!(
                    "  for p in programs where p.name starts_with \"{prefix}\" and winver(p.version) < \"{threshold}\" {{\n    report \"{{p.name}} {{p.version}} is older than {threshold}\"\n  }}\n"
                ),
                &format!(
                    "\tsome p in input.programs\n\tstartswith(p.name, \"{prefix}\")\n\twinver_lt(p.version, \"{threshold}\")\n\tmsg := sprintf(\"%s %s is older than {threshold}\", [p.name, p.version])\n"
                ),
            )
        }
        _ => {
            if k.is_multiple_of(2) {
                let port = [80, 443, 8172, 3389, 5985, 5986, 22, 1433][(k / 2) % 8];
                twin(
                    format!("IMG-{num:04}"),
                    &format!("the image exposes port {port}"),
                    severity,
                    &format!(
                        "  for p in image.exposed_ports where p.port == {port} and p.protocol == \"tcp\" {{\n    report \"port {{p.port}}/{{p.protocol}} is exposed\"\n  }}\n"
                    ),
                    &format!(
                        "\tsome p in input.image.exposed_ports\n\tp.port == {port}\n\tp.protocol == \"tcp\"\n\tmsg := sprintf(\"port %d/%s is exposed\", [p.port, p.protocol])\n"
                    ),
                )
            } else {
                let user = [
                    "containeradministrator",
                    "containeruser",
                    "administrator",
                    "system",
                ][(k / 2) % 4];
                twin(
                    format!("IMG-{num:04}"),
                    &format!("the image runs as {user}"),
                    severity,
                    &format!(
                        "  when image.os == \"windows\" and lower(image.user) == \"{user}\" {{\n    report \"the image runs as {{image.user}}\"\n  }}\n"
                    ),
                    &format!(
                        "\tinput.image.os == \"windows\"\n\tlower(input.image.user) == \"{user}\"\n\tmsg := sprintf(\"the image runs as %s\", [input.image.user])\n"
                    ),
                )
            }
        }
    }
}
