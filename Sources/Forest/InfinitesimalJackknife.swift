// Infinitesimal-jackknife standard error of the forest mean (Wager, Hastie & Efron 2014,
// "Confidence Intervals for Random Forests: The Jackknife and the Infinitesimal Jackknife",
// JMLR 15: 1625–1651; as ranger's `se.method = "infjack"`; METHOD.md §7 intervals).
import CForestKernels
import Essentials

extension RandomForest {
    /// Whether the model carries the per-tree in-bag counts that infinitesimal-jackknife standard
    /// errors need (every model trained by this build, unless a tree drew a row more than 255 times;
    /// not models read from format-1 files).
    public var hasInBagCounts: Bool { inBagCounts != nil }

    /// The forest mean and its infinitesimal-jackknife standard error for every row of `matrix`
    /// (columns matched by name), both in the units of the training response; see
    /// `predictCells(columnMajor:rowCount:probabilities:standardError:threads:)` for the estimator.
    /// `threads` workers (nil = all cores); results do not depend on the thread count.
    /// Throws `ForestError.missingFeatures`, or `.invalidInput` for non-finite features or a model
    /// without in-bag counts.
    public func predictWithStandardError(_ matrix: FeatureMatrix, threads: Int? = nil) throws
        -> (mean: [Double], standardError: [Double]) {
        let columns = try columnMapping(for: matrix)
        try validatePredictionInput(matrix, columns: columns)
        let rowCount = matrix.rowCount
        var ordered = [Double](repeating: 0, count: rowCount * columns.count)
        for (f, column) in columns.enumerated() {
            ordered.replaceSubrange((f * rowCount)..<((f + 1) * rowCount),
                                    with: matrix.values[(column * rowCount)..<((column + 1) * rowCount)])
        }
        let result = try predictCells(columnMajor: ordered, rowCount: rowCount, probabilities: [],
                                      standardError: true, threads: resolvedThreadCount(threads))
        return (result.mean, result.standardError)
    }

