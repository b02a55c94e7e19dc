//! Renders a report in headless Chromium: the DOM must hold the plots and the inline script
//! must have run; the screenshot must be a non-blank PNG.
//!
//! Chromium is `$RADX_CHROMIUM`, else `/usr/bin/chromium`. Where there is none, each test
//! says so on its output and passes, so the suite runs on a bare machine; with
//! `RADX_REQUIRE_BROWSER=1` (set by `.ci/run`, which installs Chromium) a missing browser
//! fails the test, so CI always renders the report.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use radx_check::compare::LongValue;
use radx_stability::assess::{assess, ConditionTable, StabilityOptions};
use radx_stability::sites::{assess_sites, SitesOptions};

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.next(), self.next());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// 25 cases, 6 conditions, 5 families of features whose noise grows from stable to
/// scrambled, with a few missing values and one undefined feature.
fn conditions() -> Vec<ConditionTable> {
    let families = [
        ("morphology", "morph", 10, 0.02),
        ("intensity_stats", "stat", 14, 0.1),
        ("glcm", "cm", 18, 0.4),
        ("glszm", "szm", 12, 0.8),
        ("ngtdm", "ngt", 5, 2.0),
    ];
    let mut rng = Lcg(99);
    let truth: Vec<f64> = (0..25).map(|_| rng.normal()).collect();
    let names = [
        "reference",
        "bin-width-10",
        "bin-width-50",
        "noise-seed-1",
        "noise-seed-2",
        "roi-erode-1mm",
    ];
    names
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let mut values = Vec::new();
            for (i, t) in truth.iter().enumerate() {
                let case = format!("STS_{:03}", i + 1);
                for (fam, prefix, nfeat, noise) in families {
                    for f in 0..nfeat {
                        let tag = format!("{prefix}_feature{f:02}{}", if prefix == "cm" || prefix == "szm" { "_3D" } else { "" });
                        let scale = noise * (0.3 + f as f64 / nfeat as f64) * (1.0 + 0.5 * j as f64 / 5.0);
                        let mut v = 100.0 + 20.0 * t + 20.0 * scale * rng.normal() + if j == 5 { 5.0 * scale } else { 0.0 };
                        if prefix == "ngt" && f == 4 {
                            v = 3.0; // constant: ICC undefined
                        }
                        let missing = prefix == "szm" && f == 2 && i == 7 && j == 3;
                        values.push(LongValue {
                            case: case.clone(),
                            roi: "label_1".into(),
                            image: "original".into(),
                            tag,
                            family: fam.into(),
                            value: (!missing).then_some(v),
                            missing_reason: missing.then(|| "fewer than 2 zones".into()),
                            ..Default::default()
                        });
                    }
                }
            }
            let provenance = serde_json::json!({
                "radx_version": "0.1.0",
                "settings_id": format!("{:016x}", 0x5eed_0000u64 + j as u64),
                "plugins": [{"family": "glcm", "version": "0.1.0", "origin": "builtin", "sha256": ""}],
                "platform": {"os": "linux", "arch": "x86_64", "family": "unix", "cpu_features": ["sse2", "avx2", "fma"]},
                "perturbation": if j >= 3 { serde_json::json!({"kind": name, "seed": j}) } else { serde_json::Value::Null },
            });
            ConditionTable {
                name: name.to_string(),
                values,
                provenance: Some(provenance),
            }
        })
        .collect()
}

/// The Chromium binary, or `None` (with a message on the test's output) when there is none
/// and `RADX_REQUIRE_BROWSER` is not `1`.
fn find_chromium() -> Option<PathBuf> {
    let p = std::env::var_os("RADX_CHROMIUM")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if p.is_file() {
        return Some(p);
    }
    let message = format!(
        "headless browser test needs Chromium at {} (install it: `apt-get install chromium`, or set RADX_CHROMIUM to the binary)",
        p.display()
    );
    assert!(
        std::env::var("RADX_REQUIRE_BROWSER").as_deref() != Ok("1"),
        "{message}; RADX_REQUIRE_BROWSER=1 makes this a failure"
    );
    println!("SKIPPED: {message}");
    None
}

fn chromium() -> PathBuf {
    find_chromium().expect("checked at the start of the test")
}

