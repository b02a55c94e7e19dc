//! Inline SVG plots: forest plot, heat map, Bland–Altman plot, Kruskal–Wallis p-values,
//! Dice coefficient per case and observer pair.

use std::collections::BTreeMap;
use std::fmt::Write;

use radx_stability::agreement::PairAgreement;
use radx_stability::assess::{BlandAltmanData, Thresholds};
use radx_stability::sites::SitesReport;

use crate::{esc, num};

/// Colour of a reliability class name.
pub fn class_colour(class: &str) -> &'static str {
    match class {
        "excellent" => "#1a9850",
        "good" => "#66bd63",
        "moderate" => "#f4a340",
        "poor" => "#d73027",
        _ => "#9aa3ad",
    }
}

fn hex(c: &str) -> [f64; 3] {
    let v = |i: usize| u8::from_str_radix(&c[i..i + 2], 16).unwrap_or(0) as f64;
    [v(1), v(3), v(5)]
}

/// Heat-map colour of a CCC: piecewise linear through red (≤ 0), orange (moderate threshold),
/// yellow (good threshold), light green (excellent threshold), dark green (1); grey when
/// undefined.
pub fn heat_colour(v: Option<f64>, t: &Thresholds) -> String {
    let Some(v) = v else {
        return "#d5d9df".into();
    };
    let stops = [
        (0.0, "#d73027"),
        (t.moderate_from, "#fc8d59"),
        (t.good_from, "#fee08b"),
        (t.excellent_above, "#91cf60"),
        (1.0, "#1a9850"),
    ];
    let v = v.clamp(0.0, 1.0);
    for w in stops.windows(2) {
        let ((a, ca), (b, cb)) = (w[0], w[1]);
        if v <= b {
            let f = if b > a { (v - a) / (b - a) } else { 1.0 };
            let (x, y) = (hex(ca), hex(cb));
            let m = |i: usize| (x[i] + f * (y[i] - x[i])).round() as u8;
            return format!("#{:02x}{:02x}{:02x}", m(0), m(1), m(2));
        }
    }
    "#1a9850".into()
}

/// About `target` round tick positions covering `[lo, hi]` (steps 1, 2, 2.5 or 5 × 10^k).
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) {
        return vec![];
    }
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo - 0.5, lo + 0.5)
    };
    let raw = (hi - lo) / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let start = (lo / step).ceil();
    let end = (hi / step).floor();
    let mut out = Vec::new();
    let mut i = start;
    while i <= end + 1e-9 {
        let v = i * step;
        out.push(if v.abs() < step * 1e-9 { 0.0 } else { v });
        i += 1.0;
    }
    out
}

