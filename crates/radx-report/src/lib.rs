//! HTML reports of the radx checker: one self-contained page (inline CSS and inline SVG, no
//! network assets, no JavaScript library; a few lines of inline JavaScript only to sort the
//! tables) from a [`StabilityReport`], optionally with a [`SitesReport`].
//!
//! Sections:
//! 1. conditions and their provenance (settings id, radx version, platform, plugins,
//!    perturbation record);
//! 2. reliability class counts with the thresholds;
//! 3. ICC(2,1) forest plot: every feature sorted by its estimate with the confidence
//!    interval, coloured by class; one panel per family (features grouped as in the heat
//!    map), so thousands of features stay readable;
//! 4. family × condition heat map of the median CCC(reference, condition), with legend;
//! 5. Bland–Altman plots (worst condition − reference against their mean) of the least
//!    stable features;
//! 6. the table of all numbers (click a header to sort);
//! 7. with a sites report: Kruskal–Wallis p-values before and after ComBat, and the table;
//! 8. in an inter-observer study ([`stability_page`] with agreement rows): the segmentation
//!    agreement of every pair of observers — a summary per pair, a plot of the Dice
//!    coefficient per case and the table of every case and pair.
//!
//! Must not: compute statistics (radx-stability, radx-check, radx-stats) or write outside
//! the page it renders.

mod svg;

use std::collections::BTreeMap;
use std::fmt::Write;

use radx_check::compare::FeatureAgreement;
use radx_stability::agreement::{quantile, PairAgreement, SegmentationAgreement};
use radx_stability::assess::{
    class_name, ConditionSummary, FeatureStability, StabilityReport, Thresholds,
};
use radx_stability::sites::SitesReport;

pub use svg::{class_colour, heat_colour, nice_ticks};

/// HTML-escapes text.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

/// A number with 4 significant digits (scientific outside 1e-3..1e5); `—` when undefined.
pub fn num(v: Option<f64>) -> String {
    match v {
        None => "—".into(),
        Some(0.0) => "0".into(),
        Some(x) if x.abs() >= 1e5 || x.abs() < 1e-3 => format!("{x:.3e}"),
        Some(x) => {
            let digits = (3 - x.abs().log10().floor() as i32).clamp(0, 6) as usize;
            format!("{x:.digits$}")
        }
    }
}

