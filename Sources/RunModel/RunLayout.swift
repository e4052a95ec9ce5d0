import Essentials
import Foundation

/// The run folder as a type: every artefact's path comes from here, nowhere else. Paths are absolute;
/// `relative(_:)` gives the form recorded in manifests and step records.
///
///     run.json  run.log  .steps/  report.html  map.html  map/  land.tif
///     beta.csv  sites.csv  profiles/{harmonized,issues}.csv
///     forest/XX/{model.sbf,summary.json,importance.csv,tuning.csv,cv_random.csv,cv_spatial.csv,cv.json,NOT_MODELLED.txt}
///     drivers/{beta_summary,anova,tukey,contributions}.csv  drivers/smooth_<feature>.csv
///     maps/XX_<product>.tif  maps/soilbeta.nc  maps/stocks.{csv,json}  maps/.map-state.json  maps/tiles/N/i/
///     slurm/{train,map-array,mosaic}.sh  slurm/submission.json  slurm/logs/
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

    /// The absolute path of `file` in this run folder.
    public func path(_ file: RunFile) -> String { path(file.relativePath) }

    /// `maps/`: the whole-grid map outputs.
    public var mapsFolder: String { path(.mapsFolder) }
    /// `maps/XX_<product>.tif` (whole-grid outputs) or the same name in a shard folder.
    public func map(_ ecosystem: Ecosystem, _ product: MapProduct, in folder: String? = nil) -> String {
        ((folder ?? mapsFolder) as NSString).appendingPathComponent(product.fileName(ecosystem))
    }
    /// `maps/.map-state.json` (or in a shard folder): the map step's completion record (`MapState`).
    public func mapState(in folder: String? = nil) -> String {
        ((folder ?? mapsFolder) as NSString).appendingPathComponent(".map-state.json")
    }
    /// `maps/tiles/N/i/`: the outputs of row shard `index` (1-based) of `count`.
    public func shardFolder(index: Int, count: Int) -> String { path("maps/tiles/\(count)/\(index)") }
}

/// Every file and folder of a run folder, with its path relative to the run folder: the one list of the
/// run folder's artefacts (the step that writes a file and the report that reads it both name it here).
public enum RunFile: Sendable, Equatable {
    /// `run.json`: the run manifest (`RunManifest`).
    case manifest
    /// `run.log`: time-stamped log lines of every step.
    case log
    /// `.steps/`: one record per finished pipeline step.
    case stepsFolder
    /// `.steps/<name>.json`.
    case stepRecord(String)
    /// `report.html`.
    case report
    /// `map.html`: the interactive map page (Leaflet); its assets and data are in `map/`.
    case mapPage
    /// `map/`: Leaflet, the page script and the data blocks of `map.html`.
    case mapPageFolder
    /// `land.tif`: the run's copy of `[report] land`.
    case land
    /// `beta.csv`: layer SOC densities and β per profile (`BetaRow`).
    case betaTable
    /// `sites.csv`: profiles with β and covariates (`SiteTable`).
    case sitesTable
    /// `sites.gpkg`: the profiles as GeoPackage point layers `sites` and `layers` (QGIS, ogrinfo).
    case sitesPackage
    /// `profiles/`.
    case profilesFolder
    /// `profiles/harmonized.csv`: splined values at the standard depths.
    case harmonizedTable
    /// `profiles/issues.csv`: findings of the ingest.
    case issuesTable
    /// `forest/XX/`.
    case forestFolder(Ecosystem)
    /// `forest/XX/model.sbf`.
    case model(Ecosystem)
    /// `forest/XX/summary.json` (`ForestSummaryDocument`).
    case forestSummary(Ecosystem)
    /// `forest/XX/importance.csv` (`ImportanceRow`).
    case importance(Ecosystem)
    /// `forest/XX/tuning.csv` (`TuningRow`).
    case tuning(Ecosystem)
    /// `forest/XX/cv_<scheme>.csv` (`CrossValidationRow`).
    case crossValidation(Ecosystem, ValidationScheme)
    /// `forest/XX/cv.json` (`CrossValidationDocument`).
    case crossValidationSummary(Ecosystem)
    /// `forest/XX/NOT_MODELLED.txt`: why an ecosystem has no model.
    case notModelled(Ecosystem)
    /// `forest/XX/baseline_cv_<scheme>.csv`: out-of-fold predictions of the mixed-model baseline (`CrossValidationRow`).
    case baselineCrossValidation(Ecosystem, ValidationScheme)
    /// `forest/XX/baseline.json`: the mixed-model baseline fitted to every profile (`BaselineDocument`).
    case baseline(Ecosystem)
    /// `forest/XX/variogram.json`: nugget + exponential variogram of the random-CV residuals (METHOD.md §8d).
    case residualVariogram(Ecosystem)
    /// `forest/XX/se_correlation.json`: correlation range of the forest's sampling errors (`ErrorCorrelationRange`, METHOD.md §8d).
    case forestErrorCorrelation(Ecosystem)
    /// `forest/XX/distances.csv`: nearest-neighbour distances, prediction-to-training and per CV scheme (METHOD.md §7b).
    case nearestDistances(Ecosystem)
    /// `forest/XX/aoa.json`: the area of applicability of the ecosystem's model (training points, weights, threshold).
    case applicability(Ecosystem)
    /// `drivers/`.
    case driversFolder
    /// `drivers/beta_summary.csv` (`BetaSummaryRow`).
    case betaSummary
    /// `drivers/anova.csv` (`AnovaRow`).
    case anova
    /// `drivers/tukey.csv` (`TukeyRow`).
    case tukey
    /// `drivers/contributions.csv` (`ContributionRow`).
    case contributions
    /// `drivers/importance_all.csv`: importance of the forest over all ecosystems (`ImportanceRow`).
    case importanceAll
    /// `drivers/smooth_<feature>.csv` (`SmoothRow`).
    case smooth(String)
    /// `maps/`.
    case mapsFolder
    /// `maps/stocks.csv` (`StockRow`).
    case stocksTable
    /// `maps/stocks.json` (`StocksDocument`).
    case stocksDocument
    /// `maps/soilbeta.nc`: every map of the run in one NetCDF-CF file (`MapCube`).
    case mapCube
    /// `slurm/`: the batch scripts, logs and submission record of `soilbeta submit`.
    case clusterFolder
    /// `slurm/<name>`: a batch script of `soilbeta submit` (`train.sh`, `map-array.sh`, `mosaic.sh`).
    case clusterScript(String)
    /// `slurm/logs/`: the scheduler's output files of the jobs.
    case clusterLogsFolder
    /// `slurm/submission.json`: the jobs `soilbeta submit` submitted (`SubmissionRecord`).
    case submission

