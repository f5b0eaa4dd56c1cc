//! Measurement helpers shared by the pipeline and the benches.

pub mod profiler;
