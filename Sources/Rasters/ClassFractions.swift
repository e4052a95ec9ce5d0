import Essentials
import CGDAL
import Foundation

/// A named set of class codes of a categorical raster, e.g. `cropland=12,14` for MODIS IGBP
/// croplands and cropland/natural-vegetation mosaics (`--class-fraction`).
public struct ClassGroup: Sendable, Equatable {
    /// The name (used for the output band description and `{name}` in output paths).
    public let name: String
    /// The class codes that belong to it.
    public let codes: [Double]

    /// A named set of class codes (e.g. `cropland` = IGBP 12).
    public init(name: String, codes: [Double]) {
        self.name = name
        self.codes = codes
    }

    /// Parses `NAME=CODE[,CODE…]` with codes as numbers and `A-B` integer ranges
    /// (`forest=1-5` ≡ `forest=1,2,3,4,5`). Throws naming the text.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].trimmingCharacters(in: .whitespaces).isEmpty else {
            throw RasterError.invalidArgument("class fraction '\(text)': expected NAME=CODE,CODE,… (e.g. cropland=12,14)")
        }
        let name = parts[0].trimmingCharacters(in: .whitespaces)
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
            throw RasterError.invalidArgument("class fraction '\(text)': the name may hold only letters, digits, '_' and '-'")
        }
        var codes: [Double] = []
        for item in parts[1].split(separator: ",", omittingEmptySubsequences: false) {
            let token = item.trimmingCharacters(in: .whitespaces)
            if let value = Double(token), value.isFinite {
                codes.append(value)
            } else if let dash = token.dropFirst().firstIndex(of: "-"),
                      let low = Int(token[..<dash]), let high = Int(token[token.index(after: dash)...]), low <= high, high - low < 100_000 {
                codes.append(contentsOf: (low...high).map(Double.init))
            } else {
                throw RasterError.invalidArgument("class fraction '\(text)': '\(token)' is not a class code or a range A-B")
            }
        }
        guard !codes.isEmpty else {
            throw RasterError.invalidArgument("class fraction '\(text)': no class codes given")
        }
        self.init(name: name, codes: codes)
    }
}

/// What `ClassFractionAggregation.write` did.
public struct ClassFractionSummary: Sendable {
    /// Output files, one per group, in group order.
    public let outputPaths: [String]
    /// Target cells with valid (non-nodata) source area.
    public let coveredCells: Int
    /// Target cells without any valid source area (written as nodata).
    public let emptyCells: Int
    /// Whether the source had to be resampled (nearest) onto a finer grid in the target CRS first.
    public let reprojected: Bool
}

