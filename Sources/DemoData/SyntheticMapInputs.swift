// Synthetic global inputs for a mapping run (the map benchmark and the end-to-end tests).
import Essentials
import Forest
import Foundation
import Rasters
import RunModel
import Statistics

/// Writes a complete, self-consistent set of synthetic inputs for `soilbeta map` on any
/// WGS84 grid: 11 covariate rasters named like the paper's (SOC, CN, MAT, MBN, MAP, BD, MBC,
/// clay, TN, pH, MBC_MBN), area fractions of CL/GL/FL on a made-up land mask, topsoil SOC
/// (g kg⁻¹) and BD (g cm⁻³) rasters, one training table per ecosystem (covariates at random
/// land sites and a β that depends smoothly on them), one QRF model per ecosystem trained on it
/// (`models/<ECO>.sbf`) and a `run.toml` that uses those models. Deterministic for a seed.
/// The values are made up (smooth functions of latitude and longitude), not real data.
public enum SyntheticMapInputs {
    /// Covariate names (the paper's drivers).
    public static let featureNames = ["SOC", "CN", "MAT", "MBN", "MAP", "BD", "MBC", "clay", "TN", "pH", "MBC_MBN"]
    /// Ecosystems written.
    public static let ecosystems = ["CL", "GL", "FL"]

    /// Covariate values at a point (degrees).
    static func covariates(lat: Double, lon: Double) -> [Double] {
        let p = lat * .pi / 180, l = lon * .pi / 180
        let mat = 28 * cos(p) - 6 + 3 * sin(3 * l)
        let map = 1100 + 900 * cos(2 * p) * (0.6 + 0.4 * sin(2 * l + 1))
        let clay = 22 + 12 * sin(2 * l + p)
        let ph = 6.5 + 1.2 * sin(p * 1.7) - 0.6 * cos(l)
        let soc = 12 + 10 * cos(p) * (1 + 0.3 * sin(4 * l))
        let bd = 1.35 + 0.15 * sin(3 * p + l)
        let cn = 11 + 3 * cos(2 * l - p)
        let tn = soc / cn
        let mbc = 300 + 200 * sin(l + 2 * p)
        let mbn = 40 + 20 * cos(l - p)
        return [soc, cn, mat, mbn, map, bd, mbc, clay, tn, ph, mbc / mbn]
    }

    /// Ecosystem area fractions (CL, GL, FL) at a point: zero off the made-up land mask.
    static func fractions(lat: Double, lon: Double) -> [Double] {
        let p = lat * .pi / 180, l = lon * .pi / 180
        let land = sin(2 * l) * cos(3 * p) + 0.35 * sin(5 * l + 2 * p) + 0.45 * cos(p)
        guard land > 0.7, abs(lat) < 84 else { return [0, 0, 0] }
        let cl = max(0, sin(3 * l + p) + 0.2) * 0.5
        let gl = max(0, cos(2 * l - 3 * p) + 0.3) * 0.4
        let fl = max(0, sin(4 * p + l) + 0.1) * 0.5
        let total = cl + gl + fl
        let scale = total > 1 ? 1 / total : 1
        return [cl * scale, gl * scale, fl * scale]
    }

    /// β of a site from its covariates (the synthetic truth), in (0.9, 1).
    static func beta(_ x: [Double], ecosystem: Int) -> Double {
        let mat = x[2], map = x[4], clay = x[7]
        return 0.975 + 0.004 * tanh((mat - 10) / 8) - 0.003 * tanh((map - 1000) / 500) + 0.0002 * (clay - 22)
            + 0.001 * Double(ecosystem - 1)
    }

    /// What was written.
    public struct Written: Sendable {
        /// The run config.
        public var configPath: String
        /// Training table per ecosystem.
        public var trainingTables: [String: String]
        /// Trained model file (`models/<ECO>.sbf`) per ecosystem.
        public var modelFiles: [String: String]
        /// Cells with area > 0 per ecosystem.
        public var cellsWithArea: [String: Int]
    }

