// Grid tuning of mtry × ntree by OOB error (METHOD.md §7; the paper used e1071::tune).
import Essentials

/// One cell of the tuning grid.
public struct TuningCell: Sendable, Equatable {
    /// Features tried per split.
    public var mtry: Int
    /// Number of trees.
    public var treeCount: Int
    /// OOB mean squared error (randomForest `mse`), in squared response units.
    public var oobMSE: Double
    /// OOB R² (randomForest `rsq`).
    public var oobR2: Double
}

/// The whole tuning grid and the chosen cell (lowest OOB MSE; ties → fewer trees, then smaller mtry).
public struct TuningResult: Sendable, Equatable {
    /// All cells, ordered by mtry then tree count.
    public var grid: [TuningCell]
    /// The chosen cell.
    public var best: TuningCell
}

extension RandomForest {
    /// Scores every (mtry, ntree) pair by OOB MSE. For each mtry one forest of max(treeCounts) trees
    /// is grown; because tree i depends only on (seed, i), the forest of the first k trees is exactly
    /// the forest a k-tree run would grow, so its OOB error is read off the prefix.
    public static func tune(features: FeatureMatrix, responses: [Double], mtryValues: [Int]? = nil,
                            treeCounts: [Int] = [100, 250, 500, 1000], base: ForestParameters = ForestParameters(),
                            threads: Int? = nil) throws -> TuningResult {
        try validateTrainingInput(features: features, responses: responses, targetName: "target")
        let p = features.featureCount
        let mtrys = mtryValues ?? Array(1...p)
        let counts = treeCounts.sorted()
        guard let maxTrees = counts.last, counts.first! >= 1 else {
            throw ForestError.invalidParameter("tree counts must be ≥ 1")
        }
        let data = TrainingSet(matrix: features, responses: responses)
        var grid: [TuningCell] = []
        for mtry in mtrys {
            var parameters = base
            parameters.mtry = mtry
            parameters.treeCount = maxTrees
            parameters.computePermutationImportance = false
            parameters.keepQuantileData = false
            try parameters.validate(sampleCount: features.rowCount, featureCount: p)
            let trees = growTrees(data: data, parameters: parameters, treeRange: 0..<maxTrees, threads: resolvedThreadCount(threads))
            for count in counts {
                let oob = oobStatistics(trees: trees[0..<count], responses: responses)
                grid.append(TuningCell(mtry: mtry, treeCount: count, oobMSE: oob.mse, oobR2: oob.r2))
            }
        }
        var best = grid[0]
        for cell in grid.dropFirst() where cell.oobMSE < best.oobMSE { best = cell }
        return TuningResult(grid: grid, best: best)
    }
}
