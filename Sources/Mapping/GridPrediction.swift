// β mean and quantile-regression-forest quantiles for many grid cells in one pass over the trees
// (METHOD.md §7 intervals, §8 grid prediction).
import Dispatch
import Essentials
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
            throw GridPredictionError(description: "the model has no quantile data; retrain it with `soilbeta forest train --quantiles`")
        }
        guard probabilities == probabilities.sorted(), probabilities.allSatisfy({ $0 >= 0 && $0 <= 1 }) else {
            throw GridPredictionError(description: "quantile probabilities must be ascending within [0, 1]")
        }
        let featureCount = forest.featureNames.count
        guard columnMajor.count == rowCount * featureCount else {
            throw GridPredictionError(description: "prediction matrix holds \(columnMajor.count) values, \(rowCount) cells × \(featureCount) features need \(rowCount * featureCount)")
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
                // Base pointers in locals: the compiler then keeps them in registers across the
                // weight stores (which it cannot prove do not alias the model arrays).
                let feature = p.feature.baseAddress!, value = p.value.baseAddress!, left = p.left.baseAddress!
                let leafOffset = p.leafOffset.baseAddress!, leafRanks = p.leafRanks.baseAddress!
                let trainingCount = p.sortedResponses.count
                let weight = UnsafeMutablePointer<Double>.allocate(capacity: trainingCount)
                weight.initialize(repeating: 0, count: trainingCount)
                let leaves = UnsafeMutablePointer<Int32>.allocate(capacity: blockCells * treeCount)
                // The block's features, cell-major: cells[j * featureCount + f].
                let cells = UnsafeMutablePointer<Double>.allocate(capacity: blockCells * max(1, featureCount))
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
                for block in (blocks * worker / workers)..<(blocks * (worker + 1) / workers) {
                    let first = block * blockCells
                    let count = min(blockCells, rowCount - first)
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
}

/// A misuse of `GridPrediction.predict` (model without quantile data, bad probabilities, matrix size).
struct GridPredictionError: SoilBetaError {
    let description: String
}
