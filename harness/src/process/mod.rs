//! Running external programs (cargo, ffmpeg, valgrind, gdb, python, the
//! repro binaries) and reading what they print.
//!
//! - `cargo_output.rs`: the part of cargo's output a person needs when a
//!   build fails.

pub mod cargo_output;
