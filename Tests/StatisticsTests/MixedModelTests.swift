import Essentials
import Foundation
import Statistics
import Testing

/// The REML random-intercept model against lme4 1.1-31 (Fixtures/mixed/PROVENANCE.md).
@Suite struct MixedModelTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/mixed").path

    func read(_ name: String) throws -> CSVTable { try CSVTable.read(path: Self.folder + "/" + name) }
    func close(_ a: Double, _ b: Double, _ relative: Double = 1e-5) -> Bool { abs(a - b) <= relative * abs(b) }
    /// A number of the reference files (R pads some fields with a space).
    func number(_ text: String) -> Double { Double(text.trimmingCharacters(in: .whitespaces)) ?? .nan }

    @Test func fixedEffectsVarianceComponentsBLUPsAndPredictionsEqualLme4() throws {
        let data = try read("mixed_data.csv")
        let names = ["mat", "map", "clay", "ph"]
        let covariates = try names.map { ($0, try data.numericColumn(try data.requireColumn($0))) }
        let studyColumn = try data.requireColumn("study")
        let groups = data.rows.map { $0[studyColumn] }
        let beta = try data.numericColumn(try data.requireColumn("beta"))
        let model = try MixedModel(response: beta, covariates: covariates, groups: groups)

        let fixed = try read("mixed_fixed.csv")
        for (k, row) in fixed.rows.enumerated() {
            #expect(model.terms[k] == row[0])
            #expect(close(model.coefficients[k], number(row[1])), "\(row[0]) \(model.coefficients[k])")
            #expect(close(model.standardErrors[k], number(row[2])), "\(row[0]) SE \(model.standardErrors[k])")
        }
        var summary: [String: Double] = [:]
        for row in try read("mixed_summary.csv").rows { summary[row[0]] = number(row[1]) }
        #expect(close(model.groupVariance, try #require(summary["var_study"])), "\(model.groupVariance)")
        #expect(close(model.residualVariance, try #require(summary["var_residual"])), "\(model.residualVariance)")
        #expect(abs(model.remlCriterion - (try #require(summary["reml_criterion"]))) < 1e-6, "\(model.remlCriterion)")

        for row in try read("mixed_blup.csv").rows {
            let effect = try #require(model.groupEffects[row[0]])
            #expect(abs(effect - (number(row[1]))) <= 1e-5 * 1e-3 + 1e-5 * abs(effect), "\(row[0]) \(effect) vs \(row[1])")
        }
        let rows = (0..<data.rows.count).map { i in covariates.map { $0.1[i] } }
        let fitted = model.predict(covariates: rows, groups: groups)
        let fixedOnly = model.predict(covariates: rows, groups: groups.map { _ in nil })
        let predictions = try read("mixed_pred.csv")
        for (i, row) in predictions.rows.enumerated() {
            #expect(close(fitted[i], number(row[1]), 1e-6) && close(fixedOnly[i], number(row[2]), 1e-6), "row \(i + 1): \(fitted[i]) \(fixedOnly[i]) vs \(row)")
        }
    }
}
