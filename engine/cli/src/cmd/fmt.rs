//! `winspect fmt`: the canonical layout, in place or as a check.

use std::path::{Path, PathBuf};

use super::{Error, Exit};
use crate::output::Output;

fn rule_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            for entry in walkdir::WalkDir::new(path).sort_by_file_name() {
                let entry = entry?;
                let p = entry.path();
                let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
                if entry.file_type().is_file() && (ext == "rules" || ext == "policy") {
                    files.push(p.to_path_buf());
                }
            }
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

pub fn run(paths: &[PathBuf], check: bool, out: &mut Output) -> Result<Exit, Error> {
    let mut unformatted = 0usize;
    let mut broken = 0usize;
    for file in rule_files(paths)? {
        let text = crate::load::read(&file)?;
        match winspect_lang::fmt::format_source(&text) {
            Ok(formatted) if formatted == text => {}
            Ok(formatted) => {
                unformatted += 1;
                if check {
                    out.print(&format!("{} is not formatted", file.display()));
                } else {
                    write_atomically(&file, &formatted)?;
                    out.print(&format!("formatted {}", file.display()));
                }
            }
            Err(diagnostics) => {
                broken += 1;
                let mut sources = winspect_lang::SourceMap::new();
                let pack = sources.add_pack(file.display().to_string());
                sources.add_pack_file(pack, file.display().to_string(), text);
                let mut diagnostics = diagnostics;
                for d in &mut diagnostics {
                    d.span.file = winspect_lang::FileId(0);
                }
                super::print_diagnostics(
                    &sources,
                    &diagnostics,
                    crate::cli::ErrorFormat::Human,
                    out,
                );
                out.error(&format!("{} does not parse; left as it is", file.display()));
            }
        }
    }
    if broken > 0 {
        return Ok(Exit::Error);
    }
    Ok(if check && unformatted > 0 {
        Exit::Failed
    } else {
        Exit::Ok
    })
}

/// Writes next to the file and renames, so an interrupted run never leaves
/// a half-written rule file.
fn write_atomically(path: &Path, text: &str) -> Result<(), Error> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("rules");
    let tmp = dir.join(format!(".{name}.winspect-fmt"));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}
