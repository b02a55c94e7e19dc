//! IBSI 1 reference values: every `ivh_` consensus row of the digital phantom, and of
//! CT phantom configuration A (no interpolation; IVH on the HU values themselves with
//! the re-segmentation range [-500, 400] as total range).

use radx_core::{FeatureValue, Settings};
use radx_testkit::{assert_ct_config_complies, assert_digital_phantom_complies, ct_phantom, input};

#[test]
fn digital_phantom_every_ivh_row() {
    let rows = assert_digital_phantom_complies(&*radx_ivh::plugin());
    assert_eq!(rows, 6);
}

#[test]
fn ct_phantom_config_a_every_ivh_row() {
    let rows = assert_ct_config_complies(&*radx_ivh::plugin(), "a");
    assert_eq!(rows, 6);
}

/// The bench settings (FBS 2.5 HU for the IVH) differ from configuration A only in the
/// IVH discretisation. With integer HU and bin edges at -500 + 2.5 k:
/// * `I_x` on bin centres: the first bin whose lower edge `e` has at most `x` of the
///   volume at or above it, where configuration A finds the first integer `I`; so
///   `e ∈ (I - 1, I - 1 + w]` and the centre lies in `(I - 1 + w/2, I - 1 + 3w/2]`;
/// * `V_10`, `V_90`: `γ >= x` is first reached at the centres -408.75 and 311.25 (FBS) and
///   at -410 and 310 (unit grid); both count the voxels at or above -410 and 310 HU,
///   so the values are equal.
#[test]
fn ct_phantom_fbs_ivh_is_consistent_with_unit_grid() {
    let sa = Settings::preset("ibsi-config-a").unwrap();
    let pa = ct_phantom(&sa);
    let unit = radx_ivh::plugin().compute(&input(&pa, &sa)).unwrap();
    let sb = radx_testkit::ct_bench_settings();
    let pb = ct_phantom(&sb);
    let fbs = radx_ivh::plugin().compute(&input(&pb, &sb)).unwrap();
    let get = |v: &[FeatureValue], n: &str| v.iter().find(|f| f.name == n).unwrap().value.unwrap();
    let w = 2.5;
    for n in ["i10", "i90"] {
        let (i, c) = (get(&unit, n), get(&fbs, n));
        assert!(
            c > i - 1.0 + w / 2.0 && c <= i - 1.0 + 1.5 * w,
            "{n}: unit grid {i}, FBS {c}"
        );
    }
    for n in ["v10", "v90", "diff_v10_v90"] {
        assert_eq!(get(&unit, n), get(&fbs, n), "{n}");
    }
}