    /// The path relative to the run folder.
    public var relativePath: String {
        switch self {
        case .manifest: "run.json"
        case .log: "run.log"
        case .stepsFolder: ".steps"
        case let .stepRecord(step): ".steps/\(step).json"
        case .report: "report.html"
        case .mapPage: "map.html"
        case .mapPageFolder: "map"
        case .land: "land.tif"
        case .betaTable: "beta.csv"
        case .sitesTable: "sites.csv"
        case .sitesPackage: "sites.gpkg"
        case .profilesFolder: "profiles"
        case .harmonizedTable, .issuesTable: "profiles/\(self == .harmonizedTable ? "harmonized" : "issues").csv"
        case let .forestFolder(ecosystem): "forest/\(ecosystem.code)"
        case let .model(ecosystem): "forest/\(ecosystem.code)/model.sbf"
        case let .forestSummary(ecosystem): "forest/\(ecosystem.code)/summary.json"
        case let .importance(ecosystem): "forest/\(ecosystem.code)/importance.csv"
        case let .tuning(ecosystem): "forest/\(ecosystem.code)/tuning.csv"
        case let .crossValidation(ecosystem, scheme): "forest/\(ecosystem.code)/cv_\(scheme.rawValue).csv"
        case let .crossValidationSummary(ecosystem): "forest/\(ecosystem.code)/cv.json"
        case let .notModelled(ecosystem): "forest/\(ecosystem.code)/NOT_MODELLED.txt"
        case let .baselineCrossValidation(ecosystem, scheme): "forest/\(ecosystem.code)/baseline_cv_\(scheme.rawValue).csv"
        case let .baseline(ecosystem): "forest/\(ecosystem.code)/baseline.json"
        case let .applicability(ecosystem): "forest/\(ecosystem.code)/aoa.json"
        case let .nearestDistances(ecosystem): "forest/\(ecosystem.code)/distances.csv"
        case let .residualVariogram(ecosystem): "forest/\(ecosystem.code)/variogram.json"
        case let .forestErrorCorrelation(ecosystem): "forest/\(ecosystem.code)/se_correlation.json"
        case .driversFolder: "drivers"
        case .betaSummary, .anova, .tukey, .contributions, .importanceAll: "drivers/\(driverTableName).csv"
        case let .smooth(feature): "drivers/smooth_\(RunFile.fileSafe(feature)).csv"
        case .mapsFolder: "maps"
        case .stocksTable, .stocksDocument: "maps/stocks.\(self == .stocksTable ? "csv" : "json")"
        case .mapCube: "maps/soilbeta.nc"
        case .clusterFolder: "slurm"
        case let .clusterScript(name): "slurm/\(RunFile.fileSafe(name))"
        case .clusterLogsFolder: "slurm/logs"
        case .submission: "slurm/submission.json"
        }
    }

