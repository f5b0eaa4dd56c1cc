//! Scenario files: what to run and under which concurrency. TOML in
//! `scenarios/`, every key optional except the inputs, unknown keys refused,
//! any value overridable from the command line (`--set concurrency.files=3`).

pub mod budget;
mod load;
mod schema;

pub use load::{load, load_str, ScenarioError};
pub use schema::*;
