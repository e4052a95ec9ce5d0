import Essentials
import CGDAL
import Foundation
import Testing
import Rasters
import SoilProfiles
@testable import soilbeta

/// `soilbeta prepare` and `soilbeta extract` driven through their argument parsers, on small
/// rasters made with the GDAL C API in a temporary folder.
@Suite struct RastersCommandsTests {
    final class Folder {
        let path: String
        init() throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("soilbeta-cli-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
        func listing() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: path).sorted() }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    /// A 4 × 2 GeoTIFF of 1° cells over 0…4 E × 40…42 N (EPSG:4326), Float32, nodata −9999.
    static func makeRaster(_ path: String, values: [Double]) {
        GDALAllRegister()
        let dataset = GDALCreate(GDALGetDriverByName("GTiff"), path, 4, 2, 1, GDT_Float32, nil)!
        var transform = [0.0, 1, 0, 42, 0, -1]
        GDALSetGeoTransform(dataset, &transform)
        GDALSetProjection(dataset, SpatialReference.wgs84.wkt)
        let band = GDALGetRasterBand(dataset, 1)
        GDALSetRasterNoDataValue(band, -9999)
        var buffer = values
        _ = GDALRasterIO(band, GF_Write, 0, 0, 4, 2, &buffer, 4, 2, GDT_Float64, 0, 0)
        GDALClose(dataset)
    }

    @Test func prepareWarpsToTheGridAndRefusesBadArguments() throws {
        let folder = try Folder()
        let source = folder.file("mat.tif")
        Self.makeRaster(source, values: [1, 2, 3, 4, 5, -9999, 7, 8])
        let out = folder.file("mat_aligned.tif")
        let command = try PrepareCommand.parse(["--grid", "0.5", "--extent", "0,40,4,42", "--in", source, "--out", out,
                                                "--resampling", "nearest", "--description", "mat", "--unit", "degC"])
        try command.run()
        let raster = try Raster(path: out)
        #expect(raster.grid.columns == 8 && raster.grid.rows == 4)
        #expect(try raster.bandDescription() == "mat" && raster.unit() == "degC")
        #expect(try raster.readRows(firstRow: 0, rowCount: 1) == [1, 1, 2, 2, 3, 3, 4, 4])
        #expect(try raster.value(column: 2, row: 3) == nil)   // source nodata stays nodata

        for bad in [["--resampling", "bogus"], [], ["--resampling", "bilinear", "--class-fraction", "a=1"]] {
            let failing = try PrepareCommand.parse(["--grid", "0.5", "--in", source, "--out", folder.file("x.tif")] + bad)
            #expect(throws: (any Error).self) { try failing.run() }
        }
        #expect(try folder.listing() == ["mat.tif", "mat_aligned.tif"])
    }

    @Test func prepareWritesOneFractionFilePerClassSet() throws {
        let folder = try Folder()
        let source = folder.file("lc.tif")
        Self.makeRaster(source, values: [12, 12, 1, 1, 14, 3, 0, -9999])
        let command = try PrepareCommand.parse(["--grid", "2", "--extent", "0,40,4,42", "--in", source,
                                                "--out", folder.file("lc_{name}.tif"),
                                                "--class-fraction", "cropland=12,14", "--class-fraction", "forest=1-5"])
        try command.run()
        #expect(try folder.listing() == ["lc.tif", "lc_cropland.tif", "lc_forest.tif"])
        let cropland = try Raster(path: folder.file("lc_cropland.tif")).readRows(firstRow: 0, rowCount: 1)
        let forest = try Raster(path: folder.file("lc_forest.tif")).readRows(firstRow: 0, rowCount: 1)
        // Left 2° cell: classes 12,12 (north row) and 14,3 (south row); the south row is larger on the
        // ellipsoid (area ratio ≈ cos 40.5° / cos 41.5° = 1.0152), so cropland = (1 + 0.5076)/2.0152 ≈ 0.7481 < 3/4.
        #expect(cropland[0] > 0.747 && cropland[0] < 0.749)
        #expect(abs(cropland[0] + forest[0] - 1) < 1e-6)
        // Right cell: 1,1 north, 0 and nodata south: forest = north row area / (north + half the south row).
        #expect(cropland[1] == 0 && forest[1] > 0.66 && forest[1] < 0.67)
    }

    @Test func extractFillsMissingFieldsAndCountsTheRest() throws {
        let folder = try Folder()
        let raster = folder.file("mat.tif")
        Self.makeRaster(raster, values: [1.5, 2, 3, 4, 5, -9999, 7, 8])
        let sites = folder.file("sites.csv")
        try "id,lon,lat,mat\na,0.5,41.5,\nb,1.5,40.5,NA\nc,2.5,40.5,99\nd,50,10,\n".write(toFile: sites, atomically: true, encoding: .utf8)
        let out = folder.file("out.csv")
        let command = try ExtractCommand.parse(["--sites", sites, "--raster", "mat=\(raster)", "--raster", "mat2=\(raster)", "--out", out])
        try command.run()
        let table = try String(contentsOfFile: out, encoding: .utf8)
        #expect(table == "id,lon,lat,mat,mat2\na,0.5,41.5,1.5,1.5\nb,1.5,40.5,NA,\nc,2.5,40.5,99,7.0\nd,50,10,,\n")

        let overwrite = try ExtractCommand.parse(["--sites", sites, "--raster", "mat=\(raster)", "--out", out, "--overwrite"])
        try overwrite.run()
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "id,lon,lat,mat\na,0.5,41.5,1.5\nb,1.5,40.5,NA\nc,2.5,40.5,7.0\nd,50,10,\n")

        // A bad latitude names file, line and field, and leaves no output.
        let bad = folder.file("bad.csv")
        try "id,lon,lat\na,0.5,95\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let failing = try ExtractCommand.parse(["--sites", bad, "--raster", "mat=\(raster)", "--out", folder.file("none.csv")])
        #expect(throws: FileError(file: bad, line: 2, field: "lat", message: "latitude 95.0 is outside −90…90")) { try failing.run() }
        let missing = try ExtractCommand.parse(["--sites", sites, "--raster", "mat=\(folder.file("no.tif"))", "--out", folder.file("none.csv")])
        #expect(throws: RasterError.self) { try missing.run() }
        #expect(!FileManager.default.fileExists(atPath: folder.file("none.csv")))
    }
}
