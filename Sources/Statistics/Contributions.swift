// Relative contribution of each covariate to the random forest (METHOD.md §6, paper Fig. 2).

/// A covariate's share of the forest's permutation importance.
public struct RelativeContribution: Equatable, Sendable {
    /// Covariate name, e.g. "mat".
    public var feature: String
    /// Permutation importance as given (increase in MSE when the covariate is permuted).
    public var importance: Double
    /// Share in percent: max(importance, 0) / Σ max(importanceᵢ, 0) · 100. The shares sum to 100.
    public var percent: Double
}

/// Relative contributions (%) from a permutation-importance vector (METHOD.md §6).
///
/// Negative importances (a covariate whose permutation *improved* the fit, i.e. noise) count as
/// zero. Order of the input is kept.
/// - Throws: `StatisticsError` when names and values differ in length, a value is not finite,
///   a name repeats, or no importance is positive (then no share is defined).
public func relativeContributions(features: [String], importances: [Double]) throws -> [RelativeContribution] {
    guard features.count == importances.count else {
        throw StatisticsError.invalidArgument("\(features.count) feature names but \(importances.count) importances")
    }
    guard !features.isEmpty else { throw StatisticsError.tooFewObservations("no importances given") }
    if let bad = zip(features, importances).first(where: { !$0.1.isFinite }) {
        throw StatisticsError.nonFiniteValue("importance of '\(bad.0)' is not a finite number")
    }
    var seen = Set<String>()
    for feature in features where !seen.insert(feature).inserted {
        throw StatisticsError.invalidArgument("feature '\(feature)' is listed twice")
    }
    let clipped = importances.map { max($0, 0) }
    let total = clipped.reduce(0, +)
    guard total > 0 else {
        throw StatisticsError.invalidArgument("no importance is positive, so relative contributions are undefined")
    }
    return zip(zip(features, importances), clipped).map { pair, positive in
        RelativeContribution(feature: pair.0, importance: pair.1, percent: 100 * positive / total)
    }
}
