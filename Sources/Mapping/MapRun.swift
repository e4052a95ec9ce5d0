// The mapping run: β prediction per ecosystem, layer SOC densities, COGs and stocks, streamed
// in row tiles with checkpoints (issue 4 item 4–5; METHOD.md §5, §8, §9; paper Sect. 2.4, 3.4–3.5).
import Essentials
import RunModel
import DepthFunctions
import Dispatch
import Forest
import Foundation
import Rasters
import Statistics


/// Progress of a run, reported after every tile.
public struct MapProgress: Sendable {
    /// Grid cells of the run's rows finished (computed or resumed).
    public var cellsDone: Int
    /// Grid cells of the run's rows in total.
    public var cellsTotal: Int
    /// Seconds since the run started.
    public var elapsedSeconds: Double
    /// Estimated seconds left (from the rate of tiles computed in this process).
    public var etaSeconds: Double?
}

/// Options of one run (the config says what to map; these say how much and how).
public struct MapRunOptions: Sendable {
    /// Run only shard `index` (1-based) of `count` row shards (`--tile i/N`); nil = whole grid.
    public var tile: (index: Int, count: Int)?
    /// Worker threads (nil = the config's, else all cores). Results do not depend on it.
    public var threads: Int?
    /// Recompute even when the outputs are complete.
    public var force: Bool
    /// For tests of resumption: stop with an error after computing this many tiles (as a killed run would).
    public var stopAfterTiles: Int?
    /// Called after every tile.
    public var progress: (@Sendable (MapProgress) -> Void)?

    /// Options of a run; the defaults map the whole grid with the config's thread count.
    public init(tile: (index: Int, count: Int)? = nil, threads: Int? = nil, force: Bool = false,
                stopAfterTiles: Int? = nil, progress: (@Sendable (MapProgress) -> Void)? = nil) {
        (self.tile, self.threads, self.force) = (tile, threads, force)
        (self.stopAfterTiles, self.progress) = (stopAfterTiles, progress)
    }
}

/// What a run did.
public struct MapRunSummary: Sendable {
    /// Folder the outputs of this run (or shard) went to.
    public var folder: String
    /// True when the outputs were already complete and nothing was recomputed.
    public var alreadyComplete: Bool
    /// Tiles computed in this process.
    public var tilesComputed: Int
    /// Tiles taken from checkpoints of an earlier, interrupted run.
    public var tilesResumed: Int
    /// Stocks (whole-grid runs only; shards get them from `MapMosaic`).
    public var stocks: [StockRow]?
    /// Counts per ecosystem over the rows of this run.
    public var counts: [EcosystemCounts]
    /// Output files written.
    public var outputs: [String]
}

