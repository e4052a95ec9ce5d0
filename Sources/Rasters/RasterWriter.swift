import Essentials
import CGDAL
import Foundation

/// How an output raster is stored and described (METHOD.md §9: Cloud-Optimised GeoTIFF,
/// deflate, nodata set, band description and units in metadata; optional NetCDF-CF).
public struct RasterOutputOptions: Sendable {
    /// Storage type of every band.
    public var dataType: RasterDataType
    /// Nodata value of every band; nil = none. Defaults to NaN for floating-point types.
    public var noDataValue: Double?
    /// Band descriptions (one per band, e.g. `"beta"`, `"SOCD 20-100 cm"`); missing = none.
    public var bandDescriptions: [String]
    /// Band units (one per band, e.g. `"Mg ha-1"`, `"1"`, `"ha"`); missing = none.
    public var bandUnits: [String]
    /// Dataset metadata items (default domain), e.g. `["DEMO": "yes", "SOURCE": "soilbeta 0.1"]`.
    public var metadata: [String: String]
    /// Internal tile size of the COG, cells (multiple of 16).
    public var blockSize: Int
    /// Resampling of the overviews: `"AVERAGE"` for continuous values, `"NEAREST"` or `"MODE"` for classes.
    public var overviewResampling: String
    /// Deflate level, 1–9.
    public var deflateLevel: Int
    /// Also write a NetCDF-CF (NetCDF-4, deflate) copy at this path; requires the netCDF driver.
    public var netCDFPath: String?
    /// Threads GDAL may use to compress (results do not depend on it).
    public var compressionThreads: Int

    /// Output options; the defaults give a Float32 deflate COG with 512-pixel tiles and no nodata.
    public init(dataType: RasterDataType = .float32, noDataValue: Double? = nil, bandDescriptions: [String] = [],
                bandUnits: [String] = [], metadata: [String: String] = [:], blockSize: Int = 512,
                overviewResampling: String = "AVERAGE", deflateLevel: Int = 6, netCDFPath: String? = nil,
                compressionThreads: Int = 2) {
        self.dataType = dataType
        self.noDataValue = noDataValue ?? (dataType.isFloatingPoint ? Double.nan : nil)
        (self.bandDescriptions, self.bandUnits, self.metadata) = (bandDescriptions, bandUnits, metadata)
        (self.blockSize, self.overviewResampling, self.deflateLevel) = (blockSize, overviewResampling, deflateLevel)
        (self.netCDFPath, self.compressionThreads) = (netCDFPath, compressionThreads)
    }
}

/// Writes a raster on a grid in row windows, then publishes it as a Cloud-Optimised GeoTIFF
/// (deflate, internal tiles, overviews, nodata, band descriptions, units and
/// metadata) under its final name only when complete.
///
/// Life cycle: `init` creates a hidden tiled GeoTIFF staging file beside `path`; `writeRows`
/// fills it (any order, any window height); `finish()` translates it with GDAL's COG driver to
/// a second hidden name, renames that onto `path` and removes the staging file. If `finish()`
/// is never called (error, crash, `abandon()`), no file appears under `path`.
/// Not thread-safe: write from one thread (compute in parallel, write in order).
public final class RasterWriter {
    /// The final path of the COG.
    public let path: String
    /// The grid written.
    public let grid: RasterGrid
    /// Number of bands.
    public let bandCount: Int
    /// The storage options.
    public let options: RasterOutputOptions
    /// The hidden staging GeoTIFF.
    public let stagingPath: String
    private var handle: GDALDatasetH?
    private var finished = false

