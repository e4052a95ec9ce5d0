import Essentials
import CGDAL
import Foundation
import Rasters
import SoilProfiles
import Statistics
import Testing
@testable import Report

// Reference values below were computed with R 4.2 (Debian r-base-core) and viridisLite:
//   pretty(c(lo, hi))                            — Ticks.pretty
//   quantile(c(3.1,0.2,5.7,2.2,9.9,4.4,7.0), c(.02,.05,.5,.95,.98), type = 7)
//   o <- c(0.97,0.975,0.98,0.968,0.972); p <- c(0.971,0.973,0.978,0.97,0.975)
//   1 - sum((o-p)^2)/sum((o-mean(o))^2); sqrt(mean((o-p)^2))
//   viridisLite::viridis(11)

@Suite struct TicksTests {
    @Test(arguments: [
        (0.0, 1.0, [0, 0.2, 0.4, 0.6, 0.8, 1.0]),
        (0.96, 0.99, [0.96, 0.965, 0.97, 0.975, 0.98, 0.985, 0.99]),
        (-3.2, 7.9, [-4, -2, 0, 2, 4, 6, 8]),
        (0.9645, 0.9831, [0.96, 0.965, 0.97, 0.975, 0.98, 0.985]),
        (0.0, 100.0, [0, 20, 40, 60, 80, 100]),
        (12.3, 12.3, [10, 20]),
        (-0.004, 0.0031, [-0.004, -0.002, 0, 0.002, 0.004]),
        (1.5, 2345.6, [0, 500, 1000, 1500, 2000, 2500]),
        (0.0, 0.0, [-1, 0]),
        (-57.0, -3.0, [-60, -50, -40, -30, -20, -10, 0]),
    ] as [(Double, Double, [Double])])
    func matchesRPretty(low: Double, high: Double, expected: [Double]) {
        let ticks = Ticks.pretty(low, high)
        #expect(ticks.count == expected.count, "pretty(\(low), \(high)) = \(ticks)")
        for (a, b) in zip(ticks, expected) { #expect(abs(a - b) <= 1e-12 * max(1, abs(b)), "pretty(\(low), \(high)) = \(ticks)") }
    }

    @Test func extremeAndNonFiniteRangesDoNotTrap() {
        #expect(Ticks.pretty(-1e308, 1e308) == [-1e308, 1e308])
        #expect(Ticks.pretty(.nan, .nan).count >= 2)
        #expect(Ticks.pretty(.infinity, 3) == Ticks.pretty(3, 3))
        #expect(Ticks.pretty(1e-300, 2e-300).count >= 2)
    }

    @Test func labelsUseTheDecimalsOfTheStep() {
        #expect(Ticks.labels([0.96, 0.965, 0.97]) == ["0.960", "0.965", "0.970"])
        #expect(Ticks.labels([0, 500, 1000]) == ["0", "500", "1000"])
        #expect(Ticks.labels([-0.2, 0, 0.2]) == ["-0.2", "0.0", "0.2"])
        #expect(Ticks.label(-0.0000001, decimals: 2) == "0.00")
    }
}

@Suite struct ViridisTests {
    /// viridisLite::viridis(11) in R.
    static let viridisLite11 = ["440154", "482576", "414487", "35608D", "2A788E", "21908C", "22A884", "43BF71", "7AD151", "BBDF27", "FDE725"]

    @Test func agreesWithViridisLite() {
        for (k, hex) in ViridisTests.viridisLite11.enumerated() {
            let expected = [0, 2, 4].map { UInt8(hex.dropFirst($0).prefix(2), radix: 16)! }
            let c = Viridis.rgb(at: Double(k) / 10)
            for (got, want) in zip([c.red, c.green, c.blue], expected) {
                #expect(abs(Int(got) - Int(want)) <= 1, "viridis(\(Double(k) / 10)) = \(c), viridisLite \(hex)")
            }
        }
        #expect(Viridis.count == 256)
        #expect(Viridis.hex(at: 0) == "#440154")
        #expect(Viridis.hex(at: 2) == "#fde725")
    }

