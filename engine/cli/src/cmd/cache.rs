//! `winspect cache ls` and `winspect cache prune`: the layer cache.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use winspect_image::Cache;

use super::{Error, Exit, plural};
use crate::output::Output;

fn open(dir: Option<&PathBuf>) -> Result<Cache, Error> {
    Ok(match dir {
        Some(dir) => Cache::at(dir),
        None => Cache::user_default()?,
    })
}

pub fn ls(dir: Option<&PathBuf>, out: &mut Output) -> Result<Exit, Error> {
    let cache = open(dir)?;
    let entries = cache.list()?;
    let now = SystemTime::now();
    if !entries.is_empty() {
        out.print(&format!(
            "{:<71}  {:<16}  {:>10}  LAST USED",
            "LAYER", "CAPTURE", "SIZE"
        ));
    }
    for entry in &entries {
        let age = now.duration_since(entry.last_used).unwrap_or_default();
        out.print(&format!(
            "{:<71}  {:<16}  {:>10}  {} ago",
            entry.digest,
            entry.fingerprint,
            size(entry.size),
            age_text(age)
        ));
    }
    let total: u64 = entries.iter().map(|e| e.size).sum();
    out.error(&format!(
        "{}, {} in `{}`",
        plural(entries.len(), "cached layer"),
        size(total),
        cache.dir().display()
    ));
    Ok(Exit::Ok)
}

pub fn prune(
    older_than: Option<Duration>,
    dir: Option<&PathBuf>,
    out: &mut Output,
) -> Result<Exit, Error> {
    let cache = open(dir)?;
    let pruned = cache.prune(older_than)?;
    let left = cache.list()?.len();
    out.print(&format!(
        "removed {} ({}) from `{}`; {} left",
        plural(
            usize::try_from(pruned.entries).unwrap_or(usize::MAX),
            "cached layer"
        ),
        size(pruned.bytes),
        cache.dir().display(),
        left
    ));
    Ok(Exit::Ok)
}

fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = UNITS[0];
    for next in UNITS.iter().skip(1) {
        if value < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = next;
    }
    format!("{value:.1} {unit}")
}

fn age_text(age: Duration) -> String {
    let seconds = age.as_secs();
    match seconds {
        0..60 => plural(seconds as usize, "second"),
        60..3600 => plural((seconds / 60) as usize, "minute"),
        3600..86_400 => plural((seconds / 3600) as usize, "hour"),
        _ => plural((seconds / 86_400) as usize, "day"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_ages_read_well() {
        assert_eq!(size(512), "512 B");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(size(3 << 30), "3.0 GiB");
        assert_eq!(age_text(Duration::from_secs(1)), "1 second");
        assert_eq!(age_text(Duration::from_secs(7200)), "2 hours");
        assert_eq!(age_text(Duration::from_secs(31 * 86_400)), "31 days");
    }
}
