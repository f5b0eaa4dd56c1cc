//! Claim 7 (ffmpeg-next should expose "hardware accelerated" swscale colour
//! conversion): what yuv420p -> RGB24 conversion costs per frame against
//! what decoding costs per frame, on the generated H.264 video (SYNTHETIC
//! picture). The conversion's output is checked against a second, freshly
//! built converter before timing.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ffmpeg_next as ffmpeg;
use harness::models::catalog::id;
use harness::stages::colour::ToRgb;
use harness::stages::decode::{self, FrameSink, Wanted};
use harness_benches::{asset, config};

struct Keep(Vec<ffmpeg::frame::Video>);

impl FrameSink for Keep {
    fn video(&mut self, f: &ffmpeg::frame::Video, _: f64, _: bool) -> Result<(), decode::SinkError> {
        if self.0.len() < 25 {
            self.0.push(f.clone());
        }
        Ok(())
    }
}

struct Count;
impl FrameSink for Count {}

fn swscale(c: &mut Criterion) {
    let video = asset(id::VIDEO_MP4);
    let mut keep = Keep(Vec::new());
    let summary = decode::decode_file(&video, Wanted { video: true, audio: false }, &mut keep).expect("decodes");
    let frames = summary.video.expect("video").frames_decoded;
    let frame = keep.0[12].clone();
    let (mut a, mut b) = (ToRgb::default(), ToRgb::default());
    assert_eq!(a.convert(&frame).expect("swscale").as_raw(), b.convert(&frame).expect("swscale").as_raw(), "converters must agree before timing");

    let mut g = c.benchmark_group("claim7-swscale/640x360");
    g.throughput(Throughput::Elements(1));
    g.bench_function(BenchmarkId::from_parameter("yuv420p-to-rgb24-per-frame"), |bch| bch.iter(|| a.convert(&frame).expect("swscale")));
    g.bench_function(BenchmarkId::from_parameter("decode-per-frame"), |bch| {
        bch.iter_custom(|iters| {
            // Whole-file decodes, charged per frame.
            let t = std::time::Instant::now();
            let mut done = 0;
            while done < iters {
                decode::decode_file(&video, Wanted { video: true, audio: false }, &mut Count).expect("decodes");
                done += frames;
            }
            t.elapsed().mul_f64(iters as f64 / done as f64)
        })
    });
    g.finish();
}

criterion_group! { name = benches; config = config(); targets = swscale }
criterion_main!(benches);