/// Runs Chromium headless with `args` on `page`; returns (stdout, stderr).
fn run_chromium(page: &Path, args: &[String], scratch: &Path) -> (String, String) {
    let profile = tempfile::tempdir_in(scratch).unwrap();
    let mut cmd = Command::new(chromium());
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .args(args)
    .arg(format!("file://{}", page.display()))
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("chromium starts");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut s = String::new();
        out.read_to_string(&mut s).ok();
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = String::new();
        err.read_to_string(&mut s).ok();
        s
    });
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let (o, e) = (t_out.join().unwrap(), t_err.join().unwrap());
            assert!(status.success(), "chromium failed ({status}): {e}");
            return (o, e);
        }
        if start.elapsed() > Duration::from_secs(180) {
            child.kill().ok();
            panic!("chromium did not finish within 180 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Fraction of non-zero bytes in the (filtered) pixel stream of a PNG: a blank page gives
/// rows of zeros after the filters; a page with plots many non-zero bytes.
fn png_ink(png: &[u8]) -> (u32, u32, f64) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let mut pos = 8;
    let (mut w, mut h) = (0, 0);
    let mut idat = Vec::new();
    while pos + 8 <= png.len() {
        let len = u32::from_be_bytes(png[pos..pos + 4].try_into().unwrap()) as usize;
        let kind = &png[pos + 4..pos + 8];
        let data = &png[pos + 8..pos + 8 + len];
        if kind == b"IHDR" {
            w = u32::from_be_bytes(data[0..4].try_into().unwrap());
            h = u32::from_be_bytes(data[4..8].try_into().unwrap());
        } else if kind == b"IDAT" {
            idat.extend_from_slice(data);
        }
        pos += 12 + len;
    }
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&idat[..])
        .read_to_end(&mut raw)
        .expect("PNG pixel data inflates");
    let nonzero = raw.iter().filter(|&&b| b != 0).count();
    (w, h, nonzero as f64 / raw.len().max(1) as f64)
}

#[test]
fn report_renders_in_headless_chromium() {
    if find_chromium().is_none() {
        return;
    }
    let report = assess(&conditions(), &StabilityOptions::default()).unwrap();
    // Sites: the first 13 cases at site A, the rest at B with a shift.
    let mut values = conditions().remove(0).values;
    let mut sites = BTreeMap::new();
    for v in values.iter_mut() {
        let n: usize = v.case[4..].parse().unwrap();
        let site = if n <= 13 { "site-A" } else { "site-B" };
        sites.insert(v.case.clone(), site.to_string());
        if site == "site-B" {
            if let Some(x) = v.value.as_mut() {
                *x = *x * 1.3 + 15.0;
            }
        }
    }
    let s = assess_sites(&values, &sites, &SitesOptions::default()).unwrap();
    let html = radx_report::stability_html(&report, Some(&s.report));
    assert!(
        !html.contains("http://") || !html.contains("src=\"http"),
        "no network assets"
    );
    assert!(!html.contains("<link") && !html.contains("src=\"http"));

    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, &html).unwrap();

    // DOM after scripts ran.
    let (dom, stderr) = run_chromium(&page, &["--dump-dom".into()], dir.path());
    assert!(
        dom.contains("data-ready=\"1\""),
        "inline script did not run to its end"
    );
    for class in ["forest-plot", "heat-map", "bland-altman", "kw-plot"] {
        assert!(
            dom.contains(&format!("<svg class=\"{class}\"")),
            "no {class} SVG in the DOM"
        );
    }
    assert_eq!(dom.matches("<svg class=\"bland-altman\"").count(), 6);
    assert!(dom.matches("class=\"forest-row\"").count() >= 55);
    assert_eq!(dom.matches("class=\"heat-cell\"").count(), 5 * 5);
    for bad in ["Uncaught", "SyntaxError", "ReferenceError", "TypeError"] {
        assert!(!stderr.contains(bad), "console error: {stderr}");
    }

    // Screenshot.
    let png_path = dir.path().join("report.png");
    run_chromium(
        &page,
        &[
            format!("--screenshot={}", png_path.display()),
            "--window-size=1400,3000".into(),
        ],
        dir.path(),
    );
    let png = std::fs::read(&png_path).expect("screenshot written");
    let (w, h, ink) = png_ink(&png);
    eprintln!(
        "screenshot {w}x{h}, {} kB, non-zero filtered bytes {:.1}%",
        png.len() / 1024,
        100.0 * ink
    );
    assert_eq!((w, h), (1400, 3000));
    assert!(png.len() > 50_000, "screenshot only {} bytes", png.len());
    assert!(
        ink > 0.02,
        "screenshot looks blank ({:.3}% non-zero)",
        100.0 * ink
    );
    if let Some(dest) = std::env::var_os("RADX_REPORT_SCREENSHOT") {
        std::fs::copy(&png_path, dest).unwrap();
    }
    if let Some(dest) = std::env::var_os("RADX_REPORT_HTML") {
        std::fs::write(dest, &html).unwrap();
    }
}

