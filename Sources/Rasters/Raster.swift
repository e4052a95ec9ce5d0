import CGDAL
import Foundation

/// A pixel type soilbeta reads or writes, tied to its GDAL data type.
public protocol RasterElement: Sendable {
    /// The matching GDAL data type.
    static var gdalType: GDALDataType { get }
}
extension Float: RasterElement { public static var gdalType: GDALDataType { GDT_Float32 } }
extension Double: RasterElement { public static var gdalType: GDALDataType { GDT_Float64 } }
extension Int32: RasterElement { public static var gdalType: GDALDataType { GDT_Int32 } }
extension Int16: RasterElement { public static var gdalType: GDALDataType { GDT_Int16 } }
extension UInt16: RasterElement { public static var gdalType: GDALDataType { GDT_UInt16 } }
extension UInt8: RasterElement { public static var gdalType: GDALDataType { GDT_Byte } }

/// Storage types of output rasters.
public enum RasterDataType: String, Sendable, CaseIterable {
    case byte = "Byte", int16 = "Int16", uint16 = "UInt16", int32 = "Int32", float32 = "Float32", float64 = "Float64"

    /// The GDAL data type.
    public var gdalType: GDALDataType {
        switch self {
        case .byte: return GDT_Byte
        case .int16: return GDT_Int16
        case .uint16: return GDT_UInt16
        case .int32: return GDT_Int32
        case .float32: return GDT_Float32
        case .float64: return GDT_Float64
        }
    }

    /// The type of a GDAL data type, or nil for types soilbeta does not write (complex, 64-bit ints).
    public init?(gdalType: GDALDataType) {
        guard let match = Self.allCases.first(where: { $0.gdalType == gdalType }) else { return nil }
        self = match
    }

    /// Whether values are floating point (NaN is a possible nodata value).
    public var isFloatingPoint: Bool { self == .float32 || self == .float64 }
}

/// A raster file opened read-only through GDAL (any format GDAL reads: GeoTIFF/COG, NetCDF,
/// VRT, …). Gives its grid, bands, nodata values and metadata, and reads row windows into
/// contiguous buffers. Not thread-safe (GDAL datasets are not): open one per thread.
public final class Raster {
    /// The path it was opened from.
    public let path: String
    /// The north-up grid of the raster.
    public let grid: RasterGrid
    /// Number of bands (≥ 1).
    public let bandCount: Int
    let handle: GDALDatasetH
    /// Read by GDAL's netCDF driver: its calls pass through `NetCDFAccess`.
    let isNetCDF: Bool

    /// Opens `path` read-only. Throws `RasterError.cannotOpen` with GDAL's reason, or
    /// `unsupportedLayout` for rasters without bands or that are rotated or south-up.
    public init(path: String) throws {
        GDALEnvironment.ensureRegistered()
        GDALEnvironment.resetError()
        guard FileManager.default.fileExists(atPath: path) || path.hasPrefix("/vsi") || path.contains(":") else {
            throw RasterError.cannotOpen(path: path, reason: "no such file")
        }
        let flags = UInt32(GDAL_OF_RASTER) | UInt32(GDAL_OF_READONLY) | UInt32(GDAL_OF_VERBOSE_ERROR)
        // A netCDF file is opened and inspected with the libnetcdf gate held (NetCDFAccess).
        let netCDF = NetCDFAccess.isNetCDF(path)
        if netCDF { NetCDFAccess.gate.wait() }
        defer { if netCDF { NetCDFAccess.gate.signal() } }
        guard let handle = GDALOpenEx(path, flags, nil, nil, nil) else {
            throw RasterError.cannotOpen(path: path, reason: GDALEnvironment.lastErrorMessage(or: "not a raster GDAL can read"))
        }
        let bands = Int(GDALGetRasterCount(handle))
        guard bands > 0 else {
            GDALClose(handle)
            throw RasterError.unsupportedLayout(path: path, reason: "the file has no raster bands")
        }
        var transform = [Double](repeating: 0, count: 6)
        if GDALGetGeoTransform(handle, &transform) != CE_None {
            GDALClose(handle)
            throw RasterError.unsupportedLayout(path: path, reason: "the raster has no georeferencing (geotransform)")
        }
        let wkt = GDALGetProjectionRef(handle).map { String(cString: $0) } ?? ""
        do {
            grid = try RasterGrid(geoTransform: transform, columns: Int(GDALGetRasterXSize(handle)),
                                  rows: Int(GDALGetRasterYSize(handle)), crs: SpatialReference(wkt: wkt), path: path)
        } catch {
            GDALClose(handle)
            throw error
        }
        self.path = path
        self.handle = handle
        self.bandCount = bands
        self.isNetCDF = netCDF
    }

