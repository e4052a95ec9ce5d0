import Essentials
import CGDAL
import Foundation
import Testing
@testable import Rasters

/// `soilbeta prepare` warps: expected values come from closed forms (block means, a linear
/// field that bilinear interpolation reproduces exactly, replicated cells, majorities).
@Suite struct AlignmentTests {
    @Test func averageOfNestedCellsIsTheBlockMean() throws {
        let folder = try TemporaryFolder()
        let source = folder.file("fine.tif")
        let columns = 16, rows = 8
        let values = (0..<(columns * rows)).map { Double(($0 * 37) % 101) / 7 }
        makeGeoTIFF(source, west: 0, north: 42, cellWidth: 0.25, cellHeight: 0.25, columns: columns, rows: rows, values: values)
        let grid = try RasterGrid.covering(Extent(west: 0, south: 40, east: 4, north: 42), resolution: 0.5)
        let out = folder.file("coarse.tif")
        let summary = try RasterAlignment.align(sourcePath: source, onto: grid, outputPath: out, resampling: .average,
                                                output: RasterOutputOptions(bandDescriptions: ["clay"], bandUnits: ["%"]))
        #expect(summary.dataType == .float64)
        let raster = try Raster(path: out)
        #expect(raster.grid == RasterGrid(west: 0, north: 42, cellWidth: 0.5, cellHeight: 0.5, columns: 8, rows: 4, crs: raster.grid.crs))
        #expect(raster.grid.crs.isSame(as: .wgs84))
        #expect(raster.metadataItem("LAYOUT", domain: "IMAGE_STRUCTURE") == "COG")
        #expect(try raster.bandDescription() == "clay" && raster.unit() == "%")
        let result = try raster.readRows(firstRow: 0, rowCount: 4)
        for row in 0..<4 {
            for column in 0..<8 {
                let block = [(2 * row, 2 * column), (2 * row, 2 * column + 1), (2 * row + 1, 2 * column), (2 * row + 1, 2 * column + 1)]
                let mean = block.map { values[$0.0 * columns + $0.1] }.reduce(0, +) / 4
                #expect(abs(result[row * 8 + column] - mean) < 1e-9, "cell \(column),\(row)")
            }
        }
        #expect(try folder.listing() == ["coarse.tif", "fine.tif"])
    }

    @Test func bilinearReproducesALinearFieldAndIntegersBecomeFloat32() throws {
        let folder = try TemporaryFolder()
        let source = folder.file("linear.tif")
        // 1° cells over 0…10 × 0…6; value at the cell centre (x, y) = 30 + 2x − 4y (an integer), stored as Int32.
        let columns = 10, rows = 6
        var values: [Double] = []
        for row in 0..<rows {
            for column in 0..<columns { values.append(30 + 2 * (Double(column) + 0.5) - 4 * (6 - Double(row) - 0.5)) }
        }
        makeGeoTIFF(source, west: 0, north: 6, cellWidth: 1, cellHeight: 1, columns: columns, rows: rows, values: values, type: GDT_Int32)
        // 0.5° cells over 1…9 × 1…5: every target centre lies between source centres.
        let grid = try RasterGrid.covering(Extent(west: 1, south: 1, east: 9, north: 5), resolution: 0.5)
        let out = folder.file("fine.tif")
        let summary = try RasterAlignment.align(sourcePath: source, onto: grid, outputPath: out, resampling: .bilinear)
        #expect(summary.dataType == .float32)
        #expect(summary.noDataValue?.isNaN == true)
        let raster = try Raster(path: out)
        #expect(try raster.dataType() == .float32)
        let result = try raster.readRows(firstRow: 0, rowCount: grid.rows)
        for row in 0..<grid.rows {
            for column in 0..<grid.columns {
                let centre = grid.cellCenter(column: column, row: row)
                let expected = 30 + 2 * centre.x - 4 * centre.y
                #expect(abs(result[row * grid.columns + column] - expected) < 1e-4, "cell \(column),\(row)")
            }
        }
    }

