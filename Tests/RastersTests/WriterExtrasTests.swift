import Foundation
import Testing
@testable import Rasters

@Suite struct WriterExtrasTests {
    @Test func finishAllPublishesEveryWriterConcurrently() throws {
        let folder = try TemporaryFolder()
        let grid = try RasterGrid.covering(.global, resolution: 1)
        var writers: [RasterWriter] = []
        for layer in ["0-20", "20-40", "40-60"] {
            let writer = try RasterWriter(path: folder.file("CL_\(layer)_SOCD.tif"), grid: grid,
                                          options: RasterOutputOptions(bandDescriptions: ["SOCD \(layer) cm"], bandUnits: ["Mg ha-1"]))
            try writer.writeRows(firstRow: 0, rowCount: grid.rows, from: [Float](repeating: Float(layer.count), count: grid.cellCount))
            writers.append(writer)
        }
        try RasterWriter.finishAll(writers)
        #expect(try folder.listing() == ["CL_0-20_SOCD.tif", "CL_20-40_SOCD.tif", "CL_40-60_SOCD.tif"])
        for layer in ["0-20", "20-40", "40-60"] {
            let raster = try Raster(path: folder.file("CL_\(layer)_SOCD.tif"))
            #expect(try raster.bandDescription() == "SOCD \(layer) cm")
            #expect(try raster.readRows(firstRow: 179, rowCount: 1).allSatisfy { $0 == Double(layer.count) })
        }
    }

    @Test func leftoversOfAKilledRunAreRemoved() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("FL_beta.tif")
        for name in [".FL_beta.tif.staging-12-ab.tif", ".FL_beta.tif.partial-12-cd.tif", ".GL_beta.tif.staging-1-e.tif", "FL_beta_q05.tif"] {
            #expect(FileManager.default.createFile(atPath: folder.file(name), contents: Data()))
        }
        #expect(RasterWriter.removeLeftovers(besides: path) == 2)
        #expect(try folder.listing() == [".GL_beta.tif.staging-1-e.tif", "FL_beta_q05.tif"])
    }

    @Test func allMismatchedRastersAreListedBeforeWork() throws {
        let folder = try TemporaryFolder()
        let grid = try RasterGrid.covering(Extent(west: 0, south: 0, east: 4, north: 2), resolution: 1)
        makeGeoTIFF(folder.file("good.tif"), west: 0, north: 2, cellWidth: 1, cellHeight: 1, columns: 4, rows: 2, values: [Double](repeating: 1, count: 8))
        makeGeoTIFF(folder.file("coarse.tif"), west: 0, north: 2, cellWidth: 2, cellHeight: 2, columns: 2, rows: 1, values: [1, 2])
        makeGeoTIFF(folder.file("utm.tif"), west: 0, north: 2, cellWidth: 1, cellHeight: 1, columns: 4, rows: 2,
                    values: [Double](repeating: 1, count: 8), crs: "EPSG:32631")
        try grid.requireCompatibleRasters([folder.file("good.tif")])
        do {
            try grid.requireCompatibleRasters([folder.file("good.tif"), folder.file("coarse.tif"), folder.file("utm.tif")])
            Issue.record("mismatches must be refused")
        } catch let RasterError.gridMismatches(mismatches) {
            #expect(mismatches.map { ($0.path as NSString).lastPathComponent } == ["coarse.tif", "utm.tif"])
            #expect(mismatches[0].differences.map(\.property) == ["resolution", "extent"])
            #expect(mismatches[1].differences.map(\.property) == ["CRS"])
            #expect(RasterError.gridMismatches(mismatches).description.contains("soilbeta prepare --grid 1 --extent 0,0,4,2"))
        }
    }
}
