// The statistics of `soilbeta drivers` (METHOD.md §6; paper Sect. 2.6, 3.1–3.2, Fig. 2):
// β summary by ecosystem, ANOVA and Tukey HSD among ecosystems, LOESS driver curves with
// 95 % bands and the mean-β line, relative contributions. This file turns joined, in-memory
// data into result tables; reading and writing files is the command's job.

import Essentials
import Dispatch

/// One covariate ("driver") column joined to the β observations.
public struct DriverCovariate: Sendable {
    /// Covariate name as in the site table header, e.g. "mat" (°C) or "map" (mm yr⁻¹).
    public var name: String
    /// One value per observation, NaN where missing.
    public var values: [Double]

    /// A named covariate column.
    public init(name: String, values: [Double]) {
        self.name = name
        self.values = values
    }
}

/// The LOESS driver curve of β on one covariate for one group (all profiles or one ecosystem).
public struct DriverCurve: Sendable {
    /// "all" or an ecosystem name.
    public var group: String
    /// Number of observations with a value of the covariate.
    public var count: Int
    /// Mean β of those observations (the horizontal line in the paper's Fig. 2).
    public var meanBeta: Double
    /// The fitted LOESS (R `loess` defaults unless options say otherwise).
    public var fit: LoessFit
    /// Fit, standard error and 95 % band on an even grid from the smallest to the largest value.
    public var band: [LoessBandPoint]
}

/// All curves of one covariate, and the groups for which no curve could be fitted (with why).
public struct DriverCurves: Sendable {
    /// Covariate name.
    public var feature: String
    /// Curves, pooled ("all") first, then ecosystems in sorted order.
    public var curves: [DriverCurve]
    /// Groups skipped, with the reason (too few values, no spread …).
    public var skipped: [(group: String, reason: String)]
}

/// Results of the driver statistics (METHOD.md §6).
public struct DriverStatistics: Sendable {
    /// β summary: "all" first, then ecosystems in sorted order.
    public var betaSummary: [GroupSummary]
    /// One-way ANOVA of β among ecosystems; `nil` when fewer than two ecosystems (reason in `anovaNote`).
    public var anova: OneWayANOVA?
    /// Why the ANOVA was not computed, if it was not.
    public var anovaNote: String?
    /// Tukey HSD comparisons (empty without ANOVA).
    public var tukey: [TukeyComparison]
    /// Driver curves per covariate, in the order requested.
    public var curves: [DriverCurves]

    /// Computes the driver statistics.
    ///
    /// - Parameters:
    ///   - beta: β per profile (dimensionless, 0 < β < 1), all finite.
    ///   - ecosystems: ecosystem per profile (same count).
    ///   - covariates: covariate columns aligned with `beta`; NaN marks a missing value.
    ///   - gridPoints: number of covariate values on each curve's grid (≥ 2).
    ///   - loess: LOESS settings (R defaults).
    ///   - confidenceLevel: level of the pointwise band (0.95 in the paper).
    /// - Throws: `StatisticsError` when β is empty or not finite, or lengths differ.
    public init(beta: [Double], ecosystems: [String], covariates: [DriverCovariate], gridPoints: Int = 100,
                loess: LoessOptions = LoessOptions(), confidenceLevel: Double = 0.95) throws {
        guard beta.count == ecosystems.count else {
            throw StatisticsError.invalidArgument("\(beta.count) β values but \(ecosystems.count) ecosystems")
        }
        guard gridPoints >= 2 else { throw StatisticsError.invalidArgument("the curve grid needs at least 2 points") }
        betaSummary = try summariseByGroup(values: beta, groups: ecosystems)
        let groupCount = Set(ecosystems).count
        if groupCount < 2 {
            anova = nil
            anovaNote = "ANOVA needs at least two ecosystems; the data have \(groupCount)"
            tukey = []
        } else if beta.count <= groupCount {
            anova = nil
            anovaNote = "ANOVA needs more profiles (\(beta.count)) than ecosystems (\(groupCount))"
            tukey = []
        } else {
            let fitted = try OneWayANOVA(values: beta, groups: ecosystems)
            anova = fitted
            anovaNote = nil
            tukey = tukeyHSD(fitted, confidenceLevel: confidenceLevel)
        }
        // One LOESS per (covariate, group); the fits are independent, so they run in parallel and
        // land in fixed slots — the result does not depend on the number of threads.
        let groupsInOrder = ["all"] + Set(ecosystems).sorted()
        for covariate in covariates where covariate.values.count != beta.count {
            throw StatisticsError.invalidArgument(
                "covariate '\(covariate.name)' has \(covariate.values.count) values for \(beta.count) profiles")
        }
        let jobCount = covariates.count * groupsInOrder.count
        let results = ResultSlots<Result<DriverCurve, StatisticsError>>(count: jobCount)
        DispatchQueue.concurrentPerform(iterations: jobCount) { job in
            let covariate = covariates[job / groupsInOrder.count]
            let group = groupsInOrder[job % groupsInOrder.count]
            var x: [Double] = [], y: [Double] = []
            for i in 0..<beta.count where (group == "all" || ecosystems[i] == group) && !covariate.values[i].isNaN {
                x.append(covariate.values[i]); y.append(beta[i])
            }
            do {
                let fit = try LoessFit(x: x, y: y, options: loess)
                let grid = evenlySpacedGrid(from: fit.covariateRange.lowerBound, to: fit.covariateRange.upperBound,
                                            count: gridPoints)
                results.set(job, .success(DriverCurve(group: group, count: x.count, meanBeta: SampleSummary.mean(y), fit: fit,
                                                      band: fit.confidenceBand(at: grid, level: confidenceLevel))))
            } catch let error as StatisticsError {
                results.set(job, .failure(error))
            } catch {
                results.set(job, .failure(.invalidArgument("\(error)")))
            }
        }
        // Every job fills its slot (success or failure), so the values line up with the jobs.
        let computed = results.values()
        var allCurves: [DriverCurves] = []
        for (c, covariate) in covariates.enumerated() {
            var curves: [DriverCurve] = []
            var skipped: [(group: String, reason: String)] = []
            for (g, group) in groupsInOrder.enumerated() {
                let job = c * groupsInOrder.count + g
                switch computed.count == jobCount ? computed[job] : nil {
                case .success(let curve): curves.append(curve)
                case .failure(let error): skipped.append((group, "\(error)"))
                case nil: skipped.append((group, "not computed"))
                }
            }
            allCurves.append(DriverCurves(feature: covariate.name, curves: curves, skipped: skipped))
        }
        curves = allCurves
    }
}

