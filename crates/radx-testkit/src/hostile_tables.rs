//! Broken and hostile CSV tables for the corpus of bad inputs (issue 15): radx long tables
//! (`compare`, `stability --table`), PyRadiomics batch CSVs (`compare --a-format
//! pyradiomics`, `stability --pyradiomics`), site tables (`stability --sites`) and
//! threshold arguments of `compare`.
//!
//! [`broken_tables`] writes every input under a folder and returns, for each, the `radx`
//! arguments that read it, the exit status expected (2: the run could not start) and a
//! fragment the error message must hold; when the input is a file, the message must also
//! name it.

use std::path::{Path, PathBuf};

use radx_core::{FeatureRow, FeatureTable};

/// One broken input and how radx must refuse it.
#[derive(Debug, Clone)]
pub struct BrokenTable {
    /// Short name of the case (unique), e.g. `long-cut-value`.
    pub name: &'static str,
    /// The broken file, when the input is a file (the message must name it).
    pub path: Option<PathBuf>,
    /// Arguments of `radx` (without the program).
    pub args: Vec<String>,
    /// Expected exit status.
    pub code: i32,
    /// A fragment of the expected error message (stderr).
    pub expect: &'static str,
}

/// A valid radx long table: 4 cases × 3 features (values only; one missing value).
pub fn good_long_rows() -> Vec<FeatureRow> {
    let mut rows = Vec::new();
    for c in 0..4 {
        for (t, tag) in ["stat_mean", "stat_var", "cm_contrast_3D_avg"]
            .iter()
            .enumerate()
        {
            let missing = c == 3 && t == 2;
            rows.push(FeatureRow {
                case: format!("case{c}"),
                roi: "label_1".into(),
                image: "original".into(),
                family: if t == 2 { "glcm" } else { "intensity_stats" }.into(),
                feature: tag.split_once('_').map_or("", |p| p.1).into(),
                ibsi_id: String::new(),
                aggregation: String::new(),
                tag: tag.to_string(),
                unit: String::new(),
                value: (!missing).then_some(7.9132 + c as f64 * 1.25 + t as f64 * 10.0),
                missing_reason: missing.then(|| "undefined for a flat ROI".to_string()),
            });
        }
    }
    rows
}

/// The radx long CSV of [`good_long_rows`].
pub fn good_long_table() -> String {
    radx_io::table_to_csv(&FeatureTable {
        rows: good_long_rows(),
    })
}

/// A valid PyRadiomics batch CSV (3 cases, an `ID` column, two first-order features).
pub const GOOD_PYRADIOMICS: &str = "ID,Image,Mask,diagnostics_Versions_PyRadiomics,original_firstorder_Mean,original_firstorder_Kurtosis\n\
case0,/d/case0/img.nii.gz,/d/case0/mask.nii.gz,v3.1.0,7.9132,3.5\n\
case1,/d/case1/img.nii.gz,/d/case1/mask.nii.gz,v3.1.0,9.1632,4.25\n\
case2,/d/case2/img.nii.gz,/d/case2/mask.nii.gz,v3.1.0,10.4132,2.75\n";

