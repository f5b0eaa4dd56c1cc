//! The media open/demux/decode path (FFmpeg through ffmpeg-next, then the
//! harness's resampling and frame handling) on arbitrary bytes written to a
//! file, since the harness opens media by path.
#![no_main]

use harness::stages::decode::{self, FrameSink, Wanted};
use libfuzzer_sys::fuzz_target;

/// Stops after a few frames: the fuzzer looks for crashes, not long decodes.
struct Few(usize);

impl FrameSink for Few {
    fn video(&mut self, _f: &ffmpeg_next::frame::Video, _pts: f64, _key: bool) -> Result<(), harness::stages::decode::SinkError> {
        self.0 += 1;
        if self.0 > 8 {
            Err("enough".into())
        } else {
            Ok(())
        }
    }
    fn audio(&mut self, _s: &[f32]) -> Result<(), harness::stages::decode::SinkError> {
        self.0 += 1;
        if self.0 > 64 {
            Err("enough".into())
        } else {
            Ok(())
        }
    }
}

fuzz_target!(|data: &[u8]| {
    std::env::set_var(harness::stages::jpeg::MAX_PIXELS_VAR, "4000000");
    let path = std::env::temp_dir().join(format!("harness-fuzz-media-{}", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    for wanted in [Wanted { video: true, audio: true }, Wanted { video: false, audio: true }] {
        let _ = decode::decode_file(&path, wanted, &mut Few(0));
    }
    let _ = std::fs::remove_file(&path);
});
