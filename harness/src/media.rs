//! Test media: real speech (the librivox clips) muxed with a SYNTHETIC
//! picture (ffmpeg's `testsrc2`), made with the ffmpeg CLI at set-up. No
//! real video ships in any reachable registry, so the picture is labelled
//! synthetic wherever it is used; the speech is real.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::models::catalog::{self, id, Asset};

/// Frame rate of the generated videos.
pub const FPS: u32 = 25;
/// Picture size of the generated videos.
pub const SIZE: (u32, u32) = (640, 360);

/// Why media could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("ffmpeg CLI not runnable: {0}\n  fix: apt-get install ffmpeg (or run scripts/setup.sh)")]
    NoFfmpeg(crate::process::ProcessError),
    #[error("ffmpeg failed making {out}:\n{stderr}")]
    Ffmpeg { out: PathBuf, stderr: String },
    #[error("speech clip {0} is missing\n  fix: apt-get install pocketsphinx-testdata")]
    NoSpeech(PathBuf),
    #[error(transparent)]
    Decode(#[from] crate::stages::decode::DecodeError),
}

/// The librivox WAV files, in transcript order.
pub fn speech_clips() -> Vec<PathBuf> {
    catalog::LIBRIVOX_CLIPS.iter().map(|c| Path::new(catalog::LIBRIVOX_DIR).join(format!("{c}.wav"))).collect()
}

/// The reference transcripts, by clip id (lower case, as the file has them).
pub fn transcripts() -> std::io::Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(Path::new(catalog::LIBRIVOX_DIR).join("transcription"))?;
    Ok(text
        .lines()
        .filter_map(|l| {
            let (words, id) = l.rsplit_once(" (")?;
            let words = words.replace("<s>", "").replace("</s>", "");
            Some((id.trim_end_matches(')').to_string(), words.trim().to_string()))
        })
        .collect())
}

/// Total length of the speech clips in seconds (exact: they are 16 kHz WAVs).
pub fn speech_seconds() -> Result<f64, MediaError> {
    let mut samples = 0usize;
    for c in speech_clips() {
        if !c.is_file() {
            return Err(MediaError::NoSpeech(c));
        }
        let audio = crate::stages::decode::read_audio_16k(&c)?;
        samples += audio.len();
    }
    Ok(samples as f64 / crate::stages::decode::TARGET_RATE as f64)
}

/// Codec settings of one generated video.
struct Recipe {
    video: &'static [&'static str],
    audio: &'static [&'static str],
}

fn recipe(asset_id: &str) -> Option<Recipe> {
    match asset_id {
        id::VIDEO_MP4 => Some(Recipe {
            video: &["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "50", "-threads", "2"],
            audio: &["-c:a", "aac", "-b:a", "96k"],
        }),
        id::VIDEO_WEBM => Some(Recipe {
            video: &["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "600k", "-g", "50", "-threads", "2"],
            audio: &["-c:a", "libopus", "-b:a", "64k"],
        }),
        _ => None,
    }
}

/// Loops the H.264 speech video to `seconds` by stream copy (no re-encode,
/// so a long file costs no set-up time).
fn generate_loop(seconds: u32, dest: &Path) -> Result<(), MediaError> {
    let src = crate::models::locate::require(id::VIDEO_MP4).map_err(|e| MediaError::Ffmpeg { out: dest.to_path_buf(), stderr: e.to_string() })?;
    let tmp = dest.with_file_name(format!(".partial-{}", dest.file_name().unwrap_or_default().to_string_lossy()));
    let loops = (seconds / 24 + 1).to_string();
    let out = crate::process::output(
        Command::new("ffmpeg")
            .args(["-nostdin", "-y", "-v", "error", "-stream_loop", &loops, "-i"])
            .arg(&src)
            .args(["-c", "copy", "-t", &seconds.to_string(), "-f", "mp4"])
            .arg(&tmp),
        crate::process::limit::MEDIA,
    )
    .map_err(MediaError::NoFfmpeg)?;
    if !out.status.success() {
        let _ = std::fs::remove_file(&tmp);
        return Err(MediaError::Ffmpeg { out: dest.to_path_buf(), stderr: String::from_utf8_lossy(&out.stderr).into_owned() });
    }
    std::fs::rename(&tmp, dest).map_err(|e| MediaError::Ffmpeg { out: dest.to_path_buf(), stderr: e.to_string() })
}

/// Generates a catalog video asset at `dest` from the speech clips.
pub fn generate(asset: &Asset, dest: &Path) -> Result<(), MediaError> {
    match asset.id {
        id::VIDEO_LOOP_1MIN => return generate_loop(60, dest),
        id::VIDEO_LOOP_10MIN => return generate_loop(600, dest),
        _ => {}
    }
    let Some(r) = recipe(asset.id) else { return Ok(()) };
    let clips = speech_clips();
    for c in &clips {
        if !c.is_file() {
            return Err(MediaError::NoSpeech(c.clone()));
        }
    }
    if let Some(d) = dest.parent() {
        let _ = std::fs::create_dir_all(d);
    }
    let tmp = dest.with_file_name(format!(".partial-{}", dest.file_name().unwrap_or_default().to_string_lossy()));
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-nostdin", "-y", "-v", "error"]);
    for c in &clips {
        cmd.arg("-i").arg(c);
    }
    let n = clips.len();
    let concat: String = (0..n).map(|i| format!("[{i}:a]")).collect::<String>() + &format!("concat=n={n}:v=0:a=1[a]");
    cmd.args(["-f", "lavfi", "-i", &format!("testsrc2=size={}x{}:rate={FPS}", SIZE.0, SIZE.1)]);
    // Cut at the speech's exact length: `-shortest` overshoots by a few
    // frames, and tests derive the expected frame count from the clips.
    let seconds = speech_seconds()?;
    cmd.args(["-filter_complex", &concat, "-map", &format!("{n}:v"), "-map", "[a]"]);
    cmd.args(["-t", &format!("{seconds:.6}")]);
    cmd.args(r.video).args(r.audio);
    cmd.args(["-metadata", "comment=real speech (librivox, pocketsphinx-testdata) + SYNTHETIC testsrc2 picture"]);
    // The muxer is chosen from the final extension, not the temporary name.
    let fmt = if dest.extension().is_some_and(|e| e == "webm") { "webm" } else { "mp4" };
    cmd.args(["-f", fmt]).arg(&tmp);
    let out = crate::process::output(&mut cmd, crate::process::limit::MEDIA).map_err(MediaError::NoFfmpeg)?;
    if !out.status.success() {
        let _ = std::fs::remove_file(&tmp);
        return Err(MediaError::Ffmpeg { out: dest.to_path_buf(), stderr: String::from_utf8_lossy(&out.stderr).into_owned() });
    }
    std::fs::rename(&tmp, dest).map_err(|e| MediaError::Ffmpeg { out: dest.to_path_buf(), stderr: e.to_string() })?;
    Ok(())
}
