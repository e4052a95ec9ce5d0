// β mean, quantile-regression-forest quantiles and infinitesimal-jackknife standard errors for many
// grid cells in one pass over the trees (METHOD.md §7 intervals, §8 grid prediction).
import Essentials

/// Cells per block of `predictCells` (the unit of work handed to a thread).
let cellBlockSize = 64

extension RandomForest {
    /// Whether the model carries the leaf data quantile predictions need (trained with `keepQuantileData`).
    public var hasQuantileData: Bool { quantileData != nil }

    /// Predicts, for `rowCount` cells, the forest mean and the quantile regression forest
    /// quantiles (Meinshausen 2006, "Quantile Regression Forests", JMLR 7: 983–999) in one
    /// descent per tree and cell. The features are `columnMajor[f * rowCount + row]` in the order
    /// of `featureNames`, in the units the model was trained with; the outputs are in the units of
    /// the training response. The mean is ŷ(x) = (1/k) Σₜ ŷₜ(x) over the k trees; the α-quantile is
    /// inf{y : F̂(y | x) ≥ α} with F̂(y | x) = Σᵢ wᵢ(x) 1{yᵢ ≤ y} and wᵢ(x) = (1/k) Σₜ 1{i ∈ leafₜ(x)} / |leafₜ(x)|
    /// over all training rows i.
    ///
    /// Cells are taken in blocks of 64; for each tree the whole block descends while the tree's
    /// nodes sit in L1 cache, and the leaves reached feed both the mean and the QRF weights.
    /// Results equal `predictWithQuantiles` bit for bit (same summation order; the QRF weights
    /// are scanned in ascending rank order) and do not depend on `threads`.
    ///
    /// - Parameters:
    ///   - columnMajor: `rowCount × featureNames.count` finite feature values, column-major.
    ///   - rowCount: number of cells.
    ///   - probabilities: quantile levels, ascending within [0, 1].
    ///   - threads: worker threads (≥ 1).
    /// - Returns: `mean[row]` and `quantiles[q][row]` for each probability q.
    /// - Throws: `ForestError.invalidInput` if the model has no quantile data, the probabilities
    ///   are not ascending within [0, 1], or the matrix size does not match.
    public func predictCells(columnMajor: [Double], rowCount: Int, probabilities: [Double],
                             threads: Int) throws -> (mean: [Double], quantiles: [[Double]]) {
        guard quantileData != nil else {
            throw ForestError.invalidInput("the model has no quantile data; retrain it with `soilbeta forest train --quantiles`")
        }
        let result = try predictCells(columnMajor: columnMajor, rowCount: rowCount, probabilities: probabilities,
                                      standardError: false, threads: threads)
        return (result.mean, result.quantiles)
    }

