//! `radx maps`: voxel-wise feature maps (see the radx-maps crate), one float32 NIfTI per
//! feature and aggregation, plus a provenance sidecar.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use radx_core::Request;
use radx_io::MaskSelector;
use radx_maps::{FeatureSelector, KernelShape, MapOptions};

use crate::output::eprintln;
use crate::SettingsSource;

#[derive(Clone, Copy, ValueEnum)]
enum Kernel {
    /// Every voxel within R mm along each axis (PyRadiomics' kernel).
    Cube,
    /// Every voxel whose centre lies within R mm.
    Sphere,
}

/// Arguments of `radx maps`.
#[derive(Args)]
pub(crate) struct MapsArgs {
    /// Image: a NIfTI (.nii, .nii.gz) or NRRD file, or a DICOM series folder.
    #[arg(long, short = 'i')]
    image: PathBuf,
    /// Mask: a NIfTI or NRRD label map on the image's grid, a DICOM RTSTRUCT or SEG file.
    #[arg(long, short = 'm')]
    mask: PathBuf,
    /// Mask label that forms the ROI (default: every non-zero voxel).
    #[arg(long)]
    label: Option<i64>,
    /// RTSTRUCT / SEG: the ROI or segment, by name or number.
    #[arg(long, conflicts_with = "label")]
    roi: Option<String>,
    #[command(flatten)]
    settings: SettingsSource,
    /// Kernel radius in mm (a finite number > 0), on the processed (interpolated) grid.
    #[arg(long)]
    kernel_radius_mm: f64,
    /// Kernel shape.
    #[arg(long, value_enum, default_value = "cube")]
    kernel: Kernel,
    /// Families or single features to map, as FAMILY or FAMILY:NAME (default: every
    /// family of the settings but morphology, which has no local meaning).
    #[arg(long, num_args = 1.., value_name = "FAMILY[:NAME]")]
    features: Vec<String>,
    /// Compute every Nth voxel along each axis; maps are written on that coarser grid.
    #[arg(long, default_value_t = 1)]
    stride: usize,
    /// Output folder: one `<IBSI tag>.nii.gz` per map and `maps.provenance.json`.
    #[arg(long, short = 'o')]
    out: PathBuf,
    /// Worker threads (default: all cores). Maps are identical for any count.
    #[arg(long)]
    threads: Option<usize>,
}

pub(crate) fn maps(a: MapsArgs, build: &radx_core::BuildInfo) -> Result<ExitCode> {
    let settings = a.settings.load()?;
    if !settings.roi.is_empty() {
        anyhow::bail!("the settings derive regions ([[roi.derived]]): radx maps maps the ROI of --mask only; remove [roi] from its manifest (or give the derived region as the mask)");
    }
    crate::set_threads(a.threads, &settings.limits)?;
    let registry = radx_pipeline::registry_for(&settings)?;
    let features = a
        .features
        .iter()
        .map(|f| f.parse::<FeatureSelector>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("--features {e}"))?;
    let options = MapOptions {
        kernel: match a.kernel {
            Kernel::Cube => KernelShape::Cube,
            Kernel::Sphere => KernelShape::Sphere,
        },
        radius_mm: a.kernel_radius_mm,
        stride: a.stride,
        features,
    };
    let mut input = radx_pipeline::InputOptions::from(
        a.label.map_or(MaskSelector::NonZero, MaskSelector::Label),
    );
    if let Some(r) = &a.roi {
        input.roi = radx_pipeline::RoiSelector::parse(r);
    }
    let started = std::time::Instant::now();
    let (maps, mut provenance) =
        radx_maps::maps_inputs(&a.image, &a.mask, &input, &settings, &registry, &options)?;
    let seconds = started.elapsed().as_secs_f64();
    provenance.request = Some(Request {
        case: crate::case_name(&a.image),
        roi: match (&a.roi, a.label) {
            (Some(r), _) => r.clone(),
            (None, Some(l)) => format!("label_{l}"),
            (None, None) => "nonzero".into(),
        },
        label: a.label,
        roi_name: a.roi.clone(),
        ..Default::default()
    });
    provenance.inputs.extend(a.settings.input_record()?);
    radx_pipeline::stamp_build(&mut provenance, build);
    let side = radx_maps::write_maps(&maps, &provenance, &a.out)
        .with_context(|| a.out.display().to_string())?;
    let undefined: u64 = maps.maps.iter().map(|m| m.undefined_voxels).sum();
    let [nz, ny, nx] = maps.grid.shape_zyx;
    eprintln!(
        "radx: {} maps of {nx} x {ny} x {nz} voxels (x, y, z), {} ROI voxels, kernel of {} \
         voxels, in {seconds:.2} s; {undefined} undefined values (NaN); wrote {} and {}",
        maps.maps.len(),
        maps.roi_voxels,
        maps.kernel.voxels,
        a.out.display(),
        side.display()
    );
    for u in &maps.unmapped {
        eprintln!("radx: {}: not mapped: {}", u.family, u.reason);
    }
    Ok(ExitCode::SUCCESS)
}
