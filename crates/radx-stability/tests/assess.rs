//! Feature stability across conditions on hand-built tables.

use radx_check::compare::{write_long_table, LongValue};
use radx_stability::assess::{assess, ConditionTable, StabilityOptions};
use radx_stats::Reliability;

/// Deterministic pseudo-random numbers in [0, 1) (64-bit LCG, top bits).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn lv(case: &str, tag: &str, family: &str, value: Option<f64>) -> LongValue {
    LongValue {
        case: case.into(),
        roi: "label_1".into(),
        image: "original".into(),
        tag: tag.into(),
        family: family.into(),
        value,
        missing_reason: value.is_none().then(|| "ROI too small".to_string()),
        ..Default::default()
    }
}

/// `k` conditions of `n` cases: `stable` = case level + 1 % noise, `scrambled` = new random
/// value per (case, condition).
fn conditions(n: usize, k: usize) -> Vec<ConditionTable> {
    let mut rng = Lcg(7);
    let level: Vec<f64> = (0..n).map(|i| 100.0 + 10.0 * i as f64).collect();
    (0..k)
        .map(|j| {
            let mut values = Vec::new();
            for (i, l) in level.iter().enumerate() {
                let c = format!("c{i:02}");
                values.push(lv(
                    &c,
                    "stat_stable",
                    "intensity_stats",
                    Some(l * (1.0 + 0.01 * (rng.next() - 0.5))),
                ));
                values.push(lv(
                    &c,
                    "cm_scrambled_3D_avg",
                    "glcm",
                    Some(100.0 * rng.next()),
                ));
            }
            ConditionTable {
                name: format!("cond{j}"),
                values,
                provenance: None,
            }
        })
        .collect()
}

#[test]
fn identical_conditions_are_excellent() {
    let mut c = conditions(12, 1);
    for j in 1..4 {
        let mut d = c[0].clone();
        d.name = format!("copy{j}");
        c.push(d);
    }
    let r = assess(&c, &StabilityOptions::default()).unwrap();
    assert_eq!(r.features.len(), 2);
    for f in &r.features {
        let icc = f.icc2_1.unwrap();
        assert_eq!(
            (icc.value, icc.lower, icc.upper),
            (1.0, 1.0, 1.0),
            "{}",
            f.tag
        );
        assert_eq!(f.icc3_1.unwrap().value, 1.0);
        assert_eq!(f.class, Some(Reliability::Excellent));
        assert_eq!(f.class_lower, Some(Reliability::Excellent));
        assert!((f.overall_ccc.unwrap() - 1.0).abs() < 1e-12);
        assert!(f
            .pairwise_ccc
            .iter()
            .all(|p| (p.ccc.unwrap() - 1.0).abs() < 1e-12));
        assert_eq!(f.mean_cv, Some(0.0));
        assert_eq!(f.worst.as_ref().unwrap().bias, 0.0);
        assert!(f.undefined.is_empty());
    }
    assert_eq!(r.class_counts["excellent"], 2);
    assert_eq!(r.reference, "cond0");
}

#[test]
fn stable_feature_excellent_scrambled_poor() {
    let c = conditions(25, 5);
    let r = assess(&c, &StabilityOptions::default()).unwrap();
    let get = |t: &str| r.features.iter().find(|f| f.tag == t).unwrap();
    let stable = get("stat_stable");
    let scrambled = get("cm_scrambled_3D_avg");
    assert_eq!(stable.class, Some(Reliability::Excellent));
    assert!(stable.icc2_1.unwrap().value > 0.99);
    assert!(stable.icc2_1.unwrap().lower > 0.9);
    assert!(stable.mean_cv.unwrap() < 0.01);
    assert_eq!(scrambled.class, Some(Reliability::Poor));
    assert!(
        scrambled.icc2_1.unwrap().value < 0.3,
        "{:?}",
        scrambled.icc2_1
    );
    assert!(scrambled.overall_ccc.unwrap() < 0.3);
    // CIs bracket the estimate.
    for f in &r.features {
        for e in [f.icc2_1.unwrap(), f.icc3_1.unwrap()] {
            assert!(e.lower <= e.value && e.value <= e.upper, "{e:?}");
        }
    }
    // Heat map: one cell per (family, non-reference condition), median CCC.
    assert_eq!(r.heat_map.len(), 2 * 4);
    let cell = r
        .heat_map
        .iter()
        .find(|h| h.group == "intensity_stats" && h.condition == "cond3")
        .unwrap();
    assert_eq!(cell.features, 1);
    assert_eq!(cell.median_ccc, stable.pairwise_ccc[2].ccc);
    // Bland–Altman data: the least stable first, reference vs its worst condition.
    assert_eq!(r.bland_altman.len(), 2);
    assert_eq!(r.bland_altman[0].tag, "cm_scrambled_3D_avg");
    assert_eq!(r.bland_altman[0].reference_values.len(), 25);
    assert_eq!(r.class_counts["poor"], 1);
    assert_eq!(r.class_counts["excellent"], 1);
}

