// A trained regression forest stored as flat arrays, and its training (METHOD.md §7, paper Sect. 2.5).
import Essentials

/// A trained Breiman regression forest. All trees live in flat struct-of-arrays storage:
/// node i of the forest has split feature `nodeFeature[i]` (−1 for a leaf), threshold
/// `nodeValue[i]` (rows with x ≤ threshold go to child `nodeLeft[i]`, the others to
/// `nodeLeft[i] + 1`; for a leaf `nodeValue[i]` is the leaf's mean response), and tree t's
/// root is node `treeRoot[t]`. Predictions are the mean over trees.
public struct RandomForest: Sendable, Equatable {
    /// Model feature names, in the order used by `nodeFeature`.
    public let featureNames: [String]
    /// The hyper-parameters it was trained with.
    public let parameters: ForestParameters
    /// OOB skill, importance and the training responses.
    public let summary: TrainingSummary
    /// Root node index of each tree.
    let treeRoot: [Int32]
    /// Split feature of each node, −1 for leaves.
    let nodeFeature: [Int32]
    /// Split threshold of each inner node; mean response of each leaf.
    let nodeValue: [Double]
    /// Absolute index of each inner node's left child (the right child is the next node).
    let nodeLeft: [Int32]
    /// Quantile-regression data, present when trained with `keepQuantileData` (`hasQuantileData`).
    let quantileData: QuantileLeafData?
    /// In-bag multiplicity of every training row in every tree, `inBagCounts[tree * n + row]`
    /// (n = `summary.sampleCount`), for infinitesimal-jackknife standard errors (`hasInBagCounts`).
    /// Nil for models read from format-1 files, or if a tree drew a row more than 255 times.
    let inBagCounts: [UInt8]?
    /// The lazily built infinitesimal-jackknife operator (derived from `inBagCounts`; not compared).
    let jackknifeCache = JackknifeCache()
    /// The lazily built ranked nodes the prediction kernels descend (derived from the nodes; not compared).
    let rankedNodesCache = RankedNodesCache()

    /// Number of trees.
    public var treeCount: Int { treeRoot.count }
    /// Total number of nodes in all trees.
    public var nodeCount: Int { nodeFeature.count }

    init(featureNames: [String], parameters: ForestParameters, summary: TrainingSummary, treeRoot: [Int32],
         nodeFeature: [Int32], nodeValue: [Double], nodeLeft: [Int32], quantileData: QuantileLeafData?,
         inBagCounts: [UInt8]?) {
        (self.featureNames, self.parameters, self.summary) = (featureNames, parameters, summary)
        (self.treeRoot, self.nodeFeature, self.nodeValue) = (treeRoot, nodeFeature, nodeValue)
        (self.nodeLeft, self.quantileData, self.inBagCounts) = (nodeLeft, quantileData, inBagCounts)
    }

    /// Trains a forest of `parameters.treeCount` trees on `features` → `responses` with `threads`
    /// workers (nil = all cores). Same seed → byte-identical model for any thread count.
    /// Throws if a value is missing/non-finite or a parameter is out of range.
    public static func train(features: FeatureMatrix, responses: [Double], targetName: String = "y",
                             parameters: ForestParameters = ForestParameters(), threads: Int? = nil) throws -> RandomForest {
        try validateTrainingInput(features: features, responses: responses, targetName: targetName)
        try parameters.validate(sampleCount: features.rowCount, featureCount: features.featureCount)
        let data = TrainingSet(matrix: features, responses: responses)
        let trees = growTrees(data: data, parameters: parameters, treeRange: 0..<parameters.treeCount,
                              threads: resolvedThreadCount(threads))
        return assemble(trees: trees, data: data, featureNames: features.featureNames, targetName: targetName,
                        parameters: parameters)
    }

    static func validateTrainingInput(features: FeatureMatrix, responses: [Double], targetName: String) throws {
        guard responses.count == features.rowCount else {
            throw ForestError.invalidInput("\(responses.count) responses for \(features.rowCount) feature rows")
        }
        guard features.featureCount >= 1 else { throw ForestError.invalidInput("no features") }
        if let bad = features.firstNonFiniteValue() {
            throw ForestError.invalidInput("row \(bad.row + 1): feature '\(bad.feature)' is missing or not finite")
        }
        if let row = responses.firstIndex(where: { !$0.isFinite }) {
            throw ForestError.invalidInput("row \(row + 1): target '\(targetName)' is missing or not finite")
        }
        // Squared deviations must stay finite, or the split scores and OOB R² overflow to NaN.
        let mean = responses.reduce(0, +) / Double(max(responses.count, 1))
        let sumSquares = responses.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        if !mean.isFinite || !sumSquares.isFinite {
            let largest = responses.max(by: { abs($0) < abs($1) }) ?? .nan
            throw ForestError.invalidInput("target '\(targetName)' values are too large to square (largest magnitude \(largest)); rescale them")
        }
        for f in 0..<features.featureCount {
            let column = features.values[(f * features.rowCount)..<((f + 1) * features.rowCount)]
            if let huge = column.first(where: { abs($0) > 1e150 }) {
                throw ForestError.invalidInput("feature '\(features.featureNames[f])' has the value \(huge), too large for split scores; rescale it")
            }
        }
    }