    @Test func nearestReplicatesAndModeTakesTheMajority() throws {
        let folder = try TemporaryFolder()
        let source = folder.file("classes.tif")
        // 0.25° classes over 0…2 × 0…1 (8 × 4): the left 1° cell is mostly 7, the right mostly 3.
        var classes = [Double](repeating: 0, count: 32)
        for row in 0..<4 {
            for column in 0..<8 { classes[row * 8 + column] = column < 4 ? 7 : 3 }
        }
        classes[0] = 3; classes[1] = 3; classes[9] = 1      // minorities in the left cell
        classes[4] = 7; classes[13] = 9; classes[14] = 9    // and in the right one
        makeGeoTIFF(source, west: 0, north: 1, cellWidth: 0.25, cellHeight: 0.25, columns: 8, rows: 4, values: classes,
                    type: GDT_Byte, noData: 255)
        let coarse = try RasterGrid.covering(Extent(west: 0, south: 0, east: 2, north: 1), resolution: 1)
        let modePath = folder.file("mode.tif")
        let mode = try RasterAlignment.align(sourcePath: source, onto: coarse, outputPath: modePath, resampling: .mode)
        #expect(mode.dataType == .byte && mode.noDataValue == 255)
        #expect(try Raster(path: modePath).readRows(firstRow: 0, rowCount: 1) == [7, 3])

        let fine = try RasterGrid.covering(Extent(west: 0, south: 0, east: 2, north: 1), resolution: 0.125)
        let nearestPath = folder.file("nearest.tif")
        _ = try RasterAlignment.align(sourcePath: source, onto: fine, outputPath: nearestPath, resampling: .nearest)
        let replicated = try Raster(path: nearestPath).readRows(firstRow: 0, rowCount: fine.rows)
        for row in 0..<fine.rows {
            for column in 0..<fine.columns {
                #expect(replicated[row * fine.columns + column] == classes[(row / 2) * 8 + column / 2])
            }
        }
    }

    @Test func reprojectsFromAnotherCRSAndMarksCellsOutsideAsNodata() throws {
        let folder = try TemporaryFolder()
        let source = folder.file("mercator.tif")
        // A constant 4.5 over x 0…1 000 km, y 0…1 000 km in Web Mercator (≈ 0…8.98° E, 0…8.94° N).
        makeGeoTIFF(source, west: 0, north: 1_000_000, cellWidth: 10_000, cellHeight: 10_000, columns: 100, rows: 100,
                    values: [Double](repeating: 4.5, count: 10_000), noData: -1, crs: "EPSG:3857")
        let grid = try RasterGrid.covering(Extent(west: -2, south: -2, east: 12, north: 12), resolution: 1)
        let out = folder.file("wgs84.tif")
        let summary = try RasterAlignment.align(sourcePath: source, onto: grid, outputPath: out, resampling: .bilinear)
        #expect(summary.noDataValue == -1)
        let raster = try Raster(path: out)
        #expect(raster.grid.crs.isSame(as: .wgs84))
        for row in 0..<grid.rows {
            for column in 0..<grid.columns {
                let centre = grid.cellCenter(column: column, row: row)
                let value = try raster.value(column: column, row: row)
                if centre.x > 1, centre.x < 8, centre.y > 1, centre.y < 8 {
                    #expect(value.map { abs($0 - 4.5) < 1e-6 } == true, "inside at \(centre)")
                } else if centre.x < 0 || centre.y < 0 || centre.x > 9 || centre.y > 9 {
                    #expect(value == nil, "outside at \(centre)")
                }
            }
        }
    }

    @Test func errorsNameTheFile() throws {
        let folder = try TemporaryFolder()
        let grid = try RasterGrid.covering(.global, resolution: 1)
        let missing = folder.file("none.tif")
        #expect(throws: RasterError.cannotOpen(path: missing, reason: "no such file")) {
            try RasterAlignment.align(sourcePath: missing, onto: grid, outputPath: folder.file("o.tif"), resampling: .bilinear)
        }
        let source = folder.file("s.tif")
        makeGeoTIFF(source, west: 0, north: 1, cellWidth: 1, cellHeight: 1, columns: 1, rows: 1, values: [1])
        #expect(throws: FileError.self) {
            try RasterAlignment.align(sourcePath: source, onto: grid, outputPath: folder.file("nope/o.tif"), resampling: .bilinear)
        }
        #expect(try folder.listing() == ["s.tif"])
    }
}
