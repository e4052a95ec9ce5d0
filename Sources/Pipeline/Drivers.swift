import Essentials
import Forest
import Foundation
import SoilProfiles
import Statistics

/// β joined to ecosystem and covariates by profile id, read from the two CSV files.
public struct DriverInputs: Sendable {
    /// β per profile (NA rows left out).
    public var beta: [Double] = []
    /// Ecosystem name per profile.
    public var ecosystems: [String] = []
    /// Covariate values per profile.
    public var covariates: [DriverCovariate] = []
    /// Profiles left out because β is missing.
    public var missingBetaCount = 0

    /// Columns of the site table that are never covariates.
    static let reservedSiteColumns: Set<String> = ["id", "lon", "lat", "ecosystem", "study"]

    /// Reads and joins the files; every problem is a `FileError` naming file, line and field.
    public static func load(betaPath: String, sitesPath: String, requestedFeatures: [String]) throws -> DriverInputs {
        let betaTable = try CSVTable.read(path: betaPath)
        let siteTable = try CSVTable.read(path: sitesPath)
        let betaID = try betaTable.requireColumn("id")
        let betaValue = try betaTable.requireColumn("beta")
        let betaEcosystem = betaTable.column("ecosystem")
        let siteID = try siteTable.requireColumn("id")
        let siteEcosystem = siteTable.column("ecosystem")
        if betaEcosystem == nil && siteEcosystem == nil {
            _ = try siteTable.requireColumn("ecosystem", purpose: "the β table has none either")
        }

        // Covariate columns: as requested, or every numeric non-reserved site column.
        var featureColumns: [(String, Int)] = []
        if requestedFeatures.isEmpty {
            for (position, name) in siteTable.header.enumerated() where !reservedSiteColumns.contains(name) {
                if (try? siteTable.numericColumn(position)) != nil { featureColumns.append((name, position)) }
            }
        } else {
            var seen = Set<String>()
            for name in requestedFeatures where seen.insert(name).inserted {
                featureColumns.append((name, try siteTable.requireColumn(name, purpose: "requested with --features")))
            }
        }

        var siteRowOfID: [String: Int] = [:]
        for row in 0..<siteTable.rows.count {
            let id = trimmed(siteTable.rows[row][siteID])
            if id.isEmpty { throw FileError(file: sitesPath, line: siteTable.lineOfRow[row], field: "id", message: "missing profile id") }
            if let first = siteRowOfID[id] {
                throw FileError(file: sitesPath, line: siteTable.lineOfRow[row], field: "id",
                               message: "profile id '\(id)' repeats (first on line \(siteTable.lineOfRow[first]))")
            }
            siteRowOfID[id] = row
        }

        var inputs = DriverInputs()
        var columnValues = [[Double]](repeating: [], count: featureColumns.count)
        var betaRowOfID: [String: Int] = [:]
        for row in 0..<betaTable.rows.count {
            let line = betaTable.lineOfRow[row]
            let id = trimmed(betaTable.rows[row][betaID])
            if id.isEmpty { throw FileError(file: betaPath, line: line, field: "id", message: "missing profile id") }
            if let first = betaRowOfID[id] {
                throw FileError(file: betaPath, line: line, field: "id",
                               message: "profile id '\(id)' repeats (first on line \(betaTable.lineOfRow[first]))")
            }
            betaRowOfID[id] = row
            guard let value = try betaTable.number(row: row, column: betaValue) else {
                inputs.missingBetaCount += 1
                continue
            }
            guard value > 0 && value < 1 else {
                throw FileError(file: betaPath, line: line, field: "beta", message: "β = \(value) is outside (0, 1)")
            }
            guard let siteRow = siteRowOfID[id] else {
                throw FileError(file: betaPath, line: line, field: "id", message: "profile '\(id)' has no row in \(sitesPath)")
            }
            // Ecosystem: from the site table, else from the β table; both given must agree.
            var ecosystem: Ecosystem?
            if let column = siteEcosystem, !siteTable.isMissing(row: siteRow, column: column) {
                let text = siteTable.rows[siteRow][column]
                guard let parsed = Ecosystem(parsing: text) else {
                    throw FileError(file: sitesPath, line: siteTable.lineOfRow[siteRow], field: "ecosystem",
                                   message: "'\(text)' is not an ecosystem (cropland, grassland or forestland)")
                }
                ecosystem = parsed
            }
            if let column = betaEcosystem, !betaTable.isMissing(row: row, column: column) {
                let text = betaTable.rows[row][column]
                guard let parsed = Ecosystem(parsing: text) else {
                    throw FileError(file: betaPath, line: line, field: "ecosystem",
                                   message: "'\(text)' is not an ecosystem (cropland, grassland or forestland)")
                }
                if let fromSites = ecosystem, fromSites != parsed {
                    throw FileError(file: betaPath, line: line, field: "ecosystem",
                                   message: "'\(parsed.rawValue)' here but '\(fromSites.rawValue)' on line \(siteTable.lineOfRow[siteRow]) of \(sitesPath)")
                }
                ecosystem = parsed
            }
            guard let ecosystem else {
                throw FileError(file: sitesPath, line: siteTable.lineOfRow[siteRow], field: "ecosystem",
                               message: "profile '\(id)' has no ecosystem")
            }
            inputs.beta.append(value)
            inputs.ecosystems.append(ecosystem.rawValue)
            for (index, feature) in featureColumns.enumerated() {
                columnValues[index].append(try siteTable.number(row: siteRow, column: feature.1) ?? .nan)
            }
        }
        guard !inputs.beta.isEmpty else {
            throw FileError(file: betaPath, message: "no profile has a β value")
        }
        inputs.covariates = zip(featureColumns, columnValues).map { DriverCovariate(name: $0.0, values: $1) }
        return inputs
    }

