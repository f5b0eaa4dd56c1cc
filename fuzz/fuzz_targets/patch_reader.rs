//! The patch reader on arbitrary text: the header parser, the
//! documentation-only check and the failing-hunk finder (which also reads
//! `patch`'s output).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (patch, output) = text.split_once("\n===\n").unwrap_or((text, "Hunk #1 FAILED at 3."));
    let _ = harness::forks::patch_file::parse(std::path::Path::new("fuzz.patch"), patch);
    let _ = harness::forks::spec::comments_only(patch);
    let _ = harness::forks::patch::failing_hunk(patch, output);
});
