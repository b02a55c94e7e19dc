//! Settings grids: a base manifest with some keys varied over lists of values.
//!
//! An axis is written `key=v1,v2,...`: `key` is a dotted path into the settings manifest
//! (`discretisation.texture.bin_width`, `interpolation.spacing_mm`, `texture.dimensions`),
//! each value a TOML value (`25`, `[2.0, 2.0, 2.0]`, `["2D"]`, `"fbn"`; a bare word is
//! taken as a string). Values are split at top-level commas only, so arrays keep theirs.
//! Several keys joined by `+` take the same value together
//! (`discretisation.texture.bin_width+discretisation.histogram.bin_width=10,25,50`).
//! The grid is the Cartesian product of its axes, the last axis varying fastest; every
//! point is parsed and validated as a manifest of its own.

use std::str::FromStr;

use radx_core::Settings;

use crate::StabilityError;

/// One axis of a settings grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// Dotted keys set together to each value.
    pub keys: Vec<String>,
    pub values: Vec<toml::Value>,
}

impl FromStr for Axis {
    type Err = StabilityError;

    fn from_str(text: &str) -> Result<Self, StabilityError> {
        let bad = |message: &str| StabilityError::Grid(format!("`{text}`: {message}"));
        let (keys, values) = text
            .split_once('=')
            .ok_or_else(|| bad("expected key=value1,value2,..."))?;
        let keys: Vec<String> = keys.split('+').map(|k| k.trim().to_string()).collect();
        if keys.iter().any(|k| {
            k.is_empty()
                || k.split('.').any(|part| {
                    part.is_empty()
                        || !part
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                })
        }) {
            return Err(bad(
                "keys are dotted names such as discretisation.texture.bin_width",
            ));
        }
        let values = split_top_level(values)
            .into_iter()
            .map(|v| parse_value(&v).map_err(|e| bad(&e)))
            .collect::<Result<Vec<_>, _>>()?;
        if values.is_empty() {
            return Err(bad("no values"));
        }
        Ok(Axis { keys, values })
    }
}

/// Splits at commas outside brackets and quotes; trims each piece; drops empty pieces.
fn split_top_level(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut depth, mut quoted, mut current) = (0i32, false, String::new());
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '[' | '{' if !quoted => depth += 1,
            ']' | '}' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                out.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    out.push(current);
    out.into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// A TOML value, or a bare word as a string.
fn parse_value(text: &str) -> Result<toml::Value, String> {
    #[derive(serde::Deserialize)]
    struct One {
        v: toml::Value,
    }
    match toml::from_str::<One>(&format!("v = {text}")) {
        Ok(one) => Ok(one.v),
        Err(_)
            if text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)) =>
        {
            Ok(toml::Value::String(text.to_string()))
        }
        Err(e) => Err(format!("`{text}` is not a TOML value: {}", e.message())),
    }
}

/// A short label of a value for condition names: `25`, `2x2x2`, `3D`, `fbn`.
pub fn value_label(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => format!("{f}"),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Array(a) => a.iter().map(value_label).collect::<Vec<_>>().join("x"),
        other => other.to_string(),
    }
}

/// One point of a grid: its settings and the (keys, value) pairs that made it.
#[derive(Debug, Clone)]
pub struct GridPoint {
    pub settings: Settings,
    /// `key=value` for every axis, in axis order.
    pub changes: Vec<(String, String)>,
}

/// Every point of the grid over `base`. With no axes, the base alone.
pub fn settings_grid(base: &Settings, axes: &[Axis]) -> Result<Vec<GridPoint>, StabilityError> {
    // The manifest form keeps the base's resource limits for every point.
    let base_value: toml::Value = toml::from_str(&base.manifest())
        .map_err(|e| StabilityError::Grid(format!("base settings: {e}")))?;
    let mut points = Vec::new();
    let total =
        radx_core::limits::product(&axes.iter().map(|a| a.values.len()).collect::<Vec<_>>());
    base.limits
        .check(
            radx_core::Limit::Conditions,
            &format!(
                "a settings grid of {} points",
                axes.iter()
                    .map(|a| a.values.len().to_string())
                    .collect::<Vec<_>>()
                    .join(" x ")
            ),
            total,
        )
        .map_err(|e| StabilityError::Grid(e.to_string()))?;
    let total = total as usize;
    for mut n in 0..total {
        // Mixed-radix index, last axis fastest.
        let mut picks = vec![0; axes.len()];
        for (i, a) in axes.iter().enumerate().rev() {
            picks[i] = n % a.values.len();
            n /= a.values.len();
        }
        let mut value = base_value.clone();
        let mut changes = Vec::new();
        for (a, &p) in axes.iter().zip(&picks) {
            for key in &a.keys {
                set_key(&mut value, key, a.values[p].clone())?;
            }
            changes.push((a.keys.join("+"), value_label(&a.values[p])));
        }
        let text = toml::to_string(&value)
            .map_err(|e| StabilityError::Grid(format!("grid point: {e}")))?;
        let name = changes
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut settings = Settings::from_toml_str(&text, &format!("point {name}"))
            .map_err(|e| StabilityError::Grid(e.to_string()))?;
        settings.source_dir = base.source_dir.clone();
        points.push(GridPoint { settings, changes });
    }
    Ok(points)
}

