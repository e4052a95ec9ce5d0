// Joining the row shards of `soilbeta map --tile i/N` (issue 4 item 4: `soilbeta mosaic`).
import Essentials
import Foundation
import Forest
import Rasters
import RunModel

/// The state of one row shard of a run, as `soilbeta mosaic` and `soilbeta status` judge it.
public enum ShardState: Sendable, Equatable {
    /// Finished for this configuration, models and inputs, every output with its recorded hash.
    case done
    /// No completion record: never run, still running, or killed before it finished.
    case missing
    /// Finished, but for another configuration, other models or other inputs.
    case otherConfiguration
    /// A completion record exists but an output or the row sums are absent or differ from what was recorded.
    case corrupted
}

/// Joins the outputs of shards 1…N of a run into the run's output folder: every COG through
/// `RasterMosaic.join` (GDAL VRT then COG, values copied bit-exactly) and the stocks table from
/// the shards' per-row sums, summed in row order exactly as a single run does; then the NetCDF-CF cube.
public enum MapMosaic {
    /// The state of every shard 1…`count` of the run of `plan` (index 0 is shard 1). Every shard records the
    /// fingerprint of the configuration, models and inputs it used (`MapState`); a shard is `done` only when
    /// that fingerprint is this plan's, its rows are the expected ones and every output has its recorded hash.
    public static func shardStates(plan config: MapPlan, count: Int) throws -> [ShardState] {
        guard count >= 1, count <= config.grid.rows else {
            throw MappingError.invalidTile(index: 1, count: count, gridRows: config.grid.rows)
        }
        let fingerprint = try MapCube.fingerprint(plan: config)
        let names = config.ecosystems.flatMap { e in e.products.map { $0.fileName(e.ecosystem) } }
        return (1...count).map { index in
            let folder = config.layout.shardFolder(index: index, count: count)
            let expected = config.grid.shardRows(index: index - 1, of: count)
            guard let state = MapState.readIfValid(config.layout.mapState(in: folder)) else { return .missing }
            guard state.fingerprint == fingerprint else { return .otherConfiguration }
            guard state.firstRow == expected.lowerBound, state.rowCount == expected.count,
                  state.outputsIntact(folder: folder, expected: names.map { (folder as NSString).appendingPathComponent($0) }),
                  let sums = DoubleFile.read((folder as NSString).appendingPathComponent(".row-sums.bin")),
                  sums.header.count == 3, sums.header[0] == Int64(expected.lowerBound), sums.header[2] == Int64(config.ecosystems.count),
                  RowSumsFile.unpack(sums, ecosystems: config.ecosystems.count).count == expected.count,
                  zip(SimulationBinsFile.read(folder: folder, count: config.ecosystems.count), config.ecosystems)
                    .allSatisfy({ bins, spec in bins != nil || !spec.simulatesIntervals })
            else { return .corrupted }
            return .done
        }
    }

    /// Whether the whole grid of `plan` is mapped: `maps/.map-state.json` is this plan's (fingerprint of
    /// configuration, models and inputs; all rows) and every output has its recorded hash.
    public static func isComplete(plan config: MapPlan) throws -> Bool {
        guard let state = MapState.readIfValid(config.layout.mapState()) else { return false }
        let outputs = config.outputPaths()
        return try state.fingerprint == MapCube.fingerprint(plan: config) && state.firstRow == 0 && state.rowCount == config.grid.rows
            && state.outputsIntact(folder: config.outputFolder, expected: outputs)
    }

