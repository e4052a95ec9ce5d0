import CGDAL
import Dispatch
import Essentials
import Foundation
import Rasters
import Statistics

/// A north-up grid of `Float` values on an equirectangular lon/lat grid (WGS84 degrees), as
/// the report draws it: row 0 is the northern edge, `NaN` marks nodata.
public struct GeoGrid: Sendable {
    /// Number of columns (cells west → east).
    public var columns: Int
    /// Number of rows (cells north → south).
    public var rows: Int
    /// Longitude of the western edge, degrees.
    public var west: Double
    /// Latitude of the northern edge, degrees.
    public var north: Double
    /// Cell width, degrees of longitude (> 0).
    public var cellWidth: Double
    /// Cell height, degrees of latitude (> 0).
    public var cellHeight: Double
    /// Cell values, row-major from the north-west corner; NaN = nodata.
    public var values: [Float]

    /// A grid from its values; `nodata` (when given) is replaced by NaN.
    public init(columns: Int, rows: Int, west: Double, north: Double, cellWidth: Double, cellHeight: Double,
                values: [Float], nodata: Float? = nil) {
        precondition(values.count == columns * rows, "grid needs columns × rows values")
        (self.columns, self.rows, self.west) = (columns, rows, west)
        (self.north, self.cellWidth, self.cellHeight) = (north, cellWidth, cellHeight)
        if let nodata, !nodata.isNaN {
            self.values = values.map { $0 == nodata ? .nan : $0 }
        } else {
            self.values = values
        }
    }

    /// Longitude of the eastern edge, degrees.
    public var east: Double { west + Double(columns) * cellWidth }
    /// Latitude of the southern edge, degrees.
    public var south: Double { north - Double(rows) * cellHeight }

    /// Reads band 1 of a raster (GeoTIFF or anything GDAL reads) through the Rasters target;
    /// its nodata value becomes NaN. Errors name the file.
    public static func read(path: String) throws -> GeoGrid {
        let raster = try Raster(path: path)
        // Pre-sized buffer filled by one GDALRasterIO call (growing an empty array through the
        // generic `readRows` costs seconds per global 1/12° grid).
        var buffer = [Float](repeating: .nan, count: raster.grid.columns * raster.grid.rows)
        try buffer.withUnsafeMutableBufferPointer {
            try raster.readWindow(band: 1, column: 0, row: 0, columnCount: raster.grid.columns, rowCount: raster.grid.rows, into: $0)
        }
        let nodata = try raster.noDataValue(band: 1).map { Float($0) }
        let g = raster.grid
        return GeoGrid(columns: g.columns, rows: g.rows, west: g.west, north: g.north,
                       cellWidth: g.cellWidth, cellHeight: g.cellHeight, values: buffer, nodata: nodata)
    }

    /// The value of the cell containing (lon, lat), or NaN outside the grid.
    @inline(__always) public func value(lon: Double, lat: Double) -> Float {
        let column = Int(((lon - west) / cellWidth).rounded(.down))
        let row = Int(((north - lat) / cellHeight).rounded(.down))
        guard column >= 0, column < columns, row >= 0, row < rows else { return .nan }
        return values[row * columns + column]
    }