#[test]
fn compare_page_renders() {
    if find_chromium().is_none() {
        return;
    }
    use radx_check::compare::compare_tables;
    use radx_stability::assess::summarise_condition;
    let c = conditions();
    let rows = compare_tables(&c[0].values, &c[3].values, &Default::default());
    let html = radx_report::compare_html(
        &summarise_condition(&c[0]),
        &summarise_condition(&c[3]),
        &rows,
    );
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("compare.html");
    std::fs::write(&page, &html).unwrap();
    let (dom, stderr) = run_chromium(&page, &["--dump-dom".into()], dir.path());
    assert!(
        dom.contains("data-ready=\"1\""),
        "inline script did not run to its end"
    );
    assert!(dom.contains("<svg class=\"forest-plot\""));
    // 59 features, all with a CCC (the constant feature is equal in both: CCC 1 by
    // `radx compare`'s convention).
    assert_eq!(dom.matches("class=\"forest-row\"").count(), 59);
    assert!(dom.contains("noise-seed-1") && dom.contains("000000005eed0003"));
    assert!(!stderr.contains("Uncaught"), "console error: {stderr}");
}

#[test]
fn observer_page_renders() {
    if find_chromium().is_none() {
        return;
    }
    use radx_stability::agreement::{PairAgreement, SegmentationAgreement};
    let mut c = conditions();
    c.truncate(3);
    for (t, name) in c.iter_mut().zip(["a", "b", "c"]) {
        t.name = name.into();
    }
    let report = assess(&c, &StabilityOptions::default()).unwrap();
    let mut rows = Vec::new();
    for i in 0..25 {
        for (k, (a, b)) in [("a", "b"), ("a", "c"), ("b", "c")].iter().enumerate() {
            let dice = 0.7 + 0.01 * i as f64 + 0.02 * k as f64;
            let missing = i == 4 && k > 0;
            rows.push(PairAgreement {
                case: format!("STS_{:03}", i + 1),
                observer_a: a.to_string(),
                observer_b: b.to_string(),
                agreement: (!missing).then(|| SegmentationAgreement {
                    voxels_a: 1000,
                    voxels_b: 1000 + i,
                    volume_a_mm3: 8000.0,
                    volume_b_mm3: 8000.0 + 8.0 * i as f64,
                    dice: Some(dice),
                    jaccard: Some(dice / (2.0 - dice)),
                    volume_difference_mm3: 8.0 * i as f64,
                    relative_volume_difference: Some(i as f64 / 1000.0),
                    hausdorff95_mm: Some(3.0),
                    hausdorff_max_mm: Some(6.0),
                }),
                missing_reason: if missing {
                    "observer `c`: mask is empty".into()
                } else {
                    String::new()
                },
            });
        }
    }
    let html = radx_report::stability_page(&report, None, Some(&rows));
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("observers.html");
    std::fs::write(&page, &html).unwrap();
    let (dom, stderr) = run_chromium(&page, &["--dump-dom".into()], dir.path());
    assert!(
        dom.contains("data-ready=\"1\""),
        "inline script did not run to its end"
    );
    assert!(dom.contains("<svg class=\"dice-plot\""));
    assert_eq!(dom.matches("class=\"dice-point\"").count(), 73);
    assert_eq!(dom.matches("class=\"dice-missing\"").count(), 2);
    assert_eq!(dom.matches("class=\"agreement-row\"").count(), 75);
    assert!(dom.contains("inter-observer study"));
    assert!(!stderr.contains("Uncaught"), "console error: {stderr}");
    let png_path = dir.path().join("observers.png");
    run_chromium(
        &page,
        &[
            format!("--screenshot={}", png_path.display()),
            "--window-size=1400,1600".into(),
        ],
        dir.path(),
    );
    let (w, h, ink) = png_ink(&std::fs::read(&png_path).unwrap());
    assert_eq!((w, h), (1400, 1600));
    assert!(
        ink > 0.02,
        "screenshot looks blank ({:.3}% non-zero)",
        100.0 * ink
    );
    if let Some(dest) = std::env::var_os("RADX_OBSERVER_SCREENSHOT") {
        std::fs::copy(&png_path, dest).unwrap();
    }
}