    /// Relative contributions from a `feature,importance` CSV or a `soilbeta forest importance` table.
    public static func contributions(path: String) throws -> [RelativeContribution] {
        let table = try CSVTable.read(path: path)
        let featureColumn = try table.requireColumn("feature")
        // `feature,importance`, or the table of `soilbeta forest importance` (permutation importance in inc_mse).
        let importanceColumn = try table.column("importance") ?? table.column("inc_mse")
            ?? table.requireColumn("importance", purpose: "or inc_mse, as `soilbeta forest importance` writes")
        var names: [String] = [], values: [Double] = []
        var lineOfFeature: [String: Int] = [:]
        for row in 0..<table.rows.count {
            let name = table.rows[row][featureColumn].trimmingCharacters(in: .whitespaces)
            let line = table.lineOfRow[row]
            if name.isEmpty { throw FileError(file: path, line: line, field: "feature", message: "missing feature name") }
            if let first = lineOfFeature[name] {
                throw FileError(file: path, line: line, field: "feature", message: "feature '\(name)' repeats (first on line \(first))")
            }
            lineOfFeature[name] = line
            guard let value = try table.number(row: row, column: importanceColumn) else {
                throw FileError(file: path, line: line, field: "importance", message: "missing importance")
            }
            names.append(name); values.append(value)
        }
        do {
            return try relativeContributions(features: names, importances: values)
        } catch let error as StatisticsError {
            throw FileError(file: path, message: error.description)
        }
    }

    /// The text without surrounding white space; skips Foundation when there is none (the usual case).
    static func trimmed(_ text: String) -> String {
        guard let first = text.utf8.first, let last = text.utf8.last else { return text }
        let blank: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 }
        return blank(first) || blank(last) ? text.trimmingCharacters(in: .whitespaces) : text
    }

    /// A covariate name made safe for a file name (letters, digits, '-', '_', '.'; others become '_').
    public static func fileSafe(_ name: String) -> String {
        String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) ? $0 : "_" })
    }
}

