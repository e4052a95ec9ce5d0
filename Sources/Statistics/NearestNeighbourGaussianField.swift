// Gaussian random fields on the sphere by the nearest-neighbour (Vecchia) construction (METHOD.md §8d).
import Essentials
import Foundation

/// Standard normal deviates N(0, 1) from a SplitMix64 stream by the Box–Muller transform
/// (Box & Muller 1958): from uniforms u₁ ∈ (0, 1], u₂ ∈ [0, 1), r = √(−2 ln u₁) and the pair
/// r·cos(2πu₂), r·sin(2πu₂); both members are used. The stream is a pure function of
/// (seed, stream), identical on every platform.
public struct GaussianDeviates: Sendable {
    private var generator: SplitMix64
    private var spare: Double?

    /// The deviates of stream `stream` (e.g. realisation × field) under the user's `seed`.
    public init(seed: UInt64, stream: UInt64) {
        var mixer = SplitMix64(seed: seed ^ 0x5349_4D55_4C41_5445)   // domain tag "SIMULATE"
        let base = mixer.next()
        var streamMixer = SplitMix64(seed: base ^ (stream &* 0xD1B5_4A32_D192_ED03))
        generator = SplitMix64(seed: streamMixer.next())
    }

    /// The next standard normal deviate.
    public mutating func next() -> Double {
        if let value = spare { spare = nil; return value }
        let u1 = Double((generator.next() >> 11) + 1) * 0x1.0p-53     // (0, 1]
        let u2 = Double(generator.next() >> 11) * 0x1.0p-53           // [0, 1)
        let radius = (-2 * log(u1)).squareRoot()
        let angle = 2 * Double.pi * u2
        spare = radius * sin(angle)
        return radius * cos(angle)
    }
}

/// The range-independent part of a nearest-neighbour Gaussian process (NNGP; Vecchia 1988,
/// Datta et al. 2016): a random order of the nodes and, for the node at order position k, its
/// (at most) m nearest nodes among positions 0 … k − 1.
///
/// Nearness is chordal distance between unit vectors, which orders points exactly like
/// great-circle distance. The order is a seeded random permutation (random orders approximate
/// the joint density much better than coordinate orders, Guinness 2018). Neighbours are found
/// with a uniform 3-D grid of the unit vectors searched in growing Chebyshev shells (a search is
/// exact: it stops once the m-th candidate is nearer than every unsearched cell); when the
/// shells would cost more than the k earlier nodes, those are checked directly.
public struct NearestNeighbourGraph: Sendable {
    /// Number of nodes n.
    public let nodeCount: Int
    /// Largest number of conditioning neighbours m.
    public let neighbourCount: Int
    /// Node index at each order position.
    public let order: [Int32]
    /// Unit vectors of the nodes (node index order).
    let points: [SIMD3<Double>]
    /// Neighbours (node indices) of the node at position k: `neighbours[k·m ..< k·m + counts[k]]`, nearest first.
    let neighbours: [Int32]
    /// Number of neighbours of each position (min(k, m)).
    let counts: [Int32]

    /// Builds order and neighbour sets for nodes at (longitude, latitude) in degrees.
    /// - Parameters:
    ///   - neighbourCount: m, the number of conditioning neighbours (20–30 is accurate for exponential fields).
    ///   - orderingSeed: seed of the random order.
    ///   - threads: workers for the neighbour search (results do not depend on it).
    /// - Throws: `StatisticsError` for mismatched lengths, non-finite coordinates or m < 1.
    public init(longitudes: [Double], latitudes: [Double], neighbourCount: Int = 25, orderingSeed: UInt64 = 1,
                threads: Int? = nil) throws {
        let points = try SphericalGeometry.unitVectors(longitudes: longitudes, latitudes: latitudes, what: "field nodes")
        let n = points.count
        guard neighbourCount >= 1 else { throw StatisticsError.invalidArgument("field nodes: neighbour count \(neighbourCount) must be ≥ 1") }
        let m = neighbourCount
        var permutation = (0..<n).map { Int32($0) }
        var shuffler = SplitMix64(seed: orderingSeed ^ 0x4F52_4445_5249_4E47)   // "ORDERING"
        if n > 1 {
            for i in stride(from: n - 1, to: 0, by: -1) {
                let j = Int(shuffler.next() % UInt64(i + 1))
                permutation.swapAt(i, j)
            }
        }
        let grid = PointGrid(points: points, order: permutation, targetPerCell: m)
        var flat = [Int32](repeating: 0, count: n * m)
        var counts = [Int32](repeating: 0, count: n)
        flat.withUnsafeMutableBufferPointer { flatBuffer in
            counts.withUnsafeMutableBufferPointer { countBuffer in
                let out = UncheckedBox((flatBuffer, countBuffer))
                parallelForRanges(count: n, threads: resolvedThreadCount(threads)) { range in
                    var found: [(Double, Int32)] = []
                    for position in range {
                        grid.nearestEarlier(position: position, count: m, into: &found)
                        for (j, candidate) in found.enumerated() { out.value.0[position * m + j] = permutation[Int(candidate.1)] }
                        out.value.1[position] = Int32(found.count)
                    }
                }
            }
        }
        nodeCount = n
        self.neighbourCount = m
        order = permutation
        self.points = points
        neighbours = flat
        self.counts = counts
    }
}

