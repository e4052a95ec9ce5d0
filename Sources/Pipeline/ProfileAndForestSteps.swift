import Essentials
import DepthFunctions
import Forest
import Foundation
import Rasters
import RunModel
import Statistics
import SoilProfiles

extension ProfileSettings {
    /// How to read the configuration's profile files (`[profiles]` horizons, sites, preset, columns, units).
    var input: ProfileInput {
        ProfileInput(horizonPaths: horizons, sitePaths: sites, preset: preset, columnPairs: columnPairs, unitPairs: units,
                     maximumTopDepthCm: maxDepth)
    }
}

/// The profile-level and model steps of `soilbeta run` (paper Sect. 2.1–2.5).
enum ProfileAndForestSteps {
    /// Step `profiles`: harmonise and fit β per profile (METHOD.md §2–§4) with the BD gap-fill of §3
    /// (BD raster at the site first, then the constant `bd_fill`). Writes `beta.csv`,
    /// `profiles/harmonized.csv`, `profiles/issues.csv`.
    static func profiles(_ steps: PipelineSteps) throws {
        let config = steps.profiles, layout = steps.layout, ledger = steps.ledger
        var inputs = config.horizons + config.sites
        if let raster = config.bulkDensityRaster { inputs.append(raster) }
        inputs += config.bulkDensityLayerRasters
        let parameters = "columns=\(config.columnPairs) bd_fill=\(String(describing: config.bulkDensityFill)) "
            + "units=\(config.units.sorted { $0.key < $1.key }) max_depth=\(String(describing: config.maxDepth))"
            + (config.preset.map { " preset=\($0.rawValue)" } ?? "")
        try ledger.step("profiles", parameters: parameters, inputs: inputs) {
            let table = try config.input.read(variables: ["soc", "bd"], optionalVariables: ["cf"], alsoKnown: steps.forest.features)
            var fill = [Double](repeating: config.bulkDensityFill ?? .nan, count: table.profileCount)
            var fromRaster = 0
            if let rasterPath = config.bulkDensityRaster {
                let samples = try SiteSampler(path: rasterPath).sample(
                    longitudes: table.sites.map { $0.longitudeDeg ?? .nan },
                    latitudes: table.sites.map { $0.latitudeDeg ?? .nan })
                for (p, value) in samples.values.enumerated() {
                    if let value, value > 0, value <= 2.65 { fill[p] = value; fromRaster += 1 }
                }
            }
            var perLayer: [[Double]]? = nil
            if !config.bulkDensityLayerRasters.isEmpty {
                var layers = [[Double]](repeating: [Double](repeating: .nan, count: config.bulkDensityLayerRasters.count), count: table.profileCount)
                for (k, rasterPath) in config.bulkDensityLayerRasters.enumerated() {
                    let samples = try SiteSampler(path: rasterPath).sample(longitudes: table.sites.map { $0.longitudeDeg ?? .nan },
                                                                           latitudes: table.sites.map { $0.latitudeDeg ?? .nan })
                    for (p, value) in samples.values.enumerated() {
                        if let value, value > 0, value <= 2.65 { layers[p][k] = value }
                    }
                }
                perLayer = layers
            }
            let run = try ProfileRuns.beta(table, bulkDensityFillPerProfile: fill, bulkDensityFillPerLayer: perLayer, threadCount: steps.threads)
            let harmonized = try ProfileRuns.harmonize(table, variables: ["soc", "bd"], depths: .standard,
                                                       threadCount: steps.threads)
            try FileManager.default.createDirectory(atPath: layout.path(.profilesFolder), withIntermediateDirectories: true)
            try run.write(to: layout.path(.betaTable))
            try harmonized.intervalTable.write(to: layout.path(.harmonizedTable))
            try ProfileRuns.issueTable(run.issues).write(to: layout.path(.issuesTable))
            let filled = run.profiles.indices.filter { run.filledHorizons[$0] > 0 }.count
            ledger.log(ProfileRuns.summary(of: run.issues, profileCount: run.profileCount, horizonCount: table.horizonCount))
            return ([layout.path(.betaTable), layout.path(.harmonizedTable), layout.path(.issuesTable)],
                    "\(run.fittedCount) of \(run.profileCount) profiles with beta; BD filled in \(filled) profiles "
                        + "(raster value available for \(fromRaster) sites, otherwise bd_fill)")
        }
    }

