// Joining the row shards of `soilbeta map --tile i/N` (issue 4 item 4: `soilbeta mosaic`).
import Essentials
import Foundation
import Rasters

/// Joins the outputs of shards 1…N of a run into the run's output folder: every COG through
/// `RasterMosaic.join` (GDAL VRT then COG, values copied bit-exactly) and the stocks table from
/// the shards' per-row sums, summed in row order exactly as a single run does.
public enum MapMosaic {
    /// Folder of shard `index` (1-based) of `count`: `<output>/tiles/<count>/<index>`.
    public static func shardFolder(config: MapConfig, index: Int, count: Int) -> String {
        (config.outputFolder as NSString).appendingPathComponent("tiles/\(count)/\(index)")
    }

    /// Joins the `count` shards of the run of `config`. Throws naming the shards that are
    /// missing or incomplete (with the `soilbeta map --tile` commands still to run) before
    /// writing anything.
    public static func join(config: MapConfig, count: Int, threads: Int = 2) throws -> (stocks: [StockRow], counts: [EcosystemCounts], outputs: [String]) {
        guard count >= 1 else { throw MappingError.run("mosaic: the number of shards must be ≥ 1") }
        var incomplete: [Int] = []
        var rowSums: [[Double]] = []
        var expectedRow = 0
        for index in 1...count {
            let folder = shardFolder(config: config, index: index, count: count)
            let expected = config.grid.shardRows(index: index - 1, of: count)
            guard let manifest = Manifest.read((folder as NSString).appendingPathComponent("run.json")),
                  manifest.firstRow == expected.lowerBound, manifest.rowCount == expected.count,
                  let sums = DoubleFile.read((folder as NSString).appendingPathComponent(".row-sums.bin")),
                  sums.header.count == 3, sums.header[0] == Int64(expectedRow), sums.header[2] == Int64(config.ecosystems.count)
            else { incomplete.append(index); continue }
            let unpacked = RowSumsFile.unpack(sums, ecosystems: config.ecosystems.count)
            guard unpacked.count == expected.count else { incomplete.append(index); continue }
            rowSums += unpacked
            expectedRow = expected.upperBound
        }
        if !incomplete.isEmpty {
            throw MappingError.run("mosaic: shard(s) \(incomplete.map(String.init).joined(separator: ", ")) of \(count) are missing or incomplete "
                + "under \((config.outputFolder as NSString).appendingPathComponent("tiles/\(count)")); run "
                + incomplete.map { "`soilbeta map --config \(config.path) --tile \($0)/\(count)`" }.joined(separator: ", "))
        }
        let names = config.ecosystems.flatMap { MapOutputNames.files(ecosystem: $0.name) }
        let outputs = names.map { (config.outputFolder as NSString).appendingPathComponent($0) }
        // Each output is joined by exactly one lane and owns its error slot.
        let errors = ResultSlots<any Error>(count: names.count)
        let grid = config.grid
        let shardFolders = (1...count).map { shardFolder(config: config, index: $0, count: count) }
        parallelForEach(itemCount: names.count, threads: max(1, threads)) { n in
            do {
                try RasterMosaic.join(shardPaths: shardFolders.map { ($0 as NSString).appendingPathComponent(names[n]) },
                                      onto: grid, outputPath: outputs[n])
            } catch { errors.set(n, error) }
        }
        if let error = errors.values().first { throw error }
        let built = StockTable.build(ecosystems: config.ecosystems.map(\.name), rowSums: rowSums)
        try StockTable.write(rows: built.rows, counts: built.counts, folder: config.outputFolder)
        return (built.rows, built.counts, outputs)
    }
}