    @Test func lightnessIncreasesMonotonically() {
        // Perceptual uniformity implies a monotone lightness ramp; use the Rec. 709 luma as a proxy.
        var previous = -1.0
        for k in 0...64 {
            let c = Viridis.rgb(at: Double(k) / 64)
            let luma = 0.2126 * Double(c.red) + 0.7152 * Double(c.green) + 0.0722 * Double(c.blue)
            #expect(luma >= previous - 0.5)
            previous = luma
        }
    }
}

@Suite struct StatisticsForFiguresTests {
    @Test func quantilesMatchRType7() {
        // The colour-scale quantiles of a map: NaN nodata cells are left out.
        let nan = Float.nan
        let grid = GeoGrid(columns: 9, rows: 1, west: 0, north: 1, cellWidth: 1, cellHeight: 1,
                           values: [3.1, nan, 0.2, 5.7, 2.2, 9.9, nan, 4.4, 7.0])
        let q = [0.02, 0.05, 0.5, 0.95, 0.98].map { grid.quantile($0) }
        let expected = [0.44000000000000022, 0.80000000000000016, 4.40000000000000036, 9.02999999999999758, 9.55199999999999960]
        // Float32 cells: 3.1 etc. are stored to about 1e-7.
        for (a, b) in zip(q, expected) { #expect(abs(a! - b) < 1e-6) }
        #expect(finiteQuantilesType7([.nan], [0.5]) == [nil])
        #expect(finiteQuantilesType7([3.1, 0.2, .nan, 5.7], [0.5]) == [3.1])
    }

    @Test func fitStatisticsMatchR() {
        let fit = PredictionSkill(observed: [0.97, 0.975, 0.98, 0.968, 0.972, .nan], predicted: [0.971, 0.973, 0.978, 0.97, 0.975, 0.9])
        #expect(abs(fit.r2 - 0.75) < 1e-12)
        #expect(abs(fit.rmse - 0.0020976176963403048) < 1e-15)
        #expect(fit.count == 5)
    }
}

@Suite struct SVGPlotTests {
    func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    @Test func scatterDrawsOneCirclePerFinitePointAndEscapesText() {
        let plot = XYPlot(title: "β <test> & more", xLabel: "MAT (°C)", yLabel: "β (–)",
                          layers: [.points(x: [1, 2, .nan, 4], y: [0.97, 0.98, 0.99, .infinity], color: "#f00", label: "cropland")],
                          showLegend: false)
        let svg = plot.svg()
        #expect(count("<circle", in: svg) == 2)
        #expect(svg.contains("β &lt;test&gt; &amp; more"))
        #expect(svg.contains(">MAT (°C)<"))
        #expect(!svg.contains("nan") && !svg.contains("inf"))
    }

    @Test func depthProfileHasDepthIncreasingDownwards() throws {
        let svg = depthProfilePlot(layerDensities: [("cropland", [30, 20, 15, 10, 8])]).svg()
        // Data circles are in the order of the layers; their cy must increase (SVG y grows downwards).
        let ys = svg.components(separatedBy: "<circle ").dropFirst().compactMap { part -> Double? in
            guard let r = part.range(of: "cy=\"") else { return nil }
            return Double(part[r.upperBound...].prefix { $0 != "\"" })
        }
        let data = Array(ys.prefix(5))
        #expect(data.count == 5)
        #expect(data == data.sorted() && data.first! < data.last!)
        #expect(svg.contains(">Depth (cm)<"))
    }

    @Test func observedVersusPredictedAnnotatesFitAndUsesEqualAxes() {
        let svg = observedVersusPredictedPlot(title: "CL", observed: [0.97, 0.975, 0.98, 0.968, 0.972],
                                              predicted: [0.971, 0.973, 0.978, 0.97, 0.975], color: "#d62728").svg()
        #expect(svg.contains("R² = 0.750"))
        #expect(svg.contains("RMSE = 0.0021"))
        #expect(svg.contains("stroke-dasharray=\"5 3\""))  // the 1:1 line
    }

