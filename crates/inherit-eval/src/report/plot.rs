//! Plots written as SVG by hand and rasterised to PNG with `resvg`, using the DejaVu
//! Sans font embedded in the binary (from the `dejavu` crate): nothing is needed at
//! render time beyond this crate, no fontconfig and no system fonts.
//!
//! - [`LineChart`]: a metric against γ, one line per series (mitigation) with a shaded
//!   confidence band; [`metric_vs_gamma`] builds it from aggregated results.
//! - [`BarChart`]: grouped bars, e.g. group shares of original vs augmented data
//!   ([`group_imbalance_chart`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use resvg::{tiny_skia, usvg};

use super::aggregate::AggregateRow;
use crate::error::{Error, Result};

const W: f64 = 720.0;
const H: f64 = 440.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 170.0;
const TOP: f64 = 50.0;
const BOTTOM: f64 = 60.0;
const PALETTE: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
];
const FONT: &str = "DejaVu Sans";

/// One point of a line: x, y and an optional interval for the band.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// x value.
    pub x: f64,
    /// y value.
    pub y: f64,
    /// Band bounds `(low, high)`, if known.
    pub band: Option<(f64, f64)>,
}

/// A named line.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend name.
    pub name: String,
    /// Points, drawn in x order.
    pub points: Vec<Point>,
}

/// A line chart with confidence bands.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    /// Title.
    pub title: String,
    /// x-axis label.
    pub x_label: String,
    /// y-axis label.
    pub y_label: String,
    /// The lines.
    pub series: Vec<Series>,
}

/// A grouped bar chart: for each category, one bar per series.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    /// Title.
    pub title: String,
    /// y-axis label.
    pub y_label: String,
    /// Category names (x axis).
    pub categories: Vec<String>,
    /// `(series name, one value per category)`.
    pub series: Vec<(String, Vec<f64>)>,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// About `n` round tick values covering `[lo, hi]`.
fn ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let span = (hi - lo).max(1e-12);
    let raw = span / n as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let start = (lo / step).floor() * step;
    (0..=n * 3)
        .map(|i| start + i as f64 * step)
        .take_while(|t| *t <= hi + step * 1e-9)
        .filter(|t| *t >= lo - step * 1e-9)
        .collect()
}

