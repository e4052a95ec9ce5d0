// What a map run maps: the run configuration resolved against the grid and the models (METHOD.md §8).
import Essentials
import Foundation
import Rasters
import RunModel

/// Errors of a mapping run; each names the file, shard or key at fault.
public enum MappingError: SoilBetaError, Equatable {
    /// The model of an ecosystem needs features for which the configuration names no raster.
    case missingFeatures(ecosystem: String, features: [String], configPath: String)
    /// A model file without the in-bag counts the standard errors of β need (simulated intervals).
    case modelWithoutInBagCounts(path: String, ecosystem: String)
    /// A model file without the quantile data the β q05/q95 maps need.
    case modelWithoutQuantileData(path: String, ecosystem: String)
    /// `--tile i/N` outside 1 ≤ i ≤ N ≤ grid rows.
    case invalidTile(index: Int, count: Int, gridRows: Int)
    /// Shards that `mosaic` cannot use: missing, incomplete or from another configuration.
    case shardsRejected(missing: [Int], otherConfiguration: [Int], corrupted: [Int], count: Int, folder: String, configPath: String)
    /// The output folder cannot be created.
    case outputFolder(path: String, reason: String)
    /// A test hook stopped the run as a kill would.
    case stoppedAfterTiles(Int)
    /// An area raster with a negative value.
    case negativeArea(path: String, row: Int, column: Int, value: Double)
    /// An ecosystem whose stock would be 0 Pg for want of data.
    case nothingMapped(ecosystem: String, reason: String)

    /// The message shown to the user (file first).
    public var description: String {
        switch self {
        case let .missingFeatures(ecosystem, features, configPath):
            return "\(configPath): key 'covariates': the \(ecosystem) model uses feature(s) \(features.joined(separator: ", ")) "
                + "but the configuration names no raster for them; add them under [covariates] (or [ecosystems.\(ecosystem).covariates]) "
                + "as NAME = \"path.tif\""
        case let .modelWithoutQuantileData(path, ecosystem):
            return "\(path): the \(ecosystem) model has no quantile data for the β q05/q95 maps; retrain it with `soilbeta forest train --quantiles`"
        case let .modelWithoutInBagCounts(path, ecosystem):
            return "\(path): the \(ecosystem) model has no in-bag counts for the standard errors of the simulated stock intervals; "
                + "retrain it with this soilbeta, or switch the intervals off ([uncertainty] enabled = false)"
        case let .invalidTile(index, count, rows):
            return "--tile \(index)/\(count): give i/N with 1 ≤ i ≤ N ≤ \(rows) (the grid's rows)"
        case let .shardsRejected(missing, otherConfiguration, corrupted, count, folder, configPath):
            func list(_ indices: [Int]) -> String { indices.map(String.init).joined(separator: ", ") }
            var parts: [String] = []
            if !missing.isEmpty { parts.append("tile(s) \(list(missing)) of \(count) missing (not run, still running or killed)") }
            if !otherConfiguration.isEmpty {
                parts.append("tile(s) \(list(otherConfiguration)) of \(count) made with another configuration, other models or other inputs")
            }
            if !corrupted.isEmpty { parts.append("tile(s) \(list(corrupted)) of \(count) corrupted (an output or its row sums differ from the tile's record)") }
            let rerun = (missing + otherConfiguration + corrupted).sorted()
            return "\(folder): nothing was joined: " + parts.joined(separator: "; ") + "; run "
                + rerun.map { "`soilbeta map --config \(configPath) --tile \($0)/\(count)`" }.joined(separator: ", ")
        case let .outputFolder(path, reason):
            return "\(path): cannot create the output folder: \(reason)"
        case let .stoppedAfterTiles(count):
            return "stopped after \(count) tile(s) as asked (--stop-after-tiles)"
        case let .negativeArea(path, row, column, value):
            return "\(path): row \(row + 1), column \(column + 1): area \(value) is negative; an area raster holds hectares or fractions ≥ 0"
        case let .nothingMapped(ecosystem, reason):
            return "\(ecosystem): nothing to map, so its stock would be 0 Pg: \(reason)"
        }
    }
}

