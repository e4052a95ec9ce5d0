// Hand-vectorised kernels of the Forest target that Swift cannot express with the baseline x86-64 instruction set
// (METHOD.md §7, infinitesimal-jackknife standard errors). Each kernel is chosen at run time from what the CPU
// supports and gives the same bits as the portable Swift code it stands in for.
#ifndef SOILBETA_CFORESTKERNELS_H
#define SOILBETA_CFORESTKERNELS_H

#include <stdint.h>

/// 1 if this CPU runs `soilbeta_ij_row_sums_avx2` (AVX2), else 0.
int soilbeta_ij_avx2_available(void);

/// The quadratic-form sums of the infinitesimal-jackknife operator for `count` cells, with AVX2
/// (call only when `soilbeta_ij_avx2_available()` returned 1).
///
/// The operator has `rowCount` rows; row r holds the 8-float chunks `first(r) ..< chunkCount` at
/// `rows + 8 * rowOffset[r]`, with first(r) = r / 8 when `gram` is non-zero (upper triangle of the
/// B × B form) and 0 otherwise (direct form, one row per training row). Cell c's deviations
/// D_t = T_t − T̄ are the `chunkCount` chunks at `deviations + 8 * chunkCount * c` (zero padded).
/// For each cell and row, y_r = Σ_j row_r[j] · D[j] is accumulated in eight Float lanes (lane-wise
/// product, then sum, chunks in ascending order) and reduced as ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7));
/// then, in Double and row order, sums[c] = Σ_r D_r · y_r (gram) or Σ_r y_r² (direct).
/// No fused multiply-add: the results equal the portable Swift loop bit for bit.
void soilbeta_ij_row_sums_avx2(const float *rows, const int64_t *rowOffset, int64_t rowCount, int64_t chunkCount,
                               int gram, const float *deviations, int64_t count, double *sums);

#endif
