import Testing
import Foundation
import Essentials
@testable import Statistics

/// The layer factor g(β) = (β^a − β^b)/(1 − β^20) of METHOD.md §5 (test copy; the engine never hard-codes it).
func layerFactor(_ beta: Double, top: Double, bottom: Double) -> Double {
    (pow(beta, top) - pow(beta, bottom)) / (1 - pow(beta, 20))
}

/// Standard error of a type-7 sample p-quantile of R normal draws with standard deviation sd:
/// sd·√(p(1 − p)/R) / φ(z_p).
func normalQuantileError(sd: Double, realisations: Int, z: Double = 1.959964) -> Double {
    let density = exp(-z * z / 2) / (2 * Double.pi).squareRoot()
    return sd * (0.025 * 0.975 / Double(realisations)).squareRoot() / density
}

/// One unit per site, each holding one cell of area `areas[i]`, β mean μ, se, density 1 and SD `densitySD`.
func singleCellUnits(_ sites: (longitudes: [Double], latitudes: [Double]), areas: [Double], means: [Double], errors: [Double],
                     densitySD: Double = 0, grid: ShiftGrid, bounds: ClosedRange<Double>, channels: Int,
                     response: CellResponse) throws -> [UnitResponseTable] {
    var units: [UnitResponseTable] = []
    for i in sites.longitudes.indices {
        var table = try UnitResponseTable(longitude: sites.longitudes[i], latitude: sites.latitudes[i], grid: grid,
                                          channelCount: channels, betaMinimum: bounds.lowerBound, betaMaximum: bounds.upperBound)
        try table.addCell(area: areas[i], meanBeta: means[i], betaStandardError: errors[i], density: 1, densitySD: densitySD,
                          response: response)
        units.append(table)
    }
    return units
}

struct StockSimulationTests {
    let linear: CellResponse = { beta, out in out[0] = beta }

    /// (a) Independent units, linear response: the 95 % half width matches 1.96·√(Σ w² (se² + σ²))
    /// and shrinks as 1/√n.
    @Test func independentUnitsShrinkAsOneOverRootN() throws {
        let realisations = 2000
        var options = StockSimulationOptions()
        options.realisations = realisations
        options.seed = 42
        var halfWidths: [Int: (simulated: Double, exact: Double, error: Double)] = [:]
        for n in [100, 400] {
            let sites = randomSites(n, longitudes: 0...20, latitudes: 0...20, seed: UInt64(n))
            let areas = [Double](repeating: 1 / Double(n), count: n)
            let errors = [Double](repeating: 0.02, count: n)
            let sigma = 0.01
            let grid = try ShiftGrid(halfWidth: 6 * (0.02 * 0.02 + sigma * sigma).squareRoot(), pointCount: 41)
            let units = try singleCellUnits(sites, areas: areas, means: [Double](repeating: 0.5, count: n), errors: errors,
                                            grid: grid, bounds: 0.01...0.99, channels: 1, response: linear)
            let model = SpatialErrorModel(residualSD: sigma, residualRangeKilometres: 0)
            let simulation = try StockSimulation.run(units: units, model: model, options: options)
            let summary = simulation.summaries[0]
            var variance = 0.0
            for i in 0..<n { variance += areas[i] * areas[i] * (errors[i] * errors[i] + sigma * sigma) }
            let sd = variance.squareRoot()
            let quantileError = normalQuantileError(sd: sd, realisations: realisations)
            let exactMean = 0.5
            #expect(simulation.shiftsOutsideGrid == 0)
            #expect(abs(summary.mean - exactMean) < 4 * sd / Double(realisations).squareRoot())
            #expect(abs(summary.upper - (exactMean + 1.959964 * sd)) < 4 * quantileError, "n = \(n) upper")
            #expect(abs(summary.lower - (exactMean - 1.959964 * sd)) < 4 * quantileError, "n = \(n) lower")
            // Half width (upper − lower)/2: its SE is at most the quantile SE.
            halfWidths[n] = ((summary.upper - summary.lower) / 2, 1.959964 * sd, quantileError)
            print("independent n = \(n): half width \((summary.upper - summary.lower) / 2), closed form \(1.959964 * sd)")
        }
        let small = try #require(halfWidths[100]), large = try #require(halfWidths[400])
        let ratio = large.simulated / small.simulated
        // Ratio error by propagation: r·√((e₁/w₁)² + (e₂/w₂)²).
        let ratioError = 0.5 * ((small.error / small.exact) * (small.error / small.exact)
                                + (large.error / large.exact) * (large.error / large.exact)).squareRoot()
        print("independent: half width ratio n = 400 : 100 = \(ratio) (1/√4 = 0.5) ± \(ratioError)")
        #expect(abs(ratio - 0.5) < 4 * ratioError)
    }

