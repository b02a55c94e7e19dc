/* Test plugin: returns as feature values what the host passed it about the settings,
 * so that a test can check a run-time plugin sees the manifest's discretisation. NaN
 * settings come back as missing values. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "radx_plugin.h"

#define N 13
static const RadxFeature FEATURES[N] = {
    {"texture_method", "", "1"},
    {"texture_bins", "", "1"},
    {"texture_bin_width_setting", "", "intensity"},
    {"texture_lower_bound_setting", "", "intensity"},
    {"texture_n_levels", "", "1"},
    {"texture_lower_edge", "", "intensity"},
    {"texture_bin_width", "", "intensity"},
    {"texture_levels_sum", "", "1"},
    {"histogram_method", "", "1"},
    {"histogram_bins", "", "1"},
    {"histogram_n_levels", "", "1"},
    {"ivh_method", "", "1"},
    {"manifest_has_bin_width_12_5", "", "1"},
};

static const RadxDescriptor DESCRIPTOR = {"echo_settings", "echo", "1.0.0", N, FEATURES};

uint32_t radx_plugin_abi_version(void) { return RADX_PLUGIN_ABI_VERSION; }

const RadxDescriptor *radx_plugin_descriptor(void) { return &DESCRIPTOR; }

static char *copy_string(const char *s) {
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c) memcpy(c, s, n);
    return c;
}

int32_t radx_plugin_compute(const RadxInput *in, RadxOutput *out) {
    uint64_t n = in->shape_zyx[0] * in->shape_zyx[1] * in->shape_zyx[2];
    double sum = 0.0;
    if (in->texture.levels) {
        for (uint64_t i = 0; i < n; i++) sum += in->texture.levels[i];
    }
    double v[N] = {
        in->texture.method,
        in->texture.bins,
        in->texture.bin_width_setting,
        in->texture.lower_bound_setting,
        in->texture.n_levels,
        in->texture.lower_edge,
        in->texture.bin_width,
        in->texture.levels ? sum : NAN,
        in->histogram.method,
        in->histogram.bins,
        in->histogram.n_levels,
        in->ivh.method,
        in->settings_toml && strstr(in->settings_toml, "bin_width = 12.5") ? 1.0 : 0.0,
    };
    out->n_values = N;
    out->values = calloc(N, sizeof(double));
    out->reasons = calloc(N, sizeof(char *));
    out->error = NULL;
    if (!out->values || !out->reasons) {
        out->error = copy_string("out of memory");
        return 1;
    }
    for (int i = 0; i < N; i++) {
        if (isnan(v[i])) {
            out->reasons[i] = copy_string("NaN");
        } else {
            out->values[i] = v[i];
        }
    }
    return 0;
}

void radx_plugin_free(RadxOutput *out) {
    if (out->reasons) {
        for (uint64_t i = 0; i < out->n_values; i++) free(out->reasons[i]);
    }
    free(out->reasons);
    free(out->values);
    free(out->error);
    out->values = NULL;
    out->reasons = NULL;
    out->error = NULL;
    out->n_values = 0;
}
