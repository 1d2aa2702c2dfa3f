/* What one CPU can do for a 7-point stencil, without hotloop: the bound
 * the README's Laplacian rows are measured against.
 *
 * A 256^3 f64 Laplacian (0.3 * (the six faces - 6 * the centre)), interior
 * cells only, AVX-512 loads and non-temporal stores, its neighbour offsets
 * compile-time constants, beside a streaming copy of the same grid (the
 * suite's "stencils' limit" row), three ways:
 *   - one plane at a time, row by row, streamed straight from registers;
 *   - two planes side by side in blocks of 128 cells (hotloop's order),
 *     each block computed into an L1 buffer and then streamed (hotloop's
 *     stores);
 *   - the same, its plane ahead prefetched a line at a time instead of a
 *     block at a time;
 * each the best of 10 calls, on OMP_NUM_THREADS threads, each thread a
 * slab of planes.
 *
 *   gcc -O3 -march=native -fopenmp benches/c/laplacian_bound.c -o /tmp/lb
 *   OMP_NUM_THREADS=1 /tmp/lb; OMP_NUM_THREADS=2 OMP_PROC_BIND=true /tmp/lb
 *
 * Needs AVX-512 F. A plane is 512 KiB; the prefetch runs a plane, a row
 * and a block ahead, as hotloop's does. */
#include <omp.h>

enum { N = 256, P = N * N, BLOCK = 128, AHEAD = P + N + BLOCK };
#define CELLS ((size_t)N * P)
#include "bound.h"

/* The eight cells from `m` (a pointer into the input). */
static inline __m512d laplacian(const double *m) {
    __m512d f = _mm512_add_pd(_mm512_loadu_pd(m - P), _mm512_loadu_pd(m + P));
    f = _mm512_add_pd(f, _mm512_loadu_pd(m - N));
    f = _mm512_add_pd(f, _mm512_loadu_pd(m + N));
    f = _mm512_add_pd(f, _mm512_loadu_pd(m - 1));
    f = _mm512_add_pd(f, _mm512_loadu_pd(m + 1));
    f = _mm512_sub_pd(f, _mm512_mul_pd(_mm512_set1_pd(6.0), _mm512_loadu_pd(m)));
    return _mm512_mul_pd(_mm512_set1_pd(0.3), f);
}

/* This thread's planes: [x0, x1) of the interior ones. */
static void slab(size_t *x0, size_t *x1) {
    int t = omp_get_thread_num(), n = omp_get_num_threads();
    *x0 = 1 + (N - 2) * t / n;
    *x1 = 1 + (N - 2) * (t + 1) / n;
}

static void plane_at_a_time(const double *a, double *o) {
#pragma omp parallel
    {
        size_t x0, x1;
        slab(&x0, &x1);
        for (size_t x = x0; x < x1; x++)
            for (size_t y = 1; y < N - 1; y++)
                for (size_t c = x * P + y * N + 8; c < x * P + y * N + N - 8; c += 8) {
                    _mm_prefetch((const char *)(a + c + AHEAD), _MM_HINT_T0);
                    _mm512_stream_pd(o + c, laplacian(a + c));
                }
        _mm_sfence();
    }
}

/* Cells [c, c + len) through an L1 buffer, the plane ahead prefetched a
 * block at a time (`burst`) or a line at a time. */
static inline void block(const double *a, double *o, size_t c, size_t len, int burst) {
    double buf[BLOCK] __attribute__((aligned(64)));
    if (burst)
        for (size_t i = 0; i < len; i += 8)
            _mm_prefetch((const char *)(a + c + AHEAD + i), _MM_HINT_T0);
    for (size_t i = 0; i < len; i += 8) {
        if (!burst) _mm_prefetch((const char *)(a + c + AHEAD + i), _MM_HINT_T0);
        _mm512_store_pd(buf + i, laplacian(a + c + i));
    }
    for (size_t i = 0; i < len; i += 8) _mm512_stream_pd(o + c + i, _mm512_load_pd(buf + i));
}

static void side_by_side(const double *a, double *o, int burst) {
#pragma omp parallel
    {
        size_t x0, x1;
        slab(&x0, &x1);
        for (size_t x = x0; x < x1; x += 2)
            for (size_t y = 1; y < N - 1; y++)
                for (size_t z = 8; z < N - 8; z += BLOCK) {
                    size_t len = z + BLOCK < N - 8 ? BLOCK : N - 8 - z;
                    block(a, o, x * P + y * N + z, len, burst);
                    if (x + 1 < x1) block(a, o, (x + 1) * P + y * N + z, len, burst);
                }
        _mm_sfence();
    }
}

static void side_by_side_burst(const double *a, double *o) { side_by_side(a, o, 1); }
static void side_by_side_lines(const double *a, double *o) { side_by_side(a, o, 0); }

int main(void) {
    double *a = grid(), *o = grid();
    for (size_t i = 0; i < (size_t)N * P; i++) a[i] = (double)(i % 977) * 0.5;
    for (int round = 0; round < 3; round++) {
        double c = best(copy, a, o), p = best(plane_at_a_time, a, o);
        double s = best(side_by_side_burst, a, o), l = best(side_by_side_lines, a, o);
        printf("copy %.2f ms | plane at a time %.2f ms (%.2f of the copy) | "
               "side by side, block prefetch %.2f ms (%.2f) | line prefetch %.2f ms (%.2f)\n",
               c, p, c / p, s, c / s, l, c / l);
    }
    return 0;
}