    /// (b) Perfectly correlated units (range +∞): the simulated interval equals the old sum of cell
    /// quantiles, Σ A g(clamp(μ ± 1.96 se)), within the Monte Carlo error of the 2.5/97.5 % z quantiles.
    @Test func perfectlyCorrelatedUnitsReproduceTheQuantileSumBound() throws {
        let realisations = 4000
        let bounds = 0.5...0.999
        let subsoil: CellResponse = { beta, out in out[0] = layerFactor(beta, top: 20, bottom: 100) }
        let n = 60
        let sites = randomSites(n, longitudes: 0...30, latitudes: 0...30, seed: 7)
        var generator = SplitMix64(seed: 8)
        let grid = try ShiftGrid(halfWidth: 6 * 0.03, pointCount: 81)
        var units: [UnitResponseTable] = []
        var bound = QuantileSumBound(channelCount: 1, betaMinimum: bounds.lowerBound, betaMaximum: bounds.upperBound)
        var steeper = bound, flatter = bound
        for i in 0..<n {
            var table = try UnitResponseTable(longitude: sites.longitudes[i], latitude: sites.latitudes[i], grid: grid,
                                              channelCount: 1, betaMinimum: bounds.lowerBound, betaMaximum: bounds.upperBound)
            let se = generator.uniform(0.005, 0.03)   // shared by the unit's cells, so se_u is exact
            for _ in 0..<3 {
                let area = generator.uniform(100, 1000), density = generator.uniform(20, 80), mean = generator.uniform(0.85, 0.97)
                try table.addCell(area: area, meanBeta: mean, betaStandardError: se, density: density, response: subsoil)
                bound.addCell(area: area, density: density, lowerBeta: mean - 1.959964 * se, meanBeta: mean,
                              upperBeta: mean + 1.959964 * se, response: subsoil)
                steeper.addCell(area: area, density: density, lowerBeta: mean - 2.059964 * se, meanBeta: mean,
                                upperBeta: mean + 2.059964 * se, response: subsoil)
                flatter.addCell(area: area, density: density, lowerBeta: mean - 1.859964 * se, meanBeta: mean,
                                upperBeta: mean + 1.859964 * se, response: subsoil)
            }
            units.append(table)
        }
        var options = StockSimulationOptions()
        options.realisations = realisations
        options.seed = 3
        let model = SpatialErrorModel(residualSD: 0, residualRangeKilometres: .infinity)
        let summary = try StockSimulation.run(units: units, model: model, options: options).summaries[0]
        // The total is increasing in the common z, so its quantile is T(z_p); the z quantile has SE
        // √(p(1 − p)/R)/φ(1.96), times the slope dT/dz at ±1.96 (central difference of the bounds).
        let zError = normalQuantileError(sd: 1, realisations: realisations)
        let upperSlope = (steeper.upperBetaTotals[0] - flatter.upperBetaTotals[0]) / 0.2
        let lowerSlope = (flatter.lowerBetaTotals[0] - steeper.lowerBetaTotals[0]) / 0.2
        print("correlated: simulated [\(summary.lower), \(summary.upper)], bound [\(bound.lowerBetaTotals[0]), \(bound.upperBetaTotals[0])]")
        #expect(abs(summary.upper - bound.upperBetaTotals[0]) < 4 * zError * upperSlope)
        #expect(abs(summary.lower - bound.lowerBetaTotals[0]) < 4 * zError * lowerSlope)
        // The independent simulation of the same units is much narrower than the bound.
        let independent = try StockSimulation.run(units: units, model: SpatialErrorModel(residualSD: 0, residualRangeKilometres: 0),
                                                  options: options).summaries[0]
        #expect(independent.upper - independent.lower < 0.5 * (bound.upperBetaTotals[0] - bound.lowerBetaTotals[0]))
    }

