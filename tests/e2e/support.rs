//! Running the binary and reading its results.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// The repository root, where `rules/`, `policies/` and `tests/` are.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn winspect(args: &[&str]) -> Run {
    winspect_with(args, &[], None)
}

/// Runs winspect with extra environment variables.
pub fn winspect_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    winspect_with(args, env, None)
}

/// Runs the binary with extra environment variables and, when given, `stdin`
/// as its standard input (else none).
pub fn winspect_with(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_winspect"));
    command
        .args(args)
        .envs(env.iter().copied())
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("the winspect binary runs");
    {
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).unwrap();
        }
    }
    let output = child.wait_with_output().unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

pub fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// A file of the real third-party test data (`$WINSPECT_REALDATA`, else the
/// `shared/realdata` beside the repository, else `/work/shared/realdata`),
/// or `None`, saying what is missing.
pub fn realdata(rel: &str) -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("WINSPECT_REALDATA").map(PathBuf::from),
        Some(root().join("../shared/realdata")),
        Some(PathBuf::from("/work/shared/realdata")),
    ];
    let found = candidates
        .into_iter()
        .flatten()
        .map(|dir| dir.join(rel))
        .find(|path| path.is_file());
    if found.is_none() {
        println!("real data `{rel}` is missing: set WINSPECT_REALDATA; skipping");
    }
    found
}
