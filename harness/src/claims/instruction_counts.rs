//! The instruction-count section claims 2 and 6 share: what an uncontended
//! lock, or a copied input tensor, adds to one Silero VAD call, counted by
//! valgrind (`experiments::instructions`). Each count is the smallest over
//! repeats (bursts of extra work only add instructions). Rule: the counts
//! resolve 1% when the two closest per-repeat values of the baseline call
//! differ by at most 0.5% of it; a cost is then "under 1%" when the
//! difference, plus that resolution, stays below 1% of the baseline call
//! (otherwise "undecided at this resolution").

use crate::evidence::store::{self, Evidence};
use crate::experiments::instructions::{bursts, per_call, per_call_min, Data, EXPERIMENT};
use crate::report::markdown::table;

/// Which claim's comparison to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Question {
    /// Claim 2: `std-mutex` and `pipeline-mutex` against `view`.
    UncontendedLock,
    /// Claim 6: `copy` against `view`.
    InputCopy,
}

/// The markdown section, or `None` when no instruction-count evidence exists.
pub fn section(q: Question) -> Result<Option<String>, crate::report::RenderError> {
    let Some(path) = store::pinned(EXPERIMENT) else { return Ok(None) };
    let ev: Evidence<Data> = store::read(&path)?;
    let d = &ev.data;
    let rel = crate::report::markdown::data_path(&path);
    let mut s = String::from("## Instruction counts (the 1% question)\n\n");
    s += &format!(
        "Wall-clock intervals here are too wide to decide a 1% effect, so the same calls were counted under valgrind ({}, cachegrind without cache simulation, \
         every thread). Each count is its own `harness instr-probe` process; instructions per call are the difference between runs of two call counts divided by \
         the difference in calls, so set-up cancels out; one value per repeat ({} repeats). Silero VAD (one 576-sample window, one intra-op thread): the small \
         model, where a per-call cost weighs most. YOLOv8n was not counted: one inference takes about 7 minutes under valgrind here. Outputs checked equal first: {}. \
         Data: `{rel}` (environment in that file).\n\n",
        d.valgrind,
        d.counts.iter().map(|c| c.repeat).max().map_or(0, |m| m + 1),
        d.outputs_agree.iter().map(|(m, a)| format!("{m} {}", if *a { "equal" } else { "DIFFERENT" })).collect::<Vec<_>>().join(", ")
    );
    let (compare, label): (&[&str], &str) = match q {
        Question::UncontendedLock => (&["std-mutex", "pipeline-mutex"], "lock"),
        Question::InputCopy => (&["copy"], "copy"),
    };
    let mut models: Vec<&str> = d.counts.iter().map(|c| c.model.as_str()).collect();
    models.dedup();
    let mut rows = Vec::new();
    let mut verdicts = Vec::new();
    let fmt_reps = |v: &[f64]| v.iter().map(|x| format!("{x:.0}")).collect::<Vec<_>>().join(", ");
    for model in models {
        let (Some(bm), base) = (per_call_min(d, model, "view"), per_call(d, model, "view")) else { continue };
        let mut sorted = base.clone();
        sorted.sort_by(f64::total_cmp);
        let resolution = if sorted.len() >= 2 { sorted.windows(2).map(|w| w[1] - w[0]).fold(f64::INFINITY, f64::min) / bm } else { f64::INFINITY };
        rows.push(vec![format!("{model}: `view` (baseline)"), format!("{bm:.0}"), fmt_reps(&base), "-".into(), "-".into()]);
        for v in compare {
            let Some(om) = per_call_min(d, model, v) else { continue };
            let dm = om - bm;
            rows.push(vec![
                format!("{model}: `{v}`"),
                format!("{om:.0}"),
                fmt_reps(&per_call(d, model, v)),
                format!("{dm:+.0}"),
                format!("{:+.3}%", 100.0 * dm / bm),
            ]);
            let share = 100.0 * dm / bm;
            let verdict = if resolution > 0.005 {
                format!("{model} `{v}`: undecided at this resolution (closest baseline repeats differ by {:.2}%)", 100.0 * resolution)
            } else if share.abs() + 100.0 * resolution < 1.0 {
                format!("{model} `{v}`: the {label} adds {share:+.3}% to a call (resolution {:.3}%): **under 1%**", 100.0 * resolution)
            } else {
                format!("{model} `{v}`: the {label} adds {share:+.2}% to a call (resolution {:.3}%): **not shown to be under 1%**", 100.0 * resolution)
            };
            verdicts.push(verdict);
        }
    }
    s += "Instructions per call from the smallest count at each call count, then each repeat's own value:\n\n";
    s += &table(&["model and variant", "instructions per call", "per repeat", "difference from `view`", "share of the baseline call"], &rows);
    let b = bursts(d);
    if !b.is_empty() {
        let sizes: Vec<f64> = b.iter().map(|(_, x)| *x as f64 / 1e6).collect();
        let mut where_: Vec<String> = b.iter().map(|(c, _)| format!("`{}` at {} calls", c.variant, c.calls)).collect();
        where_.sort();
        where_.dedup();
        s += &format!(
            "\n{} of {} runs carried a burst of extra work ({:.1} to {:.1} million instructions; in {}), which is why each count is the smallest over repeats: a burst only adds.\n",
            b.len(),
            d.counts.len(),
            sizes.iter().copied().fold(f64::INFINITY, f64::min),
            sizes.iter().copied().fold(0.0, f64::max),
            where_.join(", ")
        );
    }
    if q == Question::InputCopy {
        let bytes: Vec<String> = d.bytes_copied.iter().map(|(m, b)| format!("{m}: {b} bytes")).collect();
        s += &format!("\nBytes the `copy` variant copies per call: {}.\n", bytes.join(", "));
    }
    s += &format!(
        "\nRule: resolved when the two closest per-repeat values of the baseline call differ by at most 0.5% of it; a cost is under 1% when its share plus that resolution stays below 1%.\n\n{}\n\n",
        verdicts.iter().map(|v| format!("- {v}")).collect::<Vec<_>>().join("\n")
    );
    Ok(Some(s))
}
