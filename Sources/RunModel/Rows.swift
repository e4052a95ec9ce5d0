import Essentials
import Foundation

// The typed rows of every table of the run folder (see `RunLayout` for where each lives). Column names
// appear here and nowhere else.

/// `beta.csv`: one row per profile — layer SOC densities (Eq. 1, Mg C ha⁻¹), β (Eq. 3) and its fit RMSE, the
/// number of horizons whose BD was gap-filled, and a status; site columns when the input had them.
public struct BetaRow: TableRow, Equatable {
    /// Profile id.
    public var id = ""
    /// SOC density of 0–20 … 80–100 cm, Mg C ha⁻¹ (NaN = missing).
    public var layerDensity = [Double](repeating: .nan, count: 5)
    /// SOC density 0–100 cm, Mg C ha⁻¹.
    public var density0to100 = Double.nan
    /// β (NaN when not fitted).
    public var beta = Double.nan
    /// RMSE of the β fit on the cumulative proportions.
    public var rmse = Double.nan
    /// Horizons whose BD was gap-filled.
    public var bulkDensityFilled = 0
    /// `ok`, or why the profile has no β.
    public var status = ""
    /// Longitude, degrees (site columns).
    public var longitude = Double.nan
    /// Latitude, degrees.
    public var latitude = Double.nan
    /// Ecosystem.
    public var ecosystem: Ecosystem?
    /// Source study.
    public var study = ""

    /// An empty row.
    public init() {}

    /// The site columns, left out of a table whose profiles have no site data.
    public static let siteColumns: Set<String> = ["lon", "lat", "ecosystem", "study"]

    /// The columns of `beta.csv`.
    public static var columns: [TableColumn<BetaRow>] {
        [.text("id", \.id)]
            + ["0_20", "20_40", "40_60", "60_80", "80_100"].enumerated().map { index, label in
                .number("socd_\(label)", \BetaRow.layerDensity[index])
            }
            + [.number("socd_0_100", \.density0to100), .number("beta", \.beta), .number("rmse", \.rmse),
               .integer("bd_filled", \.bulkDensityFilled), .text("status", \.status),
               .number("lon", \.longitude, optional: true, range: SiteTable.longitudeRange),
               .number("lat", \.latitude, optional: true, range: SiteTable.latitudeRange),
               .ecosystem("ecosystem", \.ecosystem, optional: true), .text("study", \.study, optional: true)]
    }
}

/// `sites.csv`: profiles with β and the model's covariates at the site. The covariate columns are the
/// run's `[forest] features`, so the table carries them by name.
public struct SiteTable: Sendable, Equatable {
    /// Covariate names (columns after `beta`).
    public var features: [String]
    /// Profile ids.
    public var ids: [String] = []
    /// Longitudes, degrees.
    public var longitude: [Double] = []
    /// Latitudes, degrees.
    public var latitude: [Double] = []
    /// Ecosystems.
    public var ecosystem: [Ecosystem?] = []
    /// β per profile.
    public var beta: [Double] = []
    /// `covariates[feature][row]`, NaN where missing.
    public var covariates: [String: [Double]] = [:]

    /// An empty table with the given covariates.
    public init(features: [String]) {
        self.features = features
        for feature in features { covariates[feature] = [] }
    }

    /// The fixed leading columns.
    public static let fixedColumns = ["id", "lon", "lat", "ecosystem", "beta"]
    /// Valid longitudes, degrees (0–360 grids allowed).
    public static let longitudeRange: ClosedRange<Double> = -180...360
    /// Valid latitudes, degrees.
    public static let latitudeRange: ClosedRange<Double> = -90...90

    /// Number of profiles.
    public var count: Int { ids.count }

    /// The values of covariate `feature` (NaN-filled when absent).
    public func values(of feature: String) -> [Double] { covariates[feature] ?? [Double](repeating: .nan, count: count) }

