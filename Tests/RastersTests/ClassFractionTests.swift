import CGDAL
import Foundation
import Testing
@testable import Rasters

/// Class fractions against independent references: ellipsoidal zone areas integrated
/// numerically (CellAreaTests.integratedAreaM2) and a brute-force sub-cell sampling.
@Suite struct ClassFractionTests {
    @Test func parsesGroups() throws {
        #expect(try ClassGroup(parsing: "cropland=12,14") == ClassGroup(name: "cropland", codes: [12, 14]))
        #expect(try ClassGroup(parsing: "forest=1-5") == ClassGroup(name: "forest", codes: [1, 2, 3, 4, 5]))
        #expect(try ClassGroup(parsing: "x=-1,2.5") == ClassGroup(name: "x", codes: [-1, 2.5]))
        for bad in ["cropland", "=1", "a=", "a=1,,2", "a=x", "a b=1", "a=5-1"] {
            #expect(throws: RasterError.self, "\(bad)") { try ClassGroup(parsing: bad) }
        }
    }

    @Test func overlapsOfNonNestedPartitions() {
        // Source cells of 0.3 from 0, target cells of 1 from 0: 0.9…1.2 straddles the edge.
        let pieces = ClassFractionAggregation.overlaps(sourceStart: 0, sourceStep: 0.3, sourceCount: 10,
                                                       targetStart: 0, targetStep: 1, targetCount: 3, descending: false)
        #expect(pieces.count == 12)
        #expect(pieces[3].source == 3 && pieces[3].target == 0 && abs(pieces[3].end - 1) < 1e-12)
        #expect(pieces[4].source == 3 && pieces[4].target == 1 && abs(pieces[4].start - 1) < 1e-12)
        let total = pieces.map { $0.end - $0.start }.reduce(0, +)
        #expect(abs(total - 3) < 1e-12)
        // Descending (rows): north edge 10, target rows of 1 from 9.5 — the first half row lies outside.
        let rows = ClassFractionAggregation.overlaps(sourceStart: 10, sourceStep: 0.5, sourceCount: 4,
                                                     targetStart: 9.5, targetStep: 1, targetCount: 2, descending: true)
        #expect(rows.map(\.source) == [1, 2, 3])
        #expect(rows.map(\.target) == [0, 0, 1])
    }

    @Test func nestedCellsAreWeightedByEllipsoidalArea() throws {
        let folder = try TemporaryFolder()
        let source = folder.file("lc.tif")
        // 0.25° cells over 0…2 E × 60…62 N; in each 1° target cell the two northern source rows are
        // class 12, the two southern rows class 1.
        var classes: [Double] = []
        for row in 0..<8 {
            for _ in 0..<8 { classes.append(row % 4 < 2 ? 12 : 1) }
        }
        makeGeoTIFF(source, west: 0, north: 62, cellWidth: 0.25, cellHeight: 0.25, columns: 8, rows: 8, values: classes,
                    type: GDT_Byte, noData: 255)
        let grid = try RasterGrid.covering(Extent(west: 0, south: 60, east: 2, north: 62), resolution: 1)
        let paths = [folder.file("cropland.tif"), folder.file("forest.tif")]
        let summary = try ClassFractionAggregation.write(sourcePath: source, groups: [
            ClassGroup(name: "cropland", codes: [12, 14]), ClassGroup(name: "forest", codes: [1, 2, 3, 4, 5]),
        ], onto: grid, outputPaths: paths)
        #expect(summary.coveredCells == 4 && summary.emptyCells == 0 && !summary.reprojected)
        let cropland = try Raster(path: paths[0])
        #expect(try cropland.bandDescription() == "cropland")
        #expect(try cropland.unit() == "1")
        #expect(cropland.metadataItem("SOILBETA_CLASS_CODES") == "12,14")
        #expect(cropland.metadataItem("LAYOUT", domain: "IMAGE_STRUCTURE") == "COG")
        let croplandFractions = try cropland.readRows(firstRow: 0, rowCount: 2)
        let forestFractions = try Raster(path: paths[1]).readRows(firstRow: 0, rowCount: 2)
        for (row, south) in [(0, 61.0), (1, 60.0)] {
            let northern = CellAreaTests.integratedAreaM2(southDeg: south + 0.5, northDeg: south + 1, widthDeg: 1)
            let whole = CellAreaTests.integratedAreaM2(southDeg: south, northDeg: south + 1, widthDeg: 1)
            for column in 0..<2 {
                #expect(abs(croplandFractions[row * 2 + column] - northern / whole) < 1e-6)
                #expect(abs(forestFractions[row * 2 + column] - (1 - northern / whole)) < 1e-6)
            }
            // The ellipsoidal weighting matters: the planar answer 0.5 is off by > 0.003.
            #expect(abs(croplandFractions[row * 2] - 0.5) > 0.003)
        }
    }

