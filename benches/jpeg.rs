//! Claim 4 (image's JPEG decoding is "pure Rust without SIMD, 2-3x slower"):
//! image (zune-jpeg), jpeg-decoder (one thread; its rayon mode shown
//! separately) and mozjpeg (libjpeg-turbo), decoding real photos from memory
//! to RGB8 into reused buffers. Before anything is timed, every decoder's
//! pixels are checked against libjpeg-turbo's (PSNR >= 40 dB).

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
    v
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

criterion_group! { name = benches; config = config(); targets = decode }
criterion_main!(benches);
