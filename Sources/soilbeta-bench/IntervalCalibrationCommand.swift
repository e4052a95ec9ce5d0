// `soilbeta-bench interval-calibration`: do the simulated stock intervals cover the known truth of the demo?
import ArgumentParser
import DemoData
import DepthFunctions
import Essentials
import Foundation
import Pipeline
import Rasters
import RunModel
import Statistics

/// Builds the demo world for several seeds at a coarse grid, runs the whole pipeline on each and compares the
/// simulated 95 % interval of the subsoil (20–100 cm) stock with the true stock of that world (area × X₀₋₂₀ ×
/// the layer factor of the true β, docs/METHOD.md §8d), and the per-cell intervals of β with the true β.
struct IntervalCalibrationCommand: ParsableCommand {
    // Inputs of `soilbeta demo-data`, then the size of each world and of its run.
    @Option(help: "MODIS MCD12C1 IGBP land-cover GeoTIFF (0.05°).") var modis: String
    @Option(help: "Köppen–Geiger main-group GeoTIFF.") var koppen: String
    @Option(help: "Output folder (one sub-folder per seed, and calibration.csv).") var out: String
    @Option(help: "Number of demo worlds (seeds first-seed …).") var seeds: Int = 20
    @Option(name: .customLong("first-seed"), help: "First seed.") var firstSeed: UInt64 = 1
    @Option(help: "Grid cell size, degrees.") var grid: Double = 1
    @Option(help: "Profiles per world.") var profiles: Int = 1221
    @Option(help: "Trees of each forest.") var trees: Int = 300
    @Option(help: "Realisations of the simulation.") var realisations: Int = 500
    @Option(help: "Worker threads (default: all cores).") var threads: Int?
    @Option(name: .customLong("se-range-km"), help: "Range of the standard-error field z₁, km (default: the residual range).")
    var seRangeKm: Double?

    static let configuration = CommandConfiguration(
        commandName: "interval-calibration",
        abstract: "Coverage of the simulated stock intervals over demo worlds whose truth is known.")

    /// One world's figures.
    struct World {
        var seed: UInt64
        var truePg = 0.0, stockPg = Double.nan, simulatedMean = Double.nan, low = Double.nan, high = Double.nan
        var boundLow = Double.nan, boundHigh = Double.nan
        var cells = 0, insideQRF = 0, insideMeanField = 0
        var covered: Bool { truePg >= low && truePg <= high }
    }

    func run() throws {
        try runReportingErrors {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            var worlds: [World] = []
            var table = CSVWriter(header: ["seed", "true_pg", "stock_pg", "stock_pg_sim_mean", "stock_pg_lo95", "stock_pg_hi95", "covered",
                                           "stock_pg_bound_lo", "stock_pg_bound_hi", "cells", "qrf_90_coverage", "mean_field_90_coverage"])
            for k in 0..<seeds {
                let world = try calibrate(seed: firstSeed + UInt64(k))
                worlds.append(world)
                table.append(row: [String(world.seed)] + [world.truePg, world.stockPg, world.simulatedMean, world.low, world.high].map { CSVWriter.format($0) }
                    + [world.covered ? "1" : "0"] + [world.boundLow, world.boundHigh].map { CSVWriter.format($0) }
                    + [String(world.cells), CSVWriter.format(Double(world.insideQRF) / Double(max(1, world.cells))),
                       CSVWriter.format(Double(world.insideMeanField) / Double(max(1, world.cells)))])
                print(String(format: "seed %llu: true %.2f Pg, predicted %.2f (%.2f–%.2f) %@; bound %.2f–%.2f", world.seed, world.truePg,
                             world.stockPg, world.low, world.high, world.covered ? "covered" : "MISSED", world.boundLow, world.boundHigh))
            }
            try AtomicFile.write(text: table.csvText, to: (out as NSString).appendingPathComponent("calibration.csv"))
            func spread(_ errors: [Double]) -> (mean: Double, sd: Double) {
                let mean = errors.reduce(0, +) / Double(errors.count)
                return (mean, (errors.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(max(1, errors.count - 1))).squareRoot())
            }
            let (meanError, sd) = spread(worlds.map { $0.stockPg - $0.truePg })
            let simulated = spread(worlds.map { $0.simulatedMean - $0.truePg })
            let halfWidth = worlds.map { ($0.high - $0.low) / 2 }.reduce(0, +) / Double(worlds.count)
            let boundHalfWidth = worlds.map { ($0.boundHigh - $0.boundLow) / 2 }.reduce(0, +) / Double(worlds.count)
            let cells = worlds.map(\.cells).reduce(0, +)
            print(String(format: "covered %d of %d; mean half-width %.2f Pg; SD(predicted − true) %.2f Pg (ratio %.2f, target ≤ 2.5); "
                         + "mean error %.2f Pg; bound half-width %.2f Pg", worlds.filter(\.covered).count, worlds.count, halfWidth, sd,
                         halfWidth / sd, meanError, boundHalfWidth))
            print(String(format: "against the simulated mean (the interval's own centre): SD(mean − true) %.2f Pg (ratio %.2f), mean error %.2f Pg",
                         simulated.sd, halfWidth / simulated.sd, simulated.mean))
            print(String(format: "true β inside the per-cell 90 %% interval: QRF 5–95 %% %.1f %%, mean field μ ± 1.645 √(se² + σ²) %.1f %% (%d cells)",
                         100 * Double(worlds.map(\.insideQRF).reduce(0, +)) / Double(max(1, cells)),
                         100 * Double(worlds.map(\.insideMeanField).reduce(0, +)) / Double(max(1, cells)), cells))
        }
    }

