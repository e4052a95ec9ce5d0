import Essentials
import ArgumentParser
import Foundation
import Forest
import Pipeline
import RunModel
import SoilProfiles

/// `soilbeta forest …`: random forest training, prediction, tuning, cross-validation and
/// importance (METHOD.md §6–§7).
struct ForestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forest",
        abstract: "Random forest regression: train, predict (with QRF intervals), tune, cross-validate, importance.",
        subcommands: [ForestTrain.self, ForestPredict.self, ForestTune.self, ForestCV.self, ForestImportance.self, ForestApplicability.self]
    )
}

/// Options shared by the commands that train forests.
struct ForestTrainingOptions: ParsableArguments {
    @Option(help: "Training table (CSV with header).") var table: String
    @Option(help: "Response column, e.g. beta.") var target: String
    @Option(help: "Comma-separated feature columns.") var features: String
    @Option(help: "Number of trees.") var trees: Int = 500
    @Option(help: "Features tried per split (default max(⌊p/3⌋, 1)).") var mtry: Int?
    @Option(name: .customLong("min-node"), help: "Nodes with at most this many samples are not split.") var minNode: Int = 5
    @Option(name: .customLong("max-depth"), help: "Maximum tree depth (default unlimited).") var maxDepth: Int?
    @Flag(name: .customLong("no-replace"), help: "Sample without replacement (fraction 0.632) instead of bootstrap.") var noReplace = false
    @Option(help: "Random seed; the same seed gives the same forest for any thread count.") var seed: UInt64 = 1
    @Option(help: "Worker threads (default: all cores).") var threads: Int?
    @Flag(name: .customLong("drop-missing"), help: "Drop rows with a missing feature or target value (counted) instead of failing.") var dropMissing = false

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1 (got \(threads))") }
    }

    var featureList: [String] { features.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }

    func parameters(quantiles: Bool = false) -> ForestParameters {
        ForestParameters(treeCount: trees, mtry: mtry, minNodeSize: minNode, maxDepth: maxDepth,
                         sampleWithReplacement: !noReplace, seed: seed, keepQuantileData: quantiles)
    }

    func load() throws -> (CSVTable, ForestTableInput) {
        let csv = try CSVTable.read(path: table)
        let input = try ForestTableInput(table: csv, featureNames: featureList, target: target, dropMissing: dropMissing)
        if input.droppedCount > 0 { printError("dropped \(input.droppedCount) row(s) with missing values from \(table)") }
        return (csv, input)
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}


struct ForestTrain: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train", abstract: "Train a forest and write the model file.")
    @OptionGroup var options: ForestTrainingOptions
    @Flag(help: "Keep leaf responses for quantile regression forest intervals.") var quantiles = false
    @Option(help: "Model file to write.") var out: String
    @Option(help: "Training summary JSON to write (OOB R², RMSE, n, features, importance).") var summary: String?

    func run() throws {
        let (_, input) = try options.load()
        let forest = try RandomForest.train(features: input.features, responses: input.responses!, targetName: options.target,
                                            parameters: options.parameters(quantiles: quantiles), threads: options.threads)
        try ForestModelFile.write(forest, to: out)
        if let summary { try RunDocument.write(ForestTables.summary(forest), to: summary) }
        print(String(format: "trained %d trees on %d rows × %d features: OOB R² %.4f, OOB RMSE %.6g → %@",
                     forest.treeCount, forest.summary.sampleCount, forest.featureNames.count,
                     forest.summary.oobR2, forest.summary.oobRMSE, out))
    }
}

struct ForestPredict: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "predict", abstract: "Predict with a model file.")
    @Option(help: "Model file written by `forest train`.") var model: String
    @Option(help: "Table with the model's feature columns (CSV).") var table: String
    @Option(help: "Comma-separated quantile probabilities, e.g. 0.05,0.95 (model trained with --quantiles).") var quantiles: String?
    @Option(help: "Comma-separated input columns to carry into the output.") var keep: String?
    @Option(help: "Worker threads (default: all cores).") var threads: Int?
    @Flag(name: .customLong("drop-missing"), help: "Drop rows with a missing feature value (counted) instead of failing.") var dropMissing = false
    @Option(help: "Prediction table to write (CSV).") var out: String

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1 (got \(threads))") }
        try requireDistinctFiles(inputs: [("--model", model), ("--table", table)], outputs: [("--out", out)])
    }

    func run() throws {
        let forest = try ForestModelFile.read(from: model)
        var probabilities: [Double] = []
        if let quantiles {
            for text in quantiles.split(separator: ",") {
                guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value >= 0, value <= 1 else {
                    throw ValidationError("--quantiles: '\(text)' is not a probability in [0, 1]")
                }
                probabilities.append(value)
            }
        }
        let keepNames = keep?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? []
        let summary = try StreamingPrediction.predict(forest: forest, table: table, quantiles: probabilities, keep: keepNames,
                                                      threads: threads, dropMissing: dropMissing, output: out)
        if summary.dropped > 0 { printError("dropped \(summary.dropped) row(s) with missing values from \(table)") }
        print("predicted \(summary.rows) rows → \(out)")
    }
}