    /// The grid reduced so that it is at most `maxColumns` wide: square blocks of
    /// `f = ⌈columns / maxColumns⌉` cells are replaced by the mean of their non-NaN values
    /// (NaN when all are NaN); edge blocks may be partial. `f = 1` returns the grid itself.
    /// E.g. a global 1/12° grid (4320 × 2160) at 1440 columns becomes 1440 × 720 (1/4°).
    public func blockMean(maxColumns: Int) -> GeoGrid {
        let factor = max(1, (columns + maxColumns - 1) / max(maxColumns, 1))
        if factor == 1 { return self }
        let outColumns = (columns + factor - 1) / factor, outRows = (rows + factor - 1) / factor
        var out = [Float](repeating: .nan, count: outColumns * outRows)
        let inColumns = columns, inRows = rows
        values.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                let source = UncheckedBox(input)
                let target = SharedBuffer(pointer: output)
                DispatchQueue.concurrentPerform(iterations: outRows) { outRow in
                    var sums = [Double](repeating: 0, count: outColumns)
                    var counts = [Int](repeating: 0, count: outColumns)
                    let firstRow = outRow * factor, lastRow = min(firstRow + factor, inRows)
                    for row in firstRow..<lastRow {
                        let rowStart = row * inColumns
                        for column in 0..<inColumns {
                            let v = source.value[rowStart + column]
                            if !v.isNaN {
                                sums[column / factor] += Double(v)
                                counts[column / factor] += 1
                            }
                        }
                    }
                    for c in 0..<outColumns where counts[c] > 0 {
                        target.pointer[outRow * outColumns + c] = Float(sums[c] / Double(counts[c]))
                    }
                }
            }
        }
        return GeoGrid(columns: outColumns, rows: outRows, west: west, north: north,
                       cellWidth: cellWidth * Double(factor), cellHeight: cellHeight * Double(factor), values: out)
    }

    /// The `probability` quantile (0…1) of the non-NaN values, R `quantile(type = 7)`, or nil
    /// when there are none.
    public func quantile(_ probability: Double) -> Double? {
        finiteQuantilesType7(values.map(Double.init), [probability])[0]
    }
}

/// Quantiles of the finite values of `data` by R's default definition (type 7, Statistics'
/// `quantileType7`), for colour scales of maps that hold NaN nodata; probabilities are clamped
/// to 0…1; nil when no finite value remains.
func finiteQuantilesType7(_ data: [Double], _ probabilities: [Double]) -> [Double?] {
    let sorted = data.filter { $0.isFinite }.sorted()
    guard !sorted.isEmpty else { return probabilities.map { _ in nil } }
    return probabilities.map { quantileType7(sortedValues: sorted, probability: min(max($0, 0), 1)) }
}

/// An 8-bit RGBA colour.
public struct RGBA: Sendable, Equatable {
    /// Red, green, blue, alpha (0 = transparent).
    public var red, green, blue, alpha: UInt8
    /// A colour from its four channels.
    public init(_ red: UInt8, _ green: UInt8, _ blue: UInt8, _ alpha: UInt8 = 255) {
        (self.red, self.green, self.blue) = (red, green, blue)
        self.alpha = alpha
    }
    /// Fully transparent.
    public static let transparent = RGBA(0, 0, 0, 0)
}

/// The colours of map cells without a value (issue 5: "ocean/no-ecosystem drawn distinctly").
public enum MapBackground {
    /// Ocean (no land in the land/area raster): very light blue-grey.
    public static let ocean = RGBA(236, 240, 244)
    /// Land where this ecosystem does not occur: mid grey.
    public static let landWithoutValue = RGBA(190, 190, 190)
    /// Land on the site map (Fig. 1): light grey, so that coloured points stand out.
    public static let siteMapLand = RGBA(212, 212, 212)
}

/// Colours a grid for display as an RGBA image (`columns × rows × 4` bytes, row-major): the
/// colours of `renderMapIndexed` (viridis over `range`, clamped; NaN cells transparent, or land
/// without this ecosystem / ocean when a `land` grid is given) looked up in `MapPalette.colors`.
public func renderMapRGBA(_ grid: GeoGrid, range: ClosedRange<Double>, land: GeoGrid? = nil) -> [UInt8] {
    rgbaPixels(indices: renderMapIndexed(grid, range: range, land: land), palette: MapPalette.colors)
}

/// The land/ocean background of the site map (Fig. 1) as palette indices: 0 where the land grid
/// is > 0, 1 elsewhere (palette `[MapBackground.siteMapLand, MapBackground.ocean]`).
public func landIndices(_ land: GeoGrid) -> [UInt8] {
    land.values.map { (!$0.isNaN && $0 > 0) ? 0 : 1 }
}