/// A 3-D uniform grid over the unit vectors, nodes bucketed by cell (compressed rows), for the
/// nearest-earlier-neighbour search of `NearestNeighbourGraph`.
struct PointGrid: Sendable {
    let points: [SIMD3<Double>]
    let order: [Int32]
    let positionOfNode: [Int32]
    let origin: SIMD3<Double>
    let cellSize: Double
    let dimensions: SIMD3<Int>
    /// Cell key → range into `members` (order positions in that cell, ascending).
    let cells: [Int: Range<Int>]
    let members: [Int32]

    init(points: [SIMD3<Double>], order: [Int32], targetPerCell: Int) {
        self.points = points
        self.order = order
        var positionOfNode = [Int32](repeating: 0, count: points.count)
        for (position, node) in order.enumerated() { positionOfNode[Int(node)] = Int32(position) }
        self.positionOfNode = positionOfNode
        var low = SIMD3<Double>(repeating: 1), high = SIMD3<Double>(repeating: -1)
        for point in points { low = pointwiseMin(low, point); high = pointwiseMax(high, point) }
        if points.isEmpty { low = .zero; high = .zero }
        origin = low
        let extent = max((high - low).max(), 1e-9)
        // Halve the cell size until the occupied cells hold at most targetPerCell nodes on average.
        var size = extent
        for _ in 0..<40 {
            var occupied = Set<SIMD3<Int>>()
            for point in points { occupied.insert(SIMD3<Int>((point - low) / size, rounding: .down)) }
            if points.count <= targetPerCell * occupied.count || extent / size > 4096 { break }
            size /= 2
        }
        cellSize = size
        dimensions = SIMD3<Int>((high - low) / size, rounding: .down) &+ 1
        var keyed: [(key: Int, position: Int32)] = []
        keyed.reserveCapacity(points.count)
        for (position, node) in order.enumerated() {
            keyed.append((Self.key(Self.cell(points[Int(node)], origin: low, size: size, dimensions: dimensions), dimensions),
                          Int32(position)))
        }
        keyed.sort { $0.key != $1.key ? $0.key < $1.key : $0.position < $1.position }
        var cells: [Int: Range<Int>] = [:]
        var start = 0
        while start < keyed.count {
            var end = start
            while end < keyed.count && keyed[end].key == keyed[start].key { end += 1 }
            cells[keyed[start].key] = start..<end
            start = end
        }
        self.cells = cells
        members = keyed.map(\.position)
    }

    static func cell(_ point: SIMD3<Double>, origin: SIMD3<Double>, size: Double, dimensions: SIMD3<Int>) -> SIMD3<Int> {
        let raw = SIMD3<Int>((point - origin) / size, rounding: .down)
        return pointwiseMin(pointwiseMax(raw, .zero), dimensions &- 1)
    }

    static func key(_ cell: SIMD3<Int>, _ dimensions: SIMD3<Int>) -> Int {
        (cell.x * dimensions.y + cell.y) * dimensions.z + cell.z
    }

    /// The `count` nearest order positions before `position` (squared chord, position), nearest
    /// first, ties broken by position.
    func nearestEarlier(position: Int, count: Int, into found: inout [(Double, Int32)]) {
        found.removeAll(keepingCapacity: true)
        if position == 0 { return }
        let query = points[Int(order[position])]
        func consider(_ candidate: Int32) {
            let difference = points[Int(order[Int(candidate)])] - query
            let distance = (difference * difference).sum()
            if found.count == count {
                guard let last = found.last, distance < last.0 || (distance == last.0 && candidate < last.1) else { return }
                found.removeLast()
            }
            var index = found.count
            while index > 0 && (found[index - 1].0 > distance || (found[index - 1].0 == distance && found[index - 1].1 > candidate)) {
                index -= 1
            }
            found.insert((distance, candidate), at: index)
        }
        let centre = Self.cell(query, origin: origin, size: cellSize, dimensions: dimensions)
        let largestShell = dimensions.max()
        var radius = 0
        while true {
            let side = 2 * radius + 1
            if side * side * side > 4 * position {
                // Shells would cost more than the earlier nodes themselves: check those directly.
                found.removeAll(keepingCapacity: true)
                for earlier in 0..<position { consider(Int32(earlier)) }
                return
            }
            for dx in -radius...radius {
                for dy in -radius...radius {
                    let onFace = abs(dx) == radius || abs(dy) == radius
                    for dz in stride(from: -radius, through: radius, by: onFace ? 1 : max(1, 2 * radius)) {
                        let cell = centre &+ SIMD3(dx, dy, dz)
                        if any(cell .< .zero) || any(cell .>= dimensions) { continue }
                        guard let range = cells[Self.key(cell, dimensions)] else { continue }
                        for slot in range {
                            let candidate = members[slot]
                            if Int(candidate) >= position { break }   // members are ascending positions
                            consider(candidate)
                        }
                    }
                }
            }
            let reach = Double(radius) * cellSize
            if let last = found.last, found.count == count, last.0 <= reach * reach { return }
            if radius > largestShell { return }
            radius += 1
        }
    }
}

