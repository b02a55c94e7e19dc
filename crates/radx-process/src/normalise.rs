//! Intensity normalisation (`[normalisation]`, see `radx_core::settings::normalisation` for
//! the methods and their formulas).
//!
//! Position in the chain: the IBSI reference manual (chapter "Image processing", section
//! "Image post-acquisition processing", PCDE) places the processing that changes the
//! intensities of an acquired image — such as the correction of MR intensities — after
//! data conversion and before segmentation and interpolation; re-segmentation and
//! discretisation then work on the processed intensities. radx therefore normalises the
//! image as read (after `[input] round_intensities`), before interpolation,
//! re-segmentation and discretisation, so that re-segmentation ranges and fixed bin sizes
//! are in normalised units.

use ndarray::{Array3, Zip};
use radx_core::provenance::NormalisationRecord;
use radx_core::settings::{Normalisation, NormalisationMethod};

use crate::ProcessError;

fn err(m: String) -> ProcessError {
    ProcessError::Normalisation(m)
}

/// `P_p` of sorted `v`: the linear interpolation between order statistics at rank
/// `p / 100 · (n - 1)` (0-based).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    let r = p / 100.0 * (n - 1) as f64;
    let lo = r.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    let t = r - lo as f64;
    sorted[lo] + (sorted[hi] - sorted[lo]) * t
}

