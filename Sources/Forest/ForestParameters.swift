// Hyper-parameters of the regression forest (METHOD.md §7, paper Sect. 2.5).

/// Hyper-parameters of a Breiman regression forest, with randomForest's defaults where not set.
public struct ForestParameters: Sendable, Equatable {
    /// Number of trees (`ntree`, default 500).
    public var treeCount: Int
    /// Features tried per split (`mtry`); `nil` means randomForest's regression default max(⌊p/3⌋, 1).
    public var mtry: Int?
    /// A node with at most this many (in-bag, counted with multiplicity) samples is not split (`nodesize`, default 5).
    public var minNodeSize: Int
    /// Maximum depth of a tree (root = depth 0); `nil` means unlimited.
    public var maxDepth: Int?
    /// `true`: bootstrap (sampling with replacement, default); `false`: sampling without replacement.
    public var sampleWithReplacement: Bool
    /// Size of each tree's sample as a fraction of n (default 1 with replacement, 0.632 without).
    public var sampleFraction: Double
    /// Seed of all random streams; the same seed gives the same forest for any thread count.
    public var seed: UInt64
    /// Compute permutation importance (%IncMSE on OOB samples, as randomForest `importance=TRUE`).
    public var computePermutationImportance: Bool
    /// Keep the training responses of every leaf for quantile regression forest predictions (Meinshausen 2006).
    public var keepQuantileData: Bool

    /// Creates parameters; defaults follow R randomForest for regression.
    public init(treeCount: Int = 500, mtry: Int? = nil, minNodeSize: Int = 5, maxDepth: Int? = nil,
                sampleWithReplacement: Bool = true, sampleFraction: Double? = nil, seed: UInt64 = 1,
                computePermutationImportance: Bool = true, keepQuantileData: Bool = false) {
        (self.treeCount, self.mtry, self.minNodeSize) = (treeCount, mtry, minNodeSize)
        (self.maxDepth, self.sampleWithReplacement) = (maxDepth, sampleWithReplacement)
        self.sampleFraction = sampleFraction ?? (sampleWithReplacement ? 1.0 : 0.632)
        self.seed = seed
        self.computePermutationImportance = computePermutationImportance
        self.keepQuantileData = keepQuantileData
    }

    /// The `mtry` actually used for `featureCount` features.
    public func resolvedMtry(featureCount: Int) -> Int {
        mtry ?? max(featureCount / 3, 1)
    }

    /// Checks the parameters against a training set of `sampleCount` rows and `featureCount` features.
    public func validate(sampleCount: Int, featureCount: Int) throws {
        if treeCount < 1 { throw ForestError.invalidParameter("trees must be ≥ 1 (got \(treeCount))") }
        let m = resolvedMtry(featureCount: featureCount)
        if m < 1 || m > featureCount {
            throw ForestError.invalidParameter("mtry must be in 1…\(featureCount) (got \(m))")
        }
        if minNodeSize < 1 { throw ForestError.invalidParameter("min-node must be ≥ 1 (got \(minNodeSize))") }
        if let depth = maxDepth, depth < 0 { throw ForestError.invalidParameter("max-depth must be ≥ 0 (got \(depth))") }
        if !(sampleFraction > 0) || sampleFraction > (sampleWithReplacement ? 10 : 1) {
            throw ForestError.invalidParameter("sample fraction must be in (0, \(sampleWithReplacement ? 10 : 1)] (got \(sampleFraction))")
        }
        if sampleCount < 2 { throw ForestError.invalidInput("need at least 2 training rows (got \(sampleCount))") }
        if Int((Double(sampleCount) * sampleFraction).rounded()) < 1 {
            throw ForestError.invalidParameter("sample fraction \(sampleFraction) leaves no sample of \(sampleCount) rows")
        }
    }
}

/// Out-of-bag skill and importance of a trained forest (randomForest's `mse`, `rsq`, `importance`).
public struct TrainingSummary: Sendable, Equatable {
    /// Number of training rows n.
    public var sampleCount: Int
    /// Name of the response variable (e.g. `beta`).
    public var targetName: String
    /// Observed responses, in training row order.
    public var observed: [Double]
    /// OOB prediction per training row (mean over the trees where the row was out of bag); NaN if never OOB.
    public var oobPredictions: [Double]
    /// OOB mean squared error over rows with at least one OOB prediction (randomForest `mse[ntree]`).
    public var oobMSE: Double
    /// √oobMSE, in units of the response.
    public var oobRMSE: Double { oobMSE.squareRoot() }
    /// OOB R² as randomForest's `rsq`: 1 − MSE / (var(y)·(n−1)/n).
    public var oobR2: Double
    /// Total decrease in node residual sum of squares from splits on each feature, averaged over trees (IncNodePurity).
    public var impurityImportance: [Double]
    /// Mean over trees of the increase in OOB MSE when the feature is permuted (randomForest's unscaled %IncMSE).
    public var permutationImportance: [Double]
    /// Standard error of `permutationImportance` over trees (randomForest `importanceSD`).
    public var permutationImportanceSD: [Double]

    /// randomForest's scaled %IncMSE: permutation importance divided by its standard error (0 when the SE is 0).
    public var scaledPermutationImportance: [Double] {
        zip(permutationImportance, permutationImportanceSD).map { $1 > 0 ? $0 / $1 : 0 }
    }

    /// Relative contribution of each feature in % (METHOD.md §6): its share of the permutation
    /// importance (increase in MSE, negative values counted as 0), summing to 100 %.
    public var relativeContributionPercent: [Double] {
        let clipped = permutationImportance.map { max($0, 0) }
        let total = clipped.reduce(0, +)
        guard total > 0 else { return clipped.map { _ in 0 } }
        return clipped.map { 100 * $0 / total }
    }
}
