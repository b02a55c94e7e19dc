/* Example radx plugin in C: voxel count and mean intensity of the intensity mask. */
#include <stdlib.h>
#include <string.h>

#include "radx_plugin.h"

#ifndef RADX_TEST_ABI_VERSION
#define RADX_TEST_ABI_VERSION RADX_PLUGIN_ABI_VERSION
#endif

static const RadxFeature FEATURES[2] = {
    {"voxel_count", "", "1"},
    {"mean", "", "intensity"},
};

static const RadxDescriptor DESCRIPTOR = {"roi_stats", "cstats", "1.0.0", 2, FEATURES};

uint32_t radx_plugin_abi_version(void) { return RADX_TEST_ABI_VERSION; }

const RadxDescriptor *radx_plugin_descriptor(void) { return &DESCRIPTOR; }

static char *copy_string(const char *s) {
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c) memcpy(c, s, n);
    return c;
}

int32_t radx_plugin_compute(const RadxInput *in, RadxOutput *out) {
    uint64_t n = in->shape_zyx[0] * in->shape_zyx[1] * in->shape_zyx[2];
    uint64_t count = 0;
    double sum = 0.0;
    for (uint64_t i = 0; i < n; i++) {
        if (in->intensity_mask[i]) {
            count++;
            sum += in->image[i];
        }
    }
    out->n_values = 2;
    out->values = calloc(2, sizeof(double));
    out->reasons = calloc(2, sizeof(char *));
    out->error = NULL;
    if (!out->values || !out->reasons) {
        out->error = copy_string("out of memory");
        return 1;
    }
    out->values[0] = (double)count;
    if (count > 0) {
        out->values[1] = sum / (double)count;
    } else {
        out->reasons[1] = copy_string("the intensity mask is empty");
    }
    return 0;
}

#ifndef RADX_TEST_OMIT_FREE
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
#endif