/// Tick label: few digits, no trailing zeros.
fn tick(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    if v.abs() >= 1e5 || v.abs() < 1e-3 {
        return format!("{v:.1e}");
    }
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// One forest-plot row.
pub struct ForestRow {
    pub label: String,
    pub value: f64,
    pub lower: f64,
    pub upper: f64,
    pub colour: &'static str,
}

/// Forest plot of ICC estimates with intervals; x range `[lo, hi]`, threshold lines.
pub fn forest_plot(rows: &[ForestRow], lo: f64, hi: f64, t: &Thresholds, axis: &str) -> String {
    let label_w = rows
        .iter()
        .map(|r| r.label.chars().count())
        .max()
        .unwrap_or(10)
        .clamp(10, 48) as f64
        * 6.6
        + 16.0;
    let (plot_w, row_h, top, bottom) = (620.0, 13.0, 26.0, 44.0);
    let width = label_w + plot_w + 70.0;
    let height = top + row_h * rows.len() as f64 + bottom;
    let x = |v: f64| label_w + (v.clamp(lo, hi) - lo) / (hi - lo) * plot_w;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"forest-plot\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" role=\"img\" aria-label=\"ICC(2,1) forest plot\">"
    );
    // Class bands.
    let bands = [
        (lo, t.moderate_from, "#d73027"),
        (t.moderate_from, t.good_from, "#f4a340"),
        (t.good_from, t.excellent_above, "#66bd63"),
        (t.excellent_above, hi, "#1a9850"),
    ];
    let y0 = top - 4.0;
    let y1 = top + row_h * rows.len() as f64 + 4.0;
    for (a, b, c) in bands {
        if b > a {
            let _ = write!(
                s,
                "<rect x=\"{:.1}\" y=\"{y0:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{c}\" fill-opacity=\"0.07\"/>",
                x(a),
                x(b) - x(a),
                y1 - y0
            );
        }
    }
    // Grid and ticks.
    for v in nice_ticks(lo, hi, 8) {
        let _ = write!(
            s,
            "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{y0:.1}\" y2=\"{y1:.1}\" stroke=\"#e3e7ee\"/>\
<text x=\"{0:.1}\" y=\"{1:.1}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#444\">{2}</text>",
            x(v),
            y1 + 14.0,
            tick(v)
        );
    }
    for (v, name) in [
        (t.moderate_from, "moderate"),
        (t.good_from, "good"),
        (t.excellent_above, "excellent"),
    ] {
        let _ = write!(
            s,
            "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{y0:.1}\" y2=\"{y1:.1}\" stroke=\"#555\" stroke-dasharray=\"4 3\"/>\
<text x=\"{0:.1}\" y=\"{1:.1}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#555\">{name} {2}</text>",
            x(v),
            top - 10.0,
            tick(v)
        );
    }
    let _ = write!(
        s,
        "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{y1:.1}\" y2=\"{y1:.1}\" stroke=\"#333\"/>\
<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"middle\" fill=\"#222\">{}</text>",
        x(lo),
        x(hi),
        label_w + plot_w / 2.0,
        y1 + 32.0,
        esc(axis)
    );
    for (i, r) in rows.iter().enumerate() {
        let y = top + row_h * (i as f64 + 0.5);
        let label: String = if r.label.chars().count() > 48 {
            r.label.chars().take(47).collect::<String>() + "…"
        } else {
            r.label.clone()
        };
        let _ = write!(
            s,
            "<g class=\"forest-row\"><title>{} {} [{}, {}]</title>\
<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10.5\" text-anchor=\"end\" fill=\"#222\">{}</text>\
<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"{}\" stroke-width=\"2\"/>\
<circle cx=\"{:.1}\" cy=\"{y:.1}\" r=\"3.6\" fill=\"{}\" stroke=\"#fff\" stroke-width=\"0.8\"/>\
<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" fill=\"#555\">{}</text></g>",
            esc(&r.label),
            num(Some(r.value)),
            num(Some(r.lower)),
            num(Some(r.upper)),
            label_w - 8.0,
            y + 3.5,
            esc(&label),
            x(r.lower),
            x(r.upper),
            r.colour,
            x(r.value),
            r.colour,
            label_w + plot_w + 8.0,
            y + 3.5,
            num(Some(r.value))
        );
    }
    s.push_str("</svg>");
    s
}