    deinit {
        let handle = handle
        NetCDFAccess.exclusive(isNetCDF) { GDALClose(handle) }
    }

    /// The GDAL driver that read the file (`"GTiff"`, `"netCDF"`, …).
    public var driverName: String {
        guard let driver = GDALGetDatasetDriver(handle), let name = GDALGetDriverShortName(driver) else { return "" }
        return String(cString: name)
    }

    func bandHandle(_ band: Int) throws -> GDALRasterBandH {
        guard band >= 1, band <= bandCount, let bandHandle = GDALGetRasterBand(handle, Int32(band)) else {
            throw RasterError.readFailed(path: path, reason: "band \(band) does not exist (the raster has \(bandCount))")
        }
        return bandHandle
    }

    /// The nodata value of a band (1-based), or nil when none is set.
    public func noDataValue(band: Int = 1) throws -> Double? {
        var hasNoData: Int32 = 0
        let value = GDALGetRasterNoDataValue(try bandHandle(band), &hasNoData)
        return hasNoData != 0 ? value : nil
    }

    /// The storage type of a band, or nil for types soilbeta does not handle.
    public func dataType(band: Int = 1) throws -> RasterDataType? {
        RasterDataType(gdalType: GDALGetRasterDataType(try bandHandle(band)))
    }

    /// The band description (e.g. the variable name), or "".
    public func bandDescription(band: Int = 1) throws -> String {
        GDALGetDescription(try bandHandle(band)).map { String(cString: $0) } ?? ""
    }

    /// The band's unit (e.g. `"Mg ha-1"`), or "".
    public func unit(band: Int = 1) throws -> String {
        GDALGetRasterUnitType(try bandHandle(band)).map { String(cString: $0) } ?? ""
    }

    /// Number of overview levels of a band.
    public func overviewCount(band: Int = 1) throws -> Int {
        Int(GDALGetOverviewCount(try bandHandle(band)))
    }

    /// A dataset metadata item (`domain` nil = default domain; `"IMAGE_STRUCTURE"` holds
    /// `COMPRESSION` and, for Cloud-Optimised GeoTIFFs, `LAYOUT=COG`).
    public func metadataItem(_ name: String, domain: String? = nil) -> String? {
        GDALGetMetadataItem(handle, name, domain).map { String(cString: $0) }
    }

    /// A band metadata item.
    public func bandMetadataItem(_ name: String, band: Int = 1, domain: String? = nil) throws -> String? {
        GDALGetMetadataItem(try bandHandle(band), name, domain).map { String(cString: $0) }
    }

    /// The internal block (tile) size of a band, in cells.
    public func blockSize(band: Int = 1) throws -> (columns: Int, rows: Int) {
        var columns: Int32 = 0, rows: Int32 = 0
        GDALGetBlockSize(try bandHandle(band), &columns, &rows)
        return (Int(columns), Int(rows))
    }