/// One ecosystem of a map run, resolved: model file, area raster, merged covariates and topsoil source.
public struct EcosystemSpec: Sendable, Equatable {
    /// The ecosystem.
    public var ecosystem: Ecosystem
    /// The model file (`soilbeta forest train --quantiles`, or the run's `forest/XX/model.sbf`).
    public var modelPath: String
    /// Area raster of the ecosystem.
    public var areaPath: String
    /// Unit of the area raster.
    public var areaUnit: AreaUnit
    /// Covariate rasters by feature name (`[covariates]` merged with the ecosystem's own).
    public var covariates: [String: String]
    /// Topsoil density source.
    public var topsoil: TopsoilSource
    /// Area-of-applicability file of the model (`forest/XX/aoa.json` of a full run, or the ecosystem's
    /// `applicability` key); nil: no DI/AOA maps.
    public var applicabilityPath: String?
    /// Residual variogram (`forest/XX/variogram.json` of a full run, or the ecosystem's `variogram` key); nil:
    /// no simulated intervals.
    public var variogramPath: String?
    /// Correlation range of the forest's sampling errors (`forest/XX/se_correlation.json` of a full run); nil: the
    /// standard-error field z₁ takes the residual range (or `[uncertainty] se_range_km`).
    public var errorCorrelationPath: String?
    /// Standard deviations of the topsoil inputs (`[topsoil]` soc_sd, bd_sd, socd_sd), when given.
    public var topsoilUncertainty: TopsoilUncertainty?
    /// Whether the map step simulates this ecosystem's stock intervals (`[uncertainty]` on and a variogram).
    public var simulatesIntervals = false

    /// The rasters written for this ecosystem, in slot order: the core products, then DI and AOA when the
    /// ecosystem has an area of applicability, then β's standard error and the subsoil SOCD quantiles when
    /// its intervals are simulated.
    public var products: [MapProduct] {
        MapProduct.core + (applicabilityPath == nil ? [] : MapProduct.applicabilityProducts)
            + (simulatesIntervals ? MapProduct.uncertaintyProducts : [])
    }

    /// The code used in file names and tables (`CL`, `GL`, `FL`).
    public var name: String { ecosystem.code }
}

/// A map run's plan: the configuration's grid, streaming and ecosystems, each with its model. Built from
/// the one `RunConfiguration` (no second parser): `soilbeta map` takes the models named in the
/// configuration; `soilbeta run` passes the models its forest steps wrote.
public struct MapPlan: Sendable {
    /// The configuration.
    public private(set) var configuration: RunConfiguration
    /// The target grid.
    public let grid: RasterGrid
    /// Where outputs go.
    public private(set) var layout: RunLayout
    /// Rows per streamed tile.
    public let tileRows: Int
    /// Worker threads (nil = all cores).
    public let threads: Int?
    /// The ecosystems to map, in the paper's order.
    public var ecosystems: [EcosystemSpec]

    /// Checks, before any work, that every raster the configuration maps with (area, topsoil and
    /// covariate rasters of every configured ecosystem) is on the grid in CRS, extent and resolution.
    /// - Throws: `ConfigError`, `FileError` or `RasterError`/`GridMismatch` naming the raster and the fix.
    public static func checkRasters(of configuration: RunConfiguration) throws {
        let placeholders = Dictionary(uniqueKeysWithValues: configuration.ecosystems.map { ($0.ecosystem, "") })
        let plan = try MapPlan(configuration: configuration, models: placeholders)
        try plan.grid.requireCompatibleRasters(plan.rasterPaths)
    }

    /// Every output raster of the whole-grid run (or of the shard in `folder`), ecosystem by ecosystem.
    public func outputPaths(in folder: String? = nil) -> [String] {
        ecosystems.flatMap { e in e.products.map { layout.map(e.ecosystem, $0, in: folder) } }
    }

    /// Whether each ecosystem is mapped with an area of applicability, in ecosystem order.
    public var applicability: [Bool] { ecosystems.map { $0.applicabilityPath != nil } }

    /// Every raster the plan reads (area, topsoil and covariates of each ecosystem), once each, in
    /// ecosystem order.
    public var rasterPaths: [String] {
        var paths: [String] = []
        for ecosystem in ecosystems {
            for path in [ecosystem.areaPath] + ecosystem.topsoil.paths + (ecosystem.topsoilUncertainty?.paths ?? []) + ecosystem.covariates.values.sorted()
            where !paths.contains(path) {
                paths.append(path)
            }
        }
        return paths
    }