    /// Infinitesimal-jackknife correlations of the forest means at `matrix`'s rows (columns matched by name):
    /// `[p * rows + q]`, the estimated correlation of the errors of the forest's mean predictions at p and q
    /// under resampling of the training data (Wager, Hastie & Efron 2014, the covariance form of their Eq. 5–7):
    ///
    ///     C(p, q) = Σ_i U_i(p) U_i(q) − n ν D(p)·D(q),   U_i(p) = Σ_t (N_ti − N̄_i) D_t(p),
    ///
    /// with D_t(p) the deviation of tree t's prediction from the forest mean at p, N_ti the in-bag counts and
    /// n ν the Monte Carlo bias correction of `predictCells`; ρ = C(p, q) / √(C(p, p) C(q, q)) (the common scale
    /// λ/B² cancels). `ownTrainingRow[p]`, when not nil, is the training row that p is (a site of the training
    /// data): its own influence U_i(p) is left out, so a site's correlation with others is not diluted by the fact
    /// that it was trained on. NaN where a variance is not positive. Cost O(rows · n · B + rows² · n); meant for
    /// up to a few thousand rows. Results do not depend on `threads`.
    /// Throws `ForestError.missingFeatures`, or `.invalidInput` for non-finite features, a model without in-bag
    /// counts or a training row out of range.
    public func jackknifeCorrelations(_ matrix: FeatureMatrix, ownTrainingRow: [Int?], threads: Int? = nil) throws -> [Double] {
        guard let inBag = inBagCounts else {
            throw ForestError.invalidInput("the model has no in-bag counts for jackknife correlations; retrain it with this build")
        }
        let columns = try columnMapping(for: matrix)
        try validatePredictionInput(matrix, columns: columns)
        let rows = matrix.rowCount, n = summary.sampleCount, b = treeCount
        guard ownTrainingRow.count == rows, ownTrainingRow.allSatisfy({ row in row.map { (0..<n).contains($0) } ?? true }) else {
            throw ForestError.invalidInput("jackknife correlations: \(ownTrainingRow.count) training-row entries for \(rows) rows, or a row outside 0..<\(n)")
        }
        var ordered = [Double](repeating: 0, count: rows * columns.count)
        for (f, column) in columns.enumerated() {
            ordered.replaceSubrange((f * rows)..<((f + 1) * rows), with: matrix.values[(column * rows)..<((column + 1) * rows)])
        }
        // Deviations D_t(p), row-major [p * b + t].
        var deviations = treePredictions(columnMajor: ordered, rowCount: rows)
        for p in 0..<rows {
            var sum = 0.0
            for t in 0..<b { sum += deviations[p * b + t] }
            let mean = sum / Double(b)
            for t in 0..<b { deviations[p * b + t] -= mean }
        }
        // Centred in-bag counts, row-major [i * b + t], and n ν.
        var centred = [Double](repeating: 0, count: n * b)
        var nu = 0.0
        for i in 0..<n {
            var sum = 0.0, squares = 0.0
            for t in 0..<b { let count = Double(inBag[t * n + i]); sum += count; squares += count * count }
            let mean = sum / Double(b)
            nu += squares / Double(b) - mean * mean
            for t in 0..<b { centred[i * b + t] = Double(inBag[t * n + i]) - mean }
        }
        let correction = nu  // n ν with ν the mean over rows of the count variance: Σ_i var_i = n ν
        let workers = resolvedThreadCount(threads)
        // Influences U_i(p), row-major [p * n + i], the own row zeroed.
        var influence = [Double](repeating: 0, count: rows * n)
        influence.withUnsafeMutableBufferPointer { out in
            let shared = SharedBuffer(pointer: out)
            parallelForEach(itemCount: rows, threads: workers) { p in
                for i in 0..<n where i != ownTrainingRow[p] {
                    var dot = 0.0
                    for t in 0..<b { dot += centred[i * b + t] * deviations[p * b + t] }
                    shared.pointer[p * n + i] = dot
                }
            }
        }
        var covariance = [Double](repeating: .nan, count: rows * rows)
        covariance.withUnsafeMutableBufferPointer { out in
            let shared = SharedBuffer(pointer: out)
            parallelForEach(itemCount: rows, threads: workers) { p in
                for q in p..<rows {
                    var sum = 0.0, trees = 0.0
                    for i in 0..<n { sum += influence[p * n + i] * influence[q * n + i] }
                    for t in 0..<b { trees += deviations[p * b + t] * deviations[q * b + t] }
                    shared.pointer[p * rows + q] = sum - correction * trees
                }
            }
        }
        var correlations = [Double](repeating: .nan, count: rows * rows)
        for p in 0..<rows {
            for q in p..<rows {
                let vp = covariance[p * rows + p], vq = covariance[q * rows + q]
                guard vp > 0, vq > 0 else { continue }
                let rho = max(-1, min(1, covariance[p * rows + q] / (vp * vq).squareRoot()))
                correlations[p * rows + q] = rho
                correlations[q * rows + p] = rho
            }
        }
        return correlations
    }

    /// The model's infinitesimal-jackknife operator, built on first use (with `threads` workers)
    /// and cached for the model's lifetime. Throws `ForestError.invalidInput` if the model has no
    /// in-bag counts or its sampling makes the estimator undefined.
    func jackknifeOperator(threads: Int) throws -> JackknifeOperator {
        guard let inBag = inBagCounts else {
            throw ForestError.invalidInput("the model has no in-bag counts for standard errors (written by an older soilbeta, or a tree drew a training row more than 255 times); retrain it with this build")
        }
        return try jackknifeCache.slot.withLock { cached in
            if let cached { return cached }
            let built = try JackknifeOperator(inBag: inBag, treeCount: treeCount, rowCount: summary.sampleCount,
                                              withReplacement: parameters.sampleWithReplacement, threads: threads)
            cached = built
            return built
        }
    }

    /// Prediction of every tree for every cell, `[cell * treeCount + tree]` (features column-major in
    /// model order, as `predictCells`). For tests and brute-force checks; not tuned for speed.
    func treePredictions(columnMajor: [Double], rowCount: Int) -> [Double] {
        var output = [Double](repeating: 0, count: rowCount * treeCount)
        for cell in 0..<rowCount {
            for t in 0..<treeCount {
                var node = Int(treeRoot[t])
                while nodeFeature[node] >= 0 {
                    let x = columnMajor[Int(nodeFeature[node]) * rowCount + cell]
                    node = Int(nodeLeft[node]) + (x <= nodeValue[node] ? 0 : 1)
                }
                output[cell * treeCount + t] = nodeValue[node]
            }
        }
        return output
    }
}