    /// Appends one profile.
    public mutating func append(id: String, longitude: Double, latitude: Double, ecosystem: Ecosystem?, beta: Double, covariates row: [Double]) {
        ids.append(id)
        self.longitude.append(longitude)
        self.latitude.append(latitude)
        self.ecosystem.append(ecosystem)
        self.beta.append(beta)
        for (feature, value) in zip(features, row) { covariates[feature, default: []].append(value) }
    }

    /// Writes the table atomically.
    public func write(to path: String) throws {
        var writer = CSVWriter(header: Self.fixedColumns + features)
        for row in ids.indices {
            writer.append(row: [ids[row], CSVWriter.format(longitude[row]), CSVWriter.format(latitude[row]),
                                ecosystem[row]?.name ?? "", CSVWriter.format(beta[row])]
                          + features.map { CSVWriter.format(covariates[$0]?[row] ?? .nan) })
        }
        try writer.write(to: path)
    }

    /// Reads `sites.csv` written by `write`, with the covariate columns `features`.
    /// - Throws: `FileError` naming the file and a missing column, or file, line and field of a bad value.
    public static func read(path: String, features: [String]) throws -> SiteTable {
        let csv = try CSVTable.read(path: path)
        var columns: [Int] = []
        for name in fixedColumns + features {
            guard let index = csv.column(name) else {
                throw FileError(file: path, line: 1, field: name, message: "required column is missing (columns: \((fixedColumns + features).joined(separator: ", ")))")
            }
            columns.append(index)
        }
        var table = SiteTable(features: features)
        for (r, fields) in csv.rows.enumerated() {
            func context(_ k: Int) -> FieldContext { FieldContext(file: path, line: csv.lineOfRow[r], column: csv.header[columns[k]]) }
            let values = try features.indices.map { try context(5 + $0).number(fields[columns[5 + $0]]) }
            table.append(id: fields[columns[0]], longitude: try context(1).number(fields[columns[1]], range: longitudeRange),
                         latitude: try context(2).number(fields[columns[2]], range: latitudeRange), ecosystem: try context(3).ecosystem(fields[columns[3]]),
                         beta: try context(4).number(fields[columns[4]]), covariates: values)
        }
        return table
    }
}

/// `forest/XX/cv_random.csv`, `cv_spatial.csv`: out-of-fold prediction of every profile.
public struct CrossValidationRow: TableRow, Equatable {
    /// Profile id.
    public var id = ""
    /// Observed β.
    public var observed = Double.nan
    /// Out-of-fold predicted β.
    public var predicted = Double.nan
    /// Fold (1-based).
    public var fold = 0
    /// Scheme (`random`, `spatial`).
    public var scheme = ""

    /// An empty row.
    public init() {}
    /// A row.
    public init(id: String, observed: Double, predicted: Double, fold: Int, scheme: ValidationScheme) {
        (self.id, self.observed, self.predicted) = (id, observed, predicted)
        self.fold = fold
        self.scheme = scheme.rawValue
    }

    /// The columns.
    public static var columns: [TableColumn<CrossValidationRow>] {
        [.text("id", \.id), .number("observed", \.observed), .number("predicted", \.predicted), .integer("fold", \.fold),
         .text("scheme", \.scheme, optional: true)]
    }
}

