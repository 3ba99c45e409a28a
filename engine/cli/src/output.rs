//! Where commands write: stdout for results, stderr for diagnostics and
//! progress. The one place of the binary that prints.

use std::io::Write;

pub struct Output {
    stdout: Box<dyn Write>,
    stderr: Box<dyn Write>,
}

impl Output {
    pub fn stdio() -> Output {
        Output {
            stdout: Box::new(std::io::stdout().lock()),
            stderr: Box::new(std::io::stderr()),
        }
    }

    /// Writes a result line. A closed pipe (`winspect ... | head`) is not an
    /// error worth reporting, so write failures are ignored.
    pub fn print(&mut self, text: &str) {
        let _ = writeln!(self.stdout, "{text}");
    }

    pub fn print_raw(&mut self, text: &str) {
        let _ = write!(self.stdout, "{text}");
    }

    /// Writes a diagnostic or status line.
    pub fn error(&mut self, text: &str) {
        let _ = writeln!(self.stderr, "{text}");
    }

    pub fn error_raw(&mut self, text: &str) {
        let _ = write!(self.stderr, "{text}");
    }
}
