// The forest's nodes in the compact form the prediction kernels descend: every split threshold replaced by its
// rank among the distinct thresholds of its feature, so a node is 8 bytes and a deep tree fits in L1 cache
// (METHOD.md §8, grid prediction).
import Essentials

/// A split or leaf node as the prediction kernels read it, with a row's ranks stored as `encodedRank`. A row goes
/// from an inner node to `next` if `goesRight` of its rank in the split feature is false, else to `next + 1`. A leaf
/// keeps the row where it is: `next` is the leaf itself, `column` 0 and no rank goes right.
protocol RankedNode: Sendable {
    /// Whether this layout holds `featureCount` features with at most `mostDistinct` distinct thresholds each.
    static func holds(featureCount: Int, mostDistinct: Int) -> Bool
    /// A row's rank r as the kernels store it.
    static func encodedRank(_ rank: Int) -> UInt32
    /// The node, for split feature `feature` (−1 for a leaf), left child `next` and threshold rank `threshold`.
    init(feature: Int, next: Int32, threshold: Int)
    /// Left child of an inner node; the node itself for a leaf.
    var next: Int32 { get }
    /// Offset of the split feature's rank in a lane-interleaved group of eight rows (8 × feature; 0 for a leaf).
    var column: Int { get }
    /// Whether a row with encoded rank `encoded` goes right (its rank exceeds the threshold rank).
    func goesRight(_ encoded: UInt32) -> Bool
    /// Negative exactly for leaves, so several nodes can be tested with one AND.
    var leafBits: Int32 { get }
}

/// An 8-byte node for up to 31 features and 2²³ − 1 distinct thresholds per feature: `next`, and one key
/// `threshold << 8 | 8 × feature`. Ranks are stored as `r << 8`, so r > threshold ⇔ `r << 8 > key` in one unsigned
/// compare, and the key's low byte is the rank's offset in its group. A leaf's key is `0xFFFF_FF00`: above every
/// encoded rank (at most `(2²³ − 1) << 8`), negative as an Int32, and with offset 0, so a lane parked at a leaf
/// reads its own rank in feature 0 (an offset of 255 there read past the ranks of the last group).
struct PackedRankedNode: RankedNode {
    let next: Int32
    let key: UInt32
    /// The key of every leaf.
    static let leafKey: UInt32 = 0xFFFF_FF00
    static func holds(featureCount: Int, mostDistinct: Int) -> Bool { featureCount <= 31 && mostDistinct < 1 << 23 }
    @inline(__always) static func encodedRank(_ rank: Int) -> UInt32 { UInt32(truncatingIfNeeded: rank) << 8 }
    init(feature: Int, next: Int32, threshold: Int) {
        self.next = next
        key = feature < 0 ? PackedRankedNode.leafKey : UInt32(truncatingIfNeeded: threshold) << 8 | UInt32(truncatingIfNeeded: 8 * feature)
    }
    var column: Int { @inline(__always) get { Int(key & 0xff) } }
    @inline(__always) func goesRight(_ encoded: UInt32) -> Bool { encoded > key }
    var leafBits: Int32 { @inline(__always) get { Int32(bitPattern: key) } }
}

/// A 12-byte node for forests beyond `PackedRankedNode`'s limits (ranks stored as they are).
struct WideRankedNode: RankedNode {
    let next: Int32
    let offset: Int32
    let threshold: UInt32
    static func holds(featureCount: Int, mostDistinct: Int) -> Bool {
        featureCount < Int(Int32.max) / 8 && mostDistinct < Int(UInt32.max)
    }
    @inline(__always) static func encodedRank(_ rank: Int) -> UInt32 { UInt32(truncatingIfNeeded: rank) }
    init(feature: Int, next: Int32, threshold: Int) {
        self.next = next
        offset = feature < 0 ? Int32.min : Int32(truncatingIfNeeded: 8 * feature)
        self.threshold = feature < 0 ? UInt32.max : UInt32(truncatingIfNeeded: threshold)
    }
    var column: Int { @inline(__always) get { Int(offset & 0x7fff_ffff) } }
    @inline(__always) func goesRight(_ encoded: UInt32) -> Bool { encoded > threshold }
    var leafBits: Int32 { @inline(__always) get { offset } }
}

/// The forest with ranked thresholds. For feature f with distinct split thresholds T₀ < T₁ < … < T_{m−1}
/// (over all trees), a value x has rank r(x) = #{i : Tᵢ < x}, and x ≤ T_k ⇔ r(x) ≤ k for every real x, so
/// descending with ranks reaches exactly the leaves the thresholds reach: predictions are the same bits.
/// Node i here is node i of the forest (leaf values and QRF leaf data keep their indices).
struct RankedForest<Node: RankedNode>: Sendable {
    /// All features' distinct thresholds, ascending per feature; feature f's are
    /// `thresholds[thresholdStart[f]..<thresholdStart[f + 1]]`.
    let thresholds: [Double]
    /// Start of each feature's thresholds in `thresholds`, plus the end.
    let thresholdStart: [Int]
    /// The nodes, indexed as the forest's.
    let nodes: [Node]

