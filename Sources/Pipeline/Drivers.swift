import Essentials
import Forest
import Foundation
import RunModel
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
    /// With `sitesSelectProfiles`, profiles of the β table without a site row are left out (the run's site
    /// table holds exactly the profiles its forests use, e.g. without flagged fits); otherwise each is an error.
    public static func load(betaPath: String, sitesPath: String, requestedFeatures: [String],
                            sitesSelectProfiles: Bool = false) throws -> DriverInputs {
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
            let id = CSVTable.identifier(siteTable.rows[row][siteID])
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
            let id = CSVTable.identifier(betaTable.rows[row][betaID])
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
                if sitesSelectProfiles { continue }
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

}

/// The tables of `soilbeta drivers` (METHOD.md §6; paper Fig. 2) as the run's typed rows, written where
/// `RunLayout` says.
public enum DriverTables {
    /// `beta_summary.csv` rows.
    public static func betaSummary(_ statistics: DriverStatistics) -> [BetaSummaryRow] {
        statistics.betaSummary.map { entry in
            var row = BetaSummaryRow()
            let s = entry.summary
            (row.group, row.n, row.mean) = (entry.group, s.count, s.mean)
            (row.median, row.p05, row.p95) = (s.median, s.percentile5, s.percentile95)
            (row.sd, row.cvPercent) = (s.standardDeviation, s.coefficientOfVariationPercent)
            return row
        }
    }

    /// `anova.csv` rows (R `summary(aov(beta ~ ecosystem))`); empty when the ANOVA was not computed.
    public static func anova(_ statistics: DriverStatistics) -> [AnovaRow] {
        guard let anova = statistics.anova else { return [] }
        var between = AnovaRow()
        between.term = "ecosystem"
        between.df = anova.degreesOfFreedomBetween
        between.sumSquares = anova.sumOfSquaresBetween
        between.meanSquare = anova.sumOfSquaresBetween / Double(anova.degreesOfFreedomBetween)
        between.fValue = anova.fStatistic
        between.pValue = anova.pValue
        between.significant = anova.pValue < 0.05 ? "true" : "false"
        var within = AnovaRow()
        within.term = "residuals"
        within.df = anova.degreesOfFreedomWithin
        within.sumSquares = anova.sumOfSquaresWithin
        within.meanSquare = anova.meanSquareWithin
        return [between, within]
    }

    /// `tukey.csv` rows (95 % family-wise intervals).
    public static func tukey(_ statistics: DriverStatistics) -> [TukeyRow] {
        statistics.tukey.map { entry in
            var row = TukeyRow()
            (row.comparison, row.group, row.reference) = (entry.label, entry.group, entry.reference)
            (row.difference, row.lower, row.upper) = (entry.difference, entry.lower, entry.upper)
            row.adjustedP = entry.adjustedPValue
            return row
        }
    }

    /// `smooth_<feature>.csv` rows of one covariate: the curve, its 95 % band and the mean-β line.
    public static func smooth(_ curves: DriverCurves) -> [SmoothRow] {
        curves.curves.flatMap { curve in
            curve.band.map { point in
                var row = SmoothRow()
                (row.group, row.n, row.x) = (curve.group, curve.count, point.x)
                (row.fit, row.se, row.lower95) = (point.fit, point.standardError, point.lower)
                (row.upper95, row.meanBeta) = (point.upper, curve.meanBeta)
                return row
            }
        }
    }

    /// `contributions.csv` rows.
    public static func contributions(_ contributions: [RelativeContribution]) -> [ContributionRow] {
        contributions.map { entry in
            var row = ContributionRow()
            (row.feature, row.importance, row.percent) = (entry.feature, entry.importance, entry.percent)
            return row
        }
    }

    /// Writes every table of `statistics` (and the contributions when given) under `layout`'s drivers
    /// folder; returns the paths written.
    public static func write(_ statistics: DriverStatistics, contributions: [RelativeContribution]?, layout: RunLayout) throws -> [String] {
        try write(statistics, contributions: contributions, folder: layout.path(.driversFolder))
    }

