//! JPEG: the three decoders the seed's pipeline can use (image/zune-jpeg,
//! jpeg-decoder, mozjpeg/libjpeg-turbo), mozjpeg encoding of keyframes, and
//! PSNR to check decoders agree before anything is timed.
//!
//! Every decoder writes RGB8 into a caller-owned buffer, so benchmarks and
//! the pipeline can reuse output buffers where the decoder allows it.

use std::panic::{catch_unwind, AssertUnwindSafe};

/// Which decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JpegDecoder {
    /// `image` 0.25 (zune-jpeg inside), single-threaded.
    Image,
    /// `image` 0.24 (jpeg-decoder 0.3 inside), the seed's team's version,
    /// in a one-thread rayon pool (its `jpeg_rayon` default would spread a
    /// decode over the global pool).
    #[serde(rename = "image-0.24")]
    Image024,
    /// `jpeg-decoder` 0.3 in a one-thread rayon pool.
    JpegDecoder,
    /// `jpeg-decoder` 0.3 on the global rayon pool (its multithreaded mode).
    JpegDecoderRayon,
    /// `mozjpeg` 0.10 (libjpeg-turbo with NASM SIMD).
    Mozjpeg,
}

impl JpegDecoder {
    /// Every decoder, in report order.
    pub const ALL: [JpegDecoder; 5] =
        [JpegDecoder::Image, JpegDecoder::Image024, JpegDecoder::JpegDecoder, JpegDecoder::JpegDecoderRayon, JpegDecoder::Mozjpeg];

    /// Stable name (as in scenario files).
    pub fn name(self) -> &'static str {
        match self {
            JpegDecoder::Image => "image",
            JpegDecoder::Image024 => "image-0.24",
            JpegDecoder::JpegDecoder => "jpeg-decoder",
            JpegDecoder::JpegDecoderRayon => "jpeg-decoder-rayon",
            JpegDecoder::Mozjpeg => "mozjpeg",
        }
    }
}

/// A JPEG that could not be decoded or encoded.
#[derive(Debug, thiserror::Error)]
pub enum JpegError {
    #[error("{decoder}: {message}")]
    Decode { decoder: &'static str, message: String },
    #[error("{decoder}: the image is {found}, only RGB, greyscale and CMYK JPEGs are supported")]
    Colour { decoder: &'static str, found: String },
    #[error("mozjpeg encode: {0}")]
    Encode(String),
    #[error(
        "the JPEG's header claims {width}x{height} = {:.1} Mpx ({:.1} GiB as RGB8); the limit is {:.1} Mpx\n  fix: downscale the image, or raise {MAX_PIXELS_VAR} if the machine has the memory",
        *width as f64 * *height as f64 / 1e6, *width as f64 * *height as f64 * 3.0 / (1u64 << 30) as f64, *limit as f64 / 1e6
    )]
    TooLarge { width: u64, height: u64, limit: u64 },
    #[error("not a JPEG this harness can read the size of: {0}")]
    Header(String),
}

/// The most pixels an image may have before a decoder allocates for it:
/// 100 Mpx (300 MB as RGB8) is above any camera frame (8K video is 33 Mpx)
/// and far below a crafted header's 65500x65500 (4.3 Gpx, 12 GiB).
pub const DEFAULT_MAX_PIXELS: u64 = 100_000_000;

/// The environment variable that overrides `DEFAULT_MAX_PIXELS`.
pub const MAX_PIXELS_VAR: &str = "HARNESS_MAX_PIXELS";

/// The pixel limit in force (`HARNESS_MAX_PIXELS`, else the default).
pub fn max_pixels() -> u64 {
    std::env::var(MAX_PIXELS_VAR).ok().and_then(|v| v.trim().parse().ok()).unwrap_or(DEFAULT_MAX_PIXELS)
}

/// Refuses an image whose dimensions exceed `limit` pixels (width x height,
/// without overflow).
pub fn check_pixels(width: u64, height: u64, limit: u64) -> Result<(), JpegError> {
    match width.checked_mul(height) {
        Some(px) if px <= limit => Ok(()),
        _ => Err(JpegError::TooLarge { width, height, limit }),
    }
}

