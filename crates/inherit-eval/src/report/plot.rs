//! Plots written as SVG by hand and rasterised to PNG with `resvg`, using the DejaVu
//! Sans font embedded in the binary (from the `dejavu` crate): nothing is needed at
//! render time beyond this crate, no fontconfig and no system fonts.
//!
//! - [`LineChart`]: a metric against γ, one line per series (mitigation) with its
//!   confidence intervals as error bars, each series shifted a few pixels sideways so
//!   that intervals at the same γ do not hide one another; [`metric_vs_gamma`] builds it
//!   from aggregated results, `none` first.
//! - [`BarChart`]: grouped bars with optional error bars, a text above each bar (e.g.
//!   `k/n`) and a dashed reference line, e.g. the generator's group shares per label with
//!   Wilson intervals and the parity line ([`group_counts_chart`]).
//!
//! A mitigation has the same colour in every plot ([`series_color`]): `none` dark grey,
//! `token` blue, `mask` orange, `loss:*` green, `reweigh*` purple, `cda*` brown, `tag*`
//! pink; other series take the remaining colours in order.

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
/// Colours of series that are not named mitigations, in order (none of them a
/// mitigation's colour).
const PALETTE: [&str; 6] = [
    "#17becf", "#d62728", "#bcbd22", "#393b79", "#8c6d31", "#7b4173",
];
/// Horizontal distance between neighbouring series' error bars, in pixels.
const DODGE: f64 = 7.0;

/// The fixed colour of a mitigation spec (by its first strategy's name), if it is a
/// built-in one.
pub fn mitigation_color(name: &str) -> Option<&'static str> {
    let head = name.split(['+', ':', '(']).next().unwrap_or(name).trim();
    Some(match head {
        "none" => "#333333",
        "token" => "#1f77b4",
        "mask" => "#ff7f0e",
        "loss" => "#2ca02c",
        "reweigh" => "#9467bd",
        "cda" => "#8c564b",
        "tag" => "#e377c2",
        _ => return None,
    })
}

/// The colour of series `i` named `name`: the mitigation's fixed colour, else the
/// `i`-th colour of the palette.
pub fn series_color(name: &str, i: usize) -> &'static str {
    mitigation_color(name).unwrap_or(PALETTE[i % PALETTE.len()])
}

/// Series names in plotting order: `none` first, then the rest as given.
fn none_first<T>(mut items: Vec<(String, T)>) -> Vec<(String, T)> {
    items.sort_by_key(|(name, _)| name != "none");
    items
}
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
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BarChart {
    /// Title.
    pub title: String,
    /// y-axis label.
    pub y_label: String,
    /// Category names (x axis).
    pub categories: Vec<String>,
    /// `(series name, one value per category)`.
    pub series: Vec<(String, Vec<f64>)>,
    /// Per series, per category: an interval drawn as an error bar (empty: none).
    pub intervals: Vec<Vec<Option<(f64, f64)>>>,
    /// Per series, per category: a text above the bar, e.g. `3/12` (empty: none).
    pub labels: Vec<Vec<String>>,
    /// A dashed horizontal line at this value, with its legend text (e.g. parity).
    pub reference: Option<(f64, String)>,
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

fn legend(out: &mut String, names: &[(&str, &str)]) {
    for (i, (name, color)) in names.iter().enumerate() {
        let y = TOP + 10.0 + i as f64 * 22.0;
        out.push_str(&format!(
            "<rect x=\"{}\" y=\"{:.1}\" width=\"14\" height=\"14\" fill=\"{color}\"/>\n<text x=\"{}\" y=\"{:.1}\" font-size=\"12\">{}</text>\n",
            W - RIGHT + 16.0,
            y - 11.0,
            W - RIGHT + 36.0,
            y,
            esc(name)
        ));
    }
}

/// A vertical error bar from `low` to `high` at pixel column `x`, with caps.
fn error_bar(out: &mut String, f: &Frame, x: f64, low: f64, high: f64, color: &str) {
    let (y0, y1) = (f.py(low), f.py(high));
    out.push_str(&format!(
        "<path d=\"M{x:.1},{y0:.1}V{y1:.1}M{:.1},{y0:.1}h6M{:.1},{y1:.1}h6\" stroke=\"{color}\" stroke-width=\"1.5\" fill=\"none\"/>\n",
        x - 3.0,
        x - 3.0
    ));
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
        // A margin on both sides keeps the sideways-shifted series off the y axis.
        let (x0, x1) = if x0 == x1 {
            (x0 - 0.5, x1 + 0.5)
        } else {
            let pad = (x1 - x0) * 0.05;
            (x0 - pad, x1 + pad)
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
        let k = self.series.len();
        let mut names = Vec::new();
        for (i, s) in self.series.iter().enumerate() {
            let color = series_color(&s.name, i);
            names.push((s.name.as_str(), color));
            // Each series a few pixels sideways, centred on the true γ.
            let dx = (i as f64 - (k as f64 - 1.0) / 2.0) * DODGE;
            let mut p: Vec<Point> = s
                .points
                .iter()
                .copied()
                .filter(|p| p.y.is_finite())
                .collect();
            p.sort_by(|a, b| a.x.total_cmp(&b.x));
            for q in &p {
                if let Some((low, high)) = q.band.filter(|b| b.0.is_finite() && b.1.is_finite()) {
                    error_bar(&mut out, &f, f.px(q.x) + dx, low, high, color);
                }
            }
            let line: Vec<String> = p
                .iter()
                .map(|q| format!("{:.1},{:.1}", f.px(q.x) + dx, f.py(q.y)))
                .collect();
            // A series with one finite point is a marker alone (a one-point polyline is
            // invalid SVG, which renderers warn about and skip).
            if line.len() >= 2 {
                out.push_str(&format!(
                    "<polyline points=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"/>\n",
                    line.join(" ")
                ));
            }
            for q in &p {
                out.push_str(&format!(
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"{color}\"/>\n",
                    f.px(q.x) + dx,
                    f.py(q.y)
                ));
            }
        }
        legend(&mut out, &names);
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
        let tops = self
            .intervals
            .iter()
            .flatten()
            .flatten()
            .map(|b| b.1)
            .chain(self.reference.iter().map(|r| r.0));
        let (_, hi) = y_range(
            self.series
                .iter()
                .flat_map(|s| s.1.iter().copied())
                .chain(tops),
        )?;
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
                let color = series_color(&self.series[s].0, s);
                // A zero bar draws nothing (a zero-height rect is invalid SVG).
                if base - top >= 0.05 {
                    out.push_str(&format!(
                    "<rect x=\"{x:.1}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{color}\" fill-opacity=\"0.85\"/>\n",
                    bar.max(1.0),
                    base - top,
                ));
                }
                let centre = x + bar / 2.0;
                let interval = self
                    .intervals
                    .get(s)
                    .and_then(|v| v.get(c).copied().flatten())
                    .filter(|b| b.0.is_finite() && b.1.is_finite());
                if let Some((low, high)) = interval {
                    error_bar(&mut out, &f, centre, low, high, "black");
                }
                if let Some(text) = self.labels.get(s).and_then(|v| v.get(c)) {
                    let above = interval.map_or(v, |b| b.1.max(v));
                    out.push_str(&format!(
                        "<text x=\"{centre:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\">{}</text>\n",
                        f.py(above) - 4.0,
                        esc(text)
                    ));
                }
            }
            out.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>\n",
                LEFT + (c as f64 + 0.5) * slot,
                H - BOTTOM + 18.0,
                esc(cat)
            ));
        }
        let mut names: Vec<(&str, &str)> = self
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| (s.0.as_str(), series_color(&s.0, i)))
            .collect();
        if let Some((value, name)) = &self.reference {
            let y = f.py(*value);
            out.push_str(&format!(
                "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"black\" stroke-width=\"1.2\" stroke-dasharray=\"6 4\"/>\n",
                W - RIGHT
            ));
            names.push((name.as_str(), "none"));
            let ly = TOP + 10.0 + (names.len() - 1) as f64 * 22.0 - 4.0;
            out.push_str(&format!(
                "<line x1=\"{}\" x2=\"{}\" y1=\"{ly:.1}\" y2=\"{ly:.1}\" stroke=\"black\" stroke-width=\"1.2\" stroke-dasharray=\"4 3\"/>\n",
                W - RIGHT + 16.0,
                W - RIGHT + 30.0
            ));
        }
        legend(&mut out, &names);
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
    let series = by_mitigation
        .into_iter()
        .map(|(m, points)| (m.to_owned(), points))
        .collect();
    Ok(LineChart {
        title: format!("{task}: {metric} ({bias_type}, {model})"),
        x_label: "γ (share of augmented data)".into(),
        y_label: format!("{metric} (mean ± 95% CI)"),
        series: none_first(series)
            .into_iter()
            .map(|(name, points)| Series { name, points })
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
        ..BarChart::default()
    }
}

