//! The thread-budget section of `reports/pipeline-performance.md`, from
//! `thread-budget` evidence: every hand-set cell and `auto`, and whether
//! auto is within 5% of the best cell without ever being a collapse cell.

use super::goal::{at_least, figure_at_most};
use super::markdown::{est, table};
use crate::evidence::store::Evidence;
use crate::experiments::thread_budget::{CellSample, Data, AUTO};
use crate::measure::stats::{estimate, median, paired_ratio};

/// Goal: auto's throughput over the best hand-set cell's, at least.
pub const AUTO_MIN: f64 = 0.95;

/// The hand-set cell with the highest median throughput (ties: the first
/// in the evidence's order).
pub fn best_cell(samples: &[CellSample]) -> Option<String> {
    let mut best: Option<(String, f64)> = None;
    for cell in cells_in_order(samples).into_iter().filter(|c| c != AUTO) {
        let m = median(&throughputs(samples, &cell));
        if best.as_ref().is_none_or(|(_, b)| m > *b) {
            best = Some((cell, m));
        }
    }
    best.map(|b| b.0)
}

fn cells_in_order(samples: &[CellSample]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in samples {
        if !out.contains(&s.cell) {
            out.push(s.cell.clone());
        }
    }
    out.sort_by_key(|c| c == AUTO);
    out
}

fn of<'a>(samples: &'a [CellSample], cell: &str) -> Vec<&'a CellSample> {
    let mut v: Vec<&CellSample> = samples.iter().filter(|s| s.cell == cell).collect();
    v.sort_by_key(|s| s.repeat);
    v
}

fn throughputs(samples: &[CellSample], cell: &str) -> Vec<f64> {
    of(samples, cell).iter().map(|s| s.throughput()).collect()
}

/// `a / b` throughput ratios of the repeats both cells completed (a failed
/// run leaves its repeat out rather than shifting the pairs).
fn paired(samples: &[CellSample], a: &str, b: &str) -> crate::measure::stats::Estimate {
    let (xa, xb) = (of(samples, a), of(samples, b));
    let (ta, tb): (Vec<f64>, Vec<f64>) = xa.iter().filter_map(|x| xb.iter().find(|y| y.repeat == x.repeat).map(|y| (x.throughput(), y.throughput()))).unzip();
    paired_ratio(&ta, &tb)
}

/// The section, with the evidence it comes from.
pub fn section(ev: &Evidence<Data>, rel: &str) -> String {
    let d = &ev.data;
    let mut s = String::from("## A thread budget that never collapses: `concurrency.mode = \"auto\"`\n\n");
    for label in &ev.synthetic {
        s += &format!("> Input note: {label}\n\n");
    }
    s += &format!(
        "The default scenario with every hand-set cell (files in parallel x threads per stage call: whisper's `n_threads`, \
         ONNX Runtime's intra-op threads and the rayon pool, each 1 or all cores) and with `auto`, each run its own \
         `harness run`; every repeat runs every cell once, the order rotated per repeat. Measured {} to {} on {}; {} \
         Evidence: `{rel}`.\n\n",
        ev.started_at,
        ev.finished_at,
        ev.environment.hardware(),
        crate::experiments::grade_note(crate::experiments::thread_budget::EXPERIMENT, ev.parameters["repeats"].as_u64().unwrap_or(0) as usize)
    );
    let Some(best) = best_cell(&d.samples) else {
        return s + "Not measured (see errors).\n\n";
    };
    let rows: Vec<Vec<String>> = cells_in_order(&d.samples)
        .iter()
        .map(|cell| {
            let v = of(&d.samples, cell);
            let first = v[0];
            let t = throughputs(&d.samples, cell);
            vec![
                cell.clone(),
                first.files.to_string(),
                first.threads.to_string(),
                format!("{} of {}", first.busy, first.cores),
                if first.busy > first.cores { "**yes**".into() } else { "no".into() },
                est(&estimate(&t), 2),
                est(&paired(&d.samples, cell, &best), 3),
                v.iter().map(|x| x.files_failed).sum::<usize>().to_string(),
            ]
        })
        .collect();
    s += &table(
        &[
            "cell",
            "files",
            "threads per call",
            "busy threads of cores",
            "oversubscribed",
            "media-s per s, median [95% CI]",
            "/ best cell (paired)",
            "files failed",
        ],
        &rows,
    );
    let auto = of(&d.samples, AUTO);
    if let Some(a) = auto.first() {
        let r = paired(&d.samples, AUTO, &best);
        let busy_max = auto.iter().map(|x| x.busy).max().unwrap_or(0);
        let b = of(&d.samples, &best)[0];
        let same = auto.iter().all(|x| (x.files, x.threads) == (b.files, b.threads));
        s += "\n";
        s += &table(
            &["goal", "measured", "limit", "verdict"],
            &[
                vec![format!("auto / best hand-set cell (`{best}`), paired"), est(&r, 3), format!(">= {AUTO_MIN}"), at_least(&r, AUTO_MIN).label().into()],
                vec![
                    "auto's busy threads - cores (never a collapse cell)".into(),
                    format!("{}", busy_max as i64 - a.cores as i64),
                    "<= 0".into(),
                    figure_at_most(busy_max as f64 - a.cores as f64, 0.0).label().into(),
                ],
            ],
        );
        s += &format!(
            "\nOn this machine auto chose {} file(s) in parallel with {} thread(s) per stage call: {}.\n\n",
            a.files,
            a.threads,
            if same {
                format!("the settings of the best hand-set cell, so its ratio to that cell measures run-to-run noise ({})", est(&r, 3))
            } else {
                format!("not the settings of the best hand-set cell (`{best}`)")
            }
        );
    }
    if !d.errors.is_empty() {
        s += "Errors:\n\n";
        for e in &d.errors {
            s += &format!("- {}\n", e.replace('\n', " "));
        }
        s += "\n";
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(cell: &str, repeat: usize, wall_s: f64) -> CellSample {
        CellSample { cell: cell.into(), repeat, files: 1, threads: 1, busy: 1, cores: 2, wall_s, media_s: 10.0, files_ok: 1, files_failed: 0 }
    }

    #[test]
    fn the_best_cell_is_the_fastest_hand_set_one_never_auto() {
        let v = vec![sample("a", 0, 10.0), sample("a", 1, 11.0), sample("b", 0, 5.0), sample("b", 1, 6.0), sample(AUTO, 0, 1.0), sample(AUTO, 1, 1.0)];
        assert_eq!(best_cell(&v).as_deref(), Some("b"), "auto is faster still but is what is judged, not a cell to beat");
        assert_eq!(best_cell(&[sample(AUTO, 0, 1.0)]), None);
        assert_eq!(best_cell(&[]), None);
    }
}