    /// The x-axis tick labels of an SVG plot (centred 11-px texts): position and text.
    func xTickLabels(_ svg: String) -> [(x: Double, text: String)] {
        svg.components(separatedBy: "<text x=\"").dropFirst().compactMap { part -> (x: Double, text: String)? in
            guard let close = part.firstIndex(of: ">"), part[..<close].contains("text-anchor=\"middle\" font-size=\"11\""),
                  let end = part.range(of: "</text>"), let x = Double(part.prefix { $0 != "\"" }) else { return nil }
            return (x, String(part[part.index(after: close)..<end.lowerBound]))
        }
    }

    @Test func xTickLabelsDoNotOverlapOnANarrowPanel() {
        // β from 0.951 to 0.984 in a 240-px panel: R's pretty(c(0.951, 0.984)) gives 0.950, 0.955,
        // …, 0.985 (8 labels of 5 characters on a 164-px axis, 23 px apart), which overlap. Even
        // at a narrow 0.5 em per character an 11-px label "0.950" is 27.5 px wide.
        let beta = [0.951, 0.96, 0.97, 0.984]
        let narrow = XYPlot(title: "", xLabel: "β", yLabel: "y", layers: [.points(x: beta, y: [1, 2, 3, 4], color: "#000", label: nil)],
                            width: 240, height: 200, showLegend: false).svg()
        let labels = xTickLabels(narrow)
        #expect(labels.count >= 3)
        for (a, b) in zip(labels, labels.dropFirst()) {
            let needed = Double(a.text.count + b.text.count) / 2 * 11 * 0.5 + 2
            #expect(b.x - a.x >= needed, "labels \(a.text) at \(a.x) and \(b.text) at \(b.x) overlap")
        }
        #expect(Double(labels.first!.text)! <= 0.951 && Double(labels.last!.text)! >= 0.984)
        // The same panel also in the observed-vs-predicted layout (equal axes) at that width.
        var cv = observedVersusPredictedPlot(title: "CL", observed: beta, predicted: beta.reversed(), color: "#d62728")
        cv.width = 240
        let cvLabels = xTickLabels(cv.svg())
        #expect(cvLabels.count >= 3)
        for (a, b) in zip(cvLabels, cvLabels.dropFirst()) {
            #expect(b.x - a.x >= Double(a.text.count + b.text.count) / 2 * 11 * 0.5 + 2)
        }
        // Where the labels fit, the ticks stay those of R: pretty(c(0.951, 0.984)) = seq(0.95, 0.985, 0.005).
        let wide = XYPlot(title: "", xLabel: "β", yLabel: "y", layers: [.points(x: beta, y: [1, 2, 3, 4], color: "#000", label: nil)],
                          width: 600, height: 200, showLegend: false).svg()
        #expect(xTickLabels(wide).map(\.text) == ["0.950", "0.955", "0.960", "0.965", "0.970", "0.975", "0.980", "0.985"])
    }