/// Reads a JPEG's dimensions from its header alone (no pixel memory) and
/// refuses one over the pixel limit, before any decoder sees it.
pub fn check_size(jpeg: &[u8]) -> Result<Decoded, JpegError> {
    let size = header_size(jpeg)?;
    check_pixels(size.width as u64, size.height as u64, max_pixels())?;
    Ok(size)
}

/// The dimensions in a JPEG's frame header. `imagesize` reads them without
/// parsing anything else but does not accept every valid marker sequence
/// (fill bytes before a marker, for one); jpeg-decoder's header pass, which
/// stops before the scan data and allocates no pixels, reads those.
fn header_size(jpeg: &[u8]) -> Result<Decoded, JpegError> {
    if let Ok(size) = imagesize::blob_size(jpeg) {
        return Ok(Decoded { width: size.width, height: size.height });
    }
    let mut d = jpeg_decoder::Decoder::new(jpeg);
    d.read_info().map_err(|e| JpegError::Header(e.to_string()))?;
    let info = d.info().ok_or_else(|| JpegError::Header("no frame header".into()))?;
    Ok(Decoded { width: info.width as usize, height: info.height as usize })
}

/// A decoded image's geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decoded {
    pub width: usize,
    pub height: usize,
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_else(|| "libjpeg error".into())
}

/// Runs `f` in this thread's own one-thread rayon pool: jpeg-decoder
/// always hands its work to rayon, and a pool of one keeps it to one
/// thread. One pool per calling thread, so pipeline workers never queue
/// behind each other's decodes. The work's CPU time is the pool thread's,
/// not the caller's (process CPU counts it).
fn in_one_thread_pool<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    thread_local! {
        static POOL: rayon::ThreadPool = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("rayon pool");
    }
    POOL.with(|p| p.install(f))
}

fn grey_to_rgb(grey: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.extend(grey.iter().flat_map(|&g| [g, g, g]));
}

/// How a decoder hands over the four CMYK channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmykInk {
    /// 0 is no ink (jpeg-decoder undoes Adobe's inversion itself).
    Plain,
    /// 255 is no ink: the values as Adobe applications store them, which
    /// libjpeg passes through unchanged.
    AdobeInverted,
}

/// Converts packed CMYK to RGB8 the way browsers and Pillow do (no colour
/// profile): each RGB channel is the paper's white reduced by its ink and
/// by black. Without the embedded ICC profile the colours are approximate,
/// which is what every decoder here can offer; the pixel count is exact.
pub fn cmyk_to_rgb(cmyk: &[u8], ink: CmykInk, out: &mut Vec<u8>) {
    out.clear();
    out.reserve(cmyk.len() / 4 * 3);
    for p in cmyk.chunks_exact(4) {
        let white = |v: u8| match ink {
            CmykInk::Plain => 255 - v as u32,
            CmykInk::AdobeInverted => v as u32,
        };
        let k = white(p[3]);
        out.extend(p[..3].iter().map(|&c| ((white(c) * k + 127) / 255) as u8));
    }
}

