import ArgumentParser
import Foundation
import Mapping
import RunModel

/// `soilbeta mosaic`: joins the row shards of `soilbeta map --tile i/N` into the run's output
/// folder (GDAL VRT then COG, values copied bit-exactly) and writes stocks.csv/json (issue 4 item 4).
struct MosaicCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mosaic",
        abstract: "Join the shards of `soilbeta map --tile i/N` into the final COGs and stocks tables.")

    @Option(help: "The run configuration used for the shards (TOML).") var config: String
    @Option(help: "Number of shards N the run was split into.") var tiles: Int
    @Option(help: "Rasters joined at the same time.") var threads: Int = 2

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1 (got \(threads))") }
        guard tiles >= 1 else { throw ValidationError("--tiles must be at least 1 (got \(tiles))") }
    }

    func run() throws {
        let runConfig = try MapPlan.trained(RunConfiguration.load(path: config))
        let joined = try MapMosaic.join(plan: runConfig, count: tiles, threads: threads)
        print("joined \(tiles) shard(s) into \(joined.outputs.count) rasters in \(runConfig.outputFolder)")
        MapCommand.printCounts(joined.counts)
        MapCommand.printStocks(joined.stocks)
    }
}