/// `forest/XX/cv.json`: pooled and per-fold skill of each scheme.
public struct CrossValidationDocument: Codable, Sendable, Equatable {
    /// Skill over a set of rows.
    public struct Skill: Codable, Sendable, Equatable {
        /// Fold (1-based); nil for the pooled figures.
        public var fold: Int?
        /// Rows.
        public var n: Int
        /// R² (1 − SSE/SST).
        public var r2: Double
        /// Root mean squared error.
        public var rmse: Double
        /// Skill figures.
        public init(fold: Int?, n: Int, r2: Double, rmse: Double) {
            (self.fold, self.n, self.r2) = (fold, n, r2)
            self.rmse = rmse
        }
    }
    /// One scheme's result.
    public struct Scheme: Codable, Sendable, Equatable {
        /// Number of folds.
        public var folds: Int
        /// Pooled skill.
        public var pooled: Skill
        /// Skill per fold.
        public var perFold: [Skill]
        /// A scheme's result.
        public init(folds: Int, pooled: Skill, perFold: [Skill]) {
            self.folds = folds
            self.pooled = pooled
            self.perFold = perFold
        }
        enum CodingKeys: String, CodingKey { case folds, pooled, perFold = "per_fold" }
    }
    /// Random k-fold.
    public var random: Scheme
    /// Spatial blocks (absent when only random folds were run).
    public var spatial: Scheme?
    /// kNNDM folds (absent unless `[forest] knndm = true`).
    public var knndm: Scheme?
    /// Clusters the kNNDM folds were dealt from (nil: the random folds matched the prediction distances best).
    public var knndmClusters: Int?
    /// Wasserstein distance (km) between each scheme's held-out-to-training and the prediction-to-training
    /// nearest-neighbour distances, by scheme name (METHOD.md §7b); empty without prediction points.
    public var wasserstein: [String: Double]

    /// The document.
    public init(random: Scheme, spatial: Scheme?, knndm: Scheme? = nil, knndmClusters: Int? = nil, wasserstein: [String: Double] = [:]) {
        (self.random, self.spatial, self.knndm) = (random, spatial, knndm)
        (self.knndmClusters, self.wasserstein) = (knndmClusters, wasserstein)
    }

    enum CodingKeys: String, CodingKey { case random, spatial, knndm, knndmClusters = "knndm_clusters", wasserstein }

    /// Decodes the document; the kNNDM entries are optional (files of earlier runs lack them).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        random = try c.decode(Scheme.self, forKey: .random)
        spatial = try c.decodeIfPresent(Scheme.self, forKey: .spatial)
        knndm = try c.decodeIfPresent(Scheme.self, forKey: .knndm)
        knndmClusters = try c.decodeIfPresent(Int.self, forKey: .knndmClusters)
        wasserstein = try c.decodeIfPresent([String: Double].self, forKey: .wasserstein) ?? [:]
    }
}

/// `forest/XX/distances.csv`: one nearest-neighbour distance (km) of a distribution: `prediction`
/// (a mapped cell to the nearest training site), or a CV scheme (a held-out site to the nearest site of the
/// other folds).
public struct NearestDistanceRow: TableRow, Equatable {
    /// `prediction`, `random`, `spatial` or `knndm`.
    public var distribution = ""
    /// Great-circle distance, km.
    public var distanceKm = Double.nan

    /// An empty row.
    public init() {}
    /// A row.
    public init(distribution: String, distanceKm: Double) { (self.distribution, self.distanceKm) = (distribution, distanceKm) }

    /// The columns.
    public static var columns: [TableColumn<NearestDistanceRow>] {
        [.text("distribution", \.distribution), .number("distance_km", \.distanceKm)]
    }
}

/// `forest/XX/importance.csv`: permutation (%IncMSE) and impurity importance per feature.
/// Also the `importance` entries of `summary.json`.
public struct ImportanceRow: TableRow, Equatable, Codable {
    /// Feature.
    public var feature = ""
    /// Mean increase of OOB MSE when the feature is permuted, and its standard deviation over trees.
    public var increaseMSE = Double.nan, increaseMSESD = Double.nan
    /// %IncMSE (increase / SD, randomForest's scaled importance).
    public var percentIncreaseMSE = Double.nan
    /// Total impurity decrease, and the share of the positive permutation importance (%).
    public var increaseNodePurity = Double.nan, relativeContributionPercent = Double.nan

    enum CodingKeys: String, CodingKey {
        case feature, increaseMSE = "inc_mse", increaseMSESD = "inc_mse_sd", percentIncreaseMSE = "pct_inc_mse"
        case increaseNodePurity = "inc_node_purity", relativeContributionPercent = "relative_contribution_pct"
    }