/// Writes every broken input under `dir` (plus the valid tables they are compared with:
/// `good.csv`, `good-pyradiomics.csv`) and returns them.
pub fn broken_tables(dir: &Path) -> Vec<BrokenTable> {
    std::fs::create_dir_all(dir).expect("the corpus folder can be created");
    let good = dir.join("good.csv");
    let good_text = good_long_table();
    std::fs::write(&good, &good_text).expect("writes good.csv");
    let good_py = dir.join("good-pyradiomics.csv");
    std::fs::write(&good_py, GOOD_PYRADIOMICS).expect("writes good-pyradiomics.csv");
    let s = |p: &Path| p.display().to_string();
    let mut out = Vec::new();

    // --- radx long tables, read by `radx compare BAD good.csv` ---------------------------
    let header = radx_io::CSV_HEADER;
    let row = |case: &str, tag: &str, value: &str| {
        format!("{case},label_1,original,intensity_stats,x,,,{tag},,{value},")
    };
    let long: Vec<(&'static str, Vec<u8>, &'static str)> = vec![
        (
            "long-cut-value",
            // The last value cut from 7.9132 to 7.91, no final newline.
            {
                let last = row("case0", "stat_var", "7.9132");
                let cut = &last[..last.find("7.9132").unwrap_or(0) + 4];
                format!("{header}\n{}\n{cut}", row("case0", "stat_mean", "1.5")).into_bytes()
            },
            "the last line has no newline",
        ),
        (
            "long-cut-row",
            format!(
                "{header}\n{}\ncase1,label_1,orig",
                row("case0", "stat_mean", "1.5")
            )
            .into_bytes(),
            "the last line has no newline",
        ),
        (
            "long-short-row",
            format!(
                "{header}\n{}\ncase1,label_1,original\n{}\n",
                row("case0", "stat_mean", "1.5"),
                row("case2", "stat_mean", "2.5")
            )
            .into_bytes(),
            "line 3: 3 fields, the header has 11",
        ),
        (
            "long-long-row",
            format!("{header}\n{},extra\n", row("case0", "stat_mean", "1.5")).into_bytes(),
            "line 2: 12 fields, the header has 11",
        ),
        (
            "long-duplicate-row",
            format!(
                "{header}\n{}\n{}\n{}\n",
                row("case0", "stat_mean", "1.5"),
                row("case0", "stat_var", "2"),
                row("case0", "stat_mean", "1.5")
            )
            .into_bytes(),
            "lines 2 and 4 both hold case `case0`",
        ),
        (
            "long-value-not-a-number",
            format!("{header}\n{}\n", row("case0", "stat_mean", "7.9.1")).into_bytes(),
            "line 2: value `7.9.1` is not a number",
        ),
        (
            "long-value-nan",
            format!("{header}\n{}\n", row("case0", "stat_mean", "NaN")).into_bytes(),
            "is not finite",
        ),
        (
            "long-value-inf",
            format!("{header}\n{}\n", row("case0", "stat_mean", "-inf")).into_bytes(),
            "is not finite",
        ),
        (
            "long-unclosed-quote",
            format!(
                "{header}\n{}\n\"case1,label_1,original,intensity_stats,x,,,stat_mean,,1.0,\n",
                row("case0", "stat_mean", "1.5")
            )
            .into_bytes(),
            "a quoted field is not closed",
        ),
        (
            "long-not-utf8",
            {
                let mut b = format!("{header}\ncase").into_bytes();
                b.extend_from_slice(
                    b"\xFF\xFE,label_1,original,intensity_stats,x,,,stat_mean,,1.0,\n",
                );
                b
            },
            "line 2: field 1 is not valid UTF-8",
        ),
        (
            "long-no-value-column",
            b"case,roi,image,tag\ncase0,label_1,original,stat_mean\n".to_vec(),
            "no `value` column",
        ),
        ("long-empty", Vec::new(), "empty file"),
        (
            "long-header-repeats-a-column",
            format!("{header},tag\n").into_bytes(),
            "names column `tag` twice",
        ),
    ];
    for (name, bytes, expect) in long {
        let p = dir.join(format!("{name}.csv"));
        std::fs::write(&p, bytes).expect("writes a broken table");
        out.push(BrokenTable {
            name,
            args: vec!["compare".into(), s(&p), s(&good)],
            path: Some(p),
            code: 2,
            expect,
        });
    }
    // The same reader behind `stability --table`.
    let cut = dir.join("long-cut-value.csv");
    out.push(BrokenTable {
        name: "stability-table-cut-value",
        args: vec![
            "stability".into(),
            "--table".into(),
            format!("a={}", s(&good)),
            "--table".into(),
            format!("b={}", s(&cut)),
            "--out".into(),
            s(&dir.join("stability-out")),
        ],
        path: Some(cut),
        code: 2,
        expect: "the last line has no newline",
    });

    // --- PyRadiomics batch CSVs ----------------------------------------------------------
    let mut lines: Vec<String> = GOOD_PYRADIOMICS.lines().map(str::to_string).collect();
    let py_header = lines.remove(0);
    let py: Vec<(&'static str, String, &'static str)> = vec![
        (
            "pyradiomics-short-row",
            format!(
                "{py_header}\n{}\ncase1,/d/case1/img.nii.gz\n{}\n",
                lines[0], lines[2]
            ),
            "line 3: 2 fields, the header has 6",
        ),
        (
            "pyradiomics-cut-last-line",
            format!(
                "{py_header}\n{}\n{}",
                lines[0],
                &lines[1][..lines[1].len() - 3]
            ),
            "the last line has no newline",
        ),
        (
            "pyradiomics-not-a-number",
            format!("{py_header}\n{}\n", lines[0].replace("7.9132", "7.9x")),
            "`7.9x` is not a number",
        ),
        (
            "pyradiomics-duplicate-case",
            format!("{py_header}\n{}\n{}\n{}\n", lines[0], lines[1], lines[0]),
            "lines 2 and 4: case `case0`",
        ),
        (
            "pyradiomics-duplicate-column",
            format!(
                "{py_header},original_firstorder_Mean\n{}\n",
                lines[0].clone() + ",1.0"
            ),
            "names column `original_firstorder_Mean` twice",
        ),
        (
            "pyradiomics-header-only",
            format!("{py_header}\n"),
            "no data rows",
        ),
    ];
    for (name, text, expect) in py {
        let p = dir.join(format!("{name}.csv"));
        std::fs::write(&p, text).expect("writes a broken table");
        out.push(BrokenTable {
            name,
            args: vec![
                "compare".into(),
                s(&p),
                s(&good_py),
                "--a-format".into(),
                "pyradiomics".into(),
                "--b-format".into(),
                "pyradiomics".into(),
                "--id-column".into(),
                "ID".into(),
            ],
            path: Some(p),
            code: 2,
            expect,
        });
    }

    // --- site tables ---------------------------------------------------------------------
    let sites: Vec<(&'static str, &'static str, &'static str)> = vec![
        (
            "sites-short-row",
            "case,site\ncase0,A\ncase1\ncase2,B\n",
            "line 3: 1 fields, the header has 2",
        ),
        (
            "sites-duplicate-case",
            "case,site\ncase0,A\ncase1,B\ncase0,A\n",
            "lines 2 and 4: case `case0` is listed twice",
        ),
        (
            "sites-empty-site",
            "case,site\ncase0,A\ncase1,\n",
            "line 3: empty case or site",
        ),
        (
            "sites-no-site-column",
            "case,scanner\ncase0,A\n",
            "no `site` column",
        ),
    ];
    for (name, text, expect) in sites {
        let p = dir.join(format!("{name}.csv"));
        std::fs::write(&p, text).expect("writes a broken table");
        out.push(BrokenTable {
            name,
            args: vec![
                "stability".into(),
                "--table".into(),
                format!("a={}", s(&good)),
                "--table".into(),
                format!("b={}", s(&good)),
                "--sites".into(),
                s(&p),
                "--out".into(),
                s(&dir.join(format!("{name}-out"))),
            ],
            path: Some(p),
            code: 2,
            expect,
        });
    }

    // --- thresholds that would switch the guard off --------------------------------------
    let thresholds: [(&'static str, &'static str, &'static str, &'static str); 5] = [
        (
            "threshold-max-rel-diff-nan",
            "--max-rel-diff",
            "NaN",
            "finite number >= 0",
        ),
        (
            "threshold-max-rel-diff-negative",
            "--max-rel-diff",
            "-0.1",
            "finite number >= 0",
        ),
        (
            "threshold-max-rel-diff-inf",
            "--max-rel-diff",
            "inf",
            "finite number >= 0",
        ),
        (
            "threshold-min-ccc-nan",
            "--min-ccc",
            "nan",
            "a number in [-1, 1]",
        ),
        (
            "threshold-min-ccc-above-1",
            "--min-ccc",
            "1.5",
            "a number in [-1, 1]",
        ),
    ];
    for (name, flag, value, expect) in thresholds {
        out.push(BrokenTable {
            name,
            path: None,
            args: vec![
                "compare".into(),
                s(&good),
                s(&good),
                flag.into(),
                value.into(),
            ],
            code: 2,
            expect,
        });
    }
    out
}