/// Heat map of groups × conditions with a colour legend.
pub fn heat_map(
    groups: &[&str],
    conds: &[&str],
    cells: &BTreeMap<(&str, &str), (Option<f64>, usize)>,
    t: &Thresholds,
) -> String {
    let label_w = groups
        .iter()
        .map(|g| g.chars().count())
        .max()
        .unwrap_or(8)
        .clamp(8, 40) as f64
        * 7.0
        + 16.0;
    let head_h = conds
        .iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(6)
        .clamp(6, 30) as f64
        * 5.2
        + 24.0;
    let cw = (820.0 / conds.len() as f64).clamp(34.0, 70.0);
    let ch = 24.0;
    let legend_w = 130.0;
    let width = label_w + cw * conds.len() as f64 + legend_w + 20.0;
    let height = (head_h + ch * groups.len() as f64 + 50.0).max(head_h + 240.0);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"heat-map\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" role=\"img\" aria-label=\"family by condition heat map\">"
    );
    for (j, c) in conds.iter().enumerate() {
        let cx = label_w + cw * (j as f64 + 0.5);
        let _ = write!(
            s,
            "<text transform=\"translate({cx:.1},{:.1}) rotate(-45)\" font-size=\"11\" fill=\"#222\">{}</text>",
            head_h - 8.0,
            esc(c)
        );
    }
    for (i, g) in groups.iter().enumerate() {
        let y = head_h + ch * i as f64;
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11.5\" text-anchor=\"end\" fill=\"#222\">{}</text>",
            label_w - 8.0,
            y + ch / 2.0 + 4.0,
            esc(g)
        );
        for (j, c) in conds.iter().enumerate() {
            let (v, n) = cells.get(&(*g, *c)).copied().unwrap_or((None, 0));
            let fill = heat_colour(v, t);
            let x = label_w + cw * j as f64;
            let txt = v.map_or("—".to_string(), |v| format!("{v:.2}"));
            let dark = v.is_some_and(|v| !(0.3..=0.93).contains(&v));
            let _ = write!(
                s,
                "<g class=\"heat-cell\"><title>{} × {}: median CCC {} over {n} features</title>\
<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{fill}\" stroke=\"#fff\"/>\
<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\" fill=\"{}\">{txt}</text></g>",
                esc(g),
                esc(c),
                num(v),
                cw,
                ch,
                x + cw / 2.0,
                y + ch / 2.0 + 3.5,
                if dark { "#fff" } else { "#222" }
            );
        }
    }
    // Axis titles.
    let _ = write!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"middle\" fill=\"#222\">condition (vs reference)</text>",
        label_w + cw * conds.len() as f64 / 2.0,
        head_h + ch * groups.len() as f64 + 22.0
    );
    let _ = write!(
        s,
        "<text x=\"10\" y=\"14\" font-size=\"12\" fill=\"#222\">family</text>"
    );
    // Legend: vertical gradient 0..1.
    let lx = label_w + cw * conds.len() as f64 + 30.0;
    let (ly, lh, lw) = (head_h, 200.0, 18.0);
    let _ = write!(
        s,
        "<g class=\"legend\"><text x=\"{lx:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"#222\">median CCC</text>",
        ly - 10.0
    );
    let steps = 50;
    for k in 0..steps {
        let v = 1.0 - k as f64 / steps as f64;
        let _ = write!(
            s,
            "<rect x=\"{lx:.1}\" y=\"{:.2}\" width=\"{lw}\" height=\"{:.2}\" fill=\"{}\"/>",
            ly + lh * k as f64 / steps as f64,
            lh / steps as f64 + 0.3,
            heat_colour(Some(v), t)
        );
    }
    for v in [0.0, t.moderate_from, t.good_from, t.excellent_above, 1.0] {
        let y = ly + lh * (1.0 - v);
        let _ = write!(
            s,
            "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#333\"/>\
<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10.5\" fill=\"#222\">{}</text>",
            lx + lw,
            lx + lw + 4.0,
            lx + lw + 7.0,
            y + 3.5,
            if v == 0.0 {
                "≤ 0".to_string()
            } else {
                tick(v)
            }
        );
    }
    let _ = write!(
        s,
        "<rect x=\"{lx:.1}\" y=\"{:.1}\" width=\"{lw}\" height=\"12\" fill=\"#d5d9df\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10.5\" fill=\"#222\">undefined</text></g>",
        ly + lh + 12.0,
        lx + lw + 7.0,
        ly + lh + 22.0
    );
    s.push_str("</svg>");
    s
}

/// Axis frame with ticks; returns the mapping closures' parameters.
struct Frame {
    left: f64,
    top: f64,
    w: f64,
    h: f64,
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
}

