import Essentials
import Foundation

/// A rectangle in the coordinates of a CRS: west/east are x (longitude), south/north are y
/// (latitude) for geographic CRSs, in the CRS's units (degrees for WGS84).
public struct Extent: Sendable, Equatable, CustomStringConvertible {
    /// Western edge (minimum x).
    public var west: Double
    /// Southern edge (minimum y).
    public var south: Double
    /// Eastern edge (maximum x).
    public var east: Double
    /// Northern edge (maximum y).
    public var north: Double

    /// The whole globe in longitude/latitude degrees: −180…180, −90…90 (METHOD.md §8).
    public static let global = Extent(west: -180, south: -90, east: 180, north: 90)

    /// An extent from its four edges, in the CRS's units.
    public init(west: Double, south: Double, east: Double, north: Double) {
        (self.west, self.south, self.east) = (west, south, east)
        self.north = north
    }

    /// Parses `"west,south,east,north"` (the order of `gdalwarp -te`); throws naming the text.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 4, let west = parts[0], let south = parts[1], let east = parts[2], let north = parts[3],
              [west, south, east, north].allSatisfy(\.isFinite) else {
            throw RasterError.invalidArgument("extent '\(text)': expected four numbers west,south,east,north")
        }
        guard east > west, north > south else {
            throw RasterError.invalidArgument("extent '\(text)': east must exceed west and north must exceed south")
        }
        self.init(west: west, south: south, east: east, north: north)
    }

    /// `west,south,east,north` with up to 12 significant digits.
    public var description: String {
        [west, south, east, north].map(formatNumber).joined(separator: ",")
    }
}

/// Formats a number compactly for messages and command lines (up to 12 significant digits).
func formatNumber(_ value: Double) -> String {
    String(format: "%.12g", value)
}

/// A north-up raster grid: the edges of its top-left cell, its cell size, its size in cells and
/// its CRS (METHOD.md §8). Row 0 is the northernmost row; column 0 the westernmost column.
/// Cell (column c, row r) spans x ∈ [west + c·cellWidth, west + (c+1)·cellWidth] and
/// y ∈ [north − (r+1)·cellHeight, north − r·cellHeight].
public struct RasterGrid: Sendable, Equatable, CustomStringConvertible {
    /// x of the western edge (GDAL geotransform[0]).
    public var west: Double
    /// y of the northern edge (GDAL geotransform[3]).
    public var north: Double
    /// Cell width in CRS units (> 0; geotransform[1]).
    public var cellWidth: Double
    /// Cell height in CRS units (> 0; −geotransform[5]).
    public var cellHeight: Double
    /// Number of columns (cells west→east).
    public var columns: Int
    /// Number of rows (cells north→south).
    public var rows: Int
    /// The CRS of the coordinates.
    public var crs: SpatialReference

    /// A north-up grid from its north-west corner, cell size (CRS units) and size in cells.
    public init(west: Double, north: Double, cellWidth: Double, cellHeight: Double,
                columns: Int, rows: Int, crs: SpatialReference) {
        (self.west, self.north, self.cellWidth) = (west, north, cellWidth)
        (self.cellHeight, self.columns, self.rows) = (cellHeight, columns, rows)
        self.crs = crs
    }

    /// The grid of a GDAL geotransform. Throws (naming `path`) for rotated or south-up rasters,
    /// which soilbeta does not read directly (`soilbeta prepare` warps them to a north-up grid).
    public init(geoTransform: [Double], columns: Int, rows: Int, crs: SpatialReference, path: String) throws {
        guard geoTransform.count == 6 else {
            throw RasterError.unsupportedLayout(path: path, reason: "geotransform must have 6 coefficients")
        }
        guard geoTransform[2] == 0, geoTransform[4] == 0 else {
            throw RasterError.unsupportedLayout(path: path,
                reason: "the raster is rotated; warp it to a north-up grid with `soilbeta prepare`")
        }
        guard geoTransform[1] > 0, geoTransform[5] < 0 else {
            throw RasterError.unsupportedLayout(path: path,
                reason: "the raster is not north-up (cell size \(geoTransform[1]), \(geoTransform[5])); warp it with `soilbeta prepare`")
        }
        self.init(west: geoTransform[0], north: geoTransform[3], cellWidth: geoTransform[1],
                  cellHeight: -geoTransform[5], columns: columns, rows: rows, crs: crs)
    }

    /// The grid of cell size `resolution` covering `extent` exactly, in `crs` (default WGS84).
    /// The cell size is snapped so that the extent holds a whole number of cells: 0.0833333333
    /// over 360° becomes exactly 1/12° (4320 columns). Throws when the extent is not within
    /// 1e-6 (relative) of a whole number of cells.
    public static func covering(_ extent: Extent = .global, resolution: Double,
                                crs: SpatialReference = .wgs84) throws -> RasterGrid {
        try covering(extent, cellWidth: resolution, cellHeight: resolution, crs: crs)
    }

