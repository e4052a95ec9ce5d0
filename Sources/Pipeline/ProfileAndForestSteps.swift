import Essentials
import DepthFunctions
import Forest
import Foundation
import Rasters
import SoilProfiles

/// Profiles and covariates at sites, ready for the forests: one row per profile with a β.
struct SiteTable: Sendable {
    var ids: [String] = []
    var longitude: [Double] = []
    var latitude: [Double] = []
    var ecosystem: [Ecosystem?] = []
    var beta: [Double] = []
    /// `covariates[feature][row]`, NaN where missing.
    var covariates: [String: [Double]] = [:]
}

/// The profile-level and model steps of `soilbeta run` (paper Sect. 2.1–2.5).
enum ProfileAndForestSteps {
    /// Step `profiles`: harmonise and fit β per profile (METHOD.md §2–§4) with the BD gap-fill of §3
    /// (BD raster at the site first, then the constant `bd_fill`). Writes `beta.csv`,
    /// `profiles/harmonized.csv`, `profiles/issues.csv`.
    static func profiles(config: RunConfig, ledger: StepLedger) throws {
        var inputs = [config.horizonsPath]
        if let sites = config.sitesPath { inputs.append(sites) }
        if let raster = config.bulkDensityRasterPath { inputs.append(raster) }
        let parameters = "columns=\(config.columnPairs) bd_fill=\(String(describing: config.bulkDensityFill))"
        try ledger.step("profiles", parameters: parameters, inputs: inputs) {
            let mapping = try ColumnMapping(pairs: config.columnPairs)
            var table = try HorizonTable.read(path: config.horizonsPath, options: HorizonReadOptions(
                variables: ["soc", "bd"], optionalVariables: ["cf"], mapping: mapping))
            if let sites = config.sitesPath { try table.mergeSites(CSVTable.read(path: sites), mapping: mapping) }
            var fill = [Double](repeating: config.bulkDensityFill ?? .nan, count: table.profileCount)
            var fromRaster = 0
            if let rasterPath = config.bulkDensityRasterPath {
                let samples = try SiteSampler(path: rasterPath).sample(
                    longitudes: table.sites.map { $0.longitudeDeg ?? .nan },
                    latitudes: table.sites.map { $0.latitudeDeg ?? .nan })
                for (p, value) in samples.values.enumerated() {
                    if let value, value > 0, value <= 2.65 { fill[p] = value; fromRaster += 1 }
                }
            }
            let run = try ProfileRuns.beta(table, bulkDensityFillPerProfile: fill, threadCount: config.threads)
            let harmonized = try ProfileRuns.harmonize(table, variables: ["soc", "bd"], depths: .standard,
                                                       threadCount: config.threads)
            let folder = ledger.folder
            try FileManager.default.createDirectory(at: folder.appendingPathComponent("profiles"), withIntermediateDirectories: true)
            try run.table.write(to: folder.appendingPathComponent("beta.csv").path)
            try harmonized.intervalTable.write(to: folder.appendingPathComponent("profiles/harmonized.csv").path)
            try ProfileRuns.issueTable(run.issues).write(to: folder.appendingPathComponent("profiles/issues.csv").path)
            let filled = run.profiles.indices.filter { run.filledHorizons[$0] > 0 }.count
            ledger.log(ProfileRuns.summary(of: run.issues, profileCount: run.profileCount, horizonCount: table.horizonCount))
            return (["beta.csv", "profiles/harmonized.csv", "profiles/issues.csv"],
                    "\(run.fittedCount) of \(run.profileCount) profiles with beta; BD filled in \(filled) profiles "
                        + "(raster value available for \(fromRaster) sites, otherwise bd_fill)")
        }
    }

    /// Step `covariates`: the site table of profiles with β and the model's covariates at each site — taken
    /// from the site table where present, otherwise sampled from the covariate rasters. Writes `sites.csv`.
    static func covariates(config: RunConfig, rasters: [String: String], ledger: StepLedger) throws {
        let betaPath = ledger.folder.appendingPathComponent("beta.csv").path
        var inputs = [betaPath]
        if let sites = config.sitesPath { inputs.append(sites) }
        let rasterInputs = config.features.compactMap { rasters[$0] }
        inputs += rasterInputs
        try ledger.step("covariates", parameters: "features=\(config.features)", inputs: inputs) {
            let table = try buildSiteTable(config: config, betaPath: betaPath, rasters: rasters, ledger: ledger)
            var writer = CSVWriter(header: ["id", "lon", "lat", "ecosystem", "beta"] + config.features)
            for row in table.ids.indices {
                writer.append(row: [table.ids[row], CSVWriter.format(table.longitude[row]), CSVWriter.format(table.latitude[row]),
                                    table.ecosystem[row]?.rawValue ?? "", CSVWriter.format(table.beta[row])]
                                   + config.features.map { CSVWriter.format(table.covariates[$0]![row]) })
            }
            try writer.write(to: ledger.folder.appendingPathComponent("sites.csv").path)
            let complete = table.ids.indices.filter { row in config.features.allSatisfy { !table.covariates[$0]![row].isNaN } }.count
            return (["sites.csv"], "\(table.ids.count) profiles with beta, \(complete) with every covariate")
        }
    }