impl Frame {
    fn x(&self, v: f64) -> f64 {
        self.left + (v - self.x0) / (self.x1 - self.x0) * self.w
    }
    fn y(&self, v: f64) -> f64 {
        self.top + self.h - (v - self.y0) / (self.y1 - self.y0) * self.h
    }
    fn axes(&self, s: &mut String, xlabel: &str, ylabel: &str) {
        let _ = write!(
            s,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#fbfcfe\" stroke=\"#888\"/>",
            self.left, self.top, self.w, self.h
        );
        for v in nice_ticks(self.x0, self.x1, 6) {
            let x = self.x(v);
            let _ = write!(
                s,
                "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#e6e9ef\"/>\
<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#666\"/>\
<text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"10.5\" text-anchor=\"middle\" fill=\"#333\">{}</text>",
                self.top,
                self.top + self.h,
                self.top + self.h,
                self.top + self.h + 4.0,
                self.top + self.h + 16.0,
                tick(v)
            );
        }
        for v in nice_ticks(self.y0, self.y1, 5) {
            let y = self.y(v);
            let _ = write!(
                s,
                "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#e6e9ef\"/>\
<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#666\"/>\
<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10.5\" text-anchor=\"end\" fill=\"#333\">{}</text>",
                self.left,
                self.left + self.w,
                self.left - 4.0,
                self.left,
                self.left - 6.0,
                y + 3.5,
                tick(v)
            );
        }
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11.5\" text-anchor=\"middle\" fill=\"#222\">{}</text>\
<text transform=\"translate({:.1},{:.1}) rotate(-90)\" font-size=\"11.5\" text-anchor=\"middle\" fill=\"#222\">{}</text>",
            self.left + self.w / 2.0,
            self.top + self.h + 34.0,
            esc(xlabel),
            self.left - 52.0,
            self.top + self.h / 2.0,
            esc(ylabel)
        );
    }
}

fn padded(lo: f64, hi: f64) -> (f64, f64) {
    if hi > lo {
        let p = 0.08 * (hi - lo);
        (lo - p, hi + p)
    } else {
        let p = if lo == 0.0 { 1.0 } else { 0.1 * lo.abs() };
        (lo - p, hi + p)
    }
}

