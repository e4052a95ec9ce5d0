// Area of applicability of a model (Meyer & Pebesma 2021; docs/METHOD.md §8b).
import Essentials
import Foundation

/// Where a model trained on some predictor space can be trusted: the dissimilarity index (DI) of a point
/// is its weighted, standardised Euclidean distance to the nearest training point, divided by the mean
/// distance between training points; the point is inside the area of applicability (AOA) when its DI does
/// not exceed the threshold learnt from the training points' own cross-validated DI (Meyer & Pebesma 2021,
/// Methods Ecol. Evol. 12, 1620–1633).
///
/// Conventions (as CAST's `trainDI`/`aoa`, method L2): predictors standardised by the training mean and
/// sample standard deviation (n − 1), each multiplied by its weight (negative weights count as 0); the
/// normalising distance is the mean over training points of each point's mean distance to all others; a
/// training point's DI uses only training points of other cross-validation folds; the threshold is the
/// 75th percentile plus 1.5 interquartile ranges of the training DI (R type 7), capped at its maximum.
/// Nearest neighbours of new points are found with a k-d tree, so a global grid costs O(n log m).
public struct AreaOfApplicability: Sendable, Codable {
    /// Predictor names, in the order of the columns.
    public let featureNames: [String]
    /// Training mean of each predictor.
    public let means: [Double]
    /// Training sample standard deviation of each predictor.
    public let standardDeviations: [Double]
    /// Weight of each predictor (negative given weights set to 0).
    public let weights: [Double]
    /// Mean distance between training points (the DI's denominator), in weighted standard units.
    public let meanTrainingDistance: Double
    /// Cross-validated DI of every training point.
    public let trainingDI: [Double]
    /// Largest DI inside the area of applicability.
    public let threshold: Double
    /// The training points, standardised and weighted, row-major `[row * p + feature]`.
    private let points: [Double]
    private let tree: KDTree

    enum CodingKeys: String, CodingKey {
        case featureNames = "feature_names", means, standardDeviations = "standard_deviations", weights
        case meanTrainingDistance = "mean_training_distance", trainingDI = "training_di", threshold, points
    }

