import Foundation
import Testing
@testable import Rasters

@Suite struct MosaicTests {
    /// Value of cell (column, row) of the test map; NaN (nodata) on a diagonal band.
    static func value(_ column: Int, _ row: Int) -> Float {
        abs(column - 2 * row) < 3 ? .nan : Float(row) * 0.37 + Float(column) * 0.011
    }

    @Test func shardsPartitionTheGridAndRejoinToTheSingleRunValues() throws {
        let folder = try TemporaryFolder()
        let grid = try RasterGrid.covering(.global, resolution: 0.5)
        #expect((0..<4).map { grid.shardRows(index: $0, of: 4) } == [0..<90, 90..<180, 180..<270, 270..<360])
        #expect((0..<7).map { grid.shardRows(index: $0, of: 7).count }.reduce(0, +) == 360)
        let options = RasterOutputOptions(bandDescriptions: ["beta"], bandUnits: ["1"], metadata: ["DEMO": "yes"], blockSize: 256)

        func rows(_ range: Range<Int>) -> [Float] {
            range.flatMap { row in (0..<grid.columns).map { Self.value($0, row) } }
        }
        // Single run.
        let single = try RasterWriter(path: folder.file("single.tif"), grid: grid, options: options)
        try single.writeRows(firstRow: 0, rowCount: grid.rows, from: rows(0..<grid.rows))
        try single.finish()
        // Four shards on sub-grids, written in reverse order.
        var shardPaths: [String] = []
        for index in (0..<4).reversed() {
            let range = grid.shardRows(index: index, of: 4)
            let subgrid = grid.subgrid(rows: range)
            #expect(grid.placement(of: subgrid)! == (0, range.lowerBound))
            let path = folder.file("shard\(index).tif")
            let writer = try RasterWriter(path: path, grid: subgrid, options: options)
            try writer.writeRows(firstRow: 0, rowCount: range.count, from: rows(range))
            try writer.finish()
            shardPaths.insert(path, at: 0)
        }
        try RasterMosaic.join(shardPaths: shardPaths, onto: grid, outputPath: folder.file("mosaic.tif"))

        let expected = readAllDirectly(folder.file("single.tif"))
        let joined = readAllDirectly(folder.file("mosaic.tif"))
        #expect(joined.transform == expected.transform)
        #expect(joined.values.map(\.bitPattern) == expected.values.map(\.bitPattern))
        #expect(joined.values.contains { $0.isNaN })
        let mosaic = try Raster(path: folder.file("mosaic.tif"))
        #expect(mosaic.metadataItem("LAYOUT", domain: "IMAGE_STRUCTURE") == "COG")
        #expect(mosaic.metadataItem("DEMO") == "yes")
        #expect(try mosaic.bandDescription() == "beta" && mosaic.unit() == "1")
        #expect(try mosaic.noDataValue()!.isNaN)
    }

    @Test func missingShardsAreNodataAndMisalignedShardsAreRefused() throws {
        let folder = try TemporaryFolder()
        let grid = try RasterGrid.covering(Extent(west: 0, south: 0, east: 4, north: 4), resolution: 1)
        let top = try RasterWriter(path: folder.file("top.tif"), grid: grid.subgrid(rows: 0..<2))
        try top.writeRows(firstRow: 0, rowCount: 2, from: [Float](repeating: 3, count: 8))
        try top.finish()
        try RasterMosaic.join(shardPaths: [folder.file("top.tif")], onto: grid, outputPath: folder.file("m.tif"))
        let values = readAllDirectly(folder.file("m.tif")).values
        #expect(values[0..<8].allSatisfy { $0 == 3 } && values[8...].allSatisfy(\.isNaN))

        var shifted = grid.subgrid(rows: 2..<4)
        shifted.west += 0.5
        let bad = try RasterWriter(path: folder.file("shifted.tif"), grid: shifted)
        try bad.writeRows(firstRow: 0, rowCount: 2, from: [Float](repeating: 1, count: 8))
        try bad.finish()
        #expect(throws: RasterError.self) {
            try RasterMosaic.join(shardPaths: [folder.file("top.tif"), folder.file("shifted.tif")], onto: grid, outputPath: folder.file("n.tif"))
        }
        #expect(!FileManager.default.fileExists(atPath: folder.file("n.tif")))
    }
}