    /// Predicts, for `rowCount` cells and in one descent per tree and cell, the forest mean, the
    /// quantile regression forest quantiles (as `predictCells(columnMajor:rowCount:probabilities:threads:)`)
    /// and, if `standardError`, the infinitesimal-jackknife standard error of the mean
    /// (Wager, Hastie & Efron 2014, JMLR 15: 1625–1651, Eq. 5 with the bias correction of Eq. 7;
    /// ranger's `se.method = "infjack"` without its empirical-Bayes calibration):
    /// SE(x) = √max(V_IJ-U(x), 0) with V_IJ-U = λ (Σᵢ Cov_t(N_ti, T_t(x))² − (n ν / B²) Σ_t (T_t(x) − T̄(x))²),
    /// N_ti the in-bag count of training row i in tree t, T_t(x) tree t's prediction, B trees,
    /// ν the mean over rows of the in-bag counts' variance across trees (≈ 1 for the bootstrap),
    /// λ = 1 with replacement and (n / (n − s))² for samples of s rows without replacement.
    /// Negative corrected variances (Monte Carlo noise exceeding the signal, typical for few
    /// trees or nearly constant predictions) give SE 0. See `JackknifeOperator` for the
    /// precomputed quadratic form (built on the first call per model, then cached).
    ///
    /// Results do not depend on `threads` (bit for bit); mean and quantiles equal the
    /// quantile-only call bit for bit.
    ///
    /// - Parameters:
    ///   - columnMajor: `rowCount × featureNames.count` finite feature values, column-major, in the
    ///     order of `featureNames` and the units the model was trained with.
    ///   - rowCount: number of cells.
    ///   - probabilities: quantile levels, ascending within [0, 1]; may be empty (then the model
    ///     needs no quantile data).
    ///   - standardError: whether to compute the standard errors.
    ///   - threads: worker threads (≥ 1).
    /// - Returns: mean, quantiles and (if requested, else empty) standard errors per cell, in the
    ///   units of the training response.
    /// - Throws: `ForestError.invalidInput` if quantiles are asked of a model without quantile data,
    ///   standard errors of a model without in-bag counts (retrain it), the probabilities are not
    ///   ascending within [0, 1], or the matrix size does not match.
    public func predictCells(columnMajor: [Double], rowCount: Int, probabilities: [Double], standardError: Bool,
                             threads: Int) throws -> CellPredictions {
        let qrf = quantileData ?? QuantileLeafData(sortedResponses: [], leafOffset: [], leafRanks: [])
        guard probabilities.isEmpty || quantileData != nil else {
            throw ForestError.invalidInput("the model has no quantile data; retrain it with `soilbeta forest train --quantiles`")
        }
        guard probabilities == probabilities.sorted(), probabilities.allSatisfy({ $0 >= 0 && $0 <= 1 }) else {
            throw ForestError.invalidInput("quantile probabilities must be ascending within [0, 1]")
        }
        let featureCount = featureNames.count
        guard rowCount >= 0, columnMajor.count == rowCount * featureCount else {
            throw ForestError.invalidInput("prediction matrix holds \(columnMajor.count) values, \(rowCount) cells × \(featureCount) features need \(rowCount * featureCount)")
        }
        let jackknife = standardError ? try jackknifeOperator(threads: max(1, threads)) : nil
        let q = probabilities.count
        if rowCount == 0 { return CellPredictions(mean: [], quantiles: Array(repeating: [], count: q), standardError: []) }
        var mean = [Double](repeating: .nan, count: rowCount)
        var quantiles = [Double](repeating: .nan, count: q * rowCount)
        var standardErrors = [Double](repeating: .nan, count: standardError ? rowCount : 0)
        let blocks = (rowCount + cellBlockSize - 1) / cellBlockSize
        let kernel = CellKernelInput(rowCount: rowCount, blocks: blocks, quantileCount: q, qrf: qrf, jackknife: jackknife,
                                     threads: max(1, threads))
        let complete: Bool
        switch rankedNodes(threads: max(1, threads)) {
        case .packed(let ranked):
            complete = predictCells(ranked, columnMajor: columnMajor, probabilities: probabilities, kernel: kernel,
                                    mean: &mean, quantiles: &quantiles, standardErrors: &standardErrors)
        case .wide(let ranked):
            complete = predictCells(ranked, columnMajor: columnMajor, probabilities: probabilities, kernel: kernel,
                                    mean: &mean, quantiles: &quantiles, standardErrors: &standardErrors)
        }
        if !complete { throw ForestError.invalidInput("the model has no nodes or no quantile leaf data") }
        return CellPredictions(mean: mean, quantiles: (0..<q).map { Array(quantiles[($0 * rowCount)..<(($0 + 1) * rowCount)]) },
                               standardError: standardErrors)
    }

    /// The shape of one `predictCells` call: cells, blocks of `cellBlockSize` cells, quantile levels, the QRF leaf
    /// data (empty without quantiles), the IJ operator (nil without standard errors) and the worker threads.
    struct CellKernelInput {
        let rowCount, blocks, quantileCount: Int
        let qrf: QuantileLeafData
        let jackknife: JackknifeOperator?
        let threads: Int
    }

