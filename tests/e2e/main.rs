//! End-to-end tests of the `winspect` binary: exit codes, outputs, files.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout
)]

mod support;

mod faults;
mod fixture;
mod image;
mod language;
mod plugins;
mod readme;
