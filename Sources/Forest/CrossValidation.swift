// k-fold and spatial block cross-validation (METHOD.md §7; paper Eqs. 5–6).
import Essentials
import Statistics

/// How rows are assigned to cross-validation folds.
public enum FoldScheme: Sendable, Equatable {
    /// Rows shuffled (seeded) and dealt round-robin into k folds of near-equal size.
    case random(folds: Int)
    /// Rows grouped in blocks of `blockDegrees` × `blockDegrees` of longitude/latitude; whole blocks
    /// are assigned to folds (shuffled, then each to the currently smallest fold).
    case spatialBlocks(folds: Int, blockDegrees: Double, longitude: [Double], latitude: [Double])
    /// Folds given per row (0-based), e.g. kNNDM's (`DistanceMatching.knndm`).
    case given(folds: [Int])
}

/// Result of a cross-validation: pooled and per-fold figures and the observed-vs-predicted table.
public struct CrossValidationResult: Sendable, Equatable {
    /// Fold of every row (0-based), in input row order.
    public var foldOfRow: [Int]
    /// Held-out prediction of every row, in input row order.
    public var predicted: [Double]
    /// Observed response of every row.
    public var observed: [Double]
    /// Figures per fold.
    public var perFold: [PredictionSkill]
    /// Figures pooled over all held-out predictions (Eqs. 5–6 with q = n).
    public var pooled: PredictionSkill
}

extension RandomForest {
    /// Assigns every row to a fold according to `scheme`, reproducibly from `seed`.
    public static func assignFolds(rowCount: Int, scheme: FoldScheme, seed: UInt64) throws -> [Int] {
        var rng = RandomStream(seed: seed, stream: 0, purpose: .folds)
        switch scheme {
        case .given(let folds):
            guard folds.count == rowCount, let highest = folds.max(), folds.allSatisfy({ $0 >= 0 }), highest >= 1 else {
                throw ForestError.invalidInput("given folds: need one fold ≥ 0 per row and at least two folds (\(folds.count) for \(rowCount) rows)")
            }
            return folds
        case .random(let k):
            guard k >= 2 && k <= rowCount else { throw ForestError.invalidParameter("folds must be in 2…\(rowCount) (got \(k))") }
            var order = Array(0..<rowCount)
            for i in stride(from: rowCount - 1, to: 0, by: -1) { order.swapAt(i, rng.uniformInt(below: i + 1)) }
            var fold = [Int](repeating: 0, count: rowCount)
            for (position, row) in order.enumerated() { fold[row] = position % k }
            return fold
        case .spatialBlocks(let k, let degrees, let longitude, let latitude):
            guard degrees > 0 else { throw ForestError.invalidParameter("block size must be > 0 degrees (got \(degrees))") }
            guard longitude.count == rowCount, latitude.count == rowCount else {
                throw ForestError.invalidInput("lon/lat columns must have one value per row")
            }
            for row in 0..<rowCount where !(longitude[row].isFinite && latitude[row].isFinite) {
                throw ForestError.invalidInput("row \(row + 1): lon/lat missing, needed for spatial blocks")
            }
            var blockOfRow = [Int](repeating: 0, count: rowCount)
            var blockIndex: [Int64: Int] = [:]
            var blockSizes: [Int] = []
            for row in 0..<rowCount {
                let column = Int64((longitude[row] / degrees).rounded(.down))
                let line = Int64((latitude[row] / degrees).rounded(.down))
                let key = column &* 1_000_003 &+ line
                if let index = blockIndex[key] { blockOfRow[row] = index; blockSizes[index] += 1 } else {
                    blockIndex[key] = blockSizes.count
                    blockOfRow[row] = blockSizes.count
                    blockSizes.append(1)
                }
            }
            guard k >= 2 && k <= blockSizes.count else {
                throw ForestError.invalidParameter("\(blockSizes.count) spatial block(s) of \(degrees)° cannot make \(k) folds; use fewer folds or smaller blocks")
            }
            var blocks = Array(0..<blockSizes.count)
            for i in stride(from: blocks.count - 1, to: 0, by: -1) { blocks.swapAt(i, rng.uniformInt(below: i + 1)) }
            var foldOfBlock = [Int](repeating: 0, count: blockSizes.count)
            var foldSize = [Int](repeating: 0, count: k)
            for block in blocks {
                let smallest = foldSize.indices.min { foldSize[$0] < foldSize[$1] }!
                foldOfBlock[block] = smallest
                foldSize[smallest] += blockSizes[block]
            }
            return blockOfRow.map { foldOfBlock[$0] }
        }
    }

    /// Cross-validates a forest with `parameters`: for each fold, trains on the other folds and
    /// predicts the held-out rows; reports per-fold and pooled R² and RMSE (Eqs. 5–6).
    public static func crossValidate(features: FeatureMatrix, responses: [Double], scheme: FoldScheme,
                                     parameters: ForestParameters = ForestParameters(), threads: Int? = nil) throws -> CrossValidationResult {
        try validateTrainingInput(features: features, responses: responses, targetName: "target")
        let folds = try assignFolds(rowCount: features.rowCount, scheme: scheme, seed: parameters.seed)
        let k = (folds.max() ?? 0) + 1
        var predicted = [Double](repeating: .nan, count: features.rowCount)
        var perFold: [PredictionSkill] = []
        var foldParameters = parameters
        foldParameters.computePermutationImportance = false
        foldParameters.keepQuantileData = false
        for fold in 0..<k {
            let trainRows = folds.indices.filter { folds[$0] != fold }
            let testRows = folds.indices.filter { folds[$0] == fold }
            if testRows.isEmpty { continue }
            let forest = try train(features: features.selectingRows(trainRows), responses: trainRows.map { responses[$0] },
                                   parameters: foldParameters, threads: threads)
            let foldPredictions = try forest.predict(features.selectingRows(testRows), threads: threads)
            for (k, row) in testRows.enumerated() { predicted[row] = foldPredictions[k] }
            perFold.append(PredictionSkill(observed: testRows.map { responses[$0] }, predicted: foldPredictions))
        }
        return CrossValidationResult(foldOfRow: folds, predicted: predicted, observed: responses, perFold: perFold,
                                     pooled: PredictionSkill(observed: responses, predicted: predicted))
    }
}
