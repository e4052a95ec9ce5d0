import Testing
@testable import Forest

@Suite struct QuantileTests {
    /// Meinshausen (2006): with Gaussian noise of known σ = 3 around Friedman #1, 5 %–95 % QRF
    /// intervals must cover 88–92 % of held-out observations.
    @Test func ninetyPercentIntervalsCoverNinetyPercent() throws {
        let (train, yTrain, _) = TestData.friedman1(rows: 2000, features: 5, noiseSD: 3, seed: 101)
        let (test, yTest, _) = TestData.friedman1(rows: 3000, features: 5, noiseSD: 3, seed: 202)
        let forest = try RandomForest.train(features: train, responses: yTrain,
                                            parameters: ForestParameters(treeCount: 200, mtry: 3, minNodeSize: 5, seed: 4,
                                                                         computePermutationImportance: false, keepQuantileData: true),
                                            threads: 2)
        let result = try forest.predictWithQuantiles(test, quantiles: [0.95, 0.05, 0.5], threads: 2)
        let upper = result.quantiles[0], lower = result.quantiles[1], median = result.quantiles[2]
        var covered = 0
        for i in 0..<3000 {
            #expect(lower[i] <= median[i] && median[i] <= upper[i])
            if yTest[i] >= lower[i] && yTest[i] <= upper[i] { covered += 1 }
        }
        let coverage = Double(covered) / 3000
        #expect(coverage >= 0.88 && coverage <= 0.92, "coverage \(coverage)")
    }

    /// With one tree grown on all rows and one leaf holding all rows (depth 0), the quantiles are the
    /// empirical quantiles inf{y : F(y) ≥ α} of the training responses.
    @Test func singleLeafGivesEmpiricalQuantiles() throws {
        let y: [Double] = [5, 1, 4, 2, 3, 9, 7, 8, 6, 10]
        let matrix = try FeatureMatrix(columns: [("x", y.map { $0 * 2 })])
        let forest = try RandomForest.train(features: matrix, responses: y,
                                            parameters: ForestParameters(treeCount: 3, maxDepth: 0, seed: 1, keepQuantileData: true))
        let result = try forest.predictWithQuantiles(try FeatureMatrix(columns: [("x", [3])]), quantiles: [0, 0.1, 0.25, 0.5, 0.95, 1])
        #expect(result.quantiles.map { $0[0] } == [1, 1, 3, 5, 10, 10])
    }

    @Test func modelWithoutQuantileDataIsAClearError() throws {
        let matrix = try FeatureMatrix(columns: [("x", [1, 2, 3, 4, 5, 6])])
        let forest = try RandomForest.train(features: matrix, responses: [1, 2, 3, 4, 5, 6],
                                            parameters: ForestParameters(treeCount: 2, seed: 1))
        #expect(throws: ForestError.self) { try forest.predictWithQuantiles(matrix, quantiles: [0.5]) }
    }
}