    /// Reads β per profile and gathers covariates (site table first, then rasters).
    static func buildSiteTable(config: RunConfig, betaPath: String, rasters: [String: String],
                               ledger: StepLedger) throws -> SiteTable {
        let beta = try CSVTable.read(path: betaPath)
        let idColumn = try beta.requireColumn("id"), betaColumn = try beta.requireColumn("beta")
        let lonColumn = beta.column("lon"), latColumn = beta.column("lat"), ecosystemColumn = beta.column("ecosystem")
        var table = SiteTable()
        for row in 0..<beta.rows.count {
            guard let value = try beta.number(row: row, column: betaColumn) else { continue }
            table.ids.append(beta.rows[row][idColumn])
            table.beta.append(value)
            table.longitude.append(try lonColumn.flatMap { try beta.number(row: row, column: $0) } ?? .nan)
            table.latitude.append(try latColumn.flatMap { try beta.number(row: row, column: $0) } ?? .nan)
            table.ecosystem.append(ecosystemColumn.flatMap { Ecosystem(parsing: beta.rows[row][$0]) })
        }
        var rowOfID: [String: Int] = [:]
        for (row, id) in table.ids.enumerated() { rowOfID[id] = row }
        for feature in config.features { table.covariates[feature] = [Double](repeating: .nan, count: table.ids.count) }
        if let sitesPath = config.sitesPath {
            let sites = try CSVTable.read(path: sitesPath)
            let mapping = try ColumnMapping(pairs: config.columnPairs)
            let siteID = try sites.requireColumn(mapping.source(of: "id"))
            for feature in config.features {
                guard let column = sites.column(mapping.source(of: feature)) else { continue }
                for row in 0..<sites.rows.count {
                    guard let target = rowOfID[sites.rows[row][siteID]], let value = try sites.number(row: row, column: column) else { continue }
                    table.covariates[feature]![target] = value
                }
            }
        }
        for feature in config.features {
            let missing = table.covariates[feature]!.indices.filter { table.covariates[feature]![$0].isNaN }
            guard !missing.isEmpty, let raster = rasters[feature] else { continue }
            let samples = try SiteSampler(path: raster).sample(longitudes: missing.map { table.longitude[$0] },
                                                               latitudes: missing.map { table.latitude[$0] })
            var filled = 0
            for (k, row) in missing.enumerated() {
                if let value = samples.values[k] { table.covariates[feature]![row] = value; filled += 1 }
            }
            ledger.log("covariates: \(feature): \(filled) of \(missing.count) missing site values sampled from \(raster)")
        }
        return table
    }

