import Essentials
import Foundation
import RunModel

/// Everything the report shows, read from a run folder through the run model: the typed tables
/// (`RunTable`, `SiteTable`), the manifest (`RunDocument`) and the maps (reduced for display). A piece the
/// run has not written is nil; a piece that exists but is malformed stops the loading with an error naming
/// the file, line and column. The section renderers of `RunReport` only read this value.
struct RunData {
    /// Profiles with location, ecosystem, β and covariates.
    struct Profiles {
        /// The table they came from (relative path).
        var source: String
        var lon: [Double]
        var lat: [Double]
        var ecosystem: [String]
        var beta: [Double]
        var covariates: [String: [Double]]
        /// Values of a covariate for every profile, nil when the run has none by that name.
        func covariate(_ feature: String) -> [Double]? { covariates[feature] }
    }

    /// What the forest step left for one ecosystem.
    struct ForestData {
        /// The forest folder exists.
        var present = false
        /// Why the ecosystem was not modelled, when it was not.
        var notModelled: String?
        /// Out-of-fold predictions per scheme.
        var crossValidation: [ValidationScheme: [CrossValidationRow]] = [:]
        /// The tuning grid.
        var tuning: [TuningRow]?
        /// Out-of-fold predictions of the mixed-model baseline per scheme.
        var baseline: [ValidationScheme: [CrossValidationRow]] = [:]
        /// The baseline fitted to every profile.
        var baselineModel: BaselineDocument?
        /// Nearest-neighbour distance distributions (prediction and per CV scheme), when written.
        var distances: [NearestDistanceRow]?
        /// The cross-validation summary (kNNDM clusters, Wasserstein distances).
        var summary: CrossValidationDocument?
    }

    var manifest: RunManifest?
    var profiles: Profiles?
    /// The β table (fit status of every profile), when the run has one.
    var betaRows: [BetaRow]?
    var land: (grid: GeoGrid, source: String)?
    var betaSummary: [BetaSummaryRow]?
    var anova: [AnovaRow]?
    var tukey: [TukeyRow]?
    /// LOESS curves of β per covariate, in the order of `[forest] features`.
    var smooth: [(feature: String, rows: [SmoothRow])] = []
    var contributions: [ContributionRow]?
    var forests: [Ecosystem: ForestData] = [:]
    /// Maps per product and ecosystem, reduced to at most `maxMapColumns` columns (the layer maps other
    /// than the subsoil to half that).
    var maps: [MapProduct: [Ecosystem: GeoGrid]] = [:]
    /// Width of the β prediction interval, q95 − q05, per ecosystem.
    var betaIntervalWidth: [Ecosystem: GeoGrid] = [:]
    var stocks: [StockRow]?
    /// Mean SOC density of each 20-cm layer per ecosystem from `beta.csv` (when the run has no stocks).
    var layerMeansFromProfiles: [(ecosystem: String, meansMgPerHa: [Double])]?
    /// Run-folder files read (relative paths), for the provenance table.
    var filesRead: [String] = []

    /// The map products the report draws, with the largest width each is shown at (fraction of `maxMapColumns`).
    static let mappedProducts: [(product: MapProduct, scale: Int)] = [(.beta, 1), (.betaQ05, 1), (.betaQ95, 1),
                                                                      (.socDensity(layer: SOCLayer.subsoil), 1), (.applicability, 1),
                                                                      (.betaStandardError, 1)]
        + (0..<SOCLayer.count).filter { $0 != SOCLayer.subsoil }.map { (.socDensity(layer: $0), 2) }

