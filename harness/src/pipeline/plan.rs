//! Which stages ran on a file, and why the others did not: a file without
//! a video stream (a WAV, an audio-only MP4) goes through the audio stages
//! only, one without audio (camera footage) through the picture stages
//! only, and a stage turned off in the scenario is skipped everywhere. The
//! rule is a pure function of the scenario and what the file holds, and
//! its outcome goes into `run.json` for each file.

use crate::evidence::run::StageRun;
use crate::scenario::{EmbedMode, Scenario};

/// The stages in pipeline order, with the stream each needs.
const STAGES: [(&str, Stream); 9] = [
    ("decode", Stream::Any),
    ("keyframes", Stream::Video),
    ("jpeg", Stream::Video),
    ("detect", Stream::Video),
    ("embed", Stream::Video),
    ("vad", Stream::Audio),
    ("mel", Stream::Audio),
    ("transcribe", Stream::Audio),
    ("tokenize", Stream::Audio),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stream {
    Any,
    Video,
    Audio,
}

fn enabled(s: &Scenario, stage: &str) -> bool {
    match stage {
        "detect" => s.detect.enabled,
        "embed" => s.embed.mode == EmbedMode::Model,
        "vad" => s.vad.enabled,
        "mel" => s.mel.enabled,
        "transcribe" => s.transcribe.enabled,
        "tokenize" => s.tokenize.enabled && s.transcribe.enabled,
        _ => true,
    }
}

/// The rule: a stage runs when the scenario enables it and the file has
/// the stream it reads.
pub fn stage_plan(s: &Scenario, has_video: bool, has_audio: bool) -> Vec<StageRun> {
    STAGES
        .iter()
        .map(|&(stage, needs)| {
            let why_not = if !enabled(s, stage) {
                Some("turned off in the scenario".to_string())
            } else {
                match needs {
                    Stream::Video if !has_video => Some("the file has no video stream".to_string()),
                    Stream::Audio if !has_audio => Some("the file has no audio stream".to_string()),
                    _ => None,
                }
            };
            StageRun { stage: stage.to_string(), ran: why_not.is_none(), why_not }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario() -> Scenario {
        let text = "name = \"t\"\n[input]\nfiles = [\"a.mp4\"]\n";
        crate::scenario::load_str(text, std::path::Path::new("t.toml"), &[]).unwrap()
    }

    fn ran(plan: &[StageRun]) -> Vec<&str> {
        plan.iter().filter(|s| s.ran).map(|s| s.stage.as_str()).collect()
    }

    #[test]
    fn each_stream_layout_runs_the_stages_that_apply() {
        let s = scenario();
        assert_eq!(ran(&stage_plan(&s, true, true)), ["decode", "keyframes", "jpeg", "detect", "vad", "mel", "transcribe", "tokenize"]);
        assert_eq!(ran(&stage_plan(&s, false, true)), ["decode", "vad", "mel", "transcribe", "tokenize"]);
        assert_eq!(ran(&stage_plan(&s, true, false)), ["decode", "keyframes", "jpeg", "detect"]);
        let audio_only = stage_plan(&s, false, true);
        let detect = audio_only.iter().find(|x| x.stage == "detect").unwrap();
        assert_eq!(detect.why_not.as_deref(), Some("the file has no video stream"));
        let embed = audio_only.iter().find(|x| x.stage == "embed").unwrap();
        assert_eq!(embed.why_not.as_deref(), Some("turned off in the scenario"), "the scenario's reason comes first");
    }

    #[test]
    fn a_stage_turned_off_is_skipped_with_that_reason() {
        let mut s = scenario();
        s.transcribe.enabled = false;
        let plan = stage_plan(&s, true, true);
        let tok = plan.iter().find(|x| x.stage == "tokenize").unwrap();
        assert!(!tok.ran, "no transcript to tokenize");
        assert_eq!(ran(&plan), ["decode", "keyframes", "jpeg", "detect", "vad", "mel"]);
    }
}