    /// Step `covariates`: the site table of profiles with β and the model's covariates at each site — taken
    /// from the site table where present, otherwise sampled from the covariate rasters. Writes `sites.csv`.
    static func covariates(_ steps: PipelineSteps) throws {
        let layout = steps.layout, features = steps.forest.features
        var inputs = [layout.path(.betaTable)] + steps.profiles.sites
        inputs += features.compactMap { steps.configuration.covariates[$0] }
        try steps.ledger.step("covariates", parameters: "features=\(features) exclude_flagged=\(steps.profiles.excludeFlagged)", inputs: inputs) {
            let table = try buildSiteTable(steps)
            try table.write(to: layout.path(.sitesTable))
            let complete = table.complete(ecosystem: nil).count
            return ([layout.path(.sitesTable)], "\(table.count) profiles with beta, \(complete) with every covariate")
        }
    }

    /// Reads β per profile (`beta.csv`) and gathers covariates (site table first, then rasters).
    static func buildSiteTable(_ steps: PipelineSteps) throws -> SiteTable {
        let features = steps.forest.features
        var table = SiteTable(features: features)
        var excluded = 0
        for row in try RunTable.read(BetaRow.self, from: steps.layout.path(.betaTable)) where !row.beta.isNaN {
            if steps.profiles.excludeFlagged && FitQuality.isFlagged(row.status) { excluded += 1; continue }
            table.append(id: row.id, longitude: row.longitude, latitude: row.latitude, ecosystem: row.ecosystem, beta: row.beta,
                         covariates: [Double](repeating: .nan, count: features.count))
        }
        if excluded > 0 { steps.ledger.log("covariates: \(excluded) profiles with a flagged fit left out (exclude_flagged)") }
        var rowOfID: [String: Int] = [:]
        for (row, id) in table.ids.enumerated() { rowOfID[id] = row }
        for sitesPath in steps.profiles.sites {
            let (sites, mapping) = try steps.profiles.input.readTable(path: sitesPath)
            let siteID = try sites.requireColumn(mapping.source(of: "id"))
            for feature in features {
                guard let column = sites.column(mapping.source(of: feature)) else { continue }
                for row in 0..<sites.rows.count {
                    guard let target = rowOfID[CSVTable.identifier(sites.rows[row][siteID])], let value = try sites.number(row: row, column: column) else { continue }
                    table.covariates[feature]?[target] = value
                }
            }
        }
        for feature in features {
            let values = table.values(of: feature)
            let missing = values.indices.filter { values[$0].isNaN }
            guard !missing.isEmpty, let raster = steps.configuration.covariates[feature] else { continue }
            let samples = try SiteSampler(path: raster).sample(longitudes: missing.map { table.longitude[$0] },
                                                               latitudes: missing.map { table.latitude[$0] })
            var filled = 0
            for (k, row) in missing.enumerated() {
                if let value = samples.values[k] { table.covariates[feature]?[row] = value; filled += 1 }
            }
            steps.ledger.log("covariates: \(feature): \(filled) of \(missing.count) missing site values sampled from \(raster)")
        }
        return table
    }

