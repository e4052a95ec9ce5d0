@testable import Forest
import Foundation
import Testing

/// A linear congruential stream of uniform numbers in [0, 1) for test inputs.
struct UniformStream {
    var state: UInt64
    mutating func next() -> Double {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Double(state >> 11) / Double(1 << 53)
    }
}

/// Quantile regression forest quantiles by their definition (Meinshausen 2006), one row at a time: each training rank
/// gets 1/(k·|leaf|) from every tree t (ascending) whose leaf for the row holds it; the α-quantile is the first rank
/// with weight at which the cumulative weight reaches α·Σw (less a relative 1e-12), weights summed in rank order.
/// The reference the fused kernel is held to.
private func rowByRowQuantiles(_ forest: RandomForest, columnMajor x: [Double], rowCount: Int,
                               probabilities: [Double]) throws -> [[Double]] {
    let qrf = try #require(forest.quantileData)
    var result = [[Double]](repeating: [Double](repeating: .nan, count: rowCount), count: probabilities.count)
    for row in 0..<rowCount {
        var weight: [Int: Double] = [:]
        for t in 0..<forest.treeCount {
            var node = Int(forest.treeRoot[t])
            while forest.nodeFeature[node] >= 0 {
                let value = x[Int(forest.nodeFeature[node]) * rowCount + row]
                node = Int(forest.nodeLeft[node]) + (value <= forest.nodeValue[node] ? 0 : 1)
            }
            let members = Int(qrf.leafOffset[node])..<Int(qrf.leafOffset[node + 1])
            if members.isEmpty { continue }
            let share = (1.0 / Double(forest.treeCount)) / Double(members.count)
            for k in members { weight[Int(qrf.leafRanks[k]), default: 0] += share }
        }
        let ranks = weight.keys.sorted()
        let total = ranks.reduce(0.0) { $0 + weight[$1]! }
        for (q, probability) in probabilities.enumerated() {
            var cumulative = 0.0
            for rank in ranks {
                cumulative += weight[rank]!
                if cumulative >= probability * total * (1 - 1e-12) { result[q][row] = qrf.sortedResponses[rank]; break }
            }
        }
    }
    return result
}

/// The fused grid kernel `predictCells` and `predictWithQuantiles` (which uses it) must give exactly the quantiles of
/// the definition, row by row, and the mean of `predict`, for any thread count.
@Suite struct CellPredictionTests {
    @Test func fusedPredictionEqualsForestPredictionBitForBit() throws {
        var random = UniformStream(state: 12345)
        func uniform() -> Double { random.next() }
        let trainingRows = 150, features = 4
        let columns = (0..<features).map { f in (name: "x\(f)", values: (0..<trainingRows).map { _ in (uniform() * 10).rounded() / 2 }) }
        let responses = (0..<trainingRows).map { i in 0.95 + 0.01 * sin(columns[0].values[i]) + 0.005 * columns[1].values[i] / 5 + 0.002 * uniform() }
        let forest = try RandomForest.train(features: try FeatureMatrix(columns: columns), responses: responses,
                                            parameters: ForestParameters(treeCount: 40, computePermutationImportance: false,
                                                                         keepQuantileData: true), threads: 2)
        let cells = 333
        let values = (0..<(cells * features)).map { _ in (uniform() * 11).rounded() / 2 }
        let matrix = try FeatureMatrix(featureNames: forest.featureNames, rowCount: cells, columnMajorValues: values)
        let referenceMean = try forest.predict(matrix, threads: 1)
        let referenceQuantiles = try rowByRowQuantiles(forest, columnMajor: values, rowCount: cells, probabilities: [0.05, 0.5, 0.95])
        for threads in [1, 2, 3] {
            let fused = try forest.predictCells(columnMajor: values, rowCount: cells,
                                                probabilities: [0.05, 0.5, 0.95], threads: threads)
            #expect(fused.mean.map(\.bitPattern) == referenceMean.map(\.bitPattern))
            for q in 0..<3 { #expect(fused.quantiles[q].map(\.bitPattern) == referenceQuantiles[q].map(\.bitPattern)) }
            // The table call, probabilities in any order.
            let table = try forest.predictWithQuantiles(matrix, quantiles: [0.95, 0.05, 0.5], threads: threads)
            #expect(table.mean.map(\.bitPattern) == referenceMean.map(\.bitPattern))
            for (q, r) in [(0, 2), (1, 0), (2, 1)] { #expect(table.quantiles[q].map(\.bitPattern) == referenceQuantiles[r].map(\.bitPattern)) }
        }
        #expect(throws: ForestError.self) {
            try forest.predictCells(columnMajor: values, rowCount: cells, probabilities: [0.9, 0.1], threads: 1)
        }
    }

    /// With 10,000 training rows the QRF weights of 64 cells outgrow the kernel's budget, so each block is
    /// taken in uneven passes (52 + 12 cells): mean, quantiles (including α = 0 and 1) and standard errors
    /// must still equal the row-by-row forest prediction, one-cell calls, and any thread count, bit for bit.
    @Test func passesOfManyTrainingRowsGiveTheSameBits() throws {
        var random = UniformStream(state: 777)
        func uniform() -> Double { random.next() }
        let trainingRows = 10_000, features = 3
        let columns = (0..<features).map { f in (name: "x\(f)", values: (0..<trainingRows).map { _ in uniform() * 4 }) }
        let responses = (0..<trainingRows).map { i in sin(columns[0].values[i]) + 0.3 * columns[1].values[i] + 0.5 * uniform() }
        let forest = try RandomForest.train(features: try FeatureMatrix(columns: columns), responses: responses,
                                            parameters: ForestParameters(treeCount: 20, computePermutationImportance: false,
                                                                         keepQuantileData: true), threads: 2)
        let cells = 150
        let values = (0..<(cells * features)).map { _ in uniform() * 4.4 - 0.2 }
        let probabilities = [0, 0.05, 0.5, 0.95, 1]
        let matrix = try FeatureMatrix(featureNames: forest.featureNames, rowCount: cells, columnMajorValues: values)
        let referenceMean = try forest.predict(matrix, threads: 1)
        let referenceQuantiles = try rowByRowQuantiles(forest, columnMajor: values, rowCount: cells, probabilities: probabilities)
        let fused = try forest.predictCells(columnMajor: values, rowCount: cells, probabilities: probabilities,
                                            standardError: true, threads: 1)
        #expect(fused.mean.map(\.bitPattern) == referenceMean.map(\.bitPattern))
        for q in probabilities.indices {
            #expect(fused.quantiles[q].map(\.bitPattern) == referenceQuantiles[q].map(\.bitPattern))
        }
        for cell in 0..<cells {
            let levels = probabilities.indices.map { fused.quantiles[$0][cell] }
            #expect(levels == levels.sorted() && levels[0] >= responses.min()! && levels[4] <= responses.max()!)
        }
        for threads in [2, 3] {
            let other = try forest.predictCells(columnMajor: values, rowCount: cells, probabilities: probabilities,
                                                standardError: true, threads: threads)
            #expect(other == fused)
        }
        for cell in [0, 51, 52, 63, 64, 149] {
            let single = try forest.predictCells(columnMajor: (0..<features).map { values[$0 * cells + cell] }, rowCount: 1,
                                                 probabilities: probabilities, standardError: true, threads: 1)
            #expect(single.mean[0].bitPattern == fused.mean[cell].bitPattern)
            #expect(single.standardError[0].bitPattern == fused.standardError[cell].bitPattern)
            for q in probabilities.indices { #expect(single.quantiles[q][0].bitPattern == fused.quantiles[q][cell].bitPattern) }
        }
    }
}