fn fmt_tick(t: f64) -> String {
    let s = format!("{t:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

struct Frame {
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
}

impl Frame {
    fn px(&self, x: f64) -> f64 {
        LEFT + (x - self.x0) / (self.x1 - self.x0).max(1e-12) * (W - LEFT - RIGHT)
    }
    fn py(&self, y: f64) -> f64 {
        H - BOTTOM - (y - self.y0) / (self.y1 - self.y0).max(1e-12) * (H - TOP - BOTTOM)
    }
}

fn header(title: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" font-family=\"{FONT}\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{}\" y=\"28\" font-size=\"16\" text-anchor=\"middle\">{}</text>\n",
        (W - RIGHT + LEFT) / 2.0,
        esc(title)
    )
}

fn y_axis(out: &mut String, f: &Frame, ys: &[f64], label: &str) {
    for t in ys {
        let y = f.py(*t);
        out.push_str(&format!(
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#e0e0e0\"/>\n<text x=\"{}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">{}</text>\n",
            W - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            fmt_tick(*t)
        ));
    }
    out.push_str(&format!(
        "<line x1=\"{LEFT}\" x2=\"{LEFT}\" y1=\"{TOP}\" y2=\"{}\" stroke=\"black\"/>\n<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"black\"/>\n\
         <text transform=\"translate(18 {:.1}) rotate(-90)\" font-size=\"13\" text-anchor=\"middle\">{}</text>\n",
        H - BOTTOM,
        W - RIGHT,
        H - BOTTOM,
        H - BOTTOM,
        (TOP + H - BOTTOM) / 2.0,
        esc(label)
    ));
}

fn legend(out: &mut String, names: &[&str]) {
    for (i, name) in names.iter().enumerate() {
        let y = TOP + 10.0 + i as f64 * 22.0;
        out.push_str(&format!(
            "<rect x=\"{}\" y=\"{:.1}\" width=\"14\" height=\"14\" fill=\"{}\"/>\n<text x=\"{}\" y=\"{:.1}\" font-size=\"12\">{}</text>\n",
            W - RIGHT + 16.0,
            y - 11.0,
            PALETTE[i % PALETTE.len()],
            W - RIGHT + 36.0,
            y,
            esc(name)
        ));
    }
}

fn y_range(values: impl Iterator<Item = f64>) -> Result<(f64, f64)> {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
    if lo > hi {
        return Err(Error::NoData("nothing finite to plot".into()));
    }
    let pad = ((hi - lo) * 0.08).max(1e-3);
    Ok((lo - pad, hi + pad))
}

impl LineChart {
    /// The chart as an SVG document.
    pub fn to_svg(&self) -> Result<String> {
        let pts = || self.series.iter().flat_map(|s| s.points.iter());
        let (x0, x1) = pts()
            .map(|p| p.x)
            .fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(x), b.max(x)));
        if x0 > x1 {
            return Err(Error::NoData(format!(
                "chart `{}` has no points",
                self.title
            )));
        }
        let (x0, x1) = if x0 == x1 {
            (x0 - 0.5, x1 + 0.5)
        } else {
            (x0, x1)
        };
        let (y0, y1) = y_range(pts().flat_map(|p| {
            [
                p.y,
                p.band.map_or(p.y, |b| b.0),
                p.band.map_or(p.y, |b| b.1),
            ]
        }))?;
        let f = Frame { x0, x1, y0, y1 };
        let mut out = header(&self.title);
        y_axis(&mut out, &f, &ticks(y0, y1, 6), &self.y_label);
        for t in ticks(x0, x1, 6) {
            out.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>\n",
                f.px(t),
                H - BOTTOM + 18.0,
                fmt_tick(t)
            ));
        }
        out.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{}\" font-size=\"13\" text-anchor=\"middle\">{}</text>\n",
            (LEFT + W - RIGHT) / 2.0,
            H - 16.0,
            esc(&self.x_label)
        ));
        for (i, s) in self.series.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let mut p: Vec<Point> = s
                .points
                .iter()
                .copied()
                .filter(|p| p.y.is_finite())
                .collect();
            p.sort_by(|a, b| a.x.total_cmp(&b.x));
            let band: Vec<(f64, f64, f64)> = p
                .iter()
                .filter_map(|q| {
                    q.band
                        .filter(|b| b.0.is_finite() && b.1.is_finite())
                        .map(|b| (q.x, b.0, b.1))
                })
                .collect();
            if band.len() >= 2 {
                let upper = band
                    .iter()
                    .map(|(x, _, h)| format!("{:.1},{:.1}", f.px(*x), f.py(*h)));
                let lower = band
                    .iter()
                    .rev()
                    .map(|(x, l, _)| format!("{:.1},{:.1}", f.px(*x), f.py(*l)));
                let poly: Vec<String> = upper.chain(lower).collect();
                out.push_str(&format!("<polygon points=\"{}\" fill=\"{color}\" fill-opacity=\"0.18\" stroke=\"none\"/>\n", poly.join(" ")));
            }
            let line: Vec<String> = p
                .iter()
                .map(|q| format!("{:.1},{:.1}", f.px(q.x), f.py(q.y)))
                .collect();
            out.push_str(&format!(
                "<polyline points=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"/>\n",
                line.join(" ")
            ));
            for q in &p {
                out.push_str(&format!(
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"{color}\"/>\n",
                    f.px(q.x),
                    f.py(q.y)
                ));
            }
        }
        legend(
            &mut out,
            &self
                .series
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>(),
        );
        out.push_str("</svg>\n");
        Ok(out)
    }
}

impl BarChart {
    /// The chart as an SVG document.
    pub fn to_svg(&self) -> Result<String> {
        for (name, values) in &self.series {
            Error::check_len(
                &format!("series `{name}`"),
                self.categories.len(),
                values.len(),
            )?;
        }
        if self.categories.is_empty() || self.series.is_empty() {
            return Err(Error::NoData(format!("chart `{}` has no bars", self.title)));
        }
        let (_, hi) = y_range(self.series.iter().flat_map(|s| s.1.iter().copied()))?;
        let f = Frame {
            x0: 0.0,
            x1: self.categories.len() as f64,
            y0: 0.0,
            y1: hi.max(0.0),
        };
        let mut out = header(&self.title);
        y_axis(&mut out, &f, &ticks(0.0, f.y1, 6), &self.y_label);
        let slot = (W - LEFT - RIGHT) / self.categories.len() as f64;
        let bar = slot * 0.8 / self.series.len() as f64;
        for (c, cat) in self.categories.iter().enumerate() {
            for (s, (_, values)) in self.series.iter().enumerate() {
                let v = values[c];
                if !v.is_finite() {
                    continue;
                }
                let x = LEFT + c as f64 * slot + slot * 0.1 + s as f64 * bar;
                let (top, base) = (f.py(v.max(0.0)), f.py(0.0));
                out.push_str(&format!(
                    "<rect x=\"{x:.1}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"/>\n",
                    bar.max(1.0),
                    (base - top).max(0.0),
                    PALETTE[s % PALETTE.len()]
                ));
            }
            out.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>\n",
                LEFT + (c as f64 + 0.5) * slot,
                H - BOTTOM + 18.0,
                esc(cat)
            ));
        }
        legend(
            &mut out,
            &self.series.iter().map(|s| s.0.as_str()).collect::<Vec<_>>(),
        );
        out.push_str("</svg>\n");
        Ok(out)
    }
}

