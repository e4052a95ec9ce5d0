// k-fold nearest-neighbour distance matching cross-validation (kNNDM; Linnenbrink et al. 2024, GMD 17,
// 5897–5912; docs/METHOD.md §7b).
import Essentials
import Foundation

/// Geographic nearest-neighbour distances that decide how a map should be validated, and the kNNDM folds.
///
/// A map is used at its prediction locations; cross-validation imitates that only when the distances from
/// held-out points to the training points of the other folds resemble the distances from the prediction
/// locations to the training points. With clustered profiles, random folds test close to the training data
/// and overstate the skill of a global map. kNNDM (Linnenbrink et al. 2024) groups the training sites by
/// hierarchical clustering (Ward's criterion) into q clusters for many q between k and n, deals whole
/// clusters into k folds, and keeps the grouping whose held-out-to-training distance distribution Ĝⱼ* is
/// closest to the prediction-to-training distribution Ĝᵢⱼ in the Wasserstein-1 sense (the area between
/// the two empirical distribution functions). soilbeta also scores the random folds and keeps them when
/// they match best. Distances are great-circle distances on a sphere of radius 6371.0088 km.
public struct DistanceMatching: Sendable {
    /// Nearest-neighbour distance (km) from every prediction point to the training points (Ĝᵢⱼ).
    public let predictionToTraining: [Double]
    /// Nearest-neighbour distance (km) of every training point to the others (leave-one-out, Ĝⱼ).
    public let leaveOneOut: [Double]
    /// Number of training points.
    public var count: Int { leaveOneOut.count }
    /// Great-circle distances between training points, km, `[i * n + j]`.
    private let distances: [Double]
    /// The training sites as unit vectors (x, y, z) in R³.
    private let sites: [(Double, Double, Double)]

    /// Mean Earth radius, km (IUGG).
    public static let earthRadiusKm = 6371.0088