/// The lazily built infinitesimal-jackknife operator of one model, shared by its copies.
/// Derived data: two caches always compare equal, so `RandomForest` equality ignores it.
final class JackknifeCache: Sendable, Equatable {
    /// The operator once built.
    let slot = Locked<JackknifeOperator?>(nil)
    static func == (lhs: JackknifeCache, rhs: JackknifeCache) -> Bool { true }
}

/// The bias-corrected infinitesimal-jackknife variance of the forest mean as a quadratic form in
/// the per-tree deviations D_t = T_t(x) − T̄(x) (T_t = tree t's prediction, T̄ their mean over the
/// B trees), precomputed once per model from the in-bag counts N_ti (tree t, training row i).
///
/// With N_c the counts centred per training row (N_ti − N̄_i), the covariance of Wager et al.
/// (2014, Eq. 5 / Theorem 1) is Cov_i = (1/B) Σ_t N_c,ti D_t (centring does not change it, since
/// Σ_t D_t = 0), and
///
///     V_IJ   = Σ_i Cov_i² = Dᵀ M D / B²,          M = N_cᵀ N_c (B × B),
///     V_IJ-U = λ · (V_IJ − (n ν / B²) Σ_t D_t²),   ν = (1/n) Σ_i var_t(N_ti),
///
/// the Monte Carlo bias correction of their Eq. 7 (for the bootstrap ν ≈ 1 and the correction is
/// exactly (n / B²) Σ_t (T_t − T̄)²; like ranger / randomForestCI, ν is the empirical count
/// variance, which also covers subsampling). λ = 1 for the bootstrap; for sampling s of n rows
/// without replacement the IJ is inflated by λ = (n / (n − s))² (ranger's finite-sample
/// correction, cf. Wager & Athey 2018, JASA 113: 1228–1242, Eq. 8 without its (n − 1)/n).
///
/// Two equivalent forms, chosen by cost per cell:
/// - gram (cost ≈ B²/2): A = λ (M − n ν I) / B², V = Dᵀ A D, with the bias correction folded
///   into the diagonal and only the upper triangle stored;
/// - direct (cost n · B, cheaper when n < B/2): V = λ (Σ_i (N_c,i · D)² − n ν DᵀD) / B².
/// Stored as `Float` in chunks of 8 trees (SIMD), summed per row in `Float` and across rows in `Double`.
struct JackknifeOperator: Sendable {
    /// Which quadratic form `rows` holds.
    enum Form: Sendable { case gram, direct }
    let form: Form
    /// Number of trees B.
    let treeCount: Int
    /// ⌈B / 8⌉: SIMD chunks per deviation vector (zero padded).
    let chunkCount: Int
    /// Number of stored rows: B (gram) or n (direct).
    let rowCount: Int
    /// Row r holds chunks `firstChunk(r) ..< chunkCount` at `rows[rowOffset[r]...]`.
    let rowOffset: [Int]
    let rows: [SIMD8<Float>]
    /// Direct form only: λ / B² and n ν.
    let scale: Double
    let diagonalCorrection: Double

    /// First stored chunk of row r: the chunk holding column r (gram, upper triangle) or 0 (direct).
    @inline(__always) func firstChunk(_ r: Int) -> Int { form == .gram ? r >> 3 : 0 }