    /// Step `forest-XX` for one ecosystem: tuning grid (OOB MSE), final forest with quantile data,
    /// random and spatial-block cross-validation, importance (METHOD.md §7). Writes under `forest/XX/`.
    /// Returns whether the ecosystem has a model; without one (too few complete profiles) it writes only
    /// `NOT_MODELLED.txt` and removes an earlier run's model, so nothing stale is mapped.
    static func forest(_ steps: PipelineSteps, ecosystem: Ecosystem) throws -> Bool {
        let layout = steps.layout, config = steps.forest
        let name = "forest-\(ecosystem.code)"
        let parameters = "features=\(config.features) trees=\(config.trees) tune_trees=\(config.tuneTrees) "
            + "tune_mtry=\(config.tuneMtry) min_node=\(config.minNode) folds=\(config.folds) "
            + "block=\(config.blockDegrees) quantiles=\(config.quantiles) seed=\(steps.seed) min=\(config.minProfiles) knndm=\(config.knndm) "
            + "writes=model+inbag,cv,aoa,variogram,se_correlation,distances"
        let area = steps.configuration.ecosystems.first { $0.ecosystem == ecosystem }.map { [$0.area] } ?? []
        try steps.ledger.step(name, parameters: parameters, inputs: [layout.path(.sitesTable), layout.path(.betaTable)] + area) {
            let input = try SiteTable.read(path: layout.path(.sitesTable), features: config.features).complete(ecosystem: ecosystem)
            try FileManager.default.createDirectory(atPath: layout.path(.forestFolder(ecosystem)), withIntermediateDirectories: true)
            guard input.count >= config.minProfiles else {
                for stale in [layout.path(.model(ecosystem)), layout.path(.forestSummary(ecosystem)), layout.path(.importance(ecosystem)), layout.path(.tuning(ecosystem)),
                              layout.path(.crossValidation(ecosystem, .random)), layout.path(.crossValidation(ecosystem, .spatial)),
                              layout.path(.crossValidationSummary(ecosystem)), layout.path(.baseline(ecosystem)), layout.path(.applicability(ecosystem)), layout.path(.residualVariogram(ecosystem)), layout.path(.forestErrorCorrelation(ecosystem)),
                              layout.path(.baselineCrossValidation(ecosystem, .random)), layout.path(.baselineCrossValidation(ecosystem, .spatial))] {
                    AtomicFile.removeQuietly(stale)
                }
                let note = "\(input.count) complete profiles of \(ecosystem.name) (< min_profiles \(config.minProfiles)): not modelled"
                try AtomicFile.write(text: note + "\n", to: layout.path(.notModelled(ecosystem)))
                return ([layout.path(.notModelled(ecosystem))], note)
            }
            AtomicFile.removeQuietly(layout.path(.notModelled(ecosystem)))
            let matrix = try FeatureMatrix(columns: config.features.map { ($0, input.values(of: $0)) })
            var base = ForestParameters(treeCount: config.trees, minNodeSize: config.minNode, seed: steps.seed)
            var outputs: [String] = []
            var tuningNote = "no tuning"
            if !config.tuneTrees.isEmpty {
                let tuning = try RandomForest.tune(features: matrix, responses: input.beta,
                                                   mtryValues: config.tuneMtry.isEmpty ? nil : config.tuneMtry,
                                                   treeCounts: config.tuneTrees, base: base, threads: steps.threads)
                try RunTable.write(ForestTables.tuning(tuning), to: layout.path(.tuning(ecosystem)))
                outputs.append(layout.path(.tuning(ecosystem)))
                base.mtry = tuning.best.mtry
                base.treeCount = tuning.best.treeCount
                tuningNote = "tuned mtry=\(tuning.best.mtry) trees=\(tuning.best.treeCount)"
            } else {
                AtomicFile.removeQuietly(layout.path(.tuning(ecosystem)))
            }
            var final = base
            final.keepQuantileData = true
            let forest = try RandomForest.train(features: matrix, responses: input.beta, targetName: "beta",
                                                parameters: final, threads: steps.threads)
            try ForestModelFile.write(forest, to: layout.path(.model(ecosystem)))
            try RunDocument.write(ForestTables.summary(forest), to: layout.path(.forestSummary(ecosystem)))
            try RunTable.write(ForestTables.importance(forest), to: layout.path(.importance(ecosystem)))
            outputs += [layout.path(.model(ecosystem)), layout.path(.forestSummary(ecosystem)), layout.path(.importance(ecosystem))]

            var cvParameters = base
            cvParameters.computePermutationImportance = false
            let folds = min(config.folds, input.count)
            let random = try RandomForest.crossValidate(features: matrix, responses: input.beta,
                                                        scheme: .random(folds: folds), parameters: cvParameters,
                                                        threads: steps.threads)
            let spatial = try RandomForest.crossValidate(
                features: matrix, responses: input.beta,
                scheme: .spatialBlocks(folds: folds, blockDegrees: config.blockDegrees,
                                       longitude: input.longitude, latitude: input.latitude),
                parameters: cvParameters, threads: steps.threads)
            // Nearest-neighbour distances: mapped cells to sites, held-out sites to the other folds (METHOD.md §7b),
            // and the kNNDM folds when asked for.
            var results: [(ValidationScheme, CrossValidationResult)] = [(.random, random), (.spatial, spatial)]
            var wasserstein: [String: Double] = [:]
            var knndmClusters: Int?
            AtomicFile.removeQuietly(layout.path(.crossValidation(ecosystem, .knndm)))
            AtomicFile.removeQuietly(layout.path(.nearestDistances(ecosystem)))
            if let matching = try distanceMatching(steps, ecosystem: ecosystem, input: input) {
                var distances = [("prediction", matching.predictionToTraining)]
                if config.knndm {
                    let choice = try matching.knndm(folds: folds, randomFolds: random.foldOfRow)
                    knndmClusters = choice.clusters
                    results.append((.knndm, try RandomForest.crossValidate(features: matrix, responses: input.beta, scheme: .given(folds: choice.folds),
                                                                           parameters: cvParameters, threads: steps.threads)))
                }
                for (scheme, result) in results {
                    let heldOut = matching.heldOutToTraining(folds: result.foldOfRow)
                    distances.append((scheme.rawValue, heldOut))
                    wasserstein[scheme.rawValue] = DistanceMatching.wasserstein(heldOut, matching.predictionToTraining)
                }
                try RunTable.write(distances.flatMap { name, values in values.map { NearestDistanceRow(distribution: name, distanceKm: $0) } },
                                   to: layout.path(.nearestDistances(ecosystem)))
                outputs.append(layout.path(.nearestDistances(ecosystem)))
            }
            for (scheme, result) in results {
                try RunTable.write(ForestTables.crossValidation(result, ids: input.ids, scheme: scheme), to: layout.path(.crossValidation(ecosystem, scheme)))
                outputs.append(layout.path(.crossValidation(ecosystem, scheme)))
            }
            let knndmResult = results.first { $0.0 == .knndm }?.1
            try RunDocument.write(CrossValidationDocument(random: ForestTables.scheme(random), spatial: ForestTables.scheme(spatial),
                                                          knndm: knndmResult.map(ForestTables.scheme), knndmClusters: knndmClusters,
                                                          wasserstein: wasserstein),
                                  to: layout.path(.crossValidationSummary(ecosystem)))
            outputs.append(layout.path(.crossValidationSummary(ecosystem)))
            // Residual variogram for the simulated stock intervals (docs/METHOD.md §8d): nugget + exponential model of
            // the random-CV residuals (observed − out-of-fold prediction) at the sites.
            AtomicFile.removeQuietly(layout.path(.residualVariogram(ecosystem)))
            do {
                let residuals = zip(random.observed, random.predicted).map { $0 - $1 }
                let variogram = try ExponentialVariogram.fit(longitudes: input.longitude, latitudes: input.latitude, residuals: residuals)
                try RunDocument.write(variogram, to: layout.path(.residualVariogram(ecosystem)))
                outputs.append(layout.path(.residualVariogram(ecosystem)))
            } catch let error as StatisticsError {
                steps.ledger.log("\(name): no residual variogram, so no simulated stock intervals: \(error)")
            }
            // Correlation range a₁ of the forest's sampling errors (docs/METHOD.md §8d): infinitesimal-jackknife
            // correlations of the forest means at (at most 1,000, every k-th) sites, each without its own influence.
            AtomicFile.removeQuietly(layout.path(.forestErrorCorrelation(ecosystem)))
            if forest.hasInBagCounts {
                let stride = max(1, (input.beta.count + 999) / 1000)
                let picked = Array(Swift.stride(from: 0, to: input.beta.count, by: stride))
                let points = try FeatureMatrix(columns: config.features.map { feature in let column = input.values(of: feature); return (feature, picked.map { column[$0] }) })
                let correlations = try forest.jackknifeCorrelations(points, ownTrainingRow: picked, threads: steps.threads)
                do {
                    let range = try ErrorCorrelationRange.fit(longitudes: picked.map { input.longitude[$0] }, latitudes: picked.map { input.latitude[$0] }) {
                        correlations[$0 * picked.count + $1]
                    }
                    try RunDocument.write(range, to: layout.path(.forestErrorCorrelation(ecosystem)))
                    outputs.append(layout.path(.forestErrorCorrelation(ecosystem)))
                } catch let error as StatisticsError {
                    steps.ledger.log("\(name): no correlation range of the forest's errors (the residual range is used): \(error)")
                }
            }
            // Area of applicability (docs/METHOD.md §8b): predictors weighted by the forest's permutation importance,
            // the threshold from the training points' DI against the other folds of the random CV.
            // No predictor with a positive importance: no AOA (logged); the map step then writes no DI/AOA maps.
            do {
                let applicability = try AreaOfApplicability(training: matrix, weights: forest.summary.permutationImportance, folds: random.foldOfRow)
                try RunDocument.write(applicability, to: layout.path(.applicability(ecosystem)))
                outputs.append(layout.path(.applicability(ecosystem)))
            } catch let error as ForestError {
                AtomicFile.removeQuietly(layout.path(.applicability(ecosystem)))
                steps.ledger.log("\(name): no area of applicability: \(error)")
            }
            outputs += try baseline(steps, ecosystem: ecosystem, input: input, results: results)
            let summary = String(format: "%d profiles; %@; OOB R² %.3f; CV R² random %.3f, spatial %.3f; RMSE random %.5f",
                                 input.count, tuningNote, forest.summary.oobR2, random.pooled.r2, spatial.pooled.r2,
                                 random.pooled.rmse)
            return (outputs, summary)
        }
        return FileManager.default.fileExists(atPath: layout.path(.model(ecosystem)))
            && !FileManager.default.fileExists(atPath: layout.path(.notModelled(ecosystem)))
    }
}

