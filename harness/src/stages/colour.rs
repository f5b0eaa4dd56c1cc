//! Colour conversion of decoded frames to packed RGB24 with swscale (the
//! stage the seed's "hardware accelerated swscale" claim is about).

use ffmpeg::format::Pixel;
use ffmpeg::software::scaling::{context::Context, flag::Flags};
use ffmpeg_next as ffmpeg;

/// A converter for one input geometry and format; rebuilt when they change.
pub struct ToRgb {
    ctx: Option<(Context, Pixel, u32, u32)>,
    out: ffmpeg::frame::Video,
}

impl Default for ToRgb {
    fn default() -> Self {
        ToRgb { ctx: None, out: ffmpeg::frame::Video::empty() }
    }
}

impl std::fmt::Debug for ToRgb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToRgb").finish_non_exhaustive()
    }
}

impl ToRgb {
    /// Converts `frame` to an `RgbImage` of the same size.
    pub fn convert(&mut self, frame: &ffmpeg::frame::Video) -> Result<image::RgbImage, ffmpeg::Error> {
        let (fmt, w, h) = (frame.format(), frame.width(), frame.height());
        let stale = !matches!(&self.ctx, Some((_, f, cw, ch)) if *f == fmt && *cw == w && *ch == h);
        if stale {
            let ctx = Context::get(fmt, w, h, Pixel::RGB24, w, h, Flags::BILINEAR)?;
            self.ctx = Some((ctx, fmt, w, h));
        }
        let (ctx, ..) = self.ctx.as_mut().expect("context set above");
        ctx.run(frame, &mut self.out)?;
        let stride = self.out.stride(0);
        let data = self.out.data(0);
        let row = 3 * w as usize;
        let mut pixels = Vec::with_capacity(row * h as usize);
        for y in 0..h as usize {
            pixels.extend_from_slice(&data[y * stride..y * stride + row]);
        }
        Ok(image::RgbImage::from_raw(w, h, pixels).expect("buffer matches size"))
    }
}
