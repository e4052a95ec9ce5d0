import Essentials
import CGDAL
import Foundation

extension RasterGrid {
    /// The sub-grid of rows `rows` (all columns): the grid of one row shard of a tiled run
    /// (`soilbeta map --tile i/N`). Same CRS and cell size; origin moved down.
    public func subgrid(rows range: Range<Int>) -> RasterGrid {
        subgrid(columns: 0..<columns, rows: range)
    }

    /// The sub-grid of columns `columns` and rows `rows`.
    public func subgrid(columns columnRange: Range<Int>, rows rowRange: Range<Int>) -> RasterGrid {
        precondition(columnRange.lowerBound >= 0 && columnRange.upperBound <= columns && !columnRange.isEmpty, "columns outside the grid")
        precondition(rowRange.lowerBound >= 0 && rowRange.upperBound <= rows && !rowRange.isEmpty, "rows outside the grid")
        return RasterGrid(west: west + Double(columnRange.lowerBound) * cellWidth,
                          north: north - Double(rowRange.lowerBound) * cellHeight,
                          cellWidth: cellWidth, cellHeight: cellHeight,
                          columns: columnRange.count, rows: rowRange.count, crs: crs)
    }

    /// The rows of shard `index` (0-based) of `count` near-equal consecutive row bands: rows
    /// ⌊index·rows/count⌋ ..< ⌊(index+1)·rows/count⌋. Deterministic; the shards partition the grid.
    public func shardRows(index: Int, of count: Int) -> Range<Int> {
        precondition(count >= 1 && index >= 0 && index < count, "shard \(index) of \(count)")
        return (index * rows / count)..<((index + 1) * rows / count)
    }

    /// Where `other` (a grid with the same CRS and cell size) sits in this grid: its first column
    /// and row, or nil when it is not aligned to whole cells (within 1/1000 cell) or not inside.
    public func placement(of other: RasterGrid) -> (column: Int, row: Int)? {
        guard abs(other.cellWidth - cellWidth) <= 1e-7 * cellWidth, abs(other.cellHeight - cellHeight) <= 1e-7 * cellHeight,
              other.crs.isSame(as: crs) else { return nil }
        let columnOffset = (other.west - west) / cellWidth, rowOffset = (north - other.north) / cellHeight
        // Offsets from a raster's own geotransform: anything outside the grid is "not inside", never an Int trap.
        guard columnOffset.isFinite, rowOffset.isFinite, abs(columnOffset) < Double(Int32.max), abs(rowOffset) < Double(Int32.max) else { return nil }
        let column = Int(columnOffset.rounded()), row = Int(rowOffset.rounded())
        guard abs(columnOffset - Double(column)) < 1e-3, abs(rowOffset - Double(row)) < 1e-3,
              column >= 0, row >= 0, column + other.columns <= columns, row + other.rows <= rows else { return nil }
        return (column, row)
    }
}

