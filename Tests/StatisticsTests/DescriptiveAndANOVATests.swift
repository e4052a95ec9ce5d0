import Testing
@testable import Statistics

/// Summaries, quantiles, ANOVA and Tukey HSD against R 4.2.2 (Fixtures/make_fixtures.R).
struct DescriptiveAndANOVATests {
    static func dataset(_ name: String) throws -> (values: [Double], groups: [String]) {
        if name == "beta" {
            let table = try FixtureTable("beta_groups.csv")
            return (table.rows.map { table.double($0, "beta") }, table.rows.map { table.string($0, "group") })
        }
        let table = try FixtureTable("anova_synth.csv")
        return (table.rows.map { table.double($0, "value") }, table.rows.map { table.string($0, "group") })
    }

    @Test func summariesMatchR() throws {
        let reference = try FixtureTable("ref_summary.csv")
        for name in ["beta", "anova_synth"] {
            let (values, groups) = try Self.dataset(name)
            let rows = try summariseByGroup(values: values, groups: groups, includeOverall: name == "beta")
            let expected = reference.rows(where: "dataset", is: name)
            #expect(rows.map(\.group) == expected.map { reference.string($0, "group") })
            for (row, ref) in zip(rows, expected) {
                let s = row.summary
                #expect(s.count == Int(reference.double(ref, "n")))
                for (actual, column) in [(s.mean, "mean"), (s.median, "median"), (s.percentile5, "p05"),
                                         (s.percentile95, "p95"), (s.standardDeviation, "sd"),
                                         (s.coefficientOfVariationPercent, "cv_pct")] {
                    #expect(close(actual, reference.double(ref, column), absolute: 0, relative: 1e-12),
                            "\(name) \(row.group) \(column)")
                }
            }
        }
    }

    @Test func quantilesMatchR() throws {
        let reference = try FixtureTable("ref_quantile.csv")
        let (beta, _) = try Self.dataset("beta")
        let synth = try FixtureTable("smooth_synth.csv")
        let sets: [String: [Double]] = [
            "beta": beta, "one": [3.5], "two": [2, -1], "five": [5, 1, 4, 1, 2.5],
            "small12": synth.rows(where: "set", is: "small12").map { synth.double($0, "y") },
        ]
        for (name, values) in sets {
            let rows = reference.rows(where: "dataset", is: name)
            let probabilities = rows.map { reference.double($0, "prob") }
            let computed = quantilesType7(values, probabilities: probabilities)
            for (value, row) in zip(computed, rows) {
                #expect(close(value, reference.double(row, "value"), absolute: 1e-15, relative: 1e-13),
                        "\(name) p = \(reference.double(row, "prob"))")
            }
        }
    }

    @Test func summaryOfOneValueHasUndefinedSpread() throws {
        let single = try SampleSummary([0.97])
        #expect(single.count == 1 && single.median == 0.97 && single.percentile95 == 0.97)
        #expect(single.standardDeviation.isNaN && single.coefficientOfVariationPercent.isNaN)
        #expect(throws: StatisticsError.self) { try SampleSummary([]) }
        #expect(throws: StatisticsError.self) { try SampleSummary([1, .infinity]) }
    }

    @Test func anovaAndTukeyMatchR() throws {
        let anovaReference = try FixtureTable("ref_anova.csv")
        let tukeyReference = try FixtureTable("ref_tukey.csv")
        for name in ["beta", "anova_synth"] {
            let (values, groups) = try Self.dataset(name)
            let anova = try OneWayANOVA(values: values, groups: groups)
            let ref = anovaReference.rows(where: "dataset", is: name)[0]
            #expect(anova.degreesOfFreedomBetween == Int(anovaReference.double(ref, "df_between")))
            #expect(anova.degreesOfFreedomWithin == Int(anovaReference.double(ref, "df_within")))
            #expect(close(anova.sumOfSquaresBetween, anovaReference.double(ref, "ss_between"), absolute: 0, relative: 1e-10))
            #expect(close(anova.sumOfSquaresWithin, anovaReference.double(ref, "ss_within"), absolute: 0, relative: 1e-10))
            #expect(close(anova.fStatistic, anovaReference.double(ref, "f"), absolute: 0, relative: 1e-9))
            #expect(close(anova.pValue, anovaReference.double(ref, "p"), absolute: 1e-12, relative: 1e-7))

            let comparisons = tukeyHSD(anova)
            let expected = tukeyReference.rows(where: "dataset", is: name)
            #expect(comparisons.map(\.label) == expected.map { tukeyReference.string($0, "comparison") })
            let scale = values.max()! - values.min()!
            for (row, ref) in zip(comparisons, expected) {
                #expect(close(row.difference, tukeyReference.double(ref, "diff"), absolute: 1e-12 * scale), "\(row.label) diff")
                // 1e-6 of the data range: R's qtukey is itself accurate to ~1e-7 at these df.
                #expect(close(row.lower, tukeyReference.double(ref, "lwr"), absolute: 1e-6 * scale), "\(row.label) lwr")
                #expect(close(row.upper, tukeyReference.double(ref, "upr"), absolute: 1e-6 * scale), "\(row.label) upr")
                #expect(close(row.adjustedPValue, tukeyReference.double(ref, "p_adj"), absolute: 1e-6), "\(row.label) p adj")
            }
        }
    }

    @Test func anovaRejectsDegenerateLayouts() {
        #expect(throws: StatisticsError.self) { try OneWayANOVA(values: [1, 2, 3], groups: ["a", "a", "a"]) }
        #expect(throws: StatisticsError.self) { try OneWayANOVA(values: [1, 2], groups: ["a", "b"]) }
        #expect(throws: StatisticsError.self) { try OneWayANOVA(values: [1, 2, 3], groups: ["a", "b"]) }
    }

    @Test func contributionsAreSharesOfPositiveImportance() throws {
        // Closed form: importances 3, −1, 1, 0 → positive total 4 → 75 %, 0 %, 25 %, 0 %.
        let shares = try relativeContributions(features: ["mat", "ph", "clay", "bd"], importances: [3, -1, 1, 0])
        #expect(shares.map(\.feature) == ["mat", "ph", "clay", "bd"])
        #expect(shares.map(\.percent) == [75, 0, 25, 0])
        #expect(shares[1].importance == -1)
        let many = try relativeContributions(features: (0..<11).map { "f\($0)" },
                                             importances: (0..<11).map { 0.1 + Double($0) * 0.37 })
        #expect(abs(many.map(\.percent).reduce(0, +) - 100) < 1e-12)
        #expect(throws: StatisticsError.self) { try relativeContributions(features: ["a", "b"], importances: [-1, 0]) }
        #expect(throws: StatisticsError.self) { try relativeContributions(features: ["a", "a"], importances: [1, 2]) }
        #expect(throws: StatisticsError.self) { try relativeContributions(features: ["a"], importances: [.nan]) }
    }
}