    /// Creates the staging file for a `bandCount`-band raster on `grid`; cells never written
    /// are the nodata value (or 0 without one). Throws naming `path` when the folder is missing or
    /// not writable or GDAL cannot create the file.
    public init(path: String, grid: RasterGrid, bandCount: Int = 1, options: RasterOutputOptions = RasterOutputOptions()) throws {
        GDALEnvironment.ensureRegistered()
        guard bandCount >= 1 else { throw RasterError.invalidArgument("\(path): an output needs at least one band") }
        guard grid.columns > 0, grid.rows > 0 else { throw RasterError.invalidArgument("\(path): the grid is empty") }
        guard options.blockSize >= 16, options.blockSize % 16 == 0 else {
            throw RasterError.invalidArgument("\(path): block size \(options.blockSize) must be a positive multiple of 16")
        }
        try AtomicFile.requireWritableFolder(for: path)
        (self.path, self.grid, self.bandCount) = (path, grid, bandCount)
        self.options = options
        self.stagingPath = AtomicFile.temporaryPath(besides: path, tag: "staging")
        guard let driver = GDALGetDriverByName("GTiff") else {
            throw RasterError.writeFailed(path: path, reason: "the GDAL build has no GTiff driver")
        }
        // Uncompressed tiles: the staging file lives only until finish(); compressing it twice costs time.
        let creation = GDALStringList(["TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256",
                                       "BIGTIFF=IF_SAFER", "SPARSE_OK=TRUE"])
        GDALEnvironment.resetError()
        guard let handle = GDALCreate(driver, stagingPath, Int32(grid.columns), Int32(grid.rows), Int32(bandCount),
                                      options.dataType.gdalType, creation.pointer) else {
            throw RasterError.writeFailed(path: path, reason: GDALEnvironment.lastErrorMessage())
        }
        self.handle = handle
        do {
            try describe(handle)
        } catch {
            abandon()
            throw error
        }
    }

    deinit {
        if !finished { abandon() }
    }

    private func describe(_ handle: GDALDatasetH) throws {
        var transform = grid.geoTransform
        guard GDALSetGeoTransform(handle, &transform) == CE_None else {
            throw RasterError.writeFailed(path: path, reason: "cannot set the geotransform: \(GDALEnvironment.lastErrorMessage())")
        }
        if !grid.crs.wkt.isEmpty, GDALSetProjection(handle, grid.crs.wkt) != CE_None {
            throw RasterError.writeFailed(path: path, reason: "cannot set the CRS: \(GDALEnvironment.lastErrorMessage())")
        }
        for (key, value) in options.metadata.sorted(by: { $0.key < $1.key }) {
            GDALSetMetadataItem(handle, key, value, nil)
        }
        for band in 1...bandCount {
            guard let bandHandle = GDALGetRasterBand(handle, Int32(band)) else { continue }
            if let noData = options.noDataValue {
                // Blocks never written stay sparse and read back as this value (SPARSE_OK).
                GDALSetRasterNoDataValue(bandHandle, noData)
            }
            if band <= options.bandDescriptions.count {
                GDALSetDescription(bandHandle, options.bandDescriptions[band - 1])
            }
            if band <= options.bandUnits.count {
                GDALSetRasterUnitType(bandHandle, options.bandUnits[band - 1])
            }
        }
    }

    /// Writes `rowCount` full rows starting at `firstRow` of `band` (1-based) from a row-major
    /// buffer of `rowCount × grid.columns` values (converted to the storage type by GDAL).
    public func writeRows<T: RasterElement>(band: Int = 1, firstRow: Int, rowCount: Int, from buffer: UnsafeBufferPointer<T>) throws {
        guard let handle, !finished else {
            throw RasterError.writeFailed(path: path, reason: "the writer is already finished or abandoned")
        }
        guard band >= 1, band <= bandCount, let bandHandle = GDALGetRasterBand(handle, Int32(band)) else {
            throw RasterError.writeFailed(path: path, reason: "band \(band) does not exist (the output has \(bandCount))")
        }
        guard firstRow >= 0, rowCount > 0, firstRow + rowCount <= grid.rows else {
            throw RasterError.writeFailed(path: path, reason: "rows \(firstRow)..<\(firstRow + rowCount) are outside the \(grid.rows) rows")
        }
        guard buffer.count == rowCount * grid.columns, let base = buffer.baseAddress else {
            throw RasterError.writeFailed(path: path, reason: "buffer holds \(buffer.count) values, \(rowCount) rows need \(rowCount * grid.columns)")
        }
        GDALEnvironment.resetError()
        let status = GDALRasterIO(bandHandle, GF_Write, 0, Int32(firstRow), Int32(grid.columns), Int32(rowCount),
                                  UnsafeMutableRawPointer(mutating: base), Int32(grid.columns), Int32(rowCount), T.gdalType, 0, 0)
        guard status == CE_None else {
            throw RasterError.writeFailed(path: path, reason: "rows \(firstRow)..<\(firstRow + rowCount): \(GDALEnvironment.lastErrorMessage())")
        }
    }

