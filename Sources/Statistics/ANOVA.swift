// One-way analysis of variance and Tukey's honest significant differences (METHOD.md §6,
// paper Sect. 2.6): β among ecosystems.

/// Result of a one-way ANOVA: the table R `summary(aov(y ~ group))` prints.
public struct OneWayANOVA: Equatable, Sendable {
    /// Group labels in sorted (R factor level) order.
    public var groups: [String]
    /// Number of observations per group, in `groups` order.
    public var groupCounts: [Int]
    /// Group means, in `groups` order.
    public var groupMeans: [Double]
    /// Degrees of freedom between groups, k − 1.
    public var degreesOfFreedomBetween: Int
    /// Degrees of freedom within groups (residual), N − k.
    public var degreesOfFreedomWithin: Int
    /// Between-group sum of squares Σ nᵢ (ȳᵢ − ȳ)².
    public var sumOfSquaresBetween: Double
    /// Within-group (residual) sum of squares Σ (y − ȳᵢ)².
    public var sumOfSquaresWithin: Double
    /// F = (SS_between / df_between) / (SS_within / df_within).
    public var fStatistic: Double
    /// P(F > f) under H₀ (equal means), from the F(df_between, df_within) distribution.
    public var pValue: Double

    /// Residual mean square SS_within / df_within (the MSE used by Tukey HSD).
    public var meanSquareWithin: Double { sumOfSquaresWithin / Double(degreesOfFreedomWithin) }

    /// Fits the one-way layout `values ~ groups`.
    /// - Throws: `StatisticsError` with fewer than two groups, no residual degrees of freedom,
    ///   mismatched lengths or non-finite values.
    public init(values: [Double], groups: [String]) throws {
        guard values.count == groups.count else {
            throw StatisticsError.invalidArgument("\(values.count) values but \(groups.count) group labels")
        }
        guard values.allSatisfy({ $0.isFinite }) else {
            throw StatisticsError.nonFiniteValue("ANOVA needs finite values")
        }
        let labels = Set(groups).sorted()
        guard labels.count >= 2 else {
            throw StatisticsError.tooFewObservations("ANOVA needs at least two groups, found \(labels.count)")
        }
        guard values.count > labels.count else {
            throw StatisticsError.tooFewObservations(
                "ANOVA needs more observations (\(values.count)) than groups (\(labels.count))")
        }
        let index = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        var sums = [Double](repeating: 0, count: labels.count)
        var counts = [Int](repeating: 0, count: labels.count)
        for (value, label) in zip(values, groups) { sums[index[label]!] += value; counts[index[label]!] += 1 }
        let means = zip(sums, counts).map { $0 / Double($1) }
        let grandMean = SampleSummary.mean(values)
        var within = 0.0
        for (value, label) in zip(values, groups) {
            let deviation = value - means[index[label]!]
            within += deviation * deviation
        }
        var between = 0.0
        for g in 0..<labels.count {
            let deviation = means[g] - grandMean
            between += Double(counts[g]) * deviation * deviation
        }
        self.groups = labels
        groupCounts = counts
        groupMeans = means
        degreesOfFreedomBetween = labels.count - 1
        degreesOfFreedomWithin = values.count - labels.count
        sumOfSquaresBetween = between
        sumOfSquaresWithin = within
        fStatistic = (between / Double(labels.count - 1)) / (within / Double(values.count - labels.count))
        pValue = fDistributionCDF(fStatistic, df1: Double(labels.count - 1),
                                  df2: Double(values.count - labels.count), upperTail: true)
    }
}

/// One pairwise comparison of Tukey's HSD: `group` minus `reference`.
public struct TukeyComparison: Equatable, Sendable {
    /// The group whose mean is the minuend (R row name "group-reference").
    public var group: String
    /// The group whose mean is subtracted.
    public var reference: String
    /// Difference of means ȳ_group − ȳ_reference.
    public var difference: Double
    /// Lower end of the simultaneous confidence interval.
    public var lower: Double
    /// Upper end of the simultaneous confidence interval.
    public var upper: Double
    /// Adjusted p-value P(Q > |diff| / SE) from the studentized range distribution.
    public var adjustedPValue: Double

    /// The label R prints for the row, e.g. "forestland-cropland".
    public var label: String { "\(group)-\(reference)" }
}

/// Tukey's honest significant differences after a one-way ANOVA (Tukey–Kramer for unequal n),
/// as R `TukeyHSD(aov(y ~ group), conf.level = confidenceLevel)`.
///
/// SE_ij = sqrt(MSE / 2 · (1/nᵢ + 1/nⱼ)); interval diff ± q(confidenceLevel; k, df_within) · SE_ij;
/// p = P(Q > |diff| / SE_ij). Rows are in R's order: for each reference level i (sorted), every
/// later level j > i.
public func tukeyHSD(_ anova: OneWayANOVA, confidenceLevel: Double = 0.95) -> [TukeyComparison] {
    let k = anova.groups.count
    let df = Double(anova.degreesOfFreedomWithin)
    let criticalRange = studentizedRangeQuantile(confidenceLevel, groupCount: k, df: df)
    let mse = anova.meanSquareWithin
    var rows: [TukeyComparison] = []
    for i in 0..<k {
        for j in (i + 1)..<k {
            let difference = anova.groupMeans[j] - anova.groupMeans[i]
            let standardError = (mse / 2 * (1 / Double(anova.groupCounts[i]) + 1 / Double(anova.groupCounts[j]))).squareRoot()
            let halfWidth = criticalRange * standardError
            rows.append(TukeyComparison(
                group: anova.groups[j], reference: anova.groups[i], difference: difference,
                lower: difference - halfWidth, upper: difference + halfWidth,
                adjustedPValue: studentizedRangeCDF(abs(difference) / standardError, groupCount: k, df: df,
                                                    upperTail: true)))
        }
    }
    return rows
}