    /// Decodes a saved area of applicability (as `encode(to:)` wrote it) and rebuilds its k-d tree.
    /// - Throws: `DecodingError` for a damaged document (sizes that do not agree).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        featureNames = try c.decode([String].self, forKey: .featureNames)
        means = try c.decode([Double].self, forKey: .means)
        standardDeviations = try c.decode([Double].self, forKey: .standardDeviations)
        weights = try c.decode([Double].self, forKey: .weights)
        meanTrainingDistance = try c.decode(Double.self, forKey: .meanTrainingDistance)
        trainingDI = try c.decode([Double].self, forKey: .trainingDI)
        threshold = try c.decode(Double.self, forKey: .threshold)
        points = try c.decode([Double].self, forKey: .points)
        let p = featureNames.count
        guard p > 0, [means.count, standardDeviations.count, weights.count].allSatisfy({ $0 == p }), !trainingDI.isEmpty,
              points.count == trainingDI.count * p, meanTrainingDistance > 0 else {
            throw DecodingError.dataCorrupted(.init(codingPath: [CodingKeys.points],
                                                    debugDescription: "the sizes of the area-of-applicability document do not agree"))
        }
        tree = KDTree(points: points, count: trainingDI.count, dimensions: p)
    }

    /// Encodes everything `init(from:)` needs (the tree is rebuilt from the points).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(featureNames, forKey: .featureNames)
        try c.encode(means, forKey: .means)
        try c.encode(standardDeviations, forKey: .standardDeviations)
        try c.encode(weights, forKey: .weights)
        try c.encode(meanTrainingDistance, forKey: .meanTrainingDistance)
        try c.encode(trainingDI, forKey: .trainingDI)
        try c.encode(threshold, forKey: .threshold)
        try c.encode(points, forKey: .points)
    }

    /// Learns the area of applicability of `training` with predictor `weights` (e.g. permutation
    /// importance) and the cross-validation fold of every training row.
    /// - Throws: `ForestError.invalidInput` for mismatched sizes, fewer than two folds or no predictor with
    ///   a positive weight and spread.
    public init(training: FeatureMatrix, weights givenWeights: [Double], folds: [Int]) throws {
        let n = training.rowCount, p = training.featureCount
        guard givenWeights.count == p else { throw ForestError.invalidInput("\(givenWeights.count) weights for \(p) predictors") }
        guard folds.count == n else { throw ForestError.invalidInput("\(folds.count) folds for \(n) training rows") }
        guard n >= 2, Set(folds).count >= 2 else { throw ForestError.invalidInput("the area of applicability needs at least two folds") }
        if let bad = training.firstNonFiniteValue() {
            throw ForestError.invalidInput("row \(bad.row + 1): predictor '\(bad.feature)' is missing or not finite")
        }
        featureNames = training.featureNames
        var means = [Double](repeating: 0, count: p), deviations = [Double](repeating: 0, count: p)
        for f in 0..<p {
            let column = training.values[(f * n)..<((f + 1) * n)]
            let mean = column.reduce(0, +) / Double(n)
            means[f] = mean
            deviations[f] = (column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)).squareRoot()
        }
        self.means = means
        standardDeviations = deviations
        weights = givenWeights.map { $0.isFinite ? max($0, 0) : 0 }
        let usedWeights = weights
        guard (0..<p).contains(where: { usedWeights[$0] > 0 && deviations[$0] > 0 }) else {
            throw ForestError.invalidInput("no predictor has both a positive weight and a spread in the training data")
        }
        let points = AreaOfApplicability.scaled(training, means: means, deviations: deviations, weights: usedWeights)
        // Normalising distance: mean over points of the mean distance to every other point.
        var sumOfMeans = 0.0
        var nearestOtherFold = [Double](repeating: .infinity, count: n)
        for i in 0..<n {
            var sum = 0.0
            for j in 0..<n where j != i {
                let distance = AreaOfApplicability.distance(points, i, points, j, dimensions: p)
                sum += distance
                if folds[j] != folds[i] && distance < nearestOtherFold[i] { nearestOtherFold[i] = distance }
            }
            sumOfMeans += sum / Double(n - 1)
        }
        let normaliser = sumOfMeans / Double(n)
        meanTrainingDistance = normaliser
        let di = nearestOtherFold.map { $0 / normaliser }
        trainingDI = di
        let quartiles = AreaOfApplicability.quantilesType7(di, [0.25, 0.75])
        threshold = min(quartiles[1] + 1.5 * (quartiles[1] - quartiles[0]), di.max() ?? .nan)
        self.points = points
        tree = KDTree(points: points, count: n, dimensions: p)
    }

    /// DI of every row of `points` (columns in any order; matched by name) and whether it is inside.
    /// Rows with a missing predictor get NaN and are outside.
    /// - Throws: `ForestError.missingFeatures` when `points` lacks a predictor.
    public func assess(_ points: FeatureMatrix, threads: Int? = nil) throws -> (di: [Double], inside: [Bool]) {
        let di = try dissimilarity(columnMajor: points.values, featureNames: points.featureNames, rowCount: points.rowCount,
                                   threads: resolvedThreadCount(threads))
        return (di, di.map(isInside))
    }

    /// Whether a DI lies inside the area of applicability (DI ≤ threshold; NaN is outside).
    @inlinable public func isInside(_ di: Double) -> Bool { !di.isNaN && di <= threshold }

    /// DI of `rowCount` points given column-major (`columnMajor[f * rowCount + row]`, features named by
    /// `featureNames` in any order, extra columns ignored), as the map step holds a tile's cells. Rows with
    /// a non-finite predictor get NaN. Parallel over rows; results do not depend on `threads`.
    /// - Throws: `ForestError.missingFeatures` when a predictor of the AOA is not among `featureNames`.
    public func dissimilarity(columnMajor values: [Double], featureNames names: [String], rowCount m: Int,
                              threads: Int) throws -> [Double] {
        let missing = featureNames.filter { !names.contains($0) }
        guard missing.isEmpty else { throw ForestError.missingFeatures(missing) }
        let order = featureNames.compactMap { name in names.firstIndex(of: name) }
        let p = featureNames.count
        var di = [Double](repeating: .nan, count: m)
        let tree = self.tree, means = self.means, deviations = standardDeviations, weights = self.weights, scale = meanTrainingDistance
        values.withUnsafeBufferPointer { input in
        di.withUnsafeMutableBufferPointer { out in
            let shared = UncheckedBox((SharedBuffer(pointer: out), input))
            parallelForRanges(count: m, threads: max(1, threads)) { range in
                let (output, x) = shared.value
                var query = [Double](repeating: 0, count: p)
                rows: for row in range {
                    for f in 0..<p {
                        let value = x[order[f] * m + row]
                        guard value.isFinite else { continue rows }
                        query[f] = deviations[f] > 0 ? (value - means[f]) / deviations[f] * weights[f] : 0
                    }
                    output.pointer[row] = tree.nearestDistance(to: query) / scale
                }
            }
        }}
        return di
    }

    /// Standardised, weighted coordinates, row-major `[row * p + feature]`.
    static func scaled(_ matrix: FeatureMatrix, means: [Double], deviations: [Double], weights: [Double]) -> [Double] {
        let n = matrix.rowCount, p = matrix.featureCount
        var points = [Double](repeating: 0, count: n * p)
        for f in 0..<p where deviations[f] > 0 {
            for row in 0..<n { points[row * p + f] = (matrix.values[f * n + row] - means[f]) / deviations[f] * weights[f] }
        }
        return points
    }

    static func distance(_ a: [Double], _ i: Int, _ b: [Double], _ j: Int, dimensions p: Int) -> Double {
        var sum = 0.0
        for f in 0..<p {
            let d = a[i * p + f] - b[j * p + f]
            sum += d * d
        }
        return sum.squareRoot()
    }

    /// R's type-7 quantiles of finite values.
    static func quantilesType7(_ values: [Double], _ probabilities: [Double]) -> [Double] {
        let sorted = values.filter(\.isFinite).sorted()
        guard !sorted.isEmpty else { return probabilities.map { _ in .nan } }
        return probabilities.map { probability in
            let h = Double(sorted.count - 1) * probability
            let lower = Int(h.rounded(.down))
            let upper = min(lower + 1, sorted.count - 1)
            return sorted[lower] + (h - Double(lower)) * (sorted[upper] - sorted[lower])
        }
    }
}

