//! The README's Quick start works as written, and CI runs its test command.

use crate::support::{root, winspect_env};

fn quick_start() -> Vec<String> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = readme
        .split("## Quick start")
        .nth(1)
        .expect("a Quick start section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("one fenced block");
    block
        .lines()
        .map(str::to_owned)
        .filter(|l| !l.trim().is_empty())
        .collect()
}

#[test]
fn the_quick_start_has_two_commands_and_the_first_one_works() {
    let commands = quick_start();
    assert_eq!(commands.len(), 2, "{commands:?}");
    let args: Vec<&str> = commands[0]
        .strip_prefix("cargo run -p winspect -- ")
        .expect("the first command runs winspect")
        .split_whitespace()
        .collect();
    let cache = tempfile::tempdir().unwrap();
    let cache_dir = cache.path().display().to_string();
    let run = winspect_env(&args, &[("WINSPECT_CACHE_DIR", cache_dir.as_str())]);
    assert_eq!(
        run.code, 1,
        "the production policy denies the sample: {}",
        run.stderr
    );
    assert!(run.stdout.contains("CVE-2022-21907"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("site `Default Web Site` lists its directories"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("policy production: DENIED"),
        "{}",
        run.stdout
    );
}

#[test]
fn ci_runs_the_quick_start_test_command() {
    let commands = quick_start();
    let ci = std::fs::read_to_string(root().join(".ci/run")).unwrap();
    assert!(
        ci.lines().any(|l| l.trim() == commands[1]),
        "`.ci/run` runs `{}`",
        commands[1]
    );
}