    /// Every feature's distinct split thresholds in `forest`, ascending, concatenated: feature f's are
    /// `values[start[f]..<start[f + 1]]`.
    static func distinctThresholds(of forest: RandomForest, threads: Int) -> (values: [Double], start: [Int]) {
        var perFeature = [[Double]](repeating: [], count: forest.featureNames.count)
        for i in 0..<forest.nodeCount where forest.nodeFeature[i] >= 0 {
            perFeature[Int(forest.nodeFeature[i])].append(forest.nodeValue[i] + 0)
        }
        let distinct = ResultSlots<[Double]>(count: perFeature.count)
        parallelForEach(itemCount: perFeature.count, threads: threads) { f in
            var values: [Double] = []
            for v in perFeature[f].sorted() where values.isEmpty || values[values.count - 1] != v { values.append(v) }
            distinct.set(f, values)
        }
        let values = distinct.values()
        var start = [0]
        for feature in values { start.append(start[start.count - 1] + feature.count) }
        return (values.flatMap { $0 }, start)
    }

    /// `forest`'s nodes with thresholds ranked among `thresholds` (from `distinctThresholds(of:)`, within what
    /// `Node.holds`).
    init(_ forest: RandomForest, thresholds: (values: [Double], start: [Int]), threads: Int) {
        let (values, start) = thresholds
        var nodes = [Node](repeating: Node(feature: -1, next: 0, threshold: 0), count: forest.nodeCount)
        nodes.withUnsafeMutableBufferPointer { nodes in
        values.withUnsafeBufferPointer { t in
        forest.nodeFeature.withUnsafeBufferPointer { feature in
        forest.nodeValue.withUnsafeBufferPointer { value in
        forest.nodeLeft.withUnsafeBufferPointer { left in
            let shared = UncheckedBox((nodes, t, feature, value, left))
            let chunk = 1 << 16
            parallelForRanges(count: (forest.nodeCount + chunk - 1) / chunk, threads: threads) { chunks in
                let (nodes, t, feature, value, left) = shared.value
                for i in (chunks.lowerBound * chunk)..<min(chunks.upperBound * chunk, nodes.count) {
                    let f = Int(feature[i])
                    if f < 0 {
                        nodes[i] = Node(feature: -1, next: Int32(truncatingIfNeeded: i), threshold: 0)
                    } else if let t = t.baseAddress {
                        // The threshold's rank (the count of smaller ones) is its index among the distinct values.
                        let k = RankedForest.rank(value[i] + 0, in: t + start[f], count: start[f + 1] - start[f])
                        nodes[i] = Node(feature: f, next: left[i], threshold: k)
                    }
                }
            }
        }}}}}
        (self.thresholds, thresholdStart, self.nodes) = (values, start, nodes)
    }

    /// r(x) = number of the `count` ascending finite values at `t` that are < x, for finite x; the values and x hold
    /// no −0 (`distinctThresholds` and `rankRows` turn −0 into +0, which changes no comparison). A branch-free binary
    /// search: the test t < x is the sign bit of t − x (exact in sign for finite values, +0 when equal), which the
    /// compiler cannot turn back into a compare and branch (mispredicted half the time on a search path).
    @inline(__always)
    static func rank(_ x: Double, in t: UnsafePointer<Double>, count n: Int) -> Int {
        if n == 0 { return 0 }
        var base = 0, length = n
        while length > 1 {
            let half = length >> 1
            let belowMask = Int(truncatingIfNeeded: Int64(bitPattern: (t[base &+ half &- 1] - x).bitPattern) >> 63)
            base &+= half & belowMask
            length -= half
        }
        return base &+ Int(truncatingIfNeeded: (t[base] - x).bitPattern >> 63)
    }

    /// Capacity `rankRows` needs for `count` rows: eight-row groups of `featureCount` ranks.
    static func rankCapacity(rows count: Int, featureCount p: Int) -> Int { (count + 7) / 8 * 8 * max(1, p) }