#[test]
fn missing_values_are_counted_not_silently_dropped() {
    let mut c = conditions(10, 3);
    // cond1: c03 stable missing with a reason; cond2: c04 has no stable row at all.
    for v in c[1].values.iter_mut() {
        if v.case == "c03" && v.tag == "stat_stable" {
            v.value = None;
            v.missing_reason = Some("ROI too small".into());
        }
    }
    c[2].values
        .retain(|v| !(v.case == "c04" && v.tag == "stat_stable"));
    let r = assess(&c, &StabilityOptions::default()).unwrap();
    let f = r.features.iter().find(|f| f.tag == "stat_stable").unwrap();
    assert_eq!(f.cases_seen, 10);
    assert_eq!(f.cases_used, 8);
    assert_eq!(f.dropped.len(), 2);
    assert_eq!(
        (
            f.dropped[0].case.as_str(),
            f.dropped[0].condition.as_str(),
            f.dropped[0].reason.as_str()
        ),
        ("c03", "cond1", "ROI too small")
    );
    assert_eq!(
        (
            f.dropped[1].case.as_str(),
            f.dropped[1].condition.as_str(),
            f.dropped[1].reason.as_str()
        ),
        ("c04", "cond2", "no row")
    );
    let g = r.features.iter().find(|f| f.tag != "stat_stable").unwrap();
    assert_eq!((g.cases_used, g.dropped.len()), (10, 0));
    let dropped = r.dropped_csv();
    assert_eq!(dropped.lines().count(), 3, "{dropped}");
    assert!(dropped.contains("c04,cond2,no row"));
    assert_eq!(r.conditions[1].missing, 1);

    // Too few cases: statistics missing with reasons, class undefined.
    let tiny = conditions(1, 3);
    let r = assess(&tiny, &StabilityOptions::default()).unwrap();
    for f in &r.features {
        assert!(f.icc2_1.is_none() && f.class.is_none() && f.overall_ccc.is_none());
        assert!(f
            .undefined
            .iter()
            .any(|u| u.statistic == "icc" && u.reason.contains("too few subjects")));
    }
    assert_eq!(r.class_counts["undefined"], 2);
}

