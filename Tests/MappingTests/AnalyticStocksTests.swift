import Forest
import Foundation
import Mapping
import RunModel
import Rasters
import Testing

/// Closed-form checks (issue 4 acceptance): constant β and topsoil density over a latitude band.
@Suite struct AnalyticStocksTests {
    /// Area (m²) of the WGS84 zone between two latitudes, all longitudes, by the closed form
    /// A = π b² [ sinφ / (1 − e² sin²φ) + ln((1 + e sinφ) / (1 − e sinφ)) / (2e) ] from φ₁ to φ₂
    /// (written here independently of the Rasters code).
    static func zoneAreaM2(_ lat1: Double, _ lat2: Double) -> Double {
        let a = 6_378_137.0, f = 1 / 298.257_223_563
        let e2 = f * (2 - f), e = e2.squareRoot(), b2 = a * a * (1 - e2)
        func q(_ lat: Double) -> Double {
            let s = sin(lat * .pi / 180)
            return s / (1 - e2 * s * s) + log((1 + e * s) / (1 - e * s)) / (2 * e)
        }
        return .pi * b2 * (q(lat2) - q(lat1))
    }

    @Test func constantBetaOverLatitudeBandGivesClosedFormStocks() throws {
        let folder = try temporaryFolder("analytic")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let grid = try RasterGrid.covering(.global, resolution: 1)
        let beta = 0.975, topsoil = 48.5
        // Area fraction 1 between 10°N and 30°N (rows 60..<80), 0 elsewhere; one covariate; X₀₋₂₀ constant.
        var fraction = [Float](repeating: 0, count: grid.cellCount)
        for row in 60..<80 { for column in 0..<grid.columns { fraction[row * grid.columns + column] = 1 } }
        try writeRaster(folder + "/area.tif", grid: grid, values: fraction)
        try writeRaster(folder + "/mat.tif", grid: grid, values: (0..<grid.cellCount).map { Float($0 % 97) })
        try writeRaster(folder + "/socd.tif", grid: grid, values: [Float](repeating: Float(topsoil), count: grid.cellCount))
        // A forest trained on a constant response predicts it everywhere (mean and quantiles).
        let features = try FeatureMatrix(columns: [("MAT", (0..<50).map(Double.init))])
        let forest = try RandomForest.train(features: features, responses: [Double](repeating: beta, count: 50),
                                            parameters: ForestParameters(treeCount: 10, computePermutationImportance: false,
                                                                         keepQuantileData: true), threads: 1)
        try ForestModelFile.write(forest, to: folder + "/cl.sbf")
        let text = """
        [run]
        folder = "out"
        [grid]
        resolution = 1
        [map]
        tile_rows = 7
        [topsoil]
        socd = "socd.tif"
        [covariates]
        MAT = "mat.tif"
        [ecosystems.CL]
        model = "cl.sbf"
        area = "area.tif"
        area_unit = "fraction"
        """
        try text.write(toFile: folder + "/run.toml", atomically: true, encoding: .utf8)
        let summary = try MapRun.run(plan: try MapPlan(configuration: RunConfiguration.load(path: folder + "/run.toml")), options: MapRunOptions(threads: 2))
        let stocks = try #require(summary.stocks)

        let areaHa = Self.zoneAreaM2(10, 30) / 10_000
        func layer(_ a: Double, _ b: Double) -> Double { topsoil * (pow(beta, a) - pow(beta, b)) / (1 - pow(beta, 20)) }
        let expected: [String: Double] = ["0-20": layer(0, 20), "20-40": layer(20, 40), "40-60": layer(40, 60),
                                          "60-80": layer(60, 80), "80-100": layer(80, 100), "20-100": layer(20, 100),
                                          "0-100": layer(0, 100)]
        #expect(stocks.count == 14)
        for row in stocks where row.ecosystem == "CL" {
            let density = try #require(expected[row.layer])
            #expect(abs(row.area1e9Ha - areaHa / 1e9) <= 1e-6 * areaHa / 1e9)
            #expect(abs(row.stockPg - density * areaHa / 1e9) <= 1e-6 * density * areaHa / 1e9, "layer \(row.layer)")
            #expect(abs(row.stockPgBoundLow - row.stockPg) <= 1e-9 * row.stockPg)
            #expect(abs(row.stockPgBoundHigh - row.stockPg) <= 1e-9 * row.stockPg)
            #expect(abs(row.socdMeanMgPerHa - density) <= 1e-6 * density)
        }
        // Layer stocks sum to the 0–100 stock.
        let byLayer = Dictionary(uniqueKeysWithValues: stocks.filter { $0.ecosystem == "CL" }.map { ($0.layer, $0.stockPg) })
        let sum = ["0-20", "20-40", "40-60", "60-80", "80-100"].map { byLayer[$0]! }.reduce(0, +)
        #expect(abs(sum - byLayer["0-100"]!) <= 1e-9 * sum)
        #expect(abs(byLayer["20-40"]! + byLayer["40-60"]! + byLayer["60-80"]! + byLayer["80-100"]! - byLayer["20-100"]!) <= 1e-9 * sum)
        // And cell by cell in the written rasters (Float32 storage).
        let layers = try ["0-20", "20-40", "40-60", "60-80", "80-100"].map { try readAll(folder + "/out/maps/CL_\($0)_SOCD.tif") }
        let total = try readAll(folder + "/out/maps/CL_0-100_SOCD.tif")
        var checked = 0
        for i in total.indices where !total[i].isNaN {
            let parts = layers.map { Double($0[i]) }.reduce(0, +)
            #expect(abs(parts - Double(total[i])) <= 1e-5 * Double(total[i]))
            checked += 1
        }
        #expect(checked == 20 * 360)
        // Outside the band: nodata.
        #expect(total[0].isNaN && total[59 * 360].isNaN && total[80 * 360].isNaN)
        #expect(summary.counts[0].cellsWithArea == 20 * 360 && summary.counts[0].missingCovariate == 0)
    }
}
