//! `winspect fixture build`: the synthetic Windows image a spec describes
//! (the format is in `engine/fixture/README.md`; `samples/` has examples).

use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use winspect_fixture::OutputFormat;

use super::{Error, Exit};
use crate::output::Output;

#[derive(Debug, Subcommand)]
pub enum FixtureCommand {
    /// Build the image a fixture spec describes; the same spec always gives the same bytes.
    Build {
        /// The spec, a TOML file.
        spec: PathBuf,
        /// Where to write the image: a file, or a new or empty folder for `oci-dir`.
        #[arg(short, long)]
        output: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::OciTar)]
        format: Format,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// An OCI image layout folder.
    OciDir,
    /// A tar of an OCI image layout.
    OciTar,
    /// A `docker save` archive.
    DockerArchive,
}

pub fn run(command: FixtureCommand, out: &mut Output) -> Result<Exit, Error> {
    match command {
        FixtureCommand::Build {
            spec,
            output,
            format,
        } => {
            let format = match format {
                Format::OciDir => OutputFormat::OciDir,
                Format::OciTar => OutputFormat::OciTar,
                Format::DockerArchive => OutputFormat::DockerArchive,
            };
            let spec = winspect_fixture::Spec::load(&spec)?;
            let image = winspect_fixture::build(&spec, &output, format)?;
            out.print(&format!(
                "wrote `{}` ({}): os.version {}, {}, manifest {}",
                output.display(),
                format.name(),
                spec.os_version(),
                super::plural(image.layers.len(), "layer"),
                image.manifest_digest
            ));
            Ok(Exit::Ok)
        }
    }
}
