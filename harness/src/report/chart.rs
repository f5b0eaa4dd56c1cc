//! SVG charts for reports: horizontal bars of medians with their 95%
//! intervals as whiskers, drawn with plotters' SVG backend. Deterministic:
//! plotters' built-in font metrics need no system font, so the same data
//! gives the same bytes on every machine.

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

use crate::measure::stats::Estimate;

/// One bar: a median and its interval.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub median: f64,
    pub low: f64,
    pub high: f64,
}

impl Bar {
    /// A bar from an estimate (scaled by `scale`, e.g. 1e-6 for ns -> ms).
    pub fn from_estimate(label: impl Into<String>, e: &Estimate, scale: f64) -> Bar {
        Bar { label: label.into(), median: e.median * scale, low: e.ci_low * scale, high: e.ci_high * scale }
    }

    /// A bar without an interval (a single, exact figure such as a size).
    pub fn exact(label: impl Into<String>, value: f64) -> Bar {
        Bar { label: label.into(), median: value, low: value, high: value }
    }
}

/// A chart file a report links to (`reports/charts/<file>`).
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub file: String,
    pub svg: String,
}

impl Chart {
    /// The markdown that shows the chart from a report in `reports/`.
    pub fn markdown(&self, alt: &str) -> String {
        format!("![{alt}](charts/{})\n", self.file)
    }
}

/// A vertical reference line (a goal, or 1.0 for ratios).
pub struct Reference<'a> {
    pub value: f64,
    pub label: &'a str,
}

/// Horizontal bars with whiskers. `file` is the chart's file name.
pub fn bars(file: &str, title: &str, unit: &str, bars: &[Bar], reference: Option<Reference>) -> Result<Chart, super::RenderError> {
    let mut svg = String::new();
    let n = bars.len().max(1);
    let height = 90 + 30 * n as u32;
    let label_chars = bars.iter().map(|b| b.label.chars().count()).max().unwrap_or(8);
    let label_px = (label_chars as u32 * 7 + 20).clamp(80, 420);
    let max = bars.iter().map(|b| b.high.max(b.median)).chain(reference.as_ref().map(|r| r.value)).fold(0.0_f64, f64::max);
    let xmax = if max > 0.0 { max * 1.12 } else { 1.0 };
    {
        let root = SVGBackend::with_string(&mut svg, (900, height)).into_drawing_area();
        let e = |x: &dyn std::fmt::Display| super::RenderError::Chart { file: file.to_string(), message: x.to_string() };
        root.fill(&WHITE).map_err(|x| e(&x))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(label_px)
            // n segments, one per bar (an integer range is inclusive here).
            .build_cartesian_2d(0.0..xmax, (0..n.max(2) - 1).into_segmented())
            .map_err(|x| e(&x))?;
        // Bars read top to bottom in the order given: bar i sits in segment n - 1 - i.
        let slot = |i: usize| n - 1 - i;
        let labels: Vec<String> = bars.iter().rev().map(|b| b.label.clone()).collect();
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n)
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => labels.get(*i).cloned().unwrap_or_default(),
                SegmentValue::Last => String::new(),
            })
            .x_desc(match &reference {
                Some(r) => format!("{unit}; red line: {}", r.label),
                None => unit.to_string(),
            })
            .draw()
            .map_err(|x| e(&x))?;
        let fill = RGBColor(76, 114, 176);
        chart
            .draw_series(bars.iter().enumerate().map(|(i, b)| {
                let mut r = Rectangle::new([(0.0, SegmentValue::Exact(slot(i))), (b.median, SegmentValue::Exact(slot(i) + 1))], fill.mix(0.8).filled());
                r.set_margin(5, 5, 0, 0);
                r
            }))
            .map_err(|x| e(&x))?;
        chart
            .draw_series(bars.iter().enumerate().filter(|(_, b)| b.high > b.low).map(|(i, b)| {
                PathElement::new(vec![(b.low, SegmentValue::CenterOf(slot(i))), (b.high, SegmentValue::CenterOf(slot(i)))], BLACK.stroke_width(2))
            }))
            .map_err(|x| e(&x))?;
        if let Some(r) = &reference {
            chart
                .draw_series(std::iter::once(PathElement::new(vec![(r.value, SegmentValue::Exact(0)), (r.value, SegmentValue::Last)], RED.stroke_width(1))))
                .map_err(|x| e(&x))?;
        }
        root.present().map_err(|x| e(&x))?;
    }
    Ok(Chart { file: file.into(), svg })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_bars_give_the_same_svg_with_every_label() {
        let b = vec![Bar { label: "serial".into(), median: 2.0, low: 1.9, high: 2.1 }, Bar::exact("rayon, 2 threads", 3.5)];
        let a = bars("t.svg", "t", "x", &b, Some(Reference { value: 3.0, label: "goal" })).unwrap();
        let again = bars("t.svg", "t", "x", &b, Some(Reference { value: 3.0, label: "goal" })).unwrap();
        assert_eq!(a, again);
        assert!(a.svg.starts_with("<svg") && a.svg.contains("serial") && a.svg.contains("rayon, 2 threads") && a.svg.contains("goal"), "{}", a.svg);
    }
}
