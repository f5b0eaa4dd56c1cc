//! Minimal reproductions of upstream claims, one module or test per claim,
//! named after it. The loom models live in `tests/` (loom replaces the
//! std primitives only inside its model closures).
//!
//! - `tests/whisper_rs_race_loom.rs`: the seed's proposed whisper-rs fix
//!   (claim 1, option 2) as a loom model.