/// Runs `soilbeta map`: for every ecosystem predicts β (mean, q05, q95) where its area > 0,
/// derives X₀₋₂₀ by Eq. 1 (or reads it), the layer densities by METHOD.md §5, writes the COGs
/// and, for whole-grid runs, `stocks.csv` / `stocks.json` (paper Table 1 layout).
///
/// Work streams over tiles of `config.tileRows` rows: memory is bounded by one tile. Each
/// finished tile's predictions are checkpointed in a hidden folder keyed by a fingerprint of
/// the config and inputs, so a killed run resumes where it stopped with identical results;
/// outputs appear under their final names only when complete.
public enum MapRun {
    /// Loads the models and checks the inputs (feature names, grids), then runs. Every check
    /// happens before any output is created.
    public static func run(plan config: MapPlan, options: MapRunOptions = MapRunOptions()) throws -> MapRunSummary {
        // Bound GDAL's block cache to 512 MB (default 5 % of RAM) unless the user set it: the run streams
        // tiles into staging files and needs no large cache (bounded memory, issue 4 item 4).
        setenv("GDAL_CACHEMAX", "512", 0)
        let threads = resolvedThreadCount(options.threads ?? config.threads)
        let grid = config.grid
        // Rows of this run.
        var rows = 0..<grid.rows
        var folder = config.outputFolder
        if let tile = options.tile {
            guard tile.count >= 1, tile.index >= 1, tile.index <= tile.count, tile.count <= grid.rows else {
                throw MappingError.invalidTile(index: tile.index, count: tile.count, gridRows: grid.rows)
            }
            rows = grid.shardRows(index: tile.index - 1, of: tile.count)
            folder = config.layout.shardFolder(index: tile.index, count: tile.count)
        }

        // 1. Models: each must cover its features with rasters and carry quantile data (before any work).
        var models: [RandomForest] = []
        var applicability: [AreaOfApplicability?] = []
        var intervals: [(sigma: Double, units: SimulationUnitGrid)?] = []
        for ecosystem in config.ecosystems {
            let forest = try ForestModelFile.read(from: ecosystem.modelPath)
            let missing = forest.featureNames.filter { ecosystem.covariates[$0] == nil }
            if !missing.isEmpty { throw MappingError.missingFeatures(ecosystem: ecosystem.name, features: missing, configPath: config.path) }
            guard forest.hasQuantileData else {
                throw MappingError.modelWithoutQuantileData(path: ecosystem.modelPath, ecosystem: ecosystem.name)
            }
            models.append(forest)
            if let path = ecosystem.applicabilityPath {
                let aoa = try RunDocument.read(AreaOfApplicability.self, from: path)
                let unknown = aoa.featureNames.filter { ecosystem.covariates[$0] == nil }
                if !unknown.isEmpty { throw MappingError.missingFeatures(ecosystem: ecosystem.name, features: unknown, configPath: config.path) }
                applicability.append(aoa)
            } else {
                applicability.append(nil)
            }
            if ecosystem.simulatesIntervals, let variogram = try StockIntervals.variogram(ecosystem) {
                guard forest.hasInBagCounts else { throw MappingError.modelWithoutInBagCounts(path: ecosystem.modelPath, ecosystem: ecosystem.name) }
                intervals.append((variogram.partialSill.squareRoot(), try StockIntervals.units(variogram, cellDegrees: grid.cellWidth)))
            } else {
                intervals.append(nil)
            }
        }
        // 2. Every raster must be on the grid.
        let rasterPaths = config.rasterPaths
        try grid.requireCompatibleRasters(rasterPaths)
        if config.ecosystems.contains(where: { $0.areaUnit == .fraction }), !grid.crs.isGeographicWGS84 {
            throw ConfigError(file: config.path, key: "ecosystems", message: "area fractions need a geographic WGS84 grid for cell areas; give areas in ha (area_unit = \"ha\")")
        }

        let fingerprint = try Fingerprint.of(plan: config, rasterPaths: rasterPaths, models: models)
        let outputs = config.outputPaths(in: folder)
        let statePath = config.layout.mapState(in: folder)
        let rowSumsPath = (folder as NSString).appendingPathComponent(".row-sums.bin")
        let fm = FileManager.default
        if !options.force, let state = MapState.readIfValid(statePath), state.fingerprint == fingerprint,
           state.outputsIntact(folder: folder, expected: outputs), let sums = DoubleFile.read(rowSumsPath) {
            let rowSums = RowSumsFile.unpack(sums, ecosystems: config.ecosystems.count)
            var built = StockTable.build(plan: config, rowSums: rowSums)
            if options.tile == nil {
                let bins = SimulationBinsFile.read(folder: folder, count: config.ecosystems.count)
                built.rows = StockIntervals.apply(try StockIntervals.simulate(plan: config, bins: bins, threads: threads), to: built.rows, plan: config)
            }
            // The stocks tables are derived from the recorded row sums: rewrite them when they are missing
            // or differ (a deleted or edited stocks.csv repairs itself).
            if options.tile == nil {
                let layout = config.layout
                let expected = RunTable.csv(built.rows)
                let current = FileManager.default.contents(atPath: layout.path(.stocksTable)).map { String(decoding: $0, as: UTF8.self) }
                if current != expected || !FileManager.default.fileExists(atPath: layout.path(.stocksDocument)) {
                    try StockTable.write(rows: built.rows, counts: built.counts, layout: layout)
                }
            }
            return MapRunSummary(folder: folder, alreadyComplete: true, tilesComputed: 0, tilesResumed: 0,
                                 stocks: options.tile == nil ? built.rows : nil, counts: built.counts, outputs: outputs)
        }
        do { try fm.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw MappingError.outputFolder(path: folder, reason: userMessage(for: error))
        }
        // The completion record goes first: outputs are trusted only with a record written after them.
        AtomicFile.removeQuietly(statePath)
        for output in outputs { RasterWriter.removeLeftovers(besides: output) }
        let checkpointFolder = (folder as NSString).appendingPathComponent(".progress-\(fingerprint)")
        // Checkpoints of runs with another config or other inputs are stale.
        for entry in (try? fm.contentsOfDirectory(atPath: folder)) ?? [] where entry.hasPrefix(".progress-") && entry != ".progress-\(fingerprint)" {
            try? fm.removeItem(atPath: (folder as NSString).appendingPathComponent(entry))
        }
        try? fm.createDirectory(atPath: checkpointFolder, withIntermediateDirectories: true)

        var engine = try TileEngine(config: config, models: models, applicability: applicability, intervals: intervals, rows: rows, threads: threads)
        var runBins = intervals.map { $0.map { SimulationBins(units: $0.units) } }
        let subgrid = grid.subgrid(rows: rows)
        var writers: [RasterWriter] = []
        for ecosystem in config.ecosystems {
            for product in ecosystem.products {
                writers.append(try RasterWriter(path: config.layout.map(ecosystem.ecosystem, product, in: folder), grid: subgrid,
                                                options: MapOutputOptions.options(product, ecosystem: ecosystem.ecosystem, threads: threads)))
            }
        }
        defer { for writer in writers { writer.abandon() } }

        let start = Date()
        var computed = 0, resumed = 0
        var rowSums: [[Double]] = []
        rowSums.reserveCapacity(rows.count)
        var tileStart = rows.lowerBound
        let totalCells = rows.count * grid.columns
        while tileStart < rows.upperBound {
            let tileRows = tileStart..<min(tileStart + config.tileRows, rows.upperBound)
            let checkpointPath = (checkpointFolder as NSString).appendingPathComponent("tile-\(tileRows.lowerBound)-\(tileRows.count).bin")
            let saved = DoubleFile.read(checkpointPath)
            let result = try engine.compute(rows: tileRows, savedPredictions: saved)
            if saved == nil || !result.usedSaved {
                try DoubleFile.write(result.predictions.values, header: result.predictions.header, to: checkpointPath)
                computed += 1
            } else {
                resumed += 1
            }
            for (index, writer) in writers.enumerated() {
                try result.outputs[index].withUnsafeBufferPointer {
                    try writer.writeRows(firstRow: tileRows.lowerBound - rows.lowerBound, rowCount: tileRows.count, from: $0)
                }
            }
            rowSums += result.rowSums
            for (e, bins) in result.bins.enumerated() where e < runBins.count { if let bins { runBins[e]?.merge(bins) } }
            tileStart = tileRows.upperBound
            if let progress = options.progress {
                let done = (tileStart - rows.lowerBound) * grid.columns
                let elapsed = Date().timeIntervalSince(start)
                let eta = done > 0 ? elapsed / Double(done) * Double(totalCells - done) : nil
                progress(MapProgress(cellsDone: done, cellsTotal: totalCells, elapsedSeconds: elapsed, etaSeconds: eta))
            }
            if let stop = options.stopAfterTiles, computed >= stop, tileStart < rows.upperBound {
                throw MappingError.stoppedAfterTiles(computed)
            }
        }
        if options.tile == nil {
            try StockTable.requireSomethingMapped(StockTable.build(plan: config, rowSums: rowSums).counts,
                                                  plan: config)
        }
        try RasterWriter.finishAll(writers, maxConcurrent: 2)
        try DoubleFile.write(rowSums.flatMap { $0 }, header: [Int64(rows.lowerBound), Int64(rows.count), Int64(config.ecosystems.count)],
                             to: rowSumsPath)
        try SimulationBinsFile.write(runBins, folder: folder)
        var built = StockTable.build(plan: config, rowSums: rowSums)
        if options.tile == nil {
            built.rows = StockIntervals.apply(try StockIntervals.simulate(plan: config, bins: runBins, threads: threads), to: built.rows, plan: config)
            try StockTable.write(rows: built.rows, counts: built.counts, layout: config.layout)
        }
        let hashes = try OutputDigests.of(outputs, threads: threads)
        try RunDocument.write(MapState(fingerprint: fingerprint, firstRow: rows.lowerBound, rowCount: rows.count,
                                       counts: built.counts, outputs: hashes), to: statePath)
        try? fm.removeItem(atPath: checkpointFolder)
        return MapRunSummary(folder: folder, alreadyComplete: false, tilesComputed: computed, tilesResumed: resumed,
                             stocks: options.tile == nil ? built.rows : nil, counts: built.counts, outputs: outputs)
    }
}

