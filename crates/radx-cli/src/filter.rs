//! `radx filter`: the response maps of a settings manifest's convolutional filters
//! (`[[filters.maps]]`, IBSI 2) for a whole image, written as float32 NIfTI.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Args;

use crate::output::eprintln;
use crate::SettingsSource;

/// Arguments of `radx filter`.
#[derive(Args)]
pub(crate) struct FilterArgs {
    /// Image: a NIfTI (.nii, .nii.gz) or NRRD file, or a DICOM series folder.
    #[arg(long, short = 'i')]
    image: PathBuf,
    #[command(flatten)]
    settings: SettingsSource,
    /// Only the filter at this position (0-based) of the settings' `[[filters.maps]]`.
    #[arg(long)]
    filter_index: Option<usize>,
    /// Output NIfTI (.nii or .nii.gz). With several filters, each map is written beside it
    /// as `<stem>_<filter name>.nii.gz`; with one, to this path.
    #[arg(long, short = 'o')]
    out: PathBuf,
}

/// The output path of map `name` when several maps are written: `<stem>_<name>.<ext>`
/// beside `out` (`.nii.gz` and `.nii` kept).
fn sibling(out: &Path, name: &str) -> PathBuf {
    let file = out
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (stem, ext) = if let Some(s) = file.strip_suffix(".nii.gz") {
        (s.to_string(), ".nii.gz")
    } else if let Some(s) = file.strip_suffix(".nii") {
        (s.to_string(), ".nii")
    } else {
        (file.clone(), ".nii.gz")
    };
    out.with_file_name(format!("{stem}_{name}{ext}"))
}

pub(crate) fn filter(a: FilterArgs) -> Result<ExitCode> {
    let name = a
        .out
        .file_name()
        .map(|f| f.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if !(name.ends_with(".nii") || name.ends_with(".nii.gz")) {
        bail!(
            "{}: the response map is written as NIfTI; name the output .nii or .nii.gz",
            a.out.display()
        );
    }
    let settings = a.settings.load()?;
    if settings.filters.maps.is_empty() {
        bail!("the settings name no filter: add [[filters.maps]] tables (see `radx settings show --preset ibsi2-3b`)");
    }
    radx_io::guard::set_max_voxels(settings.limits.max_image_voxels);
    let image = radx_pipeline::read_image(&a.image)?;
    let maps = radx_process::filter_whole_image(image, &settings, a.filter_index)
        .with_context(|| a.image.display().to_string())?;
    let single = maps.len() == 1;
    for (name, map) in &maps {
        let path = if single {
            a.out.clone()
        } else {
            sibling(&a.out, name)
        };
        radx_io::write_nifti_image(map, &path)?;
        eprintln!(
            "radx: {name}: {} x {} x {} voxels (x, y, z) of {:?} mm -> {}",
            map.grid.shape_zyx[2],
            map.grid.shape_zyx[1],
            map.grid.shape_zyx[0],
            [
                map.grid.spacing_zyx[2],
                map.grid.spacing_zyx[1],
                map.grid.spacing_zyx[0]
            ],
            path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sibling_names_keep_the_extension() {
        assert_eq!(
            sibling(Path::new("/a/r.nii.gz"), "log_s1.5mm_3d"),
            PathBuf::from("/a/r_log_s1.5mm_3d.nii.gz")
        );
        assert_eq!(
            sibling(Path::new("r.nii"), "mean_m5_2d"),
            PathBuf::from("r_mean_m5_2d.nii")
        );
    }
}
