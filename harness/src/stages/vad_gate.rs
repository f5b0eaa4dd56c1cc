//! VAD-gated transcription, as faster-whisper's `vad_filter`: only the
//! speech regions (each padded, overlapping ones merged) are joined and
//! handed to whisper, and the segment times whisper reports on the joined
//! audio are mapped back to the file's own time. Silence and music with no
//! speech never reach whisper (a file without speech gives no transcript at
//! all), and long gaps cost no decoder time. whisper still pads each window
//! to 30 s itself, and may write "[BLANK_AUDIO]" over that padding.
//!
//! The speech of successive audio chunks is gathered in a [`Buffer`] and
//! handed on in windows of the chunk length: whisper pads every call to a
//! 30 s window, so gating each chunk on its own would still pay one encoder
//! pass per chunk however little speech it held (measured: no speed gain).

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

/// Speech gathered across chunks, in file samples, waiting for a window.
/// Holds at most one window plus one chunk's speech, so memory stays
/// bounded whatever the file's length.
#[derive(Debug, Default)]
pub struct Buffer {
    samples: Vec<f32>,
    /// Spans in file samples; `joined_at` is the offset in `samples`.
    spans: Vec<Span>,
}

/// A window of joined speech ready for whisper, with where each part sits
/// in the file (spans in file samples).
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    pub samples: Vec<f32>,
    pub spans: Vec<Span>,
}

impl Buffer {
    /// Adds a chunk's speech: `spans` from [`spans`] on `chunk`, which starts
    /// at file sample `chunk_at`.
    pub fn push(&mut self, chunk: &[f32], chunk_at: usize, spans: &[Span]) {
        for s in spans {
            let at = self.samples.len();
            self.samples.extend_from_slice(&chunk[s.start..s.end]);
            let (start, end) = (chunk_at + s.start, chunk_at + s.end);
            match self.spans.last_mut() {
                // Speech running over the chunk boundary stays one span.
                Some(last) if last.end == start => last.end = end,
                _ => self.spans.push(Span { start, end, joined_at: at }),
            }
        }
    }

    /// Samples of speech waiting.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// A window of at most `max` samples once `max` have gathered. It ends
    /// at the last gap between spans in its second half, so that words are
    /// not cut, and hard at `max` when there is none.
    pub fn take_full(&mut self, max: usize) -> Option<Window> {
        (self.samples.len() >= max && max > 0).then(|| self.take(cut_point(&self.spans, max)))
    }

    /// Whatever waits, at the end of the file.
    pub fn take_rest(&mut self) -> Option<Window> {
        (!self.samples.is_empty()).then(|| self.take(self.samples.len()))
    }

    fn take(&mut self, n: usize) -> Window {
        let rest = self.samples.split_off(n);
        let samples = std::mem::replace(&mut self.samples, rest);
        let (mut taken, mut kept) = (Vec::new(), Vec::new());
        for s in &self.spans {
            let len = s.end - s.start;
            if s.joined_at + len <= n {
                taken.push(*s);
            } else if s.joined_at >= n {
                kept.push(Span { joined_at: s.joined_at - n, ..*s });
            } else {
                let head = n - s.joined_at;
                taken.push(Span { end: s.start + head, ..*s });
                kept.push(Span { start: s.start + head, end: s.end, joined_at: 0 });
            }
        }
        self.spans = kept;
        Window { samples, spans: taken }
    }
}

/// Where a window of at most `max` joined samples ends: the last span end
/// in `[max / 2, max]`, else `max`.
fn cut_point(spans: &[Span], max: usize) -> usize {
    spans.iter().map(|s| s.joined_at + (s.end - s.start)).filter(|&e| e >= max / 2 && e <= max).max().unwrap_or(max)
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

    #[test]
    fn buffer_gathers_speech_across_chunks_into_full_windows() {
        // Chunks of 10 samples; speech 2-4 in chunk 0, 8-10 in chunk 0 running
        // on to 0-3 of chunk 1, 5-9 in chunk 2. Windows of at most 6 samples.
        let chunk = |k: usize| (0..10).map(|i| (10 * k + i) as f32).collect::<Vec<f32>>();
        let sp = |a: usize, b: usize| Span { start: a, end: b, joined_at: 0 };
        let mut b = Buffer::default();
        b.push(&chunk(0), 0, &[sp(2, 4), sp(8, 10)]);
        assert_eq!(b.take_full(6), None, "4 samples wait, a window needs 6");
        b.push(&chunk(1), 10, &[sp(0, 3)]);
        // 7 samples wait; the spans end at 2 and 7 joined, neither in [3, 6]: a hard cut at 6.
        let w = b.take_full(6).unwrap();
        assert_eq!(w.samples, vec![2.0, 3.0, 8.0, 9.0, 10.0, 11.0]);
        assert_eq!(w.spans, vec![Span { start: 2, end: 4, joined_at: 0 }, Span { start: 8, end: 12, joined_at: 2 }], "8-10 and 10-12 are one span");
        b.push(&chunk(2), 20, &[sp(5, 9)]);
        // 12 waits (1 sample), then 25-29 (4): spans end at 1 and 5 joined, neither in [2, 4]: cut at 4.
        let w = b.take_full(4).unwrap();
        assert_eq!(w.samples, vec![12.0, 25.0, 26.0, 27.0]);
        assert_eq!(w.spans, vec![Span { start: 12, end: 13, joined_at: 0 }, Span { start: 25, end: 28, joined_at: 1 }]);
        let rest = b.take_rest().unwrap();
        assert_eq!(rest.samples, vec![28.0]);
        assert_eq!(rest.spans, vec![Span { start: 28, end: 29, joined_at: 0 }]);
        assert!(b.is_empty() && b.take_rest().is_none());
    }

    #[test]
    fn windows_end_at_a_gap_between_spans_when_one_is_in_the_second_half() {
        let mut b = Buffer::default();
        let audio: Vec<f32> = (0..100).map(|i| i as f32).collect();
        let sp = |a: usize, b: usize| Span { start: a, end: b, joined_at: 0 };
        b.push(&audio, 0, &[sp(0, 4), sp(10, 16), sp(20, 30)]);
        // 20 samples wait; windows of 12: spans end at 4, 10 and 20 joined: 10 is in [6, 12].
        let w = b.take_full(12).unwrap();
        assert_eq!(w.samples.len(), 10);
        assert_eq!(w.spans.last().unwrap().end, 16);
        let times: Vec<f64> = [0.0, 5.0].iter().map(|&t| original_time(t, &w.spans, 1)).collect();
        assert_eq!(times, vec![0.0, 11.0], "window times map to file samples");
    }
}
