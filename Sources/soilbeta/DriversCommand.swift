import ArgumentParser
import Foundation
import SoilProfiles
import Statistics

/// `soilbeta drivers`: statistics of β and its drivers (METHOD.md §6; paper Sect. 2.6, 3.1–3.2,
/// Fig. 2) — β summary by ecosystem, one-way ANOVA and Tukey HSD, LOESS curves of β on each
/// covariate with 95 % bands, and relative contributions from a forest's permutation importance.
struct DriversCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drivers",
        abstract: "β summary, ANOVA/Tukey HSD among ecosystems, LOESS driver curves and relative contributions.",
        discussion: """
        Joins the β table (output of `soilbeta beta`: id, beta, optional ecosystem) with the site table
        (id, lon, lat, ecosystem, covariates) on id, and writes to --out:
          beta_summary.csv      n, mean, median, 5th/95th percentile (R type 7), SD, CV % — all and by ecosystem
          anova.csv             one-way ANOVA of β among ecosystems (F, df, p)
          tukey.csv             Tukey HSD: differences, 95 % intervals, adjusted p
          smooth_<feature>.csv  LOESS of β on the covariate (R loess defaults) on a grid: fit, se, 95 % band, mean β
          contributions.csv     % of the forest's permutation importance (only with --importance)
        Profiles whose β is missing (NA) are left out and counted. Results agree with R (aov, TukeyHSD,
        loess + predict(se = TRUE), quantile) to 1e-6.
        Example: soilbeta drivers --beta run/beta.csv --sites sites.csv --features mat,map,clay --out run/drivers
        """)

    @Option(help: "β table from `soilbeta beta` (columns id, beta; ecosystem optional).")
    var beta: String

    @Option(help: "Site table: id, ecosystem and covariate columns (lon, lat ignored here).")
    var sites: String

    @Option(parsing: .upToNextOption,
            help: "Covariates (site columns) for the driver curves, comma-separated or repeated. Default: every numeric site column except id, lon, lat.")
    var features: [String] = []

    @Option(help: "Permutation importance CSV (columns feature,importance) of the forest; without it contributions.csv is not written.")
    var importance: String?

    @Option(help: "Output folder (created if missing).")
    var out: String

    @Option(help: "Number of covariate values on each curve's grid.")
    var gridPoints: Int = 100

    @Option(help: "LOESS span (fraction of profiles in each local fit; R default 0.75).")
    var span: Double = 0.75

    func validate() throws {
        guard gridPoints >= 2 else { throw ValidationError("--grid-points must be at least 2") }
        guard span > 0 && span.isFinite else { throw ValidationError("--span must be a positive number") }
    }

    func run() throws {
        let requested = features.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            .filter { !$0.isEmpty }
        let data = try DriverInputs.load(betaPath: beta, sitesPath: sites, requestedFeatures: requested)
        let statistics = try DriverStatistics(beta: data.beta, ecosystems: data.ecosystems, covariates: data.covariates,
                                              gridPoints: gridPoints, loess: LoessOptions(span: span))
        var tables: [(String, TextTable)] = [
            ("beta_summary.csv", statistics.betaSummaryTable),
            ("anova.csv", statistics.anovaTable),
            ("tukey.csv", statistics.tukeyTable),
        ]
        for curves in statistics.curves where !curves.curves.isEmpty {
            tables.append(("smooth_\(DriverInputs.fileSafe(curves.feature)).csv", statistics.smoothTable(curves)))
        }
        if let importance {
            tables.append(("contributions.csv", contributionsTable(try DriverInputs.contributions(path: importance))))
        }
        // Everything is computed before the first file is written; each file is written atomically.
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        for (name, table) in tables {
            var writer = CSVWriter(header: table.header)
            for row in table.rows { writer.append(row: row) }
            try writer.write(to: (out as NSString).appendingPathComponent(name))
        }

        var report = "drivers: \(data.beta.count) profiles"
        if data.missingBetaCount > 0 { report += " (\(data.missingBetaCount) with missing β left out)" }
        report += "; ecosystems: " + statistics.betaSummary.dropFirst().map { "\($0.group) \($0.summary.count)" }.joined(separator: ", ")
        print(report)
        if let anova = statistics.anova {
            print(String(format: "ANOVA: F(%d, %d) = %.4g, p = %.3g (%@)", anova.degreesOfFreedomBetween,
                         anova.degreesOfFreedomWithin, anova.fStatistic, anova.pValue,
                         anova.pValue < 0.05 ? "significant at 0.05" : "not significant at 0.05"))
        } else if let note = statistics.anovaNote {
            print("ANOVA not computed: \(note)")
        }
        for curves in statistics.curves {
            for skipped in curves.skipped {
                FileHandle.standardError.write(Data("note: no curve of β on '\(curves.feature)' for \(skipped.group): \(skipped.reason)\n".utf8))
            }
        }
        if importance == nil {
            print("contributions.csv not written: give the forest's permutation importance with --importance FILE.csv")
        }
        print("wrote \(tables.map(\.0).joined(separator: ", ")) to \(out)")
    }
}

/// β joined to ecosystem and covariates by profile id, read from the two CSV files.
struct DriverInputs {
    var beta: [Double] = []
    var ecosystems: [String] = []
    var covariates: [DriverCovariate] = []
    var missingBetaCount = 0

