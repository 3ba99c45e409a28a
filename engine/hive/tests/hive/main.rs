//! Integration tests of winspect-hive: real hives, merge, writer round trips, robustness.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout,
    reason = "test helpers: failing loudly and printing what is skipped is the point"
)]

mod delta;
mod logs;
mod merge;
mod realdata;
mod robust;
pub mod roundtrip;
mod support;
mod system;
