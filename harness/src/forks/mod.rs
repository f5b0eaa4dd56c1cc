//! Crate variants: the same small program built against another version or
//! feature set of an upstream crate, in an isolated generated project, with
//! the resolved version checked from its lock file.

pub mod variant;