    @Test func barChartDrawsEveryBarWithItsValue() {
        let svg = BarChart(title: "", categories: ["MAT", "SOC", "pH"], values: [50, 30, 20], valueLabel: "Relative contribution (%)").svg()
        #expect(count("<rect", in: svg) == 3)
        #expect(svg.contains(">50.0<") && svg.contains(">30.0<") && svg.contains(">20.0<"))
    }
}

/// Opens PNG bytes with GDAL's PNG reader (through a temporary file) and passes the dataset to
/// `body`; the dataset is closed afterwards.
func withPNGOpenedByGDAL(_ png: [UInt8], _ body: (GDALDatasetH) throws -> Void) throws {
    let folder = try TemporaryFolder()
    let file = folder.file("decoded.png")
    try Data(png).write(to: URL(fileURLWithPath: file))
    GDALEnvironment.ensureRegistered()
    let dataset = try #require(GDALOpen(file, GA_ReadOnly))
    defer { GDALClose(dataset) }
    try body(dataset)
}

@Suite struct MapTests {
    @Test func blockMeanAveragesNonMissingCells() {
        // 5 × 3 grid, factor ⌈5/2⌉ = 3 → 2 × 1 output; by hand:
        //   block 1 = columns 0–2 of all rows, block 2 = columns 3–4 (partial).
        let nan = Float.nan
        let grid = GeoGrid(columns: 5, rows: 3, west: 0, north: 3, cellWidth: 1, cellHeight: 1, values: [
            1, 2, 3, 4, nan,
            4, nan, 6, nan, nan,
            7, 8, 9, 10, -9999,
        ], nodata: -9999)
        let reduced = grid.blockMean(maxColumns: 2)
        #expect(reduced.columns == 2 && reduced.rows == 1)
        #expect(reduced.cellWidth == 3 && reduced.cellHeight == 3)
        #expect(abs(reduced.values[0] - 40.0 / 8) < 1e-6)
        #expect(abs(reduced.values[1] - 7) < 1e-6)
        let allMissing = GeoGrid(columns: 2, rows: 2, west: 0, north: 2, cellWidth: 1, cellHeight: 1, values: [nan, nan, nan, nan])
        #expect(allMissing.blockMean(maxColumns: 1).values[0].isNaN)
        #expect(grid.value(lon: 3.5, lat: 2.5) == 4)
        #expect(grid.value(lon: 5.5, lat: 2.5).isNaN)
    }

    @Test func colouringUsesViridisAndDistinctBackgrounds() {
        let nan = Float.nan
        let grid = GeoGrid(columns: 4, rows: 1, west: 0, north: 1, cellWidth: 1, cellHeight: 1, values: [0, 10, nan, nan])
        let land = GeoGrid(columns: 4, rows: 1, west: 0, north: 1, cellWidth: 1, cellHeight: 1, values: [1, 1, 1, nan])
        let rgba = renderMapRGBA(grid, range: 0...10, land: land)
        #expect(Array(rgba[0..<4]) == [68, 1, 84, 255])       // viridis start
        #expect(Array(rgba[4..<8]) == [253, 231, 37, 255])    // viridis end
        let l = MapBackground.landWithoutValue, o = MapBackground.ocean
        #expect(Array(rgba[8..<12]) == [l.red, l.green, l.blue, 255])
        #expect(Array(rgba[12..<16]) == [o.red, o.green, o.blue, 255])
        #expect(l != o)
        let bare = renderMapRGBA(grid, range: 0...10)
        #expect(bare[11] == 0 && bare[15] == 0)              // nodata transparent without a land grid
    }

    @Test func pngRoundTripsThroughGDAL() throws {
        let width = 40, height = 20
        var rgba = [UInt8](repeating: 0, count: width * height * 4)
        for i in 0..<(width * height) {
            rgba[4 * i] = UInt8(i % 256)
            rgba[4 * i + 1] = UInt8((i / width) * 10)
            rgba[4 * i + 2] = 200
            rgba[4 * i + 3] = i % 7 == 0 ? 0 : 255
        }
        let png = try encodePNG(rgba: rgba, width: width, height: height)
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // Decode with GDAL's PNG reader (independent of the encoder's MEM → CreateCopy path).
        try withPNGOpenedByGDAL(png) { dataset in
            #expect(GDALGetRasterCount(dataset) == 4)
            #expect(GDALGetRasterXSize(dataset) == Int32(width) && GDALGetRasterYSize(dataset) == Int32(height))
            var decoded = [UInt8](repeating: 0, count: width * height * 4)
            let status = decoded.withUnsafeMutableBytes {
                GDALDatasetRasterIO(dataset, GF_Read, 0, 0, Int32(width), Int32(height), $0.baseAddress,
                                    Int32(width), Int32(height), GDT_Byte, 4, nil, 4, Int32(width * 4), 1)
            }
            #expect(status == CE_None)
            #expect(decoded == rgba)
        }
        // Deflate: a flat image compresses far below its raw size.
        let flat = try encodePNG(rgba: [UInt8](repeating: 128, count: 400 * 200 * 4), width: 400, height: 200)
        #expect(flat.count < 400 * 200 * 4 / 50)
    }