extension StockTable {
    /// The Table 1 rows and counts of the ecosystems of `plan` from per-row sums.
    static func build(plan: MapPlan, rowSums: [[Double]]) -> (rows: [StockRow], counts: [EcosystemCounts]) {
        build(ecosystems: plan.ecosystems.map(\.name), applicability: plan.applicability, rowSums: rowSums)
    }

    /// Throws when an ecosystem has no cell with area, or area but no cell with a prediction: its stock
    /// would be a silent 0 Pg (an all-nodata or all-zero area raster, covariate rasters without values
    /// where the ecosystem is).
    static func requireSomethingMapped(_ counts: [EcosystemCounts], plan: MapPlan) throws {
        for (count, ecosystem) in zip(counts, plan.ecosystems) {
            if count.cellsWithArea == 0 {
                throw MappingError.nothingMapped(ecosystem: count.ecosystem, reason: "no cell of \(ecosystem.areaPath) has an area > 0")
            }
            if count.predicted == 0 {
                throw MappingError.nothingMapped(ecosystem: count.ecosystem, reason: "its \(count.cellsWithArea) cells with area have no "
                    + "value in at least one covariate raster (\(ecosystem.covariates.values.sorted().joined(separator: ", "))); check their nodata")
            }
        }
    }

    /// Writes `stocks.csv` and `stocks.json` of `layout` (atomically).
    public static func write(rows: [StockRow], counts: [EcosystemCounts], layout: RunLayout) throws {
        try RunTable.write(rows, to: layout.path(.stocksTable))
        try RunDocument.write(StocksDocument(stocks: rows, counts: counts), to: layout.path(.stocksDocument))
    }
}

