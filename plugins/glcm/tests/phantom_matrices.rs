//! The GLCMs of the IBSI 1 digital phantom against the matrices worked out in the IBSI
//! reference manual (06_Digital_phantom_texture_matrices.rst): every per-slice and
//! per-direction matrix, the per-slice merged matrices and the merged 3D matrix.

mod manual_matrices;

use radx_glcm::{Glcm, GlcmFamily};
use radx_texture::{DirectionalFamily, LevelVolume, Scope, TextureMatrix, DIRECTIONS_2D};

fn elements(m: &Glcm) -> Vec<(u32, u32, u64)> {
    m.entries().iter().map(|e| (e.i, e.j, e.n)).collect()
}

fn with_phantom(f: impl FnOnce(&GlcmFamily, &LevelVolume)) {
    let (prepared, settings) = radx_testkit::digital_phantom();
    let d = prepared.texture.as_ref().unwrap();
    assert_eq!(d.levels.dim(), (4, 4, 5), "phantom (z, y, x)");
    let vol = LevelVolume {
        levels: d.levels.view(),
        n_levels: d.n_levels,
    };
    let family = GlcmFamily::from_settings(&vol, &settings.texture);
    f(&family, &vol);
}

#[test]
fn slice_matrices_match_the_manual() {
    with_phantom(|family, vol| {
        assert_eq!(vol.occupied_slices(), vec![0, 1, 2, 3]);
        for (z, d, expected) in manual_matrices::SLICE {
            let m = family.build(vol, Scope::Slice(z), d);
            assert_eq!(elements(&m), expected, "slice {z}, direction {d:?}");
        }
    });
}

#[test]
fn slice_merged_matrices_match_the_manual() {
    with_phantom(|family, vol| {
        for (z, expected) in manual_matrices::SLICE_MERGED.iter().enumerate() {
            let mut m = family.build(vol, Scope::Slice(z), DIRECTIONS_2D[0]);
            for &d in &DIRECTIONS_2D[1..] {
                m.merge(&family.build(vol, Scope::Slice(z), d));
            }
            assert_eq!(elements(&m), *expected, "slice {z}");
        }
    });
}

#[test]
fn volume_matrices_match_the_manual() {
    with_phantom(|family, vol| {
        let mut merged: Option<Glcm> = None;
        for (d, expected) in manual_matrices::VOLUME {
            let m = family.build(vol, Scope::Volume, d);
            assert_eq!(elements(&m), expected, "direction {d:?}");
            assert_eq!(m, m.transposed(), "symmetric");
            match &mut merged {
                None => merged = Some(m),
                Some(a) => a.merge(&m),
            }
        }
        let merged = merged.unwrap();
        assert_eq!(elements(&merged), manual_matrices::VOLUME_MERGED);
        // 1054 = 2 x 527 voxel pairs over the 13 directions
        assert_eq!(merged.total(), 1054);
    });
}

#[test]
fn sorted_counting_gives_the_same_matrices() {
    with_phantom(|family, vol| {
        let sorted = GlcmFamily::new(vol, 1, true).with_sorted_counting();
        for (d, _) in manual_matrices::VOLUME {
            assert_eq!(
                family.build(vol, Scope::Volume, d),
                sorted.build(vol, Scope::Volume, d)
            );
        }
    });
}
