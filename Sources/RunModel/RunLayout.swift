import Essentials
import Foundation

/// The run folder as a type: every artefact's path comes from here, nowhere else. Paths are absolute;
/// `relative(_:)` gives the form recorded in manifests and step records.
///
///     run.json  run.log  .steps/  report.html  land.tif
///     beta.csv  sites.csv  profiles/{harmonized,issues}.csv
///     forest/XX/{model.sbf,summary.json,importance.csv,tuning.csv,cv_random.csv,cv_spatial.csv,cv.json,NOT_MODELLED.txt}
///     drivers/{beta_summary,anova,tukey,contributions}.csv  drivers/smooth_<feature>.csv
///     maps/XX_<product>.tif  maps/stocks.{csv,json}  maps/.map-state.json  maps/tiles/N/i/
public struct RunLayout: Sendable, Equatable {
    /// The run folder (absolute).
    public let folder: String

    /// The layout of run folder `folder`.
    public init(folder: String) { self.folder = folder }

    /// `folder/relative`.
    public func path(_ relative: String) -> String { (folder as NSString).appendingPathComponent(relative) }

    /// `absolute` relative to the run folder (unchanged when outside it).
    public func relative(_ absolute: String) -> String {
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        return absolute.hasPrefix(prefix) ? String(absolute.dropFirst(prefix.count)) : absolute
    }

    // MARK: Run records

    /// `run.json`: the run manifest (`RunManifest`).
    public var manifest: String { path("run.json") }
    /// `run.log`: time-stamped log lines of every step.
    public var log: String { path("run.log") }
    /// `.steps/`: one record per finished pipeline step.
    public var stepsFolder: String { path(".steps") }
    /// `.steps/<name>.json`.
    public func stepRecord(_ step: String) -> String { path(".steps/\(step).json") }
    /// `report.html`.
    public var report: String { path("report.html") }
    /// `land.tif`: the run's copy of `[report] land`.
    public var land: String { path("land.tif") }

    // MARK: Profiles

    /// `beta.csv`: layer SOC densities and β per profile (`BetaRow`).
    public var betaTable: String { path("beta.csv") }
    /// `sites.csv`: profiles with β and covariates (`SiteTable`).
    public var sitesTable: String { path("sites.csv") }
    /// `profiles/`.
    public var profilesFolder: String { path("profiles") }
    /// `profiles/harmonized.csv`: splined values at the standard depths.
    public var harmonizedTable: String { path("profiles/harmonized.csv") }
    /// `profiles/issues.csv`: findings of the ingest.
    public var issuesTable: String { path("profiles/issues.csv") }

    // MARK: Forest

    /// `forest/XX/`.
    public func forestFolder(_ ecosystem: Ecosystem) -> String { path("forest/\(ecosystem.code)") }
    /// `forest/XX/model.sbf`.
    public func model(_ ecosystem: Ecosystem) -> String { path("forest/\(ecosystem.code)/model.sbf") }
    /// `forest/XX/summary.json` (`ForestSummaryDocument`).
    public func forestSummary(_ ecosystem: Ecosystem) -> String { path("forest/\(ecosystem.code)/summary.json") }
    /// `forest/XX/importance.csv` (`ImportanceRow`).
    public func importance(_ ecosystem: Ecosystem) -> String { path("forest/\(ecosystem.code)/importance.csv") }
    /// `forest/XX/tuning.csv` (`TuningRow`).
    public func tuning(_ ecosystem: Ecosystem) -> String { path("forest/\(ecosystem.code)/tuning.csv") }
    /// `forest/XX/cv_<scheme>.csv` (`CrossValidationRow`).
    public func crossValidation(_ ecosystem: Ecosystem, _ scheme: ValidationScheme) -> String {
        path("forest/\(ecosystem.code)/cv_\(scheme.rawValue).csv")
    }
    /// `forest/XX/cv.json` (`CrossValidationDocument`).
    public func crossValidationSummary(_ ecosystem: Ecosystem) -> String { path("forest/\(ecosystem.code)/cv.json") }
    /// `forest/XX/NOT_MODELLED.txt`: why an ecosystem has no model.
    public func notModelled(_ ecosystem: Ecosystem) -> String { path("forest/\(ecosystem.code)/NOT_MODELLED.txt") }

    // MARK: Drivers

