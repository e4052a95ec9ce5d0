import DemoData
import Foundation
import Mapping
import RunModel
import Rasters

/// A fresh temporary folder for one test.
func temporaryFolder(_ tag: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("soilbeta-map-\(tag)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Writes a single-band Float32 raster (NaN nodata) of `values` (row-major) on `grid`.
func writeRaster(_ path: String, grid: RasterGrid, values: [Float]) throws {
    let writer = try RasterWriter(path: path, grid: grid, options: RasterOutputOptions(dataType: .float32))
    try writer.writeRows(firstRow: 0, rowCount: grid.rows, from: values)
    try writer.finish()
}

/// All cells of band 1 as Float32 (read through GDAL).
func readAll(_ path: String) throws -> [Float] {
    let raster = try Raster(path: path)
    var values: [Float] = []
    try raster.readRows(firstRow: 0, rowCount: raster.grid.rows, into: &values)
    return values
}

/// Bit patterns of a raster's cells (so NaN == NaN and −0 ≠ +0): "identical values".
func bits(_ path: String) throws -> [UInt32] { try readAll(path).map(\.bitPattern) }

/// Runs an external tool; nil when it is not on PATH.
func runTool(_ name: String, _ arguments: [String]) -> (status: Int32, output: String)? {
    let searchPath = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    guard let executable = searchPath.split(separator: ":").map({ "\($0)/\(name)" })
        .first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return nil }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { return nil }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// stocks.csv as records (a small independent reader: plain comma-separated numbers and names).
func readStocks(_ path: String) throws -> [[String: String]] {
    let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    return lines.dropFirst().map { line in
        Dictionary(uniqueKeysWithValues: zip(header, line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)))
    }
}

/// Synthetic inputs on a coarse global grid, with models of few trees (fast tests).
func syntheticInputs(_ tag: String, resolution: Double = 2, tileRows: Int = 8) throws -> (folder: String, config: MapPlan) {
    let folder = try temporaryFolder(tag)
    let grid = try RasterGrid.covering(.global, resolution: resolution)
    let written = try SyntheticMapInputs.write(folder: folder, grid: grid, trainingRows: 120, modelTrees: 12,
                                               modelSeed: 7, threads: 2, missingEvery: 37, tileRows: tileRows)
    return (folder, try MapPlan(configuration: RunConfiguration.load(path: written.configPath)))
}
