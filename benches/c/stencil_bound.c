/* What one CPU can do for a 5-point stencil, without hotloop: the bound
 * the README's stencil rows are explained by.
 *
 * A 4096^2 f64 Jacobi step (0.25 * the four neighbours), interior only,
 * AVX-512 loads and non-temporal stores, three ways, beside a streaming
 * copy of the same grid (the suite's "stencils' limit" row):
 *   - one row at a time, its row below prefetched 2 KiB ahead;
 *   - two rows side by side in blocks of 128 cells (hotloop's order);
 * each the best of 10 calls, on OMP_NUM_THREADS threads.
 *
 *   gcc -O3 -march=native -fopenmp benches/c/stencil_bound.c -o /tmp/sb
 *   OMP_NUM_THREADS=1 /tmp/sb; OMP_NUM_THREADS=2 OMP_PROC_BIND=true /tmp/sb
 *
 * Needs AVX-512 F. Rows are 32 KiB, so three of them do not fit a 32 KiB
 * L1: the second row of a side-by-side pair finds the rows it shares with
 * the first there. */

enum { N = 4096, BLOCK = 128 };
#define CELLS ((size_t)N * N)
#include "bound.h"

/* Cells [z0, z1) of row y, z0 and z1 multiples of 8. */
static inline void cells(const double *a, double *o, size_t y, size_t z0, size_t z1) {
    const double *u = a + (y - 1) * N, *m = a + y * N, *d = a + (y + 1) * N;
    const __m512d q = _mm512_set1_pd(0.25);
    for (size_t z = z0; z < z1; z += 8) {
        _mm_prefetch((const char *)(d + z + 256), _MM_HINT_T0);
        __m512d s = _mm512_add_pd(_mm512_loadu_pd(m + z + 1), _mm512_load_pd(d + z));
        s = _mm512_add_pd(_mm512_add_pd(s, _mm512_loadu_pd(m + z - 1)), _mm512_load_pd(u + z));
        _mm512_stream_pd(o + y * N + z, _mm512_mul_pd(q, s));
    }
}

static void row_at_a_time(const double *a, double *o) {
#pragma omp parallel for schedule(static)
    for (size_t y = 1; y < N - 1; y++) cells(a, o, y, 8, N - 8);
#pragma omp parallel
    _mm_sfence();
}

static void side_by_side(const double *a, double *o) {
#pragma omp parallel for schedule(static)
    for (size_t y = 1; y < N - 2; y += 2)
        for (size_t z = 8; z < N - 8; z += BLOCK) {
            size_t end = z + BLOCK < N - 8 ? z + BLOCK : N - 8;
            cells(a, o, y, z, end);
            cells(a, o, y + 1, z, end);
        }
#pragma omp parallel
    _mm_sfence();
}

int main(void) {
    double *a = grid(), *o = grid();
    for (size_t i = 0; i < (size_t)N * N; i++) a[i] = (double)(i % 977) * 0.5;
    for (int round = 0; round < 3; round++) {
        double c = best(copy, a, o), r = best(row_at_a_time, a, o), s = best(side_by_side, a, o);
        printf("copy %.2f ms | row at a time %.2f ms (%.2f of the copy) | "
               "two side by side %.2f ms (%.2f)\n", c, r, c / r, s, c / s);
    }
    return 0;
}
