import Foundation
import SoilProfiles
import TOMLKit

/// The profile, site and forest parts of a `soilbeta run` configuration (TOML). The grid, topsoil,
/// covariate and ecosystem sections are those of `soilbeta map` and are read by the Mapping target from the
/// same file. Relative paths are resolved against the config file's folder.
///
/// ```toml
/// [run]
/// folder = "../demo-run"      # run folder (default: "run" beside the config)
/// seed = 2024
/// threads = 0                 # 0 = all cores
/// synthetic = true            # label every output DEMO
///
/// [profiles]
/// horizons = "data/horizons.csv"
/// sites = "data/sites.csv"    # id,lon,lat,ecosystem[,study][,covariates…]
/// columns = { soc = "ORCDRC" } # optional renaming (as --column)
/// bd_fill = 1.3               # g/cm³ where neither the horizon nor the BD raster has a value
/// bd_raster = "data/bd.tif"   # optional: BD gap-fill from a raster at the site (METHOD.md §3)
///
/// [forest]
/// features = ["soc", "cn", "mat", "mbn", "map", "bd", "mbc", "clay", "tn", "ph", "mbc_mbn"]
/// trees = 500                 # final forest (the tuned tree count replaces it when tune_trees is set)
/// tune_trees = [100, 250, 500]
/// tune_mtry = []              # empty = 1…p
/// min_node = 5
/// folds = 10
/// block_deg = 5.0
/// quantiles = [0.05, 0.95]
/// min_profiles = 20           # ecosystems with fewer fitted profiles are not modelled
/// ```
public struct RunConfig: Sendable {
    /// The config file.
    public let path: String
    /// Folder of the config file (base of relative paths).
    public let baseFolder: URL
    /// The run folder.
    public let runFolder: URL
    /// Random seed for every stochastic step.
    public let seed: UInt64
    /// Worker threads (nil = all cores).
    public let threads: Int?
    /// Inputs are synthetic (demo): outputs are labelled DEMO.
    public let synthetic: Bool
    /// Horizon table.
    public let horizonsPath: String
    /// Site table, if separate.
    public let sitesPath: String?
    /// `--column`-style renaming pairs.
    public let columnPairs: [String]
    /// Constant BD (g cm⁻³) for horizons with none after the raster gap-fill.
    public let bulkDensityFill: Double?
    /// BD raster sampled at the site for horizons with no BD.
    public let bulkDensityRasterPath: String?
    /// Model features.
    public let features: [String]
    /// Trees of the final forest when no tuning grid is given.
    public let treeCount: Int
    /// Tuning grid of tree counts (empty: no tuning of the tree count).
    public let tuneTreeCounts: [Int]
    /// Tuning grid of mtry (empty: 1…p).
    public let tuneMtry: [Int]
    /// Minimum node size.
    public let minNodeSize: Int
    /// Folds of the random and spatial cross-validation.
    public let folds: Int
    /// Block size of the spatial cross-validation, degrees.
    public let blockDegrees: Double
    /// Quantiles of the quantile regression forest.
    public let quantiles: [Double]
    /// Minimum fitted profiles for an ecosystem to be modelled.
    public let minimumProfiles: Int

    /// Reads and validates the run configuration.
    /// - Throws: `PipelineError.config` naming the file and key at fault.
    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw PipelineError.io(path: path, message: "cannot read the run configuration")
        }
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw PipelineError.config(file: path, key: "(syntax)", message: "line \(error.source.begin.line): \(error.description)")
        }
        let reader = ConfigReader(file: path, root: table)
        self.path = path
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        baseFolder = base
        let resolve: (String) -> String = { relative in
            relative.hasPrefix("/") ? relative : base.appendingPathComponent(relative).standardized.path
        }
        runFolder = URL(fileURLWithPath: resolve(try reader.string("run.folder") ?? "run"))
        seed = UInt64(try reader.integer("run.seed", range: 0...Int.max) ?? 1)
        let threadCount = try reader.integer("run.threads", range: 0...1024) ?? 0
        threads = threadCount == 0 ? nil : threadCount
        synthetic = try reader.bool("run.synthetic") ?? false

        guard let horizons = try reader.string("profiles.horizons") else {
            throw PipelineError.config(file: path, key: "profiles.horizons", message: "required: the horizon CSV")
        }
        horizonsPath = resolve(horizons)
        sitesPath = try reader.string("profiles.sites").map(resolve)
        columnPairs = try reader.stringMap("profiles.columns").map { "\($0.key)=\($0.value)" }.sorted()
        bulkDensityFill = try reader.double("profiles.bd_fill", range: 0.01...2.65)
        bulkDensityRasterPath = try reader.string("profiles.bd_raster").map(resolve)

        guard let featureList = try reader.strings("forest.features"), !featureList.isEmpty else {
            throw PipelineError.config(file: path, key: "forest.features", message: "required: the model's covariate names")
        }
        features = featureList
        treeCount = try reader.integer("forest.trees", range: 1...100_000) ?? 500
        tuneTreeCounts = try reader.integers("forest.tune_trees", range: 1...100_000) ?? []
        tuneMtry = try reader.integers("forest.tune_mtry", range: 1...featureList.count) ?? []
        minNodeSize = try reader.integer("forest.min_node", range: 1...10_000) ?? 5
        folds = try reader.integer("forest.folds", range: 2...1000) ?? 10
        blockDegrees = try reader.double("forest.block_deg", range: 0.01...180) ?? 5
        quantiles = try reader.doubles("forest.quantiles", range: 0...1) ?? [0.05, 0.95]
        minimumProfiles = try reader.integer("forest.min_profiles", range: 5...1_000_000) ?? 20
    }
}

