import Forest
import Foundation
import Testing

/// A linear congruential stream of uniform numbers in [0, 1) for test inputs.
private struct UniformStream {
    var state: UInt64
    mutating func next() -> Double {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Double(state >> 11) / Double(1 << 53)
    }
}

/// The fused grid kernel `predictCells` must give exactly what the Forest engine gives (its own tests hold it
/// against R randomForest / quantregForest), for any thread count.
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
        let reference = try forest.predictWithQuantiles(matrix, quantiles: [0.05, 0.5, 0.95], threads: 1)
        for threads in [1, 2, 3] {
            let fused = try forest.predictCells(columnMajor: values, rowCount: cells,
                                                probabilities: [0.05, 0.5, 0.95], threads: threads)
            #expect(fused.mean.map(\.bitPattern) == reference.mean.map(\.bitPattern))
            for q in 0..<3 { #expect(fused.quantiles[q].map(\.bitPattern) == reference.quantiles[q].map(\.bitPattern)) }
        }
        #expect(throws: ForestError.self) {
            try forest.predictCells(columnMajor: values, rowCount: cells, probabilities: [0.9, 0.1], threads: 1)
        }
    }

    /// With 1,500 training rows the QRF weights of 64 cells outgrow the kernel's cache budget, so each block is
    /// taken in uneven passes (21 + 21 + 21 + 1 cells): mean, quantiles (including α = 0 and 1) and standard errors
    /// must still equal the row-by-row forest prediction, one-cell calls, and any thread count, bit for bit.
    @Test func passesOfManyTrainingRowsGiveTheSameBits() throws {
        var random = UniformStream(state: 777)
        func uniform() -> Double { random.next() }
        let trainingRows = 1500, features = 3
        let columns = (0..<features).map { f in (name: "x\(f)", values: (0..<trainingRows).map { _ in uniform() * 4 }) }
        let responses = (0..<trainingRows).map { i in sin(columns[0].values[i]) + 0.3 * columns[1].values[i] + 0.5 * uniform() }
        let forest = try RandomForest.train(features: try FeatureMatrix(columns: columns), responses: responses,
                                            parameters: ForestParameters(treeCount: 30, computePermutationImportance: false,
                                                                         keepQuantileData: true), threads: 2)
        let cells = 150
        let values = (0..<(cells * features)).map { _ in uniform() * 4.4 - 0.2 }
        let probabilities = [0, 0.05, 0.5, 0.95, 1]
        let matrix = try FeatureMatrix(featureNames: forest.featureNames, rowCount: cells, columnMajorValues: values)
        let reference = try forest.predictWithQuantiles(matrix, quantiles: probabilities, threads: 1)
        let fused = try forest.predictCells(columnMajor: values, rowCount: cells, probabilities: probabilities,
                                            standardError: true, threads: 1)
        #expect(fused.mean.map(\.bitPattern) == reference.mean.map(\.bitPattern))
        for q in probabilities.indices {
            #expect(fused.quantiles[q].map(\.bitPattern) == reference.quantiles[q].map(\.bitPattern))
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
        for cell in [0, 20, 21, 63, 64, 149] {
            let single = try forest.predictCells(columnMajor: (0..<features).map { values[$0 * cells + cell] }, rowCount: 1,
                                                 probabilities: probabilities, standardError: true, threads: 1)
            #expect(single.mean[0].bitPattern == fused.mean[cell].bitPattern)
            #expect(single.standardError[0].bitPattern == fused.standardError[cell].bitPattern)
            for q in probabilities.indices { #expect(single.quantiles[q][0].bitPattern == fused.quantiles[q][cell].bitPattern) }
        }
    }
}
