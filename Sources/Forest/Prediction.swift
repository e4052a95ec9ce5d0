// Batched, multi-threaded prediction with a trained forest (METHOD.md §7–§8).

/// Rows per block in batched prediction: a block's feature values stay in L1 cache while every
/// tree is applied to it.
let predictionBlockRows = 256

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
        output.withUnsafeMutableBufferPointer { out in
            let outBox = UncheckedBox(out)
            parallelForRanges(count: blockCount, threads: workers) { blocks in
                for block in blocks {
                    let start = block * predictionBlockRows
                    let end = min(start + predictionBlockRows, rowCount)
                    predictBlock(rows: start..<end, data: matrix.values, columnOffset: columnOffset, into: outBox.value)
                }
            }
        }
        return output
    }

    /// Sums all trees' leaf values for a block of rows, then divides by the tree count.
    private func predictBlock(rows: Range<Int>, data: [Double], columnOffset: [Int], into out: UnsafeMutableBufferPointer<Double>) {
        let inverseTrees = 1.0 / Double(treeCount)
        nodeFeature.withUnsafeBufferPointer { feature in
        nodeValue.withUnsafeBufferPointer { value in
        nodeLeft.withUnsafeBufferPointer { left in
        data.withUnsafeBufferPointer { x in
        columnOffset.withUnsafeBufferPointer { offset in
        treeRoot.withUnsafeBufferPointer { roots in
            var sums = (0..<rows.count).map { _ in 0.0 }
            sums.withUnsafeMutableBufferPointer { acc in
                let count = rows.count
                let first = rows.lowerBound
                for t in 0..<roots.count {
                    let root = Int(roots[t])
                    var r = 0
                    // Four independent rows at a time: their dependent load chains overlap.
                    while r + 4 <= count {
                        var n0 = root, n1 = root, n2 = root, n3 = root
                        let r0 = first + r, r1 = r0 + 1, r2 = r0 + 2, r3 = r0 + 3
                        while true {
                            let f0 = Int(feature[n0]), f1 = Int(feature[n1]), f2 = Int(feature[n2]), f3 = Int(feature[n3])
                            if (f0 | f1 | f2 | f3) < 0 { break }
                            n0 = Int(left[n0]) + (x[offset[f0] + r0] <= value[n0] ? 0 : 1)
                            n1 = Int(left[n1]) + (x[offset[f1] + r1] <= value[n1] ? 0 : 1)
                            n2 = Int(left[n2]) + (x[offset[f2] + r2] <= value[n2] ? 0 : 1)
                            n3 = Int(left[n3]) + (x[offset[f3] + r3] <= value[n3] ? 0 : 1)
                        }
                        n0 = finishDescent(n0, row: r0, feature, value, left, x, offset)
                        n1 = finishDescent(n1, row: r1, feature, value, left, x, offset)
                        n2 = finishDescent(n2, row: r2, feature, value, left, x, offset)
                        n3 = finishDescent(n3, row: r3, feature, value, left, x, offset)
                        acc[r] += value[n0]; acc[r + 1] += value[n1]; acc[r + 2] += value[n2]; acc[r + 3] += value[n3]
                        r += 4
                    }
                    while r < count {
                        let leaf = finishDescent(root, row: first + r, feature, value, left, x, offset)
                        acc[r] += value[leaf]
                        r += 1
                    }
                }
                for r in 0..<count { out[first + r] = acc[r] * inverseTrees }
            }
        }}}}}}
    }

    /// Leaf reached by one row, for quantile predictions.
    @inline(__always)
    func leafIndex(tree: Int, row: Int, data: UnsafeBufferPointer<Double>, columnOffset: UnsafeBufferPointer<Int>,
                   feature: UnsafeBufferPointer<Int32>, value: UnsafeBufferPointer<Double>, left: UnsafeBufferPointer<Int32>) -> Int {
        finishDescent(Int(treeRoot[tree]), row: row, feature, value, left, data, columnOffset)
    }

    /// Mean predictions and quantile regression forest quantiles (Meinshausen 2006) for every row.
    /// `quantiles` are probabilities in [0, 1]; result `quantiles[q][row]`. Requires a model trained
    /// with `keepQuantileData`.
    public func predictWithQuantiles(_ matrix: FeatureMatrix, quantiles probabilities: [Double], threads: Int? = nil) throws
        -> (mean: [Double], quantiles: [[Double]]) {
        guard let qrf = quantileData else {
            throw ForestError.invalidParameter("the model was trained without quantile data (train with --quantiles)")
        }
        for probability in probabilities where !(probability >= 0 && probability <= 1) {
            throw ForestError.invalidParameter("quantile \(probability) is not in [0, 1]")
        }
        let mean = try predict(matrix, threads: threads)
        let columns = try columnMapping(for: matrix)
        let rowCount = matrix.rowCount
        let columnOffset = columns.map { $0 * rowCount }
        let q = probabilities.count
        // Quantiles in ascending order, results written back in the caller's order.
        let ascending = probabilities.indices.sorted { probabilities[$0] < probabilities[$1] }
        var output = [Double](repeating: .nan, count: q * rowCount)
        let trainingCount = qrf.sortedResponses.count
        let treeWeight = 1.0 / Double(treeCount)
        output.withUnsafeMutableBufferPointer { out in
            let outBox = UncheckedBox(out)
            parallelForRanges(count: rowCount, threads: resolvedThreadCount(threads)) { rows in
                var weight = [Double](repeating: 0, count: trainingCount)
                var touched: [Int32] = []
                touched.reserveCapacity(trainingCount)
                nodeFeature.withUnsafeBufferPointer { feature in
                nodeValue.withUnsafeBufferPointer { value in
                nodeLeft.withUnsafeBufferPointer { left in
                matrix.values.withUnsafeBufferPointer { x in
                columnOffset.withUnsafeBufferPointer { offset in
                qrf.leafOffset.withUnsafeBufferPointer { leafOffset in
                qrf.leafRanks.withUnsafeBufferPointer { leafRanks in
                    for row in rows {
                        touched.removeAll(keepingCapacity: true)
                        for t in 0..<treeRoot.count {
                            let leaf = leafIndex(tree: t, row: row, data: x, columnOffset: offset,
                                                 feature: feature, value: value, left: left)
                            let start = Int(leafOffset[leaf]), end = Int(leafOffset[leaf + 1])
                            if end == start { continue }
                            let share = treeWeight / Double(end - start)
                            for k in start..<end {
                                let rank = Int(leafRanks[k])
                                if weight[rank] == 0 { touched.append(Int32(rank)) }
                                weight[rank] += share
                            }
                        }
                        touched.sort()
                        var totalWeight = 0.0
                        for rank in touched { totalWeight += weight[Int(rank)] }
                        var cumulative = 0.0
                        var next = 0
                        for rank in touched {
                            cumulative += weight[Int(rank)]
                            while next < q && cumulative >= probabilities[ascending[next]] * totalWeight * (1 - 1e-12) {
                                outBox.value[ascending[next] * rowCount + row] = qrf.sortedResponses[Int(rank)]
                                next += 1
                            }
                            weight[Int(rank)] = 0
                        }
                    }
                }}}}}}}
            }
        }
        let quantileRows = (0..<q).map { Array(output[($0 * rowCount)..<(($0 + 1) * rowCount)]) }
        return (mean, quantileRows)
    }
}

/// Continues a descent from `node` to its leaf for one row.
@inline(__always)
func finishDescent(_ start: Int, row: Int, _ feature: UnsafeBufferPointer<Int32>, _ value: UnsafeBufferPointer<Double>,
                   _ left: UnsafeBufferPointer<Int32>, _ x: UnsafeBufferPointer<Double>, _ offset: UnsafeBufferPointer<Int>) -> Int {
    var node = start
    while true {
        let f = Int(feature[node])
        if f < 0 { return node }
        node = Int(left[node]) + (x[offset[f] + row] <= value[node] ? 0 : 1)
    }
}