/// A zero-mean, unit-variance Gaussian random field on nodes of the sphere with exponential
/// correlation ρ(d) = exp(−d / a) in great-circle distance d (km), approximated by the
/// nearest-neighbour (Vecchia) factorisation
///
///     z_{o(k)} = Σ_{j ∈ N(k)} b_kj z_j + s_k ε_k,   ε_k ~ N(0, 1) independent,
///
/// where N(k) are the m nearest earlier nodes, b_k = C_NN⁻¹ c_N and s_k² = 1 − c_Nᵀ b_k are the
/// exact conditional mean weights and variance given N(k) (Vecchia 1988; Datta et al. 2016).
/// With N(k) = all earlier nodes it is exact. exp(−d/a) in great-circle distance is positive
/// definite on the sphere (Gneiting 2013, Theorem 7: completely monotone functions of arc length),
/// so every C_NN is a valid correlation matrix; a Cholesky factor of each is computed once.
///
/// Special ranges: a = 0 gives independent N(0, 1) nodes; a = +∞ gives one N(0, 1) value shared
/// by all nodes. A realisation costs m multiply–adds per node.
public struct VecchiaGaussianField: Sendable {
    /// The order and neighbour sets.
    public let graph: NearestNeighbourGraph
    /// Range parameter a in km (0: independent; +∞: one common value).
    public let rangeKilometres: Double
    /// b_kj at `k·m + j` (order position k).
    let weights: [Double]
    /// s_k, the conditional standard deviation of position k.
    let conditionalSD: [Double]
    /// Largest diagonal jitter added to a C_NN for its Cholesky factor (0 when none was needed).
    public let largestJitter: Double

    /// Precomputes b_k and s_k for every node (one m × m Cholesky factorisation per node).
    /// - Throws: `StatisticsError.invalidArgument` for a negative or NaN range.
    public init(graph: NearestNeighbourGraph, rangeKilometres: Double, threads: Int? = nil) throws {
        guard rangeKilometres >= 0 else {
            throw StatisticsError.invalidArgument("field range \(rangeKilometres) km must be ≥ 0 (0: independent, +∞: common)")
        }
        self.graph = graph
        self.rangeKilometres = rangeKilometres
        let n = graph.nodeCount, m = graph.neighbourCount
        var weights = [Double](repeating: 0, count: n * m)
        var conditionalSD = [Double](repeating: 1, count: n)
        guard rangeKilometres > 0 && rangeKilometres.isFinite else {
            self.weights = weights
            self.conditionalSD = conditionalSD
            largestJitter = 0
            return
        }
        let jitters = ResultSlots<Double>(count: max(1, resolvedThreadCount(threads)))
        let workers = max(1, min(resolvedThreadCount(threads), n))
        weights.withUnsafeMutableBufferPointer { weightBuffer in
            conditionalSD.withUnsafeMutableBufferPointer { sdBuffer in
                let out = UncheckedBox((weightBuffer, sdBuffer))
                parallelForEach(itemCount: workers, threads: workers) { worker in
                    var jitter = 0.0
                    var matrix = [Double](repeating: 0, count: m * m)
                    var vector = [Double](repeating: 0, count: m)
                    let start = n * worker / workers, end = n * (worker + 1) / workers
                    for position in start..<end {
                        let q = Int(graph.counts[position])
                        if q == 0 { continue }
                        let node = graph.points[Int(graph.order[position])]
                        let base = position * m
                        for i in 0..<q {
                            let pi = graph.points[Int(graph.neighbours[base + i])]
                            vector[i] = exp(-SphericalGeometry.greatCircleKilometres(node, pi) / rangeKilometres)
                            matrix[i * m + i] = 1
                            for j in 0..<i {
                                let pj = graph.points[Int(graph.neighbours[base + j])]
                                matrix[i * m + j] = exp(-SphericalGeometry.greatCircleKilometres(pi, pj) / rangeKilometres)
                            }
                        }
                        let solution = conditionalWeights(matrix: matrix, vector: vector, size: q, rowStride: m)
                        jitter = max(jitter, solution.jitter)
                        for i in 0..<q { out.value.0[base + i] = solution.weights[i] }
                        out.value.1[position] = solution.conditionalSD
                    }
                    jitters.set(worker, jitter)
                }
            }
        }
        self.weights = weights
        self.conditionalSD = conditionalSD
        largestJitter = jitters.values().max() ?? 0
    }

