// Tables and JSON documents written by the forest commands.
import Foundation
import Essentials

/// Builders of the files the `soilbeta forest` commands write (summary JSON, importance,
/// tuning and cross-validation tables, prediction tables).
public enum ForestOutputs {
    /// A JSON number, or null for NaN/infinite values.
    static func number(_ value: Double) -> Any { value.isFinite ? value : NSNull() }

    /// The importance table: one entry per feature with impurity decrease (IncNodePurity),
    /// permutation increase in MSE, its SE, randomForest's scaled %IncMSE and the relative contribution in %.
    public static func importanceRecords(_ forest: RandomForest) -> [[String: Any]] {
        let s = forest.summary
        let scaled = s.scaledPermutationImportance
        let share = s.relativeContributionPercent
        return forest.featureNames.indices.map { f in
            ["feature": forest.featureNames[f],
             "inc_mse": number(s.permutationImportance[f]),
             "inc_mse_sd": number(s.permutationImportanceSD[f]),
             "pct_inc_mse": number(scaled[f]),
             "inc_node_purity": number(s.impurityImportance[f]),
             "relative_contribution_pct": number(share[f])]
        }
    }

    /// The training summary document: n, features, target, hyper-parameters, OOB R²/RMSE/MSE and importance.
    public static func summaryJSON(_ forest: RandomForest) throws -> Data {
        let s = forest.summary
        let p = forest.parameters
        let document: [String: Any] = [
            "n": s.sampleCount,
            "target": s.targetName,
            "features": forest.featureNames,
            "trees": p.treeCount,
            "mtry": p.resolvedMtry(featureCount: forest.featureNames.count),
            "min_node_size": p.minNodeSize,
            "max_depth": p.maxDepth.map { $0 as Any } ?? NSNull(),
            "sample_with_replacement": p.sampleWithReplacement,
            "sample_fraction": p.sampleFraction,
            "seed": p.seed,
            "quantile_data": forest.quantileData != nil,
            "oob_mse": number(s.oobMSE),
            "oob_rmse": number(s.oobRMSE),
            "oob_r2": number(s.oobR2),
            "importance": importanceRecords(forest),
        ]
        return try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
    }

    /// The importance table as CSV text (columns as in `importanceRecords`).
    public static func importanceCSV(_ forest: RandomForest) -> String {
        var writer = CSVWriter(header: ["feature", "inc_mse", "inc_mse_sd", "pct_inc_mse", "inc_node_purity", "relative_contribution_pct"])
        let s = forest.summary
        let scaled = s.scaledPermutationImportance
        let share = s.relativeContributionPercent
        for f in forest.featureNames.indices {
            writer.append(row: [forest.featureNames[f], CSVWriter.format(s.permutationImportance[f]),
                                CSVWriter.format(s.permutationImportanceSD[f]), CSVWriter.format(scaled[f]),
                                CSVWriter.format(s.impurityImportance[f]), CSVWriter.format(share[f])])
        }
        return writer.csvText
    }

    /// The tuning grid as CSV text: mtry, trees, oob_mse, oob_r2, chosen (1 for the chosen cell).
    public static func tuningCSV(_ result: TuningResult) -> String {
        var writer = CSVWriter(header: ["mtry", "trees", "oob_mse", "oob_r2", "chosen"])
        for cell in result.grid {
            writer.append(row: [String(cell.mtry), String(cell.treeCount), CSVWriter.format(cell.oobMSE),
                                CSVWriter.format(cell.oobR2), cell == result.best ? "1" : "0"])
        }
        return writer.csvText
    }

    /// Cross-validation figures as JSON: pooled and per-fold R² and RMSE (Eqs. 5–6).
    public static func crossValidationJSON(_ results: [(name: String, result: CrossValidationResult)]) throws -> Data {
        var document: [String: Any] = [:]
        for (name, result) in results {
            document[name] = [
                "folds": result.perFold.count,
                "pooled": ["n": result.pooled.count, "r2": number(result.pooled.r2), "rmse": number(result.pooled.rmse)],
                "per_fold": result.perFold.enumerated().map { ["fold": $0.offset + 1, "n": $0.element.count,
                                                               "r2": number($0.element.r2), "rmse": number($0.element.rmse)] },
            ] as [String: Any]
        }
        return try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
    }

    /// Observed-vs-predicted table of cross-validations as CSV: row, scheme, fold, observed, predicted.
    public static func crossValidationCSV(_ results: [(name: String, result: CrossValidationResult)], rowLabels: [String]) -> String {
        var writer = CSVWriter(header: ["row", "scheme", "fold", "observed", "predicted"])
        for (name, result) in results {
            for row in result.observed.indices {
                writer.append(row: [rowLabels[row], name, String(result.foldOfRow[row] + 1),
                                    CSVWriter.format(result.observed[row]), CSVWriter.format(result.predicted[row])])
            }
        }
        return writer.csvText
    }

    /// Column name of a quantile: 0.05 → `q05`, 0.95 → `q95`, 0.5 → `q50`, 0.025 → `q02.5`.
    public static func quantileColumnName(_ probability: Double) -> String {
        let percent = probability * 100
        let rounded = percent.rounded()
        if abs(percent - rounded) < 1e-9 { return rounded < 10 ? "q0\(Int(rounded))" : "q\(Int(rounded))" }
        let text = String(format: "%g", percent)
        return percent < 10 ? "q0\(text)" : "q\(text)"
    }

    /// The prediction table as CSV bytes: `prediction`, one column per quantile, then the kept
    /// input columns (`keep` = (name, values per output row)).
    public static func predictionCSV(predictions: [Double], quantiles: [(probability: Double, values: [Double])],
                                     keep: [(name: String, values: [String])]) -> Data {
        var text = (["prediction"] + quantiles.map { quantileColumnName($0.probability) } + keep.map(\.name))
            .map(CSVWriter.quoted).joined(separator: ",") + "\n"
        text.reserveCapacity(predictions.count * (24 * (1 + quantiles.count) + 12 * keep.count))
        for row in predictions.indices {
            text += CSVWriter.format(predictions[row])
            for q in quantiles { text += ","; text += CSVWriter.format(q.values[row]) }
            for column in keep { text += ","; text += CSVWriter.quoted(column.values[row]) }
            text += "\n"
        }
        return Data(text.utf8)
    }
}
