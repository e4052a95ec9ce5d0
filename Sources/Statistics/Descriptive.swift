// Descriptive statistics of β by ecosystem and overall (METHOD.md §6, paper Sect. 3.1).

/// Sample quantile by R's default definition (Hyndman & Fan type 7).
///
/// For sorted values x₁ ≤ … ≤ xₙ and probability p, h = (n − 1)p + 1 and the quantile is
/// x_⌊h⌋ + (h − ⌊h⌋)(x_⌈h⌉ − x_⌊h⌋), written as (1 − γ)x_⌊h⌋ + γ x_⌈h⌉ like R `quantile(type = 7)`.
///
/// - Parameters:
///   - sortedValues: the data sorted ascending, non-empty, no NaN.
///   - probability: p in [0, 1].
public func quantileType7(sortedValues: [Double], probability: Double) -> Double {
    precondition(!sortedValues.isEmpty, "quantile of an empty sample")
    precondition(probability >= 0 && probability <= 1, "probability outside [0, 1]")
    let position = 1 + Double(sortedValues.count - 1) * probability   // 1-based index h
    let lowIndex = position.rounded(.down)
    let highIndex = position.rounded(.up)
    let low = sortedValues[Int(lowIndex) - 1]
    let high = sortedValues[Int(highIndex) - 1]
    let fraction = position - lowIndex
    if fraction == 0 || high == low { return low }
    return (1 - fraction) * low + fraction * high
}

/// Sample quantiles (R type 7) of unsorted values for several probabilities.
public func quantilesType7(_ values: [Double], probabilities: [Double]) -> [Double] {
    let sorted = values.sorted()
    return probabilities.map { quantileType7(sortedValues: sorted, probability: $0) }
}

/// Summary of a sample of β (or any variable): the columns of the paper's β table (Sect. 3.1).
public struct SampleSummary: Equatable, Sendable {
    /// Number of observations.
    public var count: Int
    /// Arithmetic mean.
    public var mean: Double
    /// Median (type-7 quantile at 0.5, identical to R `median`).
    public var median: Double
    /// 5th percentile, R type 7.
    public var percentile5: Double
    /// 95th percentile, R type 7.
    public var percentile95: Double
    /// Sample standard deviation (denominator n − 1); NaN when n = 1, as in R.
    public var standardDeviation: Double
    /// Coefficient of variation in percent: 100 · SD / mean.
    public var coefficientOfVariationPercent: Double

    /// Summarises `values` (non-empty, all finite).
    /// - Throws: `StatisticsError` for an empty sample or non-finite values.
    public init(_ values: [Double]) throws {
        guard !values.isEmpty else { throw StatisticsError.tooFewObservations("cannot summarise an empty sample") }
        guard values.allSatisfy({ $0.isFinite }) else {
            throw StatisticsError.nonFiniteValue("cannot summarise a sample with NaN or infinite values")
        }
        let sorted = values.sorted()
        count = values.count
        mean = Self.mean(values)
        median = quantileType7(sortedValues: sorted, probability: 0.5)
        percentile5 = quantileType7(sortedValues: sorted, probability: 0.05)
        percentile95 = quantileType7(sortedValues: sorted, probability: 0.95)
        if values.count > 1 {
            var sumOfSquares = 0.0
            for value in values { let deviation = value - mean; sumOfSquares += deviation * deviation }
            standardDeviation = (sumOfSquares / Double(values.count - 1)).squareRoot()
        } else {
            standardDeviation = .nan
        }
        coefficientOfVariationPercent = 100 * standardDeviation / mean
    }

    /// Mean as R computes it: the plain sum divided by n, then refined by the mean residual
    /// (R's `mean` makes this second pass too), so results agree to the last bits.
    static func mean(_ values: [Double]) -> Double {
        var sum = 0.0
        for value in values { sum += value }
        let first = sum / Double(values.count)
        var correction = 0.0
        for value in values { correction += value - first }
        return first + correction / Double(values.count)
    }
}

/// One row of a grouped summary: a group label and its summary.
public struct GroupSummary: Equatable, Sendable {
    /// Group label (an ecosystem, or "all" for the pooled sample).
    public var group: String
    /// Summary of the group's values.
    public var summary: SampleSummary
}

/// Summaries of `values` by group, groups in sorted (R factor) order, followed by nothing else;
/// pass `includeOverall: true` to put the pooled summary labelled `overallLabel` first.
///
/// - Parameters:
///   - values: the observations (e.g. β per profile).
///   - groups: the group of each observation (e.g. ecosystem); same length as `values`.
/// - Throws: `StatisticsError` when lengths differ, or a group cannot be summarised.
public func summariseByGroup(values: [Double], groups: [String], includeOverall: Bool = true,
                             overallLabel: String = "all") throws -> [GroupSummary] {
    guard values.count == groups.count else {
        throw StatisticsError.invalidArgument("\(values.count) values but \(groups.count) group labels")
    }
    var rows: [GroupSummary] = []
    if includeOverall { rows.append(GroupSummary(group: overallLabel, summary: try SampleSummary(values))) }
    for label in Set(groups).sorted() {
        let members = zip(values, groups).filter { $0.1 == label }.map { $0.0 }
        rows.append(GroupSummary(group: label, summary: try SampleSummary(members)))
    }
    return rows
}
