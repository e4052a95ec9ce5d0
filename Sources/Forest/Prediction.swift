// Batched, multi-threaded prediction with a trained forest (METHOD.md §7–§8).
import Essentials

/// Most rows per block in batched prediction. Each tree is applied to all rows of a block before the
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
        return featureNames.compactMap { index[$0] }
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
        if rowCount == 0 { return [] }
        var output = [Double](repeating: 0, count: rowCount)
        let columnOffset = columns.map { $0 * rowCount }
        let workers = resolvedThreadCount(threads)
        // Blocks of at most `predictionBlockRows`, as many as a multiple of the workers, of equal size (± 1 row), so no
        // worker waits for another's extra block (65,000 rows were 2 + 1 blocks of 32,768 for 2 workers).
        let blockCount = (rowCount + predictionBlockRows - 1) / predictionBlockRows
        let evenBlockCount = (blockCount + workers - 1) / workers * workers
        let blockRows = max(1, (rowCount + evenBlockCount - 1) / evenBlockCount)
        switch rankedNodes(threads: workers) {
        case .packed(let ranked):
            predictMeans(ranked, data: matrix.values, columnOffset: columnOffset, blockRows: blockRows, workers: workers, into: &output)
        case .wide(let ranked):
            predictMeans(ranked, data: matrix.values, columnOffset: columnOffset, blockRows: blockRows, workers: workers, into: &output)
        }
        return output
    }

    /// `predict`'s work: blocks of `blockRows` rows handed to `workers` threads.
    private func predictMeans<Node>(_ ranked: RankedForest<Node>, data: [Double], columnOffset: [Int], blockRows: Int,
                                    workers: Int, into output: inout [Double]) {
        let rowCount = output.count
        let blockCount = (rowCount + blockRows - 1) / blockRows
        output.withUnsafeMutableBufferPointer { out in
        data.withUnsafeBufferPointer { data in
        ranked.nodes.withUnsafeBufferPointer { nodes in
            let box = UncheckedBox((out, data, nodes))
            parallelForRanges(count: blockCount, threads: workers) { blocks in
                for block in blocks {
                    let start = block * blockRows
                    let end = min(start + blockRows, rowCount)
                    predictBlock(rows: start..<end, ranked: ranked, data: box.value.1, columnOffset: columnOffset,
                                 nodes: box.value.2, into: box.value.0)
                }
            }
        }}}
    }

    /// Sums all trees' leaf values for a block of rows, then divides by the tree count. The block's features are
    /// first ranked (`RankedForest.rankRows`, row-major); then, per tree, the rows descend eight in lockstep
    /// (`RankedForest.descend`) and each adds its leaf's value. Each row's sum runs over trees in order, so results
    /// do not depend on blocking or threads.
    private func predictBlock<Node>(rows: Range<Int>, ranked: RankedForest<Node>, data: UnsafeBufferPointer<Double>,
                                    columnOffset: [Int], nodes: UnsafeBufferPointer<Node>,
                                    into out: UnsafeMutableBufferPointer<Double>) {
        let inverseTrees = 1.0 / Double(treeCount)
        let p = featureNames.count
        let count = rows.count
        let first = rows.lowerBound
        guard count > 0, let base = data.baseAddress, let nodes = nodes.baseAddress else { return }
        let ranks = UnsafeMutablePointer<UInt32>.allocate(capacity: RankedForest<Node>.rankCapacity(rows: count, featureCount: p))
        let leaves = UnsafeMutablePointer<Int32>.allocate(capacity: count)
        let sums = UnsafeMutablePointer<Double>.allocate(capacity: count)
        sums.initialize(repeating: 0, count: count)
        defer { ranks.deallocate(); leaves.deallocate(); sums.deallocate() }
        ranked.rankRows(values: base + first, columnOffset: columnOffset, count: count, into: ranks)
        nodeValue.withUnsafeBufferPointer { value in
        treeRoot.withUnsafeBufferPointer { roots in
            for t in 0..<roots.count {
                RankedForest<Node>.descend(nodes: nodes, root: Int(roots[t]), ranks: ranks, featureCount: p, count: count,
                                           leaves: leaves)
                for r in 0..<count { sums[r] += value[Int(leaves[r])] }
            }
        }}
        for r in 0..<count { out[first + r] = sums[r] * inverseTrees }
    }

    /// Mean predictions and quantile regression forest quantiles (Meinshausen 2006) for every row.
    /// `quantiles` are probabilities in [0, 1], in any order; result `quantiles[q][row]`. Requires a model trained
    /// with `keepQuantileData`. Mean and quantiles come from the grid kernel `predictCells` (rows in blocks, each tree
    /// applied to a block while its nodes are in cache; its mean equals `predict`'s bit for bit); results do not depend
    /// on `threads`.
    public func predictWithQuantiles(_ matrix: FeatureMatrix, quantiles probabilities: [Double], threads: Int? = nil) throws
        -> (mean: [Double], quantiles: [[Double]]) {
        guard quantileData != nil else {
            throw ForestError.invalidParameter("the model was trained without quantile data (train with --quantiles)")
        }
        for probability in probabilities where !(probability >= 0 && probability <= 1) {
            throw ForestError.invalidParameter("quantile \(probability) is not in [0, 1]")
        }
        let columns = try columnMapping(for: matrix)
        try validatePredictionInput(matrix, columns: columns)
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
        return (cells.mean, quantileRows)
    }
}
