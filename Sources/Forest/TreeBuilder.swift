// Growing one regression tree: bootstrap, mtry candidates, exact variance-reduction splits
// on presorted values (METHOD.md §7; Breiman 2001 as in R randomForest / ranger).
import Essentials

/// Read-only training data shared by all tree builders: features column-major, responses,
/// and for every feature the row indices sorted by that feature's value.
struct TrainingSet: Sendable {
    let features: [Double]
    let responses: [Double]
    let rowCount: Int
    let featureCount: Int
    /// `sortedRows[f * rowCount + k]` is the row with the k-th smallest value of feature f (ties by row).
    let sortedRows: [Int32]

    init(matrix: FeatureMatrix, responses: [Double]) {
        features = matrix.values
        self.responses = responses
        rowCount = matrix.rowCount
        featureCount = matrix.featureCount
        var sorted = [Int32](repeating: 0, count: rowCount * featureCount)
        let values = matrix.values
        let n = rowCount
        for feature in 0..<featureCount {
            let base = feature * n
            let order = (0..<n).sorted { a, b in
                let va = values[base + a], vb = values[base + b]
                return va < vb || (va == vb && a < b)
            }
            for k in 0..<n { sorted[base + k] = Int32(order[k]) }
        }
        sortedRows = sorted
    }
}

/// One grown tree before it is appended to the forest's flat arrays (child indices tree-local).
struct GrownTree: Sendable {
    /// Split feature per node, −1 for a leaf.
    var nodeFeature: [Int32] = []
    /// Split threshold (x ≤ threshold goes left) per node; the leaf mean for a leaf.
    var nodeValue: [Double] = []
    /// Index of the left child (right = left + 1), tree-local; 0 for a leaf.
    var nodeLeft: [Int32] = []
    /// In-bag multiplicity of every training row.
    var inBagCount: [Int32] = []
    /// Decrease of residual sum of squares from splits on each feature (impurity importance).
    var impurityDecrease: [Double] = []
    /// Rows that were out of bag, and this tree's prediction for each of them.
    var oobRows: [Int32] = []
    var oobPredictions: [Double] = []
    /// Increase in this tree's OOB MSE when each feature is permuted (empty if not computed).
    var permutationIncrease: [Double] = []
    /// For quantile regression: all training rows grouped by leaf; `leafRowOffset` has nodeCount + 1 entries.
    var leafRowOffset: [Int32] = []
    var leafRows: [Int32] = []
}

/// Follows one row of column-major data through tree-local node arrays; returns the leaf index.
@inline(__always)
func descend(feature: UnsafeBufferPointer<Int32>, value: UnsafeBufferPointer<Double>, left: UnsafeBufferPointer<Int32>,
             root: Int, data: UnsafeBufferPointer<Double>, rowCount: Int, row: Int) -> Int {
    var node = root
    while true {
        let f = Int(feature[node])
        if f < 0 { return node }
        let x = data[f * rowCount + row]
        node = Int(left[node]) + (x <= value[node] ? 0 : 1)
    }
}

