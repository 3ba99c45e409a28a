//! `winspect cache ls` and `winspect cache prune`: the layer cache and
//! the merged views beside it.

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

/// Lists the cached layers, then the cached merged views (each keyed by
/// the ordered digests of its image's layers), least recently used first.
pub fn ls(dir: Option<&PathBuf>, out: &mut Output) -> Result<Exit, Error> {
    let cache = open(dir)?;
    let layers = cache.list()?;
    let views = cache.views()?;
    let now = SystemTime::now();
    for (heading, entries) in [("LAYER", &layers), ("VIEW OF LAYERS", &views)] {
        if entries.is_empty() {
            continue;
        }
        out.print(&format!(
            "{heading:<71}  {:<16}  {:>10}  LAST USED",
            "CAPTURE", "SIZE"
        ));
        for entry in entries {
            let age = now.duration_since(entry.last_used).unwrap_or_default();
            out.print(&format!(
                "{:<71}  {:<16}  {:>10}  {} ago",
                entry.digest,
                entry.fingerprint,
                size(entry.size),
                age_text(age)
            ));
        }
    }
    let total: u64 = layers.iter().chain(&views).map(|e| e.size).sum();
    out.error(&format!(
        "{}, {}, {} in `{}`",
        plural(layers.len(), "cached layer"),
        plural(views.len(), "cached view"),
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
    let count = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    out.print(&format!(
        "removed {} and {} ({}) from `{}`; {} and {} left",
        plural(count(pruned.entries), "cached layer"),
        plural(count(pruned.views), "cached view"),
        size(pruned.bytes + pruned.view_bytes),
        cache.dir().display(),
        plural(cache.list()?.len(), "layer"),
        plural(cache.views()?.len(), "view"),
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
