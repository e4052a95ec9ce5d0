// AVX2 form of the infinitesimal-jackknife quadratic form (see CForestKernels.h; METHOD.md §7).
// Eight cells share every pass over the operator's rows: one 8-float chunk of a row is loaded once and
// multiplied with the matching chunk of each cell's deviations. Products and sums are separate
// instructions (no FMA) and every lane keeps its own running sum, exactly as the portable Swift loop.
#include "CForestKernels.h"

#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

int soilbeta_ij_avx2_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") ? 1 : 0;
}

/// ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)) of the eight lanes of `a`.
__attribute__((target("avx2"))) static inline float lane_sum(__m256 a) {
    __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    return _mm_cvtss_f32(_mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1)));
}

__attribute__((target("avx2")))
void soilbeta_ij_row_sums_avx2(const float *rows, const int64_t *rowOffset, int64_t rowCount, int64_t chunkCount,
                               int gram, const float *deviations, int64_t count, double *sums) {
    const int64_t k = chunkCount;
    for (int64_t c = 0; c < count; c += 8) {
        int64_t lanes = count - c < 8 ? count - c : 8;
        // Cells beyond `count` repeat the last one; their sums are not written.
        const float *d[8];
        for (int64_t l = 0; l < 8; l++) d[l] = deviations + 8 * k * (c + (l < lanes ? l : lanes - 1));
        double t[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        for (int64_t r = 0; r < rowCount; r++) {
            int64_t first = gram ? r >> 3 : 0;
            const float *row = rows + 8 * (rowOffset[r] - first);
            __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
            __m256 a4 = _mm256_setzero_ps(), a5 = _mm256_setzero_ps(), a6 = _mm256_setzero_ps(), a7 = _mm256_setzero_ps();
            for (int64_t j = first; j < k; j++) {
                __m256 m = _mm256_loadu_ps(row + 8 * j);
                a0 = _mm256_add_ps(a0, _mm256_mul_ps(m, _mm256_loadu_ps(d[0] + 8 * j)));
                a1 = _mm256_add_ps(a1, _mm256_mul_ps(m, _mm256_loadu_ps(d[1] + 8 * j)));
                a2 = _mm256_add_ps(a2, _mm256_mul_ps(m, _mm256_loadu_ps(d[2] + 8 * j)));
                a3 = _mm256_add_ps(a3, _mm256_mul_ps(m, _mm256_loadu_ps(d[3] + 8 * j)));
                a4 = _mm256_add_ps(a4, _mm256_mul_ps(m, _mm256_loadu_ps(d[4] + 8 * j)));
                a5 = _mm256_add_ps(a5, _mm256_mul_ps(m, _mm256_loadu_ps(d[5] + 8 * j)));
                a6 = _mm256_add_ps(a6, _mm256_mul_ps(m, _mm256_loadu_ps(d[6] + 8 * j)));
                a7 = _mm256_add_ps(a7, _mm256_mul_ps(m, _mm256_loadu_ps(d[7] + 8 * j)));
            }
            float y[8] = {lane_sum(a0), lane_sum(a1), lane_sum(a2), lane_sum(a3),
                          lane_sum(a4), lane_sum(a5), lane_sum(a6), lane_sum(a7)};
            if (gram) {
                for (int l = 0; l < 8; l++) t[l] += (double)d[l][r] * (double)y[l];
            } else {
                for (int l = 0; l < 8; l++) t[l] += (double)y[l] * (double)y[l];
            }
        }
        for (int64_t l = 0; l < lanes; l++) sums[c + l] = t[l];
    }
}

#else

int soilbeta_ij_avx2_available(void) { return 0; }

void soilbeta_ij_row_sums_avx2(const float *rows, const int64_t *rowOffset, int64_t rowCount, int64_t chunkCount,
                               int gram, const float *deviations, int64_t count, double *sums) {
    (void)rows; (void)rowOffset; (void)rowCount; (void)chunkCount; (void)gram; (void)deviations;
    for (int64_t c = 0; c < count; c++) sums[c] = 0;
}

#endif