    /// File name stem of the drivers tables.
    private var driverTableName: String {
        switch self {
        case .betaSummary: "beta_summary"
        case .anova: "anova"
        case .tukey: "tukey"
        case .importanceAll: "importance_all"
        default: "contributions"
        }
    }

    /// A name made safe for a file name: letters, digits, `-`, `_`, `.`; anything else becomes `_`.
    public static func fileSafe(_ name: String) -> String {
        String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) ? $0 : "_" })
    }
}

/// The cross-validation schemes of the forest step (METHOD.md §7).
public enum ValidationScheme: String, Sendable, CaseIterable, Codable {
    /// Random k-fold.
    case random
    /// Spatial blocks of `block_deg` degrees.
    case spatial
    /// k-fold nearest-neighbour distance matching to the mapped cells (`[forest] knndm = true`).
    case knndm
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
    /// Dissimilarity index of the cell's covariates to the training sites (Meyer & Pebesma 2021; METHOD.md §8b).
    case dissimilarity
    /// Area of applicability: 1 inside (DI ≤ threshold), 0 outside.
    case applicability
    /// Infinitesimal-jackknife standard error of the forest mean β (Wager et al. 2014; METHOD.md §7).
    case betaStandardError
    /// 5 % (`high` false) or 95 % quantile of the SOC density of a layer under the mean-field model (METHOD.md §8d), Mg C ha⁻¹.
    case socDensityQuantile(layer: Int, high: Bool)

    /// The products every map run writes per ecosystem, in slot order: β mean, q05, q95, area, SOC densities.
    public static var core: [MapProduct] { [.beta, .betaQ05, .betaQ95, .areaHa] + (0..<SOCLayer.count).map { .socDensity(layer: $0) } }
    /// The products written when the ecosystem has an area of applicability (`forest/XX/aoa.json`).
    public static let applicabilityProducts: [MapProduct] = [.dissimilarity, .applicability]
    /// The products written when the stock intervals are simulated: β's standard error and the subsoil SOCD 5 %/95 %.
    public static let uncertaintyProducts: [MapProduct] = [.betaStandardError, .socDensityQuantile(layer: SOCLayer.subsoil, high: false),
                                                           .socDensityQuantile(layer: SOCLayer.subsoil, high: true)]
    /// Every product a map run may write (for clean-up of stale files).
    public static var all: [MapProduct] { core + applicabilityProducts + uncertaintyProducts }

    /// The file name for `ecosystem`, e.g. `CL_beta_q05.tif`, `GL_20-100_SOCD.tif`.
    public func fileName(_ ecosystem: Ecosystem) -> String {
        switch self {
        case .beta: "\(ecosystem.code)_beta.tif"
        case .betaQ05: "\(ecosystem.code)_beta_q05.tif"
        case .betaQ95: "\(ecosystem.code)_beta_q95.tif"
        case .areaHa: "\(ecosystem.code)_area_ha.tif"
        case let .socDensity(layer): "\(ecosystem.code)_\(SOCLayer.labels[layer])_SOCD.tif"
        case .dissimilarity: "\(ecosystem.code)_DI.tif"
        case .applicability: "\(ecosystem.code)_AOA.tif"
        case .betaStandardError: "\(ecosystem.code)_beta_se.tif"
        case let .socDensityQuantile(layer, high): "\(ecosystem.code)_\(SOCLayer.labels[layer])_SOCD_\(high ? "q95" : "q05").tif"
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
        case .dissimilarity: "dissimilarity index to the training sites (DI)"
        case .applicability: "area of applicability (1 inside, 0 outside)"
        case .betaStandardError: "beta standard error of the forest mean (infinitesimal jackknife)"
        case let .socDensityQuantile(layer, high): "SOC density \(SOCLayer.labels[layer]) cm, \(high ? "95" : "5")% quantile of the mean field"
        }
    }

    /// Unit of the values.
    public var unit: String {
        switch self {
        case .beta, .betaQ05, .betaQ95, .dissimilarity, .applicability, .betaStandardError: "1"
        case .areaHa: "ha"
        case .socDensity, .socDensityQuantile: "Mg ha-1"
        }
    }
}
