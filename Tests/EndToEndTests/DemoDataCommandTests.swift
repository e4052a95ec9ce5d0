import Foundation
import Rasters
import Testing

/// `soilbeta demo-data` run as a process on tiny stand-in inputs (a 1° "MODIS" IGBP raster and a
/// 0.5° "Köppen–Geiger" raster written here): success, and clear failures with no output left.
@Suite struct DemoDataCommandTests {
    /// Writes a global Byte raster of `cellDeg` cells whose value is `classify(lon, lat)`.
    static func writeClasses(_ path: String, cellDeg: Double, noData: Double, _ classify: (Double, Double) -> UInt8) throws {
        let grid = try RasterGrid.covering(.global, resolution: cellDeg)
        let writer = try RasterWriter(path: path, grid: grid, options: RasterOutputOptions(
            dataType: .byte, noDataValue: noData, overviewResampling: "NEAREST", deflateLevel: 1))
        var values = [UInt8](repeating: 0, count: grid.cellCount)
        for row in 0..<grid.rows {
            for column in 0..<grid.columns {
                let centre = grid.cellCenter(column: column, row: row)
                values[row * grid.columns + column] = classify(centre.x, centre.y)
            }
        }
        try writer.writeRows(firstRow: 0, rowCount: grid.rows, from: values)
        try writer.finish()
    }

    /// Stand-in "MODIS" (1°, IGBP classes cycling forest/grass/crop every 10° of longitude) and
    /// "Köppen–Geiger" (0.5°, zones by latitude) rasters: land between 60° S and 70° N west of 150° E.
    static func writeStandInInputs(in folder: URL) throws -> (modis: String, koppen: String) {
        let modis = folder.appendingPathComponent("modis.tif").path
        let koppen = folder.appendingPathComponent("kg.tif").path
        let isLand: (Double, Double) -> Bool = { lon, lat in lat > -60 && lat < 70 && lon < 150 }
        try writeClasses(modis, cellDeg: 1, noData: 255) { lon, lat in
            guard isLand(lon, lat) else { return 0 }
            return [2, 10, 12][Int(lon + 180) / 10 % 3]
        }
        try writeClasses(koppen, cellDeg: 0.5, noData: 0) { lon, lat in
            guard isLand(lon, lat) else { return 0 }
            return abs(lat) < 20 ? 1 : abs(lat) < 40 ? 3 : 4
        }
        return (modis, koppen)
    }

    @Test func demoDataBuildsTheSetAndFailsClearly() throws {
        let folder = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (modis, koppen) = try Self.writeStandInInputs(in: folder)
        let out = folder.appendingPathComponent("demo").path
        let arguments = ["demo-data", "--modis", modis, "--koppen", koppen, "--out", out, "--grid", "2", "--profiles", "50"]
        let ok = try CLI.run(arguments)
        #expect(ok.status == 0, "stderr: \(ok.stderr)")
        #expect(ok.stderr.contains("profiles: cropland 31, grassland 10, forestland 9"))
        for file in ["land.tif", "sites.csv", "horizons.csv", "area/CL_area.tif", "covariates/mbc_mbn.tif",
                     "truth/FL_beta_true.tif", "truth/sites_beta.csv"] {
            #expect(FileManager.default.fileExists(atPath: "\(out)/\(file)"), "missing \(file)")
        }
        let sites = try readSimpleCSV("\(out)/sites.csv")
        #expect(sites.count == 50)

        // Existing output: refused, named, untouched; --overwrite replaces it.
        let again = try CLI.run(arguments)
        #expect(again.status != 0)
        #expect(again.stderr.contains(out) && again.stderr.contains("--overwrite"))
        let replaced = try CLI.run(arguments + ["--overwrite", "--seed", "9"])
        #expect(replaced.status == 0, "stderr: \(replaced.stderr)")

        // Missing input: non-zero exit, the file named, no output folder.
        let missing = folder.appendingPathComponent("absent.tif").path
        let other = folder.appendingPathComponent("other").path
        let failed = try CLI.run(["demo-data", "--modis", missing, "--koppen", koppen, "--out", other, "--grid", "2"])
        #expect(failed.status != 0)
        #expect(failed.stderr.contains(missing))
        #expect(!FileManager.default.fileExists(atPath: other))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".") }.isEmpty)
    }
}