    /// Array form of `writeRows(band:firstRow:rowCount:from:)`.
    public func writeRows<T: RasterElement>(band: Int = 1, firstRow: Int, rowCount: Int, from values: [T]) throws {
        try values.withUnsafeBufferPointer { try writeRows(band: band, firstRow: firstRow, rowCount: rowCount, from: $0) }
    }

    /// Builds the COG (and the NetCDF-CF copy when asked) and publishes it under `path`.
    /// On failure nothing appears under the final names and the staging file is removed.
    public func finish() throws {
        guard let handle, !finished else {
            throw RasterError.writeFailed(path: path, reason: "the writer is already finished or abandoned")
        }
        defer { abandon() }
        GDALFlushCache(handle)
        try RasterPublisher.publishCOG(from: handle, to: path, options: options)
        if let netCDFPath = options.netCDFPath {
            try RasterPublisher.publishNetCDF(from: handle, to: netCDFPath, options: options)
        }
        finished = true
    }

    /// Finishes several writers, up to `maxConcurrent` at a time (GDAL handles distinct datasets
    /// on distinct threads safely). All are attempted; the first error (in writer order) is
    /// rethrown after the others completed. Writers that failed leave no output.
    public static func finishAll(_ writers: [RasterWriter], maxConcurrent: Int = 2) throws {
        // Each writer is finished by exactly one lane and owns its error slot.
        let errors = ResultSlots<any Error>(count: writers.count)
        parallelForEach(itemCount: writers.count, threads: max(1, maxConcurrent)) { index in
            do { try writers[index].finish() } catch { errors.set(index, error) }
        }
        if let error = errors.values().first { throw error }
    }

    /// Deletes hidden staging/partial files left beside `path` by a killed run (names
    /// `.NAME.staging-*` and `.NAME.partial-*`); returns how many were removed. Call before
    /// resuming a run, never while another process writes the same output.
    @discardableResult
    public static func removeLeftovers(besides path: String) -> Int {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let name = url.lastPathComponent
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return 0 }
        var removed = 0
        for entry in entries where entry.hasPrefix(".\(name).staging-") || entry.hasPrefix(".\(name).partial-") {
            if unlink((folder as NSString).appendingPathComponent(entry)) == 0 { removed += 1 }
        }
        return removed
    }

    /// Discards the output: closes and deletes the staging file. Safe to call more than once.
    public func abandon() {
        if let handle {
            GDALClose(handle)
            self.handle = nil
        }
        AtomicFile.removeQuietly(stagingPath)
    }
}