/// Sets a dotted key in a TOML table, creating tables on the way.
fn set_key(root: &mut toml::Value, key: &str, v: toml::Value) -> Result<(), StabilityError> {
    let parts: Vec<&str> = key.split('.').collect();
    let mut at = root;
    for (i, part) in parts.iter().enumerate() {
        let table = at.as_table_mut().ok_or_else(|| {
            StabilityError::Grid(format!(
                "`{key}`: `{}` is not a table",
                parts[..i].join(".")
            ))
        })?;
        if i + 1 == parts.len() {
            table.insert(part.to_string(), v);
            return Ok(());
        }
        at = table
            .entry(part.to_string())
            .or_insert_with(|| toml::Value::Table(Default::default()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_parse_arrays_and_linked_keys() {
        let a: Axis = "interpolation.spacing_mm=[1,1,1],[2.0,2.0,2.0]"
            .parse()
            .unwrap();
        assert_eq!(a.keys, vec!["interpolation.spacing_mm"]);
        assert_eq!(a.values.len(), 2);
        assert_eq!(value_label(&a.values[0]), "1x1x1");
        let b: Axis = "discretisation.texture.bin_width+discretisation.histogram.bin_width=10,25"
            .parse()
            .unwrap();
        assert_eq!(b.keys.len(), 2);
        let c: Axis = "discretisation.texture.method=fbn".parse().unwrap();
        assert_eq!(c.values, vec![toml::Value::String("fbn".into())]);
        assert!("no_equals".parse::<Axis>().is_err());
        assert!("a..b=1".parse::<Axis>().is_err());
        assert!("a=[1,".parse::<Axis>().is_err());
    }

    #[test]
    fn a_grid_beyond_the_condition_limit_is_refused_and_points_keep_the_limits() {
        let base = Settings::from_toml_str(
            "radx_settings = 1\n[limits]\nmax_conditions = 8\nmax_grey_levels = 100000\n",
            "b",
        )
        .unwrap();
        let axis = |n: usize| -> Axis {
            format!(
                "texture.glcm_distance={}",
                (1..=n).map(|i| i.to_string()).collect::<Vec<_>>().join(",")
            )
            .parse()
            .unwrap()
        };
        let e = settings_grid(&base, &[axis(3), axis(3)])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("a settings grid of 3 x 3 points needs 9 conditions")
                && e.contains("limits.max_conditions"),
            "{e}"
        );
        // Ten axes of ten values: 10^10 points, refused without building one.
        let e = settings_grid(&base, &vec![axis(10); 10])
            .unwrap_err()
            .to_string();
        assert!(e.contains("needs 10000000000 conditions"), "{e}");
        // Points keep the base's limits: 100000 bins validate.
        let bins: Axis = "discretisation.texture.bins=100000".parse().unwrap();
        let with_method: Axis = "discretisation.texture.method=\"fbn\"".parse().unwrap();
        let points = settings_grid(&base, &[with_method, bins, axis(2)]).unwrap();
        assert_eq!(points.len(), 2);
        assert_eq!(points[0].settings.limits, base.limits);
    }

    #[test]
    fn grid_is_the_cartesian_product_and_each_point_validates() {
        let base = Settings::preset("ibsi-config-e").unwrap();
        let axes: Vec<Axis> = vec![
            "discretisation.texture.bins+discretisation.histogram.bins=16,32,64"
                .parse()
                .unwrap(),
            "interpolation.spacing_mm=[1.0,1.0,1.0],[2.0,2.0,2.0]"
                .parse()
                .unwrap(),
        ];
        let grid = settings_grid(&base, &axes).unwrap();
        assert_eq!(grid.len(), 6);
        let ids: std::collections::BTreeSet<String> =
            grid.iter().map(|p| p.settings.id()).collect();
        assert_eq!(ids.len(), 6, "every point differs");
        assert_eq!(grid[1].changes[1].1, "2x2x2");
        assert_eq!(grid[1].changes[0].1, "16");
        assert_eq!(
            grid[1].settings.interpolation.spacing_mm,
            Some([2.0, 2.0, 2.0])
        );
        // A point equal to the base has the base's id.
        let same =
            settings_grid(&base, &["discretisation.texture.bins=32".parse().unwrap()]).unwrap();
        assert_eq!(same[0].settings.id(), base.id());
        // An invalid value is a named error.
        let bad = settings_grid(&base, &["discretisation.texture.bins=-3".parse().unwrap()]);
        assert!(bad.is_err());
        // No axes: the base alone.
        assert_eq!(settings_grid(&base, &[]).unwrap().len(), 1);
    }
}