    /// As `covering(_:resolution:crs:)` with different cell width and height.
    public static func covering(_ extent: Extent, cellWidth: Double, cellHeight: Double,
                                crs: SpatialReference = .wgs84) throws -> RasterGrid {
        guard cellWidth > 0, cellHeight > 0, cellWidth.isFinite, cellHeight.isFinite else {
            throw RasterError.invalidArgument("grid resolution must be a positive number (got \(cellWidth), \(cellHeight))")
        }
        func wholeCells(_ span: Double, _ size: Double, _ axis: String) throws -> Int {
            let cells = span / size
            let rounded = cells.rounded()
            guard rounded >= 1, abs(cells - rounded) <= 1e-6 * rounded else {
                throw RasterError.invalidArgument(
                    "the extent's \(axis) (\(formatNumber(span))) is not a whole number of cells of \(formatNumber(size)) "
                    + "(\(formatNumber(cells)) cells); give the resolution with more digits (1/12° = 0.0833333333) "
                    + "or an extent that is a multiple of it")
            }
            return Int(rounded)
        }
        let columns = try wholeCells(extent.east - extent.west, cellWidth, "width")
        let rows = try wholeCells(extent.north - extent.south, cellHeight, "height")
        return RasterGrid(west: extent.west, north: extent.north,
                          cellWidth: (extent.east - extent.west) / Double(columns),
                          cellHeight: (extent.north - extent.south) / Double(rows),
                          columns: columns, rows: rows, crs: crs)
    }

    /// x of the eastern edge.
    public var east: Double { west + Double(columns) * cellWidth }
    /// y of the southern edge.
    public var south: Double { north - Double(rows) * cellHeight }
    /// The grid's bounding rectangle.
    public var extent: Extent { Extent(west: west, south: south, east: east, north: north) }
    /// Number of cells (columns × rows).
    public var cellCount: Int { columns * rows }

    /// The GDAL geotransform `[west, cellWidth, 0, north, 0, −cellHeight]`.
    public var geoTransform: [Double] { [west, cellWidth, 0, north, 0, -cellHeight] }

    /// The centre of a cell, in CRS coordinates.
    public func cellCenter(column: Int, row: Int) -> (x: Double, y: Double) {
        (west + (Double(column) + 0.5) * cellWidth, north - (Double(row) + 0.5) * cellHeight)
    }

    /// The cell holding point (x, y), or nil outside the grid. A point on an inner cell edge
    /// belongs to the cell east/south of it; points on the eastern or southern grid edge belong
    /// to the last column/row (so lon = 180 or lat = −90 is inside a global grid).
    public func cell(containingX x: Double, y: Double) -> (column: Int, row: Int)? {
        guard x.isFinite, y.isFinite else { return nil }
        let columnPosition = (x - west) / cellWidth
        let rowPosition = (north - y) / cellHeight
        guard columnPosition >= 0, rowPosition >= 0,
              columnPosition <= Double(columns), rowPosition <= Double(rows) else { return nil }
        return (min(Int(columnPosition), columns - 1), min(Int(rowPosition), rows - 1))
    }

    /// Latitudes (or y) of the northern and southern edges of a row.
    public func rowEdges(_ row: Int) -> (north: Double, south: Double) {
        (north - Double(row) * cellHeight, north - Double(row + 1) * cellHeight)
    }

    public var description: String {
        "\(columns)×\(rows) cells of \(formatNumber(cellWidth))×\(formatNumber(cellHeight)) over \(extent) in \(crs.shortName)"
    }

    /// How this grid differs from `target` (empty when compatible), with tolerances suited to
    /// grids written in single-precision or with rounded cell sizes: cell sizes within 1e-7
    /// (relative), edges within 1/1000 of a target cell, CRS by `SpatialReference.isSame`.
    public func differences(from target: RasterGrid) -> [GridDifference] {
        var found: [GridDifference] = []
        if !crs.isSame(as: target.crs) {
            found.append(.crs(found: crs.shortName, expected: target.crs.shortName))
        }
        let widthMatches = abs(cellWidth - target.cellWidth) <= 1e-7 * target.cellWidth
        let heightMatches = abs(cellHeight - target.cellHeight) <= 1e-7 * target.cellHeight
        if !widthMatches || !heightMatches {
            found.append(.resolution(found: (cellWidth, cellHeight), expected: (target.cellWidth, target.cellHeight)))
        }
        let xTolerance = 1e-3 * target.cellWidth
        let yTolerance = 1e-3 * target.cellHeight
        if abs(west - target.west) > xTolerance || abs(east - target.east) > xTolerance
            || abs(north - target.north) > yTolerance || abs(south - target.south) > yTolerance
            || columns != target.columns || rows != target.rows {
            found.append(.extent(found: extent, foundSize: (columns, rows),
                                 expected: target.extent, expectedSize: (target.columns, target.rows)))
        }
        return found
    }

