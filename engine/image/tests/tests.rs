//! Integration tests of image reading. One binary; modules by theme.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stderr,
    reason = "test code: a failed expectation is a test failure"
)]

mod faults;
mod fixtures;
mod foreign;
mod local;
mod realdata;
mod registry;