    /// An empty row.
    public init() {}

    /// The columns.
    public static var columns: [TableColumn<ImportanceRow>] {
        [.text("feature", \.feature), .number("inc_mse", \.increaseMSE), .number("inc_mse_sd", \.increaseMSESD),
         .number("pct_inc_mse", \.percentIncreaseMSE), .number("inc_node_purity", \.increaseNodePurity),
         .number("relative_contribution_pct", \.relativeContributionPercent)]
    }
}

/// `forest/XX/tuning.csv`: the tuning grid (OOB error per mtry × trees) and the chosen cell.
public struct TuningRow: TableRow, Equatable {
    /// Features tried per split.
    public var mtry = 0
    /// Trees.
    public var trees = 0
    /// OOB mean squared error.
    public var oobMSE = Double.nan
    /// OOB R².
    public var oobR2 = Double.nan
    /// The cell chosen for the final forest.
    public var chosen = false

    /// An empty row.
    public init() {}

    /// The columns.
    public static var columns: [TableColumn<TuningRow>] {
        [.integer("mtry", \.mtry), .integer("trees", \.trees), .number("oob_mse", \.oobMSE), .number("oob_r2", \.oobR2),
         .flag("chosen", \.chosen)]
    }
}

/// `forest/XX/summary.json`: the final forest's parameters, OOB skill and importance.
public struct ForestSummaryDocument: Codable, Sendable, Equatable {
    /// Training rows.
    public var n: Int
    /// Response name.
    public var target: String
    /// Features.
    public var features: [String]
    /// Trees.
    public var trees: Int
    /// Features tried per split.
    public var mtry: Int
    /// Minimum node size.
    public var minNodeSize: Int
    /// Maximum depth (nil = unlimited).
    public var maxDepth: Int?
    /// Bootstrap with replacement.
    public var sampleWithReplacement: Bool
    /// Fraction of rows per tree.
    public var sampleFraction: Double
    /// Seed.
    public var seed: UInt64
    /// The model keeps quantile data (QRF).
    public var quantileData: Bool
    /// OOB MSE.
    public var oobMSE: Double
    /// OOB RMSE.
    public var oobRMSE: Double
    /// OOB R².
    public var oobR2: Double
    /// Importance per feature.
    public var importance: [ImportanceRow]

    /// The document.
    public init(n: Int, target: String, features: [String], trees: Int, mtry: Int, minNodeSize: Int, maxDepth: Int?,
                sampleWithReplacement: Bool, sampleFraction: Double, seed: UInt64, quantileData: Bool, oobMSE: Double,
                oobRMSE: Double, oobR2: Double, importance: [ImportanceRow]) {
        (self.n, self.target, self.features) = (n, target, features)
        (self.trees, self.mtry, self.minNodeSize) = (trees, mtry, minNodeSize)
        (self.maxDepth, self.sampleWithReplacement, self.sampleFraction) = (maxDepth, sampleWithReplacement, sampleFraction)
        (self.seed, self.quantileData, self.oobMSE) = (seed, quantileData, oobMSE)
        (self.oobRMSE, self.oobR2, self.importance) = (oobRMSE, oobR2, importance)
    }

    enum CodingKeys: String, CodingKey {
        case n, target, features, trees, mtry, seed, importance
        case minNodeSize = "min_node_size", maxDepth = "max_depth", sampleWithReplacement = "sample_with_replacement"
        case sampleFraction = "sample_fraction", quantileData = "quantile_data", oobMSE = "oob_mse", oobRMSE = "oob_rmse", oobR2 = "oob_r2"
    }
}