/// The tables of `soilbeta drivers` (METHOD.md §6; paper Fig. 2): computed, then written to a folder.
public enum DriverTables {
    /// File name and table of every output: β summary, ANOVA, Tukey HSD, one smooth per covariate, and
    /// contributions when given.
    public static func tables(_ statistics: DriverStatistics, contributions: [RelativeContribution]?) -> [(String, TextTable)] {
        var tables: [(String, TextTable)] = [
            ("beta_summary.csv", statistics.betaSummaryTable),
            ("anova.csv", statistics.anovaTable),
            ("tukey.csv", statistics.tukeyTable),
        ]
        for curves in statistics.curves where !curves.curves.isEmpty {
            tables.append(("smooth_\(DriverInputs.fileSafe(curves.feature)).csv", statistics.smoothTable(curves)))
        }
        if let contributions { tables.append(("contributions.csv", contributionsTable(contributions))) }
        return tables
    }

    /// Writes each table atomically into `folder` (created if missing); returns the file names.
    public static func write(_ tables: [(String, TextTable)], to folder: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (name, table) in tables {
            var writer = CSVWriter(header: table.header)
            for row in table.rows { writer.append(row: row) }
            try writer.write(to: (folder as NSString).appendingPathComponent(name))
        }
        return tables.map(\.0)
    }
}

/// Step `drivers` of `soilbeta run`: β statistics and driver curves over all profiles (paper Sect. 2.6,
/// 3.1–3.2, Fig. 2), with relative contributions from the permutation importance of a forest trained on
/// all ecosystems together. Writes under `drivers/`.
enum DriversStep {
    static func run(config: RunConfig, ledger: StepLedger) throws {
        let betaPath = ledger.folder.appendingPathComponent("beta.csv").path
        let sitesPath = ledger.folder.appendingPathComponent("sites.csv").path
        let parameters = "features=\(config.features) trees=\(config.treeCount) min_node=\(config.minNodeSize) seed=\(config.seed)"
        try ledger.step("drivers", parameters: parameters, inputs: [betaPath, sitesPath]) {
            let data = try DriverInputs.load(betaPath: betaPath, sitesPath: sitesPath, requestedFeatures: config.features)
            let statistics = try DriverStatistics(beta: data.beta, ecosystems: data.ecosystems, covariates: data.covariates)
            // Contributions: permutation importance of one forest over every complete profile.
            let rows = try SiteRows(sites: CSVTable.read(path: sitesPath), ecosystem: nil, features: config.features)
            var contributions: [RelativeContribution]? = nil
            var outputs: [String] = []
            if rows.ids.count >= config.minimumProfiles {
                let matrix = try FeatureMatrix(columns: config.features.map { ($0, rows.covariates[$0]!) })
                let forest = try RandomForest.train(features: matrix, responses: rows.beta, targetName: "beta",
                                                    parameters: ForestParameters(treeCount: config.treeCount,
                                                                                 minNodeSize: config.minNodeSize,
                                                                                 seed: config.seed),
                                                    threads: config.threads)
                try FileManager.default.createDirectory(at: ledger.folder.appendingPathComponent("drivers"), withIntermediateDirectories: true)
                try AtomicFile.write(text: ForestOutputs.importanceCSV(forest),
                                     to: ledger.folder.appendingPathComponent("drivers/importance_all.csv").path)
                outputs.append("drivers/importance_all.csv")
                contributions = try? relativeContributions(features: forest.featureNames,
                                                           importances: forest.summary.permutationImportance)
            }
            let names = try DriverTables.write(DriverTables.tables(statistics, contributions: contributions),
                                               to: ledger.folder.appendingPathComponent("drivers").path)
            outputs += names.map { "drivers/\($0)" }
            var summary = "\(data.beta.count) profiles"
            if let anova = statistics.anova {
                summary += String(format: "; ANOVA F(%d, %d) = %.3g, p = %.3g", anova.degreesOfFreedomBetween,
                                  anova.degreesOfFreedomWithin, anova.fStatistic, anova.pValue)
            }
            return (outputs, summary)
        }
    }
}
