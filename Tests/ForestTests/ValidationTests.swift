import Essentials
import Statistics
import Testing
import SoilProfiles
@testable import Forest

@Suite struct ValidationTests {
    /// Eqs. 5–6 on a hand-computed case: residual SS 1, total SS 5 → R² 0.8, RMSE √(1/4) = 0.5.
    @Test func equationsFiveAndSixClosedForm() {
        let figures = PredictionSkill(observed: [1, 2, 3, 4], predicted: [1, 2, 3, 5])
        #expect(figures.count == 4)
        #expect(abs(figures.r2 - 0.8) < 1e-15)
        #expect(abs(figures.rmse - 0.5) < 1e-15)
    }

    /// Every OOB-MSE cell of the tuning grid equals the OOB MSE of a forest trained with exactly
    /// that many trees (the prefix shortcut is exact), and the choice is the grid minimum.
    @Test func tuningGridMatchesSeparateForests() throws {
        let (matrix, y, _) = TestData.friedman1(rows: 150, features: 5, seed: 12)
        let base = ForestParameters(seed: 6)
        let result = try RandomForest.tune(features: matrix, responses: y, mtryValues: [1, 3], treeCounts: [30, 10], base: base, threads: 2)
        #expect(result.grid.map { [$0.mtry, $0.treeCount] } == [[1, 10], [1, 30], [3, 10], [3, 30]])
        for cell in result.grid {
            var parameters = base
            parameters.mtry = cell.mtry
            parameters.treeCount = cell.treeCount
            let forest = try RandomForest.train(features: matrix, responses: y, parameters: parameters, threads: 1)
            #expect(forest.summary.oobMSE == cell.oobMSE)
        }
        #expect(result.best.oobMSE == result.grid.map(\.oobMSE).min())
    }

    @Test func randomFoldsAreBalancedAndCoverEveryRowOnce() throws {
        let folds = try RandomForest.assignFolds(rowCount: 103, scheme: .random(folds: 10), seed: 4)
        let sizes = (0..<10).map { fold in folds.filter { $0 == fold }.count }
        #expect(sizes.allSatisfy { $0 == 10 || $0 == 11 })
        #expect(sizes.reduce(0, +) == 103)
        #expect(try RandomForest.assignFolds(rowCount: 103, scheme: .random(folds: 10), seed: 4) == folds)
    }

    /// Spatial blocks: rows of one 5° block always share a fold, and with fewer blocks than folds
    /// the error says so.
    @Test func spatialBlocksKeepBlocksTogether() throws {
        var lon: [Double] = [], lat: [Double] = []
        for i in 0..<200 { lon.append(-20 + Double(i % 40)); lat.append(30 + Double(i / 40) * 2.6) }
        let folds = try RandomForest.assignFolds(rowCount: 200, scheme: .spatialBlocks(folds: 5, blockDegrees: 5, longitude: lon, latitude: lat), seed: 1)
        var foldOfBlock: [String: Int] = [:]
        for i in 0..<200 {
            let key = "\(Int((lon[i] / 5).rounded(.down)))/\(Int((lat[i] / 5).rounded(.down)))"
            if let known = foldOfBlock[key] { #expect(known == folds[i]) } else { foldOfBlock[key] = folds[i] }
        }
        #expect(Set(folds).count == 5)
        #expect(throws: ForestError.self) {
            try RandomForest.assignFolds(rowCount: 3, scheme: .spatialBlocks(folds: 5, blockDegrees: 5, longitude: [0, 1, 2], latitude: [0, 1, 2]), seed: 1)
        }
    }

    /// Pooled CV figures are Eqs. 5–6 over all held-out predictions; on Friedman #1 the forest's CV R²
    /// is close to its OOB R² (both estimate out-of-sample skill).
    @Test func crossValidationPoolsHeldOutPredictions() throws {
        let (matrix, y, _) = TestData.friedman1(rows: 300, features: 6, seed: 41)
        let parameters = ForestParameters(treeCount: 60, seed: 3)
        let cv = try RandomForest.crossValidate(features: matrix, responses: y, scheme: .random(folds: 5), parameters: parameters, threads: 2)
        #expect(cv.perFold.count == 5)
        #expect(cv.predicted.allSatisfy { $0.isFinite })
        let pooled = PredictionSkill(observed: y, predicted: cv.predicted)
        #expect(pooled == cv.pooled)
        let forest = try RandomForest.train(features: matrix, responses: y, parameters: parameters, threads: 2)
        #expect(abs(cv.pooled.r2 - forest.summary.oobR2) < 0.06)
    }

    @Test func missingValuesAreAnErrorOrDropped() throws {
        let csv = try CSVTable.parse(text: "id,a,b,y\n1,1,2,3\n2,NA,2,3\n3,1,,3\n4,1,2,\n5,4,5,6\n", source: "t.csv")
        do {
            _ = try ForestTableInput(table: csv, featureNames: ["a", "b"], target: "y", dropMissing: false)
            Issue.record("missing values accepted")
        } catch let error as ForestError {
            #expect(error.description.contains("t.csv: 3 row(s) have missing values: line 3 (a); line 4 (b); line 5 (y)"))
        }
        let dropped = try ForestTableInput(table: csv, featureNames: ["a", "b"], target: "y", dropMissing: true)
        #expect(dropped.droppedCount == 3)
        #expect(dropped.keptRows == [0, 4])
        #expect(dropped.features.values == [1, 4, 2, 5])
        #expect(dropped.responses == [3, 6])
        let bad = try CSVTable.parse(text: "a,y\n1,2\nx,3\n", source: "bad.csv")
        #expect(throws: FileError(file: "bad.csv", line: 3, field: "a",
                                 message: "'x' is not a finite number (use '.' as decimal mark; empty or NA for missing)")) {
            try ForestTableInput(table: bad, featureNames: ["a"], target: "y", dropMissing: false)
        }
        #expect(throws: FileError.self) { try ForestTableInput(table: bad, featureNames: ["zzz"], target: "y", dropMissing: false) }
    }

    @Test func quantileColumnNames() {
        #expect(ForestOutputs.quantileColumnName(0.05) == "q05")
        #expect(ForestOutputs.quantileColumnName(0.95) == "q95")
        #expect(ForestOutputs.quantileColumnName(0.5) == "q50")
        #expect(ForestOutputs.quantileColumnName(0.025) == "q02.5")
    }
}
