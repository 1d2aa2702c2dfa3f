/* What both bounds share: a clock, a grid of CELLS doubles (the including
 * file defines CELLS), the STREAM-style copy of it that is their limit,
 * and the best of 10 calls. */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* A grid on huge pages where the system allows, written once. */
static double *grid(void) {
    size_t bytes = CELLS * sizeof(double);
    double *p = aligned_alloc(2 << 20, bytes);
    if (!p) exit(1);
    madvise(p, bytes, MADV_HUGEPAGE);
    memset(p, 0, bytes);
    return p;
}

static void copy(const double *a, double *o) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < CELLS; i += 8)
        _mm512_stream_pd(o + i, _mm512_load_pd(a + i));
#pragma omp parallel
    _mm_sfence();
}

/* The fastest of 10 calls of `f`, in ms. */
static double best(void (*f)(const double *, double *), const double *a, double *o) {
    double b = 1e9;
    for (int k = 0; k < 10; k++) {
        double t = now();
        f(a, o);
        t = now() - t;
        if (t < b) b = t;
    }
    return b * 1e3;
}