/// Wilson score interval of `k` successes in `n` trials at 95% (z = 1.96).
pub fn wilson_interval(k: usize, n: usize) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let (k, n, z) = (k as f64, n as f64, 1.959_963_984_540_054);
    let p = k / n;
    let denom = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denom;
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// A bar chart of group shares from counts: one series per named distribution (e.g. a
/// label), categories the union of their groups; each bar carries `k/n` above it and a
/// 95% Wilson interval, and a dashed line marks parity (1 / number of groups).
pub fn group_counts_chart(
    title: &str,
    distributions: &[(String, BTreeMap<String, usize>)],
) -> BarChart {
    let categories: Vec<String> = distributions
        .iter()
        .flat_map(|(_, d)| d.keys().cloned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let (mut series, mut intervals, mut labels) = (Vec::new(), Vec::new(), Vec::new());
    for (name, counts) in distributions {
        let n: usize = counts.values().sum();
        let k = |c: &String| counts.get(c).copied().unwrap_or(0);
        series.push((
            name.clone(),
            categories
                .iter()
                .map(|c| {
                    if n == 0 {
                        f64::NAN
                    } else {
                        k(c) as f64 / n as f64
                    }
                })
                .collect(),
        ));
        intervals.push(
            categories
                .iter()
                .map(|c| wilson_interval(k(c), n))
                .collect(),
        );
        labels.push(categories.iter().map(|c| format!("{}/{n}", k(c))).collect());
    }
    let reference =
        (!categories.is_empty()).then(|| (1.0 / categories.len() as f64, "parity".to_owned()));
    BarChart {
        title: title.to_owned(),
        y_label: "share of texts (95% Wilson interval)".into(),
        categories,
        series,
        intervals,
        labels,
        reference,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_one_point_series_is_a_marker_without_a_polyline() {
        let point = |x: f64, y: f64| Point { x, y, band: None };
        let chart = LineChart {
            title: "t".into(),
            x_label: "γ".into(),
            y_label: "gap".into(),
            series: vec![
                Series {
                    name: "none".into(),
                    points: vec![point(0.0, 0.1), point(0.5, 0.3)],
                },
                Series {
                    name: "token".into(),
                    points: vec![point(0.0, f64::NAN), point(0.5, 0.2)],
                },
            ],
        };
        let svg = chart.to_svg().unwrap();
        assert_eq!(svg.matches("<polyline").count(), 1, "{svg}");
        assert_eq!(svg.matches("<circle").count(), 3, "{svg}");
    }
}