    /// Reads the window of `columnCount × rowCount` cells whose top-left cell is (column, row)
    /// of `band` into `buffer` (row-major, converted to `T` by GDAL). The buffer must hold
    /// exactly `columnCount × rowCount` elements. Nodata cells keep the nodata value.
    public func readWindow<T: RasterElement>(band: Int = 1, column: Int, row: Int, columnCount: Int, rowCount: Int,
                                             into buffer: UnsafeMutableBufferPointer<T>) throws {
        let bandHandle = try bandHandle(band)
        guard column >= 0, row >= 0, columnCount > 0, rowCount > 0,
              column + columnCount <= grid.columns, row + rowCount <= grid.rows else {
            throw RasterError.readFailed(path: path,
                reason: "window at column \(column), row \(row) of \(columnCount)×\(rowCount) cells is outside the \(grid.columns)×\(grid.rows) raster")
        }
        guard buffer.count == columnCount * rowCount, let base = buffer.baseAddress else {
            throw RasterError.readFailed(path: path, reason: "buffer holds \(buffer.count) values, the window \(columnCount * rowCount)")
        }
        GDALEnvironment.resetError()
        let status = NetCDFAccess.exclusive(isNetCDF) {
            GDALRasterIO(bandHandle, GF_Read, Int32(column), Int32(row), Int32(columnCount), Int32(rowCount),
                         base, Int32(columnCount), Int32(rowCount), T.gdalType, 0, 0)
        }
        guard status == CE_None else {
            throw RasterError.readFailed(path: path,
                reason: "rows \(row)..<\(row + rowCount) of band \(band): \(GDALEnvironment.lastErrorMessage())")
        }
    }

    /// Reads `rowCount` full rows starting at `firstRow` into `buffer`, which is resized to
    /// `rowCount × grid.columns` (reusing its storage when large enough). Inlinable, so the resizing is
    /// specialised for the element type in the caller (a generic element-by-element append of millions of
    /// cells was measured at ~40 % of the map page's time).
    @inlinable
    public func readRows<T: RasterElement & Numeric>(band: Int = 1, firstRow: Int, rowCount: Int, into buffer: inout [T]) throws {
        let count = rowCount * grid.columns
        if buffer.count > count {
            buffer.removeLast(buffer.count - count)
        } else if buffer.count < count {
            buffer.append(contentsOf: repeatElement(T.zero, count: count - buffer.count))
        }
        try buffer.withUnsafeMutableBufferPointer { pointer in
            try readWindow(band: band, column: 0, row: firstRow, columnCount: grid.columns, rowCount: rowCount, into: pointer)
        }
    }

    /// Reads `rowCount` full rows starting at `firstRow` as `Double`s.
    public func readRows(band: Int = 1, firstRow: Int, rowCount: Int) throws -> [Double] {
        var buffer: [Double] = []
        try readRows(band: band, firstRow: firstRow, rowCount: rowCount, into: &buffer)
        return buffer
    }

    /// The value of one cell as a `Double`, or nil when it is nodata or NaN.
    public func value(band: Int = 1, column: Int, row: Int) throws -> Double? {
        var cell = [0.0]
        try cell.withUnsafeMutableBufferPointer { pointer in
            try readWindow(band: band, column: column, row: row, columnCount: 1, rowCount: 1, into: pointer)
        }
        let noData = try noDataValue(band: band)
        return RasterNoData.isMissing(cell[0], noData: noData) ? nil : cell[0]
    }
}

/// The nodata rule used everywhere: a value is missing when it is NaN, or equal to the band's
/// nodata value — or to that value rounded to Float32 when it is not exactly representable in
/// single precision (a Float32 band stores the rounded value, e.g. for −3.4e38).
public enum RasterNoData {
    /// Whether `value` is missing for a band with nodata `noData`.
    @inlinable
    public static func isMissing(_ value: Double, noData: Double?) -> Bool {
        if value.isNaN { return true }
        guard let noData else { return false }
        if noData.isNaN { return false }
        if value == noData { return true }
        let singlePrecisionNoData = Double(Float(noData))
        return singlePrecisionNoData != noData && value == singlePrecisionNoData
    }
}