/// Decodes `jpeg` into `out` as packed RGB8, after checking its header's
/// size against the pixel limit (`check_size`), and again with the size
/// each decoder itself read from the header before it allocates: a crafted
/// file whose markers two parsers read differently cannot slip past.
pub fn decode_rgb(decoder: JpegDecoder, jpeg: &[u8], out: &mut Vec<u8>) -> Result<Decoded, JpegError> {
    check_size(jpeg)?;
    let limit = max_pixels();
    let name = decoder.name();
    match decoder {
        JpegDecoder::Image => {
            use image::ImageDecoder;
            let decode_err = |e: image::ImageError| JpegError::Decode { decoder: name, message: e.to_string() };
            let dec = image::codecs::jpeg::JpegDecoder::new(std::io::Cursor::new(jpeg)).map_err(decode_err)?;
            let (w, h) = dec.dimensions();
            check_pixels(w as u64, h as u64, limit)?;
            // Straight into the caller's buffer, as mozjpeg decodes: no
            // allocation per image in what is timed.
            match dec.color_type() {
                image::ColorType::Rgb8 => {
                    out.resize(dec.total_bytes() as usize, 0);
                    dec.read_image(out).map_err(decode_err)?;
                }
                image::ColorType::L8 => {
                    let mut grey = vec![0u8; dec.total_bytes() as usize];
                    dec.read_image(&mut grey).map_err(decode_err)?;
                    grey_to_rgb(&grey, out);
                }
                other => return Err(JpegError::Colour { decoder: name, found: format!("{other:?}") }),
            }
            Ok(Decoded { width: w as usize, height: h as usize })
        }
        JpegDecoder::Image024 => {
            use image024::ImageDecoder;
            let decode_err = |e: image024::ImageError| JpegError::Decode { decoder: name, message: e.to_string() };
            let run = |out: &mut Vec<u8>| {
                let dec = image024::codecs::jpeg::JpegDecoder::new(std::io::Cursor::new(jpeg)).map_err(decode_err)?;
                let (w, h) = dec.dimensions();
                check_pixels(w as u64, h as u64, limit)?;
                match dec.color_type() {
                    image024::ColorType::Rgb8 => {
                        out.resize(dec.total_bytes() as usize, 0);
                        dec.read_image(out).map_err(decode_err)?;
                    }
                    image024::ColorType::L8 => {
                        let mut grey = vec![0u8; dec.total_bytes() as usize];
                        dec.read_image(&mut grey).map_err(decode_err)?;
                        grey_to_rgb(&grey, out);
                    }
                    other => return Err(JpegError::Colour { decoder: name, found: format!("{other:?}") }),
                }
                Ok(Decoded { width: w as usize, height: h as usize })
            };
            in_one_thread_pool(|| run(out))
        }
        JpegDecoder::JpegDecoder | JpegDecoder::JpegDecoderRayon => {
            let run = || {
                let mut d = jpeg_decoder::Decoder::new(jpeg);
                d.read_info().map_err(|e| JpegError::Decode { decoder: name, message: e.to_string() })?;
                if let Some(i) = d.info() {
                    check_pixels(i.width as u64, i.height as u64, limit)?;
                }
                let pixels = d.decode().map_err(|e| JpegError::Decode { decoder: name, message: e.to_string() })?;
                let info = d.info().ok_or_else(|| JpegError::Decode { decoder: name, message: "no frame info".into() })?;
                Ok::<_, JpegError>((pixels, info))
            };
            let (pixels, info) = if decoder == JpegDecoder::JpegDecoder { in_one_thread_pool(run)? } else { run()? };
            match info.pixel_format {
                jpeg_decoder::PixelFormat::RGB24 => *out = pixels,
                jpeg_decoder::PixelFormat::L8 => grey_to_rgb(&pixels, out),
                jpeg_decoder::PixelFormat::CMYK32 => cmyk_to_rgb(&pixels, CmykInk::Plain, out),
                other => return Err(JpegError::Colour { decoder: name, found: format!("{other:?}") }),
            }
            Ok(Decoded { width: info.width as usize, height: info.height as usize })
        }
        JpegDecoder::Mozjpeg => {
            let res = catch_unwind(AssertUnwindSafe(|| -> std::io::Result<Result<Decoded, JpegError>> {
                let d = mozjpeg::Decompress::new_mem(jpeg)?;
                if let Err(e) = check_pixels(d.width() as u64, d.height() as u64, limit) {
                    return Ok(Err(e));
                }
                // libjpeg converts YCCK to CMYK but not CMYK to RGB
                // ("Unsupported color conversion request"): take CMYK and
                // convert here.
                if matches!(d.color_space(), mozjpeg::ColorSpace::JCS_CMYK | mozjpeg::ColorSpace::JCS_YCCK) {
                    let mut started = d.to_colorspace(mozjpeg::ColorSpace::JCS_CMYK)?;
                    let (width, height) = (started.width(), started.height());
                    let mut cmyk = vec![0u8; width * height * 4];
                    started.read_scanlines_into::<u8>(&mut cmyk)?;
                    started.finish()?;
                    cmyk_to_rgb(&cmyk, CmykInk::AdobeInverted, out);
                    return Ok(Ok(Decoded { width, height }));
                }
                let mut started = d.rgb()?;
                let (width, height) = (started.width(), started.height());
                out.resize(width * height * 3, 0);
                started.read_scanlines_into::<u8>(out)?;
                started.finish()?;
                Ok(Ok(Decoded { width, height }))
            }));
            match res {
                Ok(Ok(decoded)) => decoded,
                Ok(Err(e)) => Err(JpegError::Decode { decoder: name, message: e.to_string() }),
                Err(p) => Err(JpegError::Decode { decoder: name, message: panic_message(p) }),
            }
        }
    }
}

