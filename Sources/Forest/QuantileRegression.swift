// Quantile regression forest (Meinshausen 2006; METHOD.md §7 intervals).

/// The training responses behind every leaf, for quantile regression forest predictions.
/// As in Meinshausen (2006) and R quantregForest, all training rows (not only in-bag ones) are
/// dropped down each tree; row i gets weight 1/(k·|leaf|) from each of the k trees where it
/// shares the leaf of the new observation, and the α-quantile is inf{y : F̂(y) ≥ α}.
/// Opaque outside Forest: predictions go through `RandomForest.predictWithQuantiles`/`predictCells`.
public struct QuantileLeafData: Sendable, Equatable {
    /// Training responses in ascending order (ties by row).
    let sortedResponses: [Double]
    /// For forest node i, its training rows are `leafRanks[leafOffset[i] ..< leafOffset[i + 1]]` (empty for inner nodes).
    let leafOffset: [Int32]
    /// Ranks (indices into `sortedResponses`) of the training rows in each leaf.
    let leafRanks: [Int32]

    init(sortedResponses: [Double], leafOffset: [Int32], leafRanks: [Int32]) {
        self.sortedResponses = sortedResponses
        self.leafOffset = leafOffset
        self.leafRanks = leafRanks
    }

    init(trees: [GrownTree], responses: [Double]) {
        let n = responses.count
        let order = (0..<n).sorted { responses[$0] < responses[$1] || (responses[$0] == responses[$1] && $0 < $1) }
        var rank = [Int32](repeating: 0, count: n)
        for (k, row) in order.enumerated() { rank[row] = Int32(k) }
        sortedResponses = order.map { responses[$0] }
        var offsets: [Int32] = []
        var ranks: [Int32] = []
        ranks.reserveCapacity(trees.count * n)
        for tree in trees {
            let base = Int32(ranks.count)
            offsets.append(contentsOf: tree.leafRowOffset.dropLast().map { $0 + base })
            ranks.append(contentsOf: tree.leafRows.map { rank[Int($0)] })
        }
        offsets.append(Int32(ranks.count))
        leafOffset = offsets
        leafRanks = ranks
    }
}