    /// The plan of `configuration` as `soilbeta map`, `mosaic` and `submit` run it: a full run configuration
    /// (with `[forest]`) maps the models its forest steps wrote into the run folder (ecosystems without a
    /// model file are not mapped); a map-only configuration maps the models its ecosystems name.
    /// - Throws: `ConfigError` when a full run has no trained model yet (run `soilbeta run` or
    ///   `soilbeta run --train-only` first), as `init(configuration:models:)` otherwise.
    public static func trained(_ configuration: RunConfiguration) throws -> MapPlan {
        guard configuration.forest != nil else { return try MapPlan(configuration: configuration) }
        var models: [Ecosystem: String] = [:]
        for entry in configuration.ecosystems {
            let path = configuration.layout.path(.model(entry.ecosystem))
            if FileManager.default.fileExists(atPath: path) { models[entry.ecosystem] = path }
        }
        guard !models.isEmpty else {
            throw ConfigError(file: configuration.file, key: "forest",
                              message: "no trained model in \(configuration.layout.path(.forestFolder(.cropland)).replacingOccurrences(of: "/CL", with: "/XX"))/model.sbf; "
                                + "train first with `soilbeta run --config \(configuration.file) --train-only`")
        }
        return try MapPlan(configuration: configuration, models: models)
    }

    /// The same plan writing into run folder `folder` (its `maps/`).
    public func withRunFolder(_ folder: String) -> MapPlan {
        var plan = self
        plan.configuration.run.folder = folder
        plan.layout = RunLayout(folder: folder)
        return plan
    }

    /// The configuration file (for messages).
    public var path: String { configuration.file }
    /// The whole-grid output folder (`maps/`).
    public var outputFolder: String { layout.mapsFolder }

    /// Resolves `configuration`. `models` gives the model file of each ecosystem to map (a full run's
    /// trained models); when nil, each configured ecosystem's `model` key is used.
    /// - Throws: `ConfigError` (grid, missing model), `RasterError` for a `[grid] like` raster.
    public init(configuration: RunConfiguration, models: [Ecosystem: String]? = nil) throws {
        try configuration.checkInputs()
        self.configuration = configuration
        layout = configuration.layout
        tileRows = configuration.map.tileRows
        threads = configuration.run.threads
        let settings = configuration.grid
        if let like = settings.like {
            grid = try Raster(path: like).grid
        } else {
            let e = settings.extent
            do {
                grid = try RasterGrid.covering(Extent(west: e[0], south: e[1], east: e[2], north: e[3]), resolution: settings.resolution)
            } catch {
                throw ConfigError(file: configuration.file, key: "grid", message: userMessage(for: error))
            }
        }
        var specs: [EcosystemSpec] = []
        for entry in configuration.ecosystems {
            let model: String
            if let models {
                guard let trained = models[entry.ecosystem] else { continue }
                model = trained
            } else {
                guard let named = entry.model else {
                    throw ConfigError(file: configuration.file, key: "ecosystems.\(entry.ecosystem.code).model", message: "required: the model file")
                }
                model = named
            }
            guard let topsoil = entry.topsoil ?? configuration.topsoil else {
                throw ConfigError(file: configuration.file, key: "topsoil", message: "required for \(entry.ecosystem.name)")
            }
            var applicability = entry.applicability, variogram = entry.variogram, errorCorrelation: String? = nil
            if models != nil {
                let learnt = layout.path(.applicability(entry.ecosystem)), fitted = layout.path(.residualVariogram(entry.ecosystem))
                applicability = FileManager.default.fileExists(atPath: learnt) ? learnt : nil
                variogram = FileManager.default.fileExists(atPath: fitted) ? fitted : nil
                let correlation = layout.path(.forestErrorCorrelation(entry.ecosystem))
                errorCorrelation = FileManager.default.fileExists(atPath: correlation) ? correlation : nil
            }
            specs.append(EcosystemSpec(ecosystem: entry.ecosystem, modelPath: model, areaPath: entry.area, areaUnit: entry.areaUnit,
                                       covariates: configuration.covariates.merging(entry.covariates) { _, own in own },
                                       topsoil: topsoil, applicabilityPath: applicability, variogramPath: variogram,
                                       errorCorrelationPath: errorCorrelation,
                                       topsoilUncertainty: entry.topsoil == nil ? configuration.topsoilUncertainty : nil,
                                       simulatesIntervals: configuration.uncertainty.enabled && variogram != nil))
        }
        ecosystems = specs
    }
}