    /// (c) Correlated Gaussian case with constant se, σ and density SD: the totals are normal with
    /// variance wᵀ(se²C₁ + σ²C₂)w (β channel) and sX²·wᵀC₃w (a constant response with an uncertain density).
    @Test func constantVarianceGaussianMatchesClosedForm() throws {
        let n = 300
        let sites = randomSites(n, longitudes: 0...8, latitudes: 0...8, seed: 31)
        var generator = SplitMix64(seed: 32)
        let areas = (0..<n).map { _ in generator.uniform(0.5, 1.5) }
        let means = (0..<n).map { _ in generator.uniform(0.3, 0.7) }
        let se = 0.01, sigma = 0.015, densitySD = 0.2
        let model = SpatialErrorModel(residualSD: sigma, residualRangeKilometres: 300, forestErrorRangeKilometres: 150,
                                      densityRangeKilometres: 250)
        let points = zip(sites.longitudes, sites.latitudes).map { SphericalGeometry.unitVector(longitude: $0, latitude: $1) }
        var betaVariance = 0.0, densityVariance = 0.0
        for i in 0..<n {
            for j in 0..<n {
                let d = SphericalGeometry.greatCircleKilometres(points[i], points[j])
                betaVariance += areas[i] * areas[j] * (se * se * exp(-d / 150) + sigma * sigma * exp(-d / 300))
                densityVariance += areas[i] * areas[j] * densitySD * densitySD * exp(-d / 250)
            }
        }
        let realisations = 2000
        var options = StockSimulationOptions()
        options.realisations = realisations
        options.seed = 99
        let grid = try ShiftGrid(halfWidth: 6 * (se * se + sigma * sigma).squareRoot(), pointCount: 41)
        let cases: [(name: String, response: CellResponse, densitySD: Double, mean: Double, variance: Double)] = [
            ("β", linear, 0, zip(areas, means).reduce(0) { $0 + $1.0 * $1.1 }, betaVariance),
            ("density", { _, out in out[0] = 1 }, densitySD, areas.reduce(0, +), densityVariance),
        ]
        for testCase in cases {
            let units = try singleCellUnits(sites, areas: areas, means: means, errors: [Double](repeating: se, count: n),
                                            densitySD: testCase.densitySD, grid: grid, bounds: 0.01...0.99, channels: 1,
                                            response: testCase.response)
            let summary = try StockSimulation.run(units: units, model: model, options: options).summaries[0]
            let sd = testCase.variance.squareRoot()
            let quantileError = normalQuantileError(sd: sd, realisations: realisations)
            print("Gaussian \(testCase.name): mean \(summary.mean) (\(testCase.mean)), sd \(summary.standardDeviation) (\(sd)), "
                  + "[\(summary.lower), \(summary.upper)] vs [\(testCase.mean - 1.959964 * sd), \(testCase.mean + 1.959964 * sd)]")
            #expect(abs(summary.mean - testCase.mean) < 4 * sd / Double(realisations).squareRoot())
            #expect(abs(summary.lower - (testCase.mean - 1.959964 * sd)) < 4 * quantileError)
            #expect(abs(summary.upper - (testCase.mean + 1.959964 * sd)) < 4 * quantileError)
            // SD of a normal sample SD: sd/√(2(R − 1)).
            #expect(abs(summary.standardDeviation - sd) < 4 * sd / (2 * Double(realisations - 1)).squareRoot())
        }
    }

