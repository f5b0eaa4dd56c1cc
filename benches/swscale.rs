//! Claim 7 (ffmpeg-next should expose "hardware accelerated" swscale colour
//! conversion): what yuv420p -> RGB24 conversion costs per frame against
//! what decoding costs per frame, on the generated H.264 video (SYNTHETIC
//! picture). The conversion's output is checked against a second, freshly
//! built converter before timing. The seed's "+50-100% color conv" is
//! judged against the fastest CPU converter this bench knows,
//! yuvutils-rs (Rust, SIMD chosen at run time), converting the same frame
//! to the same RGB24 image; its output must match swscale's (BT.601,
//! limited range, as swscale's default) to within `MAX_DIFFERENCE` per
//! channel before timing.

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

/// Largest per-channel difference allowed between yuvutils-rs's and
/// swscale's RGB: both are fixed-point BT.601 conversions that round (and
/// place chroma) differently.
const MAX_DIFFERENCE: u8 = 6;

/// yuv420p -> RGB24 with yuvutils-rs, into a new image as the pipeline's
/// `ToRgb` returns one.
fn yuvutils_rgb(frame: &ffmpeg::frame::Video) -> image::RgbImage {
    use yuvutils_rs::{yuv420_to_rgb, YuvPlanarImage, YuvRange, YuvStandardMatrix};
    let (w, h) = (frame.width(), frame.height());
    let planar = YuvPlanarImage {
        y_plane: frame.data(0),
        y_stride: frame.stride(0) as u32,
        u_plane: frame.data(1),
        u_stride: frame.stride(1) as u32,
        v_plane: frame.data(2),
        v_stride: frame.stride(2) as u32,
        width: w,
        height: h,
    };
    let mut rgb = vec![0u8; 3 * (w * h) as usize];
    yuv420_to_rgb(&planar, &mut rgb, 3 * w, YuvRange::Limited, YuvStandardMatrix::Bt601).expect("yuvutils-rs converts a yuv420p frame");
    image::RgbImage::from_raw(w, h, rgb).expect("buffer matches size")
}

fn swscale(c: &mut Criterion) {
    let video = asset(id::VIDEO_MP4);
    let mut keep = Keep(Vec::new());
    let summary = decode::decode_file(&video, Wanted { video: true, audio: false }, &mut keep).expect("decodes");
    let frames = summary.video.expect("video").frames_decoded;
    let frame = keep.0[12].clone();
    let (mut a, mut b) = (ToRgb::default(), ToRgb::default());
    assert_eq!(a.convert(&frame).expect("swscale").as_raw(), b.convert(&frame).expect("swscale").as_raw(), "converters must agree before timing");
    assert_eq!(frame.format(), ffmpeg::format::Pixel::YUV420P, "the compared converters take yuv420p");
    let (sws, yuv) = (a.convert(&frame).expect("swscale"), yuvutils_rgb(&frame));
    let worst = sws.as_raw().iter().zip(yuv.as_raw()).map(|(x, y)| x.abs_diff(*y)).max().unwrap_or(0);
    assert!(worst <= MAX_DIFFERENCE, "yuvutils-rs differs from swscale by {worst} (limit {MAX_DIFFERENCE}): not the same conversion, refusing to time it");

    let mut g = c.benchmark_group("claim7-swscale/640x360");
    g.throughput(Throughput::Elements(1));
    g.bench_function(BenchmarkId::from_parameter("yuv420p-to-rgb24-per-frame"), |bch| bch.iter(|| a.convert(&frame).expect("swscale")));
    g.bench_function(BenchmarkId::from_parameter("yuvutils-rs-per-frame"), |bch| bch.iter(|| yuvutils_rgb(&frame)));
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
