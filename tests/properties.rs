//! Property tests of invariances the IBSI definitions imply, through the whole pipeline.

use ndarray::{s, Array3};
use proptest::prelude::*;
use radx_core::{FeatureTable, Grid, Image, Mask, Settings};
use radx_pipeline::{builtin_registry, extract, CaseLabels};

fn settings() -> Settings {
    Settings::from_toml_str(
        "radx_settings = 1\n[discretisation.histogram]\nmethod = \"fbn\"\nbins = 8\n\
         [discretisation.texture]\nmethod = \"fbn\"\nbins = 8\n",
        "props",
    )
    .unwrap()
}

fn run(img: Array3<f64>, mask: Array3<bool>, spacing: [f64; 3]) -> FeatureTable {
    let (z, y, x) = img.dim();
    let grid = Grid::new([z, y, x], spacing, [0.0; 3]);
    let labels = CaseLabels {
        case: "p".into(),
        roi: "r".into(),
        image: "original".into(),
    };
    extract(
        Image::new(grid.clone(), img).unwrap(),
        Mask::new(grid, mask).unwrap(),
        &settings(),
        &builtin_registry(),
        &labels,
    )
    .unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// A random image and a random non-empty ROI on an n³ grid.
fn volume() -> impl Strategy<Value = (Array3<f64>, Array3<bool>)> {
    (3usize..7).prop_flat_map(|n| {
        (
            proptest::collection::vec(0.0f64..100.0, n * n * n),
            proptest::collection::vec(proptest::bool::weighted(0.6), n * n * n),
        )
            .prop_map(move |(v, m)| {
                let img = Array3::from_shape_vec((n, n, n), v.iter().map(|x| x.round()).collect())
                    .unwrap();
                let mut mask = Array3::from_shape_vec((n, n, n), m).unwrap();
                mask[[n / 2, n / 2, n / 2]] = true;
                (img, mask)
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Moving image and ROI together inside a larger image changes no feature value.
    #[test]
    fn features_are_translation_invariant((img, mask) in volume(), off in (0usize..4, 0usize..4, 0usize..4)) {
        let (n, _, _) = img.dim();
        let big = n + 4;
        let mut img2 = Array3::<f64>::zeros((big, big, big));
        let mut mask2 = Array3::from_elem((big, big, big), false);
        let sl = s![off.0..off.0 + n, off.1..off.1 + n, off.2..off.2 + n];
        img2.slice_mut(sl).assign(&img);
        mask2.slice_mut(sl).assign(&mask);
        // local intensity peaks see voxels outside the ROI: pad the original with zeros too
        let mut img1 = Array3::<f64>::zeros((big, big, big));
        let mut mask1 = Array3::from_elem((big, big, big), false);
        let sl0 = s![2..2 + n, 2..2 + n, 2..2 + n];
        img1.slice_mut(sl0).assign(&img);
        mask1.slice_mut(sl0).assign(&mask);
        if off == (2, 2, 2) { return Ok(()); }
        let a = run(img1, mask1, [2.0, 1.0, 1.5]);
        let b = run(img2, mask2, [2.0, 1.0, 1.5]);
        prop_assert_eq!(a.rows.len(), b.rows.len());
        for (ra, rb) in a.rows.iter().zip(&b.rows) {
            prop_assert_eq!(&ra.tag, &rb.tag);
            match (ra.value, rb.value) {
                (Some(x), Some(y)) => prop_assert!(close(x, y) || ra.tag.starts_with("loc_"), "{}: {} vs {}", ra.tag, x, y),
                (None, None) => {}
                (x, y) => prop_assert!(false, "{}: {:?} vs {:?}", ra.tag, x, y),
            }
        }
    }

    /// Intensity statistics and the intensity histogram depend only on the multiset of
    /// ROI intensities: shuffling them among ROI voxels changes none of those values.
    #[test]
    fn first_order_features_are_permutation_invariant((img, mask) in volume(), seed in any::<u64>()) {
        let mut img2 = img.clone();
        let idx: Vec<_> = mask.indexed_iter().filter(|(_, &m)| m).map(|(i, _)| i).collect();
        let mut vals: Vec<f64> = idx.iter().map(|&i| img[i]).collect();
        // deterministic shuffle
        let mut state = seed | 1;
        for i in (1..vals.len()).rev() {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17;
            vals.swap(i, (state % (i as u64 + 1)) as usize);
        }
        for (k, &i) in idx.iter().enumerate() { img2[i] = vals[k]; }
        let a = run(img, mask.clone(), [1.0; 3]);
        let b = run(img2, mask, [1.0; 3]);
        for (ra, rb) in a.rows.iter().zip(&b.rows) {
            if ra.tag.starts_with("stat_") || ra.tag.starts_with("ih_") || ra.tag.starts_with("ivh_") {
                match (ra.value, rb.value) {
                    (Some(x), Some(y)) => prop_assert!(close(x, y), "{}: {} vs {}", ra.tag, x, y),
                    (None, None) => {}
                    (x, y) => prop_assert!(false, "{}: {:?} vs {:?}", ra.tag, x, y),
                }
            }
        }
    }

    /// The voxel-counting volume of a box ROI is its voxel count times the voxel volume,
    /// and its mesh volume is at most that.
    #[test]
    fn box_roi_volume((dz, dy, dx) in (1usize..5, 1usize..5, 1usize..5), sp in (0.5f64..3.0, 0.5f64..3.0, 0.5f64..3.0)) {
        let n = 7;
        let img = Array3::from_shape_fn((n, n, n), |(z, y, x)| (z * 7 + y * 3 + x) as f64);
        let mut mask = Array3::from_elem((n, n, n), false);
        mask.slice_mut(s![1..1 + dz, 1..1 + dy, 1..1 + dx]).fill(true);
        let t = run(img, mask, [sp.0, sp.1, sp.2]);
        let expected = (dz * dy * dx) as f64 * sp.0 * sp.1 * sp.2;
        let approx = t.value("morph_vol_approx").unwrap();
        prop_assert!(close(approx, expected), "{} vs {}", approx, expected);
        let mesh = t.value("morph_volume").unwrap();
        prop_assert!(mesh > 0.0 && mesh <= expected + 1e-9, "{} vs {}", mesh, expected);
    }
}
