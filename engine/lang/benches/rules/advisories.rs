//! 10,000 advisories: 70 % Windows (by build and update revision), 10 % .NET
//! runtimes and 20 % NuGet packages, each with one to three affected ranges.
//! Most are for builds, runtimes and packages the image does not have, as in a
//! real feed; `RELEVANT` of them are keyed to what the image has (its build,
//! its runtimes' frameworks, its packages), about half of which fire.

use serde_json::{Value as Json, json};

use crate::Rng;
use crate::image::{BUILD, PACKAGES, UBR};

pub const COUNT: usize = 10_000;
/// Advisories keyed to the image: 10 Windows, 6 runtime, 6 package.
pub const RELEVANT: usize = 22;

/// Windows builds other than the image's: 1507 to 24H2.
const OTHER_BUILDS: [u32; 16] = [
    10240, 14393, 16299, 17134, 18362, 18363, 19041, 19042, 19044, 19045, 20348, 22000, 22621,
    22631, 25398, 26100,
];

const VENDORS: [&str; 20] = [
    "Acme",
    "Contoso",
    "Fabrikam",
    "Northwind",
    "Tailspin",
    "Woodgrove",
    "Litware",
    "Proseware",
    "AdventureWorks",
    "Wingtip",
    "Lucerne",
    "Humongous",
    "Coho",
    "Alpine",
    "Margie",
    "Trey",
    "WideWorld",
    "BlueYonder",
    "FourthCoffee",
    "Relecloud",
];
const COMPONENTS: [&str; 20] = [
    "Json",
    "Http",
    "Logging",
    "Data",
    "Xml",
    "Yaml",
    "Crypto",
    "Auth",
    "Cache",
    "Mail",
    "Pdf",
    "Imaging",
    "Csv",
    "Grpc",
    "Redis",
    "Sql",
    "Storage",
    "Queue",
    "Templates",
    "Compression",
];
const SUFFIXES: [&str; 4] = ["", ".Core", ".Extensions", ".AspNetCore"];

/// A `>= introduced, < fixed` range of one framework or package.
pub struct Range {
    pub subject: String,
    pub introduced: String,
    pub fixed: String,
}

impl Range {
    fn text(&self) -> String {
        format!(">= {}, < {}", self.introduced, self.fixed)
    }
}

pub struct Advisory {
    pub id: String,
    pub title: String,
    pub cvss: f64,
    pub published: String,
    pub relevant: bool,
    /// (build, first fixed revision, KB).
    pub windows: Vec<(u32, u32, String)>,
    pub runtimes: Vec<Range>,
    pub packages: Vec<Range>,
}

impl Advisory {
    /// The advisory in winspect's language.
    pub fn winspect(&self) -> String {
        let mut out = format!(
            "advisory {} {{\n  title \"{}\"\n  cvss {:.1} \"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\"\n  published {}\n  references [\"https://vulns.example/{}\"]\n",
            self.id, self.title, self.cvss, self.published, self.id
        );
        for (build, below, kb) in &self.windows {
            out.push_str(&format!(
                "  affects windows {build} below {below} fixed_by {kb}\n"
            ));
        }
        for (kind, ranges) in [("dotnet", &self.runtimes), ("nuget", &self.packages)] {
            for r in ranges {
                out.push_str(&format!(
                    "  affects {kind} \"{}\" \"{}\" fixed_by \"{}\"\n",
                    r.subject,
                    r.text(),
                    r.fixed
                ));
            }
        }
        out.push_str("}\n\n");
        out
    }

    /// The advisory as an object of the Rego data document, the way a feed
    /// converted to JSON would hold it (OSV-like `introduced`/`fixed`).
    pub fn rego(&self) -> Json {
        let mut doc = json!({
            "id": self.id,
            "title": self.title,
            "cvss": self.cvss,
            "published": self.published,
            "references": [format!("https://vulns.example/{}", self.id)],
        });
        if !self.windows.is_empty() {
            doc["windows"] = self
                .windows
                .iter()
                .map(|(build, below, kb)| json!({"build": build, "below": below, "kb": kb}))
                .collect();
        }
        if !self.runtimes.is_empty() {
            doc["dotnet"] = self
                .runtimes
                .iter()
                .map(|r| json!({"framework": r.subject, "introduced": r.introduced, "fixed": r.fixed, "range": r.text(), "fixed_by": r.fixed}))
                .collect();
        }
        if !self.packages.is_empty() {
            // Package ids are case-insensitive: the feed stores them lowercased.
            doc["nuget"] = self
                .packages
                .iter()
                .map(|r| json!({"package": r.subject.to_lowercase(), "introduced": r.introduced, "fixed": r.fixed, "range": r.text(), "fixed_by": r.fixed}))
                .collect();
        }
        doc
    }
}

/// The Rego rules that match advisories from `data.advisories`.
pub const REGO_RULES: &str = r#"
deny contains {"id": a.id, "msg": msg} if {
	some a in data.advisories
	some w in a.windows
	w.build == input.windows.build
	input.windows.ubr < w.below
	msg := sprintf("Windows 10.0.%d.%d is affected by %s; fixed in 10.0.%d.%d by %s", [input.windows.build, input.windows.ubr, a.id, w.build, w.below, w.kb])
}

deny contains {"id": a.id, "msg": msg} if {
	some rt in input.dotnet.runtimes
	some a in data.advisories
	some r in a.dotnet
	r.framework == rt.framework
	semver.compare(rt.version, r.introduced) >= 0
	semver.compare(rt.version, r.fixed) < 0
	msg := sprintf("runtime %s %s is affected by %s (%s); fixed in %s", [rt.framework, rt.version, a.id, r.range, r.fixed_by])
}

