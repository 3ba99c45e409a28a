//! Progress bars for layer reads and pulls: drawn on stderr only when it is
//! a terminal and the caller asked for them, silent otherwise.

use std::io::{self, IsTerminal, Read};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

pub(crate) struct Progress {
    multi: Option<MultiProgress>,
}

pub(crate) struct Bar(Option<ProgressBar>);

impl Progress {
    pub fn new(wanted: bool) -> Progress {
        let multi = (wanted && io::stderr().is_terminal())
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        Progress { multi }
    }

    pub fn bar(&self, digest: &str, size: Option<u64>) -> Bar {
        let Some(multi) = &self.multi else {
            return Bar(None);
        };
        let bar = multi.add(match size {
            Some(size) => ProgressBar::new(size),
            None => ProgressBar::new_spinner(),
        });
        if let Ok(style) = ProgressStyle::with_template(
            "{prefix} {bar:30} {bytes}/{total_bytes} {bytes_per_sec} {eta}",
        ) {
            bar.set_style(style);
        }
        let short: String = digest
            .trim_start_matches("sha256:")
            .chars()
            .take(12)
            .collect();
        bar.set_prefix(short);
        Bar(Some(bar))
    }
}

impl Bar {
    pub fn wrap<R: Read>(&self, reader: R) -> BarReader<R> {
        BarReader {
            inner: reader,
            bar: self.0.clone(),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish();
        }
    }
}

pub(crate) struct BarReader<R> {
    inner: R,
    bar: Option<ProgressBar>,
}

impl<R: Read> Read for BarReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(bar) = &self.bar {
            bar.inc(n as u64);
        }
        Ok(n)
    }
}
