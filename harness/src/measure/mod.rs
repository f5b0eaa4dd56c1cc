//! Measurement helpers shared by the pipeline and the benches.

pub mod clock;
pub mod instructions;
pub mod liveness;
pub mod profiler;
pub mod stacks;
pub mod stages;
pub mod stats;