/// Bland–Altman plot of (condition − reference) against the pair mean.
pub fn bland_altman_plot(b: &BlandAltmanData) -> String {
    let n = b.reference_values.len();
    let means: Vec<f64> = (0..n)
        .map(|i| 0.5 * (b.reference_values[i] + b.condition_values[i]))
        .collect();
    let diffs: Vec<f64> = (0..n)
        .map(|i| b.condition_values[i] - b.reference_values[i])
        .collect();
    let ba = radx_stats::bland_altman(&b.condition_values, &b.reference_values);
    let fold = |v: &[f64], f: fn(f64, f64) -> f64, init: f64| v.iter().copied().fold(init, f);
    let (mut ylo, mut yhi) = (
        fold(&diffs, f64::min, f64::INFINITY),
        fold(&diffs, f64::max, f64::NEG_INFINITY),
    );
    if let Some(r) = &ba {
        ylo = ylo.min(r.lower);
        yhi = yhi.max(r.upper);
    }
    ylo = ylo.min(0.0);
    yhi = yhi.max(0.0);
    let (x0, x1) = padded(
        fold(&means, f64::min, f64::INFINITY),
        fold(&means, f64::max, f64::NEG_INFINITY),
    );
    let (y0, y1) = padded(ylo, yhi);
    let f = Frame {
        left: 72.0,
        top: 34.0,
        w: 440.0,
        h: 230.0,
        x0,
        x1,
        y0,
        y1,
    };
    let (width, height) = (600.0, 310.0);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"bland-altman\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"Bland-Altman plot {}\">\
<text x=\"{:.1}\" y=\"18\" font-size=\"12.5\" font-weight=\"600\" fill=\"#222\">{}</text>\
<text x=\"{:.1}\" y=\"30\" font-size=\"10.5\" fill=\"#555\">{} − {} (n = {n})</text>",
        esc(&b.key),
        f.left,
        esc(&b.key),
        f.left,
        esc(&b.condition),
        esc(&b.reference)
    );
    f.axes(&mut s, "mean of the two conditions", "difference");
    let _ = write!(
        s,
        "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#999\" stroke-width=\"0.8\"/>",
        f.left,
        f.left + f.w,
        f.y(0.0),
        f.y(0.0)
    );
    if let Some(r) = &ba {
        for (v, dash, label) in [
            (r.bias, "", format!("bias {}", num(Some(r.bias)))),
            (r.upper, "5 4", format!("+1.96 SD {}", num(Some(r.upper)))),
            (r.lower, "5 4", format!("−1.96 SD {}", num(Some(r.lower)))),
        ] {
            let y = f.y(v);
            let _ = write!(
                s,
                "<line class=\"ba-line\" x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#1f3a5f\" stroke-width=\"1.4\" stroke-dasharray=\"{dash}\"/>\
<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" fill=\"#1f3a5f\">{}</text>",
                f.left,
                f.left + f.w,
                f.left + f.w + 4.0,
                y + 3.5,
                esc(&label)
            );
        }
    }
    for i in 0..n {
        let _ = write!(
            s,
            "<circle class=\"ba-point\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.4\" fill=\"#d73027\" fill-opacity=\"0.75\"><title>{}: mean {}, difference {}</title></circle>",
            f.x(means[i]),
            f.y(diffs[i]),
            esc(b.cases.get(i).map_or("", |c| c.as_str())),
            num(Some(means[i])),
            num(Some(diffs[i]))
        );
    }
    s.push_str("</svg>");
    s
}

/// Kruskal–Wallis −log10 p per feature, before (red) and after ComBat (blue), features
/// sorted by p before; dashed line at p = 0.05.
pub fn kw_plot(r: &SitesReport) -> String {
    let mut feats: Vec<_> = r.features.iter().filter(|f| f.kw.is_some()).collect();
    feats.sort_by(|a, b| {
        let (x, y) = (a.kw.unwrap().p_value, b.kw.unwrap().p_value);
        x.total_cmp(&y).then_with(|| a.tag.cmp(&b.tag))
    });
    let lp = |p: f64| -(p.max(1e-300)).log10();
    let ymax = feats
        .iter()
        .flat_map(|f| {
            [
                f.kw.map(|k| lp(k.p_value)),
                f.kw_after.map(|k| lp(k.p_value)),
            ]
        })
        .flatten()
        .fold(2.0f64, f64::max);
    let nf = feats.len().max(1);
    let w = (nf as f64 * 6.0).clamp(420.0, 1100.0);
    let f = Frame {
        left: 72.0,
        top: 30.0,
        w,
        h: 240.0,
        x0: 0.0,
        x1: nf as f64,
        y0: 0.0,
        y1: ymax * 1.08,
    };
    let (width, height) = (w + 260.0, 320.0);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"kw-plot\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" role=\"img\" aria-label=\"Kruskal-Wallis p-values before and after ComBat\">\
<text x=\"{:.1}\" y=\"18\" font-size=\"12.5\" font-weight=\"600\" fill=\"#222\">Site effect per feature: Kruskal–Wallis −log10(p)</text>",
        f.left
    );
    f.axes(
        &mut s,
        "features, sorted by p before harmonisation (rank)",
        "−log10 p",
    );
    let y05 = f.y(lp(0.05));
    let _ = write!(
        s,
        "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{y05:.1}\" y2=\"{y05:.1}\" stroke=\"#555\" stroke-dasharray=\"4 3\"/>\
<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" fill=\"#555\">p = 0.05</text>",
        f.left,
        f.left + f.w,
        f.left + f.w + 4.0,
        y05 + 3.5
    );
    for (i, ft) in feats.iter().enumerate() {
        let x = f.x(i as f64 + 0.5);
        if let Some(k) = ft.kw {
            let _ = write!(
                s,
                "<circle class=\"kw-before\" cx=\"{x:.1}\" cy=\"{:.1}\" r=\"2.8\" fill=\"#d73027\"><title>{} p {}</title></circle>",
                f.y(lp(k.p_value)),
                esc(&ft.tag),
                num(Some(k.p_value))
            );
        }
        if let Some(k) = ft.kw_after {
            let _ = write!(
                s,
                "<circle class=\"kw-after\" cx=\"{x:.1}\" cy=\"{:.1}\" r=\"2.8\" fill=\"#2c7bb6\"><title>{} after ComBat p {}</title></circle>",
                f.y(lp(k.p_value)),
                esc(&ft.tag),
                num(Some(k.p_value))
            );
        }
    }
    let lx = f.left + f.w + 70.0;
    let _ = write!(
        s,
        "<circle cx=\"{lx:.1}\" cy=\"60\" r=\"4\" fill=\"#d73027\"/><text x=\"{:.1}\" y=\"64\" font-size=\"11\" fill=\"#222\">before ComBat</text>\
<circle cx=\"{lx:.1}\" cy=\"80\" r=\"4\" fill=\"#2c7bb6\"/><text x=\"{:.1}\" y=\"84\" font-size=\"11\" fill=\"#222\">after ComBat</text>",
        lx + 10.0,
        lx + 10.0
    );
    s.push_str("</svg>");
    s
}