/// Grows tree number `treeIndex` of a forest on `data` (Breiman's algorithm; see `ForestParameters`).
func growTree(data: TrainingSet, parameters: ForestParameters, treeIndex: Int) -> GrownTree {
    let n = data.rowCount
    let p = data.featureCount
    let mtry = parameters.resolvedMtry(featureCount: p)
    var rng = RandomStream(seed: parameters.seed, stream: treeIndex, purpose: .treeGrowth)
    var tree = GrownTree()

    // 1. The tree's sample: bootstrap (with replacement) or a subsample without replacement.
    let sampleSize = max(1, Int((Double(n) * parameters.sampleFraction).rounded()))
    var inBag = [Int32](repeating: 0, count: n)
    if parameters.sampleWithReplacement {
        for _ in 0..<sampleSize { inBag[rng.uniformInt(below: n)] += 1 }
    } else {
        var pool = Array(0..<n)
        for k in 0..<min(sampleSize, n) {
            let j = k + rng.uniformInt(below: n - k)
            pool.swapAt(k, j)
            inBag[pool[k]] = 1
        }
    }
    let m = parameters.sampleWithReplacement ? sampleSize : min(sampleSize, n)

    // 2. Per feature, the in-bag rows (with multiplicity) in ascending order of that feature.
    var order = [Int32](repeating: 0, count: p * m)
    var scratch = [Int32](repeating: 0, count: m)
    var goesLeft = [Bool](repeating: false, count: n)
    var impurity = [Double](repeating: 0, count: p)
    var candidatePool = Array(0..<p)
    // 1/k for node sizes k (0 for k = 0), so split scans multiply instead of divide.
    let inverse = [0.0] + (1...max(m, 1)).map { 1.0 / Double($0) }

    data.features.withUnsafeBufferPointer { x in
    data.responses.withUnsafeBufferPointer { y in
    data.sortedRows.withUnsafeBufferPointer { sorted in
    order.withUnsafeMutableBufferPointer { ord in
    scratch.withUnsafeMutableBufferPointer { tmp in
    goesLeft.withUnsafeMutableBufferPointer { left in
        for f in 0..<p {
            var k = f * m
            let base = f * n
            var j = 0
            while j < n {
                let row = sorted[base + j]
                var copies = inBag[Int(row)]
                while copies > 0 { ord[k] = row; k += 1; copies -= 1 }
                j += 1
            }
        }

        // 3. Breadth-first growth: a queue of (node, start, end, depth) over ranges of `order`.
        struct Pending { var node: Int; var start: Int; var end: Int; var depth: Int }
        var queue: [Pending] = [Pending(node: 0, start: 0, end: m, depth: 0)]
        var head = 0
        tree.nodeFeature = [-1]; tree.nodeValue = [0]; tree.nodeLeft = [0]
        let maxDepth = parameters.maxDepth ?? Int.max

        while head < queue.count {
            let task = queue[head]; head += 1
            let count = task.end - task.start
            var sum = 0.0
            var yMin = Double.infinity, yMax = -Double.infinity
            var position = task.start
            while position < task.end {
                let v = y[Int(ord[position])]
                sum += v
                if v < yMin { yMin = v }
                if v > yMax { yMax = v }
                position += 1
            }
            let mean = sum / Double(count)
            tree.nodeValue[task.node] = mean
            if count <= parameters.minNodeSize || task.depth >= maxDepth || yMin == yMax { continue }

            // Best split over mtry randomly chosen features; criterion sL²/nL + sR²/nR − S²/N.
            let parentCriterion = sum * sum / Double(count)
            var bestGain = 0.0
            var bestFeature = -1
            var bestThreshold = 0.0
            var bestLeftCount = 0
            for c in 0..<mtry {
                let j = c + rng.uniformInt(below: p - c)
                candidatePool.swapAt(c, j)
                let f = candidatePool[c]
                let rows = ord.baseAddress! + f * m
                let column = x.baseAddress! + f * n
                var sumLeft = 0.0
                var current = column[Int(rows[task.start])]
                var k = task.start
                let last = task.end - 1
                // Branch-free scan: the gain is computed at every position (reciprocals instead of
                // divisions) and only counts where the next value differs; the rare improvement branches.
                while k < last {
                    sumLeft += y[Int(rows[k])]
                    let next = column[Int(rows[k + 1])]
                    let leftCount = k + 1 - task.start
                    let sumRight = sum - sumLeft
                    let gain = sumLeft * sumLeft * inverse[leftCount] + sumRight * sumRight * inverse[count - leftCount] - parentCriterion
                    let candidate = next > current ? gain : -Double.infinity
                    if candidate > bestGain {
                        bestGain = candidate
                        bestFeature = f
                        var threshold = (current + next) * 0.5
                        if !(threshold < next) { threshold = current }
                        bestThreshold = threshold
                        bestLeftCount = leftCount
                    }
                    current = next
                    k += 1
                }
            }
            if bestFeature < 0 { continue }

            // Partition every feature's range stably into left and right parts.
            let splitColumn = x.baseAddress! + bestFeature * n
            let splitRows = ord.baseAddress! + bestFeature * m
            var position2 = task.start
            while position2 < task.end {
                let row = Int(splitRows[position2])
                left[row] = splitColumn[row] <= bestThreshold
                position2 += 1
            }
            for f in 0..<p {
                let rows = ord.baseAddress! + f * m
                var l = task.start
                var r = 0
                var k = task.start
                while k < task.end {
                    // Branch-free: write to both sides, advance the one the row belongs to.
                    let row = rows[k]
                    let goesLeft = left[Int(row)] ? 1 : 0
                    rows[l] = row
                    tmp[r] = row
                    l += goesLeft
                    r += 1 - goesLeft
                    k += 1
                }
                k = 0
                while k < r { rows[l + k] = tmp[k]; k += 1 }
            }
            impurity[bestFeature] += bestGain
            let leftChild = tree.nodeFeature.count
            tree.nodeFeature[task.node] = Int32(bestFeature)
            tree.nodeValue[task.node] = bestThreshold
            tree.nodeLeft[task.node] = Int32(leftChild)
            tree.nodeFeature.append(contentsOf: [-1, -1])
            tree.nodeValue.append(contentsOf: [0, 0])
            tree.nodeLeft.append(contentsOf: [0, 0])
            let middle = task.start + bestLeftCount
            queue.append(Pending(node: leftChild, start: task.start, end: middle, depth: task.depth + 1))
            queue.append(Pending(node: leftChild + 1, start: middle, end: task.end, depth: task.depth + 1))
        }
    }}}}}}
    tree.inBagCount = inBag
    tree.impurityDecrease = impurity
    finishTree(&tree, data: data, parameters: parameters, treeIndex: treeIndex)
    return tree
}