    @Test func nonNestedCellsWithNodataMatchBruteForceSampling() throws {
        let folder = try TemporaryFolder()
        let source = folder.file("lc.tif")
        // 0.3° cells over 0…3 E × 40…43 N (10 × 10); class (row + column) % 3, nodata 255 in a block.
        var classes: [Double] = []
        for row in 0..<10 {
            for column in 0..<10 { classes.append(row >= 7 && column >= 7 ? 255 : Double((row + column) % 3)) }
        }
        makeGeoTIFF(source, west: 0, north: 43, cellWidth: 0.3, cellHeight: 0.3, columns: 10, rows: 10, values: classes,
                    type: GDT_Byte, noData: 255)
        // Target 1° cells over −1…3 E × 40…44 N: the western column and the northern row are outside the source.
        let grid = try RasterGrid.covering(Extent(west: -1, south: 40, east: 3, north: 44), resolution: 1)
        let paths = [folder.file("a.tif"), folder.file("b.tif")]
        let summary = try ClassFractionAggregation.write(sourcePath: source, groups: [
            ClassGroup(name: "a", codes: [1]), ClassGroup(name: "b", codes: [0, 2]),
        ], onto: grid, outputPaths: paths)
        let a = try Raster(path: paths[0]).readRows(firstRow: 0, rowCount: 4)
        let b = try Raster(path: paths[1]).readRows(firstRow: 0, rowCount: 4)
        #expect(summary.coveredCells == 9 && summary.emptyCells == 7)
        // Brute force: 0.05° sub-cells (both 0.3 and 1 are multiples), each weighted by its own
        // numerically integrated ellipsoidal area.
        let step = 0.05
        for targetRow in 0..<4 {
            for targetColumn in 0..<4 {
                var areaA = 0.0, valid = 0.0
                let west = -1 + Double(targetColumn), north = 44 - Double(targetRow)
                for subRow in 0..<20 {
                    let subNorth = north - Double(subRow) * step
                    let subArea = CellAreaTests.integratedAreaM2(southDeg: subNorth - step, northDeg: subNorth, widthDeg: step, intervals: 20)
                    for subColumn in 0..<20 {
                        let x = west + (Double(subColumn) + 0.5) * step, y = subNorth - 0.5 * step
                        guard x > 0, x < 3, y > 40, y < 43 else { continue }
                        let code = classes[Int((43 - y) / 0.3) * 10 + Int(x / 0.3)]
                        if code == 255 { continue }
                        valid += subArea
                        if code == 1 { areaA += subArea }
                    }
                }
                let index = targetRow * 4 + targetColumn
                if valid == 0 {
                    #expect(a[index].isNaN && b[index].isNaN, "cell \(targetColumn),\(targetRow) has no source")
                } else {
                    #expect(abs(a[index] - areaA / valid) < 2e-6, "cell \(targetColumn),\(targetRow)")
                    #expect(abs(a[index] + b[index] - 1) < 1e-6)
                }
            }
        }
    }

    @Test func sourceInAnotherCRSIsResampledFirst() throws {
        let folder = try TemporaryFolder()
        let source = folder.file("mercator.tif")
        makeGeoTIFF(source, west: 0, north: 1_000_000, cellWidth: 10_000, cellHeight: 10_000, columns: 100, rows: 100,
                    values: [Double](repeating: 5, count: 10_000), type: GDT_Byte, noData: 255, crs: "EPSG:3857")
        let grid = try RasterGrid.covering(Extent(west: -2, south: -2, east: 12, north: 12), resolution: 1)
        let path = folder.file("forest.tif")
        let summary = try ClassFractionAggregation.write(sourcePath: source, groups: [ClassGroup(name: "forest", codes: [5])],
                                                         onto: grid, outputPaths: [path])
        #expect(summary.reprojected)
        let fractions = try Raster(path: path).readRows(firstRow: 0, rowCount: grid.rows)
        for row in 0..<grid.rows {
            for column in 0..<grid.columns {
                let centre = grid.cellCenter(column: column, row: row)
                let value = fractions[row * grid.columns + column]
                if centre.x < 0 || centre.y < 0 || centre.x > 9 || centre.y > 9 { #expect(value.isNaN) } else { #expect(value == 1) }
            }
        }
        #expect(try folder.listing() == ["forest.tif", "mercator.tif"])
    }
}
