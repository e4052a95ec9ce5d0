import Essentials

/// Skill of predictions against observations, the paper's Eqs. 5–6:
/// R² = 1 − Σ(oᵢ − pᵢ)² / Σ(oᵢ − ō)² and RMSE = √(Σ(oᵢ − pᵢ)² / n), over the n pairs whose members are
/// both finite (in the response's units). Used for every fold and pooled cross-validation figure and for
/// the report's observed-vs-predicted panels.
public struct PredictionSkill: Sendable, Equatable {
    /// Pairs used (both members finite).
    public var count: Int
    /// Coefficient of determination (Eq. 5); NaN when the observations do not vary.
    public var r2: Double
    /// Root mean squared error (Eq. 6); NaN without pairs.
    public var rmse: Double

    /// The skill of `predicted` against `observed` (pairs in order; extra elements of the longer array ignored).
    public init(observed: [Double], predicted: [Double]) {
        var kept: [(observed: Double, predicted: Double)] = []
        kept.reserveCapacity(min(observed.count, predicted.count))
        for (o, p) in zip(observed, predicted) where o.isFinite && p.isFinite { kept.append((o, p)) }
        count = kept.count
        let mean = kept.reduce(0) { $0 + $1.observed } / Double(max(count, 1))
        var residual = 0.0, total = 0.0
        for pair in kept {
            residual += (pair.observed - pair.predicted) * (pair.observed - pair.predicted)
            total += (pair.observed - mean) * (pair.observed - mean)
        }
        r2 = total > 0 ? 1 - residual / total : .nan
        rmse = count > 0 ? (residual / Double(count)).squareRoot() : .nan
    }
}