/// The land/ocean background of the site map (Fig. 1) as RGBA: cells > 0 are land, others ocean.
public func renderLandRGBA(_ land: GeoGrid) -> [UInt8] {
    rgbaPixels(indices: landIndices(land), palette: [MapBackground.siteMapLand, MapBackground.ocean])
}

/// Palette indices expanded to RGBA bytes (4 per index).
func rgbaPixels(indices: [UInt8], palette: [RGBA]) -> [UInt8] {
    var pixels = [UInt8](repeating: 0, count: indices.count * 4)
    for (i, index) in indices.enumerated() {
        let colour = palette[Int(index)]
        pixels[4 * i] = colour.red
        pixels[4 * i + 1] = colour.green
        pixels[4 * i + 2] = colour.blue
        pixels[4 * i + 3] = colour.alpha
    }
    return pixels
}

/// Errors of the report's image encoding.
public struct ImageEncodingError: SoilBetaError {
    /// What failed, with GDAL's message.
    public let description: String
}

/// Encodes an RGBA image (`width × height × 4` bytes, row-major) as a deflate-compressed PNG
/// through GDAL's PNG driver (a MEM dataset copied with `GDALCreateCopy` into `/vsimem/`).
/// Thread-safe (each call uses its own in-memory file).
public func encodePNG(rgba: [UInt8], width: Int, height: Int) throws -> [UInt8] {
    precondition(rgba.count == width * height * 4, "RGBA buffer must hold width × height × 4 bytes")
    return try encodePNGThroughGDAL(width: width, height: height, bands: 4) { dataset in
        var buffer = rgba
        let written = buffer.withUnsafeMutableBytes { bytes in
            GDALDatasetRasterIO(dataset, GF_Write, 0, 0, Int32(width), Int32(height), bytes.baseAddress,
                                Int32(width), Int32(height), GDT_Byte, 4, nil, 4, Int32(width * 4), 1)
        }
        guard written == CE_None else { throw ImageEncodingError(description: "GDAL could not fill the in-memory image") }
        GDALSetRasterColorInterpretation(GDALGetRasterBand(dataset, 4), GCI_AlphaBand)
    }
}

/// Creates an in-memory byte image of `bands` bands, lets `fill` write its pixels (and colour
/// table), and returns it encoded by GDAL's PNG driver (`GDALCreateCopy` into a `/vsimem/` file
/// of its own, so concurrent calls do not interfere).
func encodePNGThroughGDAL(width: Int, height: Int, bands: Int32, fill: (GDALDatasetH) throws -> Void) throws -> [UInt8] {
    GDALEnvironment.ensureRegistered()
    guard let memDriver = GDALGetDriverByName("MEM"), let pngDriver = GDALGetDriverByName("PNG") else {
        throw ImageEncodingError(description: "GDAL has no MEM or PNG driver")
    }
    guard let dataset = GDALCreate(memDriver, "", Int32(width), Int32(height), bands, GDT_Byte, nil) else {
        throw ImageEncodingError(description: "GDAL could not create a \(width)×\(height) in-memory image")
    }
    defer { GDALClose(dataset) }
    try fill(dataset)
    let path = "/vsimem/soilbeta-report-\(UUID().uuidString).png"
    defer {
        VSIUnlink(path)
        VSIUnlink(path + ".aux.xml")
    }
    guard let copy = GDALCreateCopy(pngDriver, path, dataset, 0, nil, nil, nil) else {
        throw ImageEncodingError(description: "GDAL's PNG driver failed: " + String(cString: CPLGetLastErrorMsg()))
    }
    GDALClose(copy)
    var length: vsi_l_offset = 0
    guard let bytes = VSIGetMemFileBuffer(path, &length, 1) else {
        throw ImageEncodingError(description: "GDAL wrote no PNG bytes")
    }
    defer { VSIFree(bytes) }
    return Array(UnsafeBufferPointer(start: bytes, count: Int(length)))
}

