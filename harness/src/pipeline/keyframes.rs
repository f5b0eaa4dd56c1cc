//! Keyframe selection: codec keyframes, a fixed interval, or a scene-change
//! threshold on luma, with a cap per minute of media.

use std::collections::HashMap;

use crate::scenario::{KeyframeMode, Keyframes};

/// Decides, frame by frame, which frames become keyframes.
#[derive(Debug)]
pub struct Selector {
    cfg: Keyframes,
    last_pts: Option<f64>,
    last_luma: Option<Vec<u8>>,
    per_minute: HashMap<u64, u32>,
}

/// Subsampling step for scene detection (every 8th pixel each way).
const STEP: usize = 8;

impl Selector {
    pub fn new(cfg: Keyframes) -> Self {
        Selector { cfg, last_pts: None, last_luma: None, per_minute: HashMap::new() }
    }

    /// A small luma thumbnail of plane 0 (Y for the YUV formats decoders emit).
    fn luma_thumb(y: &[u8], stride: usize, width: usize, height: usize) -> Vec<u8> {
        (0..height).step_by(STEP).flat_map(|r| (0..width).step_by(STEP).map(move |c| y[r * stride + c])).collect()
    }

    /// Mean absolute difference of two thumbnails, 0..1.
    fn difference(a: &[u8], b: &[u8]) -> f64 {
        if a.len() != b.len() || a.is_empty() {
            return 1.0;
        }
        a.iter().zip(b).map(|(&x, &y)| (x as i32 - y as i32).unsigned_abs() as u64).sum::<u64>() as f64 / (a.len() as f64 * 255.0)
    }

    /// Whether the frame at `pts_s` is a keyframe. `luma` is plane 0 with its
    /// stride (only read in scene mode).
    pub fn select(&mut self, pts_s: f64, is_codec_key: bool, luma: (&[u8], usize), width: usize, height: usize) -> bool {
        let wanted = match self.cfg.mode {
            KeyframeMode::Codec => is_codec_key,
            KeyframeMode::Interval => self.last_pts.is_none_or(|t| pts_s - t >= self.cfg.interval_s - 1e-9),
            KeyframeMode::Scene => {
                let thumb = Self::luma_thumb(luma.0, luma.1, width, height);
                let changed = self.last_luma.as_ref().is_none_or(|prev| Self::difference(prev, &thumb) >= self.cfg.scene_threshold);
                if changed {
                    self.last_luma = Some(thumb);
                }
                changed
            }
        };
        if !wanted {
            return false;
        }
        let minute = (pts_s.max(0.0) / 60.0) as u64;
        let used = self.per_minute.entry(minute).or_insert(0);
        if *used >= self.cfg.max_per_minute {
            return false;
        }
        *used += 1;
        self.last_pts = Some(pts_s);
        true
    }
}

/// The first `max` keyframes of `video` as the pipeline makes them: selected
/// with the default settings, converted by swscale, encoded by mozjpeg at
/// `quality`. Returns each keyframe's RGB pixels, size and JPEG bytes (for
/// benchmarks that need the pipeline's own JPEGs as inputs).
pub fn pipeline_keyframes(video: &std::path::Path, quality: f32, max: usize) -> Result<Vec<(image::RgbImage, Vec<u8>)>, crate::stages::decode::DecodeError> {
    use super::file::StageError;
    use crate::stages::decode::{decode_file, FrameSink, SinkError, Wanted};
    use crate::stages::jpeg::{encode_rgb, EncodeOptions};
    struct Sink {
        sel: Selector,
        to_rgb: crate::stages::colour::ToRgb,
        out: Vec<(image::RgbImage, Vec<u8>)>,
        quality: f32,
        max: usize,
    }
    impl FrameSink for Sink {
        fn video(&mut self, f: &ffmpeg_next::frame::Video, pts: f64, key: bool) -> Result<(), SinkError> {
            if self.out.len() >= self.max || !self.sel.select(pts, key, (f.data(0), f.stride(0)), f.width() as usize, f.height() as usize) {
                return Ok(());
            }
            let rgb = self.to_rgb.convert(f).map_err(StageError::Colour)?;
            let opts = EncodeOptions { quality: self.quality, ..EncodeOptions::default() };
            let jpeg = encode_rgb(rgb.as_raw(), rgb.width() as usize, rgb.height() as usize, opts)?;
            self.out.push((rgb, jpeg));
            Ok(())
        }
    }
    let mut sink = Sink { sel: Selector::new(Keyframes::default()), to_rgb: Default::default(), out: Vec::new(), quality, max };
    decode_file(video, Wanted { video: true, audio: false }, &mut sink)?;
    Ok(sink.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(mode: KeyframeMode, cap: u32) -> Keyframes {
        Keyframes { mode, interval_s: 2.0, scene_threshold: 0.2, max_per_minute: cap }
    }

    #[test]
    fn interval_mode_picks_one_frame_every_interval_and_respects_the_cap() {
        let mut s = Selector::new(cfg(KeyframeMode::Interval, 100));
        let picked: Vec<f64> = (0..250).map(|i| i as f64 * 0.04).filter(|&t| s.select(t, false, (&[], 0), 0, 0)).collect();
        assert_eq!(picked, vec![0.0, 2.0, 4.0, 6.0, 8.0]);
        let mut capped = Selector::new(cfg(KeyframeMode::Codec, 3));
        let n = (0..100).filter(|&i| capped.select(i as f64 * 0.5, true, (&[], 0), 0, 0)).count();
        assert_eq!(n, 3, "50 s of media, cap of 3 per minute");
    }

    #[test]
    fn scene_mode_fires_on_a_cut_and_not_on_a_still() {
        let mut s = Selector::new(cfg(KeyframeMode::Scene, 100));
        let dark = vec![10u8; 64 * 64];
        let bright = vec![200u8; 64 * 64];
        assert!(s.select(0.0, false, (&dark, 64), 64, 64), "first frame");
        assert!(!s.select(0.04, false, (&dark, 64), 64, 64), "same picture");
        assert!(s.select(0.08, false, (&bright, 64), 64, 64), "cut");
    }
}
