//! Claim 4 (image's JPEG decoding is "pure Rust without SIMD, 2-3x slower"):
//! image (zune-jpeg), jpeg-decoder (one thread; its rayon mode shown
//! separately) and mozjpeg (libjpeg-turbo), decoding real photos from memory
//! to RGB8 into reused buffers, plus the pipeline's own keyframe JPEGs (of
//! the generated video, whose picture is SYNTHETIC: ffmpeg's testsrc2).
//! Before anything is timed, every decoder's pixels are checked against
//! libjpeg-turbo's (PSNR >= 40 dB). Also mozjpeg encode speed at the
//! pipeline's quality (85), output decoded and checked (PSNR >= 25 dB) first.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use harness::models::catalog::id;
use harness::stages::jpeg::{self, EncodeOptions, JpegDecoder, Subsampling};
use harness_benches::{asset, config};

fn inputs() -> Vec<(String, Vec<u8>)> {
    let mut v = Vec::new();
    for (name, aid) in [("rocket-640x427", id::PHOTO_ROCKET), ("hubble-1000x872", id::PHOTO_HUBBLE), ("retina-1411x1411", id::PHOTO_RETINA)] {
        v.push((name.to_string(), std::fs::read(asset(aid)).expect("photo readable")));
    }
    let coffee = image::open(asset(id::PHOTO_COFFEE)).expect("png").to_rgb8();
    let (w, h) = (coffee.width() as usize, coffee.height() as usize);
    for (label, opts) in [
        ("coffee-q85-420-baseline", EncodeOptions { quality: 85.0, subsampling: Subsampling::S420, progressive: false }),
        ("coffee-q85-444-progressive", EncodeOptions { quality: 85.0, subsampling: Subsampling::S444, progressive: true }),
    ] {
        v.push((label.to_string(), jpeg::encode_rgb(coffee.as_raw(), w, h, opts).expect("encode")));
    }
    v.push((KEYFRAME.to_string(), keyframe().1.clone()));
    v
}

/// The name says SYNTHETIC because the video's picture is ffmpeg's testsrc2.
const KEYFRAME: &str = "keyframe-640x360-SYNTHETIC-picture";

/// The pipeline's first keyframe of the generated MP4: pixels and JPEG
/// (decoded once for both bench groups).
fn keyframe() -> &'static (image::RgbImage, Vec<u8>) {
    static KEY: std::sync::OnceLock<(image::RgbImage, Vec<u8>)> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        let quality = harness::scenario::Jpeg::default().quality;
        let mut k = harness::pipeline::keyframes::pipeline_keyframes(&asset(id::VIDEO_MP4), quality, 1).expect("keyframes of the generated video");
        k.pop().expect("one keyframe")
    })
}

fn encode(c: &mut Criterion) {
    let quality = harness::scenario::Jpeg::default().quality;
    let coffee = image::open(asset(id::PHOTO_COFFEE)).expect("png").to_rgb8();
    for (name, rgb) in [("coffee-600x400", coffee), (KEYFRAME, keyframe().0.clone())] {
        let (w, h) = (rgb.width() as usize, rgb.height() as usize);
        let opts = EncodeOptions { quality, ..EncodeOptions::default() };
        let bytes = jpeg::encode_rgb(rgb.as_raw(), w, h, opts).expect("encode");
        let mut back = Vec::new();
        jpeg::decode_rgb(JpegDecoder::Mozjpeg, &bytes, &mut back).expect("the encoded JPEG decodes");
        let psnr = jpeg::psnr(&back, rgb.as_raw());
        // q85 with 4:2:0 chroma on the synthetic picture's sharp colour edges
        // gives ~29 dB; under 25 dB the encoder would be broken, not lossy.
        assert!(psnr >= 25.0, "{name}: mozjpeg q{quality} round trip at {psnr:.1} dB; refusing to time it");
        let mut group = c.benchmark_group(format!("claim4-jpeg-encode/{name}"));
        group.throughput(Throughput::Elements((w * h) as u64));
        group.bench_function(BenchmarkId::from_parameter(format!("mozjpeg-q{quality}")), |b| {
            b.iter(|| jpeg::encode_rgb(std::hint::black_box(rgb.as_raw()), w, h, opts).expect("encode"))
        });
        group.finish();
    }
}

fn decode(c: &mut Criterion) {
    for (name, bytes) in inputs() {
        let mut reference = Vec::new();
        let geo = jpeg::decode_rgb(JpegDecoder::Mozjpeg, &bytes, &mut reference).expect("libjpeg-turbo decodes");
        for dec in JpegDecoder::ALL {
            let mut out = Vec::new();
            let d = jpeg::decode_rgb(dec, &bytes, &mut out).expect("decodes");
            let psnr = jpeg::psnr(&out, &reference);
            assert!(d == geo && psnr >= 40.0, "{name}: {} disagrees with libjpeg-turbo ({psnr:.1} dB); refusing to time it", dec.name());
        }
        let mut group = c.benchmark_group(format!("claim4-jpeg-decode/{name}"));
        group.throughput(Throughput::Elements((geo.width * geo.height) as u64));
        for dec in JpegDecoder::ALL {
            let mut out = Vec::with_capacity(reference.len());
            group.bench_with_input(BenchmarkId::from_parameter(dec.name()), &bytes, |b, bytes| {
                b.iter(|| jpeg::decode_rgb(dec, bytes, &mut out).expect("decodes"))
            });
        }
        group.finish();
    }
}

criterion_group! { name = benches; config = config(); targets = decode, encode }
criterion_main!(benches);