/// Area fractions of class groups per target cell from a finer categorical raster
/// (`soilbeta prepare --class-fraction`; issue 4 item 2; METHOD.md §8 "mode/average for
/// classes and fractions").
///
/// Method — exact area-weighted aggregation: for every target cell, the fraction of group G is
/// Σ area(source cell ∩ target cell) over source cells whose class is in G, divided by the same
/// sum over all source cells with a valid (non-nodata) class. In a geographic CRS the areas are
/// ellipsoidal (WGS84 zone areas × longitude overlap; `WGS84Ellipsoid`), otherwise planar. This
/// is exact also when the grids do not nest (e.g. MODIS 0.05° onto 1/12°: 5/3 source cells per
/// target cell), unlike GDAL's `average` of 0/1 masks, which weights by planar overlap.
/// Target cells with no valid source area are nodata (NaN). Fractions are written as Float32
/// in [0, 1], unit `1`. Limitation: both grids must use the same longitude convention
/// (a 0…360° source onto a −180…180° grid only fills the overlapping half; warp it first).
///
/// When the source is in another CRS (e.g. MODIS sinusoidal), it is first resampled with
/// `nearest` onto a grid in the target CRS nested k-fold in the target grid, with k chosen so
/// the intermediate cell is no larger than the source cell (k ≤ 64, and k² × target cells ≤ 4·10⁸,
/// so k ≤ 6 for a global 1/12° grid), and the exact aggregation
/// runs on that grid; the fractions are then exact for the nearest-resampled classes.
public enum ClassFractionAggregation {
    /// Writes one fraction COG per group onto `grid`. `outputPaths` are parallel to `groups`.
    /// When `output.netCDFPath` is set (any value), each group also gets a NetCDF copy named
    /// like its COG with the extension `.nc`.
    /// Streams the target grid row by row (memory ∝ one band of source rows per target row).
    public static func write(sourcePath: String, groups: [ClassGroup], onto grid: RasterGrid, outputPaths: [String],
                             band: Int = 1, output: RasterOutputOptions = RasterOutputOptions()) throws -> ClassFractionSummary {
        guard !groups.isEmpty, groups.count == outputPaths.count else {
            throw RasterError.invalidArgument("class fractions need one output path per class group")
        }
        guard groups.count <= 64 else { throw RasterError.invalidArgument("at most 64 class groups per run") }
        var source = try Raster(path: sourcePath)
        var reprojected = false
        var intermediatePath: String? = nil
        defer { if let intermediatePath { AtomicFile.removeQuietly(intermediatePath) } }
        if !source.grid.crs.isSame(as: grid.crs) {
            let factor = nestingFactor(source: source.grid, target: grid)
            let fine = RasterGrid(west: grid.west, north: grid.north, cellWidth: grid.cellWidth / Double(factor),
                                  cellHeight: grid.cellHeight / Double(factor), columns: grid.columns * factor,
                                  rows: grid.rows * factor, crs: grid.crs)
            let path = AtomicFile.temporaryPath(besides: outputPaths[0], tag: "classes")
            intermediatePath = path
            _ = try RasterAlignment.align(sourcePath: sourcePath, onto: fine, outputPath: path, resampling: .nearest,
                                          output: RasterOutputOptions(blockSize: 512, deflateLevel: 1))
            source = try Raster(path: path)
            reprojected = true
        }
        let noData = try source.noDataValue(band: band)

        let geographic = grid.crs.isGeographic
        let columnPieces = overlaps(sourceStart: source.grid.west, sourceStep: source.grid.cellWidth, sourceCount: source.grid.columns,
                                    targetStart: grid.west, targetStep: grid.cellWidth, targetCount: grid.columns, descending: false)
        let rowPieces = overlaps(sourceStart: source.grid.north, sourceStep: source.grid.cellHeight, sourceCount: source.grid.rows,
                                 targetStart: grid.north, targetStep: grid.cellHeight, targetCount: grid.rows, descending: true)
        // Column overlap widths in radians (geographic) or CRS units; row weights as zone areas.
        let columnScale = geographic ? Double.pi / 180 : 1
        let sourceColumnsUsed: Range<Int> = columnPieces.isEmpty ? 0..<0
            : (columnPieces.map(\.source).min()!)..<(columnPieces.map(\.source).max()! + 1)

        let lookup = ClassLookup(groups: groups)
        var writers: [RasterWriter] = []
        for (index, group) in groups.enumerated() {
            var options = output
            options.dataType = .float32
            options.noDataValue = .nan
            options.bandDescriptions = [group.name]
            options.bandUnits = ["1"]
            if output.netCDFPath != nil {
                options.netCDFPath = (outputPaths[index] as NSString).deletingPathExtension + ".nc"
            }
            options.overviewResampling = "AVERAGE"
            options.metadata["SOILBETA_CLASS_CODES"] = group.codes.map(formatNumber).joined(separator: ",")
            options.metadata["SOILBETA_SOURCE"] = (sourcePath as NSString).lastPathComponent
            options.metadata["SOILBETA_METHOD"] = "exact area-weighted class fraction" + (geographic ? " (WGS84 ellipsoid)" : " (planar)")
                + (reprojected ? " after nearest resampling to the target CRS" : "")
            writers.append(try RasterWriter(path: outputPaths[index], grid: grid, options: options))
        }

        var sourceRowsBuffer: [Double] = []
        var groupArea = [Double](repeating: 0, count: groups.count * grid.columns)
        var validArea = [Double](repeating: 0, count: grid.columns)
        var fractionRow = [Float](repeating: .nan, count: grid.columns)
        var coveredCells = 0
        var rowPieceIndex = 0
        for targetRow in 0..<grid.rows {
            while rowPieceIndex < rowPieces.count && rowPieces[rowPieceIndex].target < targetRow { rowPieceIndex += 1 }
            var pieceEnd = rowPieceIndex
            while pieceEnd < rowPieces.count && rowPieces[pieceEnd].target == targetRow { pieceEnd += 1 }
            for index in groupArea.indices { groupArea[index] = 0 }
            for index in validArea.indices { validArea[index] = 0 }
            if pieceEnd > rowPieceIndex && !sourceColumnsUsed.isEmpty {
                let firstSourceRow = rowPieces[rowPieceIndex].source
                let lastSourceRow = rowPieces[pieceEnd - 1].source
                let rowCount = lastSourceRow - firstSourceRow + 1
                let width = sourceColumnsUsed.count
                if sourceRowsBuffer.count != rowCount * width {
                    sourceRowsBuffer = [Double](repeating: 0, count: rowCount * width)
                }
                try sourceRowsBuffer.withUnsafeMutableBufferPointer { pointer in
                    try source.readWindow(band: band, column: sourceColumnsUsed.lowerBound, row: firstSourceRow,
                                          columnCount: width, rowCount: rowCount, into: pointer)
                }
                sourceRowsBuffer.withUnsafeBufferPointer { values in
                    for piece in rowPieces[rowPieceIndex..<pieceEnd] {
                        let rowWeight = geographic
                            ? abs(WGS84Ellipsoid.zoneAreaPerRadianM2(from: piece.start, to: piece.end))
                            : abs(piece.end - piece.start)
                        let rowOffset = (piece.source - firstSourceRow) * width - sourceColumnsUsed.lowerBound
                        for columnPiece in columnPieces {
                            let value = values[rowOffset + columnPiece.source]
                            if RasterNoData.isMissing(value, noData: noData) { continue }
                            let area = rowWeight * (columnPiece.end - columnPiece.start) * columnScale
                            validArea[columnPiece.target] += area
                            var mask = lookup.groupMask(of: value)
                            while mask != 0 {
                                let group = mask.trailingZeroBitCount
                                groupArea[group * grid.columns + columnPiece.target] += area
                                mask &= mask - 1
                            }
                        }
                    }
                }
            }
            for column in 0..<grid.columns where validArea[column] > 0 { coveredCells += 1 }
            for (group, writer) in writers.enumerated() {
                for column in 0..<grid.columns {
                    let valid = validArea[column]
                    fractionRow[column] = valid > 0 ? Float(min(1, groupArea[group * grid.columns + column] / valid)) : .nan
                }
                try writer.writeRows(firstRow: targetRow, rowCount: 1, from: fractionRow)
            }
            rowPieceIndex = pieceEnd
        }
        try RasterWriter.finishAll(writers)
        return ClassFractionSummary(outputPaths: outputPaths, coveredCells: coveredCells,
                                    emptyCells: grid.cellCount - coveredCells, reprojected: reprojected)
    }