extension ProfileAndForestSteps {
    /// The paper's random-effects baseline for one ecosystem (Sect. 2.5; docs/METHOD.md §8c): β ~ covariates
    /// + (1 | study) by REML on every profile, and its out-of-fold predictions on the forest's own folds.
    /// Needs the `study` of the profiles (β table) and at least two studies; otherwise it is skipped and
    /// logged. Returns the files written.
    static func baseline(_ steps: PipelineSteps, ecosystem: Ecosystem, input: SiteTable,
                         results: [(ValidationScheme, CrossValidationResult)]) throws -> [String] {
        let layout = steps.layout
        var studyOf: [String: String] = [:]
        for row in try RunTable.read(BetaRow.self, from: layout.path(.betaTable)) where !row.study.isEmpty { studyOf[row.id] = row.study }
        let studies = input.ids.map { studyOf[$0] ?? "" }
        let distinct = Set(studies)
        for file in [RunFile.baseline(ecosystem)] + ValidationScheme.allCases.map({ RunFile.baselineCrossValidation(ecosystem, $0) }) {
            AtomicFile.removeQuietly(layout.path(file))
        }
        guard !distinct.contains(""), distinct.count >= 2 else {
            steps.ledger.log("forest-\(ecosystem.code): no mixed-model baseline (profiles need a study, at least two studies)")
            return []
        }
        let covariates = steps.forest.features.map { ($0, input.values(of: $0)) }
        let model = try MixedModel(response: input.beta, covariates: covariates, groups: studies)
        var skills: [ValidationScheme: CrossValidationDocument.Skill] = [:]
        var written: [String] = []
        for (scheme, result) in results {
            let predicted = try MixedModel.crossValidate(response: input.beta, covariates: covariates, groups: studies, folds: result.foldOfRow)
            try RunTable.write(ForestTables.crossValidation(observed: input.beta, predicted: predicted, folds: result.foldOfRow,
                                                            ids: input.ids, scheme: scheme),
                               to: layout.path(.baselineCrossValidation(ecosystem, scheme)))
            written.append(layout.path(.baselineCrossValidation(ecosystem, scheme)))
            let skill = PredictionSkill(observed: input.beta, predicted: predicted)
            skills[scheme] = .init(fold: nil, n: skill.count, r2: skill.r2, rmse: skill.rmse)
        }
        guard let random = skills[.random], let spatial = skills[.spatial] else { return written }
        try RunDocument.write(BaselineDocument(terms: model.terms, coefficients: model.coefficients, standardErrors: model.standardErrors,
                                               studyVariance: model.groupVariance, residualVariance: model.residualVariance,
                                               n: input.count, studies: distinct.count, random: random, spatial: spatial,
                                               knndm: skills[.knndm]),
                              to: layout.path(.baseline(ecosystem)))
        return written + [layout.path(.baseline(ecosystem))]
    }
}