#[test]
fn input_errors() {
    let c = conditions(5, 2);
    assert!(assess(&c[..1], &StabilityOptions::default()).is_err());
    let mut dup = c.clone();
    dup[1].name = "cond0".into();
    assert!(assess(&dup, &StabilityOptions::default()).is_err());
    let bad_ref = StabilityOptions {
        reference: Some("nope".into()),
        ..Default::default()
    };
    assert!(assess(&c, &bad_ref)
        .unwrap_err()
        .to_string()
        .contains("nope"));
    let mut twice = c.clone();
    let v = twice[1].values[0].clone();
    twice[1].values.push(v);
    let e = assess(&twice, &StabilityOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("twice") && e.contains("cond1"), "{e}");
    // A chosen reference becomes the pairwise partner.
    let r = assess(
        &conditions(5, 3),
        &StabilityOptions {
            reference: Some("cond2".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(r.reference, "cond2");
    let names: Vec<&str> = r.features[0]
        .pairwise_ccc
        .iter()
        .map(|p| p.condition.as_str())
        .collect();
    assert_eq!(names, ["cond0", "cond1"]);
}

#[test]
fn reads_tables_with_provenance_and_writes_every_table() {
    let dir = tempfile::tempdir().unwrap();
    let c = conditions(6, 2);
    let mut read = Vec::new();
    for (j, t) in c.iter().enumerate() {
        let p = dir.path().join(format!("{}.csv", t.name));
        write_long_table(&p, &t.values).unwrap();
        if j == 1 {
            let prov = serde_json::json!({
                "radx_version": "0.1.0",
                "settings_id": "abc123",
                "settings": "",
                "inputs": [],
                "plugins": [{"family": "glcm", "version": "1.0.0", "origin": "builtin", "sha256": ""}],
                "platform": {"os": "linux", "arch": "x86_64", "family": "unix", "cpu_features": ["avx2"]},
                "threads": 2,
                "perturbation": {"kind": "noise", "seed": 42}
            });
            std::fs::write(
                radx_stability::assess::provenance_path(&p),
                serde_json::to_string(&prov).unwrap(),
            )
            .unwrap();
        }
        read.push(ConditionTable::read(t.name.clone(), &p).unwrap());
    }
    assert!(read[0].provenance.is_none());
    let r = assess(&read, &StabilityOptions::default()).unwrap();
    let s = &r.conditions[1];
    assert_eq!(s.settings_id.as_deref(), Some("abc123"));
    assert_eq!(s.radx_version.as_deref(), Some("0.1.0"));
    assert_eq!(s.plugins, ["glcm 1.0.0 (builtin)"]);
    assert_eq!(s.platform.as_deref(), Some("linux x86_64 [avx2]"));
    assert_eq!(s.perturbation.as_ref().unwrap()["seed"], 42);
    let out = dir.path().join("report");
    let files = r.write(&out).unwrap();
    assert_eq!(files.len(), 5);
    let features = std::fs::read_to_string(out.join("stability-features.csv")).unwrap();
    let header_fields = features.lines().next().unwrap().split(',').count();
    assert!(features.lines().count() == 3);
    assert!(features.lines().next().unwrap().contains("ccc_cond1"));
    // Rows have as many fields as the header (no field holds a comma here).
    for l in features.lines().skip(1) {
        assert_eq!(l.split(',').count(), header_fields, "{l}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("stability.json")).unwrap())
            .unwrap();
    assert_eq!(json["features"].as_array().unwrap().len(), 2);
    assert_eq!(json["thresholds"]["excellent_above"], 0.9);
    // A corrupt sidecar is an error naming it.
    let p = dir.path().join("cond0.csv");
    std::fs::write(radx_stability::assess::provenance_path(&p), "{not json").unwrap();
    let e = ConditionTable::read("x", &p).unwrap_err().to_string();
    assert!(e.contains("provenance.json"), "{e}");
}

#[test]
fn thousands_of_features_are_all_assessed() {
    // 3,000 features x 25 cases x 20 conditions = 1.5 million values (speed: the
    // `stability` criterion bench).
    let (nf, n, k) = (3000, 25, 20);
    let mut rng = Lcg(11);
    let conds: Vec<ConditionTable> = (0..k)
        .map(|j| {
            let mut values = Vec::with_capacity(nf * n);
            for i in 0..n {
                let case = format!("case{i:03}");
                for f in 0..nf {
                    values.push(LongValue {
                        case: case.clone(),
                        roi: "label_1".into(),
                        image: "original".into(),
                        tag: format!("fam{}_f{f:05}", f % 7),
                        family: format!("fam{}", f % 7),
                        value: Some((i * (f % 13 + 1)) as f64 + rng.next()),
                        ..Default::default()
                    });
                }
            }
            ConditionTable {
                name: format!("c{j:02}"),
                values,
                provenance: None,
            }
        })
        .collect();
    let r = assess(&conds, &StabilityOptions::default()).unwrap();
    assert_eq!(r.features.len(), nf);
    assert_eq!(r.heat_map.len(), 7 * (k - 1));
    assert!(r
        .features
        .iter()
        .all(|f| f.cases_used == n && f.icc2_1.is_some()));
    let csv = r.features_csv();
    assert_eq!(csv.lines().count(), nf + 1);
}

#[test]
fn ignore_roi_pairs_tables_with_different_roi_names() {
    let mut c = conditions(8, 2);
    for v in c[1].values.iter_mut() {
        v.roi = "nonzero".into();
    }
    // By default the ROI names differ: no case has the feature in both conditions.
    let r = assess(&c, &StabilityOptions::default()).unwrap();
    assert_eq!(r.features.len(), 4);
    assert!(r
        .features
        .iter()
        .all(|f| f.cases_used == 0 && f.dropped.len() == 8));
    let o = StabilityOptions {
        ignore_roi: true,
        ..Default::default()
    };
    let r = assess(&c, &o).unwrap();
    assert_eq!(r.features.len(), 2);
    assert!(r
        .features
        .iter()
        .all(|f| f.cases_used == 8 && f.roi.is_empty()));
}