    /// Writes the tables into `folder` (created if missing) under the file names of the run layout's
    /// drivers folder (`soilbeta drivers --out FOLDER`); returns the paths written.
    public static func write(_ statistics: DriverStatistics, contributions: [RelativeContribution]?, folder: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let names = RunLayout(folder: "/")
        func file(_ layoutPath: String) -> String { (folder as NSString).appendingPathComponent((layoutPath as NSString).lastPathComponent) }
        try RunTable.write(betaSummary(statistics), to: file(names.path(.betaSummary)))
        try RunTable.write(anova(statistics), to: file(names.path(.anova)))
        try RunTable.write(tukey(statistics), to: file(names.path(.tukey)))
        var written = [file(names.path(.betaSummary)), file(names.path(.anova)), file(names.path(.tukey))]
        for curves in statistics.curves where !curves.curves.isEmpty {
            let path = file(names.path(.smooth(curves.feature)))
            try RunTable.write(smooth(curves), to: path)
            written.append(path)
        }
        if let contributions {
            try RunTable.write(Self.contributions(contributions), to: file(names.path(.contributions)))
            written.append(file(names.path(.contributions)))
        }
        return written
    }
}

/// Step `drivers` of `soilbeta run`: β statistics and driver curves over all profiles (paper Sect. 2.6,
/// 3.1–3.2, Fig. 2), with relative contributions from the permutation importance of a forest trained on
/// all ecosystems together. Writes under `drivers/`.
enum DriversStep {
    static func run(_ steps: PipelineSteps) throws {
        let layout = steps.layout, forest = steps.forest
        let parameters = "features=\(forest.features) trees=\(forest.trees) min_node=\(forest.minNode) seed=\(steps.seed)"
        try steps.ledger.step("drivers", parameters: parameters, inputs: [layout.path(.betaTable), layout.path(.sitesTable)]) {
            let data = try DriverInputs.load(betaPath: layout.path(.betaTable), sitesPath: layout.path(.sitesTable), requestedFeatures: forest.features,
                                             sitesSelectProfiles: true)
            let statistics = try DriverStatistics(beta: data.beta, ecosystems: data.ecosystems, covariates: data.covariates)
            // Contributions: permutation importance of one forest over every complete profile.
            let rows = try SiteTable.read(path: layout.path(.sitesTable), features: forest.features).complete(ecosystem: nil)
            var contributions: [RelativeContribution]? = nil
            var outputs: [String] = []
            if rows.count >= forest.minProfiles {
                let matrix = try FeatureMatrix(columns: forest.features.map { ($0, rows.values(of: $0)) })
                let model = try RandomForest.train(features: matrix, responses: rows.beta, targetName: "beta",
                                                   parameters: ForestParameters(treeCount: forest.trees, minNodeSize: forest.minNode,
                                                                                seed: steps.seed),
                                                   threads: steps.threads)
                try FileManager.default.createDirectory(atPath: layout.path(.driversFolder), withIntermediateDirectories: true)
                let importancePath = layout.path(.importanceAll)
                try RunTable.write(ForestTables.importance(model), to: importancePath)
                outputs.append(importancePath)
                do {
                    contributions = try relativeContributions(features: model.featureNames, importances: model.summary.permutationImportance)
                } catch {
                    steps.ledger.log("drivers: no relative contributions: \(userMessage(for: error))")
                }
            }
            outputs += try DriverTables.write(statistics, contributions: contributions, layout: layout)
            var summary = "\(data.beta.count) profiles"
            if let anova = statistics.anova {
                summary += String(format: "; ANOVA F(%d, %d) = %.3g, p = %.3g", anova.degreesOfFreedomBetween,
                                  anova.degreesOfFreedomWithin, anova.fStatistic, anova.pValue)
            }
            return (outputs, summary)
        }
    }
}
