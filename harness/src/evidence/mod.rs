//! Evidence: what every result carries so it can be judged and rebuilt
//! elsewhere. Only this module writes run data.

pub mod criterion;
pub mod environment;
pub mod fuzz;
pub mod npy;
pub mod run;
pub mod store;
