//! The GLRLMs of the IBSI 1 digital phantom against the matrices worked out in the IBSI
//! reference manual (06_Digital_phantom_texture_matrices.rst): every per-slice and
//! per-direction matrix, the per-slice merged matrices and the merged 3D matrix; and
//! the voxel counts `N_v` that merged matrices carry.

mod manual_matrices;

use radx_glrlm::{Glrlm, GlrlmFamily};
use radx_texture::{DirectionalFamily, LevelVolume, Scope, TextureMatrix, DIRECTIONS_2D};

fn elements(m: &Glrlm) -> Vec<(u32, u32, u64)> {
    m.entries().iter().map(|e| (e.i, e.j, e.n)).collect()
}

fn with_phantom(f: impl FnOnce(&GlrlmFamily, &LevelVolume)) {
    let (prepared, _) = radx_testkit::digital_phantom();
    let d = prepared.texture.as_ref().unwrap();
    assert_eq!(d.levels.dim(), (4, 4, 5), "phantom (z, y, x)");
    let vol = LevelVolume {
        levels: d.levels.view(),
        n_levels: d.n_levels,
    };
    f(&GlrlmFamily::new(&vol), &vol);
}

/// ROI voxels per slice of the digital phantom (74 in all).
const SLICE_VOXELS: [u64; 4] = [20, 19, 17, 18];

#[test]
fn slice_matrices_match_the_manual() {
    with_phantom(|family, vol| {
        for (z, d, expected) in manual_matrices::SLICE {
            let m = family.build(vol, Scope::Slice(z), d);
            assert_eq!(elements(&m), expected, "slice {z}, direction {d:?}");
            assert_eq!(m.voxels(), SLICE_VOXELS[z]);
            assert_eq!(m.run_voxels(), SLICE_VOXELS[z]);
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
            // N_v is summed over the 4 merged directions
            assert_eq!(m.voxels(), 4 * SLICE_VOXELS[z]);
        }
    });
}

#[test]
fn volume_matrices_match_the_manual() {
    with_phantom(|family, vol| {
        let mut merged: Option<Glrlm> = None;
        for (d, expected) in manual_matrices::VOLUME {
            let m = family.build(vol, Scope::Volume, d);
            assert_eq!(elements(&m), expected, "direction {d:?}");
            assert_eq!(m.voxels(), 74);
            match &mut merged {
                None => merged = Some(m),
                Some(a) => a.merge(&m),
            }
        }
        let merged = merged.unwrap();
        assert_eq!(elements(&merged), manual_matrices::VOLUME_MERGED);
        assert_eq!(merged.voxels(), 13 * 74);
        assert_eq!(merged.run_voxels(), 13 * 74);
    });
}

#[test]
fn sorted_counting_gives_the_same_matrices() {
    with_phantom(|family, vol| {
        let sorted = GlrlmFamily::new(vol).with_sorted_counting();
        for (d, _) in manual_matrices::VOLUME {
            assert_eq!(
                family.build(vol, Scope::Volume, d),
                sorted.build(vol, Scope::Volume, d)
            );
        }
    });
}