/// `maps/stocks.csv`: paper Table 1 — per ecosystem (then `all`) and layer.
public struct StockRow: TableRow, Equatable, Codable {
    /// Ecosystem code (`CL`, `GL`, `FL`) or `all`.
    public var ecosystem = ""
    /// Layer label, e.g. `20-100`.
    public var layer = ""
    /// Area entering the stocks, 10⁹ ha.
    public var area1e9Ha = Double.nan
    /// Area-weighted mean SOC density, Mg C ha⁻¹.
    public var socdMeanMgPerHa = Double.nan
    /// Stock from the mean β, Pg C.
    public var stockPg = Double.nan
    /// Bounds, Pg C, not an interval: every cell at its β 5 % (95 %) quantile at once.
    public var stockPgBoundLow = Double.nan, stockPgBoundHigh = Double.nan
    /// Area inside the area of applicability (AOA) entering the stocks, 10⁹ ha (NaN without an AOA).
    public var area1e9HaInsideAOA = Double.nan
    /// Stock from the mean β of the cells inside the AOA, Pg C (NaN without an AOA); outside = `stockPg` − this.
    public var stockPgInsideAOA = Double.nan
    /// Mean and 2.5 % / 97.5 % percentiles of the simulated stock, Pg C (METHOD.md §8d; NaN when not simulated).
    public var stockPgSimulatedMean = Double.nan, stockPgLow95 = Double.nan, stockPgHigh95 = Double.nan

    /// An empty row.
    public init() {}

    /// A row.
    public init(ecosystem: String, layer: String, area1e9Ha: Double, socdMeanMgPerHa: Double, stockPg: Double,
                stockPgBoundLow: Double, stockPgBoundHigh: Double, area1e9HaInsideAOA: Double = .nan, stockPgInsideAOA: Double = .nan) {
        (self.ecosystem, self.layer, self.area1e9Ha) = (ecosystem, layer, area1e9Ha)
        (self.socdMeanMgPerHa, self.stockPg, self.stockPgBoundLow) = (socdMeanMgPerHa, stockPg, stockPgBoundLow)
        (self.stockPgBoundHigh, self.area1e9HaInsideAOA, self.stockPgInsideAOA) = (stockPgBoundHigh, area1e9HaInsideAOA, stockPgInsideAOA)
    }

    /// Is this the row of every ecosystem together?
    public var isTotal: Bool { ecosystem == "all" }

    /// The columns (numbers as `%.17g`).
    public static var columns: [TableColumn<StockRow>] {
        [.text("ecosystem", \.ecosystem), .text("layer", \.layer),
         .number("area_1e9_ha", \.area1e9Ha, format: .digits17), .number("socd_mean_mg_ha", \.socdMeanMgPerHa, format: .digits17),
         .number("stock_pg", \.stockPg, format: .digits17), .number("stock_pg_bound_lo", \.stockPgBoundLow, format: .digits17),
         .number("stock_pg_bound_hi", \.stockPgBoundHigh, format: .digits17),
         .number("area_1e9_ha_inside_aoa", \.area1e9HaInsideAOA, format: .digits17, optional: true),
         .number("stock_pg_inside_aoa", \.stockPgInsideAOA, format: .digits17, optional: true),
         .number("stock_pg_sim_mean", \.stockPgSimulatedMean, format: .digits17, optional: true),
         .number("stock_pg_lo95", \.stockPgLow95, format: .digits17, optional: true),
         .number("stock_pg_hi95", \.stockPgHigh95, format: .digits17, optional: true)]
    }

    enum CodingKeys: String, CodingKey {
        case ecosystem, layer, area1e9Ha = "area_1e9_ha", socdMeanMgPerHa = "socd_mean_mg_ha", stockPg = "stock_pg"
        case stockPgBoundLow = "stock_pg_bound_lo", stockPgBoundHigh = "stock_pg_bound_hi"
        case area1e9HaInsideAOA = "area_1e9_ha_inside_aoa", stockPgInsideAOA = "stock_pg_inside_aoa"
        case stockPgSimulatedMean = "stock_pg_sim_mean", stockPgLow95 = "stock_pg_lo95", stockPgHigh95 = "stock_pg_hi95"
    }
}