    /// The overlap of one source cell with one target cell along one axis: the source and target
    /// indices and the overlapping interval [start, end] in CRS coordinates.
    struct Overlap: Equatable {
        var source: Int
        var target: Int
        var start: Double
        var end: Double
    }

    /// All non-empty overlaps between two regular 1-D partitions, in order of the target index.
    /// `descending` axes (rows: y decreases with the index) start at the top edge. Overlaps
    /// shorter than 1e-9 of the smaller cell (rounding slivers of coinciding edges) are dropped.
    static func overlaps(sourceStart: Double, sourceStep: Double, sourceCount: Int,
                         targetStart: Double, targetStep: Double, targetCount: Int, descending: Bool) -> [Overlap] {
        let direction: Double = descending ? -1 : 1
        let sliver = 1e-9 * min(sourceStep, targetStep)
        // Work in "distance along the axis from the target start" so both axes increase.
        let offset = (sourceStart - targetStart) * direction
        var result: [Overlap] = []
        var sourceIndex = max(0, Int(((-offset) / sourceStep).rounded(.down)))
        var targetIndex = max(0, Int((offset / targetStep).rounded(.down)))
        while sourceIndex < sourceCount && targetIndex < targetCount {
            let sourceLow = offset + Double(sourceIndex) * sourceStep, sourceHigh = offset + Double(sourceIndex + 1) * sourceStep
            let targetLow = Double(targetIndex) * targetStep, targetHigh = Double(targetIndex + 1) * targetStep
            let low = max(sourceLow, targetLow), high = min(sourceHigh, targetHigh)
            if high - low > sliver {
                result.append(Overlap(source: sourceIndex, target: targetIndex,
                                      start: targetStart + direction * low, end: targetStart + direction * high))
            }
            if sourceHigh < targetHigh - sliver { sourceIndex += 1 }
            else if targetHigh < sourceHigh - sliver { targetIndex += 1 }
            else { sourceIndex += 1; targetIndex += 1 }
        }
        return result
    }

    /// The k of the nested intermediate grid: target cell size / source cell size (in target
    /// units; metres converted at 111 320 m per degree for geographic targets), rounded up, 1…64.
    static func nestingFactor(source: RasterGrid, target: RasterGrid) -> Int {
        var sourceSize = min(source.cellWidth, source.cellHeight)
        if target.crs.isGeographic && !source.crs.isGeographic { sourceSize /= 111_320 }
        if !target.crs.isGeographic && source.crs.isGeographic { sourceSize *= 111_320 }
        let ratio = min(target.cellWidth, target.cellHeight) / sourceSize
        guard ratio.isFinite, ratio > 1 else { return 1 }
        // Keep the intermediate grid within ~400 million cells (e.g. k ≤ 6 for a global 1/12° grid).
        let budget = max(1, Int((4e8 / Double(max(1, target.cellCount))).squareRoot()))
        return max(1, min(64, budget, Int((ratio - 1e-9).rounded(.up))))
    }
}

/// Maps a class value to the bit mask of the groups holding it: a table for integer codes in
/// 0..<65 536 (every land-cover product), a dictionary otherwise.
struct ClassLookup {
    private var table: [UInt64]
    private var other: [Double: UInt64] = [:]

    init(groups: [ClassGroup]) {
        table = [UInt64](repeating: 0, count: 65_536)
        for (index, group) in groups.enumerated() {
            for code in group.codes {
                if code >= 0, code < 65_536, code == code.rounded() {
                    table[Int(code)] |= UInt64(1) << UInt64(index)
                } else {
                    other[code, default: 0] |= UInt64(1) << UInt64(index)
                }
            }
        }
    }

    @inline(__always)
    func groupMask(of value: Double) -> UInt64 {
        if value >= 0, value < 65_536, value == value.rounded(.towardZero) { return table[Int(value)] }
        return other[value] ?? 0
    }
}