    /// `predictCells`'s work with the ranked nodes: blocks of `cellBlockSize` cells handed to the threads.
    /// Returns false if the model has no nodes, or quantiles are asked and it has no QRF leaf data.
    private func predictCells<Node>(_ ranked: RankedForest<Node>, columnMajor: [Double], probabilities: [Double],
                                    kernel: CellKernelInput, mean: inout [Double], quantiles: inout [Double],
                                    standardErrors: inout [Double]) -> Bool {
        let (rowCount, q, treeCount, featureCount) = (kernel.rowCount, kernel.quantileCount, self.treeCount, featureNames.count)
        var complete = true
        mean.withUnsafeMutableBufferPointer { meanOut in
        quantiles.withUnsafeMutableBufferPointer { quantileOut in
        standardErrors.withUnsafeMutableBufferPointer { errorOut in
        columnMajor.withUnsafeBufferPointer { x in
        treeRoot.withUnsafeBufferPointer { roots in
        ranked.nodes.withUnsafeBufferPointer { nodes in
        nodeValue.withUnsafeBufferPointer { value in
        kernel.qrf.leafOffset.withUnsafeBufferPointer { leafOffset in
        kernel.qrf.leafRanks.withUnsafeBufferPointer { leafRanks in
        kernel.qrf.sortedResponses.withUnsafeBufferPointer { sortedResponses in
        probabilities.withUnsafeBufferPointer { probability in
            // Base pointers: the compiler then keeps them in registers across the weight stores
            // (which it cannot prove do not alias the model arrays). Without quantiles the QRF
            // arrays are not read (and may be empty).
            guard let nodes = nodes.baseAddress, let value = value.baseAddress, let features = x.baseAddress,
                  q == 0 || (leafOffset.baseAddress != nil && leafRanks.baseAddress != nil) else {
                complete = false
                return
            }
            let shared = UncheckedBox(CellKernelPointers(
                meanOut: meanOut, quantileOut: quantileOut, errorOut: errorOut, x: features, sortedResponses: sortedResponses,
                probability: probability, roots: roots, ranked: ranked, nodes: nodes, leafOffset: leafOffset.baseAddress,
                leafRanks: leafRanks.baseAddress, value: value, jackknife: kernel.jackknife))
            parallelForRanges(count: kernel.blocks, threads: kernel.threads) { blockRange in
                shared.value.predictBlocks(blockRange, rowCount: rowCount, treeCount: treeCount, featureCount: featureCount,
                                           quantileCount: q)
            }
        }}}}}}}}}}}
        return complete
    }
}

/// Per-cell outputs of `RandomForest.predictCells(columnMajor:rowCount:probabilities:standardError:threads:)`,
/// all in the units of the training response.
public struct CellPredictions: Sendable, Equatable {
    /// Forest mean per cell.
    public var mean: [Double]
    /// `quantiles[q][cell]`: the quantile regression forest quantile of probability q.
    public var quantiles: [[Double]]
    /// Infinitesimal-jackknife standard error of the forest mean per cell (empty if not requested).
    public var standardError: [Double]
}

/// Read-only model and input pointers plus the output buffers (disjoint rows per worker) of
/// `predictCells`, handed to the workers in an `UncheckedBox`.
struct CellKernelPointers<Node: RankedNode> {
    /// Outputs: mean per cell, quantiles `[q * rows + row]`, standard error per cell (empty if not asked).
    let meanOut, quantileOut, errorOut: UnsafeMutableBufferPointer<Double>
    /// Features (column-major).
    let x: UnsafePointer<Double>
    /// Sorted training responses, quantile probabilities.
    let sortedResponses, probability: UnsafeBufferPointer<Double>
    /// Root node of every tree.
    let roots: UnsafeBufferPointer<Int32>
    /// The forest with ranked thresholds, and its nodes.
    let ranked: RankedForest<Node>
    let nodes: UnsafePointer<Node>
    /// QRF leaf offsets and ranks (nil only when no quantiles are asked).
    let leafOffset, leafRanks: UnsafePointer<Int32>?
    /// Node split value (or leaf mean), indexed as `nodes`.
    let value: UnsafePointer<Double>
    /// The model's IJ operator when standard errors are asked.
    let jackknife: JackknifeOperator?

