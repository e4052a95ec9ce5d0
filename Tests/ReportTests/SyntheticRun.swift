import Essentials
import Foundation
import RunModel
import Rasters
import Testing
@testable import Report

/// A fresh temporary folder, removed when released.
final class TemporaryFolder {
    let path: String

    init() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("soilbeta-report-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        path = url.path
    }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

extension String {
    /// Writes this text (UTF-8) to `relative` inside `folder`, creating the folders on the way.
    func write(in folder: TemporaryFolder, at relative: String) throws {
        let file = folder.file(relative)
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try write(toFile: file, atomically: true, encoding: .utf8)
    }
}

/// The markup of the figure `data-figure="id"` of a report: from that attribute to the end of
/// its `<svg>`.
func figureSVG(_ id: String, in html: String) throws -> String {
    let start = try #require(html.range(of: "data-figure=\"\(id)\""))
    let rest = html[start.lowerBound...]
    let end = try #require(rest.range(of: "</svg>"))
    return String(rest[..<end.lowerBound])
}

/// Writes a one-band Float32 GeoTIFF (WGS84) through the Rasters target's writer.
func writeTestGeoTIFF(_ path: String, west: Double, north: Double, cell: Double, columns: Int, rows: Int, values: [Float]) throws {
    let grid = RasterGrid(west: west, north: north, cellWidth: cell, cellHeight: cell, columns: columns, rows: rows, crs: .wgs84)
    let writer = try RasterWriter(path: path, grid: grid, options: RasterOutputOptions(dataType: .float32, blockSize: 256))
    try writer.writeRows(firstRow: 0, rowCount: rows, from: values)
    try writer.finish()
}

/// A small deterministic run folder with every piece the report reads (a 1° global grid,
/// 150 profiles, two covariates), labelled synthetic. Values follow simple formulas so the
/// figures have visible structure; they are not soil science.
func makeSyntheticRun(at root: String, cell: Double = 1.0) throws {
    let fm = FileManager.default
    for folder in ["drivers", "maps", "forest/CL", "forest/GL", "forest/FL"] {
        try fm.createDirectory(atPath: (root as NSString).appendingPathComponent(folder), withIntermediateDirectories: true)
    }
    func write(_ relative: String, _ text: String) throws {
        try text.write(toFile: (root as NSString).appendingPathComponent(relative), atomically: true, encoding: .utf8)
    }
    var generator = SplitMix64(seed: 42)
    // Land: a few elliptical "continents".
    let columns = Int((360 / cell).rounded()), rows = Int((180 / cell).rounded())
    let continents: [(lon: Double, lat: Double, a: Double, b: Double)] = [
        (-100, 45, 35, 22), (-60, -15, 20, 30), (20, 50, 40, 15), (20, 5, 22, 28), (90, 45, 50, 22), (135, -25, 18, 12),
    ]
    func isLand(_ lon: Double, _ lat: Double) -> Bool {
        continents.contains { c in
            let dx = (lon - c.lon) / c.a, dy = (lat - c.lat) / c.b
            return dx * dx + dy * dy <= 1
        }
    }
    var land = [Float](repeating: .nan, count: columns * rows)
    var betaMaps = [[Float]](repeating: [Float](repeating: .nan, count: columns * rows), count: 3)
    var socdMaps = betaMaps
    for row in 0..<rows {
        let lat = 90 - (Double(row) + 0.5) * cell
        for column in 0..<columns {
            let lon = -180 + (Double(column) + 0.5) * cell
            guard isLand(lon, lat) else { continue }
            let i = row * columns + column
            land[i] = 1
            for eco in 0..<3 {
                // Ecosystems occupy different latitude bands and longitudes.
                let occurs: Bool
                switch eco {
                case 0: occurs = abs(lat) < 55 && (Int(lon.rounded(.down)) / 7) % 2 == 0
                case 1: occurs = abs(lat) > 10 && abs(lat) < 60
                default: occurs = abs(lat) < 25 || abs(lat) > 40
                }
                guard occurs else { continue }
                let beta = 0.962 + 0.004 * Double(eco) + 0.012 * (0.5 + 0.5 * sin(lon / 25) * cos(lat / 18))
                betaMaps[eco][i] = Float(beta)
                socdMaps[eco][i] = Float(40 + 25 * Double(eco) + 30 * (0.5 + 0.5 * cos(lon / 30 + lat / 20)))
            }
        }
    }
    try writeTestGeoTIFF((root as NSString).appendingPathComponent("land.tif"), west: -180, north: 90, cell: cell, columns: columns, rows: rows, values: land)
    let codes = ["CL", "GL", "FL"], names = ["cropland", "grassland", "forestland"]
    for eco in 0..<3 {
        try writeTestGeoTIFF((root as NSString).appendingPathComponent("maps/\(codes[eco])_beta.tif"), west: -180, north: 90, cell: cell,
                             columns: columns, rows: rows, values: betaMaps[eco])
        try writeTestGeoTIFF((root as NSString).appendingPathComponent("maps/\(codes[eco])_20-100_SOCD.tif"), west: -180, north: 90, cell: cell,
                             columns: columns, rows: rows, values: socdMaps[eco])
        // The QRF quantiles and the other layers, derived from the same fields.
        for (suffix, shift) in [("beta_q05", Float(-0.006)), ("beta_q95", Float(0.004))] {
            try writeTestGeoTIFF((root as NSString).appendingPathComponent("maps/\(codes[eco])_\(suffix).tif"), west: -180, north: 90, cell: cell,
                                 columns: columns, rows: rows, values: betaMaps[eco].map { $0 + shift })
        }
        for (layer, share) in [("0-20", Float(0.55)), ("20-40", 0.3), ("40-60", 0.2), ("60-80", 0.15), ("80-100", 0.1), ("0-100", 1.8)] {
            try writeTestGeoTIFF((root as NSString).appendingPathComponent("maps/\(codes[eco])_\(layer)_SOCD.tif"), west: -180, north: 90, cell: cell,
                                 columns: columns, rows: rows, values: socdMaps[eco].map { $0 * share })
        }
    }
    // Profiles on land.
    // As the pipeline writes them: sites.csv (location, ecosystem, β, covariates) and beta.csv
    // (layer densities, β, fit RMSE, status; no site columns).
    var sites = "id,lon,lat,ecosystem,beta,mat,clay\n"
    var beta = "id,socd_0_20,socd_20_40,socd_40_60,socd_60_80,socd_80_100,socd_0_100,beta,rmse,bd_filled,status\n"
    var profiles: [(eco: Int, beta: Double, mat: Double, clay: Double)] = []
    var k = 0
    while profiles.count < 150 {
        let lon = generator.uniform(-180, 180), lat = generator.uniform(-60, 75)
        guard isLand(lon, lat) else { continue }
        let eco = k % 3
        k += 1
        let mat = 25 - abs(lat) * 0.45 + generator.uniform(-2, 2)
        let clay = generator.uniform(5, 55)
        let b = 0.968 + 0.0004 * mat - 0.00005 * clay + 0.002 * Double(eco) + generator.uniform(-0.004, 0.004)
        profiles.append((eco, b, mat, clay))
        sites += "P\(profiles.count),\(String(format: "%.4f", lon)),\(String(format: "%.4f", lat)),\(names[eco]),\(String(format: "%.6f", b)),\(String(format: "%.2f", mat)),\(String(format: "%.1f", clay))\n"
        let layers = (0..<5).map { 40 * (pow(b, Double(20 * $0)) - pow(b, Double(20 * $0 + 20))) / (1 - pow(b, 20)) }
        beta += "P\(profiles.count)," + layers.map { String(format: "%.3f", $0) }.joined(separator: ",")
            + ",\(String(format: "%.3f", layers.reduce(0, +))),\(String(format: "%.6f", b)),0.004,0,ok\n"
    }
    beta += "P999,,,,,,,,,0,no beta: fewer than five layers\n"
    try write("sites.csv", sites)
    try write("beta.csv", beta)
    try write("drivers/beta_summary.csv", """
    group,n,mean,median,p05,p95,sd,cv_pct
    cropland,50,0.9761,0.9766,0.9645,0.9831,0.0060,0.61
    grassland,50,0.9743,0.9750,0.9630,0.9820,0.0058,0.60
    forestland,50,0.9750,0.9752,0.9640,0.9829,0.0061,0.63
    all,150,0.9756,0.9766,0.9645,0.9831,0.0060,0.61

    """)
    try write("drivers/anova.csv", "term,df,sum_sq,mean_sq,f_value,p_value,significant\necosystem,2,0.00012,0.00006,1.71,0.184,false\nresiduals,147,0.00516,0.0000351,,,\n")
    try write("drivers/tukey.csv", "comparison,group,reference,diff,lwr,upr,p_adj\ngrassland-cropland,grassland,cropland,-0.0018,-0.0046,0.0010,0.28\nforestland-cropland,forestland,cropland,-0.0011,-0.0039,0.0017,0.62\nforestland-grassland,forestland,grassland,0.0007,-0.0021,0.0035,0.83\n")
    for (feature, range) in [("mat", (-5.0, 27.0)), ("clay", (5.0, 55.0))] {
        var text = "group,n,x,fit,se,lower95,upper95,mean_beta\n"
        for (g, group) in (["all"] + names).enumerated() {
            for j in 0..<40 {
                let x = range.0 + (range.1 - range.0) * Double(j) / 39
                let shift = g == 0 ? 0 : 0.002 * Double(g - 2)
                let fit = (feature == "mat" ? 0.968 + 0.0004 * x + 0.003 : 0.975 - 0.00005 * x + 0.0015) + shift
                let se = 0.0008 + 0.0004 * abs(Double(j) - 19.5) / 19.5
                text += "\(group),\(g == 0 ? 150 : 50),\(x),\(fit),\(se),\(fit - 1.96 * se),\(fit + 1.96 * se),0.9745\n"
            }
        }
        try write("drivers/smooth_\(feature).csv", text)
    }
    try write("drivers/contributions.csv", "feature,importance,percent\nmat,0.0000123,61.5\nclay,0.0000077,38.5\n")
    for eco in 0..<3 {
        for kind in ["random", "spatial"] {
            var text = "id,observed,predicted,fold\n"
            for (j, p) in profiles.enumerated() where p.eco == eco {
                let noise = generator.uniform(-1, 1) * (kind == "random" ? 0.0015 : 0.0025)
                text += "P\(j + 1),\(p.beta),\(p.beta * 0.7 + 0.975 * 0.3 + noise),\(j % (kind == "random" ? 10 : 5) + 1)\n"
            }
            try write("forest/\(codes[eco])/cv_\(kind).csv", text)
        }
        try write("forest/\(codes[eco])/tuning.csv", "mtry,trees,oob_mse,oob_r2,chosen\n1,500,3.1e-5,0.41,0\n2,500,2.9e-5,0.45,0\n1,1000,3.0e-5,0.43,0\n2,1000,2.8e-5,0.47,1\n")
    }
    var stocks = "ecosystem,layer,area_1e9_ha,socd_mean_mg_ha,stock_pg,stock_pg_bound_lo,stock_pg_bound_hi\n"
    let areas = [1.56, 3.21, 4.02]
    for eco in 0..<3 {
        let top = 50.0 + 12 * Double(eco), b = 0.972 + 0.002 * Double(eco)
        var layers: [(String, Double)] = []
        for (a, z) in [(0, 20), (20, 40), (40, 60), (60, 80), (80, 100), (20, 100), (0, 100)] {
            layers.append(("\(a)-\(z)", top * (pow(b, Double(a)) - pow(b, Double(z))) / (1 - pow(b, 20))))
        }
        for (layer, socd) in layers {
            let stock = socd * areas[eco] * 1e9 / 1e9
            stocks += "\(names[eco]),\(layer),\(areas[eco]),\(socd),\(stock),\(stock * 0.8),\(stock * 1.25)\n"
        }
    }
    try write("maps/stocks.csv", stocks)
    let configuration = try syntheticRunConfiguration(root)
    let manifest = try RunManifest(configuration: configuration, date: Date(timeIntervalSince1970: 1_795_000_000),
                                   inputs: [RunManifest.Input(path: "/demo/horizons.csv", sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")],
                                   steps: [RunManifest.Step(name: "profiles", status: "ran", seconds: 0.8, summary: "150 profiles with beta", outputs: ["beta.csv"])])
    try RunDocument.write(manifest, to: configuration.layout.path(.manifest))
}

/// The configuration of a synthetic run folder at `root` (DEMO, covariates mat and clay).
func syntheticRunConfiguration(_ root: String, synthetic: Bool = true) throws -> RunConfiguration {
    try RunConfiguration.decode(text: """
    [run]
    folder = "\(root)"
    synthetic = \(synthetic)
    [profiles]
    horizons = "horizons.csv"
    [forest]
    features = ["mat", "clay"]
    """, path: (root as NSString).appendingPathComponent("run.toml"))
}

/// SplitMix64: a tiny deterministic generator for test data.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * Double(next() >> 11) / Double(1 << 53)
    }
}
