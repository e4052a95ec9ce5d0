import CGDAL
import Foundation
@testable import Rasters

/// A fresh temporary folder, removed when the value is released.
final class TemporaryFolder {
    let path: String

    init() throws {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("soilbeta-rasters-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        path = url.path
    }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// Names of the files in the folder (including hidden ones), sorted.
    func listing() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: path).sorted() }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Writes a plain GeoTIFF straight through the GDAL C API (independent of `RasterWriter`):
/// `values` row-major, north row first, stored as Float64 unless `type` says otherwise.
func makeGeoTIFF(_ path: String, west: Double, north: Double, cellWidth: Double, cellHeight: Double,
                 columns: Int, rows: Int, values: [Double], type: GDALDataType = GDT_Float64,
                 noData: Double? = nil, crs: String = "EPSG:4326") {
    GDALEnvironment.ensureRegistered()
    precondition(values.count == columns * rows)
    let driver = GDALGetDriverByName("GTiff")
    let dataset = GDALCreate(driver, path, Int32(columns), Int32(rows), 1, type, nil)!
    var transform = [west, cellWidth, 0, north, 0, -cellHeight]
    GDALSetGeoTransform(dataset, &transform)
    let reference = OSRNewSpatialReference(nil)!
    OSRSetFromUserInput(reference, crs)
    var wkt: UnsafeMutablePointer<CChar>? = nil
    OSRExportToWkt(reference, &wkt)
    GDALSetProjection(dataset, wkt)
    VSIFree(wkt)
    OSRDestroySpatialReference(reference)
    let band = GDALGetRasterBand(dataset, 1)
    if let noData { GDALSetRasterNoDataValue(band, noData) }
    var buffer = values
    _ = GDALRasterIO(band, GF_Write, 0, 0, Int32(columns), Int32(rows), &buffer, Int32(columns), Int32(rows), GDT_Float64, 0, 0)
    GDALClose(dataset)
}

/// Reads band 1 of a raster straight through the GDAL C API, as Float64, row-major.
func readAllDirectly(_ path: String) -> (columns: Int, rows: Int, values: [Double], transform: [Double]) {
    GDALEnvironment.ensureRegistered()
    let dataset = GDALOpen(path, GA_ReadOnly)!
    defer { GDALClose(dataset) }
    let columns = Int(GDALGetRasterXSize(dataset)), rows = Int(GDALGetRasterYSize(dataset))
    var values = [Double](repeating: 0, count: columns * rows)
    _ = GDALRasterIO(GDALGetRasterBand(dataset, 1), GF_Read, 0, 0, Int32(columns), Int32(rows), &values,
                     Int32(columns), Int32(rows), GDT_Float64, 0, 0)
    var transform = [Double](repeating: 0, count: 6)
    GDALGetGeoTransform(dataset, &transform)
    return (columns, rows, values, transform)
}

/// Runs a program found on the PATH; returns nil when it is not installed.
func runTool(_ name: String, _ arguments: [String]) -> (status: Int32, output: String)? {
    let searchPath = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    guard let executable = searchPath.split(separator: ":").map({ "\($0)/\(name)" })
        .first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return nil }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    do { try process.run() } catch { return nil }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
