//! The settings presets radx ships (`crates/radx-core/presets/*.toml`), by name.

/// Named presets shipped with radx: `(name, manifest text)`.
pub const PRESETS: &[(&str, &str)] = &[
    (
        "ibsi-digital-phantom",
        include_str!("../../presets/ibsi-digital-phantom.toml"),
    ),
    (
        "ibsi-config-a",
        include_str!("../../presets/ibsi-config-a.toml"),
    ),
    (
        "ibsi-config-b",
        include_str!("../../presets/ibsi-config-b.toml"),
    ),
    (
        "ibsi-config-c",
        include_str!("../../presets/ibsi-config-c.toml"),
    ),
    (
        "ibsi-config-d",
        include_str!("../../presets/ibsi-config-d.toml"),
    ),
    (
        "ibsi-config-e",
        include_str!("../../presets/ibsi-config-e.toml"),
    ), // IBSI 2 phase 2 (CT phantom, configurations 1.A ... 9.B), then the phase 1 filter
    // tests (digital phantoms, for `radx filter`).
    ("ibsi2-1a", include_str!("../../presets/ibsi2-1a.toml")),
    ("ibsi2-1b", include_str!("../../presets/ibsi2-1b.toml")),
    ("ibsi2-2a", include_str!("../../presets/ibsi2-2a.toml")),
    ("ibsi2-2b", include_str!("../../presets/ibsi2-2b.toml")),
    ("ibsi2-3a", include_str!("../../presets/ibsi2-3a.toml")),
    ("ibsi2-3b", include_str!("../../presets/ibsi2-3b.toml")),
    ("ibsi2-4a", include_str!("../../presets/ibsi2-4a.toml")),
    ("ibsi2-4b", include_str!("../../presets/ibsi2-4b.toml")),
    ("ibsi2-5a", include_str!("../../presets/ibsi2-5a.toml")),
    ("ibsi2-5b", include_str!("../../presets/ibsi2-5b.toml")),
    ("ibsi2-6a", include_str!("../../presets/ibsi2-6a.toml")),
    ("ibsi2-6b", include_str!("../../presets/ibsi2-6b.toml")),
    ("ibsi2-7a", include_str!("../../presets/ibsi2-7a.toml")),
    ("ibsi2-7b", include_str!("../../presets/ibsi2-7b.toml")),
    ("ibsi2-8a", include_str!("../../presets/ibsi2-8a.toml")),
    ("ibsi2-8b", include_str!("../../presets/ibsi2-8b.toml")),
    ("ibsi2-9a", include_str!("../../presets/ibsi2-9a.toml")),
    ("ibsi2-9b", include_str!("../../presets/ibsi2-9b.toml")),
    (
        "ibsi2-phase1-1a1",
        include_str!("../../presets/ibsi2-phase1-1a1.toml"),
    ),
    (
        "ibsi2-phase1-1a2",
        include_str!("../../presets/ibsi2-phase1-1a2.toml"),
    ),
    (
        "ibsi2-phase1-1a3",
        include_str!("../../presets/ibsi2-phase1-1a3.toml"),
    ),
    (
        "ibsi2-phase1-1a4",
        include_str!("../../presets/ibsi2-phase1-1a4.toml"),
    ),
    (
        "ibsi2-phase1-1b1",
        include_str!("../../presets/ibsi2-phase1-1b1.toml"),
    ),
    (
        "ibsi2-phase1-2a",
        include_str!("../../presets/ibsi2-phase1-2a.toml"),
    ),
    (
        "ibsi2-phase1-2b",
        include_str!("../../presets/ibsi2-phase1-2b.toml"),
    ),
    (
        "ibsi2-phase1-2c",
        include_str!("../../presets/ibsi2-phase1-2c.toml"),
    ),
    (
        "ibsi2-phase1-3a1",
        include_str!("../../presets/ibsi2-phase1-3a1.toml"),
    ),
    (
        "ibsi2-phase1-3a2",
        include_str!("../../presets/ibsi2-phase1-3a2.toml"),
    ),
    (
        "ibsi2-phase1-3a3",
        include_str!("../../presets/ibsi2-phase1-3a3.toml"),
    ),
    (
        "ibsi2-phase1-3b1",
        include_str!("../../presets/ibsi2-phase1-3b1.toml"),
    ),
    (
        "ibsi2-phase1-3b2",
        include_str!("../../presets/ibsi2-phase1-3b2.toml"),
    ),
    (
        "ibsi2-phase1-3b3",
        include_str!("../../presets/ibsi2-phase1-3b3.toml"),
    ),
    (
        "ibsi2-phase1-3c1",
        include_str!("../../presets/ibsi2-phase1-3c1.toml"),
    ),
    (
        "ibsi2-phase1-3c2",
        include_str!("../../presets/ibsi2-phase1-3c2.toml"),
    ),
    (
        "ibsi2-phase1-3c3",
        include_str!("../../presets/ibsi2-phase1-3c3.toml"),
    ),
    (
        "ibsi2-phase1-4a1",
        include_str!("../../presets/ibsi2-phase1-4a1.toml"),
    ),
    (
        "ibsi2-phase1-4a2",
        include_str!("../../presets/ibsi2-phase1-4a2.toml"),
    ),
    (
        "ibsi2-phase1-4b1",
        include_str!("../../presets/ibsi2-phase1-4b1.toml"),
    ),
    (
        "ibsi2-phase1-4b2",
        include_str!("../../presets/ibsi2-phase1-4b2.toml"),
    ),
    (
        "ibsi2-phase1-5a1",
        include_str!("../../presets/ibsi2-phase1-5a1.toml"),
    ),
    (
        "ibsi2-phase1-5a2",
        include_str!("../../presets/ibsi2-phase1-5a2.toml"),
    ),
    (
        "ibsi2-phase1-6a1",
        include_str!("../../presets/ibsi2-phase1-6a1.toml"),
    ),
    (
        "ibsi2-phase1-6a2",
        include_str!("../../presets/ibsi2-phase1-6a2.toml"),
    ),
    (
        "ibsi2-phase1-7a1",
        include_str!("../../presets/ibsi2-phase1-7a1.toml"),
    ),
    (
        "ibsi2-phase1-7a2",
        include_str!("../../presets/ibsi2-phase1-7a2.toml"),
    ),
    (
        "ibsi2-phase1-8a1",
        include_str!("../../presets/ibsi2-phase1-8a1.toml"),
    ),
    (
        "ibsi2-phase1-8a2",
        include_str!("../../presets/ibsi2-phase1-8a2.toml"),
    ),
    (
        "ibsi2-phase1-8a3",
        include_str!("../../presets/ibsi2-phase1-8a3.toml"),
    ),
    (
        "ibsi2-phase1-9a",
        include_str!("../../presets/ibsi2-phase1-9a.toml"),
    ),
    (
        "ibsi2-phase1-9b1",
        include_str!("../../presets/ibsi2-phase1-9b1.toml"),
    ),
    (
        "ibsi2-phase1-10b1",
        include_str!("../../presets/ibsi2-phase1-10b1.toml"),
    ),
];
