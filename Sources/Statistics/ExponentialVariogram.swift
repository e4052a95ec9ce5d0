// Nugget + exponential variogram of cross-validation residuals of β (METHOD.md §8d).
import Essentials
import Foundation

/// A nugget + exponential semivariogram on great-circle distance h (km):
///
///     γ(0) = 0,   γ(h) = c₀ + c₁ · (1 − exp(−h / a))  for h > 0,
///
/// with nugget c₀ ≥ 0, partial sill c₁ ≥ 0 (both in squared units of the variable, for β
/// unitless) and range parameter a > 0 in km (the practical range, where 95 % of the sill is
/// reached, is 3a). The spatially structured part has covariance c₁·exp(−h/a), i.e. standard
/// deviation σ = √c₁ and correlation ρ(h) = exp(−h/a).
public struct ExponentialVariogram: Codable, Sendable, Equatable {
    /// Nugget c₀ (squared units of the variable).
    public var nugget: Double
    /// Partial sill c₁ (squared units of the variable).
    public var partialSill: Double
    /// Range parameter a in km.
    public var rangeKilometres: Double

    /// A variogram with nugget c₀, partial sill c₁ and range a (km).
    public init(nugget: Double, partialSill: Double, rangeKilometres: Double) {
        self.nugget = nugget
        self.partialSill = partialSill
        self.rangeKilometres = rangeKilometres
    }

    /// γ(h) for a distance h ≥ 0 in km (0 at h = 0; the nugget jumps in for h > 0).
    public func semivariance(atKilometres distance: Double) -> Double {
        distance <= 0 ? 0 : nugget + partialSill * (1 - exp(-distance / rangeKilometres))
    }

    /// Correlation ρ(h) = exp(−h/a) of the spatially structured part (1 at h = 0; 0 for h > 0 when a = 0).
    public func structuredCorrelation(atKilometres distance: Double) -> Double {
        if distance <= 0 { return 1 }
        return rangeKilometres > 0 ? exp(-distance / rangeKilometres) : 0
    }

