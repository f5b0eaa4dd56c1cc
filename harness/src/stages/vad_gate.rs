//! VAD-gated transcription, as faster-whisper's `vad_filter`: only the
//! speech regions (each padded, overlapping ones merged) are joined and
//! handed to whisper, and the segment times whisper reports on the joined
//! audio are mapped back to the file's own time. Silence and music with no
//! speech never reach whisper, so it cannot hallucinate "[BLANK_AUDIO]" over
//! them, and long gaps cost no decoder time.

use super::vad::SpeechSegment;

/// Padding around each speech region, in seconds (faster-whisper's
/// `speech_pad_ms` default is 400 ms).
pub const PAD_S: f64 = 0.4;

/// One region of the original audio placed in the joined audio.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Span {
    /// Sample range in the original audio.
    pub start: usize,
    pub end: usize,
    /// Where it starts in the joined audio, in samples.
    pub joined_at: usize,
}

/// The padded, merged speech regions of `n` samples at `rate` Hz.
pub fn spans(segments: &[SpeechSegment], n: usize, rate: usize, pad_s: f64) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    let to_sample = |t: f64| ((t.max(0.0) * rate as f64).round() as usize).min(n);
    for s in segments {
        let (start, end) = (to_sample(s.start_s - pad_s), to_sample(s.end_s + pad_s));
        if end <= start {
            continue;
        }
        match out.last_mut() {
            Some(last) if start <= last.end => last.end = last.end.max(end),
            _ => out.push(Span { start, end, joined_at: 0 }),
        }
    }
    let mut at = 0;
    for s in &mut out {
        s.joined_at = at;
        at += s.end - s.start;
    }
    out
}

/// The speech regions of `samples`, joined.
pub fn join(samples: &[f32], spans: &[Span]) -> Vec<f32> {
    spans.iter().flat_map(|s| samples[s.start..s.end].iter().copied()).collect()
}

/// A time in the joined audio (seconds) as a time in the original audio.
pub fn original_time(t: f64, spans: &[Span], rate: usize) -> f64 {
    let sample = (t * rate as f64).max(0.0) as usize;
    let span = spans.iter().rev().find(|s| s.joined_at <= sample).or(spans.first());
    match span {
        Some(s) => (s.start + (sample - s.joined_at.min(sample)).min(s.end - s.start)) as f64 / rate as f64,
        None => t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(a: f64, b: f64) -> SpeechSegment {
        SpeechSegment { start_s: a, end_s: b }
    }

    #[test]
    fn regions_are_padded_merged_and_clamped() {
        // 10 s at 10 Hz: speech at 1-2 s and 2.5-3 s merge once padded by 0.4 s; 8-9.9 s is clamped at the end.
        let s = spans(&[seg(1.0, 2.0), seg(2.5, 3.0), seg(8.0, 9.9)], 100, 10, 0.4);
        assert_eq!(s, vec![Span { start: 6, end: 34, joined_at: 0 }, Span { start: 76, end: 100, joined_at: 28 }]);
        assert!(spans(&[], 100, 10, 0.4).is_empty());
    }

    #[test]
    fn joined_times_map_back_to_the_original() {
        let samples: Vec<f32> = (0..100).map(|i| i as f32).collect();
        let s = spans(&[seg(1.0, 2.0), seg(8.0, 9.0)], 100, 10, 0.0);
        let joined = join(&samples, &s);
        assert_eq!(joined, (10..20).chain(80..90).map(|i| i as f32).collect::<Vec<_>>());
        assert_eq!(original_time(0.0, &s, 10), 1.0);
        assert_eq!(original_time(0.5, &s, 10), 1.5);
        assert_eq!(original_time(1.0, &s, 10), 8.0, "the second region starts where the first ends in the joined audio");
        assert_eq!(original_time(1.5, &s, 10), 8.5);
        assert_eq!(original_time(5.0, &s, 10), 9.0, "past the end: the last region's end");
    }
}
