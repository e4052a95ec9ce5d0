import Testing
@testable import Forest

@Suite struct PredictionTests {
    /// The batched, multi-threaded kernel equals a plain one-row-at-a-time walk of the flat arrays
    /// (written here independently), for a row count that spans two blocks with a ragged tail, and
    /// for any thread count; columns are matched by name, extra columns ignored.
    @Test func batchedPredictionEqualsNaiveTraversal() throws {
        let (train, y, _) = TestData.friedman1(rows: 300, features: 6, seed: 31)
        let forest = try RandomForest.train(features: train, responses: y,
                                            parameters: ForestParameters(treeCount: 12, seed: 3, computePermutationImportance: false), threads: 2)
        let rows = predictionBlockRows + 1237
        let (probe, _, _) = TestData.friedman1(rows: rows, features: 7, seed: 32)
        // Reverse the column order and add an unused column: mapping must go by name.
        let names = Array(probe.featureNames.reversed())
        let shuffled = try FeatureMatrix(columns: names.map { name in
            let f = probe.featureNames.firstIndex(of: name)!
            return (name, (0..<rows).map { probe.value(row: $0, feature: f) })
        })
        let one = try forest.predict(shuffled, threads: 1)
        let three = try forest.predict(shuffled, threads: 3)
        #expect(one == three)
        var mismatches = 0
        for row in 0..<rows {
            var sum = 0.0
            for root in forest.treeRoot {
                var node = Int(root)
                while forest.nodeFeature[node] >= 0 {
                    let x = probe.value(row: row, feature: Int(forest.nodeFeature[node]))
                    node = x <= forest.nodeValue[node] ? Int(forest.nodeLeft[node]) : Int(forest.nodeLeft[node]) + 1
                }
                sum += forest.nodeValue[node]
            }
            if abs(sum / 12 - one[row]) > 1e-12 * max(1, abs(sum)) { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    /// Training-set predictions of a forest without resampling and with node size 1 interpolate the
    /// data exactly (every leaf is one distinct training point).
    @Test func fullyGrownUnsampledTreesInterpolate() throws {
        let (train, y, _) = TestData.friedman1(rows: 64, features: 5, seed: 5)
        let forest = try RandomForest.train(features: train, responses: y,
                                            parameters: ForestParameters(treeCount: 3, mtry: 5, minNodeSize: 1, sampleWithReplacement: false,
                                                                         sampleFraction: 1, seed: 2, computePermutationImportance: false))
        let fitted = try forest.predict(train)
        for (a, b) in zip(fitted, y) { #expect(abs(a - b) < 1e-12) }
    }
}