deny contains {"id": a.id, "msg": msg} if {
	some p in input.dotnet.packages
	name := lower(p.name)
	some a in data.advisories
	some r in a.nuget
	r.package == name
	semver.compare(p.version, r.introduced) >= 0
	semver.compare(p.version, r.fixed) < 0
	msg := sprintf("package %s %s is affected by %s (%s); fixed in %s", [p.name, p.version, a.id, r.range, r.fixed_by])
}
"#;

fn ghsa(rng: &mut Rng) -> String {
    const CHARS: &[u8] = b"23456789cfghjmpqrvwx";
    let part = |rng: &mut Rng| -> String {
        (0..4)
            .map(|_| char::from(CHARS[rng.below(CHARS.len())]))
            .collect()
    };
    format!("GHSA-{}-{}-{}", part(rng), part(rng), part(rng))
}

fn kb(rng: &mut Rng) -> String {
    format!("KB{}", 5_000_000 + rng.below(60_000))
}

fn ranges(rng: &mut Rng, subject: &str, majors: &[u64]) -> Vec<Range> {
    let lines = 1 + rng.below(3);
    let first = rng.below(majors.len());
    (0..lines)
        .map(|i| {
            let major = majors[(first + i) % majors.len()];
            let minor = rng.below(3);
            Range {
                subject: subject.to_owned(),
                introduced: format!("{major}.{minor}.0"),
                fixed: format!("{major}.{minor}.{}", 1 + rng.below(40)),
            }
        })
        .collect()
}

/// The advisory with number `n` (0-based).
pub fn advisory(n: usize, rng: &mut Rng) -> Advisory {
    let year = 2017 + rng.below(9);
    let published = format!("{year}-{:02}-{:02}", 1 + rng.below(12), 1 + rng.below(28));
    let cvss = 3.0 + rng.below(69) as f64 / 10.0;
    // Spread the relevant ones through the feed.
    let stride = COUNT / RELEVANT;
    let relevant_index = (n.is_multiple_of(stride) && n / stride < RELEVANT).then_some(n / stride);
    let kind = match relevant_index {
        Some(r) if r < 10 => 0,
        Some(r) if r < 16 => 1,
        Some(_) => 2,
        None => match n % 10 {
            0..=6 => 0,
            7 => 1,
            _ => 2,
        },
    };
    let mut adv = Advisory {
        id: String::new(),
        title: String::new(),
        cvss,
        published,
        relevant: relevant_index.is_some(),
        windows: Vec::new(),
        runtimes: Vec::new(),
        packages: Vec::new(),
    };
    match kind {
        0 => {
            adv.id = format!("CVE-{year}-{}", 20_000 + n);
            adv.title = format!("Windows component {} vulnerability {n}", COMPONENTS[n % 20]);
            let lines = 1 + rng.below(3);
            let first = rng.below(OTHER_BUILDS.len());
            for i in 0..lines {
                let build = OTHER_BUILDS[(first + i * 5) % OTHER_BUILDS.len()];
                adv.windows
                    .push((build, 500 + rng.below(6_000) as u32, kb(rng)));
            }
            if let Some(r) = relevant_index {
                // Half of them were fixed after the image's update revision.
                let below = if r.is_multiple_of(2) {
                    UBR + 50 + 10 * r as u32
                } else {
                    UBR - 400 + 10 * r as u32
                };
                adv.windows.insert(0, (BUILD, below, kb(rng)));
            }
        }
        1 => {
            adv.id = format!("CVE-{year}-{}", 20_000 + n);
            adv.title = format!(".NET {} vulnerability {n}", COMPONENTS[n % 20]);
            adv.runtimes = match relevant_index {
                Some(r) => {
                    let framework = if r.is_multiple_of(2) {
                        "Microsoft.NETCore.App"
                    } else {
                        "Microsoft.AspNetCore.App"
                    };
                    let fixed_6 = if r.is_multiple_of(3) { 26 } else { 20 };
                    vec![
                        Range {
                            subject: framework.into(),
                            introduced: "6.0.0".into(),
                            fixed: format!("6.0.{fixed_6}"),
                        },
                        Range {
                            subject: framework.into(),
                            introduced: "8.0.0".into(),
                            fixed: format!("8.0.{}", r % 3),
                        },
                    ]
                }
                // The desktop runtime: not in a server image.
                None => ranges(rng, "Microsoft.WindowsDesktop.App", &[3, 5, 6, 7, 8, 9]),
            };
        }
        _ => {
            adv.id = ghsa(rng);
            adv.title = format!("NuGet package vulnerability {n}");
            adv.packages = match relevant_index {
                Some(r) => {
                    let (name, version) = PACKAGES[r % 6];
                    let major: u64 = version
                        .split('.')
                        .next()
                        .and_then(|m| m.parse().ok())
                        .unwrap_or(1);
                    // Some ranges hold the image's version, some end below it.
                    let fixed = if r.is_multiple_of(2) {
                        format!("{}.0.0", major + 1)
                    } else {
                        format!("{major}.0.0")
                    };
                    vec![Range {
                        subject: name.into(),
                        introduced: format!("{}.0.0", major.saturating_sub(1)),
                        fixed,
                    }]
                }
                None => {
                    let name = format!(
                        "{}.{}{}",
                        VENDORS[rng.below(VENDORS.len())],
                        COMPONENTS[rng.below(COMPONENTS.len())],
                        SUFFIXES[rng.below(SUFFIXES.len())]
                    );
                    ranges(rng, &name, &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13])
                }
            };
        }
    }
    adv
}