/// Chroma subsampling for encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Subsampling {
    /// 4:2:0 (what cameras and the pipeline use).
    S420,
    /// 4:4:4 (no chroma subsampling).
    S444,
}

/// Encoder settings.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct EncodeOptions {
    pub quality: f32,
    pub subsampling: Subsampling,
    pub progressive: bool,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions { quality: 85.0, subsampling: Subsampling::S420, progressive: false }
    }
}

/// Encodes packed RGB8 with mozjpeg.
pub fn encode_rgb(rgb: &[u8], width: usize, height: usize, opts: EncodeOptions) -> Result<Vec<u8>, JpegError> {
    if rgb.len() != width * height * 3 {
        return Err(JpegError::Encode(format!("{} bytes is not {width}x{height} RGB8", rgb.len())));
    }
    let res = catch_unwind(AssertUnwindSafe(|| -> std::io::Result<Vec<u8>> {
        let mut c = mozjpeg::Compress::new(mozjpeg::ColorSpace::JCS_RGB);
        c.set_size(width, height);
        c.set_quality(opts.quality);
        let s = match opts.subsampling {
            Subsampling::S420 => (2, 2),
            Subsampling::S444 => (1, 1),
        };
        c.set_chroma_sampling_pixel_sizes(s, s);
        if opts.progressive {
            c.set_progressive_mode();
        } else {
            // mozjpeg defaults to progressive; baseline needs these off.
            c.set_optimize_scans(false);
            c.set_scan_optimization_mode(mozjpeg::ScanMode::AllComponentsTogether);
        }
        let mut started = c.start_compress(Vec::with_capacity(rgb.len() / 8))?;
        started.write_scanlines(rgb)?;
        started.finish()
    }));
    match res {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(JpegError::Encode(e.to_string())),
        Err(p) => Err(JpegError::Encode(panic_message(p))),
    }
}

/// Peak signal-to-noise ratio of two equal-size 8-bit buffers, in dB
/// (`f64::INFINITY` when identical).
///
/// # Panics
/// If the lengths differ.
pub fn psnr(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len(), "PSNR needs equal-size images");
    let se: u64 = a.iter().zip(b).map(|(&x, &y)| (x as i64 - y as i64).pow(2) as u64).sum();
    if se == 0 {
        return f64::INFINITY;
    }
    let mse = se as f64 / a.len() as f64;
    10.0 * (255.0f64 * 255.0 / mse).log10()
}

/// FNV-1a over the pixels: a cheap checksum to compare with a reference tool.
pub fn pixel_checksum(pixels: &[u8]) -> u64 {
    pixels.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmyk_to_rgb_reads_both_ink_conventions() {
        // white paper, pure black ink, full cyan, half black
        let plain = [0, 0, 0, 0, 0, 0, 0, 255, 255, 0, 0, 0, 0, 0, 0, 128];
        let inverted: Vec<u8> = plain.iter().map(|v| 255 - v).collect();
        let want = [255, 255, 255, 0, 0, 0, 0, 255, 255, 127, 127, 127];
        let mut out = Vec::new();
        cmyk_to_rgb(&plain, CmykInk::Plain, &mut out);
        assert_eq!(out, want);
        cmyk_to_rgb(&inverted, CmykInk::AdobeInverted, &mut out);
        assert_eq!(out, want);
    }
}