/// A static k-d tree over points in R^p (row-major), answering nearest-neighbour distance queries.
struct KDTree: Sendable {
    private let points: [Double]
    private let dimensions: Int
    /// Point indices in tree order; node `k` of a subtree `lo..<hi` is the median `(lo + hi) / 2`.
    private let order: [Int]
    /// Split dimension of the node at each position of `order`.
    private let splitDimension: [Int]

    init(points: [Double], count: Int, dimensions: Int) {
        self.points = points
        self.dimensions = dimensions
        var order = Array(0..<count)
        var split = [Int](repeating: 0, count: count)
        KDTree.build(&order, &split, 0, count, points: points, dimensions: dimensions)
        self.order = order
        splitDimension = split
    }

    private static func build(_ order: inout [Int], _ split: inout [Int], _ lo: Int, _ hi: Int, points: [Double], dimensions p: Int) {
        guard hi - lo > 1 else { return }
        // Split on the dimension of widest spread.
        var best = 0, bestSpread = -1.0
        for f in 0..<p {
            var low = Double.infinity, high = -Double.infinity
            for k in lo..<hi { let v = points[order[k] * p + f]; low = min(low, v); high = max(high, v) }
            if high - low > bestSpread { bestSpread = high - low; best = f }
        }
        let middle = (lo + hi) / 2
        order[lo..<hi].sort { points[$0 * p + best] < points[$1 * p + best] }
        split[middle] = best
        build(&order, &split, lo, middle, points: points, dimensions: p)
        build(&order, &split, middle + 1, hi, points: points, dimensions: p)
    }

    /// Euclidean distance from `query` to the nearest point.
    func nearestDistance(to query: [Double]) -> Double {
        var best = Double.infinity
        search(0, order.count, query, &best)
        return best.squareRoot()
    }

    private func search(_ lo: Int, _ hi: Int, _ query: [Double], _ best: inout Double) {
        guard lo < hi else { return }
        let middle = (lo + hi) / 2
        let point = order[middle], p = dimensions
        var squared = 0.0
        for f in 0..<p {
            let d = points[point * p + f] - query[f]
            squared += d * d
        }
        if squared < best { best = squared }
        guard hi - lo > 1 else { return }
        let f = splitDimension[middle]
        let difference = query[f] - points[point * p + f]
        let (near, far) = difference < 0 ? ((lo, middle), (middle + 1, hi)) : ((middle + 1, hi), (lo, middle))
        search(near.0, near.1, query, &best)
        if difference * difference < best { search(far.0, far.1, query, &best) }
    }
}