    /// Builds the operator from tree-major in-bag counts `inBag[t * rowCount + i]` of `treeCount`
    /// trees on `rowCount` training rows. Throws if sampling without replacement took every row
    /// (all trees see the same data: the estimator is undefined).
    init(inBag: [UInt8], treeCount: Int, rowCount n: Int, withReplacement: Bool, threads: Int) throws {
        let b = treeCount
        var rowMean = [Double](repeating: 0, count: n)
        var rowSquares = [Double](repeating: 0, count: n)
        var total = 0.0
        for t in 0..<b {
            for i in 0..<n {
                let count = Double(inBag[t * n + i])
                rowMean[i] += count
                rowSquares[i] += count * count
            }
        }
        var nu = 0.0
        for i in 0..<n {
            total += rowMean[i]
            rowMean[i] /= Double(b)
            nu += rowSquares[i] / Double(b) - rowMean[i] * rowMean[i]
        }
        nu /= Double(n)
        var inflation = 1.0
        if !withReplacement {
            let fraction = total / (Double(n) * Double(b))
            guard fraction < 1 else {
                throw ForestError.invalidInput("infinitesimal-jackknife standard errors are undefined when every tree is grown on all training rows (sampling without replacement with sample fraction 1); retrain with a smaller sample fraction or with replacement")
            }
            inflation = 1 / ((1 - fraction) * (1 - fraction))
        }
        let chunks = (b + 7) / 8
        let gramCost = (0..<b).reduce(0) { $0 + chunks - ($1 >> 3) }
        let form: Form = gramCost <= n * chunks ? .gram : .direct
        let stored = form == .gram ? b : n
        var offsets = [Int](repeating: 0, count: stored + 1)
        for r in 0..<stored { offsets[r + 1] = offsets[r] + chunks - (form == .gram ? r >> 3 : 0) }
        // Centred counts, tree-major.
        var centred = [Double](repeating: 0, count: b * n)
        for t in 0..<b { for i in 0..<n { centred[t * n + i] = Double(inBag[t * n + i]) - rowMean[i] } }
        var rows = [SIMD8<Float>](repeating: SIMD8(), count: offsets[stored])
        let scale = inflation / (Double(b) * Double(b))
        let correction = Double(n) * nu
        rows.withUnsafeMutableBufferPointer { rowBuffer in
        centred.withUnsafeBufferPointer { nc in
            let shared = UncheckedBox((rowBuffer, nc))
            parallelForEach(itemCount: stored, threads: threads) { r in
                let (out, nc) = shared.value
                let row = out.baseAddress.map { $0 + offsets[r] }
                guard let row, let ncBase = nc.baseAddress else { return }
                let raw = UnsafeMutableRawPointer(row).assumingMemoryBound(to: Float.self)
                if form == .direct {
                    // Row i: N_c,ti for every tree t (padding stays 0).
                    for t in 0..<b { raw[t] = Float(ncBase[t * n + r]) }
                    return
                }
                // Row r of A from column 8·⌊r/8⌋: 0 below the diagonal, A_rr / 2 on it, A_ru above.
                let start = (r >> 3) * 8
                let a = ncBase + r * n
                for u in r..<b {
                    let c = ncBase + u * n
                    var dot = 0.0
                    for i in 0..<n { dot += a[i] * c[i] }
                    var entry = scale * (dot - (u == r ? correction : 0))
                    if u == r { entry *= 0.5 }
                    raw[u - start] = Float(entry)
                }
            }
        }}
        (self.form, self.treeCount, self.chunkCount, self.rowCount) = (form, b, chunks, stored)
        (self.rowOffset, self.rows, self.scale, self.diagonalCorrection) = (offsets, rows, scale, correction)
    }