    @Test func colorBarLabelsNiceTicksInsideTheRange() {
        let svg = colorBarSVG(range: 0.9645...0.9831, title: "β (–)")
        for label in ["0.965", "0.970", "0.975", "0.980"] { #expect(svg.contains(">\(label)<")) }
        #expect(!svg.contains(">0.960<") && !svg.contains(">0.985<"))
        #expect(svg.contains(">β (–)<"))
    }
}

@Suite struct IndexedMapTests {
    @Test func indicesFollowTheScaleAndBackgrounds() {
        let nan = Float.nan
        let grid = GeoGrid(columns: 5, rows: 1, west: 0, north: 1, cellWidth: 1, cellHeight: 1, values: [0, 5, 10, nan, nan])
        let land = GeoGrid(columns: 5, rows: 1, west: 0, north: 1, cellWidth: 1, cellHeight: 1, values: [1, 1, 1, 1, nan])
        #expect(renderMapIndexed(grid, range: 0...10, land: land) == [0, 126, 252, MapPalette.landIndex, MapPalette.oceanIndex])
        #expect(renderMapIndexed(grid, range: 0...10)[3] == MapPalette.transparentIndex)
        #expect(MapPalette.colors.count == 256)
        #expect(MapPalette.colors[0] == RGBA(68, 1, 84) && MapPalette.colors[252] == RGBA(253, 231, 37))
    }

    @Test func indexedPNGDecodesToThePaletteColoursWithTransparency() throws {
        let width = 6, height = 3
        let indices: [UInt8] = (0..<(width * height)).map { [0, 100, 252, 253, 254, 255][$0 % 6] }
        let png = try encodeIndexedPNG(indices: indices, width: width, height: height, palette: MapPalette.colors)
        // Decode with GDAL's PNG reader and its own colour table handling.
        try withPNGOpenedByGDAL(png) { dataset in
            let band = GDALGetRasterBand(dataset, 1)
            let table = try #require(GDALGetRasterColorTable(band))
            var decoded = [UInt8](repeating: 0, count: width * height)
            _ = decoded.withUnsafeMutableBytes {
                GDALRasterIO(band, GF_Read, 0, 0, Int32(width), Int32(height), $0.baseAddress, Int32(width), Int32(height), GDT_Byte, 0, 0)
            }
            #expect(decoded == indices)
            for index in [0, 100, 252, 253, 254, 255] {
                let entry = try #require(GDALGetColorEntry(table, Int32(index))).pointee
                let want = MapPalette.colors[index]
                #expect([entry.c1, entry.c2, entry.c3].map(Int.init) == [want.red, want.green, want.blue].map(Int.init))
                #expect(Int(entry.c4) == (index == 255 ? 0 : 255))
            }
        }
    }
}

@Suite struct ReportSizeBoundTests {
    /// The size budget (issue 5: report < 20 MB): an indexed map costs at most about one byte
    /// per pixel even for incompressible noise, so six 1440 × 720 maps plus the site map stay
    /// below 7 × 1440 × 720 × 4/3 (base64) ≈ 9.7 MB.
    @Test func noisyIndexedMapCostsAboutOneBytePerPixel() throws {
        let width = 1440, height = 720
        var generator = SplitMix64(seed: 7)
        let indices = (0..<(width * height)).map { _ in UInt8(truncatingIfNeeded: generator.next() % 253) }
        let png = try encodeIndexedPNG(indices: indices, width: width, height: height, palette: MapPalette.colors)
        #expect(png.count < width * height + width * height / 50 + 4096, "\(png.count) bytes")
        #expect(7 * pngDataURI(png).utf8.count < 20 * 1_048_576)
    }
}
