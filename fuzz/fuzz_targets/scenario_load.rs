//! The scenario loader on arbitrary text: an error or a scenario, never a
//! panic. Overrides are fuzzed too (the second half of the input, one per
//! line), since `--set` is user input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (toml, sets) = text.split_once("\n---\n").unwrap_or((text, ""));
    let sets: Vec<String> = sets.lines().map(String::from).collect();
    let _ = harness::scenario::load_str(toml, std::path::Path::new("fuzz.toml"), &sets);
});