    /// Step `forest-<CODE>` for one ecosystem: tuning grid (OOB MSE), final forest with quantile data,
    /// random and spatial-block cross-validation, importance (METHOD.md §7). Writes under `forest/<CODE>/`.
    /// Returns `false` (and writes nothing) when the ecosystem has too few complete profiles.
    @discardableResult
    static func forest(config: RunConfig, ecosystem: Ecosystem, ledger: StepLedger) throws -> Bool {
        let sitesPath = ledger.folder.appendingPathComponent("sites.csv").path
        let name = "forest-\(ecosystem.code)"
        let parameters = "features=\(config.features) trees=\(config.treeCount) tune_trees=\(config.tuneTreeCounts) "
            + "tune_mtry=\(config.tuneMtry) min_node=\(config.minNodeSize) folds=\(config.folds) "
            + "block=\(config.blockDegrees) quantiles=\(config.quantiles) seed=\(config.seed) min=\(config.minimumProfiles)"
        var modelled = true
        try ledger.step(name, parameters: parameters, inputs: [sitesPath]) {
            let sites = try CSVTable.read(path: sitesPath)
            let input = try SiteRows(sites: sites, ecosystem: ecosystem, features: config.features)
            let folder = "forest/\(ecosystem.code)"
            try FileManager.default.createDirectory(at: ledger.folder.appendingPathComponent(folder), withIntermediateDirectories: true)
            guard input.ids.count >= config.minimumProfiles else {
                modelled = false
                let note = "\(input.ids.count) complete profiles of \(ecosystem.rawValue) (< min_profiles \(config.minimumProfiles)): not modelled"
                try AtomicFile.write(text: note + "\n", to: ledger.folder.appendingPathComponent("\(folder)/NOT_MODELLED.txt").path)
                return (["\(folder)/NOT_MODELLED.txt"], note)
            }
            let matrix = try FeatureMatrix(columns: config.features.map { ($0, input.covariates[$0]!) })
            var base = ForestParameters(treeCount: config.treeCount, minNodeSize: config.minNodeSize, seed: config.seed)
            var outputs: [String] = []
            var tuningNote = "no tuning"
            if !config.tuneTreeCounts.isEmpty {
                let tuning = try RandomForest.tune(features: matrix, responses: input.beta,
                                                   mtryValues: config.tuneMtry.isEmpty ? nil : config.tuneMtry,
                                                   treeCounts: config.tuneTreeCounts, base: base, threads: config.threads)
                try AtomicFile.write(text: ForestOutputs.tuningCSV(tuning), to: ledger.folder.appendingPathComponent("\(folder)/tuning.csv").path)
                outputs.append("\(folder)/tuning.csv")
                base.mtry = tuning.best.mtry
                base.treeCount = tuning.best.treeCount
                tuningNote = "tuned mtry=\(tuning.best.mtry) trees=\(tuning.best.treeCount)"
            }
            var final = base
            final.keepQuantileData = true
            let forest = try RandomForest.train(features: matrix, responses: input.beta, targetName: "beta",
                                                parameters: final, threads: config.threads)
            try ForestModelFile.write(forest, to: ledger.folder.appendingPathComponent("\(folder)/model.sbf").path)
            try AtomicFile.write(try ForestOutputs.summaryJSON(forest), to: ledger.folder.appendingPathComponent("\(folder)/summary.json").path)
            try AtomicFile.write(text: ForestOutputs.importanceCSV(forest), to: ledger.folder.appendingPathComponent("\(folder)/importance.csv").path)
            outputs += ["\(folder)/model.sbf", "\(folder)/summary.json", "\(folder)/importance.csv"]

            var cvParameters = base
            cvParameters.computePermutationImportance = false
            let folds = min(config.folds, input.ids.count)
            let random = try RandomForest.crossValidate(features: matrix, responses: input.beta,
                                                           scheme: .random(folds: folds), parameters: cvParameters,
                                                           threads: config.threads)
            let spatial = try RandomForest.crossValidate(
                features: matrix, responses: input.beta,
                scheme: .spatialBlocks(folds: folds, blockDegrees: config.blockDegrees,
                                       longitude: input.longitude, latitude: input.latitude),
                parameters: cvParameters, threads: config.threads)
            let results = [(name: "random", result: random), (name: "spatial", result: spatial)]
            try AtomicFile.write(text: ForestOutputs.crossValidationCSV(results, rowLabels: input.ids),
                                 to: ledger.folder.appendingPathComponent("\(folder)/cv.csv").path)
            try AtomicFile.write(try ForestOutputs.crossValidationJSON(results), to: ledger.folder.appendingPathComponent("\(folder)/cv.json").path)
            for (scheme, result) in results {
                var writer = CSVWriter(header: ["id", "observed", "predicted", "fold"])
                for row in input.ids.indices {
                    writer.append(row: [input.ids[row], CSVWriter.format(result.observed[row]),
                                        CSVWriter.format(result.predicted[row]), "\(result.foldOfRow[row] + 1)"])
                }
                try writer.write(to: ledger.folder.appendingPathComponent("\(folder)/cv_\(scheme).csv").path)
                outputs.append("\(folder)/cv_\(scheme).csv")
            }
            outputs += ["\(folder)/cv.csv", "\(folder)/cv.json"]
            let summary = String(format: "%d profiles; %@; OOB R² %.3f; CV R² random %.3f, spatial %.3f; RMSE random %.5f",
                                 input.ids.count, tuningNote, forest.summary.oobR2, random.pooled.r2, spatial.pooled.r2,
                                 random.pooled.rmse)
            return (outputs, summary)
        }
        if FileManager.default.fileExists(atPath: ledger.folder.appendingPathComponent("forest/\(ecosystem.code)/NOT_MODELLED.txt").path) {
            modelled = false
        }
        return modelled
    }
}

/// The complete rows (β and every feature present) of one ecosystem in `sites.csv`.
struct SiteRows {
    var ids: [String] = []
    var beta: [Double] = []
    var longitude: [Double] = []
    var latitude: [Double] = []
    var covariates: [String: [Double]] = [:]

    init(sites: CSVTable, ecosystem: Ecosystem?, features: [String]) throws {
        let idColumn = try sites.requireColumn("id"), betaColumn = try sites.requireColumn("beta")
        let lonColumn = try sites.requireColumn("lon"), latColumn = try sites.requireColumn("lat")
        let ecosystemColumn = try sites.requireColumn("ecosystem")
        let featureColumns = try features.map { try sites.requireColumn($0) }
        for feature in features { covariates[feature] = [] }
        rows: for row in 0..<sites.rows.count {
            if let ecosystem, Ecosystem(parsing: sites.rows[row][ecosystemColumn]) != ecosystem { continue }
            guard let value = try sites.number(row: row, column: betaColumn) else { continue }
            var values: [Double] = []
            for column in featureColumns {
                guard let covariate = try sites.number(row: row, column: column) else { continue rows }
                values.append(covariate)
            }
            ids.append(sites.rows[row][idColumn])
            beta.append(value)
            longitude.append(try sites.number(row: row, column: lonColumn) ?? .nan)
            latitude.append(try sites.number(row: row, column: latColumn) ?? .nan)
            for (feature, covariate) in zip(features, values) { covariates[feature]!.append(covariate) }
        }
    }
}