    /// Columns of the site table that are never covariates.
    static let reservedSiteColumns: Set<String> = ["id", "lon", "lat", "ecosystem", "study"]

    /// Reads and joins the files; every problem is a `CSVError` naming file, line and field.
    static func load(betaPath: String, sitesPath: String, requestedFeatures: [String]) throws -> DriverInputs {
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
            let id = siteTable.rows[row][siteID].trimmingCharacters(in: .whitespaces)
            if id.isEmpty { throw CSVError(file: sitesPath, line: siteTable.lineOfRow[row], field: "id", message: "missing profile id") }
            if let first = siteRowOfID[id] {
                throw CSVError(file: sitesPath, line: siteTable.lineOfRow[row], field: "id",
                               message: "profile id '\(id)' repeats (first on line \(siteTable.lineOfRow[first]))")
            }
            siteRowOfID[id] = row
        }

        var inputs = DriverInputs()
        var columnValues = [[Double]](repeating: [], count: featureColumns.count)
        var betaRowOfID: [String: Int] = [:]
        for row in 0..<betaTable.rows.count {
            let line = betaTable.lineOfRow[row]
            let id = betaTable.rows[row][betaID].trimmingCharacters(in: .whitespaces)
            if id.isEmpty { throw CSVError(file: betaPath, line: line, field: "id", message: "missing profile id") }
            if let first = betaRowOfID[id] {
                throw CSVError(file: betaPath, line: line, field: "id",
                               message: "profile id '\(id)' repeats (first on line \(betaTable.lineOfRow[first]))")
            }
            betaRowOfID[id] = row
            guard let value = try betaTable.number(row: row, column: betaValue) else {
                inputs.missingBetaCount += 1
                continue
            }
            guard value > 0 && value < 1 else {
                throw CSVError(file: betaPath, line: line, field: "beta", message: "β = \(value) is outside (0, 1)")
            }
            guard let siteRow = siteRowOfID[id] else {
                throw CSVError(file: betaPath, line: line, field: "id", message: "profile '\(id)' has no row in \(sitesPath)")
            }
            // Ecosystem: from the site table, else from the β table; both given must agree.
            var ecosystem: Ecosystem?
            if let column = siteEcosystem, !siteTable.isMissing(row: siteRow, column: column) {
                let text = siteTable.rows[siteRow][column]
                guard let parsed = Ecosystem(parsing: text) else {
                    throw CSVError(file: sitesPath, line: siteTable.lineOfRow[siteRow], field: "ecosystem",
                                   message: "'\(text)' is not an ecosystem (cropland, grassland or forestland)")
                }
                ecosystem = parsed
            }
            if let column = betaEcosystem, !betaTable.isMissing(row: row, column: column) {
                let text = betaTable.rows[row][column]
                guard let parsed = Ecosystem(parsing: text) else {
                    throw CSVError(file: betaPath, line: line, field: "ecosystem",
                                   message: "'\(text)' is not an ecosystem (cropland, grassland or forestland)")
                }
                if let fromSites = ecosystem, fromSites != parsed {
                    throw CSVError(file: betaPath, line: line, field: "ecosystem",
                                   message: "'\(parsed.rawValue)' here but '\(fromSites.rawValue)' on line \(siteTable.lineOfRow[siteRow]) of \(sitesPath)")
                }
                ecosystem = parsed
            }
            guard let ecosystem else {
                throw CSVError(file: sitesPath, line: siteTable.lineOfRow[siteRow], field: "ecosystem",
                               message: "profile '\(id)' has no ecosystem")
            }
            inputs.beta.append(value)
            inputs.ecosystems.append(ecosystem.rawValue)
            for (index, feature) in featureColumns.enumerated() {
                columnValues[index].append(try siteTable.number(row: siteRow, column: feature.1) ?? .nan)
            }
        }
        guard !inputs.beta.isEmpty else {
            throw CSVError(file: betaPath, message: "no profile has a β value")
        }
        inputs.covariates = zip(featureColumns, columnValues).map { DriverCovariate(name: $0.0, values: $1) }
        return inputs
    }

    /// Relative contributions from a `feature,importance` CSV.
    static func contributions(path: String) throws -> [RelativeContribution] {
        let table = try CSVTable.read(path: path)
        let featureColumn = try table.requireColumn("feature")
        let importanceColumn = try table.requireColumn("importance")
        var names: [String] = [], values: [Double] = []
        var lineOfFeature: [String: Int] = [:]
        for row in 0..<table.rows.count {
            let name = table.rows[row][featureColumn].trimmingCharacters(in: .whitespaces)
            let line = table.lineOfRow[row]
            if name.isEmpty { throw CSVError(file: path, line: line, field: "feature", message: "missing feature name") }
            if let first = lineOfFeature[name] {
                throw CSVError(file: path, line: line, field: "feature", message: "feature '\(name)' repeats (first on line \(first))")
            }
            lineOfFeature[name] = line
            guard let value = try table.number(row: row, column: importanceColumn) else {
                throw CSVError(file: path, line: line, field: "importance", message: "missing importance")
            }
            names.append(name); values.append(value)
        }
        do {
            return try relativeContributions(features: names, importances: values)
        } catch let error as StatisticsError {
            throw CSVError(file: path, message: error.description)
        }
    }

    /// A covariate name made safe for a file name (letters, digits, '-', '_', '.'; others become '_').
    static func fileSafe(_ name: String) -> String {
        String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) ? $0 : "_" })
    }
}
