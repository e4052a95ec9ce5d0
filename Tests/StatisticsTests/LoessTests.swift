import Testing
@testable import Statistics

/// LOESS against R 4.2.2 `loess` + `predict(se = TRUE)` (Fixtures/make_fixtures.R).
struct LoessTests {
    /// The x/y data of a fixture case, as R used it.
    static func data(for caseName: String) throws -> (x: [Double], y: [Double]) {
        if caseName.hasPrefix("beta_") {
            let table = try FixtureTable("beta_groups.csv")
            let group = String(caseName.dropFirst("beta_".count))
            let rows = group == "all" ? table.rows : table.rows(where: "group", is: group)
            return (rows.map { table.double($0, "socd_0_20") }, rows.map { table.double($0, "beta") })
        }
        let table = try FixtureTable("smooth_synth.csv")
        let set = ["smooth200_deg1_span05": "smooth200"][caseName] ?? caseName
        let rows = table.rows(where: "set", is: set)
        return (rows.map { table.double($0, "x") }, rows.map { table.double($0, "y") })
    }

    static let summary = try! FixtureTable("ref_loess_summary.csv")
    static let caseNames = summary.rows.map { $0[0] }

    @Test(arguments: caseNames)
    func fitMatchesR(caseName: String) throws {
        let summary = Self.summary
        let reference = summary.rows(where: "case", is: caseName)[0]
        let (x, y) = try Self.data(for: caseName)
        let options = LoessOptions(span: summary.double(reference, "span"),
                                   degree: Int(summary.double(reference, "degree")),
                                   surface: LoessSurface(rawValue: summary.string(reference, "surface"))!)
        let fit = try LoessFit(x: x, y: y, options: options)
        #expect(fit.x.count == Int(summary.double(reference, "n")))
        // Scale of the response, so that tolerances are relative to the data.
        let scale = (y.max()! - y.min()!)
        #expect(close(fit.traceOfHat, summary.double(reference, "trace_hat"), absolute: 0, relative: 1e-9), "trace")
        #expect(close(fit.oneDelta, summary.double(reference, "one_delta"), absolute: 0, relative: 1e-9), "one.delta")
        #expect(close(fit.twoDelta, summary.double(reference, "two_delta"), absolute: 0, relative: 1e-9), "two.delta")
        #expect(close(fit.residualStandardError, summary.double(reference, "s"), absolute: 0, relative: 1e-8), "s")
        #expect(close(fit.equivalentNumberOfParameters, summary.double(reference, "enp"), absolute: 1e-8), "enp")

        let fitted = try FixtureTable("ref_loess_fitted.csv").rows(where: "case", is: caseName)
        #expect(fitted.count == x.count)
        var worst = 0.0
        for row in fitted {
            let i = Int(row[1])! - 1
            let expected = Double(row[2])!
            worst = max(worst, abs(fit.fittedValues[i] - expected) / scale)
            #expect(close(fit.fittedValues[i], expected, absolute: 1e-9 * scale), "fitted[\(i)]")
        }

        let grid = try FixtureTable("ref_loess_grid.csv")
        let gridRows = grid.rows(where: "case", is: caseName)
        let points = gridRows.map { grid.double($0, "x") }
        let band = fit.confidenceBand(at: points, level: 0.95)
        for (row, point) in zip(gridRows, band) {
            #expect(close(point.fit, grid.double(row, "fit"), absolute: 1e-9 * scale), "fit at \(point.x)")
            #expect(close(point.standardError, grid.double(row, "se"), absolute: 0, relative: 1e-8), "se at \(point.x)")
            #expect(close(point.lower, grid.double(row, "lower95"), absolute: 1e-9 * scale), "lower at \(point.x)")
            #expect(close(point.upper, grid.double(row, "upper95"), absolute: 1e-9 * scale), "upper at \(point.x)")
            worst = max(worst, abs(point.fit - grid.double(row, "fit")) / scale)
        }
        #expect(close(fit.lookupDegreesOfFreedom, grid.double(gridRows[0], "df"), absolute: 0, relative: 1e-9), "df")
        print("loess \(caseName): largest difference from R relative to the y range \(worst)")
    }

    @Test func outsideTheDataRangeIsNaNForTheInterpolatedSurface() throws {
        let (x, y) = try Self.data(for: "small12")
        let fit = try LoessFit(x: x, y: y)
        let predictions = fit.predict(at: [x.min()! - 0.01, x.max()! + 0.01])
        #expect(predictions.allSatisfy { $0.isNaN })
    }

    @Test func reproducesAQuadraticExactly() throws {
        // A degree-2 local fit reproduces any quadratic exactly, and so does the Hermite
        // interpolation of its values and slopes: fit = y, residual scale 0.
        let x = (0..<40).map { Double($0) * 0.37 + 0.1 * Double($0 % 3) }
        let y = x.map { 2 - 0.5 * $0 + 0.03 * $0 * $0 }
        let fit = try LoessFit(x: x, y: y)
        for (fitted, observed) in zip(fit.fittedValues, y) { #expect(abs(fitted - observed) < 1e-10) }
        let grid = evenlySpacedGrid(from: x.min()!, to: x.max()!, count: 7)
        for (point, value) in zip(grid, fit.predict(at: grid)) {
            #expect(abs(value - (2 - 0.5 * point + 0.03 * point * point)) < 1e-10)
        }
        #expect(fit.residualStandardError < 1e-9)
    }

    @Test func rejectsBadInput() {
        #expect(throws: StatisticsError.self) { try LoessFit(x: [1, 2, 3], y: [1, 2]) }
        #expect(throws: StatisticsError.self) { try LoessFit(x: [1, 2, 3, 4], y: [1, 2, 3, 4]) }   // 3 points per neighbourhood
        #expect(throws: StatisticsError.self) { try LoessFit(x: Array(repeating: 1, count: 20), y: (0..<20).map(Double.init)) }
        #expect(throws: StatisticsError.self) { try LoessFit(x: [1, .nan, 3, 4, 5, 6], y: [1, 2, 3, 4, 5, 6]) }
        #expect(throws: StatisticsError.self) {
            try LoessFit(x: (0..<20).map(Double.init), y: (0..<20).map(Double.init), options: LoessOptions(degree: 3))
        }
    }

    @Test func degenerateNeighbourhoodIsAnErrorNotACrash() {
        // 90 of 100 profiles share one covariate value: the 75-point neighbourhood of that value has
        // zero width. R warns ("zero-width neighborhood") and returns meaningless numbers; soilbeta refuses.
        let x = Array(repeating: 1.0, count: 90) + (2...11).map(Double.init)
        let y = (0..<100).map { 0.97 + 0.001 * Double($0 % 7) }
        #expect(throws: StatisticsError.self) { try LoessFit(x: x, y: y) }
    }

    @Test func gridEndsExactlyAtTheRange() {
        let grid = evenlySpacedGrid(from: 0.1, to: 0.7, count: 41)
        #expect(grid.count == 41 && grid.first == 0.1 && grid.last == 0.7)
    }
}