/// The palette of indexed map images: indices 0…252 are viridis from the low to the high end
/// of the colour scale, then land without a value, ocean, and transparent (nodata).
public enum MapPalette {
    /// Number of viridis levels (indices 0…252).
    public static let viridisLevels = 253
    /// Index of "land without this ecosystem".
    public static let landIndex: UInt8 = 253
    /// Index of ocean.
    public static let oceanIndex: UInt8 = 254
    /// Index of transparent nodata.
    public static let transparentIndex: UInt8 = 255

    /// The 256 palette colours.
    public static let colors: [RGBA] = {
        var colors = (0..<viridisLevels).map { level -> RGBA in
            let c = Viridis.rgb(at: Double(level) / Double(viridisLevels - 1))
            return RGBA(c.red, c.green, c.blue)
        }
        colors.append(MapBackground.landWithoutValue)
        colors.append(MapBackground.ocean)
        colors.append(.transparent)
        return colors
    }()
}

/// Colours a grid as palette indices (`MapPalette`), one byte per cell: values in `range` are
/// mapped linearly onto the 253 viridis levels (values outside are clamped); NaN cells are
/// transparent, or — when a `land` grid is given — "land without this ecosystem" where `land`
/// is > 0 at the cell centre and ocean elsewhere. A quarter of the RGBA size, so that a report
/// with six 1440 × 720 maps stays far below 20 MB even for noisy maps.
///
/// With `hatchWhereBelowHalf` (a grid of the same shape, e.g. the share of a display cell inside the area of
/// applicability), cells where it is < 0.5 are hatched: every fourth diagonal drawn in the land grey.
public func renderMapIndexed(_ grid: GeoGrid, range: ClosedRange<Double>, land: GeoGrid? = nil,
                             hatchWhereBelowHalf hatch: GeoGrid? = nil) -> [UInt8] {
    var indices = [UInt8](repeating: MapPalette.transparentIndex, count: grid.columns * grid.rows)
    let low = range.lowerBound, span = max(range.upperBound - range.lowerBound, .leastNormalMagnitude)
    let columns = grid.columns, top = Double(MapPalette.viridisLevels - 1)
    grid.values.withUnsafeBufferPointer { values in
        indices.withUnsafeMutableBufferPointer { out in
            let source = UncheckedBox(values)
            let target = SharedBuffer(pointer: out)
            DispatchQueue.concurrentPerform(iterations: grid.rows) { row in
                let lat = grid.north - (Double(row) + 0.5) * grid.cellHeight
                for column in 0..<columns {
                    let index = row * columns + column
                    let v = source.value[index]
                    if !v.isNaN {
                        let f = min(max((Double(v) - low) / span, 0), 1)
                        target.pointer[index] = UInt8((f * top).rounded())
                        if let hatch, hatch.values.count == grid.values.count, hatch.values[index] < 0.5, (row + column) % 4 == 0 {
                            target.pointer[index] = MapPalette.landIndex
                        }
                    } else if let land {
                        let l = land.value(lon: grid.west + (Double(column) + 0.5) * grid.cellWidth, lat: lat)
                        target.pointer[index] = (!l.isNaN && l > 0) ? MapPalette.landIndex : MapPalette.oceanIndex
                    }
                }
            }
        }
    }
    return indices
}