/// Publishes open GDAL datasets as Cloud-Optimised GeoTIFF or NetCDF-CF under a final name via
/// a temporary file and a rename (used by `RasterWriter` and the alignment tools).
enum RasterPublisher {
    /// `GDALTranslate` arguments for the COG: deflate without a predictor, internal tiles, overviews. The floating-point
    /// predictor (PREDICTOR=YES, TIFF predictor 3) was dropped after measuring it on the demo's maps (β, its SE, SOCD,
    /// area, DI, AOA; 4320 × 2160 Float32): it doubled the CPU time of the COG (0.7–0.9 s against 0.4 s each at level 6)
    /// and made every file larger (by 3–66 %), so it bought nothing for these fields (BENCHMARKS.md).
    static func cogArguments(_ options: RasterOutputOptions) -> [String] {
        var arguments = ["-of", "COG",
                         "-co", "COMPRESS=DEFLATE", "-co", "LEVEL=\(options.deflateLevel)", "-co", "PREDICTOR=NO",
                         "-co", "BLOCKSIZE=\(options.blockSize)", "-co", "OVERVIEWS=AUTO",
                         "-co", "OVERVIEW_RESAMPLING=\(options.overviewResampling)", "-co", "BIGTIFF=IF_SAFER",
                         "-co", "NUM_THREADS=\(max(1, options.compressionThreads))"]
        if let noData = options.noDataValue {
            arguments += ["-a_nodata", noData.isNaN ? "nan" : formatNoData(noData)]
        }
        return arguments
    }

    static func formatNoData(_ value: Double) -> String {
        String(format: "%.17g", value)
    }

    /// Translates `source` to `path` with `arguments`, through a hidden temporary file.
    static func translate(_ source: GDALDatasetH, to path: String, arguments: [String], tag: String) throws {
        let temporary = AtomicFile.temporaryPath(besides: path, tag: tag)
        let translateOptions = try GDALEnvironment.utilityOptions(arguments, for: path) { GDALTranslateOptionsNew($0, nil) }
        defer { GDALTranslateOptionsFree(translateOptions) }
        var usageError: Int32 = 0
        guard let output = GDALTranslate(temporary, source, translateOptions, &usageError) else {
            let reason = GDALEnvironment.lastErrorMessage()
            AtomicFile.removeQuietly(temporary)
            throw RasterError.writeFailed(path: path, reason: reason)
        }
        GDALClose(output)
        if CPLGetLastErrorType() == CE_Failure || CPLGetLastErrorType() == CE_Fatal {
            let reason = GDALEnvironment.lastErrorMessage()
            AtomicFile.removeQuietly(temporary)
            throw RasterError.writeFailed(path: path, reason: reason)
        }
        unlink(temporary + ".aux.xml")
        try AtomicFile.publish(temporary, as: path)
    }

    /// Writes `source` as a COG at `path` (atomically).
    static func publishCOG(from source: GDALDatasetH, to path: String, options: RasterOutputOptions) throws {
        guard GDALEnvironment.hasDriver("COG") else {
            throw RasterError.writeFailed(path: path, reason: "the GDAL build has no COG driver (GDAL ≥ 3.1 needed)")
        }
        try translate(source, to: path, arguments: cogArguments(options), tag: "partial")
    }

    /// Writes `source` as NetCDF-4 (CF conventions as GDAL's netCDF driver writes them: lat/lon
    /// coordinate variables, grid mapping, `_FillValue`, `units`, `long_name` from the band
    /// description), deflate-compressed, at `path` (atomically).
    static func publishNetCDF(from source: GDALDatasetH, to path: String, options: RasterOutputOptions) throws {
        guard GDALEnvironment.hasDriver("netCDF") else {
            throw RasterError.writeFailed(path: path, reason: "the GDAL build has no netCDF driver; omit the NetCDF output")
        }
        try AtomicFile.requireWritableFolder(for: path)
        var arguments = ["-of", "netCDF", "-co", "FORMAT=NC4", "-co", "COMPRESS=DEFLATE",
                         "-co", "ZLEVEL=\(options.deflateLevel)"]
        if let noData = options.noDataValue {
            arguments += ["-a_nodata", noData.isNaN ? "nan" : formatNoData(noData)]
        }
        try NetCDFAccess.exclusive { try translate(source, to: path, arguments: arguments, tag: "partial") }
    }
}