    /// Distances for training sites and prediction locations given in degrees.
    /// - Throws: `ForestError.invalidInput` for fewer than 3 training sites, sizes that differ, coordinates
    ///   that are not finite, or no prediction point.
    public init(trainingLongitude: [Double], trainingLatitude: [Double], predictionLongitude: [Double], predictionLatitude: [Double]) throws {
        let n = trainingLongitude.count
        guard n >= 3, trainingLatitude.count == n else { throw ForestError.invalidInput("kNNDM needs at least 3 training sites with lon and lat") }
        guard !predictionLongitude.isEmpty, predictionLatitude.count == predictionLongitude.count else {
            throw ForestError.invalidInput("kNNDM needs prediction points with lon and lat")
        }
        for (i, (lon, lat)) in zip(trainingLongitude, trainingLatitude).enumerated() where !(lon.isFinite && lat.isFinite) {
            throw ForestError.invalidInput("training site \(i + 1): lon/lat missing, needed for kNNDM")
        }
        let training = zip(trainingLongitude, trainingLatitude).map { DistanceMatching.unitVector(longitude: $0, latitude: $1) }
        var matrix = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in (i + 1)..<n {
                let d = DistanceMatching.greatCircleKm(training[i], training[j])
                matrix[i * n + j] = d
                matrix[j * n + i] = d
            }
        }
        distances = matrix
        sites = training
        leaveOneOut = (0..<n).map { i in (0..<n).filter { $0 != i }.map { matrix[i * n + $0] }.min() ?? .infinity }
        predictionToTraining = zip(predictionLongitude, predictionLatitude).compactMap { lon, lat in
            guard lon.isFinite, lat.isFinite else { return nil }
            let p = DistanceMatching.unitVector(longitude: lon, latitude: lat)
            return training.map { DistanceMatching.greatCircleKm(p, $0) }.min()
        }
    }

    /// Nearest-neighbour distance (km) from every training point to the training points of other folds (Ĝⱼ*).
    public func heldOutToTraining(folds: [Int]) -> [Double] {
        let n = count
        return (0..<n).map { i in
            var best = Double.infinity
            for j in 0..<n where folds[j] != folds[i] { best = min(best, distances[i * n + j]) }
            return best
        }
    }

    /// The Wasserstein-1 distance between the empirical distribution functions of two samples: ∫ |F₁(x) − F₂(x)| dx (km).
    public static func wasserstein(_ a: [Double], _ b: [Double]) -> Double {
        let x = a.filter(\.isFinite).sorted(), y = b.filter(\.isFinite).sorted()
        guard !x.isEmpty, !y.isEmpty else { return .nan }
        var i = 0, j = 0, area = 0.0
        var previous = min(x[0], y[0])
        while i < x.count || j < y.count {
            let next = j >= y.count || (i < x.count && x[i] <= y[j]) ? x[i] : y[j]
            area += abs(Double(i) / Double(x.count) - Double(j) / Double(y.count)) * (next - previous)
            previous = next
            while i < x.count && x[i] == next { i += 1 }
            while j < y.count && y[j] == next { j += 1 }
        }
        return area
    }

    /// The outcome of `knndm`: the folds, the number of clusters they come from (nil: the random folds
    /// matched best), and the Wasserstein distance of every scheme scored.
    public struct Choice: Sendable, Equatable {
        /// Fold (0-based) of every training point.
        public var folds: [Int]
        /// Clusters dealt into the folds; nil when the random folds were kept.
        public var clusters: Int?
        /// W (km) of the chosen folds.
        public var wasserstein: Double
        /// W (km) of the random folds.
        public var randomWasserstein: Double
    }

    /// kNNDM: the k folds, from Ward clusterings of the training sites into q clusters for `candidates`
    /// values of q spread evenly over k…n (and the given random folds), whose Ĝⱼ* is closest to Ĝᵢⱼ.
    /// Clusters are dealt, largest first, to the fold with the fewest points; a grouping is skipped when a
    /// fold would hold more than `maxShare` of the points. Deterministic (no random numbers).
    public func knndm(folds k: Int, randomFolds: [Int], maxShare: Double = 0.5, candidates: Int = 100) throws -> Choice {
        let n = count
        guard k >= 2, k <= n else { throw ForestError.invalidParameter("kNNDM folds must be in 2…\(n) (got \(k))") }
        guard randomFolds.count == n else { throw ForestError.invalidInput("\(randomFolds.count) random folds for \(n) training sites") }
        let merges = wardMerges()
        let randomW = DistanceMatching.wasserstein(heldOutToTraining(folds: randomFolds), predictionToTraining)
        var best = Choice(folds: randomFolds, clusters: nil, wasserstein: randomW, randomWasserstein: randomW)
        var tried = Set<Int>()
        for c in 0..<max(1, candidates) {
            let q = k + Int((Double(n - k) * Double(c) / Double(max(1, candidates - 1))).rounded())
            guard tried.insert(q).inserted else { continue }
            let cluster = DistanceMatching.cut(merges, count: n, clusters: q)
            guard let folds = DistanceMatching.deal(cluster, clusters: q, folds: k, maxPoints: Int((maxShare * Double(n)).rounded(.down))) else { continue }
            let w = DistanceMatching.wasserstein(heldOutToTraining(folds: folds), predictionToTraining)
            if w < best.wasserstein { best = Choice(folds: folds, clusters: q, wasserstein: w, randomWasserstein: randomW) }
        }
        return best
    }

    // MARK: - Ward clustering

    /// Agglomerative clustering with Ward's criterion on the sites' unit vectors (Euclidean in R³, so that
    /// Ward's variance criterion is exact) by the nearest-neighbour chain; merges sorted by height.
    /// Each merge joins the clusters represented by points `a` and `b` (the smallest point of each).
    func wardMerges() -> [(a: Int, b: Int, height: Double)] {
        let n = count
        var centroid = sites
        var size = [Double](repeating: 1, count: n)
        var active = [Bool](repeating: true, count: n)
        var merges: [(a: Int, b: Int, height: Double)] = []
        func cost(_ i: Int, _ j: Int) -> Double {
            let dx = centroid[i].0 - centroid[j].0, dy = centroid[i].1 - centroid[j].1, dz = centroid[i].2 - centroid[j].2
            return (2 * size[i] * size[j] / (size[i] + size[j]) * (dx * dx + dy * dy + dz * dz)).squareRoot()
        }
        var chain: [Int] = []
        var remaining = n
        while remaining > 1 {
            if chain.isEmpty, let first = active.firstIndex(of: true) { chain.append(first) }
            guard let top = chain.last else { break }
            var nearest = -1, nearestCost = Double.infinity
            for j in 0..<n where active[j] && j != top {
                let c = cost(top, j)
                // Ties prefer the previous chain element (guarantees termination), then the lower index.
                if c < nearestCost || (c == nearestCost && chain.count >= 2 && j == chain[chain.count - 2]) { nearest = j; nearestCost = c }
            }
            if chain.count >= 2, nearest == chain[chain.count - 2] {
                chain.removeLast(2)
                let (a, b) = (min(top, nearest), max(top, nearest))
                let total = size[a] + size[b]
                centroid[a] = ((centroid[a].0 * size[a] + centroid[b].0 * size[b]) / total,
                               (centroid[a].1 * size[a] + centroid[b].1 * size[b]) / total,
                               (centroid[a].2 * size[a] + centroid[b].2 * size[b]) / total)
                size[a] = total
                active[b] = false
                merges.append((a, b, nearestCost))
                remaining -= 1
            } else {
                chain.append(nearest)
            }
        }
        return merges.sorted { $0.height < $1.height }
    }

    /// Cluster label (0…q−1) of every point after the first n − q merges (union–find on the sorted merges).
    static func cut(_ merges: [(a: Int, b: Int, height: Double)], count n: Int, clusters q: Int) -> [Int] {
        var parent = Array(0..<n)
        func root(_ i: Int) -> Int {
            var r = i
            while parent[r] != r { r = parent[r] }
            var j = i
            while parent[j] != r { let next = parent[j]; parent[j] = r; j = next }
            return r
        }
        for merge in merges.prefix(max(0, n - q)) {
            let ra = root(merge.a), rb = root(merge.b)
            if ra != rb { parent[max(ra, rb)] = min(ra, rb) }
        }
        var label: [Int: Int] = [:]
        return (0..<n).map { i in
            let r = root(i)
            if let l = label[r] { return l }
            label[r] = label.count
            return label.count - 1
        }
    }

    /// Deals clusters (largest first; ties by label) to the fold with the fewest points; nil when a fold
    /// would exceed `maxPoints` or a fold stays empty.
    static func deal(_ cluster: [Int], clusters q: Int, folds k: Int, maxPoints: Int) -> [Int]? {
        var sizes = [Int](repeating: 0, count: q)
        for c in cluster { sizes[c] += 1 }
        let order = (0..<q).sorted { sizes[$0] != sizes[$1] ? sizes[$0] > sizes[$1] : $0 < $1 }
        var foldOfCluster = [Int](repeating: 0, count: q), foldSize = [Int](repeating: 0, count: k)
        for c in order {
            var smallest = 0
            for f in 1..<k where foldSize[f] < foldSize[smallest] { smallest = f }
            foldOfCluster[c] = smallest
            foldSize[smallest] += sizes[c]
        }
        guard foldSize.allSatisfy({ $0 > 0 && $0 <= maxPoints }) else { return nil }
        return cluster.map { foldOfCluster[$0] }
    }

    // MARK: - Geometry

    static func unitVector(longitude: Double, latitude: Double) -> (Double, Double, Double) {
        let lon = longitude * .pi / 180, lat = latitude * .pi / 180
        return (cos(lat) * cos(lon), cos(lat) * sin(lon), sin(lat))
    }

    static func greatCircleKm(_ a: (Double, Double, Double), _ b: (Double, Double, Double)) -> Double {
        let dx = a.0 - b.0, dy = a.1 - b.1, dz = a.2 - b.2
        let chord = (dx * dx + dy * dy + dz * dz).squareRoot()
        return 2 * earthRadiusKm * asin(min(1, chord / 2))
    }
}
