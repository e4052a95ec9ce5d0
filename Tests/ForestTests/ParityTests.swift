import Essentials
import Testing
import Foundation
import SoilProfiles
@testable import Forest

/// Skill parity with R: mean OOB R² over seeds 1…5 within ±0.01 of randomForest 4.7.1.1 and
/// ranger 0.14.1 (figures in Fixtures/r_parity.csv, made by bench/forest/parity.R) with the same
/// hyper-parameters: 500 trees, mtry = max(⌊p/3⌋, 1), node size 5, bootstrap.
@Suite struct ParityTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func load(_ name: String, target: String) throws -> ForestTableInput {
        let table = try CSVTable.read(path: fixtures.appendingPathComponent("\(name).csv").path)
        let features = table.header.filter { $0 != target && $0 != "id" }
        return try ForestTableInput(table: table, featureNames: features, target: target, dropMissing: false)
    }

    /// Mean over seeds of R's figures, per tool, from r_parity.csv.
    static func referenceR2(_ dataset: String) throws -> [String: Double] {
        let table = try CSVTable.read(path: fixtures.appendingPathComponent("r_parity.csv").path)
        let datasetColumn = try table.requireColumn("dataset"), toolColumn = try table.requireColumn("tool")
        let r2Column = try table.requireColumn("r2_rf")
        var sums: [String: (Double, Int)] = [:]
        for row in table.rows.indices where table.rows[row][datasetColumn] == dataset {
            let tool = table.rows[row][toolColumn]
            let value = try #require(try table.number(row: row, column: r2Column))
            sums[tool, default: (0, 0)].0 += value
            sums[tool, default: (0, 0)].1 += 1
        }
        return sums.mapValues { $0.0 / Double($0.1) }
    }

    @Test(arguments: [("dutch_beta_features", "beta"), ("diabetes", "y"), ("friedman1", "y")])
    func meanOOBR2MatchesRandomForestAndRanger(dataset: String, target: String) throws {
        let input = try Self.load(dataset, target: target)
        let reference = try Self.referenceR2(dataset)
        #expect(reference.count == 2)
        var total = 0.0
        for seed in UInt64(1)...5 {
            let forest = try RandomForest.train(features: input.features, responses: input.responses!,
                                                parameters: ForestParameters(treeCount: 500, minNodeSize: 5, seed: seed,
                                                                             computePermutationImportance: false), threads: 2)
            total += forest.summary.oobR2
        }
        let mean = total / 5
        for (tool, r2) in reference {
            #expect(abs(mean - r2) <= 0.01, "\(dataset): soilbeta mean OOB R² \(mean), \(tool) \(r2)")
        }
    }
}
