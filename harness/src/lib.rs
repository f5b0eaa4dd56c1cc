//! The harness library: stages of the extraction pipeline, the models they
//! need, measurement helpers and the evidence they produce.
//!
//! See `ARCHITECTURE.md` at the workspace root for the code map.

pub mod bundles;
pub mod check;
pub mod claims;
pub mod crates_io;
pub mod doctor;
pub mod error_chain;
pub mod evidence;
pub mod experiments;
pub mod forks;
pub mod lockfile;
pub mod machines;
pub mod manifest;
pub mod measure;
pub mod media;
pub mod models;
pub mod paths;
pub mod pipeline;
pub mod process;
pub mod quality;
pub mod report;
pub mod scenario;
pub mod setup;
pub mod single_stage;
pub mod smoke;
pub mod stages;
pub mod versions;
