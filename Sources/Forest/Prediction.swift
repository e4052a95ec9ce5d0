// Batched, multi-threaded prediction with a trained forest (METHOD.md §7–§8).
import Essentials

/// Rows per block in batched prediction. Each tree is applied to all rows of a block before the
/// next tree, so the tree's nodes (tens of KB) stay in L1/L2 while the block's rows stream past;
/// large blocks amortise the first-touch misses on the nodes (measured best at 16–32 k rows).
let predictionBlockRows = 32768

extension RandomForest {
    /// For each model feature, the column of `matrix` holding it (matched by name).
    /// Throws `ForestError.missingFeatures` if the matrix lacks any.
    public func columnMapping(for matrix: FeatureMatrix) throws -> [Int] {
        var index: [String: Int] = [:]
        for (k, name) in matrix.featureNames.enumerated() { index[name] = k }
        let missing = featureNames.filter { index[$0] == nil }
        if !missing.isEmpty { throw ForestError.missingFeatures(missing) }
        return featureNames.map { index[$0]! }
    }

    /// Checks that the model's features in `matrix` are all finite; names the first bad row and feature.
    func validatePredictionInput(_ matrix: FeatureMatrix, columns: [Int]) throws {
        for (modelFeature, column) in columns.enumerated() {
            let base = column * matrix.rowCount
            for row in 0..<matrix.rowCount where !matrix.values[base + row].isFinite {
                throw ForestError.invalidInput("row \(row + 1): feature '\(featureNames[modelFeature])' is missing or not finite")
            }
        }
    }

    /// Mean prediction over all trees for every row of `matrix` (columns matched by name), using
    /// `threads` workers (nil = all cores). Results do not depend on the thread count.
    public func predict(_ matrix: FeatureMatrix, threads: Int? = nil) throws -> [Double] {
        let columns = try columnMapping(for: matrix)
        try validatePredictionInput(matrix, columns: columns)
        let rowCount = matrix.rowCount
        var output = [Double](repeating: 0, count: rowCount)
        let columnOffset = columns.map { $0 * rowCount }
        let blockCount = (rowCount + predictionBlockRows - 1) / predictionBlockRows
        let workers = resolvedThreadCount(threads)
        let packed = packedNodes()
        output.withUnsafeMutableBufferPointer { out in
        matrix.values.withUnsafeBufferPointer { data in
        packed.withUnsafeBufferPointer { nodes in
            let box = UncheckedBox((out, data, nodes))
            parallelForRanges(count: blockCount, threads: workers) { blocks in
                for block in blocks {
                    let start = block * predictionBlockRows
                    let end = min(start + predictionBlockRows, rowCount)
                    predictBlock(rows: start..<end, data: box.value.1, columnOffset: columnOffset, nodes: box.value.2, into: box.value.0)
                }
            }
        }}}
        return output
    }

    /// The nodes re-laid as 16-byte records for traversal: `feature` (a leaf has the sign bit set
    /// and column 0), `next` (left child; a leaf points to itself) and `value` (threshold; +∞ for a
    /// leaf, so a row at a leaf stays there). Built per prediction call from the flat arrays.
    func packedNodes() -> [PackedNode] {
        var packed = [PackedNode](repeating: PackedNode(feature: 0, next: 0, value: 0), count: nodeCount)
        for i in 0..<nodeCount {
            if nodeFeature[i] >= 0 {
                packed[i] = PackedNode(feature: nodeFeature[i], next: nodeLeft[i], value: nodeValue[i])
            } else {
                packed[i] = PackedNode(feature: Int32.min, next: Int32(i), value: .infinity)
            }
        }
        return packed
    }