    /// Bias-corrected IJ variances (not clamped; may be negative) of `count` cells whose deviations
    /// D_t (zero padded to `chunkCount` chunks) lie at `deviations + cell * chunkCount`, written to
    /// `out[cell]`. `kernel` picks the AVX2 kernel (eight cells per pass over `rows`) or the portable Swift loop (four);
    /// both do every cell's arithmetic in the same order whatever its neighbours, so results do not depend on the
    /// CPU, blocking or threads.
    func variances(deviations: UnsafePointer<SIMD8<Float>>, count: Int, into out: UnsafeMutablePointer<Double>,
                   kernel: JackknifeKernel = .fastest) {
        if count <= 0 { return }
        let sums = UnsafeMutablePointer<Double>.allocate(capacity: count)
        defer { sums.deallocate() }
        rows.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else {
                for c in 0..<count { sums[c] = 0 }
                return
            }
            if kernel == .fastest, JackknifeKernel.avx2 {
                rowOffset.withUnsafeBufferPointer { offsets in
                    guard let offsets = offsets.baseAddress else { return }
                    let raw = UnsafeRawPointer(base).assumingMemoryBound(to: Float.self)
                    let cells = UnsafeRawPointer(deviations).assumingMemoryBound(to: Float.self)
                    offsets.withMemoryRebound(to: Int64.self, capacity: rowCount + 1) { offsets in
                        soilbeta_ij_row_sums_avx2(raw, offsets, Int64(rowCount), Int64(chunkCount), form == .gram ? 1 : 0,
                                                  cells, Int64(count), sums)
                    }
                }
                return
            }
            portableRowSums(base: base, deviations: deviations, count: count, into: sums)
        }
        for c in 0..<count { out[c] = finish(sums[c], deviations: deviations + c * chunkCount) }
    }

    /// The per-cell sums of `variances` in Swift SIMD (any CPU): four cells share each pass over `rows`; per row and
    /// cell, eight Float lanes accumulate the products chunk by chunk and are reduced by `laneSum`, then the row's
    /// term is added in Double. The AVX2 kernel (`soilbeta_ij_row_sums_avx2`) does the same arithmetic in the same order.
    private func portableRowSums(base: UnsafePointer<SIMD8<Float>>, deviations: UnsafePointer<SIMD8<Float>>, count: Int,
                                 into sums: UnsafeMutablePointer<Double>) {
        let k = chunkCount
        var c = 0
        while c < count {
            let lanes = min(4, count - c)
            // Unused lanes repeat the last cell; their results are not written.
            let d0 = deviations + c * k
            let d1 = deviations + (c + min(1, lanes - 1)) * k
            let d2 = deviations + (c + min(2, lanes - 1)) * k
            let d3 = deviations + (c + min(3, lanes - 1)) * k
            var t0 = 0.0, t1 = 0.0, t2 = 0.0, t3 = 0.0
            for r in 0..<rowCount {
                let first = firstChunk(r)
                let row = base + rowOffset[r] - first
                var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
                var j = first
                while j < k {
                    let a = row[j]
                    a0 += a * d0[j]; a1 += a * d1[j]; a2 += a * d2[j]; a3 += a * d3[j]
                    j += 1
                }
                let y0 = Double(laneSum(a0)), y1 = Double(laneSum(a1)), y2 = Double(laneSum(a2)), y3 = Double(laneSum(a3))
                if form == .gram {
                    let chunk = r >> 3, lane = r & 7
                    t0 += Double(d0[chunk][lane]) * y0; t1 += Double(d1[chunk][lane]) * y1
                    t2 += Double(d2[chunk][lane]) * y2; t3 += Double(d3[chunk][lane]) * y3
                } else {
                    t0 += y0 * y0; t1 += y1 * y1; t2 += y2 * y2; t3 += y3 * y3
                }
            }
            sums[c] = t0
            if lanes > 1 { sums[c + 1] = t1 }
            if lanes > 2 { sums[c + 2] = t2 }
            if lanes > 3 { sums[c + 3] = t3 }
            c += lanes
        }
    }

    /// ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)): the lane reduction both kernels use.
    @inline(__always) private func laneSum(_ a: SIMD8<Float>) -> Float {
        let s4 = a.lowHalf + a.highHalf
        let s2 = s4.lowHalf + s4.highHalf
        return s2[0] + s2[1]
    }

    /// The variance from a cell's accumulated quadratic form.
    @inline(__always) private func finish(_ sum: Double, deviations d: UnsafePointer<SIMD8<Float>>) -> Double {
        if form == .gram { return 2 * sum }
        var squares = 0.0
        for j in 0..<chunkCount {
            let chunk = d[j]
            for lane in 0..<8 { squares += Double(chunk[lane]) * Double(chunk[lane]) }
        }
        return scale * (sum - diagonalCorrection * squares)
    }
}

/// Which implementation evaluates the IJ quadratic form: both give the same bits.
enum JackknifeKernel: Sendable {
    /// The AVX2 kernel of `CForestKernels` when the CPU has AVX2, else the portable one (eight cells per pass).
    case fastest
    /// The Swift SIMD loop, for any CPU (four cells per pass).
    case portable

    /// Whether this CPU runs the AVX2 kernel (checked once).
    static let avx2: Bool = soilbeta_ij_avx2_available() != 0
}
