/*
 * radx run-time plugin ABI, version 1 (C and C++).
 *
 * A plugin is a shared library exporting the four functions declared at the end of
 * this file. The host checks radx_plugin_abi_version() before calling anything else,
 * reads the descriptor, calls radx_plugin_compute() once per ROI and hands the output
 * back to radx_plugin_free(). Arrays are in C order, indexed (z, y, x).
 */
#ifndef RADX_PLUGIN_H
#define RADX_PLUGIN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RADX_PLUGIN_ABI_VERSION 1u

typedef struct RadxInput {
    uint64_t shape_zyx[3];
    double spacing_zyx[3];          /* mm */
    double origin_xyz[3];           /* mm, centre of voxel (0, 0, 0) */
    const double *image;            /* processed intensities */
    const uint8_t *intensity_mask;  /* 1 inside the intensity mask */
    const uint8_t *morphological_mask;
    const uint32_t *texture_levels; /* 0 outside, 1..n inside; NULL when undefined */
    uint32_t n_texture_levels;
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
    const char *version;
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
