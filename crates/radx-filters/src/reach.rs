//! How far a filter's response depends on the image: the kernel radius per axis, from which
//! the processing chain sizes the region it filters (a sub-volume filtered with this much
//! context gives the whole image's response inside it).

use crate::laws::parse_laws;
use crate::log::log_radius;
use crate::wavelet::cascade_reach;
use crate::{Dimensions, FilterSpec};

/// How far (in voxels, per axis `(z, y, x)`) the response at a voxel depends on the
/// image: filtering a sub-volume gives the same response as filtering the whole image
/// at every voxel at least this far from the sub-volume's faces (where the boundary
/// condition does not act). `None` for filters computed in the Fourier domain
/// (Simoncelli, Riesz), whose kernels have unbounded support: filter the whole image.
pub fn reach_voxels(spec: &FilterSpec, spacing_zyx: [f64; 3]) -> Option<[usize; 3]> {
    let on = |dims: Dimensions, r: [usize; 3]| -> [usize; 3] {
        std::array::from_fn(|a| if dims.axes().contains(&a) { r[a] } else { 0 })
    };
    match spec {
        FilterSpec::Mean {
            support,
            dimensions,
            ..
        } => Some(on(*dimensions, [support / 2; 3])),
        FilterSpec::Log {
            sigma_mm,
            truncate,
            dimensions,
            riesz_order,
            ..
        } => {
            if riesz_order.is_some() {
                return None;
            }
            Some(on(
                *dimensions,
                std::array::from_fn(|a| log_radius(sigma_mm / spacing_zyx[a], *truncate)),
            ))
        }
        FilterSpec::Laws {
            kernel,
            dimensions,
            energy_delta,
            ..
        } => {
            let k = parse_laws(kernel)?;
            let r = k.iter().map(|h| h.len() / 2).max().unwrap_or(0) + energy_delta.unwrap_or(0);
            Some(on(*dimensions, [r; 3]))
        }
        FilterSpec::Gabor {
            sigma_mm,
            gamma,
            dimensions,
            rotation_invariant,
            truncate,
            ..
        } => {
            let extent = truncate * sigma_mm.max(sigma_mm / gamma);
            let r: [usize; 3] =
                std::array::from_fn(|a| (extent / spacing_zyx[a] + 0.5).floor() as usize);
            if *rotation_invariant && *dimensions == Dimensions::Volume {
                Some(r)
            } else {
                Some([0, r[1], r[2]])
            }
        }
        FilterSpec::Wavelet {
            family,
            level,
            dimensions,
            ..
        } => Some(on(*dimensions, [cascade_reach(*family, *level); 3])),
        FilterSpec::Simoncelli { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::WaveletFamily;

    fn parse(text: &str) -> FilterSpec {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn reach_follows_the_kernel_sizes() {
        // LoG sigma 1.5 mm at 1 mm: radius floor(4 * 1.5 + 0.5) = 6; 2D: no reach along z.
        let log = parse("type = \"log\"\nsigma_mm = 1.5\ndimensions = \"2d\"\n");
        assert_eq!(reach_voxels(&log, [1.0; 3]), Some([0, 6, 6]));
        assert_eq!(log_radius(1.5, 4.0), 6);
        // Laws 5-tap kernels (radius 2) plus the energy window delta 7.
        let laws = parse("type = \"laws\"\nkernel = \"L5E5E5\"\nenergy_delta = 7\n");
        assert_eq!(reach_voxels(&laws, [1.0; 3]), Some([9, 9, 9]));
        // db3 (6 taps, reach 3) at level 2: (2^2 - 1) * 3 = 9.
        let w = parse("type = \"wavelet\"\nfamily = \"db3\"\nsubband = \"HHH\"\nlevel = 2\n");
        assert_eq!(reach_voxels(&w, [1.0; 3]), Some([9, 9, 9]));
        assert_eq!(cascade_reach(WaveletFamily::Haar, 1), 1);
        // Fourier-domain filters have unbounded support.
        let s = parse("type = \"simoncelli\"\n");
        assert_eq!(reach_voxels(&s, [1.0; 3]), None);
        let r = parse("type = \"log\"\nsigma_mm = 1.0\nriesz_order = [1, 0, 0]\n");
        assert_eq!(reach_voxels(&r, [1.0; 3]), None);
    }
}