/// Joins shards written on sub-grids of one grid (`soilbeta mosaic`, issue 4 item 4) into a
/// single COG: a GDAL VRT over the shards, translated to a COG and published atomically.
/// Cells covered by no shard are nodata. Values are copied, never resampled, so a sharded run
/// gives the same values as a single run.
public enum RasterMosaic {
    /// Joins `shardPaths` onto `grid` and writes the COG at `outputPath`. Every shard must have
    /// the grid's CRS and cell size and sit on whole cells inside it (else `RasterError`
    /// naming the shard). Band descriptions, units and dataset metadata are those of `options`
    /// where given, else copied from the first shard; the nodata value is the first shard's
    /// unless `options.noDataValue` is set.
    public static func join(shardPaths: [String], onto grid: RasterGrid, outputPath: String,
                            options: RasterOutputOptions? = nil) throws {
        guard !shardPaths.isEmpty else { throw RasterError.invalidArgument("\(outputPath): no shards to join") }
        let shards = try shardPaths.map { try Raster(path: $0) }
        let first = shards[0]
        for shard in shards {
            guard grid.placement(of: shard.grid) != nil else {
                throw RasterError.gridMismatch(GridMismatch(path: shard.path, differences:
                    shard.grid.differences(from: grid).filter { $0.property != "extent" }
                    + [.extent(found: shard.grid.extent, foundSize: (shard.grid.columns, shard.grid.rows),
                               expected: grid.extent, expectedSize: (grid.columns, grid.rows))], target: grid))
            }
            guard shard.bandCount == first.bandCount, try shard.dataType() == first.dataType() else {
                throw RasterError.unsupportedLayout(path: shard.path,
                    reason: "bands or pixel type differ from the first shard \(first.path)")
            }
        }
        guard let dataType = try first.dataType() else {
            throw RasterError.unsupportedLayout(path: first.path, reason: "unsupported pixel type")
        }
        let firstNoData = try first.noDataValue()
        var output = options ?? RasterOutputOptions(dataType: dataType, noDataValue: firstNoData)
        output.dataType = dataType
        if options == nil || options?.noDataValue == nil { output.noDataValue = firstNoData }
        if output.bandDescriptions.isEmpty { output.bandDescriptions = try (1...first.bandCount).map { try first.bandDescription(band: $0) } }
        if output.bandUnits.isEmpty { output.bandUnits = try (1...first.bandCount).map { try first.unit(band: $0) } }
        if output.metadata.isEmpty { output.metadata = first.metadata() }
        try AtomicFile.requireWritableFolder(for: outputPath)

        var arguments = ["-te", RasterAlignment.formatExact(grid.west), RasterAlignment.formatExact(grid.south),
                         RasterAlignment.formatExact(grid.east), RasterAlignment.formatExact(grid.north),
                         "-tr", RasterAlignment.formatExact(grid.cellWidth), RasterAlignment.formatExact(grid.cellHeight)]
        if let noData = output.noDataValue {
            let text = noData.isNaN ? "nan" : RasterPublisher.formatNoData(noData)
            arguments += ["-srcnodata", text, "-vrtnodata", text]
        }
        let vrtOptions = try GDALEnvironment.utilityOptions(arguments, for: outputPath) { GDALBuildVRTOptionsNew($0, nil) }
        defer { GDALBuildVRTOptionsFree(vrtOptions) }
        let names = GDALStringList(shardPaths)
        var usageError: Int32 = 0
        guard let vrt = GDALBuildVRT("", Int32(shardPaths.count), nil, names.constPointer, vrtOptions, &usageError) else {
            throw RasterError.writeFailed(path: outputPath, reason: "cannot build the VRT: \(GDALEnvironment.lastErrorMessage())")
        }
        defer { GDALClose(vrt) }
        GDALSetProjection(vrt, grid.crs.wkt)
        for (key, value) in output.metadata.sorted(by: { $0.key < $1.key }) { GDALSetMetadataItem(vrt, key, value, nil) }
        for band in 1...first.bandCount {
            guard let bandHandle = GDALGetRasterBand(vrt, Int32(band)) else { continue }
            if band <= output.bandDescriptions.count { GDALSetDescription(bandHandle, output.bandDescriptions[band - 1]) }
            if band <= output.bandUnits.count { GDALSetRasterUnitType(bandHandle, output.bandUnits[band - 1]) }
        }
        try RasterPublisher.publishCOG(from: vrt, to: outputPath, options: output)
        if let netCDFPath = output.netCDFPath {
            try RasterPublisher.publishNetCDF(from: vrt, to: netCDFPath, options: output)
        }
    }
}

extension Raster {
    /// All dataset metadata items of the default domain, as a dictionary.
    public func metadata() -> [String: String] {
        var result: [String: String] = [:]
        guard var entry = GDALGetMetadata(handle, nil) else { return result }
        while let item = entry.pointee {
            let text = String(cString: item)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            entry += 1
        }
        return result
    }
}
