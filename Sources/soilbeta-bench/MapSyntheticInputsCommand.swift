// `soilbeta-bench map-synthetic-inputs`: synthetic global inputs and models for the map benchmark.
import ArgumentParser
import DemoData
import Rasters

/// Writes synthetic global inputs, trains their per-ecosystem QRF models (`models/<ECO>.sbf`)
/// and writes the run config, for the map benchmark (values are made up).
struct MapSyntheticInputsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "map-synthetic-inputs", abstract: "Write synthetic inputs and models for `soilbeta map` (benchmark).")

    @Option(help: "Output folder.") var out: String
    @Option(help: "Grid cell size, degrees.") var resolution: Double = 1.0 / 12
    @Option(name: .customLong("training-rows"), help: "Training rows per ecosystem.") var trainingRows: Int = 400
    @Option(help: "Trees of each ecosystem's model.") var trees: Int = 500
    @Option(help: "Random seed of the models.") var seed: UInt64 = 1
    @Option(help: "Worker threads for training (default: all cores).") var threads: Int?
    @Option(name: .customLong("missing-every"), help: "Every n-th land cell gets a missing MAT value.") var missingEvery: Int?
    @Option(name: .customLong("tile-rows"), help: "Rows per streamed tile in the config.") var tileRows: Int = 64
    @Option(help: "Window west,south,east,north in degrees (default: the globe), e.g. 0,40,10,50 for a 1 km planning window.")
    var extent: String?

    func run() throws {
        let grid = try RasterGrid.covering(extent.map { try Extent(parsing: $0) } ?? .global, resolution: resolution)
        let written = try SyntheticMapInputs.write(folder: out, grid: grid, trainingRows: trainingRows, modelTrees: trees,
                                                   modelSeed: seed, threads: threads, missingEvery: missingEvery,
                                                   tileRows: tileRows)
        print("config \(written.configPath); cells with area: "
            + SyntheticMapInputs.ecosystems.map { "\($0) \(written.cellsWithArea[$0] ?? 0)" }.joined(separator: ", ")
            + " (total \(written.cellsWithArea.values.reduce(0, +)))")
    }
}