    static func growTrees(data: TrainingSet, parameters: ForestParameters, treeRange: Range<Int>, threads: Int) -> [GrownTree] {
        let slots = ResultSlots<GrownTree>(count: treeRange.count)
        parallelForEach(itemCount: treeRange.count, threads: threads) { item in
            slots.set(item, growTree(data: data, parameters: parameters, treeIndex: treeRange.lowerBound + item))
        }
        return slots.values()
    }

    /// OOB mean predictions and randomForest's MSE and R² from the first `trees`.
    static func oobStatistics(trees: ArraySlice<GrownTree>, responses: [Double]) -> (predictions: [Double], mse: Double, r2: Double) {
        let n = responses.count
        var sums = [Double](repeating: 0, count: n)
        var counts = [Int](repeating: 0, count: n)
        for tree in trees {
            for (k, row) in tree.oobRows.enumerated() {
                sums[Int(row)] += tree.oobPredictions[k]
                counts[Int(row)] += 1
            }
        }
        var predictions = [Double](repeating: .nan, count: n)
        var squaredError = 0.0
        var used = 0
        for row in 0..<n where counts[row] > 0 {
            predictions[row] = sums[row] / Double(counts[row])
            let e = responses[row] - predictions[row]
            squaredError += e * e
            used += 1
        }
        let mse = used > 0 ? squaredError / Double(used) : .nan
        let mean = responses.reduce(0, +) / Double(n)
        let populationVariance = responses.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
        let r2 = populationVariance > 0 ? 1 - mse / populationVariance : .nan
        return (predictions, mse, r2)
    }

    static func assemble(trees: [GrownTree], data: TrainingSet, featureNames: [String], targetName: String,
                         parameters: ForestParameters) -> RandomForest {
        let p = data.featureCount
        let totalNodes = trees.reduce(0) { $0 + $1.nodeFeature.count }
        var roots: [Int32] = []
        var feature: [Int32] = []; feature.reserveCapacity(totalNodes)
        var value: [Double] = []; value.reserveCapacity(totalNodes)
        var left: [Int32] = []; left.reserveCapacity(totalNodes)
        var impurity = [Double](repeating: 0, count: p)
        var permutationSum = [Double](repeating: 0, count: p)
        var permutationSquares = [Double](repeating: 0, count: p)
        var inBag: [UInt8]? = []
        inBag?.reserveCapacity(trees.count * data.rowCount)
        for tree in trees {
            // UInt8 holds every count a tree can draw unless the sample fraction is huge; then keep none.
            if tree.inBagCount.contains(where: { $0 > Int32(UInt8.max) }) { inBag = nil }
            inBag?.append(contentsOf: tree.inBagCount.map { UInt8(clamping: $0) })
            let base = Int32(feature.count)
            roots.append(base)
            feature.append(contentsOf: tree.nodeFeature)
            value.append(contentsOf: tree.nodeValue)
            left.append(contentsOf: tree.nodeLeft.enumerated().map { tree.nodeFeature[$0.offset] >= 0 ? $0.element + base : 0 })
            for f in 0..<p { impurity[f] += tree.impurityDecrease[f] }
            if !tree.permutationIncrease.isEmpty {
                for f in 0..<p {
                    permutationSum[f] += tree.permutationIncrease[f]
                    permutationSquares[f] += tree.permutationIncrease[f] * tree.permutationIncrease[f]
                }
            }
        }
        let t = Double(trees.count)
        let oob = oobStatistics(trees: trees[...], responses: data.responses)
        let permutationMean = permutationSum.map { $0 / t }
        let permutationSD = (0..<p).map { f in
            max(permutationSquares[f] / t - permutationMean[f] * permutationMean[f], 0).squareRoot() / t.squareRoot()
        }
        let summary = TrainingSummary(sampleCount: data.rowCount, targetName: targetName, observed: data.responses,
                                      oobPredictions: oob.predictions, oobMSE: oob.mse, oobR2: oob.r2,
                                      impurityImportance: impurity.map { $0 / t },
                                      permutationImportance: permutationMean, permutationImportanceSD: permutationSD)
        var quantileData: QuantileLeafData? = nil
        if parameters.keepQuantileData {
            quantileData = QuantileLeafData(trees: trees, responses: data.responses)
        }
        return RandomForest(featureNames: featureNames, parameters: parameters, summary: summary, treeRoot: roots,
                            nodeFeature: feature, nodeValue: value, nodeLeft: left, quantileData: quantileData,
                            inBagCounts: inBag)
    }
}
