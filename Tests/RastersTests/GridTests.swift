import Foundation
import Testing
@testable import Rasters

@Suite struct GridTests {
    @Test func resolutionIsSnappedToAWholeNumberOfCells() throws {
        let grid = try RasterGrid.covering(.global, resolution: 0.0833333333)
        #expect(grid.cellWidth == 360.0 / 4320 && grid.cellHeight == 180.0 / 2160)
        #expect(grid.geoTransform == [-180, 360.0 / 4320, 0, 90, 0, -180.0 / 2160])
        #expect(grid.east == 180 && grid.south == -90)
        // 0.0833 does not divide 360 (4321.7 cells): refused with advice.
        #expect(throws: RasterError.self) { try RasterGrid.covering(.global, resolution: 0.0833) }
    }

    @Test func extentParsing() throws {
        #expect(try Extent(parsing: "-10, 35,40,72") == Extent(west: -10, south: 35, east: 40, north: 72))
        #expect(throws: RasterError.self) { try Extent(parsing: "1,2,3") }
        #expect(throws: RasterError.self) { try Extent(parsing: "10,0,0,5") }
        #expect(throws: RasterError.self) { try Extent(parsing: "a,0,1,5") }
    }

    @Test func cellLookupUsesHalfOpenCellsAndClosedOuterEdges() throws {
        let grid = try RasterGrid.covering(Extent(west: 0, south: 0, east: 4, north: 2), resolution: 1)
        #expect(grid.cell(containingX: 0.5, y: 1.5)! == (0, 0))
        #expect(grid.cell(containingX: 1.0, y: 1.0)! == (1, 1))   // inner edges: east/south cell
        #expect(grid.cell(containingX: 4.0, y: 0.0)! == (3, 1))   // outer edges belong to the grid
        #expect(grid.cell(containingX: 4.0001, y: 1) == nil)
        #expect(grid.cell(containingX: 2, y: -0.01) == nil)
        #expect(grid.cell(containingX: .nan, y: 1) == nil)
        let centre = grid.cellCenter(column: 3, row: 1)
        #expect(centre.x == 3.5 && centre.y == 0.5)
    }

    @Test func compatibleGridsPassAndEachDifferenceIsNamed() throws {
        let target = try RasterGrid.covering(.global, resolution: 1.0 / 12)
        // Same grid written with a rounded cell size (as many tools do) is accepted.
        var rounded = target
        rounded.cellWidth = 0.0833333333
        rounded.cellHeight = 0.0833333333
        #expect(rounded.differences(from: target).isEmpty)
        try rounded.requireCompatible(with: target, path: "ok.tif")

        let coarse = try RasterGrid.covering(.global, resolution: 0.5)
        #expect(coarse.differences(from: target).map(\.property) == ["resolution", "extent"])

        let europe = try RasterGrid.covering(Extent(west: -10, south: 35, east: 40, north: 72), resolution: 1.0 / 12)
        #expect(europe.differences(from: target).map(\.property) == ["extent"])

        var mercator = target
        mercator.crs = try SpatialReference(userInput: "EPSG:3857")
        #expect(mercator.differences(from: target).map(\.property) == ["CRS"])

        var shifted = target
        shifted.west += 0.5 * target.cellWidth
        do {
            try shifted.requireCompatible(with: target, path: "/data/clay.tif")
            Issue.record("a half-cell shift must be refused")
        } catch let RasterError.gridMismatch(mismatch) {
            #expect(mismatch.differences.map(\.property) == ["extent"])
            let message = mismatch.description
            #expect(message.contains("/data/clay.tif"))
            #expect(message.contains("extent"))
            #expect(message.contains("soilbeta prepare --grid 0.0833333333333 --extent -180,-90,180,90 --in /data/clay.tif --out /data/clay_aligned.tif"))
        }
    }

    @Test func crsComparisonIgnoresAxisOrderAndSpelling() throws {
        let fromCode = try SpatialReference(userInput: "EPSG:4326")
        let fromName = try SpatialReference(userInput: "WGS84")
        let fromProj = try SpatialReference(userInput: "+proj=longlat +datum=WGS84 +no_defs")
        #expect(fromCode.isSame(as: fromName))
        #expect(fromCode.isSame(as: fromProj))
        #expect(fromCode.isGeographicWGS84 && fromProj.isGeographicWGS84)
        #expect(fromCode.shortName == "EPSG:4326")
        let sinusoidal = try SpatialReference(userInput: "+proj=sinu +R=6371007.181 +units=m +no_defs")
        #expect(!sinusoidal.isSame(as: fromCode))
        #expect(!sinusoidal.isGeographic)
        #expect(throws: RasterError.self) { try SpatialReference(userInput: "EPSG:999999") }
        // The built-in WKT1 fallback of `SpatialReference.wgs84` is the same CRS as GDAL's EPSG:4326.
        let fallback = SpatialReference(wkt: SpatialReference.wgs84WKT1)
        #expect(fallback.isSame(as: fromCode) && fallback.isGeographicWGS84 && fallback.shortName == "EPSG:4326")
    }
}