    /// Sums all trees' leaf values for a block of rows, then divides by the tree count.
    /// The block's features are first copied row-major (`blockX[r * p + f]`, model feature order);
    /// then, per tree, eight rows descend in lockstep with branch-free steps (a row at a leaf stays
    /// there) until all eight are at leaves, so their independent load chains overlap. Each row's
    /// sum runs over trees in order, so results do not depend on blocking or threads.
    private func predictBlock(rows: Range<Int>, data: UnsafeBufferPointer<Double>, columnOffset: [Int],
                              nodes: UnsafeBufferPointer<PackedNode>, into out: UnsafeMutableBufferPointer<Double>) {
        let inverseTrees = 1.0 / Double(treeCount)
        let p = featureNames.count
        let count = rows.count
        let first = rows.lowerBound
        let lanes = 8
        let padded = (count + lanes - 1) / lanes * lanes
        var blockX = [Double](repeating: 0, count: padded * p)
        var sums = [Double](repeating: 0, count: padded)
        for f in 0..<p {
            let base = columnOffset[f] + first
            for r in 0..<count { blockX[r * p + f] = data[base + r] }
        }
        nodeValue.withUnsafeBufferPointer { value in
        blockX.withUnsafeBufferPointer { bx in
        sums.withUnsafeMutableBufferPointer { acc in
        treeRoot.withUnsafeBufferPointer { roots in
            let xs = bx.baseAddress!
            for t in 0..<roots.count {
                let root = Int(roots[t])
                var r = 0
                while r < padded {
                    var n0 = root, n1 = root, n2 = root, n3 = root, n4 = root, n5 = root, n6 = root, n7 = root
                    let x0 = xs + r * p, x1 = x0 + p, x2 = x1 + p, x3 = x2 + p
                    let x4 = x3 + p, x5 = x4 + p, x6 = x5 + p, x7 = x6 + p
                    while true {
                        let a0 = nodes[n0], a1 = nodes[n1], a2 = nodes[n2], a3 = nodes[n3]
                        let a4 = nodes[n4], a5 = nodes[n5], a6 = nodes[n6], a7 = nodes[n7]
                        n0 = Int(a0.next) + (x0[Int(a0.feature & 0x7fff_ffff)] > a0.value ? 1 : 0)
                        n1 = Int(a1.next) + (x1[Int(a1.feature & 0x7fff_ffff)] > a1.value ? 1 : 0)
                        n2 = Int(a2.next) + (x2[Int(a2.feature & 0x7fff_ffff)] > a2.value ? 1 : 0)
                        n3 = Int(a3.next) + (x3[Int(a3.feature & 0x7fff_ffff)] > a3.value ? 1 : 0)
                        n4 = Int(a4.next) + (x4[Int(a4.feature & 0x7fff_ffff)] > a4.value ? 1 : 0)
                        n5 = Int(a5.next) + (x5[Int(a5.feature & 0x7fff_ffff)] > a5.value ? 1 : 0)
                        n6 = Int(a6.next) + (x6[Int(a6.feature & 0x7fff_ffff)] > a6.value ? 1 : 0)
                        n7 = Int(a7.next) + (x7[Int(a7.feature & 0x7fff_ffff)] > a7.value ? 1 : 0)
                        if (a0.feature & a1.feature & a2.feature & a3.feature & a4.feature & a5.feature & a6.feature & a7.feature) < 0 { break }
                    }
                    acc[r] += value[n0]; acc[r + 1] += value[n1]; acc[r + 2] += value[n2]; acc[r + 3] += value[n3]
                    acc[r + 4] += value[n4]; acc[r + 5] += value[n5]; acc[r + 6] += value[n6]; acc[r + 7] += value[n7]
                    r += lanes
                }
            }
            for r in 0..<count { out[first + r] = acc[r] * inverseTrees }
        }}}}
    }

    /// Mean predictions and quantile regression forest quantiles (Meinshausen 2006) for every row.
    /// `quantiles` are probabilities in [0, 1], in any order; result `quantiles[q][row]`. Requires a model trained
    /// with `keepQuantileData`. The quantiles come from the grid kernel `predictCells` (rows in blocks, each tree
    /// applied to a block while its nodes are in cache), the mean from `predict`; results do not depend on `threads`.
    public func predictWithQuantiles(_ matrix: FeatureMatrix, quantiles probabilities: [Double], threads: Int? = nil) throws
        -> (mean: [Double], quantiles: [[Double]]) {
        guard quantileData != nil else {
            throw ForestError.invalidParameter("the model was trained without quantile data (train with --quantiles)")
        }
        for probability in probabilities where !(probability >= 0 && probability <= 1) {
            throw ForestError.invalidParameter("quantile \(probability) is not in [0, 1]")
        }
        let mean = try predict(matrix, threads: threads)
        let columns = try columnMapping(for: matrix)
        let rowCount = matrix.rowCount
        // The model's features, column-major in model order, as the cell kernel takes them.
        var modelOrder = [Double](repeating: 0, count: rowCount * columns.count)
        for (f, column) in columns.enumerated() {
            modelOrder[(f * rowCount)..<((f + 1) * rowCount)] = matrix.values[(column * rowCount)..<((column + 1) * rowCount)]
        }
        // Quantiles in ascending order for the kernel, results handed back in the caller's order.
        let ascending = probabilities.indices.sorted { probabilities[$0] < probabilities[$1] }
        let cells = try predictCells(columnMajor: modelOrder, rowCount: rowCount, probabilities: ascending.map { probabilities[$0] },
                                     standardError: false, threads: resolvedThreadCount(threads))
        var quantileRows = [[Double]](repeating: [], count: probabilities.count)
        for (k, original) in ascending.enumerated() { quantileRows[original] = cells.quantiles[k] }
        return (mean, quantileRows)
    }
}

/// A node as used by the prediction kernel (see `RandomForest.packedNodes`).
struct PackedNode {
    var feature: Int32
    var next: Int32
    var value: Double
}
