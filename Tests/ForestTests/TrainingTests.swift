import Testing
@testable import Forest

@Suite struct TrainingTests {
    /// One split on a step function: without resampling the tree must find the midpoint 5.5 and
    /// reproduce the two plateaus exactly (closed form).
    @Test func stepFunctionIsSplitAtTheMidpoint() throws {
        let x = (1...10).map(Double.init)
        let y = x.map { $0 <= 5 ? 2.0 : 7.0 }
        let matrix = try FeatureMatrix(columns: [("x", x)])
        let parameters = ForestParameters(treeCount: 1, mtry: 1, minNodeSize: 1, sampleWithReplacement: false,
                                          sampleFraction: 1, seed: 3, computePermutationImportance: false)
        let forest = try RandomForest.train(features: matrix, responses: y, parameters: parameters, threads: 1)
        #expect(forest.nodeCount == 3)
        #expect(forest.nodeFeature[0] == 0)
        #expect(forest.nodeValue[0] == 5.5)
        let probe = try FeatureMatrix(columns: [("x", [0, 5.5, 5.50001, 100])])
        #expect(try forest.predict(probe, threads: 1) == [2, 2, 7, 7])
    }

    /// The root split of a single unresampled tree with mtry = p equals a brute-force search that
    /// recomputes the residual sum of squares of every candidate split directly.
    @Test func rootSplitMatchesBruteForceSearch() throws {
        let (matrix, y, _) = TestData.friedman1(rows: 200, features: 5, seed: 11)
        let parameters = ForestParameters(treeCount: 1, mtry: 5, minNodeSize: 1, maxDepth: 1, sampleWithReplacement: false,
                                          sampleFraction: 1, seed: 1, computePermutationImportance: false)
        let forest = try RandomForest.train(features: matrix, responses: y, parameters: parameters, threads: 1)
        var best = (sse: Double.infinity, feature: -1, threshold: 0.0)
        for f in 0..<5 {
            let values = Set((0..<200).map { matrix.value(row: $0, feature: f) }).sorted()
            for k in 0..<(values.count - 1) {
                let threshold = (values[k] + values[k + 1]) / 2
                let left = (0..<200).filter { matrix.value(row: $0, feature: f) <= threshold }.map { y[$0] }
                let right = (0..<200).filter { matrix.value(row: $0, feature: f) > threshold }.map { y[$0] }
                func sse(_ v: [Double]) -> Double { let m = v.reduce(0, +) / Double(v.count); return v.reduce(0) { $0 + ($1 - m) * ($1 - m) } }
                let total = sse(left) + sse(right)
                if total < best.sse - 1e-9 { best = (total, f, threshold) }
            }
        }
        #expect(Int(forest.nodeFeature[0]) == best.feature)
        #expect(abs(forest.nodeValue[0] - best.threshold) < 1e-12)
    }

    /// OOB MSE and R² agree with a direct computation from the stored OOB predictions, using
    /// randomForest's definition rsq = 1 − mse / (var(y)(n−1)/n).
    @Test func oobFiguresFollowRandomForestDefinitions() throws {
        let (matrix, y, _) = TestData.friedman1(rows: 300, seed: 5)
        let forest = try RandomForest.train(features: matrix, responses: y,
                                            parameters: ForestParameters(treeCount: 60, seed: 9), threads: 2)
        let s = forest.summary
        let used = (0..<300).filter { !s.oobPredictions[$0].isNaN }
        let mse = used.reduce(0.0) { $0 + (y[$1] - s.oobPredictions[$1]) * (y[$1] - s.oobPredictions[$1]) } / Double(used.count)
        let mean = y.reduce(0, +) / 300
        let variance = y.reduce(0.0) { $0 + ($1 - mean) * ($1 - mean) } / 299
        #expect(abs(s.oobMSE - mse) < 1e-12 * mse)
        #expect(abs(s.oobR2 - (1 - mse / (variance * 299 / 300))) < 1e-12)
        #expect(s.oobR2 > 0.6 && s.oobR2 < 0.95)
        #expect(abs(s.oobRMSE - mse.squareRoot()) < 1e-12)
    }