const CSS: &str = r#"
:root { --fg:#1d2430; --muted:#5b6575; --line:#d9dee7; --bg:#ffffff; --panel:#f6f8fb; }
* { box-sizing: border-box; }
body { margin:0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color:var(--fg); background:var(--bg); }
header { background:#1f3a5f; color:#fff; padding:18px 32px; }
header h1 { margin:0 0 4px; font-size:22px; font-weight:600; }
header p { margin:0; color:#cfd9e8; }
main { padding: 8px 32px 40px; max-width: 1400px; }
h2 { font-size:18px; margin:28px 0 8px; padding-bottom:4px; border-bottom:2px solid var(--line); }
h3 { font-size:15px; margin:16px 0 6px; }
p.note { color:var(--muted); margin:4px 0 10px; max-width: 1000px; }
table { border-collapse: collapse; font-size:12.5px; }
th, td { border-bottom:1px solid var(--line); padding:4px 8px; text-align:left; vertical-align:top; }
th { background:var(--panel); position: sticky; top:0; cursor:pointer; white-space:nowrap; }
td.n { text-align:right; font-variant-numeric: tabular-nums; white-space:nowrap; }
tr:hover td { background:#fbfcfe; }
.wrap { overflow:auto; max-height: 640px; border:1px solid var(--line); border-radius:6px; }
.cards { display:flex; gap:12px; flex-wrap:wrap; margin:10px 0; }
.card { border-radius:8px; padding:10px 16px; min-width:130px; color:#fff; }
.card b { display:block; font-size:26px; line-height:1.1; }
.card span { font-size:12px; opacity:.95; }
.pill { display:inline-block; padding:1px 8px; border-radius:10px; color:#fff; font-size:11.5px; }
details { margin:6px 0; border:1px solid var(--line); border-radius:6px; padding:4px 10px; background:#fff; }
summary { cursor:pointer; font-weight:600; padding:4px 0; }
.grid { display:grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap:14px; }
.plot { border:1px solid var(--line); border-radius:6px; padding:6px; background:#fff; }
svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
code { background:var(--panel); padding:0 4px; border-radius:3px; }
"#;

const SORT_JS: &str = r#"
document.querySelectorAll('table.sortable').forEach(function (t) {
  t.querySelectorAll('th').forEach(function (th, i) {
    th.addEventListener('click', function () {
      var body = t.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var asc = th.dataset.dir !== 'asc'; th.dataset.dir = asc ? 'asc' : 'desc';
      rows.sort(function (a, b) {
        var x = a.cells[i].dataset.v !== undefined ? a.cells[i].dataset.v : a.cells[i].textContent;
        var y = b.cells[i].dataset.v !== undefined ? b.cells[i].dataset.v : b.cells[i].textContent;
        var nx = parseFloat(x), ny = parseFloat(y);
        var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : String(x).localeCompare(String(y));
        return asc ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
document.body.setAttribute('data-ready', '1');
"#;

/// Group of a feature as in the report's heat map (`image:family` with several images).
fn group_of(f: &FeatureStability, many_images: bool) -> String {
    let fam = if f.family.is_empty() {
        f.tag.split('_').next().unwrap_or("").to_string()
    } else {
        f.family.clone()
    };
    if many_images {
        format!("{}:{fam}", f.image)
    } else {
        fam
    }
}

fn td_num(v: Option<f64>) -> String {
    match v {
        Some(x) => format!("<td class=\"n\" data-v=\"{x:?}\">{}</td>", num(Some(x))),
        None => "<td class=\"n\" data-v=\"\">—</td>".into(),
    }
}

/// The stability page (with a sites section when `sites` is given).
pub fn stability_html(report: &StabilityReport, sites: Option<&SitesReport>) -> String {
    stability_page(report, sites, None)
}

/// The stability page; in an inter-observer study (`agreement` given, the conditions being
/// the observers) with the segmentation agreement section.
pub fn stability_page(
    report: &StabilityReport,
    sites: Option<&SitesReport>,
    agreement: Option<&[PairAgreement]>,
) -> String {
    let mut h = String::with_capacity(64 * 1024 + report.features.len() * 1200);
    let nf = report.features.len();
    let k = report.conditions.len();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>radx feature stability report</title><style>{CSS}</style></head><body>\n\
<header><h1>radx feature stability</h1><p>{nf} features · {k} conditions · reference <b>{}</b> · \
ICC confidence level {:.0}%{}</p></header><main>\n",
        esc(&report.reference),
        100.0 * report.level,
        if agreement.is_some() {
            " · inter-observer study: each condition is an observer's segmentation"
        } else {
            ""
        }
    );
    conditions_section(&mut h, report);
    if let Some(rows) = agreement {
        agreement_section(&mut h, rows);
    }
    classes_section(&mut h, report);
    forest_section(&mut h, report);
    heat_section(&mut h, report);
    bland_altman_section(&mut h, report);
    table_section(&mut h, report);
    if let Some(s) = sites {
        sites_section(&mut h, s);
    }
    let _ = writeln!(
        h,
        "<p class=\"note\">Generated by radx {}. Self-contained page: no external resources.</p>\
</main><script>{SORT_JS}</script></body></html>",
        env!("CARGO_PKG_VERSION")
    );
    h
}

fn conditions_section(h: &mut String, r: &StabilityReport) {
    h.push_str("<h2 id=\"conditions\">Conditions and provenance</h2>\n");
    h.push_str("<p class=\"note\">One radx table per condition; the reference condition is the partner of every pairwise CCC, of the heat map and of the Bland–Altman plots. Provenance from each table's sidecar.</p>\n");
    provenance_table(h, &r.conditions, &r.reference);
}

fn provenance_table(h: &mut String, conditions: &[ConditionSummary], reference: &str) {
    h.push_str("<div class=\"wrap\"><table class=\"sortable\"><thead><tr><th>Condition</th><th>Values</th><th>Missing</th><th>Cases</th><th>Settings id</th><th>radx</th><th>Platform</th><th>Plugins</th><th>Perturbation</th></tr></thead><tbody>\n");
    for c in conditions {
        let refmark = if c.name == reference {
            " <span class=\"pill\" style=\"background:#1f3a5f\">reference</span>"
        } else {
            ""
        };
        // Long cells fold: the settings id shows its first 12 hex digits (the whole id on
        // hover), plugins and perturbation records open on a click.
        let id = c.settings_id.as_deref().unwrap_or("—");
        let plugins = if c.plugins.is_empty() {
            "—".to_string()
        } else {
            format!(
                "<details><summary>{} plugins</summary>{}</details>",
                c.plugins.len(),
                esc(&c.plugins.join(", "))
            )
        };
        let perturbation =
            c.perturbation
                .as_ref()
                .filter(|p| !p.is_null())
                .map_or("—".to_string(), |p| {
                    format!(
                        "<details><summary>seeded record</summary><code>{}</code></details>",
                        esc(&p.to_string())
                    )
                });
        let _ = writeln!(
            h,
            "<tr><td><b>{}</b>{refmark}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td><code title=\"{}\">{}</code></td><td>{}</td><td>{}</td><td>{plugins}</td><td>{perturbation}</td></tr>",
            esc(&c.name),
            c.values,
            c.missing,
            c.cases,
            esc(id),
            esc(&id.chars().take(12).collect::<String>()),
            esc(c.radx_version.as_deref().unwrap_or("—")),
            esc(c.platform.as_deref().unwrap_or("—")),
        );
    }
    h.push_str("</tbody></table></div>\n");
}

/// The observer pairs of `rows`, in order of first appearance.
fn pairs_of(rows: &[PairAgreement]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for r in rows {
        let p = (r.observer_a.clone(), r.observer_b.clone());
        if !pairs.contains(&p) {
            pairs.push(p);
        }
    }
    pairs
}

fn agreement_section(h: &mut String, rows: &[PairAgreement]) {
    h.push_str("<h2 id=\"agreement\">Segmentation agreement between observers</h2>\n");
    h.push_str("<p class=\"note\">Per case and pair of observers (masks on the image grid): Dice = 2|A∩B| / (|A| + |B|), Jaccard = |A∩B| / |A∪B|, volume difference V<sub>B</sub> − V<sub>A</sub> (mm³, and relative to V<sub>A</sub>), and the symmetric Hausdorff distance between the surface voxels of the two masks (voxels with a face neighbour outside the mask), in mm on the voxel spacing: its maximum (HD) and the 95th percentile of the pooled distances of both directions (HD95). The per-feature ICCs below are across observers.</p>\n");
    let pairs = pairs_of(rows);
    h.push_str("<div class=\"wrap\"><table class=\"sortable\" id=\"agreement-summary\"><thead><tr><th>Observer A</th><th>Observer B</th><th>Cases compared</th><th>Median Dice</th><th>Min Dice</th><th>Max Dice</th><th>Median Jaccard</th><th>Median relative volume difference</th><th>Median HD95 (mm)</th><th>Median HD (mm)</th></tr></thead><tbody>\n");
    for (a, b) in &pairs {
        let of_pair: Vec<&SegmentationAgreement> = rows
            .iter()
            .filter(|r| &r.observer_a == a && &r.observer_b == b)
            .filter_map(|r| r.agreement.as_ref())
            .collect();
        let total = rows
            .iter()
            .filter(|r| &r.observer_a == a && &r.observer_b == b)
            .count();
        let q = |f: fn(&SegmentationAgreement) -> Option<f64>, p: f64| {
            let mut v: Vec<f64> = of_pair.iter().filter_map(|m| f(m)).collect();
            quantile(&mut v, p)
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}/{total}</td>{}{}{}{}{}{}{}</tr>",
            esc(a),
            esc(b),
            of_pair.len(),
            td_num(q(|m| m.dice, 0.5)),
            td_num(q(|m| m.dice, 0.0)),
            td_num(q(|m| m.dice, 1.0)),
            td_num(q(|m| m.jaccard, 0.5)),
            td_num(q(|m| m.relative_volume_difference, 0.5)),
            td_num(q(|m| m.hausdorff95_mm, 0.5)),
            td_num(q(|m| m.hausdorff_max_mm, 0.5)),
        );
    }
    h.push_str("</tbody></table></div>\n");
    h.push_str("<div class=\"plot\">");
    h.push_str(&svg::dice_plot(rows, &pairs));
    h.push_str("</div>\n");
    h.push_str("<h3>Every case and pair</h3><div class=\"wrap\"><table class=\"sortable\" id=\"agreement-table\"><thead><tr><th>Case</th><th>Observer A</th><th>Observer B</th><th>Voxels A</th><th>Voxels B</th><th>Dice</th><th>Jaccard</th><th>ΔV (mm³)</th><th>ΔV / V<sub>A</sub></th><th>HD95 (mm)</th><th>HD (mm)</th><th>Missing</th></tr></thead><tbody>\n");
    for r in rows {
        let m = r.agreement.as_ref();
        let count = |v: Option<usize>| match v {
            Some(n) => format!("<td class=\"n\" data-v=\"{n}\">{n}</td>"),
            None => "<td class=\"n\" data-v=\"\">—</td>".into(),
        };
        let _ = writeln!(
            h,
            "<tr class=\"agreement-row\"><td>{}</td><td>{}</td><td>{}</td>{}{}{}{}{}{}{}{}<td>{}</td></tr>",
            esc(&r.case),
            esc(&r.observer_a),
            esc(&r.observer_b),
            count(m.map(|m| m.voxels_a)),
            count(m.map(|m| m.voxels_b)),
            td_num(m.and_then(|m| m.dice)),
            td_num(m.and_then(|m| m.jaccard)),
            td_num(m.map(|m| m.volume_difference_mm3)),
            td_num(m.and_then(|m| m.relative_volume_difference)),
            td_num(m.and_then(|m| m.hausdorff95_mm)),
            td_num(m.and_then(|m| m.hausdorff_max_mm)),
            esc(&r.missing_reason)
        );
    }
    h.push_str("</tbody></table></div>\n");
}

fn classes_section(h: &mut String, r: &StabilityReport) {
    let t = &r.thresholds;
    h.push_str("<h2 id=\"classes\">Reliability classes</h2>\n");
    let _ = writeln!(
        h,
        "<p class=\"note\">Class of the {}: <b>excellent</b> ICC &gt; {}, <b>good</b> {} ≤ ICC ≤ {}, <b>moderate</b> {} ≤ ICC &lt; {}, <b>poor</b> ICC &lt; {} ({}). <b>Undefined</b>: the ICC could not be computed (reason in the table). The second row classes the lower bound of the {:.0}% confidence interval — the conservative verdict.</p>",
        esc(&t.statistic),
        t.excellent_above,
        t.good_from,
        t.excellent_above,
        t.moderate_from,
        t.good_from,
        t.moderate_from,
        esc(&t.source),
        100.0 * r.level
    );
    for (label, counts) in [
        ("ICC(2,1) estimate", &r.class_counts),
        ("lower confidence bound", &r.class_lower_counts),
    ] {
        let _ = write!(h, "<h3>By {label}</h3><div class=\"cards\">");
        for c in ["excellent", "good", "moderate", "poor", "undefined"] {
            let n = counts.get(c).copied().unwrap_or(0);
            let total: usize = counts.values().sum();
            let pct = if total > 0 {
                100.0 * n as f64 / total as f64
            } else {
                0.0
            };
            let _ = write!(
                h,
                "<div class=\"card\" style=\"background:{}\"><b>{n}</b><span>{c} · {pct:.0}%</span></div>",
                class_colour(c)
            );
        }
        h.push_str("</div>\n");
    }
}

fn forest_section(h: &mut String, r: &StabilityReport) {
    h.push_str("<h2 id=\"forest\">ICC(2,1) forest plot</h2>\n");
    let _ = writeln!(
        h,
        "<p class=\"note\">Each row is a feature: the dot is ICC(2,1) (two-way random effects, absolute agreement, single condition), the bar its {:.0}% confidence interval, the colour its class; dashed lines mark the class thresholds. Sorted by the estimate within each family; features with an undefined ICC are listed below each plot.</p>",
        100.0 * r.level
    );
    let many_images = {
        let mut im: Vec<&str> = r.features.iter().map(|f| f.image.as_str()).collect();
        im.sort_unstable();
        im.dedup();
        im.len() > 1
    };
    let mut groups: BTreeMap<String, Vec<&FeatureStability>> = BTreeMap::new();
    for f in &r.features {
        groups.entry(group_of(f, many_images)).or_default().push(f);
    }
    // Shared x range over all features so panels compare.
    let mut lo = 0.0f64;
    for f in &r.features {
        if let Some(e) = &f.icc2_1 {
            lo = lo.min(e.lower).min(e.value);
        }
    }
    let lo = (lo * 10.0).floor() / 10.0;
    let lo = lo.max(-1.0);
    let open_all = r.features.len() <= 400;
    for (i, (g, fs)) in groups.iter().enumerate() {
        let mut defined: Vec<&&FeatureStability> =
            fs.iter().filter(|f| f.icc2_1.is_some()).collect();
        defined.sort_by(|a, b| {
            let (x, y) = (a.icc2_1.as_ref().unwrap(), b.icc2_1.as_ref().unwrap());
            x.value.total_cmp(&y.value).then_with(|| a.tag.cmp(&b.tag))
        });
        let undefined: Vec<&&FeatureStability> = fs.iter().filter(|f| f.icc2_1.is_none()).collect();
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for f in fs.iter() {
            *counts.entry(class_name(f.class)).or_insert(0) += 1;
        }
        let summary: Vec<String> = ["excellent", "good", "moderate", "poor", "undefined"]
            .iter()
            .filter_map(|c| {
                counts.get(c).map(|n| {
                    format!(
                        "<span class=\"pill\" style=\"background:{}\">{n} {c}</span>",
                        class_colour(c)
                    )
                })
            })
            .collect();
        let _ = write!(
            h,
            "<details{} class=\"forest\"><summary>{} — {} features {}</summary>",
            if open_all || i == 0 { " open" } else { "" },
            esc(g),
            fs.len(),
            summary.join(" ")
        );
        if !defined.is_empty() {
            let rows: Vec<svg::ForestRow> = defined
                .iter()
                .map(|f| {
                    let e = f.icc2_1.as_ref().unwrap();
                    svg::ForestRow {
                        label: if many_images {
                            format!("{} {}", f.image, f.tag)
                        } else {
                            f.tag.clone()
                        },
                        value: e.value,
                        lower: e.lower,
                        upper: e.upper,
                        colour: class_colour(class_name(f.class)),
                    }
                })
                .collect();
            h.push_str(&svg::forest_plot(
                &rows,
                lo,
                1.0,
                &r.thresholds,
                "ICC(2,1) with confidence interval",
            ));
        }
        if !undefined.is_empty() {
            h.push_str("<p class=\"note\">ICC undefined: ");
            let items: Vec<String> = undefined
                .iter()
                .map(|f| {
                    let why = f
                        .undefined
                        .iter()
                        .find(|u| u.statistic == "icc")
                        .map_or("", |u| u.reason.as_str());
                    format!("<code>{}</code> ({})", esc(&f.tag), esc(why))
                })
                .collect();
            h.push_str(&items.join("; "));
            h.push_str("</p>");
        }
        h.push_str("</details>\n");
    }
}

fn heat_section(h: &mut String, r: &StabilityReport) {
    h.push_str("<h2 id=\"heatmap\">Family × condition heat map</h2>\n");
    let _ = writeln!(
        h,
        "<p class=\"note\">Cell: {} (number of features in the cell's tooltip). Green is concordant with the reference <b>{}</b>, red discordant; colour stops at the class thresholds.</p>",
        esc(&r.heat_map_statistic),
        esc(&r.reference)
    );
    let mut groups: Vec<&str> = r.heat_map.iter().map(|c| c.group.as_str()).collect();
    groups.dedup();
    let mut conds: Vec<&str> = Vec::new();
    for c in &r.heat_map {
        if !conds.contains(&c.condition.as_str()) {
            conds.push(c.condition.as_str());
        }
    }
    if groups.is_empty() || conds.is_empty() {
        h.push_str("<p class=\"note\">No heat map (no feature).</p>\n");
        return;
    }
    let cells: BTreeMap<(&str, &str), (Option<f64>, usize)> = r
        .heat_map
        .iter()
        .map(|c| {
            (
                (c.group.as_str(), c.condition.as_str()),
                (c.median_ccc, c.features),
            )
        })
        .collect();
    h.push_str("<div class=\"plot\" style=\"overflow:auto\">");
    h.push_str(&svg::heat_map(&groups, &conds, &cells, &r.thresholds));
    h.push_str("</div>\n");
}

fn bland_altman_section(h: &mut String, r: &StabilityReport) {
    h.push_str("<h2 id=\"bland-altman\">Bland–Altman: least stable features</h2>\n");
    let _ = writeln!(
        h,
        "<p class=\"note\">The {} features with the lowest ICC(2,1), each against its worst condition (lowest CCC with the reference): difference (condition − reference) against the mean of the two, per case; solid line the bias, dashed lines the 95% limits of agreement (bias ± 1.96 SD).</p>",
        r.bland_altman.len()
    );
    if r.bland_altman.is_empty() {
        h.push_str("<p class=\"note\">No feature with defined statistics.</p>\n");
        return;
    }
    h.push_str("<div class=\"grid\">");
    for b in &r.bland_altman {
        h.push_str("<div class=\"plot\">");
        h.push_str(&svg::bland_altman_plot(b));
        h.push_str("</div>");
    }
    h.push_str("</div>\n");
}

fn table_section(h: &mut String, r: &StabilityReport) {
    h.push_str("<h2 id=\"table\">All features</h2>\n<p class=\"note\">Click a column header to sort. CI: confidence interval of the ICC; CV: mean over cases of the coefficient of variation across conditions; dropped: (case, condition) values missing for cases left out (see the dropped-values CSV).</p>\n");
    h.push_str("<div class=\"wrap\"><table class=\"sortable\" id=\"features\"><thead><tr><th>ROI</th><th>Image</th><th>Tag</th><th>IBSI</th><th>Class</th><th>ICC(2,1)</th><th>CI low</th><th>CI high</th><th>Class (low)</th><th>ICC(3,1)</th><th>CCC overall</th><th>CCC worst</th><th>Worst condition</th><th>Mean CV</th><th>Cases</th><th>Dropped</th><th>Undefined</th></tr></thead><tbody>\n");
    for f in &r.features {
        let c = class_name(f.class);
        let cl = class_name(f.class_lower);
        let worst_ccc = f
            .worst
            .as_ref()
            .and_then(|w| f.pairwise_ccc.iter().find(|p| p.condition == w.condition))
            .and_then(|p| p.ccc);
        let und: Vec<String> = f
            .undefined
            .iter()
            .map(|u| format!("{}: {}", u.statistic, u.reason))
            .collect();
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td data-v=\"{c}\"><span class=\"pill\" style=\"background:{}\">{c}</span></td>{}{}{}<td data-v=\"{cl}\"><span class=\"pill\" style=\"background:{}\">{cl}</span></td>{}{}{}<td>{}</td>{}<td class=\"n\">{}/{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            esc(&f.roi),
            esc(&f.image),
            esc(&f.tag),
            esc(&f.ibsi_id),
            class_colour(c),
            td_num(f.icc2_1.as_ref().map(|e| e.value)),
            td_num(f.icc2_1.as_ref().map(|e| e.lower)),
            td_num(f.icc2_1.as_ref().map(|e| e.upper)),
            class_colour(cl),
            td_num(f.icc3_1.as_ref().map(|e| e.value)),
            td_num(f.overall_ccc),
            td_num(worst_ccc),
            esc(f.worst.as_ref().map_or("—", |w| w.condition.as_str())),
            td_num(f.mean_cv),
            f.cases_used,
            f.cases_seen,
            f.dropped.len(),
            esc(&und.join("; ")),
        );
    }
    h.push_str("</tbody></table></div>\n");
}

fn sites_section(h: &mut String, s: &SitesReport) {
    h.push_str("<h2 id=\"sites\">Site effects and ComBat harmonisation</h2>\n");
    let site_list: Vec<String> = s
        .sites
        .iter()
        .map(|x| format!("<b>{}</b> ({} cases)", esc(&x.site), x.cases))
        .collect();
    let _ = writeln!(
        h,
        "<p class=\"note\">Sites: {}. Per feature, Kruskal–Wallis test of equal distributions across sites; q: Benjamini–Hochberg adjusted p-value over the features tested. ComBat (Johnson et al. 2007; {}) on the features with a value for every case, then the test again. Features with q ≤ {}: <b>{}</b> before, <b>{}</b> after ComBat.{}{}</p>",
        site_list.join(", "),
        s.combat_options.map_or("not run".to_string(), |o| format!(
            "{} priors{}",
            if o.parametric { "parametric" } else { "non-parametric" },
            if o.mean_only { ", location only" } else { ", location and scale" }
        )),
        s.fdr,
        s.significant_before,
        s.significant_after.map_or("—".to_string(), |n| n.to_string()),
        if s.cases_without_site.is_empty() {
            String::new()
        } else {
            format!(" Cases without a site (left out): {}.", esc(&s.cases_without_site.join(", ")))
        },
        s.combat_error
            .as_ref()
            .map_or(String::new(), |e| format!(" ComBat failed: {}.", esc(e)))
    );
    h.push_str("<div class=\"plot\" style=\"overflow:auto\">");
    h.push_str(&svg::kw_plot(s));
    h.push_str("</div>\n");
    h.push_str("<div class=\"wrap\" style=\"margin-top:10px\"><table class=\"sortable\" id=\"sites-table\"><thead><tr><th>ROI</th><th>Image</th><th>Tag</th><th>n</th><th>H</th><th>p</th><th>q</th><th>ComBat</th><th>H after</th><th>p after</th><th>q after</th>");
    for site in &s.sites {
        let _ = write!(h, "<th>mean {}</th>", esc(&site.site));
    }
    for site in &s.sites {
        let _ = write!(h, "<th>after {}</th>", esc(&site.site));
    }
    h.push_str("</tr></thead><tbody>\n");
    for f in &s.features {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td class=\"n\">{}</td>{}{}{}<td>{}</td>{}{}{}",
            esc(&f.roi),
            esc(&f.image),
            esc(&f.tag),
            f.n,
            td_num(f.kw.map(|k| k.h)),
            td_num(f.kw.map(|k| k.p_value)),
            td_num(f.q_value),
            if f.harmonised {
                "harmonised".to_string()
            } else {
                esc(f.combat_excluded.as_deref().unwrap_or("—"))
            },
            td_num(f.kw_after.map(|k| k.h)),
            td_num(f.kw_after.map(|k| k.p_value)),
            td_num(f.q_value_after),
        );
        for i in 0..s.sites.len() {
            h.push_str(&td_num(f.site_means.get(i).copied().filter(|_| f.n > 0)));
        }
        for i in 0..s.sites.len() {
            h.push_str(&td_num(f.site_means_after.get(i).copied()));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table></div>\n");
}

/// The `radx compare` page: both tables' provenance, CCC per feature (dot plot coloured by
/// the reliability thresholds applied to the CCC), and the table of every agreement number.
/// `a` is the reference side.
pub fn compare_html(
    a: &ConditionSummary,
    b: &ConditionSummary,
    rows: &[FeatureAgreement],
) -> String {
    let t = Thresholds::default();
    let mut h = String::with_capacity(32 * 1024 + rows.len() * 600);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>radx compare report</title><style>{CSS}</style></head><body>\n\
<header><h1>radx compare</h1><p>{} features · <b>{}</b> vs <b>{}</b></p></header><main>\n",
        rows.len(),
        esc(&a.name),
        esc(&b.name)
    );
    h.push_str("<h2 id=\"conditions\">Tables and provenance</h2>\n");
    provenance_table(&mut h, &[a.clone(), b.clone()], &a.name);
    h.push_str("<h2 id=\"ccc\">Concordance per feature</h2>\n");
    let _ = writeln!(
        h,
        "<p class=\"note\">Lin's CCC of the two tables' values over the cases (case, ROI, image) both hold; colours use the reliability thresholds (excellent &gt; {}, good ≥ {}, moderate ≥ {}). Sorted from the least concordant.</p>",
        t.excellent_above, t.good_from, t.moderate_from
    );
    let mut defined: Vec<&FeatureAgreement> = rows.iter().filter(|r| r.ccc.is_some()).collect();
    defined.sort_by(|x, y| {
        x.ccc
            .unwrap_or(0.0)
            .total_cmp(&y.ccc.unwrap_or(0.0))
            .then_with(|| x.tag.cmp(&y.tag))
    });
    if !defined.is_empty() {
        let lo = defined
            .iter()
            .filter_map(|r| r.ccc)
            .fold(0.0f64, f64::min)
            .max(-1.0);
        let lo = (lo * 10.0).floor() / 10.0;
        let plot_rows: Vec<svg::ForestRow> = defined
            .iter()
            .map(|r| {
                let c = r.ccc.unwrap_or(0.0);
                svg::ForestRow {
                    label: r.tag.clone(),
                    value: c,
                    lower: c,
                    upper: c,
                    colour: class_colour(radx_stats::Reliability::of(c).name()),
                }
            })
            .collect();
        h.push_str("<div class=\"plot\" style=\"overflow:auto\">");
        h.push_str(&svg::forest_plot(&plot_rows, lo, 1.0, &t, "Lin's CCC"));
        h.push_str("</div>\n");
    }
    let undefined: Vec<&str> = rows
        .iter()
        .filter(|r| r.ccc.is_none())
        .map(|r| r.tag.as_str())
        .collect();
    if !undefined.is_empty() {
        let _ = writeln!(
            h,
            "<p class=\"note\">CCC undefined (fewer than 2 pairs): {}</p>",
            esc(&undefined.join(", "))
        );
    }
    h.push_str("<h2 id=\"table\">All features</h2>\n<div class=\"wrap\"><table class=\"sortable\" id=\"features\"><thead><tr><th>Tag</th><th>n</th><th>CCC</th><th>Mean |a−b|</th><th>Max |a−b|</th><th>Max rel. diff.</th><th>Bias</th><th>LoA low</th><th>LoA high</th><th>Within tolerance</th></tr></thead><tbody>\n");
    for r in rows {
        let _ = writeln!(
            h,
            "<tr><td><code>{}</code></td><td class=\"n\">{}</td>{}{}{}{}{}{}{}<td>{}</td></tr>",
            esc(&r.tag),
            r.n,
            td_num(r.ccc),
            td_num(Some(r.mean_abs_diff)),
            td_num(Some(r.max_abs_diff)),
            td_num(Some(r.max_rel_diff)),
            td_num(Some(r.bias)),
            td_num(r.loa_low),
            td_num(r.loa_high),
            r.within_tolerance
                .map_or("—", |w| if w { "yes" } else { "no" })
        );
    }
    h.push_str("</tbody></table></div>\n");
    let _ = writeln!(
        h,
        "<p class=\"note\">Generated by radx {}. Self-contained page: no external resources.</p>\
</main><script>{SORT_JS}</script></body></html>",
        env!("CARGO_PKG_VERSION")
    );
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_escaping() {
        assert_eq!(num(None), "—");
        assert_eq!(num(Some(0.0)), "0");
        assert_eq!(num(Some(0.98765)), "0.9877");
        assert_eq!(num(Some(123.456)), "123.5");
        assert_eq!(num(Some(1.5e7)), "1.500e7");
        assert_eq!(esc("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
    }
}