struct ForestTune: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tune", abstract: "Grid over mtry × trees scored by OOB MSE.")
    @OptionGroup var options: ForestTrainingOptions
    @Option(name: .customLong("mtry-values"), help: "Comma-separated mtry values (default 1…p).") var mtryValues: String?
    @Option(name: .customLong("tree-counts"), help: "Comma-separated tree counts.") var treeCounts: String = "100,250,500,1000"
    @Option(help: "Grid table to write (CSV); printed if omitted.") var out: String?

    func run() throws {
        let (_, input) = try options.load()
        let mtrys = try mtryValues.map { try parseIntegers($0, option: "--mtry-values") }
        let counts = try parseIntegers(treeCounts, option: "--tree-counts")
        let result = try RandomForest.tune(features: input.features, responses: input.responses!, mtryValues: mtrys,
                                           treeCounts: counts, base: options.parameters(), threads: options.threads)
        let table = RunTable.csv(ForestTables.tuning(result))
        if let out { try AtomicFile.write(text: table, to: out) } else { print(table, terminator: "") }
        print(String(format: "chosen: mtry %d, %d trees (OOB MSE %.6g, OOB R² %.4f)",
                     result.best.mtry, result.best.treeCount, result.best.oobMSE, result.best.oobR2))
    }
}

func parseIntegers(_ text: String, option: String) throws -> [Int] {
    try text.split(separator: ",").map {
        guard let value = Int($0.trimmingCharacters(in: .whitespaces)) else {
            throw ValidationError("\(option): '\($0)' is not an integer")
        }
        return value
    }
}

struct ForestCV: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cv",
        abstract: "k-fold and spatial block cross-validation: pooled and per-fold R² and RMSE (Eqs. 5–6).")
    @OptionGroup var options: ForestTrainingOptions
    @Option(help: "Number of folds.") var folds: Int = 10
    @Option(name: .customLong("block-deg"), help: "Spatial block size in degrees (needs lon/lat columns).") var blockDeg: Double = 5
    @Flag(name: .customLong("no-spatial"), help: "Only random folds (no lon/lat needed).") var noSpatial = false
    @Option(help: "Longitude column.") var lon: String = "lon"
    @Option(help: "Latitude column.") var lat: String = "lat"
    @Option(help: "Figures JSON to write; printed if omitted.") var out: String?
    @Option(name: .customLong("predictions"), help: "Observed-vs-predicted table to write (CSV).") var predictionsOut: String?

    func run() throws {
        let (csv, input) = try options.load()
        var results: [(scheme: ValidationScheme, result: CrossValidationResult)] = []
        let parameters = options.parameters()
        results.append((.random, try RandomForest.crossValidate(features: input.features, responses: input.responses!,
                                                                scheme: .random(folds: folds), parameters: parameters, threads: options.threads)))
        if !noSpatial {
            let lonValues = try csv.numericColumn(try csv.requireColumn(lon, purpose: "spatial blocks; or pass --no-spatial"))
            let latValues = try csv.numericColumn(try csv.requireColumn(lat, purpose: "spatial blocks; or pass --no-spatial"))
            let scheme = FoldScheme.spatialBlocks(folds: folds, blockDegrees: blockDeg,
                                                  longitude: input.keptRows.map { lonValues[$0] }, latitude: input.keptRows.map { latValues[$0] })
            results.append((.spatial, try RandomForest.crossValidate(features: input.features, responses: input.responses!,
                                                                      scheme: scheme, parameters: parameters, threads: options.threads)))
        }
        let document = CrossValidationDocument(random: ForestTables.scheme(results[0].result),
                                               spatial: results.count > 1 ? ForestTables.scheme(results[1].result) : nil)
        if let out { try RunDocument.write(document, to: out) } else {
            print(String(decoding: try RunDocument.encode(document, for: "cv"), as: UTF8.self))
        }
        if let predictionsOut {
            let labels = input.keptRows.map { String(csv.lineOfRow[$0]) }
            try RunTable.write(results.flatMap { ForestTables.crossValidation($0.result, ids: labels, scheme: $0.scheme) }, to: predictionsOut)
        }
        for (scheme, result) in results {
            print(String(format: "%@ %d-fold CV: pooled R² %.4f, RMSE %.6g", scheme.rawValue, result.perFold.count, result.pooled.r2, result.pooled.rmse))
        }
    }
}

struct ForestImportance: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "importance",
        abstract: "Importance of a model's features: %IncMSE, IncNodePurity, relative contribution (%).")
    @Option(help: "Model file.") var model: String
    @Option(help: "CSV to write; printed if omitted.") var out: String?

    func run() throws {
        let forest = try ForestModelFile.read(from: model)
        let table = RunTable.csv(ForestTables.importance(forest))
        if let out { try AtomicFile.write(text: table, to: out) } else { print(table, terminator: "") }
    }
}