/// A table of text fields ready to be written as CSV: header and rows.
public struct TextTable: Equatable, Sendable {
    /// Column names.
    public var header: [String]
    /// Rows of formatted fields; numbers use the shortest text that reads back exactly, missing is empty.
    public var rows: [[String]]
}

/// Shortest round-trip decimal text of a number; empty for NaN (a missing value).
func formatNumber(_ value: Double) -> String { value.isNaN ? "" : "\(value)" }

extension DriverStatistics {
    /// `beta_summary.csv`: group, n, mean, median, p05, p95, sd, cv_pct (METHOD.md §6).
    public var betaSummaryTable: TextTable {
        TextTable(header: ["group", "n", "mean", "median", "p05", "p95", "sd", "cv_pct"],
                  rows: betaSummary.map { row in
                      let s = row.summary
                      return [row.group, String(s.count)] + [s.mean, s.median, s.percentile5, s.percentile95,
                                                             s.standardDeviation, s.coefficientOfVariationPercent].map(formatNumber)
                  })
    }

    /// `anova.csv`: the R `summary(aov(beta ~ ecosystem))` table — term, df, sum_sq, mean_sq,
    /// f_value, p_value, significant (p < 0.05). Empty rows when the ANOVA was not computed.
    public var anovaTable: TextTable {
        var rows: [[String]] = []
        if let anova {
            let meanSquareBetween = anova.sumOfSquaresBetween / Double(anova.degreesOfFreedomBetween)
            rows.append(["ecosystem", String(anova.degreesOfFreedomBetween), formatNumber(anova.sumOfSquaresBetween),
                         formatNumber(meanSquareBetween), formatNumber(anova.fStatistic), formatNumber(anova.pValue),
                         anova.pValue < 0.05 ? "true" : "false"])
            rows.append(["residuals", String(anova.degreesOfFreedomWithin), formatNumber(anova.sumOfSquaresWithin),
                         formatNumber(anova.meanSquareWithin), "", "", ""])
        }
        return TextTable(header: ["term", "df", "sum_sq", "mean_sq", "f_value", "p_value", "significant"], rows: rows)
    }

    /// `tukey.csv`: comparison ("group-reference" as R names it), group, reference, diff, lwr,
    /// upr, p_adj (95 % family-wise intervals).
    public var tukeyTable: TextTable {
        TextTable(header: ["comparison", "group", "reference", "diff", "lwr", "upr", "p_adj"],
                  rows: tukey.map { row in
                      [row.label, row.group, row.reference] + [row.difference, row.lower, row.upper, row.adjustedPValue].map(formatNumber)
                  })
    }

    /// `smooth_<feature>.csv` for one covariate: group, n, x, fit, se, lower95, upper95, mean_beta
    /// (the curve, its 95 % band and the mean-β line of the paper's Fig. 2).
    public func smoothTable(_ curves: DriverCurves) -> TextTable {
        var rows: [[String]] = []
        for curve in curves.curves {
            for point in curve.band {
                rows.append([curve.group, String(curve.count)]
                            + [point.x, point.fit, point.standardError, point.lower, point.upper, curve.meanBeta].map(formatNumber))
            }
        }
        return TextTable(header: ["group", "n", "x", "fit", "se", "lower95", "upper95", "mean_beta"], rows: rows)
    }
}

/// `contributions.csv`: feature, importance, percent (METHOD.md §6).
public func contributionsTable(_ contributions: [RelativeContribution]) -> TextTable {
    TextTable(header: ["feature", "importance", "percent"],
              rows: contributions.map { [$0.feature, formatNumber($0.importance), formatNumber($0.percent)] })
}
