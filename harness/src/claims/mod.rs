//! Claims: one module per upstream claim of the seed, holding how it is
//! measured, the rule that decides it and how its report reads.

pub mod whisper_rs_race;
