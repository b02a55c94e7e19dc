//! Site effects: Kruskal–Wallis and ComBat end-to-end on synthetic site shifts.

use std::collections::BTreeMap;

use radx_check::compare::{read_long_table, LongValue};
use radx_stability::sites::{assess_sites, read_sites, SitesOptions};

struct Lcg(u64);
impl Lcg {
    fn uniform(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// 3 sites x 15 cases, 12 features: value = feature level + case biology + site shift
/// (location `shift[s] * sd`, scale `scale[s]`) + noise. Feature `f11` has one missing value.
fn cohort() -> (Vec<LongValue>, BTreeMap<String, String>) {
    let mut rng = Lcg(2024);
    let shift = [0.0, 6.0, -4.0];
    let scale = [1.0, 1.6, 0.7];
    let mut values = Vec::new();
    let mut sites = BTreeMap::new();
    for s in 0..3 {
        for i in 0..15 {
            let case = format!("s{s}_c{i:02}");
            sites.insert(case.clone(), format!("site{s}"));
            for f in 0..12 {
                let level = 10.0 * (f + 1) as f64;
                let v = level + scale[s] * rng.normal() + shift[s];
                let missing = f == 11 && s == 1 && i == 3;
                values.push(LongValue {
                    case: case.clone(),
                    roi: "label_1".into(),
                    image: "original".into(),
                    tag: format!("stat_f{f:02}"),
                    family: "intensity_stats".into(),
                    value: (!missing).then_some(v),
                    missing_reason: missing.then(|| "ROI too small".to_string()),
                    ..Default::default()
                });
            }
        }
    }
    // A case without a site.
    values.push(LongValue {
        case: "orphan".into(),
        roi: "label_1".into(),
        image: "original".into(),
        tag: "stat_f00".into(),
        value: Some(1.0),
        ..Default::default()
    });
    (values, sites)
}

#[test]
fn combat_removes_site_shifts() {
    let (values, sites) = cohort();
    let r = assess_sites(&values, &sites, &SitesOptions::default()).unwrap();
    let rep = &r.report;
    assert_eq!(rep.sites.len(), 3);
    assert!(rep.sites.iter().all(|s| s.cases == 15));
    assert_eq!(rep.cases_without_site, ["orphan"]);
    assert_eq!(rep.features.len(), 12);
    assert!(rep.combat_error.is_none(), "{:?}", rep.combat_error);
    // Before: every feature differs between sites.
    for f in &rep.features {
        let kw = f.kw.unwrap();
        assert_eq!(kw.df, 2);
        assert!(f.q_value.unwrap() < 1e-3, "{} q {:?}", f.tag, f.q_value);
        assert!(f.q_value.unwrap() >= kw.p_value);
    }
    assert_eq!(rep.significant_before, 12);
    // The incomplete feature is not harmonised, with the reason.
    let f11 = rep.features.iter().find(|f| f.tag == "stat_f11").unwrap();
    assert!(!f11.harmonised);
    assert!(f11.combat_excluded.as_deref().unwrap().contains("1 of 45"));
    assert_eq!(f11.missing, 1);
    // After ComBat: site means agree and the test no longer finds a site effect.
    for f in rep.features.iter().filter(|f| f.harmonised) {
        let before = spread(&f.site_means);
        let after = spread(&f.site_means_after);
        assert!(before > 8.0, "{} before {before}", f.tag);
        assert!(
            after < 0.1 * before,
            "{}: site mean spread {before} -> {after}",
            f.tag
        );
        assert!(
            f.q_value_after.unwrap() > 0.05,
            "{} after q {:?}",
            f.tag,
            f.q_value_after
        );
    }
    assert_eq!(rep.significant_after, Some(0));
    // Harmonised long table: 11 complete features x 45 cases.
    assert_eq!(r.harmonised.len(), 11 * 45);
    let c = r.combat.as_ref().unwrap();
    assert_eq!(c.features.len(), 11);
    assert_eq!(c.combat.batches, ["site0", "site1", "site2"]);
    // Written tables.
    let dir = tempfile::tempdir().unwrap();
    let files = r.write(dir.path()).unwrap();
    assert_eq!(files.len(), 6);
    let back = read_long_table(&dir.path().join("harmonised.csv")).unwrap();
    assert_eq!(back, r.harmonised);
    let est = std::fs::read_to_string(dir.path().join("combat-features.csv")).unwrap();
    assert_eq!(est.lines().count(), 1 + 3 * 11);
    let pri = std::fs::read_to_string(dir.path().join("combat-batches.csv")).unwrap();
    assert_eq!(pri.lines().count(), 4);
}

fn spread(v: &[f64]) -> f64 {
    v.iter().cloned().fold(f64::MIN, f64::max) - v.iter().cloned().fold(f64::MAX, f64::min)
}

#[test]
fn sites_file_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("sites.csv");
    std::fs::write(&p, "case,site,scanner\na,x,1\nb,y,2\n").unwrap();
    let s = read_sites(&p).unwrap();
    assert_eq!(s["a"], "x");
    std::fs::write(&p, "case,site\na,x\na,y\n").unwrap();
    assert!(read_sites(&p)
        .unwrap_err()
        .to_string()
        .contains("sites.csv"));
    std::fs::write(&p, "case,centre\na,x\n").unwrap();
    assert!(read_sites(&p).unwrap_err().to_string().contains("`site`"));
    // One site only: an error.
    let (values, mut sites) = cohort();
    sites.values_mut().for_each(|v| *v = "same".into());
    assert!(assess_sites(&values, &sites, &SitesOptions::default()).is_err());
}
