import Testing
@testable import Statistics

/// The tables of `soilbeta drivers`, built from the β fixture, against R (Fixtures/make_fixtures.R).
struct DriverStatisticsTests {
    static func statistics() throws -> DriverStatistics {
        let table = try FixtureTable("beta_groups.csv")
        var socd = table.rows.map { table.double($0, "socd_0_20") }
        socd[5] = .nan   // a missing covariate value is left out of the curve only
        return try DriverStatistics(beta: table.rows.map { table.double($0, "beta") },
                                    ecosystems: table.rows.map { table.string($0, "group") },
                                    covariates: [DriverCovariate(name: "socd_0_20", values: socd)], gridPoints: 41)
    }

    @Test func tablesMatchR() throws {
        let statistics = try Self.statistics()
        let summary = statistics.betaSummaryTable
        let reference = try FixtureTable("ref_summary.csv").rows(where: "dataset", is: "beta")
        #expect(summary.header == ["group", "n", "mean", "median", "p05", "p95", "sd", "cv_pct"])
        #expect(summary.rows.map { $0[0] } == ["all", "cropland", "forestland", "grassland"])
        for (row, ref) in zip(summary.rows, reference) {
            #expect(row[1] == ref[2])
            for column in 2..<8 { #expect(close(Double(row[column])!, Double(ref[column + 1])!, absolute: 0, relative: 1e-12)) }
        }

        let anova = statistics.anovaTable
        let anovaRef = try FixtureTable("ref_anova.csv").rows(where: "dataset", is: "beta")[0]
        #expect(anova.rows.count == 2 && anova.rows[0][0] == "ecosystem" && anova.rows[1][0] == "residuals")
        #expect(anova.rows[0][1] == "2" && anova.rows[1][1] == "356")
        #expect(close(Double(anova.rows[0][4])!, Double(anovaRef[5])!, absolute: 0, relative: 1e-9))
        #expect(close(Double(anova.rows[0][5])!, Double(anovaRef[6])!, absolute: 1e-12, relative: 1e-7))
        #expect(anova.rows[0][6] == "true")

        let tukey = statistics.tukeyTable
        let tukeyRef = try FixtureTable("ref_tukey.csv").rows(where: "dataset", is: "beta")
        #expect(tukey.rows.map { $0[0] } == tukeyRef.map { $0[1] })
        for (row, ref) in zip(tukey.rows, tukeyRef) {
            for column in 3..<6 { #expect(close(Double(row[column])!, Double(ref[column - 1])!, absolute: 1e-9)) }
            #expect(close(Double(row[6])!, Double(ref[5])!, absolute: 1e-6))
        }
    }

    @Test func driverCurveOfEachGroupMatchesR() throws {
        let statistics = try Self.statistics()
        let curves = statistics.curves[0]
        #expect(curves.feature == "socd_0_20" && curves.skipped.isEmpty)
        #expect(curves.curves.map(\.group) == ["all", "cropland", "forestland", "grassland"])
        let grid = try FixtureTable("ref_loess_grid.csv")
        let groups = try FixtureTable("beta_groups.csv")
        for curve in curves.curves where curve.group != "all" {
            // Row 6 (cropland) lost its covariate value, so only the other groups equal R's fits.
            if curve.group == "cropland" { #expect(curve.count == 119); continue }
            let rows = grid.rows(where: "case", is: "beta_\(curve.group)")
            #expect(curve.band.count == rows.count)
            for (point, row) in zip(curve.band, rows) {
                #expect(close(point.x, grid.double(row, "x"), absolute: 0, relative: 1e-14))
                #expect(close(point.fit, grid.double(row, "fit"), absolute: 1e-10))
                #expect(close(point.standardError, grid.double(row, "se"), absolute: 0, relative: 1e-8))
                #expect(close(point.lower, grid.double(row, "lower95"), absolute: 1e-10))
                #expect(close(point.upper, grid.double(row, "upper95"), absolute: 1e-10))
            }
            let betas = groups.rows(where: "group", is: curve.group).map { groups.double($0, "beta") }
            #expect(close(curve.meanBeta, betas.reduce(0, +) / Double(betas.count), absolute: 1e-14))
        }
        let table = statistics.smoothTable(curves)
        #expect(table.header == ["group", "n", "x", "fit", "se", "lower95", "upper95", "mean_beta"])
        #expect(table.rows.count == 4 * 41)
        #expect(table.rows[0][1] == "358")
    }

    @Test func oneEcosystemHasNoANOVA() throws {
        let statistics = try DriverStatistics(beta: [0.97, 0.96, 0.98, 0.975], ecosystems: Array(repeating: "cropland", count: 4),
                                              covariates: [DriverCovariate(name: "mat", values: [1, 2, 3, 4])])
        #expect(statistics.anova == nil && statistics.anovaNote != nil && statistics.tukey.isEmpty)
        #expect(statistics.anovaTable.rows.isEmpty)
        // Four points give 3 per neighbourhood at span 0.75: no curve, and the reason is kept.
        #expect(statistics.curves[0].curves.isEmpty && statistics.curves[0].skipped.count == 2)
    }

    @Test func contributionsTableSumsTo100() throws {
        let table = contributionsTable(try relativeContributions(features: ["mat", "map", "ph"], importances: [2, 6, -1]))
        #expect(table.rows == [["mat", "2.0", "25.0"], ["map", "6.0", "75.0"], ["ph", "-1.0", "0.0"]])
    }
}
