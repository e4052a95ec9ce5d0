import ArgumentParser
import Foundation
import Essentials
import Mapping
import RunModel
import Rasters

/// `soilbeta map`: the global mapping run of METHOD.md §8–§9 (issue 4 item 4). Parses arguments
/// only; the work is `MapRun.run` in the Mapping library.
struct MapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "map",
        abstract: "Predict β per ecosystem on a grid, derive layer SOC densities and stocks; write COGs and stocks.csv/json.",
        discussion: """
        The configuration is the run configuration of `soilbeta run` without [profiles] and [forest]: \
        the grid, the topsoil SOC and BD rasters (or a 0-20 cm SOCD raster), the covariate rasters by \
        feature name and, per ecosystem, the model file (`soilbeta forest train --quantiles`) and the \
        area raster. Outputs (β mean and QRF quantiles, area, SOC density per layer, stocks) go to \
        <run folder>/maps; the README (soilbeta run) lists them.

        --tile i/N runs one row shard into <run folder>/maps/tiles/N/i; `soilbeta mosaic --config RUN.toml \
        --tiles N` joins them. A killed run resumes from its last finished tile when run again.
        """
    )

    @Option(help: "Run configuration (TOML).") var config: String
    @Option(help: "Run only row shard i of N (1-based), e.g. 2/4.") var tile: String?
    @Option(help: "Worker threads (default: the config's, else all cores); results do not depend on it.") var threads: Int?
    @Flag(help: "Recompute even if the outputs are complete.") var force = false
    @Flag(help: "No progress lines on stderr.") var quiet = false
    @Flag(inversion: .prefixedNo, help: "Write maps/soilbeta.nc (NetCDF-CF) after a whole-grid run.") var cube = true
    @Option(name: .customLong("stop-after-tiles"), help: .hidden) var stopAfterTiles: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1 (got \(threads))") }
    }

    func run() throws {
        let configuration = try RunConfiguration.load(path: config)
        let started = Date()
        let runConfig = try MapPlan.trained(configuration)
        var options = MapRunOptions(threads: threads, force: force, stopAfterTiles: stopAfterTiles)
        if let tile { options.tile = try Self.parseTile(tile) }
        if !quiet {
            options.progress = { progress in
                let percent = 100 * Double(progress.cellsDone) / Double(max(1, progress.cellsTotal))
                let eta = progress.etaSeconds.map { String(format: "%.0f s", $0) } ?? "?"
                printError(String(format: "map: %d/%d cells (%.1f %%), %.1f s elapsed, ETA %@",
                                  progress.cellsDone, progress.cellsTotal, percent, progress.elapsedSeconds, eta))
            }
        }
        let summary = try MapRun.run(plan: runConfig, options: options)
        var cubeFile: String?
        if options.tile == nil, cube {
            let cubePath = configuration.layout.path(.mapCube)
            cubeFile = !summary.alreadyComplete || !FileManager.default.fileExists(atPath: cubePath)
                ? try MapCube.write(plan: runConfig, fingerprint: MapCube.fingerprint(plan: runConfig))
                : cubePath
        }
        if options.tile == nil {
            var inputs: [RunManifest.Input] = []
            for path in configuration.inputFiles { inputs.append(RunManifest.Input(path: path, sha256: try ContentHash.hex(ofFile: path))) }
            let step = RunManifest.Step(name: "map", status: summary.alreadyComplete ? "skipped (outputs complete)" : "ran",
                                        seconds: Date().timeIntervalSince(started), summary: "\(summary.tilesComputed) tile(s) computed",
                                        outputs: (summary.outputs + (cubeFile.map { [$0] } ?? [])).map { configuration.layout.relative($0) })
            try RunDocument.write(try RunManifest(configuration: configuration, date: started, inputs: inputs, steps: [step]),
                                  to: configuration.layout.path(.manifest))
        }
        if summary.alreadyComplete {
            print("outputs in \(summary.folder) are already complete for this config (use --force to recompute)")
        } else {
            print("wrote \(summary.outputs.count) rasters to \(summary.folder): \(summary.tilesComputed) tile(s) computed, \(summary.tilesResumed) resumed")
        }
        if let cubeFile { print("NetCDF-CF cube: \(cubeFile)") }
        Self.printCounts(summary.counts)
        if let stocks = summary.stocks { Self.printStocks(stocks) }
    }

    static func parseTile(_ text: String) throws -> (index: Int, count: Int) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]), count >= 1, index >= 1, index <= count else {
            throw ValidationError("--tile must be i/N with 1 ≤ i ≤ N (got '\(text)')")
        }
        return (index, count)
    }

    static func printCounts(_ counts: [EcosystemCounts]) {
        for c in counts {
            print("\(c.ecosystem): \(c.cellsWithArea) cells with area, \(c.predicted) predicted, "
                + "\(c.missingCovariate) nodata for a missing covariate, \(c.missingTopsoil) without topsoil density "
                + String(format: "(%.6g ha not mapped)", c.areaNotMappedHa))
        }
    }

    static func printStocks(_ stocks: [StockRow]) {
        print("ecosystem layer    area_1e9_ha  socd_Mg_ha  stock_Pg  [q05, q95]")
        for row in stocks where ["0-20", "20-100", "0-100"].contains(row.layer) {
            print(String(format: "%-9@ %-8@ %11.4f %11.2f %9.2f  [%.2f, %.2f]", row.ecosystem, row.layer, row.area1e9Ha,
                         row.socdMeanMgPerHa, row.stockPg, row.stockPgBoundLow, row.stockPgBoundHigh))
        }
    }
}