/// Counts of one ecosystem over a map run.
public struct EcosystemCounts: Sendable, Equatable, Codable {
    /// Ecosystem code.
    public var ecosystem: String
    /// Cells with area > 0, and cells with a β prediction.
    public var cellsWithArea, predicted: Int
    /// Cells with area but a missing covariate (β nodata), and cells with β but no topsoil density (SOCD nodata).
    public var missingCovariate, missingTopsoil: Int
    /// Area (ha) with the ecosystem but not in the stocks.
    public var areaNotMappedHa: Double

    /// Counts of one ecosystem.
    public init(ecosystem: String, cellsWithArea: Int, predicted: Int, missingCovariate: Int, missingTopsoil: Int, areaNotMappedHa: Double) {
        (self.ecosystem, self.areaNotMappedHa) = (ecosystem, areaNotMappedHa)
        (self.cellsWithArea, self.predicted) = (cellsWithArea, predicted)
        (self.missingCovariate, self.missingTopsoil) = (missingCovariate, missingTopsoil)
    }
}

/// `maps/stocks.json`: the stocks with units and the counts.
public struct StocksDocument: Codable, Sendable, Equatable {
    /// Units of the columns.
    public var units: [String: String]
    /// Table 1 rows.
    public var stocks: [StockRow]
    /// Counts per ecosystem.
    public var counts: [EcosystemCounts]

    /// The document of `stocks` and `counts`.
    public init(stocks: [StockRow], counts: [EcosystemCounts]) {
        units = ["area_1e9_ha": "1e9 ha", "socd_mean_mg_ha": "Mg C ha-1", "stock_pg": "Pg C"]
        self.stocks = stocks
        self.counts = counts
    }
}

/// `drivers/beta_summary.csv`: β by ecosystem and overall (METHOD.md §6).
public struct BetaSummaryRow: TableRow, Equatable {
    /// Group (`cropland` … or `all`).
    public var group = ""
    /// Profiles.
    public var n = 0
    /// Mean and median.
    public var mean = Double.nan, median = Double.nan
    /// 5th and 95th percentile (R type 7).
    public var p05 = Double.nan, p95 = Double.nan
    /// Standard deviation and coefficient of variation (%).
    public var sd = Double.nan, cvPercent = Double.nan

    /// An empty row.
    public init() {}

    /// The columns.
    public static var columns: [TableColumn<BetaSummaryRow>] {
        [.text("group", \.group), .integer("n", \.n), .number("mean", \.mean), .number("median", \.median),
         .number("p05", \.p05), .number("p95", \.p95), .number("sd", \.sd), .number("cv_pct", \.cvPercent)]
    }
}

/// `drivers/anova.csv`: one-way ANOVA of β on ecosystem (R `summary(aov())`).
public struct AnovaRow: TableRow, Equatable {
    /// `ecosystem` or `residuals`.
    public var term = ""
    /// Degrees of freedom.
    public var df = 0
    /// Sum of squares and mean square.
    public var sumSquares = Double.nan, meanSquare = Double.nan
    /// F statistic and p value (ecosystem row).
    public var fValue = Double.nan, pValue = Double.nan
    /// `true`/`false` (p < 0.05), empty on the residual row.
    public var significant = ""

    /// An empty row.
    public init() {}

    /// The columns.
    public static var columns: [TableColumn<AnovaRow>] {
        [.text("term", \.term), .integer("df", \.df), .number("sum_sq", \.sumSquares), .number("mean_sq", \.meanSquare),
         .number("f_value", \.fValue), .number("p_value", \.pValue), .text("significant", \.significant)]
    }
}

/// `drivers/tukey.csv`: Tukey HSD comparisons of β between ecosystems (95 % family-wise).
public struct TukeyRow: TableRow, Equatable {
    /// `group-reference` as R names it, the group and the reference group.
    public var comparison = "", group = "", reference = ""
    /// Difference of means and its family-wise 95 % interval.
    public var difference = Double.nan, lower = Double.nan, upper = Double.nan
    /// Adjusted p value.
    public var adjustedP = Double.nan

