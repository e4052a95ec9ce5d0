// Joining the row shards of `soilbeta map --tile i/N` (issue 4 item 4: `soilbeta mosaic`).
import Essentials
import Foundation
import Forest
import Rasters
import RunModel

/// Joins the outputs of shards 1…N of a run into the run's output folder: every COG through
/// `RasterMosaic.join` (GDAL VRT then COG, values copied bit-exactly) and the stocks table from
/// the shards' per-row sums, summed in row order exactly as a single run does; then the NetCDF-CF cube.
public enum MapMosaic {
    /// Joins the `count` shards of the run of `plan`. Throws naming the shards that are missing,
    /// incomplete or from another configuration (with the `soilbeta map --tile` commands still to run)
    /// before writing anything.
    public static func join(plan config: MapPlan, count: Int, threads: Int = 2) throws -> (stocks: [StockRow], counts: [EcosystemCounts], outputs: [String]) {
        guard count >= 1, count <= config.grid.rows else {
            throw MappingError.invalidTile(index: 1, count: count, gridRows: config.grid.rows)
        }
        let fingerprint = try MapCube.fingerprint(plan: config)
        let names = config.ecosystems.flatMap { e in MapProduct.all.map { $0.fileName(e.ecosystem) } }
        var incomplete: [Int] = []
        var rowSums: [[Double]] = []
        var expectedRow = 0
        for index in 1...count {
            let folder = config.layout.shardFolder(index: index, count: count)
            let expected = config.grid.shardRows(index: index - 1, of: count)
            guard let state = MapState.readIfValid(config.layout.mapState(in: folder)), state.fingerprint == fingerprint,
                  state.firstRow == expected.lowerBound, state.rowCount == expected.count,
                  state.outputsIntact(folder: folder, expected: names.map { (folder as NSString).appendingPathComponent($0) }),
                  let sums = DoubleFile.read((folder as NSString).appendingPathComponent(".row-sums.bin")),
                  sums.header.count == 3, sums.header[0] == Int64(expectedRow), sums.header[2] == Int64(config.ecosystems.count)
            else { incomplete.append(index); expectedRow = expected.upperBound; continue }
            let unpacked = RowSumsFile.unpack(sums, ecosystems: config.ecosystems.count)
            guard unpacked.count == expected.count else { incomplete.append(index); expectedRow = expected.upperBound; continue }
            rowSums += unpacked
            expectedRow = expected.upperBound
        }
        if !incomplete.isEmpty {
            throw MappingError.shardsNotReady(indices: incomplete, count: count,
                                              folder: (config.outputFolder as NSString).appendingPathComponent("tiles/\(count)"),
                                              configPath: config.path)
        }
        try StockTable.requireSomethingMapped(StockTable.build(ecosystems: config.ecosystems.map(\.name), rowSums: rowSums).counts,
                                              plan: config)
        let outputs = names.map { (config.outputFolder as NSString).appendingPathComponent($0) }
        // Each output is joined by exactly one lane and owns its error slot.
        let errors = ResultSlots<any Error>(count: names.count)
        let grid = config.grid
        let shardFolders = (1...count).map { config.layout.shardFolder(index: $0, count: count) }
        parallelForEach(itemCount: names.count, threads: max(1, threads)) { n in
            do {
                try RasterMosaic.join(shardPaths: shardFolders.map { ($0 as NSString).appendingPathComponent(names[n]) },
                                      onto: grid, outputPath: outputs[n])
            } catch { errors.set(n, error) }
        }
        if let error = errors.values().first { throw error }
        let built = StockTable.build(ecosystems: config.ecosystems.map(\.name), rowSums: rowSums)
        try StockTable.write(rows: built.rows, counts: built.counts, layout: config.layout)
        let cube = try MapCube.write(plan: config, fingerprint: fingerprint)
        return (built.rows, built.counts, outputs + (cube.map { [$0] } ?? []))
    }
}
