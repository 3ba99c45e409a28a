//! End-to-end tests of the `winspect` binary: exit codes, outputs, files.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

mod fixture;
mod language;
mod plugins;