/// Typed access to dotted keys of a TOML document, with errors naming file and key.
struct ConfigReader {
    let file: String
    let root: TOMLTable

    private func value(_ key: String) throws -> TOMLValueConvertible? {
        var table = root
        let parts = key.split(separator: ".").map(String.init)
        for (index, part) in parts.enumerated() {
            guard let next = table[part] else { return nil }
            if index == parts.count - 1 { return next }
            guard let nested = next.table else {
                throw PipelineError.config(file: file, key: parts[0...index].joined(separator: "."), message: "must be a table")
            }
            table = nested
        }
        return nil
    }

    private func fail(_ key: String, _ message: String) -> PipelineError {
        .config(file: file, key: key, message: message)
    }

    func string(_ key: String) throws -> String? {
        guard let value = try value(key) else { return nil }
        guard let text = value.string else { throw fail(key, "must be a string") }
        return text
    }

    func bool(_ key: String) throws -> Bool? {
        guard let value = try value(key) else { return nil }
        guard let flag = value.bool else { throw fail(key, "must be true or false") }
        return flag
    }

    func integer(_ key: String, range: ClosedRange<Int>) throws -> Int? {
        guard let value = try value(key) else { return nil }
        guard let number = value.int else { throw fail(key, "must be a whole number") }
        guard range.contains(number) else { throw fail(key, "\(number) is outside \(range.lowerBound)…\(range.upperBound)") }
        return number
    }

    func double(_ key: String, range: ClosedRange<Double>) throws -> Double? {
        guard let value = try value(key) else { return nil }
        guard let number = value.double ?? value.int.map(Double.init) else { throw fail(key, "must be a number") }
        guard range.contains(number) else { throw fail(key, "\(number) is outside \(range.lowerBound)…\(range.upperBound)") }
        return number
    }

    private func array(_ key: String) throws -> TOMLArray? {
        guard let value = try value(key) else { return nil }
        guard let array = value.array else { throw fail(key, "must be an array") }
        return array
    }

    func strings(_ key: String) throws -> [String]? {
        guard let array = try array(key) else { return nil }
        return try array.map { element in
            guard let text = element.string else { throw fail(key, "every element must be a string") }
            return text
        }
    }

    func integers(_ key: String, range: ClosedRange<Int>) throws -> [Int]? {
        guard let array = try array(key) else { return nil }
        return try array.map { element in
            guard let number = element.int else { throw fail(key, "every element must be a whole number") }
            guard range.contains(number) else { throw fail(key, "\(number) is outside \(range.lowerBound)…\(range.upperBound)") }
            return number
        }
    }

    func doubles(_ key: String, range: ClosedRange<Double>) throws -> [Double]? {
        guard let array = try array(key) else { return nil }
        return try array.map { element in
            guard let number = element.double ?? element.int.map(Double.init) else { throw fail(key, "every element must be a number") }
            guard range.contains(number) else { throw fail(key, "\(number) is outside \(range.lowerBound)…\(range.upperBound)") }
            return number
        }
    }

    func stringMap(_ key: String) throws -> [String: String] {
        guard let value = try value(key) else { return [:] }
        guard let table = value.table else { throw fail(key, "must be a table of NAME = \"SOURCE\"") }
        var result: [String: String] = [:]
        for name in table.keys {
            guard let text = table[name]?.string else { throw fail("\(key).\(name)", "must be a string") }
            result[name] = text
        }
        return result
    }
}