    /// Fits c₀, c₁, a to the empirical semivariogram of `residuals` at sites (degrees), as
    /// `EmpiricalSemivariogram(longitudes:latitudes:values:…)` followed by `fit(to:)`.
    /// - Throws: `StatisticsError` for mismatched or too few sites, non-finite values, or too few usable bins.
    public static func fit(longitudes: [Double], latitudes: [Double], residuals: [Double],
                           binCount: Int = 15, cutoffKilometres: Double? = nil,
                           minimumPairsPerBin: Int = 30) throws -> ExponentialVariogram {
        let empirical = try EmpiricalSemivariogram(longitudes: longitudes, latitudes: latitudes, values: residuals,
                                                   binCount: binCount, cutoffKilometres: cutoffKilometres,
                                                   minimumPairsPerBin: minimumPairsPerBin)
        // The sill of a stationary field cannot exceed the variance of the values themselves.
        let mean = residuals.reduce(0, +) / Double(residuals.count)
        let variance = residuals.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(1, residuals.count - 1))
        return try fit(to: empirical, maximumSill: variance)
    }

    /// Weighted least-squares fit of c₀, c₁, a to an empirical semivariogram, with gstat's
    /// `fit.method = 7` weights w_k = N_k / h_k² (Cressie 1993, §2.6.2; Pebesma 2004):
    ///
    ///     minimise  S(c₀, c₁, a) = Σ_k w_k (γ̂_k − c₀ − c₁(1 − exp(−h_k/a)))²   over c₀, c₁ ≥ 0, a > 0.
    ///
    /// For fixed a the model is linear in (c₀, c₁): the non-negative least-squares solution is
    /// found exactly (unconstrained 2 × 2 normal equations, else the best one-parameter fit on the
    /// boundary). The profile S(a) is scanned on 81 log-spaced values of a in [cutoff/1000, cutoff]
    /// and refined by Brent's method around the best one. The range is kept within the cutoff and,
    /// with `maximumSill` (the variance of the values), c₀ + c₁ within that variance: without a
    /// plateau inside the cutoff a longer range and a larger sill cannot be told apart, and an
    /// extrapolated sill would make every cell err together by more than the data vary.
    /// - Throws: `StatisticsError.tooFewObservations` with fewer than 2 bins of positive distance.
    public static func fit(to empirical: EmpiricalSemivariogram, maximumSill: Double? = nil) throws -> ExponentialVariogram {
        var bins: [(h: Double, gamma: Double, weight: Double)] = []
        for k in empirical.distances.indices where empirical.distances[k] > 0 && empirical.pairCounts[k] > 0 {
            let h = empirical.distances[k]
            bins.append((h, empirical.semivariances[k], Double(empirical.pairCounts[k]) / (h * h)))
        }
        guard bins.count >= 2 else {
            throw StatisticsError.tooFewObservations(
                "a variogram fit needs at least 2 distance bins with pairs, got \(bins.count)")
        }
        let upper = max(empirical.cutoffKilometres, bins.map(\.h).max() ?? 1)
        let logLow = log(upper / 1000), logHigh = log(upper)
        let scanCount = 81
        func profile(_ logRange: Double) -> (sill: (Double, Double), loss: Double) {
            nonnegativeLinearFit(bins, range: exp(logRange), maximumSill: maximumSill)
        }
        var bestIndex = 0
        var bestLoss = Double.infinity
        for index in 0..<scanCount {
            let loss = profile(logLow + (logHigh - logLow) * Double(index) / Double(scanCount - 1)).loss
            if loss < bestLoss { bestLoss = loss; bestIndex = index }
        }
        let step = (logHigh - logLow) / Double(scanCount - 1)
        let bracketLow = logLow + step * Double(max(bestIndex - 1, 0))
        let bracketHigh = logLow + step * Double(min(bestIndex + 1, scanCount - 1))
        var bestLogRange = logLow + step * Double(bestIndex)
        let refined = brentMinimum(of: { profile($0).loss }, in: bracketLow...bracketHigh,
                                   relativeTolerance: 1e-10, absoluteTolerance: 1e-12, maxIterations: 200)
        if profile(refined).loss <= bestLoss { bestLogRange = refined }
        let solution = profile(bestLogRange).sill
        return ExponentialVariogram(nugget: solution.0, partialSill: solution.1, rangeKilometres: exp(bestLogRange))
    }

    /// Non-negative weighted least squares of γ̂ on (1, f) with f = 1 − exp(−h/a): (c₀, c₁) and the loss.
    /// With `maximumSill` S, also c₀ + c₁ ≤ S (candidates on the line c₀ + c₁ = S included).
    static func nonnegativeLinearFit(_ bins: [(h: Double, gamma: Double, weight: Double)],
                                     range: Double, maximumSill: Double? = nil) -> (sill: (Double, Double), loss: Double) {
        var sw = 0.0, swf = 0.0, swff = 0.0, swg = 0.0, swfg = 0.0
        for bin in bins {
            let f = 1 - exp(-bin.h / range)
            sw += bin.weight; swf += bin.weight * f; swff += bin.weight * f * f
            swg += bin.weight * bin.gamma; swfg += bin.weight * f * bin.gamma
        }
        func loss(_ c0: Double, _ c1: Double) -> Double {
            var total = 0.0
            for bin in bins {
                let residual = bin.gamma - c0 - c1 * (1 - exp(-bin.h / range))
                total += bin.weight * residual * residual
            }
            return total
        }
        var candidates: [(Double, Double)] = [(0, 0)]
        let determinant = sw * swff - swf * swf
        if determinant > 1e-14 * sw * swff {
            let c0 = (swff * swg - swf * swfg) / determinant
            let c1 = (sw * swfg - swf * swg) / determinant
            if c0 >= 0 && c1 >= 0 { candidates.append((c0, c1)) }
        }
        if swff > 0 { candidates.append((0, max(0, swfg / swff))) }
        if sw > 0 { candidates.append((max(0, swg / sw), 0)) }
        if let limit = maximumSill, limit.isFinite, limit >= 0 {
            // On the boundary c₀ = S − c₁: residual (γ − S) + c₁ u with u = exp(−h/a).
            var swuu = 0.0, swu = 0.0
            for bin in bins {
                let u = exp(-bin.h / range)
                swuu += bin.weight * u * u
                swu += bin.weight * (limit - bin.gamma) * u
            }
            let c1 = swuu > 0 ? min(max(swu / swuu, 0), limit) : 0
            candidates += [(limit - c1, c1), (limit, 0), (0, limit)]
            candidates = candidates.filter { $0.0 + $0.1 <= limit * (1 + 1e-12) }
        }
        var best = candidates[0]
        var bestLoss = loss(best.0, best.1)
        for candidate in candidates.dropFirst() {
            let value = loss(candidate.0, candidate.1)
            if value < bestLoss { bestLoss = value; best = candidate }
        }
        return (best, bestLoss)
    }
}