/// Colours of the observer pairs in the Dice plot (cycled).
const PAIR_COLOURS: [&str; 6] = [
    "#2c7bb6", "#d7191c", "#1a9850", "#7b3294", "#fdae61", "#5e3c99",
];

/// Dice coefficient per case (x, in cohort order) for each observer pair (one colour per
/// pair); a case whose Dice is undefined for a pair (a mask missing or unreadable) is
/// marked by a grey cross at the bottom with the reason on hover.
pub fn dice_plot(rows: &[PairAgreement], pairs: &[(String, String)]) -> String {
    let mut cases: Vec<&str> = Vec::new();
    for r in rows {
        if !cases.contains(&r.case.as_str()) {
            cases.push(&r.case);
        }
    }
    let n = cases.len().max(1);
    let lowest = rows
        .iter()
        .filter_map(|r| r.agreement.as_ref().and_then(|m| m.dice))
        .fold(1.0f64, f64::min);
    // The y axis starts at 0, or nearer to 1 when every Dice is high (readable spread).
    let y0 = if lowest >= 0.5 {
        ((lowest - 0.05) * 10.0).floor() / 10.0
    } else {
        0.0
    };
    let w = (n as f64 * 22.0).clamp(360.0, 1100.0);
    let f = Frame {
        left: 72.0,
        top: 30.0,
        w,
        h: 230.0,
        x0: 0.0,
        x1: n as f64,
        y0,
        y1: 1.0,
    };
    let label_h = cases.iter().map(|c| c.chars().count()).max().unwrap_or(4) as f64 * 6.0;
    let (width, height) = (w + 240.0, 300.0 + label_h);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"dice-plot\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" role=\"img\" aria-label=\"Dice coefficient per case and observer pair\">\
<text x=\"{:.1}\" y=\"18\" font-size=\"12.5\" font-weight=\"600\" fill=\"#222\">Dice coefficient per case</text>",
        f.left
    );
    // y axis only (the x axis is categorical): frame, y ticks and label.
    let _ = write!(
        s,
        "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#fbfcfe\" stroke=\"#888\"/>",
        f.left, f.top, f.w, f.h
    );
    for v in nice_ticks(f.y0, f.y1, 5) {
        let y = f.y(v);
        let _ = write!(
            s,
            "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#e6e9ef\"/>\
<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10.5\" text-anchor=\"end\" fill=\"#333\">{}</text>",
            f.left,
            f.left + f.w,
            f.left - 6.0,
            y + 3.5,
            tick(v)
        );
    }
    let _ = write!(
        s,
        "<text transform=\"translate({:.1},{:.1}) rotate(-90)\" font-size=\"11.5\" text-anchor=\"middle\" fill=\"#222\">Dice</text>",
        f.left - 52.0,
        f.top + f.h / 2.0
    );
    for (i, c) in cases.iter().enumerate() {
        let x = f.x(i as f64 + 0.5);
        let _ = write!(
            s,
            "<text transform=\"translate({x:.1},{:.1}) rotate(45)\" font-size=\"10\" fill=\"#333\">{}</text>",
            f.top + f.h + 10.0,
            esc(c)
        );
    }
    let np = pairs.len().max(1) as f64;
    for (k, (a, b)) in pairs.iter().enumerate() {
        let colour = PAIR_COLOURS[k % PAIR_COLOURS.len()];
        // pairs side by side within a case's slot
        let dx = (k as f64 + 0.5) / np - 0.5;
        for r in rows
            .iter()
            .filter(|r| &r.observer_a == a && &r.observer_b == b)
        {
            let i = cases.iter().position(|c| *c == r.case).unwrap_or(0);
            let x = f.x(i as f64 + 0.5 + 0.5 * dx);
            match r.agreement.as_ref().and_then(|m| m.dice) {
                Some(d) => {
                    let _ = write!(
                        s,
                        "<circle class=\"dice-point\" cx=\"{x:.1}\" cy=\"{:.1}\" r=\"3.6\" fill=\"{colour}\" fill-opacity=\"0.85\"><title>{}: {} vs {} Dice {}</title></circle>",
                        f.y(d.max(f.y0)),
                        esc(&r.case),
                        esc(a),
                        esc(b),
                        num(Some(d))
                    );
                }
                None => {
                    let y = f.top + f.h - 6.0;
                    let _ = write!(
                        s,
                        "<path class=\"dice-missing\" d=\"M{:.1},{:.1}l6,6m0,-6l-6,6\" stroke=\"#9aa3ad\" stroke-width=\"1.6\"><title>{}: {} vs {}: {}</title></path>",
                        x - 3.0,
                        y - 3.0,
                        esc(&r.case),
                        esc(a),
                        esc(b),
                        esc(&r.missing_reason)
                    );
                }
            }
        }
    }
    let lx = f.left + f.w + 24.0;
    for (k, (a, b)) in pairs.iter().enumerate() {
        let y = f.top + 14.0 + 18.0 * k as f64;
        let _ = write!(
            s,
            "<circle cx=\"{lx:.1}\" cy=\"{y:.1}\" r=\"4\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"#222\">{} vs {}</text>",
            PAIR_COLOURS[k % PAIR_COLOURS.len()],
            lx + 10.0,
            y + 4.0,
            esc(a),
            esc(b)
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(
            nice_ticks(0.0, 1.0, 5),
            vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
        );
        let t = nice_ticks(-3.2, 17.9, 5);
        assert_eq!(t, vec![0.0, 5.0, 10.0, 15.0]);
        assert!(nice_ticks(5.0, 5.0, 4).contains(&5.0));
        assert!(nice_ticks(f64::NAN, 1.0, 4).is_empty());
    }

    #[test]
    fn heat_colours_follow_thresholds() {
        let t = Thresholds::default();
        assert_eq!(heat_colour(Some(1.0), &t), "#1a9850");
        assert_eq!(heat_colour(Some(-0.4), &t), "#d73027");
        assert_eq!(heat_colour(Some(t.good_from), &t), "#fee08b");
        assert_eq!(heat_colour(None, &t), "#d5d9df");
    }
}