/// The normalisation of `cfg` fitted on `values` (the voxels `within` names; `within` is
/// written into the record): mean and population sd, percentiles, or extremes.
pub fn fit(
    mut values: Vec<f64>,
    cfg: &Normalisation,
    within: &str,
) -> Result<NormalisationRecord, ProcessError> {
    let m = cfg.method;
    let mut rec = NormalisationRecord {
        method: m.tag().into(),
        within: within.into(),
        voxels: values.len(),
        mean: None,
        sd: None,
        percentiles: None,
        values: None,
        center: 0.0,
        factor: 1.0,
        offset: 0.0,
        clip: None,
    };
    if m == NormalisationMethod::Fixed {
        rec.within = String::new();
        rec.voxels = 0;
        rec.factor = cfg.scale.unwrap_or(1.0);
        rec.offset = cfg.shift.unwrap_or(0.0);
        return Ok(rec);
    }
    if values.is_empty() {
        return Err(err(format!(
            "no voxel within {within} to take statistics from"
        )));
    }
    if let Some(v) = values.iter().find(|v| !v.is_finite()) {
        return Err(err(format!(
            "a voxel within {within} is not finite ({v}); the statistics need finite intensities"
        )));
    }
    let n = values.len() as f64;
    match m {
        NormalisationMethod::Zscore => {
            let mean = values.iter().sum::<f64>() / n;
            let sd = (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt();
            if sd <= 0.0 || !sd.is_finite() {
                return Err(err(format!(
                    "the intensities within {within} are constant ({mean}): their standard deviation is 0"
                )));
            }
            let (scale, shift) = (cfg.scale.unwrap_or(1.0), cfg.shift.unwrap_or(0.0));
            rec.mean = Some(mean);
            rec.sd = Some(sd);
            rec.center = mean;
            rec.factor = scale / sd;
            rec.offset = shift;
            rec.clip = cfg.clip_sd.map(|k| [shift - scale * k, shift + scale * k]);
        }
        NormalisationMethod::Percentile | NormalisationMethod::Range => {
            values.sort_by(f64::total_cmp);
            let [a, b] = cfg.percentiles.unwrap_or([0.0, 100.0]);
            let (lo, hi) = (percentile(&values, a), percentile(&values, b));
            if hi <= lo {
                return Err(err(format!(
                    "the {a}th and {b}th percentiles within {within} are equal ({lo}): nothing to scale"
                )));
            }
            let [t0, t1] = cfg.target.unwrap_or([0.0, 1.0]);
            rec.percentiles = Some([a, b]);
            rec.values = Some([lo, hi]);
            rec.center = lo;
            rec.factor = (t1 - t0) / (hi - lo);
            rec.offset = t0;
            rec.clip = cfg.clip.unwrap_or(false).then_some([t0, t1]);
        }
        NormalisationMethod::None | NormalisationMethod::Fixed => unreachable!("handled above"),
    }
    Ok(rec)
}

/// The intensities of `data` that `cfg.within` names: the voxels of `roi`, or every voxel
/// (`image`). An extra mask is the caller's to give (`extra`); without it that `within` is
/// an error naming the mask.
pub fn values_within(
    data: &Array3<f64>,
    roi: &Array3<bool>,
    cfg: &Normalisation,
    extra: Option<&Array3<bool>>,
) -> Result<Vec<f64>, ProcessError> {
    let pick = |m: &Array3<bool>| -> Vec<f64> {
        let mut out = Vec::new();
        Zip::from(data).and(m).for_each(|&v, &k| {
            if k {
                out.push(v)
            }
        });
        out
    };
    Ok(match (cfg.within.as_str(), extra) {
        (_, Some(m)) => pick(m),
        ("roi", None) => pick(roi),
        ("image", None) => data.iter().copied().collect(),
        (name, None) => {
            return Err(err(format!(
                "within = \"{name}\" needs the extra mask `{name}` (radx extract --extra-mask {name}=PATH, radx batch: the column extra_mask_{name}); this run gives none"
            )))
        }
    })
}

/// Normalises `data` in place: with the parameters fitted by the caller (`cfg.resolved`),
/// else fitted here within the ROI or the whole image. Returns what was applied.
pub fn normalise(
    data: &mut Array3<f64>,
    roi: &Array3<bool>,
    cfg: &Normalisation,
) -> Result<NormalisationRecord, ProcessError> {
    let rec = match &cfg.resolved {
        Some(r) => r.clone(),
        None => fit(values_within(data, roi, cfg, None)?, cfg, &cfg.within)?,
    };
    data.mapv_inplace(|x| rec.apply(x));
    Ok(rec)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(toml: &str) -> Normalisation {
        radx_core::Settings::from_toml_str(
            &format!("radx_settings = 1\n[normalisation]\n{toml}"),
            "t",
        )
        .unwrap()
        .normalisation
    }

    #[test]
    fn formulas_by_hand() {
        let v = vec![1.0, 2.0, 3.0, 4.0, 5.0];
        // mean 3, population sd sqrt(2)
        let z = fit(
            v.clone(),
            &cfg("method = \"zscore\"\nscale = 2.0\nshift = 10.0\nclip_sd = 1.0\n"),
            "roi",
        )
        .unwrap();
        assert_eq!((z.mean, z.sd), (Some(3.0), Some(2f64.sqrt())));
        assert!((z.apply(4.0) - (10.0 + 2.0 / 2f64.sqrt())).abs() < 1e-12);
        assert_eq!(z.apply(100.0), 12.0); // clipped at shift + scale * 1
                                          // percentiles at rank p/100 (n-1): P25 = 2, P75 = 4
        let p = fit(v.clone(), &cfg("method = \"percentile\"\npercentiles = [25.0, 75.0]\ntarget = [-1.0, 1.0]\nclip = true\n"), "roi").unwrap();
        assert_eq!(p.values, Some([2.0, 4.0]));
        assert_eq!((p.apply(3.0), p.apply(2.0), p.apply(5.0)), (0.0, -1.0, 1.0));
        assert_eq!(percentile(&[0.0, 10.0], 15.0), 1.5);
        let r = fit(v.clone(), &cfg("method = \"range\"\n"), "image").unwrap();
        assert_eq!((r.apply(1.0), r.apply(5.0), r.apply(3.0)), (0.0, 1.0, 0.5));
        let f = fit(
            Vec::new(),
            &cfg("method = \"fixed\"\nscale = 0.5\nshift = 1.0\n"),
            "roi",
        )
        .unwrap();
        assert_eq!(f.apply(4.0), 3.0);
        // constant intensities and no voxel are errors, not NaN
        let e = fit(vec![2.0; 4], &cfg("method = \"zscore\"\n"), "roi").unwrap_err();
        assert!(e.to_string().contains("constant"), "{e}");
        let e = fit(Vec::new(), &cfg("method = \"range\"\n"), "roi").unwrap_err();
        assert!(e.to_string().contains("no voxel"), "{e}");
        let e = fit(vec![1.0, f64::NAN], &cfg("method = \"range\"\n"), "image").unwrap_err();
        assert!(e.to_string().contains("not finite"), "{e}");
    }
}
