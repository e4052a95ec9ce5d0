import Essentials
import CGDAL
import Foundation

/// Resampling methods of `soilbeta prepare` (GDAL warp `-r`), METHOD.md §8: bilinear for
/// continuous covariates, mode (or nearest) for classes, average for fractions and aggregation.
public enum Resampling: String, Sendable, CaseIterable {
    case nearest, bilinear, cubic, average, mode, min, max, median

    /// GDAL's name for the method.
    public var gdalName: String {
        switch self {
        case .nearest: return "near"
        case .median: return "med"
        default: return rawValue
        }
    }

    /// Whether the method produces values between the inputs (so integer inputs are written as Float32).
    public var interpolates: Bool {
        self == .bilinear || self == .cubic || self == .average
    }
}

/// What `RasterAlignment.align` did.
public struct AlignmentSummary: Sendable {
    /// The output file.
    public let outputPath: String
    /// The target grid written.
    public let grid: RasterGrid
    /// Storage type of the output.
    public let dataType: RasterDataType
    /// Nodata value of the output (nil = none).
    public let noDataValue: Double?
}

/// Warps any GDAL raster onto a target grid with GDAL's warper (`soilbeta prepare`, issue 4
/// item 2, METHOD.md §8) — the step the paper did with R `raster::resample`/`projectRaster`.
/// The result is a COG on exactly the target grid (extent, cell size, CRS), published
/// atomically: a staging GeoTIFF is warped, described and translated to a COG under a hidden
/// name, then renamed.
public enum RasterAlignment {
    /// Warps all bands of `sourcePath` onto `grid` with `resampling`.
    ///
    /// - Output type: `dataType` when given; otherwise Float32 for interpolating methods
    ///   (bilinear, cubic, average) and the source's type for the others.
    /// - Nodata: `noDataValue` when given; otherwise the source's nodata value, else NaN for
    ///   floating-point outputs (cells outside the source are nodata).
    /// - `output` supplies band descriptions, units, metadata and COG settings (its `dataType`
    ///   and `noDataValue` are replaced as above).
    public static func align(sourcePath: String, onto grid: RasterGrid, outputPath: String, resampling: Resampling,
                             dataType: RasterDataType? = nil, noDataValue: Double? = nil,
                             output: RasterOutputOptions = RasterOutputOptions()) throws -> AlignmentSummary {
        let source = try Raster(path: sourcePath)
        guard !source.grid.crs.wkt.isEmpty else {
            throw RasterError.unsupportedLayout(path: sourcePath,
                reason: "the raster has no CRS; assign one first (e.g. gdal_edit.py -a_srs EPSG:4326 \(sourcePath))")
        }
        guard let sourceType = try source.dataType(band: 1) else {
            throw RasterError.unsupportedLayout(path: sourcePath, reason: "unsupported pixel type (complex or 64-bit integer)")
        }
        let outputType = dataType ?? (resampling.interpolates && !sourceType.isFloatingPoint ? .float32 : sourceType)
        let sourceNoData = try source.noDataValue(band: 1)
        let outputNoData: Double? = noDataValue ?? sourceNoData ?? (outputType.isFloatingPoint ? Double.nan : nil)
        try AtomicFile.requireWritableFolder(for: outputPath)

        var options = output
        options.dataType = outputType
        options.noDataValue = outputNoData
        let staging = AtomicFile.temporaryPath(besides: outputPath, tag: "staging")
        defer { AtomicFile.removeQuietly(staging) }

        var arguments = ["-of", "GTiff", "-overwrite",
                         "-t_srs", grid.crs.wkt,
                         "-te", formatExact(grid.west), formatExact(grid.south), formatExact(grid.east), formatExact(grid.north),
                         "-ts", String(grid.columns), String(grid.rows),
                         "-r", resampling.gdalName,
                         "-ot", outputType.rawValue,
                         "-co", "TILED=YES", "-co", "COMPRESS=DEFLATE", "-co", "ZLEVEL=1", "-co", "BIGTIFF=IF_SAFER",
                         "-wm", "256", "-multi", "-wo", "NUM_THREADS=2"]
        if let outputNoData {
            arguments += ["-dstnodata", outputNoData.isNaN ? "nan" : RasterPublisher.formatNoData(outputNoData)]
        }
        let warpOptions = try GDALEnvironment.utilityOptions(arguments, for: outputPath) { GDALWarpAppOptionsNew($0, nil) }
        defer { GDALWarpAppOptionsFree(warpOptions) }
        var sources: [GDALDatasetH?] = [source.handle]
        var usageError: Int32 = 0
        guard let warped = GDALWarp(staging, nil, 1, &sources, warpOptions, &usageError) else {
            throw RasterError.writeFailed(path: outputPath, reason: "warping \(sourcePath) failed: \(GDALEnvironment.lastErrorMessage())")
        }
        defer { GDALClose(warped) }
        for (key, value) in options.metadata.sorted(by: { $0.key < $1.key }) {
            GDALSetMetadataItem(warped, key, value, nil)
        }
        GDALSetMetadataItem(warped, "SOILBETA_SOURCE", (sourcePath as NSString).lastPathComponent, nil)
        GDALSetMetadataItem(warped, "SOILBETA_RESAMPLING", resampling.rawValue, nil)
        for band in 1...Int(GDALGetRasterCount(warped)) {
            guard let bandHandle = GDALGetRasterBand(warped, Int32(band)) else { continue }
            if band <= options.bandDescriptions.count {
                GDALSetDescription(bandHandle, options.bandDescriptions[band - 1])
            }
            if band <= options.bandUnits.count {
                GDALSetRasterUnitType(bandHandle, options.bandUnits[band - 1])
            }
        }
        GDALFlushCache(warped)
        if options.overviewResampling == "AVERAGE" && !resampling.interpolates {
            options.overviewResampling = "NEAREST"   // classes: overviews must not invent values
        }
        try RasterPublisher.publishCOG(from: warped, to: outputPath, options: options)
        if let netCDFPath = options.netCDFPath {
            try RasterPublisher.publishNetCDF(from: warped, to: netCDFPath, options: options)
        }
        return AlignmentSummary(outputPath: outputPath, grid: grid, dataType: outputType, noDataValue: outputNoData)
    }

    /// A coordinate with all 17 significant digits, so the warped grid is exactly the target grid.
    static func formatExact(_ value: Double) -> String {
        String(format: "%.17g", value)
    }
}
