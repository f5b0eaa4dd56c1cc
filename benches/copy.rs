//! Claim 6 (ort "copies" input tensors; a zero-copy API is needed): the
//! seed's path `Tensor::from_array` on a copy of the frame, against
//! `TensorRef::from_array_view` borrowing it, with a plain `memcpy` of the
//! same bytes as the baseline, and both inside a real `run()` of YOLOv8n
//! (640x640x3 f32 = 4,915,200 bytes; the seed's "1.2 MB" is the u8 frame).
//! Before timing, the two input paths must give identical outputs.
//!
//! The `run-*` pair times one buffer in a tight loop (hot cache, the heap
//! chunk reused): a floor. The `detect-*` pair is the pipeline's real
//! per-frame pattern: each frame letterboxes the next of four real photos
//! (a fresh 4.9 MB input written), runs the model and decodes the boxes.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use harness::models::catalog::id;
use harness::stages::detect::{self, Detector, TensorInput};
use harness::stages::onnx::SessionThreads;
use harness_benches::{asset, config};
use ort::value::{Tensor, TensorRef};

fn yolo_input() -> Vec<f32> {
    let photo = image::open(asset(id::PHOTO_ROCKET)).expect("photo").to_rgb8();
    let mut t = Vec::new();
    detect::letterbox(&photo, &mut t);
    t
}

fn copies(c: &mut Criterion) {
    let input = yolo_input();
    let bytes = std::mem::size_of_val(&input[..]);
    assert_eq!(bytes, 4_915_200, "640x640x3 f32");
    let shape = [1usize, 3, 640, 640];
    let mut det = Detector::from_catalog(SessionThreads::default()).expect("detector");
    let owned = det.run_tensor(&input, TensorInput::OwnedCopy).expect("run");
    let view = det.run_tensor(&input, TensorInput::ZeroCopyView).expect("run");
    assert_eq!(owned.0, view.0, "both input paths must give the same output before anything is timed");
    assert_eq!((owned.2, view.2), (bytes, 0), "bytes copied");

    let mut g = c.benchmark_group("claim6-tensor-input/yolov8n-640");
    g.throughput(Throughput::Bytes(bytes as u64));
    let mut dst = vec![0f32; input.len()];
    g.bench_function(BenchmarkId::from_parameter("memcpy"), |b| b.iter(|| dst.copy_from_slice(std::hint::black_box(&input))));
    g.bench_function(BenchmarkId::from_parameter("from_array-copy"), |b| {
        b.iter(|| Tensor::from_array((shape, std::hint::black_box(&input).to_vec())).expect("tensor"))
    });
    g.bench_function(BenchmarkId::from_parameter("from_array_view"), |b| {
        b.iter(|| TensorRef::from_array_view((shape, std::hint::black_box(&input[..]))).expect("tensor"))
    });
    let photos: Vec<image::RgbImage> = harness::experiments::tensor_input::PHOTOS.iter().map(|p| image::open(asset(p)).expect("photo").to_rgb8()).collect();
    let params = detect::DecodeParams::default();
    for p in &photos {
        let (a, b) = (det.detect(p, TensorInput::OwnedCopy, params).expect("detect"), det.detect(p, TensorInput::ZeroCopyView, params).expect("detect"));
        assert_eq!(a.detections, b.detections, "both input paths must detect the same boxes before timing");
    }
    let mut frame = 0usize;
    let mut next = || {
        frame += 1;
        &photos[frame % photos.len()]
    };
    g.bench_function(BenchmarkId::from_parameter("detect-owned-copy"), |b| b.iter(|| det.detect(next(), TensorInput::OwnedCopy, params).expect("detect")));
    g.bench_function(BenchmarkId::from_parameter("detect-zero-copy-view"), |b| {
        b.iter(|| det.detect(next(), TensorInput::ZeroCopyView, params).expect("detect"))
    });
    g.bench_function(BenchmarkId::from_parameter("run-owned-copy"), |b| b.iter(|| det.run_tensor(&input, TensorInput::OwnedCopy).expect("run")));
    g.bench_function(BenchmarkId::from_parameter("run-zero-copy-view"), |b| b.iter(|| det.run_tensor(&input, TensorInput::ZeroCopyView).expect("run")));
    g.finish();
}

criterion_group! { name = benches; config = config(); targets = copies }
criterion_main!(benches);
