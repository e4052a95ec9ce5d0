import Essentials
import CGDAL
import Foundation
import Testing
@testable import Rasters

@Suite struct RasterIOTests {
    @Test func readsGridNodataAndRowWindowsOfAGeoTIFF() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("input.tif")
        let values: [Double] = (0..<12).map { Double($0) }
        makeGeoTIFF(path, west: 10, north: 50, cellWidth: 0.5, cellHeight: 0.25, columns: 4, rows: 3,
                    values: values.enumerated().map { $0.offset == 5 ? -9999 : $0.element }, noData: -9999)
        let raster = try Raster(path: path)
        #expect(raster.grid.columns == 4 && raster.grid.rows == 3)
        #expect(raster.grid.geoTransform == [10, 0.5, 0, 50, 0, -0.25])
        #expect(raster.grid.crs.isSame(as: .wgs84))
        #expect(try raster.noDataValue() == -9999)
        #expect(raster.driverName == "GTiff")
        var rows: [Float] = []
        try raster.readRows(firstRow: 1, rowCount: 2, into: &rows)
        #expect(rows == [4, -9999, 6, 7, 8, 9, 10, 11])
        #expect(try raster.value(column: 1, row: 1) == nil)       // nodata
        #expect(try raster.value(column: 3, row: 2) == 11)
        #expect(throws: RasterError.self) { try raster.readRows(firstRow: 2, rowCount: 2, into: &rows) }
        #expect(throws: RasterError.self) { try raster.noDataValue(band: 2) }
    }

    @Test func openingErrorsNameTheFile() throws {
        let folder = try TemporaryFolder()
        let missing = folder.file("missing.tif")
        #expect(throws: RasterError.cannotOpen(path: missing, reason: "no such file")) { try Raster(path: missing) }
        let text = folder.file("notes.tif")
        try "not a raster".write(toFile: text, atomically: true, encoding: .utf8)
        do {
            _ = try Raster(path: text)
            Issue.record("a text file must not open")
        } catch let error as RasterError {
            #expect(error.description.hasPrefix(text))
        }
    }

    @Test func nodataRule() {
        #expect(RasterNoData.isMissing(.nan, noData: nil))
        #expect(RasterNoData.isMissing(-9999, noData: -9999))
        #expect(!RasterNoData.isMissing(0, noData: nil))
        #expect(!RasterNoData.isMissing(1e-50, noData: 0))
        // A Float32 band stores −3.4e38 rounded to single precision.
        #expect(RasterNoData.isMissing(Double(Float(-3.4e38)), noData: -3.4e38))
    }

    @Test func writerPublishesAValidCOGWithMetadataOnlyWhenFinished() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("CL_beta.tif")
        // 0.5° global grid: 720 × 360, larger than one 256 tile, so the COG gets overviews.
        let grid = try RasterGrid.covering(.global, resolution: 0.5)
        let options = RasterOutputOptions(dataType: .float32, bandDescriptions: ["beta"], bandUnits: ["1"],
                                          metadata: ["DEMO": "yes", "SOFTWARE": "soilbeta"], blockSize: 256)
        let writer = try RasterWriter(path: path, grid: grid, options: options)
        // Rows 0..<100 stay unwritten (nodata); rows 100..<360 get value = row + column/1000.
        let first = 100, count = grid.rows - 100
        var buffer = [Float](repeating: 0, count: count * grid.columns)
        for row in 0..<count {
            for column in 0..<grid.columns { buffer[row * grid.columns + column] = Float(first + row) + Float(column) / 1000 }
        }
        try writer.writeRows(firstRow: first, rowCount: count, from: buffer)
        #expect(!FileManager.default.fileExists(atPath: path))   // nothing published before finish()
        try writer.finish()
        #expect(try folder.listing() == ["CL_beta.tif"])          // staging and temporary files gone

        let cog = try Raster(path: path)
        #expect(cog.metadataItem("LAYOUT", domain: "IMAGE_STRUCTURE") == "COG")
        #expect(cog.metadataItem("COMPRESSION", domain: "IMAGE_STRUCTURE") == "DEFLATE")
        #expect(cog.metadataItem("DEMO") == "yes")
        #expect(try cog.bandDescription() == "beta")
        #expect(try cog.unit() == "1")
        #expect(try cog.noDataValue()!.isNaN)
        #expect(try cog.overviewCount() >= 1)
        #expect(try cog.blockSize() == (256, 256))
        #expect(try cog.dataType() == .float32)
        #expect(cog.grid == grid)

        let direct = readAllDirectly(path)
        #expect(direct.values[0].isNaN && direct.values[99 * 720 + 719].isNaN)
        #expect(direct.values[100 * 720] == Double(Float(100)))
        #expect(direct.values[359 * 720 + 719] == Double(Float(359) + Float(719) / 1000))
        #expect(direct.transform == [-180, 0.5, 0, 90, 0, -0.5])

        if let (status, output) = runTool("gdalinfo", [path]) {
            #expect(status == 0)
            #expect(output.contains("LAYOUT=COG"))
            #expect(output.contains("COMPRESSION=DEFLATE"))
            #expect(output.contains("NoData Value=nan"))
            #expect(output.contains("Overviews:"))
            #expect(output.contains("Size is 720, 360"))
            #expect(output.contains("DEMO=yes"))
            #expect(output.contains("Description = beta"))
        }
    }

    @Test func abandonedOrFailedWritersLeaveNoFiles() throws {
        let folder = try TemporaryFolder()
        let grid = try RasterGrid.covering(Extent(west: 0, south: 0, east: 8, north: 4), resolution: 1)
        do {
            let writer = try RasterWriter(path: folder.file("a.tif"), grid: grid)
            try writer.writeRows(firstRow: 0, rowCount: 1, from: [Float](repeating: 1, count: 8))
            #expect(throws: RasterError.self) { try writer.writeRows(firstRow: 3, rowCount: 2, from: [Float](repeating: 1, count: 16)) }
            #expect(throws: RasterError.self) { try writer.writeRows(firstRow: 0, rowCount: 1, from: [Float](repeating: 1, count: 7)) }
            writer.abandon()
        }
        do {
            _ = try RasterWriter(path: folder.file("b.tif"), grid: grid)   // released without finish()
        }
        #expect(try folder.listing().isEmpty)
        #expect(throws: FileError.self) { try RasterWriter(path: folder.file("no/such/folder/c.tif"), grid: grid) }
    }

    @Test func writesNetCDFWhenTheDriverExists() throws {
        guard GDALEnvironment.hasDriver("netCDF") else { return }
        let folder = try TemporaryFolder()
        let grid = try RasterGrid.covering(Extent(west: -2, south: 50, east: 2, north: 52), resolution: 0.5)
        let ncPath = folder.file("CL_beta.nc")
        let options = RasterOutputOptions(bandDescriptions: ["beta"], bandUnits: ["1"], netCDFPath: ncPath)
        let writer = try RasterWriter(path: folder.file("CL_beta.tif"), grid: grid, options: options)
        let values = (0..<grid.cellCount).map { Float($0) }
        try writer.writeRows(firstRow: 0, rowCount: grid.rows, from: values)
        try writer.finish()
        #expect(try folder.listing() == ["CL_beta.nc", "CL_beta.tif"])
        let netCDF = try Raster(path: ncPath)
        #expect(netCDF.driverName == "netCDF")
        #expect(netCDF.grid.differences(from: grid).isEmpty)
        #expect(try netCDF.readRows(firstRow: 0, rowCount: grid.rows) == values.map(Double.init))
        #expect(netCDF.metadataItem("NC_GLOBAL#Conventions")?.hasPrefix("CF") == true)
    }
}