    /// Writes the inputs into `folder` (created if needed) for `grid`, and trains one random
    /// forest per ecosystem on its training table (`modelTrees` trees, seed `modelSeed`, all
    /// `featureNames` in order, QRF leaf data kept) with `threads` workers (nil = all cores),
    /// saved as `models/<ECO>.sbf`, which the config names. Every `missingEvery`-th land cell
    /// gets a missing MAT value (nil = none), to exercise the missing-covariate count. With `applicability`,
    /// each model gets an area of applicability (`models/<ECO>.aoa.json`, equal weights, ten folds) for the DI/AOA maps
    /// and a fixed residual variogram (`models/<ECO>.variogram.json`) for the simulated stock intervals.
    public static func write(folder: String, grid: RasterGrid, trainingRows: Int = 400, seed: UInt64 = 1,
                             modelTrees: Int = 500, modelSeed: UInt64 = 1, threads: Int? = nil,
                             missingEvery: Int? = nil, tileRows: Int = 64, applicability: Bool = true) throws -> Written {
        let fm = FileManager.default
        try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try fm.createDirectory(atPath: (folder as NSString).appendingPathComponent("models"), withIntermediateDirectories: true)
        func path(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }
        let columns = grid.columns
        let featureCount = featureNames.count
        let writerOptions = RasterOutputOptions(dataType: .float32, noDataValue: -9999)
        let covariateWriters = try featureNames.map { try RasterWriter(path: path("cov_\($0).tif"), grid: grid, options: writerOptions) }
        let areaWriters = try ecosystems.map { try RasterWriter(path: path("area_\($0).tif"), grid: grid, options: writerOptions) }
        let socWriter = try RasterWriter(path: path("soc_0_20.tif"), grid: grid, options: writerOptions)
        let bdWriter = try RasterWriter(path: path("bd_0_20.tif"), grid: grid, options: writerOptions)
        var counts = [Int](repeating: 0, count: ecosystems.count)
        var landCounter = 0
        let blockRows = 64
        var firstRow = 0
        while firstRow < grid.rows {
            let rowCount = min(blockRows, grid.rows - firstRow)
            let n = rowCount * columns
            var covariateBlocks = [[Float]](repeating: [Float](repeating: 0, count: n), count: featureCount)
            var areaBlocks = [[Float]](repeating: [Float](repeating: 0, count: n), count: ecosystems.count)
            var soc = [Float](repeating: 0, count: n), bd = [Float](repeating: 0, count: n)
            for r in 0..<rowCount {
                for c in 0..<columns {
                    let center = grid.cellCenter(column: c, row: firstRow + r)
                    let i = r * columns + c
                    let x = covariates(lat: center.y, lon: center.x)
                    for f in 0..<featureCount { covariateBlocks[f][i] = Float(x[f]) }
                    let fraction = fractions(lat: center.y, lon: center.x)
                    var land = false
                    for e in 0..<ecosystems.count {
                        areaBlocks[e][i] = Float(fraction[e])
                        if fraction[e] > 0 { counts[e] += 1; land = true }
                    }
                    if land {
                        landCounter += 1
                        if let missingEvery, landCounter % missingEvery == 0 { covariateBlocks[2][i] = -9999 }
                    }
                    soc[i] = Float(x[0])
                    bd[i] = Float(x[5])
                }
            }
            for f in 0..<featureCount { try covariateWriters[f].writeRows(firstRow: firstRow, rowCount: rowCount, from: covariateBlocks[f]) }
            for e in 0..<ecosystems.count { try areaWriters[e].writeRows(firstRow: firstRow, rowCount: rowCount, from: areaBlocks[e]) }
            try socWriter.writeRows(firstRow: firstRow, rowCount: rowCount, from: soc)
            try bdWriter.writeRows(firstRow: firstRow, rowCount: rowCount, from: bd)
            firstRow += rowCount
        }
        try RasterWriter.finishAll(covariateWriters + areaWriters + [socWriter, bdWriter], maxConcurrent: 2)

        // Training tables: random land sites (SplitMix64 stream), β from the synthetic truth plus noise.
        var state = seed &* 0x9E37_79B9_7F4A_7C15 &+ 1
        func uniform() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return Double(z >> 11) / Double(1 << 53)
        }
        var tables: [String: String] = [:]
        var models: [String: String] = [:]
        let parameters = ForestParameters(treeCount: modelTrees, seed: modelSeed, computePermutationImportance: false,
                                          keepQuantileData: true)
        for (e, name) in ecosystems.enumerated() {
            var writer = CSVWriter(header: featureNames + ["beta"])
            var featureColumns = [[Double]](repeating: [], count: featureCount)
            var responses: [Double] = []
            var written = 0
            while written < trainingRows {
                let lat = -60 + 140 * uniform(), lon = -180 + 360 * uniform()
                guard fractions(lat: lat, lon: lon)[e] > 0 else { continue }
                let x = covariates(lat: lat, lon: lon)
                let noise = (uniform() + uniform() + uniform() - 1.5) * 0.004
                let row = (x + [min(0.999, beta(x, ecosystem: e) + noise)]).map { CSVWriter.format($0) }
                writer.append(row: row)
                // The model sees the values as written to the table (what `forest train` would read).
                for f in 0..<featureCount { featureColumns[f].append(Double(row[f]) ?? .nan) }
                responses.append(Double(row[featureCount]) ?? .nan)
                written += 1
            }
            let tablePath = path("training_\(name).csv")
            try AtomicFile.write(text: writer.csvText, to: tablePath)
            tables[name] = tablePath
            let features = try FeatureMatrix(columns: featureNames.enumerated().map { (name: $0.element, values: featureColumns[$0.offset]) })
            let forest = try RandomForest.train(features: features, responses: responses, targetName: "beta",
                                                parameters: parameters, threads: threads)
            let modelPath = path("models/\(name).sbf")
            try ForestModelFile.write(forest, to: modelPath)
            models[name] = modelPath
            if applicability {
                // Equal predictor weights and ten interleaved folds (the synthetic model has no permutation importance).
                let aoa = try AreaOfApplicability(training: features, weights: [Double](repeating: 1, count: featureCount),
                                                  folds: (0..<trainingRows).map { $0 % 10 })
                try RunDocument.write(aoa, to: path("models/\(name).aoa.json"))
            }
            if applicability {
                // A fixed residual variogram (σ = 0.005, range 800 km) for the simulated stock intervals.
                try RunDocument.write(ExponentialVariogram(nugget: 1e-5, partialSill: 2.5e-5, rangeKilometres: 800),
                                      to: path("models/\(name).variogram.json"))
            }
        }

        // Config.
        var toml = """
        # Synthetic inputs written by soilbeta (values are made up, not real data).
        [run]
        folder = "."
        synthetic = true

        [grid]
        resolution = \(String(format: "%.17g", grid.cellWidth))
        extent = [\(grid.west), \(grid.south), \(grid.east), \(grid.north)]

        [map]
        tile_rows = \(tileRows)

        [topsoil]
        soc = "soc_0_20.tif"
        bd = "bd_0_20.tif"

        [covariates]

        """
        for name in featureNames { toml += "\(name) = \"cov_\(name).tif\"\n" }
        for name in ecosystems {
            toml += "\n[ecosystems.\(name)]\narea = \"area_\(name).tif\"\narea_unit = \"fraction\"\n"
            toml += "model = \"models/\(name).sbf\"\n"
            if applicability { toml += "applicability = \"models/\(name).aoa.json\"\nvariogram = \"models/\(name).variogram.json\"\n" }
        }
        let configPath = path("run.toml")
        try AtomicFile.write(text: toml, to: configPath)
        return Written(configPath: configPath, trainingTables: tables, modelFiles: models,
                       cellsWithArea: Dictionary(uniqueKeysWithValues: zip(ecosystems, counts)))
    }
}