/// The classical (Matheron) empirical semivariogram in great-circle distance bins:
///
///     γ̂_k = Σ_{(i,j) ∈ N_k} (z_i − z_j)² / (2 |N_k|),   h_k = mean distance of the pairs in N_k,
///
/// over pairs i < j with 0 ≤ d_ij ≤ cutoff, in `binCount` equal-width bins of (0, cutoff] (a pair at
/// distance 0 falls in the first bin). Bins with fewer than `minimumPairsPerBin` pairs are dropped
/// (the rule of thumb of at least 30 pairs, Journel & Huijbregts 1978). The default cutoff is one
/// third of the largest pairwise distance (gstat uses a third of the bounding-box diagonal; on the
/// sphere the largest distance plays that role), and 15 bins is gstat's default width of cutoff/15.
public struct EmpiricalSemivariogram: Codable, Sendable, Equatable {
    /// Mean distance h_k (km) of the pairs of each kept bin, ascending.
    public var distances: [Double]
    /// γ̂_k (squared units of the variable) of each kept bin.
    public var semivariances: [Double]
    /// Number of pairs N_k of each kept bin.
    public var pairCounts: [Int]
    /// The cutoff distance in km.
    public var cutoffKilometres: Double

    /// An empirical semivariogram from known bins (e.g. for a test or a pooled estimate).
    public init(distances: [Double], semivariances: [Double], pairCounts: [Int], cutoffKilometres: Double) {
        self.distances = distances
        self.semivariances = semivariances
        self.pairCounts = pairCounts
        self.cutoffKilometres = cutoffKilometres
    }

    /// Computes the binned semivariogram of `values` at sites (longitude, latitude in degrees).
    /// Cost O(n²) distance evaluations.
    /// - Throws: `StatisticsError` for mismatched lengths, fewer than 3 sites, non-finite input,
    ///   a non-positive bin count or cutoff.
    public init(longitudes: [Double], latitudes: [Double], values: [Double], binCount: Int = 15,
                cutoffKilometres: Double? = nil, minimumPairsPerBin: Int = 30) throws {
        let n = values.count
        guard longitudes.count == n, latitudes.count == n else {
            throw StatisticsError.invalidArgument(
                "semivariogram: \(longitudes.count) longitudes, \(latitudes.count) latitudes and \(n) values differ in number")
        }
        guard n >= 3 else { throw StatisticsError.tooFewObservations("a semivariogram needs at least 3 sites, got \(n)") }
        guard (longitudes + latitudes + values).allSatisfy(\.isFinite) else {
            throw StatisticsError.nonFiniteValue("semivariogram: a site coordinate or value is NaN or infinite")
        }
        guard binCount >= 1 else { throw StatisticsError.invalidArgument("semivariogram: bin count \(binCount) must be ≥ 1") }
        let bins = try DistanceBins(longitudes: longitudes, latitudes: latitudes, binCount: binCount, cutoffKilometres: cutoffKilometres,
                                    minimumPairsPerBin: minimumPairsPerBin) { i, j in
            let difference = values[i] - values[j]
            return difference * difference / 2
        }
        let (distances, semivariances, pairCounts, cutoff) = (bins.distances, bins.means, bins.pairCounts, bins.cutoffKilometres)
        self.init(distances: distances, semivariances: semivariances, pairCounts: pairCounts, cutoffKilometres: cutoff)
    }
}