    /// Throws `RasterError.gridMismatch` — saying which of CRS, extent and resolution differ
    /// and the `soilbeta prepare` command that fixes it — unless the raster at `path`, whose
    /// grid this is, matches `target` (issue 4, item 5; METHOD.md §8).
    public func requireCompatible(with target: RasterGrid, path: String) throws {
        let found = differences(from: target)
        if !found.isEmpty {
            throw RasterError.gridMismatch(GridMismatch(path: path, differences: found, target: target))
        }
    }

    /// Opens every raster in `paths` and checks it against this grid before any work starts
    /// (issue 4 item 5). Throws the first open error, or `RasterError.gridMismatch` /
    /// `.gridMismatches` listing every raster that differs, each with its fix.
    public func requireCompatibleRasters(_ paths: [String]) throws {
        var mismatches: [GridMismatch] = []
        for path in paths {
            let raster = try Raster(path: path)
            let found = raster.grid.differences(from: self)
            if !found.isEmpty { mismatches.append(GridMismatch(path: path, differences: found, target: self)) }
        }
        if mismatches.count == 1 { throw RasterError.gridMismatch(mismatches[0]) }
        if mismatches.count > 1 { throw RasterError.gridMismatches(mismatches) }
    }
}

/// One way in which a raster's grid differs from the target grid.
public enum GridDifference: Sendable, Equatable, CustomStringConvertible {
    /// Different coordinate reference systems (short names).
    case crs(found: String, expected: String)
    /// Different cell sizes (width, height).
    case resolution(found: (Double, Double), expected: (Double, Double))
    /// Different extents or sizes in cells.
    case extent(found: Extent, foundSize: (Int, Int), expected: Extent, expectedSize: (Int, Int))

    /// Which property differs: `"CRS"`, `"resolution"` or `"extent"`.
    public var property: String {
        switch self {
        case .crs: return "CRS"
        case .resolution: return "resolution"
        case .extent: return "extent"
        }
    }

    public var description: String {
        switch self {
        case let .crs(found, expected):
            return "CRS is \(found), the grid's is \(expected)"
        case let .resolution(found, expected):
            return "resolution is \(formatNumber(found.0))×\(formatNumber(found.1)), the grid's is "
                + "\(formatNumber(expected.0))×\(formatNumber(expected.1))"
        case let .extent(found, foundSize, expected, expectedSize):
            return "extent is \(found) (\(foundSize.0)×\(foundSize.1) cells), the grid's is \(expected) "
                + "(\(expectedSize.0)×\(expectedSize.1) cells)"
        }
    }

    public static func == (lhs: GridDifference, rhs: GridDifference) -> Bool {
        switch (lhs, rhs) {
        case let (.crs(a, b), .crs(c, d)): return a == c && b == d
        case let (.resolution(a, b), .resolution(c, d)): return a == c && b == d
        case let (.extent(a, b, c, d), .extent(e, f, g, h)): return a == e && b == f && c == g && d == h
        default: return false
        }
    }
}

/// A raster that does not match the target grid, with the command that aligns it.
public struct GridMismatch: SoilBetaError, Sendable, Equatable {
    /// The offending raster file.
    public let path: String
    /// What differs.
    public let differences: [GridDifference]
    /// The grid it should match.
    public let target: RasterGrid

    /// The `soilbeta prepare` command line that warps the raster onto the target grid.
    public var fixCommand: String {
        let stem = (path as NSString).deletingPathExtension
        var command = "soilbeta prepare --grid \(formatNumber(target.cellWidth))"
        if target.cellHeight != target.cellWidth { command += ",\(formatNumber(target.cellHeight))" }
        command += " --extent \(target.extent)"
        if !target.crs.isSame(as: .wgs84) { command += " --crs \(target.crs.shortName)" }
        command += " --in \(path) --out \(stem)_aligned.tif --resampling bilinear"
        return command
    }

    public var description: String {
        let which = differences.map(\.property).joined(separator: ", ")
        let details = differences.map { "  - \($0)" }.joined(separator: "\n")
        return "\(path): does not match the target grid (\(which) differ\(differences.count == 1 ? "s" : "")):\n"
            + details + "\n"
            + "fix: align it with\n  \(fixCommand)\n"
            + "(use --resampling bilinear for continuous covariates, mode for classes, average for fractions; "
            + "--class-fraction NAME=CODES turns a land-cover map into area fractions)"
    }
}
