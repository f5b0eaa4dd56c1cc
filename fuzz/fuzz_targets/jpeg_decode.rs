//! Every JPEG decoding entry point on arbitrary bytes: the size check, then
//! each of the four decoders. A panic in the harness's code fails; a
//! decoder's own panic is caught and reported by `decode_rgb` as an error.
#![no_main]

use harness::stages::jpeg::{self, JpegDecoder};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Small enough that a fuzzed header cannot make a run slow by size alone.
    std::env::set_var(jpeg::MAX_PIXELS_VAR, "4000000");
    if jpeg::check_size(data).is_err() {
        return;
    }
    let mut out = Vec::new();
    for dec in JpegDecoder::ALL {
        let _ = jpeg::decode_rgb(dec, data, &mut out);
    }
});