/// Pairs of sites binned by great-circle distance, with the mean of a pair quantity per bin: `binCount` equal
/// bins from 0 to the cutoff (by default one third of the largest site distance, gstat's default with the
/// largest distance on the sphere), bins with fewer than `minimumPairsPerBin` pairs dropped; h_k is the mean
/// distance of a bin's pairs. Used for the semivariogram (quantity (v_i − v_j)²/2) and for the correlation of the
/// forest's errors (METHOD.md §8d). Cost O(n²) distance evaluations.
public struct DistanceBins: Sendable, Equatable {
    /// Mean distance h_k (km) of the pairs of each kept bin, ascending.
    public var distances: [Double]
    /// Mean of the pair quantity over the pairs of each kept bin.
    public var means: [Double]
    /// Number of pairs N_k of each kept bin.
    public var pairCounts: [Int]
    /// The cutoff distance in km.
    public var cutoffKilometres: Double

    /// Bins the pairs (i < j) of sites at `longitudes`, `latitudes` (degrees); `quantity(i, j)` must be finite.
    /// - Throws: `StatisticsError` for mismatched lengths, fewer than 3 sites, non-finite coordinates, a non-positive
    ///   bin count or cutoff.
    public init(longitudes: [Double], latitudes: [Double], binCount: Int = 15, cutoffKilometres: Double? = nil,
                minimumPairsPerBin: Int = 30, quantity: (Int, Int) -> Double) throws {
        let points = try SphericalGeometry.unitVectors(longitudes: longitudes, latitudes: latitudes, what: "distance bins")
        let n = points.count
        guard n >= 3 else { throw StatisticsError.tooFewObservations("distance bins need at least 3 sites, got \(n)") }
        guard binCount >= 1 else { throw StatisticsError.invalidArgument("distance bins: bin count \(binCount) must be ≥ 1") }
        let cutoff: Double
        if let cutoffKilometres {
            cutoff = cutoffKilometres
        } else {
            var largest = 0.0
            for i in 0..<n { for j in (i + 1)..<n { largest = max(largest, SphericalGeometry.greatCircleKilometres(points[i], points[j])) } }
            cutoff = largest / 3
        }
        guard cutoff > 0 else { throw StatisticsError.invalidArgument("distance bins: cutoff \(cutoff) km must be > 0") }
        let width = cutoff / Double(binCount)
        var sumDistance = [Double](repeating: 0, count: binCount)
        var sumQuantity = [Double](repeating: 0, count: binCount)
        var counts = [Int](repeating: 0, count: binCount)
        for i in 0..<n {
            for j in (i + 1)..<n {
                let d = SphericalGeometry.greatCircleKilometres(points[i], points[j])
                if d > cutoff { continue }
                let bin = min(Int(d / width), binCount - 1)
                sumDistance[bin] += d
                sumQuantity[bin] += quantity(i, j)
                counts[bin] += 1
            }
        }
        (distances, means, pairCounts) = ([], [], [])
        for bin in 0..<binCount where counts[bin] >= max(1, minimumPairsPerBin) {
            distances.append(sumDistance[bin] / Double(counts[bin]))
            means.append(sumQuantity[bin] / Double(counts[bin]))
            pairCounts.append(counts[bin])
        }
        self.cutoffKilometres = cutoff
    }
}