/// Encodes a paletted image (`width × height` indices into `palette`, ≤ 256 colours; alpha
/// < 255 becomes PNG transparency) as a deflate-compressed PNG through GDAL's PNG driver.
public func encodeIndexedPNG(indices: [UInt8], width: Int, height: Int, palette: [RGBA]) throws -> [UInt8] {
    precondition(indices.count == width * height, "index buffer must hold width × height bytes")
    precondition(!palette.isEmpty && palette.count <= 256, "a PNG palette holds 1…256 colours")
    return try encodePNGThroughGDAL(width: width, height: height, bands: 1) { dataset in
        let band = GDALGetRasterBand(dataset, 1)
        var buffer = indices
        let written = buffer.withUnsafeMutableBytes { bytes in
            GDALRasterIO(band, GF_Write, 0, 0, Int32(width), Int32(height), bytes.baseAddress, Int32(width), Int32(height), GDT_Byte, 0, 0)
        }
        guard written == CE_None else { throw ImageEncodingError(description: "GDAL could not fill the in-memory image") }
        let table = GDALCreateColorTable(GPI_RGB)
        defer { GDALDestroyColorTable(table) }
        for (i, c) in palette.enumerated() {
            var entry = GDALColorEntry(c1: Int16(c.red), c2: Int16(c.green), c3: Int16(c.blue), c4: Int16(c.alpha))
            GDALSetColorEntry(table, Int32(i), &entry)
        }
        GDALSetRasterColorTable(band, table)
        GDALSetRasterColorInterpretation(band, GCI_PaletteIndex)
    }
}

/// A `data:` URI of PNG bytes (base64), for embedding maps in the self-contained report.
public func pngDataURI(_ png: [UInt8]) -> String {
    "data:image/png;base64," + Data(png).base64EncodedString()
}

/// A horizontal colour bar for a viridis map: gradient, nice ticks with labels within
/// `range`, and a title with units (e.g. "β (–)" or "SOCD 20–100 cm (Mg C ha⁻¹)").
public func colorBarSVG(range: ClosedRange<Double>, title: String, width: Double = 360) -> String {
    let left = 16.0, right = 16.0, barTop = 22.0, barHeight = 14.0
    let barWidth = width - left - right
    let height = barTop + barHeight + 22
    let id = "viridis-gradient"
    var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"colorbar\" width=\"\(svgNumber(width))\" height=\"\(svgNumber(height))\" viewBox=\"0 0 \(svgNumber(width)) \(svgNumber(height))\" role=\"img\"><title>\(xmlEscaped(title))</title>"
    s += "<defs><linearGradient id=\"\(id)\" x1=\"0\" x2=\"1\" y1=\"0\" y2=\"0\">"
    for k in 0...16 {
        let t = Double(k) / 16
        s += "<stop offset=\"\(svgNumber(t * 100))%\" stop-color=\"\(Viridis.hex(at: t))\"/>"
    }
    s += "</linearGradient></defs>"
    s += "<text x=\"\(svgNumber(width / 2))\" y=\"14\" text-anchor=\"middle\" font-size=\"12\">\(xmlEscaped(title))</text>"
    s += "<rect x=\"\(svgNumber(left))\" y=\"\(svgNumber(barTop))\" width=\"\(svgNumber(barWidth))\" height=\"\(svgNumber(barHeight))\" fill=\"url(#\(id))\" stroke=\"#666\" stroke-width=\"0.5\"/>"
    let low = range.lowerBound, high = range.upperBound
    let span = high - low
    let ticks = span > 0
        ? XYPlot.axisTicks(fixed: low...high, data: [], length: barWidth, labelExtent: XYPlot.horizontalLabelExtent).ticks : [low]
    let labels = Ticks.labels(ticks.count > 1 ? ticks : Ticks.pretty(low, high))
    for (k, tick) in ticks.enumerated() {
        let x = left + (span > 0 ? (tick - low) / span : 0.5) * barWidth
        s += "<line x1=\"\(svgNumber(x))\" y1=\"\(svgNumber(barTop + barHeight))\" x2=\"\(svgNumber(x))\" y2=\"\(svgNumber(barTop + barHeight + 4))\" stroke=\"#333\"/>"
        let label = ticks.count > 1 ? labels[k] : Ticks.label(tick, decimals: 3)
        s += "<text x=\"\(svgNumber(x))\" y=\"\(svgNumber(barTop + barHeight + 16))\" text-anchor=\"middle\" font-size=\"11\">\(xmlEscaped(label))</text>"
    }
    s += "</svg>"
    return s
}
