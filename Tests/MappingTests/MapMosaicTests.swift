import Essentials
import Foundation
import Mapping
import RunModel
import Rasters
import Testing

/// Shard integrity of `soilbeta mosaic` (issue 13 item 2): every tile records the fingerprint of the
/// configuration, models and inputs it used; mosaic refuses shards from another configuration, names
/// missing and corrupted tiles, and publishes nothing unless every tile is sound.
@Suite struct MapMosaicTests {
    /// The same plan with one covariate raster replaced by a copy that differs in one cell (other inputs).
    static func planWithOtherInputs(_ config: MapPlan, folder: String) throws -> MapPlan {
        let original = try String(contentsOfFile: config.path, encoding: .utf8)
        let values = try readAll(folder + "/cov_MAT.tif")
        var changed = values
        if let first = changed.firstIndex(where: { $0.isFinite }) { changed[first] += 0.5 }
        try writeRaster(folder + "/cov_MAT_other.tif", grid: config.grid, values: changed)
        let text = original.replacingOccurrences(of: "\"cov_MAT.tif\"", with: "\"cov_MAT_other.tif\"")
        #expect(text != original, "the configuration names cov_MAT.tif")
        try text.write(toFile: folder + "/other.toml", atomically: true, encoding: .utf8)
        return try MapPlan(configuration: RunConfiguration.load(path: folder + "/other.toml"))
    }

    @Test func mosaicRefusesForeignMissingAndCorruptedTilesAndPublishesNothing() throws {
        let (folder, config) = try syntheticInputs("integrity", tileRows: 5)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let other = try Self.planWithOtherInputs(config, folder: folder)
        #expect(other.layout == config.layout, "both configurations write into the same run folder")
        _ = try MapRun.run(plan: config, options: MapRunOptions(tile: (1, 4), threads: 2))
        _ = try MapRun.run(plan: other, options: MapRunOptions(tile: (2, 4), threads: 2))
        _ = try MapRun.run(plan: config, options: MapRunOptions(tile: (4, 4), threads: 2))
        // Tile 4's β raster of cropland loses its last bytes (a disk fault, a copy cut short).
        let damaged = config.layout.map(.cropland, .beta, in: config.layout.shardFolder(index: 4, count: 4))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: damaged))
        try bytes.prefix(bytes.count - 100).write(to: URL(fileURLWithPath: damaged))

        #expect(try MapMosaic.shardStates(plan: config, count: 4) == [.done, .otherConfiguration, .missing, .corrupted])
        var message = ""
        #expect {
            try MapMosaic.join(plan: config, count: 4)
        } throws: { error in
            message = "\(error)"
            guard case let MappingError.shardsRejected(missing, otherConfiguration, corrupted, count, _, _) = error else { return false }
            return missing == [3] && otherConfiguration == [2] && corrupted == [4] && count == 4
        }
        #expect(message.contains("tile(s) 3 of 4 missing") && message.contains("tile(s) 2 of 4 made with another configuration")
                && message.contains("tile(s) 4 of 4 corrupted") && message.contains("--tile 2/4"), "\(message)")
        let published = (try? FileManager.default.contentsOfDirectory(atPath: config.outputFolder)) ?? []
        #expect(!published.contains { $0.hasSuffix(".tif") || $0.hasSuffix(".nc") || $0.hasPrefix("stocks") || $0.contains("staging") },
                "nothing published: \(published)")

        // Re-running the rejected tiles with the configuration completes the mosaic, equal to a single run.
        for index in [2, 3, 4] { _ = try MapRun.run(plan: config, options: MapRunOptions(tile: (index, 4), threads: 2)) }
        #expect(try MapMosaic.shardStates(plan: config, count: 4) == [.done, .done, .done, .done])
        let joined = try MapMosaic.join(plan: config, count: 4)
        #expect(joined.outputs.contains(config.layout.path(.mapCube)))
        let single = config.withRunFolder(folder + "/single")
        _ = try MapRun.run(plan: single, options: MapRunOptions(threads: 2))
        for name in MapRunTests.outputNames {
            #expect(try bits(config.outputFolder + "/" + name) == bits(single.outputFolder + "/" + name), "\(name)")
        }
        // The mosaic leaves the whole-grid completion record: a whole-grid map run finds the grid mapped.
        let again = try MapRun.run(plan: config, options: MapRunOptions(threads: 2))
        #expect(again.alreadyComplete)
    }
}