    /// One demo world: data, run, truth.
    func calibrate(seed: UInt64) throws -> World {
        let folder = (out as NSString).appendingPathComponent("seed-\(seed)")
        let data = (folder as NSString).appendingPathComponent("data")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        _ = try DemoDataGenerator.generate(DemoDataOptions(modisPath: modis, koppenPath: koppen, outputFolder: data, seed: seed,
                                                           profileCount: profiles, resolutionDeg: grid, overwrite: true, threadCount: threads))
        let features = DemoCovariates.names
        var text = """
        [run]
        folder = "run"
        seed = \(seed)
        synthetic = true
        \(threads.map { "threads = \($0)" } ?? "")
        [profiles]
        horizons = "data/horizons.csv"
        sites = "data/sites.csv"
        bd_fill = 1.3
        [forest]
        features = [\(features.map { "\"\($0)\"" }.joined(separator: ", "))]
        trees = \(trees)
        folds = 10
        block_deg = 5.0
        [grid]
        resolution = \(grid)
        [topsoil]
        soc = "data/covariates/soc.tif"
        bd = "data/covariates/bd.tif"
        [uncertainty]
        realisations = \(realisations)
        \(seRangeKm.map { "se_range_km = \($0)" } ?? "")
        [covariates]

        """
        for feature in features { text += "\(feature) = \"data/covariates/\(feature).tif\"\n" }
        for code in ["CL", "GL", "FL"] { text += "[ecosystems.\(code)]\narea = \"data/area/\(code)_area.tif\"\narea_unit = \"ha\"\n" }
        let configPath = (folder as NSString).appendingPathComponent("run.toml")
        try AtomicFile.write(text: text, to: configPath)
        let configuration = try RunConfiguration.load(path: configPath)
        try PipelineRun.run(configuration, echo: false)

        var world = World(seed: seed)
        let layout = configuration.layout
        if let all = try RunTable.read(StockRow.self, from: layout.path(.stocksTable)).first(where: { $0.isTotal && $0.layer == "20-100" }) {
            (world.stockPg, world.low, world.high) = (all.stockPg, all.stockPgLow95, all.stockPgHigh95)
            world.simulatedMean = all.stockPgSimulatedMean
            (world.boundLow, world.boundHigh) = (all.stockPgBoundLow, all.stockPgBoundHigh)
        }
        let soc = try Raster(path: "\(data)/covariates/soc.tif").readRows(firstRow: 0, rowCount: Raster(path: "\(data)/covariates/soc.tif").grid.rows)
        let bd = try Raster(path: "\(data)/covariates/bd.tif").readRows(firstRow: 0, rowCount: Raster(path: "\(data)/covariates/bd.tif").grid.rows)
        for ecosystem in Ecosystem.allCases {
            func read(_ path: String) throws -> [Double] { let r = try Raster(path: path); return try r.readRows(firstRow: 0, rowCount: r.grid.rows) }
            let area = try read("\(data)/area/\(ecosystem.code)_area.tif"), truth = try read("\(data)/truth/\(ecosystem.code)_beta_true.tif")
            for i in area.indices where area[i] > 0 && truth[i].isFinite && soc[i].isFinite && bd[i].isFinite {
                let x = layerSOCDensityMgPerHa(socGramsPerKilogram: soc[i], bulkDensityGramsPerCubicCentimetre: bd[i], thicknessCentimetres: 20)
                world.truePg += area[i] * layerSOCDensityFromTopsoilMgPerHa(topsoilDensityMgPerHa: x, beta: truth[i], upperCentimetres: 20,
                                                                            lowerCentimetres: 100) / 1e9
            }
            guard FileManager.default.fileExists(atPath: layout.map(ecosystem, .betaStandardError)) else { continue }
            let mean = try read(layout.map(ecosystem, .beta)), low = try read(layout.map(ecosystem, .betaQ05))
            let high = try read(layout.map(ecosystem, .betaQ95)), se = try read(layout.map(ecosystem, .betaStandardError))
            let sigma = try RunDocument.read(ExponentialVariogram.self, from: layout.path(.residualVariogram(ecosystem))).partialSill.squareRoot()
            for i in area.indices where area[i] > 0 && truth[i].isFinite && mean[i].isFinite && se[i].isFinite {
                world.cells += 1
                if truth[i] >= low[i] && truth[i] <= high[i] { world.insideQRF += 1 }
                if abs(truth[i] - mean[i]) <= 1.6448536269514722 * (se[i] * se[i] + sigma * sigma).squareRoot() { world.insideMeanField += 1 }
            }
        }
        return world
    }
}
