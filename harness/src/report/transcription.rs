//! The transcription section of `reports/pipeline-performance.md`, from
//! `transcription` evidence: the VAD gate's saving and WER, and whisper-rs
//! against faster-whisper per core. Goals are decided by `report::goal`;
//! which whisper-rs model is compared is decided by `best_within_wer`.

use super::goal::{at_least, figure_at_most, Goal};
use super::markdown::{est, table};
use crate::evidence::store::Evidence;
use crate::experiments::transcription::{label, Data, EngineRun};
use crate::measure::stats::{estimate, paired_ratio, Estimate};

/// Goal: the gate's WER at most this much above transcribing everything.
pub const GATE_WER_SLACK: f64 = 0.01;
/// Goal: a quantized model's WER at most this much above F16's.
pub const QUANT_WER_SLACK: f64 = 0.01;
/// Goal: whisper-rs throughput per core over faster-whisper int8's, at least.
pub const PEER_SPEED_MIN: f64 = 1.0;

fn run<'a>(d: &'a Data, weights: &str) -> Option<&'a EngineRun> {
    d.engines.iter().find(|e| e.weights == weights && !e.pass_ms.is_empty())
}

/// The whisper-rs tiny.en run the target compares: the fastest (lowest
/// median pass) among F16 and those whose WER is within `slack` of F16's.
pub fn best_within_wer<'a>(f16: &'a EngineRun, others: &[&'a EngineRun], slack: f64) -> &'a EngineRun {
    let median = |r: &EngineRun| crate::measure::stats::median(&r.pass_ms);
    others.iter().copied().filter(|r| r.wer <= f16.wer + slack).fold(f16, |best, r| if median(r) < median(best) { r } else { best })
}

/// Audio seconds per second of one thread, per pass.
fn speed(r: &EngineRun, audio_s: f64) -> Vec<f64> {
    r.pass_ms.iter().map(|ms| audio_s / (ms / 1e3) / r.threads as f64).collect()
}

fn gate_section(d: &Data) -> String {
    let mut s = String::from("### The VAD gate on speech with long gaps\n\n");
    let on: Vec<_> = d.gate.iter().filter(|g| g.gate).collect();
    let off: Vec<_> = d.gate.iter().filter(|g| !g.gate).collect();
    let (Some(a), Some(b)) = (on.first(), off.first()) else {
        return s + "Not measured (see errors).\n\n";
    };
    let wall = |v: &[&crate::experiments::transcription::GateSample]| v.iter().map(|g| g.wall_s).collect::<Vec<_>>();
    let gain = paired_ratio(&wall(&off), &wall(&on));
    let wer_goal = figure_at_most(a.wer - b.wer, GATE_WER_SLACK);
    s += &format!(
        "`harness run` (default scenario, one file at a time) on a {:.1} s WAV; `transcribe.vad_gate` on and off, {} pairs, which of the two runs first alternating.\n\n",
        d.gate_input_s,
        on.len().min(off.len())
    );
    s += &table(
        &["measure", "gate on", "gate off"],
        &[
            vec!["wall s, median [95% CI]".into(), est(&estimate(&wall(&on)), 2), est(&estimate(&wall(&off)), 2)],
            vec!["audio handed to whisper, s".into(), format!("{:.1}", a.transcribed_s), format!("{:.1}", b.transcribed_s)],
            vec!["transcribe stage thread CPU s (first run)".into(), format!("{:.2}", a.transcribe_cpu_s), format!("{:.2}", b.transcribe_cpu_s)],
            vec!["WER against the clips' transcription".into(), format!("{:.3}", a.wer), format!("{:.3}", b.wer)],
        ],
    );
    s += "\n";
    s += &table(
        &["goal", "measured", "limit", "verdict"],
        &[
            vec!["speed gain: wall off / on (paired)".into(), est(&gain, 2), ">= 1".into(), at_least(&gain, 1.0).label().into()],
            vec!["WER gate on - gate off".into(), format!("{:+.3}", a.wer - b.wer), format!("<= {GATE_WER_SLACK}"), wer_goal.label().into()],
        ],
    );
    s += &format!("\nTranscript with the gate: \"{}\"\n\nWithout: \"{}\"\n\n", a.transcript, b.transcript);
    s
}

fn engine_rows(d: &Data) -> Vec<Vec<String>> {
    d.engines
        .iter()
        .map(|r| {
            let pass = estimate(&r.pass_ms.iter().map(|ms| ms / 1e3).collect::<Vec<_>>());
            let enc = r.profile.map_or("-".to_string(), |p| {
                format!("{:.0} of {:.0} ({:.0}%), {} run(s)", p.encode_total_ms, p.clip_ms, 100.0 * p.encode_total_ms / p.clip_ms, p.encode_runs)
            });
            let cpu_per_wall = estimate(&r.pass_cpu_ms.iter().zip(&r.pass_ms).map(|(c, w)| c / w).collect::<Vec<_>>());
            vec![
                r.engine.clone(),
                r.weights.clone(),
                est(&pass, 2),
                est(&estimate(&speed(r, d.clips_s)), 2),
                format!("{:.2}", cpu_per_wall.median),
                enc,
                format!("{:.3}", r.wer),
                if r.versions.is_empty() { "-".into() } else { r.versions.clone() },
            ]
        })
        .collect()
}

/// A paired ratio of per-thread speeds, `ours / theirs` (both passes of a
/// pair ran in the same repeat).
fn speed_ratio(ours: &EngineRun, theirs: &EngineRun, audio_s: f64) -> Estimate {
    paired_ratio(&speed(ours, audio_s), &speed(theirs, audio_s))
}

/// The target's rows: whisper-rs's best tiny.en against faster-whisper
/// int8 (as the target names it), and against faster-whisper's best within
/// the same WER slack of its own f32 (the same rule on both sides).
fn peer_goals(d: &Data) -> Vec<(String, Estimate, Goal, &EngineRun, &EngineRun)> {
    let (Some(f16), Some(int8)) = (run(d, label::RS_F16), run(d, label::FW_INT8)) else { return vec![] };
    let others: Vec<&EngineRun> = run(d, label::RS_Q8_0).into_iter().collect();
    let best = best_within_wer(f16, &others, QUANT_WER_SLACK);
    let mut rows = Vec::new();
    let r = speed_ratio(best, int8, d.clips_s);
    rows.push((format!("whisper-rs {} / faster-whisper int8, per thread", best.weights), r, at_least(&r, PEER_SPEED_MIN), best, int8));
    if let Some(f32_) = run(d, label::FW_F32) {
        let theirs = best_within_wer(f32_, &[int8], QUANT_WER_SLACK);
        if theirs.weights != int8.weights {
            let r = speed_ratio(best, theirs, d.clips_s);
            rows.push((
                format!("whisper-rs {} / faster-whisper {} (its fastest within {QUANT_WER_SLACK} WER of its f32), per thread", best.weights, theirs.weights),
                r,
                at_least(&r, PEER_SPEED_MIN),
                best,
                theirs,
            ));
        }
    }
    rows
}

fn engines_section(d: &Data) -> String {
    let mut s = String::from("### whisper-rs against faster-whisper, per core\n\n");
    if d.engines.is_empty() {
        return s + "Not measured (see errors).\n\n";
    }
    s += &format!(
        "The five librivox clips ({:.1} s of speech), one thread per engine, greedy decoding, English, no conditioning on \
         the previous window, no VAD; each repeat runs every engine once over every clip, so the ratios are paired. Model \
         loading is outside the timing; features are inside for both. whisper-rs is the harness's transcribe stage (the \
         pipeline's code); faster-whisper runs the same CTranslate2 tiny.en weights the ggml files are converted from.\n\n",
        d.clips_s
    );
    s += &table(
        &[
            "engine",
            "model, weights",
            "pass s, median [95% CI]",
            "audio s per s per thread",
            "process CPU / wall (median)",
            "first clip: encoder ms of the whole ms, encoder runs",
            "WER",
            "versions",
        ],
        &engine_rows(d),
    );
    s += "\n";
    let mut goals = Vec::new();
    for (q, f) in [(label::RS_Q8_0, label::RS_F16), (label::RS_BASE_Q5_K, label::RS_BASE_F16)] {
        if let (Some(q), Some(f)) = (run(d, q), run(d, f)) {
            let delta = q.wer - f.wer;
            goals.push(vec![
                format!("WER {} - {}", q.weights, f.weights),
                format!("{delta:+.3}"),
                format!("<= {QUANT_WER_SLACK}"),
                figure_at_most(delta, QUANT_WER_SLACK).label().into(),
            ]);
        }
    }
    let peers = peer_goals(d);
    for (what, r, goal, _, _) in &peers {
        goals.push(vec![what.clone(), est(r, 2), format!(">= {PEER_SPEED_MIN}"), goal.label().into()]);
    }
    s += &table(&["goal", "measured", "limit", "verdict"], &goals);
    s += &format!(
        "\nThe whisper-rs model compared is the fastest tiny.en whose WER is within {QUANT_WER_SLACK} of F16's (`best_within_wer`); \
         speeds are audio seconds per second per thread, paired by repeat.\n\n"
    );
    if let Some((_, r, Goal::NotMet | Goal::Undecided, best, theirs)) = peers.first() {
        if let (Some(ours), Some(other)) = (best.profile, theirs.profile) {
            let per_run = |p: &crate::experiments::transcription::Profile| p.encode_total_ms / p.encode_runs.max(1) as f64;
            s += &format!(
                "How far, and where: whisper-rs {} runs at {:.2}x faster-whisper {}'s speed per thread. Transcribing the first clip \
                 once more on a warm model, the encoder took {:.0} ms of {:.0} ms in whisper.cpp ({:.0}%, {} run(s)) and {:.0} ms \
                 of {:.0} ms in CTranslate2 ({:.0}%, {} run(s)): {:.0} against {:.0} ms per encoder run, {:.2}x.\n\n",
                best.weights,
                r.median,
                theirs.weights.trim_start_matches("tiny.en "),
                ours.encode_total_ms,
                ours.clip_ms,
                100.0 * ours.encode_total_ms / ours.clip_ms,
                ours.encode_runs,
                other.encode_total_ms,
                other.clip_ms,
                100.0 * other.encode_total_ms / other.clip_ms,
                other.encode_runs,
                per_run(&ours),
                per_run(&other),
                per_run(&ours) / per_run(&other)
            );
        }
    }
    s
}

/// The section, with the evidence it comes from.
pub fn section(ev: &Evidence<Data>, rel: &str) -> String {
    let mut s = String::from("## Transcription: the VAD gate and the engine a user would pick instead\n\n");
    for label in &ev.synthetic {
        s += &format!("> Input note: {label}\n\n");
    }
    s += &format!(
        "Measured {} to {} on {}; {} Evidence: `{rel}`.\n\n",
        ev.started_at,
        ev.finished_at,
        ev.environment.hardware(),
        crate::experiments::grade_note(crate::experiments::transcription::EXPERIMENT, ev.parameters["repeats"].as_u64().unwrap_or(0) as usize)
    );
    s += &gate_section(&ev.data);
    s += &engines_section(&ev.data);
    if !ev.data.errors.is_empty() {
        s += "Errors and models not measured in this run:\n\n";
        for e in &ev.data.errors {
            s += &format!("- {}\n", e.replace('\n', " "));
        }
        s += "\n";
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(weights: &str, ms: &[f64], wer: f64) -> EngineRun {
        EngineRun {
            engine: "whisper-rs".into(),
            weights: weights.into(),
            threads: 1,
            pass_ms: ms.to_vec(),
            pass_cpu_ms: ms.to_vec(),
            texts: vec![],
            wer,
            versions: String::new(),
            profile: None,
        }
    }

    #[test]
    fn the_fastest_model_within_the_wer_slack_is_compared() {
        let f16 = r("f16", &[10.0, 11.0], 0.05);
        let q8 = r("q8_0", &[8.0, 9.0], 0.055);
        let q4 = r("q4", &[5.0, 6.0], 0.08);
        assert_eq!(best_within_wer(&f16, &[&q8, &q4], 0.01).weights, "q8_0", "q4 is faster but loses 0.03 WER");
        assert_eq!(best_within_wer(&f16, &[&q4], 0.01).weights, "f16", "nothing within the slack: F16 itself");
        let slow = r("slow", &[12.0, 13.0], 0.05);
        assert_eq!(best_within_wer(&f16, &[&slow], 0.01).weights, "f16", "a slower model is not chosen");
    }
}
