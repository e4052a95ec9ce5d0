import Forest
import Foundation
import Testing

/// The fused grid kernel `predictCells` must give exactly what the Forest engine gives (its own tests hold it
/// against R randomForest / quantregForest), for any thread count.
@Suite struct CellPredictionTests {
    @Test func fusedPredictionEqualsForestPredictionBitForBit() throws {
        var state: UInt64 = 12345
        func uniform() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
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
}
