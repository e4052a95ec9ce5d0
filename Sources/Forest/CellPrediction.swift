// β mean and quantile-regression-forest quantiles for many grid cells in one pass over the trees
// (METHOD.md §7 intervals, §8 grid prediction).
import Essentials

/// Cells per block of `predictCells`: the leaves of a block (`cellBlockSize × trees` Int32) stay in L2 cache.
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
        guard let qrf = quantileData else {
            throw ForestError.invalidInput("the model has no quantile data; retrain it with `soilbeta forest train --quantiles`")
        }
        guard probabilities == probabilities.sorted(), probabilities.allSatisfy({ $0 >= 0 && $0 <= 1 }) else {
            throw ForestError.invalidInput("quantile probabilities must be ascending within [0, 1]")
        }
        let featureCount = featureNames.count
        guard rowCount >= 0, columnMajor.count == rowCount * featureCount else {
            throw ForestError.invalidInput("prediction matrix holds \(columnMajor.count) values, \(rowCount) cells × \(featureCount) features need \(rowCount * featureCount)")
        }
        let q = probabilities.count
        if rowCount == 0 { return ([], Array(repeating: [], count: q)) }
        var mean = [Double](repeating: .nan, count: rowCount)
        var quantiles = [Double](repeating: .nan, count: q * rowCount)
        let treeCount = self.treeCount
        let blocks = (rowCount + cellBlockSize - 1) / cellBlockSize
        var modelError: ForestError? = nil
        mean.withUnsafeMutableBufferPointer { meanOut in
        quantiles.withUnsafeMutableBufferPointer { quantileOut in
        columnMajor.withUnsafeBufferPointer { x in
        treeRoot.withUnsafeBufferPointer { roots in
        nodeFeature.withUnsafeBufferPointer { feature in
        nodeValue.withUnsafeBufferPointer { value in
        nodeLeft.withUnsafeBufferPointer { left in
        qrf.leafOffset.withUnsafeBufferPointer { leafOffset in
        qrf.leafRanks.withUnsafeBufferPointer { leafRanks in
        qrf.sortedResponses.withUnsafeBufferPointer { sortedResponses in
        probabilities.withUnsafeBufferPointer { probability in
            // Base pointers: the compiler then keeps them in registers across the weight stores
            // (which it cannot prove do not alias the model arrays).
            guard let feature = feature.baseAddress, let value = value.baseAddress, let left = left.baseAddress,
                  let leafOffset = leafOffset.baseAddress, let leafRanks = leafRanks.baseAddress else {
                modelError = .invalidInput("the model has no nodes or no quantile leaf data")
                return
            }
            let shared = UncheckedBox(CellKernelPointers(
                meanOut: meanOut, quantileOut: quantileOut, x: x, sortedResponses: sortedResponses, probability: probability,
                roots: roots, feature: feature, left: left, leafOffset: leafOffset, leafRanks: leafRanks, value: value))
            parallelForRanges(count: blocks, threads: max(1, threads)) { blockRange in
                let p = shared.value
                let feature = p.feature, value = p.value, left = p.left
                let leafOffset = p.leafOffset, leafRanks = p.leafRanks
                let trainingCount = p.sortedResponses.count
                let weight = UnsafeMutablePointer<Double>.allocate(capacity: trainingCount)
                weight.initialize(repeating: 0, count: trainingCount)
                let leaves = UnsafeMutablePointer<Int32>.allocate(capacity: cellBlockSize * treeCount)
                // The block's features, cell-major: cells[j * featureCount + f].
                let cells = UnsafeMutablePointer<Double>.allocate(capacity: cellBlockSize * max(1, featureCount))
                defer { weight.deallocate(); leaves.deallocate(); cells.deallocate() }
                @inline(__always) func descend(_ start: Int, _ base: Int) -> Int {
                    var n = start
                    while true {
                        let f = Int(feature[n])
                        if f < 0 { return n }
                        n = Int(left[n]) + (cells[base + f] <= value[n] ? 0 : 1)
                    }
                }
                let inverseTrees = 1.0 / Double(treeCount)
                let treeWeight = 1.0 / Double(treeCount)
                for block in blockRange {
                    let first = block * cellBlockSize
                    let count = min(cellBlockSize, rowCount - first)
                    for f in 0..<featureCount {
                        for j in 0..<count { cells[j * featureCount + f] = p.x[f * rowCount + first + j] }
                    }
                    // Descents, tree-major: leaves[cell * treeCount + tree].
                    for t in 0..<treeCount {
                        let root = Int(p.roots[t])
                        var j = 0
                        while j + 4 <= count {
                            var n0 = root, n1 = root, n2 = root, n3 = root
                            let b0 = j * featureCount, b1 = b0 + featureCount, b2 = b1 + featureCount, b3 = b2 + featureCount
                            while true {
                                let f0 = Int(feature[n0]), f1 = Int(feature[n1]), f2 = Int(feature[n2]), f3 = Int(feature[n3])
                                if (f0 | f1 | f2 | f3) < 0 { break }
                                n0 = Int(left[n0]) + (cells[b0 + f0] <= value[n0] ? 0 : 1)
                                n1 = Int(left[n1]) + (cells[b1 + f1] <= value[n1] ? 0 : 1)
                                n2 = Int(left[n2]) + (cells[b2 + f2] <= value[n2] ? 0 : 1)
                                n3 = Int(left[n3]) + (cells[b3 + f3] <= value[n3] ? 0 : 1)
                            }
                            leaves[j * treeCount + t] = Int32(descend(n0, b0))
                            leaves[(j + 1) * treeCount + t] = Int32(descend(n1, b1))
                            leaves[(j + 2) * treeCount + t] = Int32(descend(n2, b2))
                            leaves[(j + 3) * treeCount + t] = Int32(descend(n3, b3))
                            j += 4
                        }
                        while j < count {
                            leaves[j * treeCount + t] = Int32(descend(root, j * featureCount))
                            j += 1
                        }
                    }
                    // Per cell: mean of leaf values (tree order) and QRF weights.
                    for j in 0..<count {
                        let row = first + j
                        let cellLeaves = leaves + j * treeCount
                        var sum = 0.0
                        for t in 0..<treeCount {
                            let leaf = Int(cellLeaves[t])
                            sum += value[leaf]
                            let start = Int(leafOffset[leaf]), end = Int(leafOffset[leaf + 1])
                            if end == start { continue }
                            let share = treeWeight / Double(end - start)
                            for k in start..<end { weight[Int(leafRanks[k])] += share }
                        }
                        p.meanOut[row] = sum * inverseTrees
                        var totalWeight = 0.0
                        for rank in 0..<trainingCount where weight[rank] != 0 { totalWeight += weight[rank] }
                        var cumulative = 0.0
                        var next = 0
                        for rank in 0..<trainingCount where weight[rank] != 0 {
                            cumulative += weight[rank]
                            while next < q && cumulative >= p.probability[next] * totalWeight * (1 - 1e-12) {
                                p.quantileOut[next * rowCount + row] = p.sortedResponses[rank]
                                next += 1
                            }
                            weight[rank] = 0
                        }
                    }
                }
            }
        }}}}}}}}}}}
        if let modelError { throw modelError }
        return (mean, (0..<q).map { Array(quantiles[($0 * rowCount)..<(($0 + 1) * rowCount)]) })
    }
}

/// Read-only model and input pointers plus the output buffers (disjoint rows per worker) of
/// `predictCells`, handed to the workers in an `UncheckedBox`.
struct CellKernelPointers {
    /// Outputs: mean per cell, quantiles `[q * rows + row]`.
    let meanOut, quantileOut: UnsafeMutableBufferPointer<Double>
    /// Features (column-major), sorted training responses, quantile probabilities.
    let x, sortedResponses, probability: UnsafeBufferPointer<Double>
    /// Root node of every tree.
    let roots: UnsafeBufferPointer<Int32>
    /// Node split feature, left child, QRF leaf offsets and ranks.
    let feature, left, leafOffset, leafRanks: UnsafePointer<Int32>
    /// Node split value (or leaf mean).
    let value: UnsafePointer<Double>
}