    /// Friedman #1: x6…x10 are pure noise, so their permutation importance must be near 0 and
    /// far below the informative x4 (the linear term 10·x4); contributions sum to 100 %.
    @Test func permutationImportanceSeparatesSignalFromNoise() throws {
        let (matrix, y, _) = TestData.friedman1(rows: 400, seed: 21)
        let forest = try RandomForest.train(features: matrix, responses: y,
                                            parameters: ForestParameters(treeCount: 100, mtry: 4, seed: 2), threads: 2)
        let importance = forest.summary.permutationImportance
        for noise in 5..<10 { #expect(importance[noise] < 0.1 * importance[3]) }
        #expect(importance[3] > 1)
        let contributions = forest.summary.relativeContributionPercent
        #expect(abs(contributions.reduce(0, +) - 100) < 1e-9)
        #expect(forest.summary.impurityImportance[3] > 5 * forest.summary.impurityImportance[7])
        #expect(forest.summary.permutationImportanceSD.allSatisfy { $0 > 0 })
    }

    /// Same seed → byte-identical model files for 1 and 2 threads; another seed differs.
    @Test func sameSeedGivesIdenticalModelForAnyThreadCount() throws {
        let (matrix, y, _) = TestData.friedman1(rows: 250, seed: 8)
        let parameters = ForestParameters(treeCount: 40, seed: 77, keepQuantileData: true)
        let one = try RandomForest.train(features: matrix, responses: y, parameters: parameters, threads: 1)
        let two = try RandomForest.train(features: matrix, responses: y, parameters: parameters, threads: 2)
        #expect(ForestModelFile.encode(one) == ForestModelFile.encode(two))
        var other = parameters; other.seed = 78
        let three = try RandomForest.train(features: matrix, responses: y, parameters: other, threads: 2)
        #expect(ForestModelFile.encode(one) != ForestModelFile.encode(three))
        #expect(try one.predict(matrix, threads: 1) == two.predict(matrix, threads: 2))
    }

    /// minNodeSize: no leaf of an unresampled tree comes from splitting a node of ≤ minNodeSize rows,
    /// and maxDepth bounds the depth.
    @Test func nodeSizeAndDepthLimitsHold() throws {
        let (matrix, y, _) = TestData.friedman1(rows: 200, seed: 4)
        let parameters = ForestParameters(treeCount: 1, mtry: 10, minNodeSize: 20, maxDepth: 3, sampleWithReplacement: false,
                                          sampleFraction: 1, seed: 1, computePermutationImportance: false, keepQuantileData: true)
        let forest = try RandomForest.train(features: matrix, responses: y, parameters: parameters, threads: 1)
        let q = try #require(forest.quantileData)
        func visit(_ node: Int, depth: Int) {
            let size = Int(sizeOf(node))
            if forest.nodeFeature[node] >= 0 {
                #expect(size > 20)
                #expect(depth < 3)
                visit(Int(forest.nodeLeft[node]), depth: depth + 1)
                visit(Int(forest.nodeLeft[node]) + 1, depth: depth + 1)
            }
        }
        func sizeOf(_ node: Int) -> Int32 {
            if forest.nodeFeature[node] < 0 { return q.leafOffset[node + 1] - q.leafOffset[node] }
            return sizeOf(Int(forest.nodeLeft[node])) + sizeOf(Int(forest.nodeLeft[node]) + 1)
        }
        #expect(sizeOf(0) == 200)
        visit(0, depth: 0)
    }

    @Test func badInputIsAClearError() throws {
        let matrix = try FeatureMatrix(columns: [("a", [1, 2, .nan, 4]), ("b", [1, 2, 3, 4])])
        #expect(throws: ForestError.invalidInput("row 3: feature 'a' is missing or not finite")) {
            try RandomForest.train(features: matrix, responses: [1, 2, 3, 4])
        }
        let good = try FeatureMatrix(columns: [("a", [1, 2, 3, 4])])
        #expect(throws: ForestError.invalidParameter("mtry must be in 1…1 (got 2)")) {
            try RandomForest.train(features: good, responses: [1, 2, 3, 4], parameters: ForestParameters(mtry: 2))
        }
        let forest = try RandomForest.train(features: good, responses: [1, 2, 3, 4], targetName: "beta",
                                            parameters: ForestParameters(treeCount: 5, minNodeSize: 1))
        #expect(throws: ForestError.missingFeatures(["a"])) {
            try forest.predict(try FeatureMatrix(columns: [("b", [1.0])]))
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
