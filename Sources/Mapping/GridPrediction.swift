// β mean and quantile-regression-forest quantiles for many grid cells in one pass over the trees
// (METHOD.md §7 intervals, §8 grid prediction).
import Dispatch
import Forest

/// Grid-cell prediction with a trained `RandomForest` (read through its public flat arrays):
/// the mean over trees and the QRF quantiles (Meinshausen 2006) from one descent per tree and
/// cell. Cells are taken in blocks; for each tree the whole block descends while the tree's
/// nodes sit in L1 cache, and the leaves reached feed both the mean and the QRF weights.
/// Results equal `RandomForest.predictWithQuantiles` bit for bit (same summation order; the
/// QRF weights are scanned in ascending rank order as Forest's sorted list is), and do not
/// depend on the thread count.
public enum GridPrediction {
    /// Cells per block: the leaves of a block (`blockCells × trees` Int32) stay in L2 cache.
    static let blockCells = 64

    /// Predicts the mean and the quantiles `probabilities` (ascending, in [0, 1]) for
    /// `rowCount` cells whose features are `columnMajor[f * rowCount + row]` in the order of
    /// `forest.featureNames`. Returns `(mean, quantiles[q][row])`. Requires quantile data.
    public static func predict(forest: RandomForest, columnMajor: [Double], rowCount: Int, probabilities: [Double],
                               threads: Int) throws -> (mean: [Double], quantiles: [[Double]]) {
        guard let qrf = forest.quantileData else {
            throw MappingError.run("the model has no quantile data; retrain it with `soilbeta forest train --quantiles`")
        }
        guard probabilities == probabilities.sorted(), probabilities.allSatisfy({ $0 >= 0 && $0 <= 1 }) else {
            throw MappingError.run("quantile probabilities must be ascending within [0, 1]")
        }
        let featureCount = forest.featureNames.count
        guard columnMajor.count == rowCount * featureCount else {
            throw MappingError.run("prediction matrix holds \(columnMajor.count) values, \(rowCount) cells × \(featureCount) features need \(rowCount * featureCount)")
        }
        let q = probabilities.count
        var mean = [Double](repeating: .nan, count: rowCount)
        var quantiles = [Double](repeating: .nan, count: q * rowCount)
        if rowCount == 0 { return ([], Array(repeating: [], count: q)) }
        let treeCount = forest.treeCount
        let blocks = (rowCount + blockCells - 1) / blockCells
        let workers = max(1, min(threads, blocks))
        mean.withUnsafeMutableBufferPointer { meanOut in
        quantiles.withUnsafeMutableBufferPointer { quantileOut in
        columnMajor.withUnsafeBufferPointer { x in
        forest.treeRoot.withUnsafeBufferPointer { roots in
        forest.nodeFeature.withUnsafeBufferPointer { feature in
        forest.nodeValue.withUnsafeBufferPointer { value in
        forest.nodeLeft.withUnsafeBufferPointer { left in
        qrf.leafOffset.withUnsafeBufferPointer { leafOffset in
        qrf.leafRanks.withUnsafeBufferPointer { leafRanks in
        qrf.sortedResponses.withUnsafeBufferPointer { sortedResponses in
        probabilities.withUnsafeBufferPointer { probability in
            let shared = PredictionPointers(meanOut: meanOut, quantileOut: quantileOut, x: x, roots: roots, feature: feature,
                                            value: value, left: left, leafOffset: leafOffset, leafRanks: leafRanks,
                                            sortedResponses: sortedResponses, probability: probability)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let p = shared
                let trainingCount = p.sortedResponses.count
                let weight = UnsafeMutableBufferPointer<Double>.allocate(capacity: trainingCount)
                weight.initialize(repeating: 0)
                let leaves = UnsafeMutableBufferPointer<Int32>.allocate(capacity: blockCells * treeCount)
                defer { weight.deallocate(); leaves.deallocate() }
                let inverseTrees = 1.0 / Double(treeCount)
                let treeWeight = 1.0 / Double(treeCount)
                for block in (blocks * worker / workers)..<(blocks * (worker + 1) / workers) {
                    let first = block * blockCells
                    let count = min(blockCells, rowCount - first)
                    // Descents, tree-major: leaves[cell * treeCount + tree].
                    for t in 0..<treeCount {
                        let root = Int(p.roots[t])
                        var j = 0
                        while j + 4 <= count {
                            var n0 = root, n1 = root, n2 = root, n3 = root
                            let r0 = first + j
                            while true {
                                let f0 = Int(p.feature[n0]), f1 = Int(p.feature[n1]), f2 = Int(p.feature[n2]), f3 = Int(p.feature[n3])
                                if (f0 | f1 | f2 | f3) < 0 { break }
                                n0 = Int(p.left[n0]) + (p.x[f0 * rowCount + r0] <= p.value[n0] ? 0 : 1)
                                n1 = Int(p.left[n1]) + (p.x[f1 * rowCount + r0 + 1] <= p.value[n1] ? 0 : 1)
                                n2 = Int(p.left[n2]) + (p.x[f2 * rowCount + r0 + 2] <= p.value[n2] ? 0 : 1)
                                n3 = Int(p.left[n3]) + (p.x[f3 * rowCount + r0 + 3] <= p.value[n3] ? 0 : 1)
                            }
                            leaves[j * treeCount + t] = Int32(p.descend(n0, row: r0, rowCount: rowCount))
                            leaves[(j + 1) * treeCount + t] = Int32(p.descend(n1, row: r0 + 1, rowCount: rowCount))
                            leaves[(j + 2) * treeCount + t] = Int32(p.descend(n2, row: r0 + 2, rowCount: rowCount))
                            leaves[(j + 3) * treeCount + t] = Int32(p.descend(n3, row: r0 + 3, rowCount: rowCount))
                            j += 4
                        }
                        while j < count {
                            leaves[j * treeCount + t] = Int32(p.descend(root, row: first + j, rowCount: rowCount))
                            j += 1
                        }
                    }
                    // Per cell: mean of leaf values (tree order) and QRF weights.
                    for j in 0..<count {
                        let row = first + j
                        let cellLeaves = leaves.baseAddress! + j * treeCount
                        var sum = 0.0
                        for t in 0..<treeCount {
                            let leaf = Int(cellLeaves[t])
                            sum += p.value[leaf]
                            let start = Int(p.leafOffset[leaf]), end = Int(p.leafOffset[leaf + 1])
                            if end == start { continue }
                            let share = treeWeight / Double(end - start)
                            for k in start..<end { weight[Int(p.leafRanks[k])] += share }
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
        return (mean, (0..<q).map { Array(quantiles[($0 * rowCount)..<(($0 + 1) * rowCount)]) })
    }
}

/// Read-only model and input pointers plus the output pointers (disjoint rows per worker).
struct PredictionPointers: @unchecked Sendable {
    let meanOut: UnsafeMutableBufferPointer<Double>
    let quantileOut: UnsafeMutableBufferPointer<Double>
    let x: UnsafeBufferPointer<Double>
    let roots: UnsafeBufferPointer<Int32>
    let feature: UnsafeBufferPointer<Int32>
    let value: UnsafeBufferPointer<Double>
    let left: UnsafeBufferPointer<Int32>
    let leafOffset: UnsafeBufferPointer<Int32>
    let leafRanks: UnsafeBufferPointer<Int32>
    let sortedResponses: UnsafeBufferPointer<Double>
    let probability: UnsafeBufferPointer<Double>

    /// Continues a descent from `node` to its leaf for cell `row`.
    @inline(__always)
    func descend(_ node: Int, row: Int, rowCount: Int) -> Int {
        var n = node
        while true {
            let f = Int(feature[n])
            if f < 0 { return n }
            n = Int(left[n]) + (x[f * rowCount + row] <= value[n] ? 0 : 1)
        }
    }
}