/// OOB predictions, permutation importance and (optionally) leaf membership of all training rows.
private func finishTree(_ tree: inout GrownTree, data: TrainingSet, parameters: ForestParameters, treeIndex: Int) {
    let n = data.rowCount
    let p = data.featureCount
    var oobRows: [Int32] = []
    for row in 0..<n where tree.inBagCount[row] == 0 { oobRows.append(Int32(row)) }
    var oobPredictions = [Double](repeating: 0, count: oobRows.count)
    var permutationIncrease: [Double] = []
    var leafRowOffset: [Int32] = []
    var leafRows: [Int32] = []
    tree.nodeFeature.withUnsafeBufferPointer { feature in
    tree.nodeValue.withUnsafeBufferPointer { value in
    tree.nodeLeft.withUnsafeBufferPointer { left in
    data.features.withUnsafeBufferPointer { x in
        for (k, row) in oobRows.enumerated() {
            let leaf = descend(feature: feature, value: value, left: left, root: 0, data: x, rowCount: n, row: Int(row))
            oobPredictions[k] = value[leaf]
        }
        if parameters.computePermutationImportance && !oobRows.isEmpty {
            var rng = RandomStream(seed: parameters.seed, stream: treeIndex, purpose: .permutation)
            var baseError = 0.0
            for (k, row) in oobRows.enumerated() {
                let e = data.responses[Int(row)] - oobPredictions[k]
                baseError += e * e
            }
            permutationIncrease = [Double](repeating: 0, count: p)
            var permuted = oobRows
            for f in 0..<p {
                for k in stride(from: permuted.count - 1, to: 0, by: -1) {
                    permuted.swapAt(k, rng.uniformInt(below: k + 1))
                }
                var error = 0.0
                // Feature f is read from the permuted row, every other feature from the row itself.
                // Four OOB rows descend in lockstep (branch-free; a row at a leaf stays there).
                @inline(__always) func step(_ node: inout Int, own: Int, other: Int) -> Int32 {
                    let g = feature[node]
                    let inner = g >= 0
                    let column = inner ? Int(g) : 0
                    let v = x[column * n + (column == f ? other : own)]
                    node = inner ? Int(left[node]) + (v <= value[node] ? 0 : 1) : node
                    return g
                }
                let q = oobRows.count
                var k = 0
                while k + 4 <= q {
                    let o0 = Int(oobRows[k]), o1 = Int(oobRows[k + 1]), o2 = Int(oobRows[k + 2]), o3 = Int(oobRows[k + 3])
                    let p0 = Int(permuted[k]), p1 = Int(permuted[k + 1]), p2 = Int(permuted[k + 2]), p3 = Int(permuted[k + 3])
                    var n0 = 0, n1 = 0, n2 = 0, n3 = 0
                    while true {
                        let g0 = step(&n0, own: o0, other: p0), g1 = step(&n1, own: o1, other: p1)
                        let g2 = step(&n2, own: o2, other: p2), g3 = step(&n3, own: o3, other: p3)
                        if (g0 & g1 & g2 & g3) < 0 { break }
                    }
                    let e0 = data.responses[o0] - value[n0], e1 = data.responses[o1] - value[n1]
                    let e2 = data.responses[o2] - value[n2], e3 = data.responses[o3] - value[n3]
                    error += e0 * e0; error += e1 * e1; error += e2 * e2; error += e3 * e3
                    k += 4
                }
                while k < q {
                    let own = Int(oobRows[k]), other = Int(permuted[k])
                    var node = 0
                    while step(&node, own: own, other: other) >= 0 {}
                    let e = data.responses[own] - value[node]
                    error += e * e
                    k += 1
                }
                permutationIncrease[f] = (error - baseError) / Double(oobRows.count)
            }
        }
        if parameters.keepQuantileData {
            let nodeCount = feature.count
            var leafOf = [Int32](repeating: 0, count: n)
            var counts = [Int32](repeating: 0, count: nodeCount + 1)
            for row in 0..<n {
                let leaf = descend(feature: feature, value: value, left: left, root: 0, data: x, rowCount: n, row: row)
                leafOf[row] = Int32(leaf)
                counts[leaf + 1] += 1
            }
            for node in 0..<nodeCount { counts[node + 1] += counts[node] }
            leafRowOffset = counts
            var cursor = Array(counts.dropLast())
            leafRows = [Int32](repeating: 0, count: n)
            for row in 0..<n {
                let leaf = Int(leafOf[row])
                leafRows[Int(cursor[leaf])] = Int32(row)
                cursor[leaf] += 1
            }
        }
    }}}}
    tree.oobRows = oobRows
    tree.oobPredictions = oobPredictions
    tree.permutationIncrease = permutationIncrease
    tree.leafRowOffset = leafRowOffset
    tree.leafRows = leafRows
}