/// `soilbeta forest aoa`: the area of applicability of a model (Meyer & Pebesma 2021, as CAST
/// `trainDI`/`aoa`; docs/METHOD.md §8b) for the rows of a table.
struct ForestApplicability: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "aoa",
        abstract: "Dissimilarity index (DI) and area of applicability (AOA) of new rows against a training table.",
        discussion: """
        Predictors are standardised by the training mean and SD and weighted (by --weights FILE with \
        feature,weight rows, or by the permutation importance of --model); DI = distance to the nearest \
        training row / mean distance between training rows; the threshold is the 75th percentile + 1.5 IQR \
        of the training rows' DI computed against the other cross-validation folds (--fold-column, or \
        --folds K --seed S). Writes DI,AOA (1 inside, 0 outside) for every row of --new in its order and \
        prints threshold=<value>.
        """)
    @Option(help: "Training table (CSV).") var table: String
    @Option(help: "Comma-separated predictor columns.") var features: String
    @Option(help: "Weights table: feature,weight.") var weights: String?
    @Option(help: "Model file whose permutation importance gives the weights.") var model: String?
    @Option(name: .customLong("fold-column"), help: "Column of the training table holding each row's CV fold.") var foldColumn: String?
    @Option(help: "Number of random CV folds (with --seed) when there is no fold column.") var folds: Int?
    @Option(help: "Seed of the random folds.") var seed: UInt64 = 1
    @Option(name: .customLong("new"), help: "Table of rows to assess (CSV with the predictor columns).") var newTable: String
    @Option(help: "Output CSV: DI,AOA per row of --new.") var out: String
    @Option(help: "Worker threads (default: all cores).") var threads: Int?

    func validate() throws {
        guard (weights == nil) != (model == nil) else { throw ValidationError("give exactly one of --weights and --model") }
        guard (foldColumn == nil) != (folds == nil) else { throw ValidationError("give exactly one of --fold-column and --folds") }
        if let folds, folds < 2 { throw ValidationError("--folds must be at least 2") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1 (got \(threads))") }
        try requireDistinctFiles(inputs: [("--table", table), ("--new", newTable), ("--weights", weights), ("--model", model)],
                                 outputs: [("--out", out)])
    }

    func run() throws {
        let names = features.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let training = try CSVTable.read(path: table)
        let input = try ForestTableInput(table: training, featureNames: names, target: nil, dropMissing: false)
        var weightOf: [String: Double] = [:]
        if let weights {
            let weightTable = try CSVTable.read(path: weights)
            let feature = try weightTable.requireColumn("feature"), weight = try weightTable.requireColumn("weight")
            for row in 0..<weightTable.rows.count {
                weightOf[CSVTable.identifier(weightTable.rows[row][feature])] = try weightTable.number(row: row, column: weight) ?? 0
            }
        } else if let model {
            let forest = try ForestModelFile.read(from: model)
            for (name, importance) in zip(forest.featureNames, forest.summary.permutationImportance) { weightOf[name] = importance }
        }
        let missingWeights = names.filter { weightOf[$0] == nil }
        guard missingWeights.isEmpty else {
            throw FileError(file: weights ?? model ?? "", message: "no weight for \(missingWeights.joined(separator: ", "))")
        }
        let foldOfRow: [Int]
        if let foldColumn {
            let column = try training.requireColumn(foldColumn, purpose: "the CV fold of each training row")
            foldOfRow = try (0..<training.rows.count).map { row in
                guard let value = try training.number(row: row, column: column), value == value.rounded(), abs(value) < 1e9 else {
                    throw FileError(file: table, line: training.lineOfRow[row], field: foldColumn, message: "fold must be a whole number")
                }
                return Int(value)
            }
        } else {
            foldOfRow = try RandomForest.assignFolds(rowCount: training.rows.count, scheme: .random(folds: folds ?? 10), seed: seed)
        }
        let applicability = try AreaOfApplicability(training: input.features, weights: names.map { weightOf[$0] ?? 0 }, folds: foldOfRow)
        let assessed = try ForestTableInput(table: CSVTable.read(path: newTable), featureNames: names, target: nil, dropMissing: false)
        let result = try applicability.assess(assessed.features, threads: threads)
        var writer = CSVWriter(header: ["DI", "AOA"])
        for (di, inside) in zip(result.di, result.inside) { writer.append(row: [CSVWriter.format(di), inside ? "1" : "0"]) }
        try writer.write(to: out)
        print("threshold=\(applicability.threshold)")
        print("inside: \(result.inside.filter { $0 }.count) of \(result.inside.count) rows; mean training distance \(applicability.meanTrainingDistance)")
    }
}