    /// `drivers/`.
    public var driversFolder: String { path("drivers") }
    /// `drivers/beta_summary.csv` (`BetaSummaryRow`).
    public var betaSummary: String { path("drivers/beta_summary.csv") }
    /// `drivers/anova.csv` (`AnovaRow`).
    public var anova: String { path("drivers/anova.csv") }
    /// `drivers/tukey.csv` (`TukeyRow`).
    public var tukey: String { path("drivers/tukey.csv") }
    /// `drivers/contributions.csv` (`ContributionRow`).
    public var contributions: String { path("drivers/contributions.csv") }
    /// `drivers/smooth_<feature>.csv` (`SmoothRow`); the feature name made safe for a file name (letters,
    /// digits, `-`, `_`, `.`; others become `_`).
    public func smooth(_ feature: String) -> String {
        let safe = String(feature.map { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) ? $0 : "_" })
        return path("drivers/smooth_\(safe).csv")
    }

    // MARK: Maps

    /// `maps/`.
    public var mapsFolder: String { path("maps") }
    /// `maps/XX_<product>.tif` (whole-grid outputs) or the same name in a shard folder.
    public func map(_ ecosystem: Ecosystem, _ product: MapProduct, in folder: String? = nil) -> String {
        ((folder ?? mapsFolder) as NSString).appendingPathComponent(product.fileName(ecosystem))
    }
    /// `maps/stocks.csv` (`StockRow`).
    public var stocksTable: String { path("maps/stocks.csv") }
    /// `maps/stocks.json` (`StocksDocument`).
    public var stocksDocument: String { path("maps/stocks.json") }
    /// `maps/.map-state.json` (or in a shard folder): the map step's completion record (`MapState`).
    public func mapState(in folder: String? = nil) -> String {
        ((folder ?? mapsFolder) as NSString).appendingPathComponent(".map-state.json")
    }
    /// `maps/tiles/N/i/`: the outputs of row shard `index` (1-based) of `count`.
    public func shardFolder(index: Int, count: Int) -> String { path("maps/tiles/\(count)/\(index)") }
}

/// The cross-validation schemes of the forest step (METHOD.md §7).
public enum ValidationScheme: String, Sendable, CaseIterable, Codable {
    /// Random k-fold.
    case random
    /// Spatial blocks of `block_deg` degrees.
    case spatial
}

/// The SOC density layers reported per ecosystem (METHOD.md §5): 0–20 … 80–100, 20–100 (subsoil), 0–100 cm.
public enum SOCLayer {
    /// (upper, lower) depth in cm of every reported layer, in output order.
    public static let depthsCentimetres: [(upper: Double, lower: Double)] = [
        (0, 20), (20, 40), (40, 60), (60, 80), (80, 100), (20, 100), (0, 100),
    ]
    /// Labels as in file names and tables (`0-20`, `20-100`, …).
    public static let labels: [String] = ["0-20", "20-40", "40-60", "60-80", "80-100", "20-100", "0-100"]
    /// Number of reported layers.
    public static var count: Int { labels.count }
    /// Index of the subsoil layer 20–100 cm.
    public static let subsoil = 5
}

/// One raster written per ecosystem by the map step, in band-slot order: β mean, q05, q95, area (ha), then
/// the SOC density of every `SOCLayer` (METHOD.md §9 names, e.g. `CL_20-100_SOCD.tif`).
public enum MapProduct: Sendable, Equatable, Hashable {
    /// β, random-forest mean.
    case beta
    /// β 5 % quantile (QRF).
    case betaQ05
    /// β 95 % quantile (QRF).
    case betaQ95
    /// Ecosystem area in the cell, ha.
    case areaHa
    /// SOC density of `SOCLayer` index `layer`, Mg C ha⁻¹.
    case socDensity(layer: Int)

    /// Every product in slot order.
    public static var all: [MapProduct] { [.beta, .betaQ05, .betaQ95, .areaHa] + (0..<SOCLayer.count).map { .socDensity(layer: $0) } }

    /// The file name for `ecosystem`, e.g. `CL_beta_q05.tif`, `GL_20-100_SOCD.tif`.
    public func fileName(_ ecosystem: Ecosystem) -> String {
        switch self {
        case .beta: "\(ecosystem.code)_beta.tif"
        case .betaQ05: "\(ecosystem.code)_beta_q05.tif"
        case .betaQ95: "\(ecosystem.code)_beta_q95.tif"
        case .areaHa: "\(ecosystem.code)_area_ha.tif"
        case let .socDensity(layer): "\(ecosystem.code)_\(SOCLayer.labels[layer])_SOCD.tif"
        }
    }

    /// Band description written into the raster.
    public var bandDescription: String {
        switch self {
        case .beta: "beta (SOC depth parameter, random forest mean)"
        case .betaQ05: "beta 5% quantile (quantile regression forest)"
        case .betaQ95: "beta 95% quantile (quantile regression forest)"
        case .areaHa: "area in the cell"
        case let .socDensity(layer): "SOC density \(SOCLayer.labels[layer]) cm"
        }
    }

    /// Unit of the values.
    public var unit: String {
        switch self {
        case .beta, .betaQ05, .betaQ95: "1"
        case .areaHa: "ha"
        case .socDensity: "Mg ha-1"
        }
    }
}
