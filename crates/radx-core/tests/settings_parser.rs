//! The settings parser meets arbitrary and mutated manifests: it returns settings or an
//! error, never panics, and whatever it accepts has a canonical form that reads back to
//! the same settings id.

use proptest::prelude::*;
use radx_core::settings::{Settings, PRESETS};

/// Parses `text`; when accepted, checks that the canonical manifest reads back unchanged.
fn parse_and_round_trip(text: &str) -> Result<(), TestCaseError> {
    if let Ok(settings) = Settings::from_toml_str(text, "fuzzed.toml") {
        let manifest = settings.manifest();
        let again = Settings::from_toml_str(&manifest, "canonical.toml")
            .map_err(|e| TestCaseError::fail(format!("canonical form refused: {e}\n{manifest}")))?;
        prop_assert_eq!(again.id(), settings.id());
        prop_assert_eq!(again.canonical(), settings.canonical());
    }
    Ok(())
}

/// Pieces of TOML that reach deep into the parser and the validation when spliced in.
const TOKENS: &[&str] = &[
    "=",
    "[",
    "]",
    "\"",
    "\n",
    "#",
    ".",
    ",",
    "-",
    "0",
    "1",
    "-1",
    "1e308",
    "-1e308",
    "nan",
    "inf",
    "-inf",
    "0.0",
    "1e-300",
    "true",
    "false",
    "[[",
    "]]",
    "{",
    "}",
    "9223372036854775807",
    "bins = ",
    "bin_width = ",
    "spacing_mm = [",
    "method = ",
    "[limits]\n",
    "[features]\n",
    "families = [",
    "\"fbn\"",
    "\"fbs\"",
    "\"3d\"",
    "\"2d\"",
    "[interpolation]\n",
    "é",
    "\u{0}",
];

fn mutated(text: &str, edits: &[(usize, usize, usize)]) -> String {
    let mut chars: Vec<String> = text.chars().map(String::from).collect();
    for &(kind, at, token) in edits {
        let at = if chars.is_empty() {
            0
        } else {
            at % (chars.len() + 1)
        };
        let token = TOKENS[token % TOKENS.len()].to_string();
        match kind % 3 {
            0 => chars.insert(at, token),
            1 if at < chars.len() => {
                chars.remove(at);
            }
            _ if at < chars.len() => chars[at] = token,
            _ => chars.push(token),
        }
    }
    chars.concat()
}

#[test]
fn every_preset_round_trips_through_its_canonical_form() {
    for (name, text) in PRESETS {
        let settings = Settings::from_toml_str(text, name).expect(name);
        let again = Settings::from_toml_str(&settings.manifest(), name).expect(name);
        assert_eq!(again.id(), settings.id(), "{name}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_is_settings_or_an_error(text in ".{0,400}") {
        parse_and_round_trip(&text)?;
    }

    #[test]
    fn arbitrary_text_after_the_schema_line_is_settings_or_an_error(text in ".{0,400}") {
        parse_and_round_trip(&format!("radx_settings = 1\n{text}"))?;
    }

    #[test]
    fn mutated_presets_are_settings_or_an_error(
        preset in 0usize..PRESETS.len(),
        edits in proptest::collection::vec((0usize..3, any::<usize>(), any::<usize>()), 1..8),
    ) {
        let text = mutated(PRESETS[preset].1, &edits);
        parse_and_round_trip(&text)?;
    }
}
