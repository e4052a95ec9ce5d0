import Essentials
import Foundation
@testable import Forest
import Testing

/// The area of applicability against CAST 1.1.1 (`trainDI`/`aoa`, R 4.2.2; Fixtures/aoa/PROVENANCE.md).
@Suite struct ApplicabilityTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/aoa").path

    func table(_ name: String) throws -> CSVTable { try CSVTable.read(path: Self.folder + "/" + name) }

    func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-6 * max(1, abs(b)) }

    @Test func dissimilarityIndexThresholdAndFlagsEqualCAST() throws {
        let train = try table("aoa_train.csv"), new = try table("aoa_new.csv"), weightTable = try table("aoa_weights.csv")
        let names = try (0..<weightTable.rows.count).map { weightTable.rows[$0][try weightTable.requireColumn("feature")] }
        let weights = try weightTable.numericColumn(try weightTable.requireColumn("weight"))
        let trainingMatrix = try FeatureMatrix(columns: try names.map { ($0, try train.numericColumn(try train.requireColumn($0))) })
        let folds = try train.numericColumn(try train.requireColumn("fold")).map { Int($0) }
        let aoa = try AreaOfApplicability(training: trainingMatrix, weights: weights, folds: folds)

        let summary = try table("aoa_summary.csv")
        var reference: [String: Double] = [:]
        for row in summary.rows { reference[row[0]] = Double(row[1]) }
        #expect(close(aoa.meanTrainingDistance, try #require(reference["mean_train_distance"])), "\(aoa.meanTrainingDistance)")
        #expect(close(aoa.threshold, try #require(reference["threshold"])), "\(aoa.threshold)")

        let trainDI = try table("aoa_train_di.csv")
        let expectedTrain = try trainDI.numericColumn(try trainDI.requireColumn("DI"))
        #expect(expectedTrain.count == aoa.trainingDI.count)
        for (mine, theirs) in zip(aoa.trainingDI, expectedTrain) { #expect(close(mine, theirs), "\(mine) vs \(theirs)") }

        // New points given with their columns in another order: matched by name.
        let newMatrix = try FeatureMatrix(columns: try names.reversed().map { ($0, try new.numericColumn(try new.requireColumn($0))) })
        let assessed = try aoa.assess(newMatrix, threads: 2)
        let newDI = try table("aoa_new_di.csv")
        let expectedDI = try newDI.numericColumn(try newDI.requireColumn("DI"))
        let expectedFlag = try newDI.numericColumn(try newDI.requireColumn("AOA")).map { $0 == 1 }
        #expect(assessed.di.count == 1_500)
        var mismatches = 0
        for k in expectedDI.indices where !close(assessed.di[k], expectedDI[k]) || assessed.inside[k] != expectedFlag[k] { mismatches += 1 }
        #expect(mismatches == 0)
        #expect(expectedFlag.filter { !$0 }.count > 100, "the reference has points outside")
    }

    @Test func nearestNeighbourSearchEqualsAScanOfAllTrainingPoints() throws {
        var random = SplitMix64(seed: 5)
        let n = 400, p = 4
        let training = try FeatureMatrix(columns: (0..<p).map { f in ("x\(f)", (0..<n).map { _ in random.normal() * Double(f + 1) }) })
        let aoa = try AreaOfApplicability(training: training, weights: [1, 0.5, 2, 0], folds: (0..<n).map { $0 % 5 })
        let queries = try FeatureMatrix(columns: (0..<p).map { f in ("x\(f)", (0..<300).map { _ in random.normal() * 3 }) })
        let fast = try aoa.assess(queries).di
        let points = AreaOfApplicability.scaled(training, means: aoa.means, deviations: aoa.standardDeviations, weights: aoa.weights)
        let scaledQueries = AreaOfApplicability.scaled(queries, means: aoa.means, deviations: aoa.standardDeviations, weights: aoa.weights)
        for q in 0..<300 {
            var best = Double.infinity
            for i in 0..<n { best = min(best, AreaOfApplicability.distance(points, i, scaledQueries, q, dimensions: p)) }
            #expect(abs(fast[q] - best / aoa.meanTrainingDistance) <= 1e-12, "query \(q)")
        }
    }
}
