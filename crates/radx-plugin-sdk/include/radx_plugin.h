/*
 * radx run-time plugin ABI, version 2 (C and C++).
 *
 * A plugin is a shared library exporting the four functions declared at the end of
 * this file. The host checks radx_plugin_abi_version() before calling anything else
 * (a library returning another version is refused), reads the descriptor, calls
 * radx_plugin_compute() once per ROI and image and hands each output back to
 * radx_plugin_free(). Arrays are in C order, indexed (z, y, x).
 *
 * Loading. The manifest pins the library by the sha256 of its file. radx reads the file
 * once, checks the hash of those bytes and loads exactly those bytes (from an anonymous
 * in-memory file on Linux, a private copy elsewhere): the library is never opened again
 * by its path, so it must not rely on its own file name or location (e.g. dladdr to find
 * data files beside it) and must not need other libraries beside it that only an rpath
 * of $ORIGIN would find.
 *
 * Threading contract.
 *  - radx_plugin_abi_version() and radx_plugin_descriptor() are called once each, from
 *    one thread, after loading and before any radx_plugin_compute().
 *  - radx_plugin_compute() IS CALLED CONCURRENTLY FROM SEVERAL THREADS, each call for a
 *    different ROI (radx batch and radx stability compute several cases at once). It
 *    must be reentrant: no unsynchronised mutable global or static state (use locals, or
 *    protect shared state with your own locks or atomics).
 *  - Library constructors run when radx loads a pinned library (and when
 *    `radx plugin inspect` reads one, in a separate child process).
 *
 * Buffers.
 *  - Everything RadxInput points to (arrays, grey-level sets, strings) belongs to the
 *    host, is read-only, and is valid only until radx_plugin_compute() returns: do not
 *    write through these pointers, free them, or keep them after returning.
 *  - The host passes a zeroed RadxOutput. The plugin allocates values, reasons (and the
 *    strings they point to) and error with an allocator of its choice; the host reads them
 *    after compute returns and then calls radx_plugin_free() on that output exactly once
 *    (whatever compute returned), on the same thread, before that thread's next compute.
 *  - The descriptor and everything it points to must stay valid and unchanged while the
 *    library is loaded.
 *
 * What the plugin receives: the processed image and masks; for each of the three grey-level
 * sets (intensity histogram, texture, intensity-volume histogram) the manifest's method
 * and parameters and what they gave for this ROI (RadxGreyLevels); the canonical text of
 * the settings manifest the ROI is computed under (settings_toml; for a response map of
 * [filters], with [features] and [discretisation] replaced by the [filters] ones); and the
 * plugin's own [plugins.settings] table as JSON (settings_json).
 *
 * Version history: 1 had only the texture levels and settings_json; 2 added the three
 * RadxGreyLevels and settings_toml (struct layout changed: version-1 libraries are refused).
 */
#ifndef RADX_PLUGIN_H
#define RADX_PLUGIN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RADX_PLUGIN_ABI_VERSION 2u

/* RadxGreyLevels.method */
#define RADX_DISCRETISATION_NONE 0u /* intensities are the grey levels */
#define RADX_DISCRETISATION_FBN 1u  /* fixed bin number */
#define RADX_DISCRETISATION_FBS 2u  /* fixed bin size */

typedef struct RadxGreyLevels {
    /* the manifest's settings */
    uint32_t method;                /* RADX_DISCRETISATION_* */
    uint32_t bins;                  /* FBN: number of bins; 0 otherwise */
    double bin_width_setting;       /* FBS: the bin width; NaN otherwise */
    double lower_bound_setting;     /* FBS: lower_bound; NaN when not set or not FBS */
    /* what they gave for this ROI */
    const uint32_t *levels;         /* 0 outside the intensity mask, 1..n_levels inside;
                                       NULL when undefined (see undefined_reason) */
    uint32_t n_levels;              /* FBN: bins; FBS and none: the highest level */
    double lower_edge;              /* intensity at the lower edge of level 1 */
    double bin_width;               /* intensity width of one level; the centre of level
                                       k is lower_edge + (k - 0.5) * bin_width */
    const char *undefined_reason;   /* NULL when levels is set */
} RadxGreyLevels;

typedef struct RadxInput {
    uint64_t shape_zyx[3];
    double spacing_zyx[3];          /* mm */
    double origin_xyz[3];           /* mm, centre of voxel (0, 0, 0) */
    const double *image;            /* processed intensities */
    const uint8_t *intensity_mask;  /* 1 inside the intensity mask (after re-segmentation) */
    const uint8_t *morphological_mask;
    RadxGreyLevels histogram;       /* [discretisation.histogram] */
    RadxGreyLevels texture;         /* [discretisation.texture] */
    RadxGreyLevels ivh;             /* [discretisation.ivh] */
    const char *settings_toml;      /* canonical settings manifest, TOML */
    const char *settings_json;      /* the plugin's own settings, JSON; "{}" if none */
} RadxInput;

typedef struct RadxFeature {
    const char *name;
    const char *ibsi_id;            /* "" when the IBSI does not define it */
    const char *unit;
} RadxFeature;

typedef struct RadxDescriptor {
    const char *name;               /* family name, as in the manifest's [[plugins]] name */
    const char *prefix;             /* tag prefix of output rows */
    const char *version;            /* recorded in provenance */
    uint64_t n_features;
    const RadxFeature *features;
} RadxDescriptor;

typedef struct RadxOutput {
    uint64_t n_values;              /* must equal the descriptor's n_features */
    double *values;
    char **reasons;                 /* NULL entry: value defined; else why it is missing */
    char *error;                    /* non-NULL: the computation failed, with this message */
} RadxOutput;

uint32_t radx_plugin_abi_version(void);
const RadxDescriptor *radx_plugin_descriptor(void);
int32_t radx_plugin_compute(const RadxInput *input, RadxOutput *output);
void radx_plugin_free(RadxOutput *output);

#ifdef __cplusplus
}
#endif

#endif /* RADX_PLUGIN_H */
