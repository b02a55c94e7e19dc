/* Test library: the C example plugin plus a constructor, which runs as soon as the
 * library is loaded. With RADX_TEST_ABORT it aborts the process; else, when the
 * environment names a file in RADX_TEST_MARKER, it appends the id of the process that
 * loaded it to that file. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../../../plugins/example-c/roi_stats.c"

__attribute__((constructor)) static void radx_test_constructor(void) {
#ifdef RADX_TEST_ABORT
    abort();
#else
    const char *marker = getenv("RADX_TEST_MARKER");
    if (marker) {
        FILE *f = fopen(marker, "a");
        if (f) {
            fprintf(f, "%ld\n", (long)getpid());
            fclose(f);
        }
    }
#endif
}
