//! Claim 3 (rustfft "could add parallelism": +50-100% FFT speed for
//! 2048-4096-point transforms): Whisper's front end (n_fft 400, hop 160) and
//! the seed's sizes; planning per call vs reusing the plan; `process` (which
//! allocates scratch) vs `process_with_scratch`; and the whole log-mel
//! serial vs rayon over frames on real speech. Before timing, the variants
//! must agree (FFTs bit-identical, rayon log-mel equal to serial).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use harness::stages::mel::{FftMode, LogMel};
use harness_benches::config;
use rustfft::num_complex::Complex;
use rustfft::FftPlanner;

fn speech() -> Vec<f32> {
    let mut all = Vec::new();
    for c in harness::media::speech_clips() {
        all.extend(harness::stages::decode::read_audio_16k(&c).expect("speech clip"));
    }
    all
}

fn fft(c: &mut Criterion) {
    let audio = speech();
    for n in [400usize, 2048, 4096] {
        let frame: Vec<Complex<f32>> = audio[..n].iter().map(|&x| Complex::new(x, 0.0)).collect();
        let plan = FftPlanner::<f32>::new().plan_fft_forward(n);
        let mut scratch = vec![Complex::default(); plan.get_inplace_scratch_len()];
        let (mut a, mut b) = (frame.clone(), frame.clone());
        FftPlanner::<f32>::new().plan_fft_forward(n).process(&mut a);
        plan.process_with_scratch(&mut b, &mut scratch);
        assert_eq!(a, b, "n = {n}: planned-per-call and reused plans must agree before timing");
        let mut g = c.benchmark_group(format!("claim3-fft/n{n}"));
        g.throughput(Throughput::Elements(n as u64));
        let mut buf = frame.clone();
        g.bench_function(BenchmarkId::from_parameter("plan-per-call"), |bch| {
            bch.iter(|| {
                buf.copy_from_slice(&frame);
                FftPlanner::<f32>::new().plan_fft_forward(n).process(&mut buf)
            })
        });
        g.bench_function(BenchmarkId::from_parameter("reuse-plan-process"), |bch| {
            bch.iter(|| {
                buf.copy_from_slice(&frame);
                plan.process(&mut buf)
            })
        });
        g.bench_function(BenchmarkId::from_parameter("reuse-plan-with-scratch"), |bch| {
            bch.iter(|| {
                buf.copy_from_slice(&frame);
                plan.process_with_scratch(&mut buf, &mut scratch)
            })
        });
        g.finish();
    }

    let lm = LogMel::whisper();
    let two = rayon::ThreadPoolBuilder::new().num_threads(2).build().expect("pool");
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("pool");
    let serial = lm.compute(&audio, FftMode::Serial);
    assert_eq!(two.install(|| lm.compute(&audio, FftMode::Rayon)), serial, "rayon log-mel must equal serial before timing");
    let mut g = c.benchmark_group("claim3-logmel/whisper-24.7s");
    g.throughput(Throughput::Elements(audio.len() as u64));
    g.bench_function(BenchmarkId::from_parameter("serial"), |b| b.iter(|| lm.compute(&audio, FftMode::Serial)));
    g.bench_function(BenchmarkId::from_parameter("rayon-1-thread"), |b| b.iter(|| one.install(|| lm.compute(&audio, FftMode::Rayon))));
    g.bench_function(BenchmarkId::from_parameter("rayon-2-threads"), |b| b.iter(|| two.install(|| lm.compute(&audio, FftMode::Rayon))));
    g.finish();
}

criterion_group! { name = benches; config = config(); targets = fft }
criterion_main!(benches);