    /// Predicts the cells of blocks `blockRange` (each `cellBlockSize` cells), in sub-blocks of
    /// `cellsPerPass(trainingCount:)` cells. Per tree, the sub-block's cells descend together and each leaf
    /// reached is used at once, while the tree's nodes and QRF leaf ranks are still in cache: it adds to the
    /// cell's running sum of tree predictions (tree order), is kept for the IJ deviations, and scatters the QRF
    /// weight 1/(k·|leaf|) onto the leaf's training ranks. Then per cell: the mean, the deviations T_t − T̄, and
    /// one branch-light scan of the weights in ascending rank order (total, then cumulative to each quantile).
    /// Every per-cell sum keeps its order (trees ascending, ranks ascending), so results do not depend on the
    /// block layout or the thread count.
    func predictBlocks(_ blockRange: Range<Int>, rowCount: Int, treeCount: Int, featureCount: Int, quantileCount q: Int) {
        let trainingCount = q > 0 ? sortedResponses.count : 0
        let perPass = CellKernelPointers.cellsPerPass(trainingCount: trainingCount)
        // QRF weights of the pass's cells: weights[j * trainingCount + rank]; zero between cells.
        let weights = UnsafeMutablePointer<Double>.allocate(capacity: max(1, perPass * trainingCount))
        weights.initialize(repeating: 0, count: max(1, perPass * trainingCount))
        let leafOf = UnsafeMutablePointer<Int32>.allocate(capacity: perPass)
        let sums = UnsafeMutablePointer<Double>.allocate(capacity: perPass)
        // Tree predictions T_t of the pass's cells (only for the IJ): treeValues[j * treeCount + t].
        let treeValues = UnsafeMutablePointer<Double>.allocate(capacity: jackknife == nil ? 1 : perPass * treeCount)
        // The encoded ranks of the pass's features, eight cells interleaved (`RankedForest.rankRows`).
        let cellRanks = UnsafeMutablePointer<UInt32>.allocate(capacity: RankedForest<Node>.rankCapacity(rows: perPass, featureCount: featureCount))
        let columnOffset = (0..<featureCount).map { $0 * rowCount }
        // Per cell, its trees' deviations from the cell mean in SIMD chunks (padding stays 0), and the variances.
        let chunks = jackknife?.chunkCount ?? 0
        let deviations = UnsafeMutablePointer<SIMD8<Float>>.allocate(capacity: max(1, perPass * chunks))
        deviations.initialize(repeating: SIMD8(), count: max(1, perPass * chunks))
        let variances = UnsafeMutablePointer<Double>.allocate(capacity: perPass)
        defer {
            weights.deallocate(); leafOf.deallocate(); sums.deallocate(); treeValues.deallocate()
            cellRanks.deallocate(); deviations.deallocate(); variances.deallocate()
        }
        let deviationScalars = UnsafeMutableRawPointer(deviations).assumingMemoryBound(to: Float.self)
        let inverseTrees = 1.0 / Double(treeCount)
        let treeWeight = 1.0 / Double(treeCount)
        let keepTreeValues = jackknife != nil
        for block in blockRange {
            let blockFirst = block * cellBlockSize
            let blockCount = min(cellBlockSize, rowCount - blockFirst)
            var passStart = 0
            while passStart < blockCount {
            let first = blockFirst + passStart
            let count = min(perPass, blockCount - passStart)
            passStart += count
            ranked.rankRows(values: x + first, columnOffset: columnOffset, count: count, into: cellRanks)
            for j in 0..<count { sums[j] = 0 }
            for t in 0..<treeCount {
                RankedForest<Node>.descend(nodes: nodes, root: Int(roots[t]), ranks: cellRanks, featureCount: featureCount,
                                           count: count, leaves: leafOf)
                // The leaves reached, used while the tree is in cache.
                for j in 0..<count {
                    let leaf = Int(leafOf[j])
                    let treeValue = value[leaf]
                    sums[j] += treeValue
                    if keepTreeValues { treeValues[j * treeCount + t] = treeValue }
                    guard q > 0, let leafOffset, let leafRanks else { continue }
                    let start = Int(leafOffset[leaf]), end = Int(leafOffset[leaf + 1])
                    if end == start { continue }
                    let share = treeWeight / Double(end - start)
                    let weight = weights + j * trainingCount
                    for k in start..<end { weight[Int(leafRanks[k])] += share }
                }
            }
            // Per cell: mean, IJ deviations, QRF quantiles.
            for j in 0..<count {
                let row = first + j
                let cellMean = sums[j] * inverseTrees
                meanOut[row] = cellMean
                if keepTreeValues {
                    let d = deviationScalars + j * chunks * 8
                    let tv = treeValues + j * treeCount
                    for t in 0..<treeCount { d[t] = Float(tv[t] - cellMean) }
                }
                guard q > 0 else { continue }
                CellKernelPointers.quantiles(weights: weights + j * trainingCount, count: trainingCount,
                                             sortedResponses: sortedResponses, probability: probability,
                                             into: quantileOut, row: row, rowCount: rowCount)
            }
            if let jackknife {
                jackknife.variances(deviations: deviations, count: count, into: variances)
                for j in 0..<count { errorOut[first + j] = variances[j] > 0 ? variances[j].squareRoot() : 0 }
            }
            }
        }
    }