/// The simulation bins of a run or shard folder (`.simulation-bins-<e>.bin`, one per ecosystem index; absent
/// for ecosystems without simulated intervals).
enum SimulationBinsFile {
    static func path(folder: String, ecosystem e: Int) -> String { (folder as NSString).appendingPathComponent(".simulation-bins-\(e).bin") }

    static func write(_ bins: [SimulationBins?], folder: String) throws {
        for (e, entry) in bins.enumerated() {
            if let entry { try AtomicFile.write(entry.encoded(), to: path(folder: folder, ecosystem: e)) } else {
                AtomicFile.removeQuietly(path(folder: folder, ecosystem: e))
            }
        }
    }

    static func read(folder: String, count: Int) -> [SimulationBins?] {
        (0..<count).map { e in FileManager.default.contents(atPath: path(folder: folder, ecosystem: e)).flatMap(SimulationBins.decode) }
    }
}

/// Packing of per-row sums into a `DoubleFile`.
enum RowSumsFile {
    static func unpack(_ file: (header: [Int64], values: [Double]), ecosystems: Int) -> [[Double]] {
        let width = ecosystems * RowSumField.count
        guard width > 0 else { return [] }
        return stride(from: 0, to: file.values.count, by: width).map { Array(file.values[$0..<min($0 + width, file.values.count)]) }
    }
}

extension MapState {
    /// The record at `path` when it exists and decodes; nil otherwise (an absent or damaged record means
    /// the outputs are recomputed, never trusted).
    static func readIfValid(_ path: String) -> MapState? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do { return try RunDocument.read(MapState.self, from: path) } catch { return nil }
    }

    /// Every expected output exists and has the content hash recorded when it was written.
    func outputsIntact(folder: String, expected: [String]) -> Bool {
        guard expected.allSatisfy({ outputs[($0 as NSString).lastPathComponent] != nil }),
              let digests = try? ContentHash.hex(ofFiles: expected) else { return false }
        return zip(expected, digests).allSatisfy { outputs[($0.0 as NSString).lastPathComponent] == $0.1 }
    }
}

/// The content hashes of a run's outputs by file name (the `outputs` record of `MapState`), hashed side by side.
enum OutputDigests {
    static func of(_ paths: [String], threads: Int?) throws -> [String: String] {
        let digests = try ContentHash.hex(ofFiles: paths, threads: threads)
        return Dictionary(zip(paths.map { ($0 as NSString).lastPathComponent }, digests), uniquingKeysWith: { first, _ in first })
    }
}

/// The SHA-256 fingerprint of a map run: the decoded configuration (thread count aside, results do not
/// depend on it), the tile height, the content of every input raster and every model. Checkpoints and the
/// completion record are keyed by it, so only a run with the same inputs reuses them.
enum Fingerprint {
    static func of(plan: MapPlan, rasterPaths: [String], models: [RandomForest]) throws -> String {
        var configuration = plan.configuration
        configuration.run.threads = nil
        var hash = ContentHash()
        hash.update([UInt8](try configuration.canonicalJSON()))
        hash.update(text: "tile_rows=\(plan.tileRows)\n")
        for ecosystem in plan.ecosystems { hash.update(text: "\(ecosystem.name)=\(ecosystem.modelPath)\n") }
        // Every input file's digest (hashed side by side), entered in the fixed order below.
        let labelled = rasterPaths.map { ($0, $0) } + plan.ecosystems.compactMap(\.applicabilityPath).map { ("aoa", $0) }
            + plan.ecosystems.compactMap(\.variogramPath).map { ("variogram", $0) }
            + plan.ecosystems.compactMap(\.errorCorrelationPath).map { ("se correlation", $0) }
        let digests = try ContentHash.hex(ofFiles: labelled.map(\.1), threads: plan.configuration.run.threads)
        for ((label, _), digest) in zip(labelled, digests) { hash.update(text: "\(label) \(digest)\n") }
        for model in models { hash.update(ForestModelFile.encode(model)) }
        return String(hash.finalizeHex().prefix(32))
    }
}