/// A chart of `metric` against γ for one task, bias type and model: one line per
/// mitigation, bands from the aggregated intervals.
pub fn metric_vs_gamma(
    rows: &[AggregateRow],
    task: &str,
    bias_type: &str,
    model: &str,
    metric: &str,
) -> Result<LineChart> {
    let mut by_mitigation: BTreeMap<&str, Vec<Point>> = BTreeMap::new();
    for r in rows.iter().filter(|r| {
        r.task == task && r.bias_type == bias_type && r.model == model && r.metric == metric
    }) {
        by_mitigation.entry(&r.mitigation).or_default().push(Point {
            x: r.gamma,
            y: r.mean,
            band: Some((r.low, r.high)),
        });
    }
    if by_mitigation.is_empty() {
        return Err(Error::NoData(format!(
            "no rows for {task} / {bias_type} / {model} / {metric}"
        )));
    }
    Ok(LineChart {
        title: format!("{task}: {metric} ({bias_type}, {model})"),
        x_label: "γ (share of augmented data)".into(),
        y_label: metric.to_owned(),
        series: by_mitigation
            .into_iter()
            .map(|(m, points)| Series {
                name: m.to_owned(),
                points,
            })
            .collect(),
    })
}

/// A bar chart of group shares, one series per named distribution (e.g. `original`,
/// `augmented`), categories the union of their groups.
pub fn group_imbalance_chart(
    title: &str,
    distributions: &[(String, BTreeMap<String, f64>)],
) -> BarChart {
    let categories: Vec<String> = distributions
        .iter()
        .flat_map(|(_, d)| d.keys().cloned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    BarChart {
        title: title.to_owned(),
        y_label: "share of examples".into(),
        series: distributions
            .iter()
            .map(|(name, d)| {
                (
                    name.clone(),
                    categories
                        .iter()
                        .map(|c| d.get(c).copied().unwrap_or(0.0))
                        .collect(),
                )
            })
            .collect(),
        categories,
    }
}

/// Rasterises an SVG document to PNG bytes at `scale` (1.0: the SVG's own size).
pub fn render_png(svg: &str, scale: f32) -> Result<Vec<u8>> {
    if !(scale > 0.0 && scale <= 8.0) {
        return Err(Error::invalid(
            "scale",
            format!("must be in (0, 8], got {scale}"),
        ));
    }
    let mut opt = usvg::Options {
        font_family: FONT.to_owned(),
        ..Default::default()
    };
    opt.fontdb_mut()
        .load_font_data(dejavu::sans::regular().to_vec());
    let tree = usvg::Tree::from_str(svg, &opt).map_err(|e| Error::Render(e.to_string()))?;
    let size = tree
        .size()
        .to_int_size()
        .scale_by(scale)
        .ok_or_else(|| Error::Render("empty size".into()))?;
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or_else(|| Error::Render("cannot allocate pixmap".into()))?;
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| Error::Render(e.to_string()))
}

/// Writes `<stem>.svg` and `<stem>.png` (at 2x), atomically; returns both paths.
pub fn save_plot(svg: &str, stem: impl AsRef<Path>) -> Result<(PathBuf, PathBuf)> {
    let stem = stem.as_ref();
    let svg_path = stem.with_extension("svg");
    let png_path = stem.with_extension("png");
    inherit_core::io::write_atomic(&svg_path, svg.as_bytes())?;
    inherit_core::io::write_atomic(&png_path, &render_png(svg, 2.0)?)?;
    Ok((svg_path, png_path))
}