    /// Cells per pass of `predictBlocks`: all of a block (64) unless their QRF weights (8 bytes per training row
    /// and cell) would outgrow 4 MiB; at least 4. Fewer cells per pass means re-reading every tree more often, which
    /// costs more than the weights' cache misses: with 6,000 training rows and 500 deep trees, passes of 5 cells
    /// (a 256 KiB budget) took 1.6 times as long as passes of 64.
    static func cellsPerPass(trainingCount: Int) -> Int {
        let fit = (4 << 20) / max(1, 8 * trainingCount)
        return max(4, min(cellBlockSize, fit))
    }

    /// The QRF quantiles of one cell from its weights w over the sorted training responses (Meinshausen 2006):
    /// the α-quantile is the first response, in rank order, with non-zero weight at which the cumulative weight
    /// reaches α·Σw (less a relative 1e-12 for rounding). Weights are read in ascending rank order and reset to 0.
    /// Zero weights are added too (x + 0 = x exactly for the non-negative weights), so the scan has no
    /// data-dependent branch except at the few ranks where a quantile is reached.
    @inline(__always)
    static func quantiles(weights w: UnsafeMutablePointer<Double>, count n: Int, sortedResponses: UnsafeBufferPointer<Double>,
                          probability: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>,
                          row: Int, rowCount: Int) {
        var total = 0.0
        for rank in 0..<n { total += w[rank] }
        let q = probability.count
        var next = 0
        var threshold = probability[0] * total * (1 - 1e-12)
        var cumulative = 0.0
        for rank in 0..<n {
            let weight = w[rank]
            cumulative += weight
            w[rank] = 0
            if cumulative >= threshold && weight != 0 {
                repeat {
                    out[next * rowCount + row] = sortedResponses[rank]
                    next += 1
                    threshold = next < q ? probability[next] * total * (1 - 1e-12) : .infinity
                } while cumulative >= threshold
            }
        }
    }
}