    /// Cells of one unit share z₁: with a linear response the total's SD is Σ A_i se_i exactly, which
    /// the area-weighted mean se reproduces; the RMS se overstates it by √(1 + CV²).
    @Test func unitStandardErrorAveraging() throws {
        let grid = try ShiftGrid(halfWidth: 0.2, pointCount: 41)
        var table = try UnitResponseTable(longitude: 5, latitude: 5, grid: grid, channelCount: 1, betaMinimum: 0.01, betaMaximum: 0.99)
        let errors = [0.005, 0.01, 0.02, 0.03]
        for se in errors { try table.addCell(area: 1, meanBeta: 0.5, betaStandardError: se, density: 1, response: linear) }
        let exactSD = errors.reduce(0, +)
        var options = StockSimulationOptions()
        options.realisations = 4000
        let model = SpatialErrorModel(residualSD: 0, residualRangeKilometres: 100)
        options.standardErrorAveraging = .areaWeightedMean
        let mean = try StockSimulation.run(units: [table], model: model, options: options).summaries[0]
        options.standardErrorAveraging = .rootMeanSquare
        let rms = try StockSimulation.run(units: [table], model: model, options: options).summaries[0]
        let sdError = exactSD / (2 * Double(options.realisations - 1)).squareRoot()
        print("unit se: exact SD \(exactSD), mean-se SD \(mean.standardDeviation), RMS-se SD \(rms.standardDeviation) "
              + "(ratio \(table.standardError / table.meanStandardError))")
        #expect(abs(mean.standardDeviation - exactSD) < 4 * sdError)
        #expect(close(rms.standardDeviation / mean.standardDeviation, table.standardError / table.meanStandardError,
                      absolute: 1e-9))   // same deviates: the ratio is exact
    }

    @Test func clampingKeepsBetaWithinBounds() throws {
        let bounds = 0.6...0.995
        var seen: [Double] = []
        let grid = try ShiftGrid(halfWidth: 0.5, pointCount: 41)
        var table = try UnitResponseTable(longitude: 0, latitude: 0, grid: grid, channelCount: 1,
                                          betaMinimum: bounds.lowerBound, betaMaximum: bounds.upperBound)
        for mean in [0.3, 0.61, 0.9, 0.994, 1.2] {
            try table.addCell(area: 1, meanBeta: mean, betaStandardError: 0.1, density: 1) { beta, out in
                seen.append(beta)
                out[0] = beta
            }
        }
        #expect(seen.count == 5 * 41)
        #expect(seen.allSatisfy { bounds.contains($0) })
        #expect(seen.contains(bounds.lowerBound) && seen.contains(bounds.upperBound))
        // Far shifts in a simulation read the table at its (clamped) ends and are counted.
        var options = StockSimulationOptions()
        options.realisations = 50
        let simulation = try StockSimulation.run(units: [table], model: SpatialErrorModel(residualSD: 1, residualRangeKilometres: 0),
                                                 options: options)
        #expect(simulation.shiftsOutsideGrid > 0)
        #expect(simulation.totals[0].allSatisfy { $0 >= 5 * bounds.lowerBound - 1e-12 && $0 <= 5 * bounds.upperBound + 1e-12 })
        #expect(throws: StatisticsError.self) {
            try UnitResponseTable(longitude: 0, latitude: 0, grid: grid, channelCount: 1, betaMinimum: 0.9, betaMaximum: 0.8)
        }
        #expect(throws: StatisticsError.self) {
            try table.addCell(area: 1, meanBeta: .nan, betaStandardError: 0.1, density: 1) { _, out in out[0] = 1 }
        }
    }

    /// Interpolated tables of g_l against exact per-cell evaluation, for linear and monotone cubic
    /// reading, (i) where no cell reaches a β bound within ±4 sd (smooth F) and (ii) where many cells
    /// are clamped at βmax = 0.999 (each clamped cell puts a kink into F, so the error is O(step)).
    /// Errors are relative to the exact value, over |Δ| ≤ 2.5 sd (where the 2.5/97.5 % percentiles of
    /// a unit's stock come from) and over |Δ| ≤ 4 sd (99.994 % of draws).
    @Test func tableInterpolationMatchesExactEvaluation() throws {
        let bounds = 0.5...0.999
        let layers: [(Double, Double)] = [(20, 40), (20, 100), (80, 100)]
        let response: CellResponse = { beta, out in
            for (c, layer) in layers.enumerated() { out[c] = layerFactor(beta, top: layer.0, bottom: layer.1) }
        }
        func exactTotals(_ cells: [(area: Double, mean: Double, density: Double)], _ shift: Double) -> [Double] {
            var exact = [Double](repeating: 0, count: layers.count), scratch = exact
            for cell in cells {
                response(min(max(cell.mean + shift, bounds.lowerBound), bounds.upperBound), &scratch)
                for c in exact.indices { exact[c] += cell.area * cell.density * scratch[c] }
            }
            return exact
        }
        // (scenario, μ range, sd, K, tolerance of the cubic relative error within ±2.5 sd)
        let scenarios: [(String, ClosedRange<Double>, Double, Int, Double)] = [
            ("smooth", 0.80...0.90, 0.015, 41, 1e-3), ("smooth", 0.80...0.90, 0.015, 121, 5e-5),
            ("clamped", 0.80...0.99, 0.03, 41, 3e-2), ("clamped", 0.80...0.99, 0.03, 121, 1e-2),
        ]
        for (name, meanRange, sd, points, tolerance) in scenarios {
            var generator = SplitMix64(seed: 17)
            let cells = (0..<200).map { _ in
                (area: generator.uniform(1, 10), mean: generator.uniform(meanRange.lowerBound, meanRange.upperBound),
                 density: generator.uniform(10, 90))
            }
            let grid = try ShiftGrid(halfWidth: 6 * sd, pointCount: points)
            var table = try UnitResponseTable(longitude: 0, latitude: 0, grid: grid, channelCount: layers.count,
                                              betaMinimum: bounds.lowerBound, betaMaximum: bounds.upperBound)
            for cell in cells {
                try table.addCell(area: cell.area, meanBeta: cell.mean, betaStandardError: 0.01, density: cell.density, response: response)
            }
            var report = "table \(name) K = \(points) (step \(grid.step)):"
            for interpolation in [TableInterpolation.linear, .monotoneCubic] {
                let ready = InterpolatedTables([table], interpolation: interpolation)
                var central = 0.0, tails = 0.0
                for _ in 0..<1000 {
                    let shift = generator.uniform(-4 * sd, 4 * sd)   // ±4 sd holds 99.994 % of draws
                    var interpolated = [Double](repeating: 0, count: layers.count)
                    _ = ready.accumulate(unit: 0, shift: shift, densityDeviate: 0, into: &interpolated)
                    let exact = exactTotals(cells, shift)
                    for c in exact.indices {
                        let error = abs(interpolated[c] - exact[c]) / exact[c]
                        tails = max(tails, error)
                        if abs(shift) <= 2.5 * sd { central = max(central, error) }
                    }
                }
                report += " \(interpolation.rawValue) \(central) (±2.5 sd), \(tails) (±4 sd);"
                if interpolation == .monotoneCubic { #expect(central < tolerance, "\(name) K = \(points)") }
            }
            print(report)
        }
    }

    /// The effect of table interpolation on the simulated mean and percentiles: the same units and
    /// seeds with K = 41 and K = 121 against a reference table of K = 1601, where many cells reach
    /// βmax (the worst case for interpolation, see above). Errors are relative to the reference value.
    @Test func tableResolutionBarelyMovesSimulatedPercentiles() throws {
        let bounds = 0.5...0.999
        let layers: [(Double, Double)] = [(20, 40), (20, 100), (80, 100)]
        let response: CellResponse = { beta, out in
            for (c, layer) in layers.enumerated() { out[c] = layerFactor(beta, top: layer.0, bottom: layer.1) }
        }
        let sites = randomSites(200, longitudes: 0...20, latitudes: 40...55, seed: 61)
        let sigma = 0.02
        var options = StockSimulationOptions()
        options.realisations = 400
        let model = SpatialErrorModel(residualSD: sigma, residualRangeKilometres: 300)
        func simulate(points: Int) throws -> [StockSummary] {
            var generator = SplitMix64(seed: 62)
            let grid = try ShiftGrid(halfWidth: 6 * (0.03 * 0.03 + sigma * sigma).squareRoot(), pointCount: points)
            var units: [UnitResponseTable] = []
            for i in sites.longitudes.indices {
                var table = try UnitResponseTable(longitude: sites.longitudes[i], latitude: sites.latitudes[i], grid: grid,
                                                  channelCount: layers.count, betaMinimum: bounds.lowerBound, betaMaximum: bounds.upperBound)
                for _ in 0..<10 {
                    try table.addCell(area: generator.uniform(100, 900), meanBeta: generator.uniform(0.85, 0.99),
                                      betaStandardError: generator.uniform(0.01, 0.03), density: generator.uniform(20, 80), response: response)
                }
                units.append(table)
            }
            return try StockSimulation.run(units: units, model: model, options: options).summaries
        }
        let reference = try simulate(points: 1601)
        for (points, tolerance) in [(41, 1.5e-2), (121, 1e-3)] {
            let summaries = try simulate(points: points)
            var worst = 0.0
            for (summary, exact) in zip(summaries, reference) {
                for (value, truth) in [(summary.mean, exact.mean), (summary.lower, exact.lower), (summary.upper, exact.upper)] {
                    worst = max(worst, abs(value - truth) / truth)
                }
            }
            let widths = reference.map { ($0.upper - $0.lower) / 2 / $0.mean }
            print("simulated with K = \(points): largest relative change of mean and percentiles \(worst) "
                  + "(relative half widths \(widths))")
            #expect(worst < tolerance, "K = \(points)")
        }
    }

    @Test func tablesMergeAndRoundTripThroughCodable() throws {
        let grid = try ShiftGrid(halfWidth: 0.1, pointCount: 21)
        let response: CellResponse = { beta, out in out[0] = layerFactor(beta, top: 20, bottom: 40); out[1] = 1 }
        func empty() throws -> UnitResponseTable {
            try UnitResponseTable(longitude: 10.5, latitude: -3.5, grid: grid, channelCount: 2, betaMinimum: 0.5, betaMaximum: 0.999)
        }
        var generator = SplitMix64(seed: 5)
        let cells = (0..<50).map { _ in (generator.uniform(1, 5), generator.uniform(0.85, 0.98), generator.uniform(0, 0.02),
                                         generator.uniform(10, 50), generator.uniform(0, 5)) }
        var whole = try empty(), first = try empty(), second = try empty()
        for (index, cell) in cells.enumerated() {
            try whole.addCell(area: cell.0, meanBeta: cell.1, betaStandardError: cell.2, density: cell.3, densitySD: cell.4, response: response)
            if index < 20 {
                try first.addCell(area: cell.0, meanBeta: cell.1, betaStandardError: cell.2, density: cell.3, densitySD: cell.4, response: response)
            } else {
                try second.addCell(area: cell.0, meanBeta: cell.1, betaStandardError: cell.2, density: cell.3, densitySD: cell.4, response: response)
            }
        }
        var merged = first
        try merged.merge(second)
        #expect(merged.cellCount == 50)
        for (a, b) in zip(merged.meanDensityResponse + merged.densitySDResponse, whole.meanDensityResponse + whole.densitySDResponse) {
            #expect(close(a, b, absolute: 0, relative: 1e-13))
        }
        #expect(close(merged.standardError, whole.standardError, absolute: 0, relative: 1e-13))
        #expect(close(merged.meanStandardError, whole.meanStandardError, absolute: 0, relative: 1e-13))
        #expect(merged.standardError(.areaWeightedMean) <= merged.standardError(.rootMeanSquare))
        var again = first
        try again.merge(second)
        #expect(again == merged)   // a fixed merge order gives identical bits
        let decoded = try JSONDecoder().decode(UnitResponseTable.self, from: JSONEncoder().encode(merged))
        #expect(decoded == merged)
        let other = try UnitResponseTable(longitude: 0, latitude: 0, grid: grid, channelCount: 2, betaMinimum: 0.5, betaMaximum: 0.999)
        #expect(throws: StatisticsError.self) { try merged.merge(other) }
        // Simulations are deterministic in the seed and independent of the thread count.
        var options = StockSimulationOptions()
        options.realisations = 40
        options.threads = 1
        var neighbour = try UnitResponseTable(longitude: 11, latitude: -3, grid: grid, channelCount: 2, betaMinimum: 0.5, betaMaximum: 0.999)
        for cell in cells.prefix(20) {
            try neighbour.addCell(area: cell.0, meanBeta: cell.1, betaStandardError: cell.2, density: cell.3, densitySD: cell.4, response: response)
        }
        let units = [merged, neighbour]
        let model = SpatialErrorModel(residualSD: 0.01, residualRangeKilometres: 100)
        let one = try StockSimulation.run(units: units, model: model, options: options)
        options.threads = 2
        let two = try StockSimulation.run(units: units, model: model, options: options)
        #expect(one.totals == two.totals)
        options.stream = 1
        #expect(try StockSimulation.run(units: units, model: model, options: options).totals != one.totals)
        let joint = try StockSimulation.summedRealisations([one, two])
        #expect(close(joint[0].mean, 2 * one.summaries[0].mean, absolute: 0, relative: 1e-12))
    }

    @Test func simulationUnitsFollowTheRange() throws {
        let units = try SimulationUnitGrid(rangeKilometres: 400, fineCellDegrees: 1.0 / 12)
        // 400/4 km = 0.899°, snapped to 11 fine cells.
        #expect(close(units.sideDegrees, 11.0 / 12, absolute: 1e-12))
        let index = units.unit(longitude: 10.2, latitude: 45.1)
        let centre = units.centre(ofUnit: index)
        #expect(abs(centre.longitude - 10.2) <= units.sideDegrees / 2 && abs(centre.latitude - 45.1) <= units.sideDegrees / 2)
        #expect(try SimulationUnitGrid(rangeKilometres: 1e6, fineCellDegrees: 1.0 / 12).sideDegrees == 2)
        #expect(try SimulationUnitGrid(rangeKilometres: 0, fineCellDegrees: 1.0 / 12).sideDegrees == 1.0 / 12)
    }
}