    /// Writes the encoded ranks of `count` rows lane-interleaved: row r's rank in feature f at
    /// `ranks[(r / 8 · p + f) · 8 + r % 8]`, a last group of fewer than eight rows filled with copies of its last row
    /// (`rankCapacity` values). Feature f of row r is read at `values[columnOffset[f] + r]`.
    func rankRows(values: UnsafePointer<Double>, columnOffset: [Int], count: Int, into ranks: UnsafeMutablePointer<UInt32>) {
        let p = thresholdStart.count - 1
        let padded = (count + 7) / 8 * 8
        thresholds.withUnsafeBufferPointer { t in
            for f in 0..<p {
                let n = thresholdStart[f + 1] - thresholdStart[f]
                let column = values + columnOffset[f]
                for r in 0..<padded {
                    var rank = 0
                    if let t = t.baseAddress, n > 0 {
                        rank = RankedForest.rank(column[min(r, count - 1)] + 0, in: t + thresholdStart[f], count: n)
                    }
                    ranks[((r >> 3) * p + f) << 3 | (r & 7)] = Node.encodedRank(rank)
                }
            }
        }
    }

    /// Leaves reached in the tree rooted at `root` by `count` rows whose encoded ranks are in `ranks` as
    /// `rankRows` writes them: `leaves[row]`. Each group of eight rows descends in lockstep with branch-free steps
    /// (a row at a leaf stays there) until all eight are at leaves, so their independent chains of node loads
    /// overlap; the group's ranks are addressed from one base, lane k at offset `column + k`. Not inlined, so its
    /// nine live indices and pointers get registers of their own (inlined into the cell kernel, they spilled).
    @inline(never)
    static func descend(nodes: UnsafePointer<Node>, root: Int, ranks: UnsafePointer<UInt32>, featureCount p: Int,
                        count: Int, leaves: UnsafeMutablePointer<Int32>) {
        var j = 0
        while j < count {
            let x = ranks + j * p
            var n0 = root, n1 = root, n2 = root, n3 = root, n4 = root, n5 = root, n6 = root, n7 = root
            // One step of all eight lanes; lane by lane, so one node is live at a time (no register spills).
            @inline(__always) func step(_ n: inout Int, _ lane: Int) -> Int32 {
                let a = nodes[n]
                n = Int(a.next) &+ (a.goesRight(x[a.column &+ lane]) ? 1 : 0)
                return a.leafBits
            }
            while true {
                // Two steps per test for "all at a leaf" (the test costs an AND per lane and step); the lanes already
                // at leaves stay there during the extra step.
                _ = step(&n0, 0); _ = step(&n1, 1); _ = step(&n2, 2); _ = step(&n3, 3)
                _ = step(&n4, 4); _ = step(&n5, 5); _ = step(&n6, 6); _ = step(&n7, 7)
                let leaves = step(&n0, 0) & step(&n1, 1) & step(&n2, 2) & step(&n3, 3) & step(&n4, 4) & step(&n5, 5)
                    & step(&n6, 6) & step(&n7, 7)
                if leaves < 0 { break }
            }
            let lanes = min(8, count - j)
            let out = leaves + j
            out[0] = Int32(truncatingIfNeeded: n0)
            if lanes > 1 { out[1] = Int32(truncatingIfNeeded: n1) }
            if lanes > 2 { out[2] = Int32(truncatingIfNeeded: n2) }
            if lanes > 3 { out[3] = Int32(truncatingIfNeeded: n3) }
            if lanes > 4 { out[4] = Int32(truncatingIfNeeded: n4) }
            if lanes > 5 { out[5] = Int32(truncatingIfNeeded: n5) }
            if lanes > 6 { out[6] = Int32(truncatingIfNeeded: n6) }
            if lanes > 7 { out[7] = Int32(truncatingIfNeeded: n7) }
            j += 8
        }
    }
}

/// A forest's ranked nodes in the narrowest form that holds them.
enum RankedNodes: Sendable {
    case packed(RankedForest<PackedRankedNode>)
    case wide(RankedForest<WideRankedNode>)
}

/// Holds a model's `RankedNodes` once built (shared by copies of the model; not part of its equality).
final class RankedNodesCache: Sendable, Equatable {
    /// The ranked nodes once built.
    let slot = Locked<RankedNodes?>(nil)
    static func == (lhs: RankedNodesCache, rhs: RankedNodesCache) -> Bool { true }
}

extension RandomForest {
    /// The forest's ranked nodes (built with `threads` workers on the first call, then cached).
    func rankedNodes(threads: Int) -> RankedNodes {
        rankedNodesCache.slot.withLock { cached in
            if let cached { return cached }
            let thresholds = RankedForest<PackedRankedNode>.distinctThresholds(of: self, threads: threads)
            let mostDistinct = zip(thresholds.start.dropFirst(), thresholds.start).map { $0 - $1 }.max() ?? 0
            let built: RankedNodes = PackedRankedNode.holds(featureCount: featureNames.count, mostDistinct: mostDistinct)
                ? .packed(RankedForest(self, thresholds: thresholds, threads: threads))
                : .wide(RankedForest(self, thresholds: thresholds, threads: threads))
            cached = built
            return built
        }
    }
}