    /// Joins the `count` shards of the run of `plan`. Throws `MappingError.shardsRejected`, naming the shards
    /// that are missing, corrupted or from another configuration (with the `soilbeta map --tile` commands
    /// still to run), before writing anything. The joined rasters are staged under temporary names and
    /// renamed into place only when all are complete, so a failed mosaic publishes nothing; the whole-grid
    /// completion record (`maps/.map-state.json`, row sums) is written last, so `soilbeta map` and
    /// `soilbeta run` then treat the grid as mapped.
    public static func join(plan config: MapPlan, count: Int, threads: Int = 2) throws -> (stocks: [StockRow], counts: [EcosystemCounts], outputs: [String]) {
        let states = try shardStates(plan: config, count: count)
        if states.contains(where: { $0 != .done }) {
            func indices(_ state: ShardState) -> [Int] { states.indices.filter { states[$0] == state }.map { $0 + 1 } }
            throw MappingError.shardsRejected(missing: indices(.missing), otherConfiguration: indices(.otherConfiguration),
                                              corrupted: indices(.corrupted), count: count,
                                              folder: (config.outputFolder as NSString).appendingPathComponent("tiles/\(count)"),
                                              configPath: config.path)
        }
        let fingerprint = try MapCube.fingerprint(plan: config)
        let names = config.ecosystems.flatMap { e in e.products.map { $0.fileName(e.ecosystem) } }
        var rowSums: [[Double]] = []
        var bins: [SimulationBins?] = config.ecosystems.map { _ in nil }
        for index in 1...count {
            let folder = config.layout.shardFolder(index: index, count: count)
            guard let sums = DoubleFile.read((folder as NSString).appendingPathComponent(".row-sums.bin")) else {
                throw MappingError.shardsRejected(missing: [], otherConfiguration: [], corrupted: [index], count: count,
                                                  folder: folder, configPath: config.path)
            }
            rowSums += RowSumsFile.unpack(sums, ecosystems: config.ecosystems.count)
            // The shards' simulation bins add exactly (fixed point), in any order.
            for (e, shardBins) in SimulationBinsFile.read(folder: folder, count: config.ecosystems.count).enumerated() {
                guard let shardBins else { continue }
                if bins[e] == nil { bins[e] = shardBins } else { bins[e]?.merge(shardBins) }
            }
        }
        try StockTable.requireSomethingMapped(StockTable.build(plan: config, rowSums: rowSums).counts,
                                              plan: config)
        let folder = config.outputFolder
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw MappingError.outputFolder(path: folder, reason: userMessage(for: error))
        }
        // The old completion record goes first: outputs are trusted only with a record written after them.
        let statePath = config.layout.mapState()
        AtomicFile.removeQuietly(statePath)
        let outputs = names.map { (folder as NSString).appendingPathComponent($0) }
        let staged = outputs.map { AtomicFile.temporaryPath(besides: $0, tag: "staging") }
        defer { for path in staged { AtomicFile.removeQuietly(path) } }
        // Each output is joined by exactly one lane and owns its error slot.
        let errors = ResultSlots<any Error>(count: names.count)
        let grid = config.grid
        let shardFolders = (1...count).map { config.layout.shardFolder(index: $0, count: count) }
        parallelForEach(itemCount: names.count, threads: max(1, threads)) { n in
            do {
                try RasterMosaic.join(shardPaths: shardFolders.map { ($0 as NSString).appendingPathComponent(names[n]) },
                                      onto: grid, outputPath: staged[n])
            } catch { errors.set(n, error) }
        }
        if let error = errors.values().first { throw error }
        for (stage, output) in zip(staged, outputs) { try AtomicFile.publish(stage, as: output) }
        var built = StockTable.build(plan: config, rowSums: rowSums)
        built.rows = StockIntervals.apply(try StockIntervals.simulate(plan: config, bins: bins, threads: threads), to: built.rows, plan: config)
        try StockTable.write(rows: built.rows, counts: built.counts, layout: config.layout)
        try DoubleFile.write(rowSums.flatMap { $0 }, header: [0, Int64(grid.rows), Int64(config.ecosystems.count)],
                             to: (folder as NSString).appendingPathComponent(".row-sums.bin"))
        try SimulationBinsFile.write(bins, folder: folder)
        let hashes = try OutputDigests.of(outputs, threads: threads)
        try RunDocument.write(MapState(fingerprint: fingerprint, firstRow: 0, rowCount: grid.rows, counts: built.counts, outputs: hashes),
                              to: statePath)
        let cube = try MapCube.write(plan: config, fingerprint: fingerprint)
        return (built.rows, built.counts, outputs + (cube.map { [$0] } ?? []))
    }
}