    /// One realisation z (node index order) drawn with `deviates`, written into `values` (resized to n).
    /// Deviates are consumed in order position order, one per node.
    public func sample(into values: inout [Double], deviates: inout GaussianDeviates) {
        let n = graph.nodeCount, m = graph.neighbourCount
        if values.count != n { values = [Double](repeating: 0, count: n) }
        if rangeKilometres == .infinity {
            let common = deviates.next()
            for node in 0..<n { values[node] = common }
            return
        }
        let independent = rangeKilometres == 0
        values.withUnsafeMutableBufferPointer { z in
            graph.order.withUnsafeBufferPointer { order in
                graph.neighbours.withUnsafeBufferPointer { neighbours in
                    weights.withUnsafeBufferPointer { b in
                        for position in 0..<n {
                            var sum = 0.0
                            if !independent {
                                let base = position * m
                                for j in 0..<Int(graph.counts[position]) { sum += b[base + j] * z[Int(neighbours[base + j])] }
                            }
                            z[Int(order[position])] = sum + conditionalSD[position] * deviates.next()
                        }
                    }
                }
            }
        }
    }

    /// One realisation of stream `stream` under `seed` (a convenience over `sample(into:deviates:)`).
    public func sample(seed: UInt64, stream: UInt64) -> [Double] {
        var deviates = GaussianDeviates(seed: seed, stream: stream)
        var values: [Double] = []
        sample(into: &values, deviates: &deviates)
        return values
    }
}

/// Solves C b = c for a q × q correlation matrix C (lower triangle at `i·rowStride + j`, j ≤ i) by a
/// Cholesky factorisation C = L Lᵀ, and returns b and s = √max(0, 1 − cᵀb) = √max(0, 1 − |L⁻¹c|²).
/// If a pivot is not positive, jitter δ = 10⁻¹⁰, 10⁻⁸, … is added to the diagonal and reported.
func conditionalWeights(matrix: [Double], vector: [Double], size q: Int, rowStride: Int)
    -> (weights: [Double], conditionalSD: Double, jitter: Double) {
    var jitter = 0.0
    while true {
        if let factor = choleskyLower(matrix, size: q, rowStride: rowStride, jitter: jitter) {
            // Forward solve L y = c, then back solve Lᵀ b = y.
            var y = [Double](repeating: 0, count: q)
            for i in 0..<q {
                var sum = vector[i]
                for j in 0..<i { sum -= factor[i * q + j] * y[j] }
                y[i] = sum / factor[i * q + i]
            }
            var b = [Double](repeating: 0, count: q)
            for i in stride(from: q - 1, through: 0, by: -1) {
                var sum = y[i]
                for j in (i + 1)..<max(q, i + 1) { sum -= factor[j * q + i] * b[j] }
                b[i] = sum / factor[i * q + i]
            }
            var explained = 0.0
            for value in y { explained += value * value }
            return (b, max(0, 1 + jitter - explained).squareRoot(), jitter)
        }
        jitter = jitter == 0 ? 1e-10 : jitter * 100
        if jitter > 1e-2 { return ([Double](repeating: 0, count: q), 1, jitter) }
    }
}

/// The lower Cholesky factor L (dense q × q, row-major) of the symmetric matrix whose lower
/// triangle is at `matrix[i·rowStride + j]`, with `jitter` added to the diagonal; nil if not positive definite.
func choleskyLower(_ matrix: [Double], size q: Int, rowStride: Int, jitter: Double) -> [Double]? {
    var factor = [Double](repeating: 0, count: q * q)
    for i in 0..<q {
        for j in 0...i {
            var sum = matrix[i * rowStride + j] + (i == j ? jitter : 0)
            for k in 0..<j { sum -= factor[i * q + k] * factor[j * q + k] }
            if i == j {
                guard sum > 0 else { return nil }
                factor[i * q + i] = sum.squareRoot()
            } else {
                factor[i * q + j] = sum / factor[j * q + j]
            }
        }
    }
    return factor
}
