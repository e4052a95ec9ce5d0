import Essentials
import Forest
import RunModel

/// A trained forest, its tuning grid and cross-validation as the run's typed rows and documents
/// (`forest/XX/importance.csv`, `tuning.csv`, `summary.json`, `cv_*.csv`, `cv.json`), shared by
/// `soilbeta run` and `soilbeta forest`.
public enum ForestTables {
    /// Importance rows: permutation (%IncMSE) and impurity importance per feature (METHOD.md §7).
    public static func importance(_ forest: RandomForest) -> [ImportanceRow] {
        let s = forest.summary
        let scaled = s.scaledPermutationImportance
        let share = s.relativeContributionPercent
        return forest.featureNames.indices.map { f in
            var row = ImportanceRow()
            (row.feature, row.increaseMSE, row.increaseMSESD) = (forest.featureNames[f], s.permutationImportance[f], s.permutationImportanceSD[f])
            (row.percentIncreaseMSE, row.increaseNodePurity, row.relativeContributionPercent) = (scaled[f], s.impurityImportance[f], share[f])
            return row
        }
    }

    /// The tuning grid with the chosen cell marked.
    public static func tuning(_ result: TuningResult) -> [TuningRow] {
        result.grid.map { cell in
            var row = TuningRow()
            (row.mtry, row.trees, row.oobMSE) = (cell.mtry, cell.treeCount, cell.oobMSE)
            (row.oobR2, row.chosen) = (cell.oobR2, cell == result.best)
            return row
        }
    }

    /// The summary document of a trained forest.
    public static func summary(_ forest: RandomForest) -> ForestSummaryDocument {
        let s = forest.summary, p = forest.parameters
        return ForestSummaryDocument(
            n: s.sampleCount, target: s.targetName, features: forest.featureNames, trees: p.treeCount,
            mtry: p.resolvedMtry(featureCount: forest.featureNames.count), minNodeSize: p.minNodeSize, maxDepth: p.maxDepth,
            sampleWithReplacement: p.sampleWithReplacement, sampleFraction: p.sampleFraction, seed: p.seed,
            quantileData: forest.hasQuantileData, oobMSE: s.oobMSE, oobRMSE: s.oobRMSE, oobR2: s.oobR2,
            importance: importance(forest))
    }

    /// Out-of-fold rows of one scheme.
    public static func crossValidation(_ result: CrossValidationResult, ids: [String], scheme: ValidationScheme) -> [CrossValidationRow] {
        crossValidation(observed: result.observed, predicted: result.predicted, folds: result.foldOfRow, ids: ids, scheme: scheme)
    }

    /// Out-of-fold rows from observed and predicted values and the (0-based) fold of every row.
    public static func crossValidation(observed: [Double], predicted: [Double], folds: [Int], ids: [String],
                                       scheme: ValidationScheme) -> [CrossValidationRow] {
        ids.indices.map {
            CrossValidationRow(id: ids[$0], observed: observed[$0], predicted: predicted[$0], fold: folds[$0] + 1, scheme: scheme)
        }
    }

    /// Pooled and per-fold skill of one scheme.
    public static func scheme(_ result: CrossValidationResult) -> CrossValidationDocument.Scheme {
        CrossValidationDocument.Scheme(
            folds: result.perFold.count,
            pooled: .init(fold: nil, n: result.pooled.count, r2: result.pooled.r2, rmse: result.pooled.rmse),
            perFold: result.perFold.enumerated().map { .init(fold: $0.offset + 1, n: $0.element.count, r2: $0.element.r2, rmse: $0.element.rmse) })
    }
}