    /// An empty row.
    public init() {}

    /// The columns.
    public static var columns: [TableColumn<TukeyRow>] {
        [.text("comparison", \.comparison), .text("group", \.group), .text("reference", \.reference),
         .number("diff", \.difference), .number("lwr", \.lower), .number("upr", \.upper), .number("p_adj", \.adjustedP)]
    }
}

/// `drivers/smooth_<feature>.csv`: LOESS of β on one covariate with its 95 % band, per group.
public struct SmoothRow: TableRow, Equatable {
    /// Group (`all` is the band; ecosystems thin lines) and its number of profiles.
    public var group = "", n = 0
    /// Covariate value, fitted β and the standard error of the fit.
    public var x = Double.nan, fit = Double.nan, se = Double.nan
    /// The 95 % band.
    public var lower95 = Double.nan, upper95 = Double.nan
    /// Mean β of the group.
    public var meanBeta = Double.nan

    /// An empty row.
    public init() {}

    /// The columns.
    public static var columns: [TableColumn<SmoothRow>] {
        [.text("group", \.group), .integer("n", \.n), .number("x", \.x), .number("fit", \.fit), .number("se", \.se),
         .number("lower95", \.lower95), .number("upper95", \.upper95), .number("mean_beta", \.meanBeta)]
    }
}

/// `drivers/contributions.csv`: relative contribution of each covariate (% of permutation importance).
public struct ContributionRow: TableRow, Equatable {
    /// Feature.
    public var feature = ""
    /// Permutation importance.
    public var importance = Double.nan
    /// Share, %.
    public var percent = Double.nan

    /// An empty row.
    public init() {}

    /// The columns.
    public static var columns: [TableColumn<ContributionRow>] {
        [.text("feature", \.feature), .number("importance", \.importance), .number("percent", \.percent)]
    }
}

/// `forest/XX/baseline.json`: the paper's random-effects baseline, β ~ covariates + (1 | study) by REML,
/// fitted to every profile of the ecosystem, with its cross-validated skill.
public struct BaselineDocument: Codable, Sendable, Equatable {
    /// Fixed-effect names, estimates and standard errors.
    public var terms: [String], coefficients: [Double], standardErrors: [Double]
    /// Variance of the study intercepts and of the residuals.
    public var studyVariance: Double, residualVariance: Double
    /// Number of profiles and of studies.
    public var n: Int, studies: Int
    /// Random and spatial cross-validation skill (same folds as the forest).
    public var random: CrossValidationDocument.Skill, spatial: CrossValidationDocument.Skill
    /// kNNDM cross-validation skill (same folds as the forest), when the run used kNNDM.
    public var knndm: CrossValidationDocument.Skill?

    /// The document.
    public init(terms: [String], coefficients: [Double], standardErrors: [Double], studyVariance: Double, residualVariance: Double,
                n: Int, studies: Int, random: CrossValidationDocument.Skill, spatial: CrossValidationDocument.Skill,
                knndm: CrossValidationDocument.Skill? = nil) {
        (self.terms, self.coefficients, self.standardErrors) = (terms, coefficients, standardErrors)
        (self.studyVariance, self.residualVariance, self.n) = (studyVariance, residualVariance, n)
        (self.studies, self.random, self.spatial, self.knndm) = (studies, random, spatial, knndm)
    }

    /// The skill of `scheme`.
    public func skill(_ scheme: ValidationScheme) -> CrossValidationDocument.Skill? {
        switch scheme {
        case .random: random
        case .spatial: spatial
        case .knndm: knndm
        }
    }

    enum CodingKeys: String, CodingKey {
        case terms, coefficients, n, studies, random, spatial, knndm
        case standardErrors = "standard_errors", studyVariance = "study_variance", residualVariance = "residual_variance"
    }
}