extension ProfileAndForestSteps {
    /// Cells sampled for the prediction-to-training distances: about this many, evenly spaced in row order.
    static let predictionSample = 2000

    /// The nearest-neighbour distances of `ecosystem`: its training sites against a regular sample of the cells
    /// where its area raster is > 0 (the mapped domain). Nil when the run configures no area raster for it.
    static func distanceMatching(_ steps: PipelineSteps, ecosystem: Ecosystem, input: SiteTable) throws -> DistanceMatching? {
        guard let entry = steps.configuration.ecosystems.first(where: { $0.ecosystem == ecosystem }) else { return nil }
        let raster = try Raster(path: entry.area)
        let grid = raster.grid
        guard grid.crs.isGeographicWGS84 else { return nil }
        var cells: [Int] = []
        var buffer: [Double] = []
        let noData = try raster.noDataValue()
        var row = 0
        while row < grid.rows {
            let count = min(256, grid.rows - row)
            try raster.readRows(firstRow: row, rowCount: count, into: &buffer)
            for (k, value) in buffer.enumerated() where value > 0 && !RasterNoData.isMissing(value, noData: noData ?? .nan) {
                cells.append(row * grid.columns + k)
            }
            row += count
        }
        guard !cells.isEmpty else { return nil }
        let step = max(1, cells.count / predictionSample)
        let sample = stride(from: step / 2, to: cells.count, by: step).map { grid.cellCenter(column: cells[$0] % grid.columns, row: cells[$0] / grid.columns) }
        return try DistanceMatching(trainingLongitude: input.longitude, trainingLatitude: input.latitude,
                                    predictionLongitude: sample.map(\.x), predictionLatitude: sample.map(\.y))
    }
}

extension SiteTable {
    /// The rows of `ecosystem` (all rows when nil) with β and every covariate present.
    func complete(ecosystem: Ecosystem?) -> SiteTable {
        var result = SiteTable(features: features)
        for row in ids.indices {
            if let ecosystem, self.ecosystem[row] != ecosystem { continue }
            guard !beta[row].isNaN else { continue }
            let values = features.map { covariates[$0]?[row] ?? .nan }
            guard values.allSatisfy({ !$0.isNaN }) else { continue }
            result.append(id: ids[row], longitude: longitude[row], latitude: latitude[row], ecosystem: self.ecosystem[row],
                          beta: beta[row], covariates: values)
        }
        return result
    }
}