    /// Reads the run of `configuration`.
    static func load(configuration: RunConfiguration, maxMapColumns: Int) throws -> RunData {
        let layout = configuration.layout
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: layout.folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ReportError.noRunFolder(path: layout.folder)
        }
        var reader = Reader(layout: layout)
        var data = RunData()
        if reader.exists(.manifest) {
            reader.note(.manifest)
            data.manifest = try RunDocument.read(RunManifest.self, from: layout.path(.manifest))
        }
        data.profiles = try loadProfiles(&reader, features: configuration.forest?.features ?? [])
        data.betaRows = try reader.rows(BetaRow.self, .betaTable)
        data.land = try loadLand(&reader)
        data.betaSummary = try reader.rows(BetaSummaryRow.self, .betaSummary)
        data.anova = try reader.rows(AnovaRow.self, .anova)
        data.tukey = try reader.rows(TukeyRow.self, .tukey)
        for feature in configuration.forest?.features ?? [] {
            if let rows = try reader.rows(SmoothRow.self, .smooth(feature)) { data.smooth.append((feature, rows)) }
        }
        data.contributions = try reader.rows(ContributionRow.self, .contributions)
        for ecosystem in Ecosystem.allCases {
            var forest = ForestData(present: reader.exists(.forestFolder(ecosystem)))
            if reader.exists(.notModelled(ecosystem)) {
                reader.note(.notModelled(ecosystem))
                do {
                    forest.notModelled = try String(contentsOfFile: layout.path(.notModelled(ecosystem)), encoding: .utf8)
                } catch {
                    throw FileError(file: layout.path(.notModelled(ecosystem)), message: "cannot be read: \(userMessage(for: error))")
                }
            }
            for scheme in ValidationScheme.allCases {
                forest.crossValidation[scheme] = try reader.rows(CrossValidationRow.self, .crossValidation(ecosystem, scheme))
            }
            forest.tuning = try reader.rows(TuningRow.self, .tuning(ecosystem))
            for scheme in ValidationScheme.allCases {
                forest.baseline[scheme] = try reader.rows(CrossValidationRow.self, .baselineCrossValidation(ecosystem, scheme))
            }
            forest.distances = try reader.rows(NearestDistanceRow.self, .nearestDistances(ecosystem))
            if reader.exists(.crossValidationSummary(ecosystem)) {
                reader.note(.crossValidationSummary(ecosystem))
                forest.summary = try RunDocument.read(CrossValidationDocument.self, from: layout.path(.crossValidationSummary(ecosystem)))
            }
            if reader.exists(.baseline(ecosystem)) {
                reader.note(.baseline(ecosystem))
                forest.baselineModel = try RunDocument.read(BaselineDocument.self, from: layout.path(.baseline(ecosystem)))
            }
            data.forests[ecosystem] = forest
        }
        for (product, scale) in mappedProducts {
            for ecosystem in Ecosystem.allCases {
                let path = layout.map(ecosystem, product)
                guard FileManager.default.fileExists(atPath: path) else { continue }
                reader.note(path: path)
                data.maps[product, default: [:]][ecosystem] = try GeoGrid.read(path: path).blockMean(maxColumns: max(16, maxMapColumns / scale))
            }
        }
        for ecosystem in Ecosystem.allCases {
            guard var width = data.maps[.betaQ95]?[ecosystem], let low = data.maps[.betaQ05]?[ecosystem],
                  width.values.count == low.values.count else { continue }
            for i in width.values.indices { width.values[i] -= low.values[i] }
            data.betaIntervalWidth[ecosystem] = width
        }
        data.stocks = try reader.rows(StockRow.self, .stocksTable)
        if data.stocks == nil { data.layerMeansFromProfiles = try layerMeans(&reader, features: configuration.forest?.features ?? []) }
        data.filesRead = reader.files.sorted()
        return data
    }

    /// Reads files of one run folder, recording which.
    struct Reader {
        let layout: RunLayout
        var files = Set<String>()

        func exists(_ file: RunFile) -> Bool { FileManager.default.fileExists(atPath: layout.path(file)) }
        mutating func note(_ file: RunFile) { files.insert(file.relativePath) }
        mutating func note(path: String) { files.insert(layout.relative(path)) }

        /// The typed table `file`, or nil when the run has not written it.
        mutating func rows<Row: TableRow>(_ type: Row.Type, _ file: RunFile) throws -> [Row]? {
            guard exists(file) else { return nil }
            note(file)
            return try RunTable.read(type, from: layout.path(file))
        }
    }

    /// The profiles of `sites.csv` (the run's site table with the `[forest] features` covariates), else of
    /// `beta.csv` (profiles with site columns); nil when the run has neither.
    static func loadProfiles(_ reader: inout Reader, features: [String]) throws -> Profiles? {
        if reader.exists(.sitesTable) {
            reader.note(.sitesTable)
            let sites = try SiteTable.read(path: reader.layout.path(.sitesTable), features: features)
            return Profiles(source: "sites.csv", lon: sites.longitude, lat: sites.latitude,
                            ecosystem: sites.ecosystem.map { $0?.name ?? "" }, beta: sites.beta, covariates: sites.covariates)
        }
        guard let rows = try reader.rows(BetaRow.self, .betaTable), rows.contains(where: { $0.ecosystem != nil }) else { return nil }
        return Profiles(source: "beta.csv", lon: rows.map(\.longitude), lat: rows.map(\.latitude),
                        ecosystem: rows.map { $0.ecosystem?.name ?? "" }, beta: rows.map(\.beta), covariates: [:])
    }

    /// The land grid of the map backgrounds: `land.tif` (> 0 = land); else the union of the ecosystem area
    /// rasters `maps/XX_area_ha.tif` (land = any ecosystem area > 0, so bare land without any of the three
    /// ecosystems is drawn as ocean); else nil.
    static func loadLand(_ reader: inout Reader) throws -> (grid: GeoGrid, source: String)? {
        if reader.exists(.land) {
            reader.note(.land)
            return (try GeoGrid.read(path: reader.layout.path(.land)), RunFile.land.relativePath)
        }
        var union: GeoGrid?
        var used: [String] = []
        for ecosystem in Ecosystem.allCases {
            let path = reader.layout.map(ecosystem, .areaHa)
            guard FileManager.default.fileExists(atPath: path) else { continue }
            reader.note(path: path)
            let area = try GeoGrid.read(path: path)
            if var current = union {
                guard current.columns == area.columns, current.rows == area.rows else { continue }
                for i in current.values.indices where !area.values[i].isNaN && area.values[i] > 0 { current.values[i] = 1 }
                union = current
            } else {
                var first = area
                for i in first.values.indices { first.values[i] = (!area.values[i].isNaN && area.values[i] > 0) ? 1 : .nan }
                union = first
            }
            used.append(reader.layout.relative(path))
        }
        return union.map { ($0, used.joined(separator: " + ")) }
    }

    /// Mean SOC density of each 20-cm layer per ecosystem over the profiles of `beta.csv` with all five
    /// layers (ecosystem from `sites.csv` when `beta.csv` has no site columns); nil when there are none.
    static func layerMeans(_ reader: inout Reader, features: [String]) throws -> [(ecosystem: String, meansMgPerHa: [Double])]? {
        guard let rows = try reader.rows(BetaRow.self, .betaTable) else { return nil }
        var ecosystems = rows.map { $0.ecosystem?.name ?? "" }
        if ecosystems.allSatisfy(\.isEmpty), reader.exists(.sitesTable) {
            reader.note(.sitesTable)
            let sites = try SiteTable.read(path: reader.layout.path(.sitesTable), features: features)
            var byID: [String: String] = [:]
            for (k, id) in sites.ids.enumerated() { byID[id] = sites.ecosystem[k]?.name ?? "" }
            ecosystems = rows.map { byID[$0.id] ?? "" }
        }
        var result: [(ecosystem: String, meansMgPerHa: [Double])] = []
        for ecosystem in Ecosystem.allCases {
            let members = ecosystems.indices.filter { row in ecosystems[row] == ecosystem.name && rows[row].layerDensity.allSatisfy(\.isFinite) }
            guard !members.isEmpty else { continue }
            result.append((ecosystem.name, (0..<5).map { layer in members.reduce(0.0) { $0 + rows[$1].layerDensity[layer] } / Double(members.count) }))
        }
        return result.isEmpty ? nil : result
    }
}
