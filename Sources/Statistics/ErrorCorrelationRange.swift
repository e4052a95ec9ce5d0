// Range of the correlation of the forest's sampling errors between places (METHOD.md §8d).
import Essentials
import Foundation

/// The correlation length a₁ of the field z₁ that spreads the forest's standard error in the simulated stock
/// intervals (METHOD.md §8d): ρ(h) = exp(−h/a₁) fitted to the binned mean of pairwise correlations of the forest's
/// errors at places h km apart (e.g. the infinitesimal-jackknife correlations of the forest means at the sites).
///
/// Fit: `DistanceBins` of the pairs (15 bins up to a third of the largest distance, ≥ 30 pairs per bin), then
/// weighted least squares with gstat's weights N_k/h_k² (as the residual variogram):
///
///     minimise  Σ_k N_k/h_k² (ρ̄_k − exp(−h_k/a))²   over a in [cutoff/1000, cutoff],
///
/// by a scan of 81 log-spaced values refined by Brent's method. Correlations that are near zero from the first bin
/// on give the smallest range (the errors of places one bin apart are then nearly independent).
public struct ErrorCorrelationRange: Codable, Sendable, Equatable {
    /// Fitted range a₁, km.
    public var rangeKilometres: Double
    /// Mean distance of each bin, km.
    public var distances: [Double]
    /// Mean correlation of each bin.
    public var correlations: [Double]
    /// Pairs of each bin.
    public var pairCounts: [Int]

    /// A range with its bins (as read back from a run folder, or for a test).
    public init(rangeKilometres: Double, distances: [Double], correlations: [Double], pairCounts: [Int]) {
        (self.rangeKilometres, self.distances, self.correlations, self.pairCounts) = (rangeKilometres, distances, correlations, pairCounts)
    }

    /// Fits a₁ to the correlations `correlation(i, j)` (finite, in [−1, 1]) of places at `longitudes`, `latitudes`
    /// (degrees). Pairs whose correlation is not finite are left out.
    /// - Throws: `StatisticsError` for fewer than 3 places or fewer than 2 usable bins.
    public static func fit(longitudes: [Double], latitudes: [Double], binCount: Int = 15, minimumPairsPerBin: Int = 30,
                           correlation: (Int, Int) -> Double) throws -> ErrorCorrelationRange {
        // Non-finite pairs count as missing: bin the correlation and, separately, how many pairs are finite.
        let sums = try DistanceBins(longitudes: longitudes, latitudes: latitudes, binCount: binCount, minimumPairsPerBin: minimumPairsPerBin) { i, j in
            let value = correlation(i, j)
            return value.isFinite ? value : 0
        }
        let finite = try DistanceBins(longitudes: longitudes, latitudes: latitudes, binCount: binCount, minimumPairsPerBin: minimumPairsPerBin) { i, j in
            correlation(i, j).isFinite ? 1 : 0
        }
        var bins: [(h: Double, rho: Double, pairs: Int)] = []
        for k in sums.distances.indices where sums.distances[k] > 0 {
            let pairs = Int((finite.means[k] * Double(sums.pairCounts[k])).rounded())
            guard pairs >= max(1, minimumPairsPerBin) else { continue }
            bins.append((sums.distances[k], sums.means[k] * Double(sums.pairCounts[k]) / Double(pairs), pairs))
        }
        guard bins.count >= 2 else {
            throw StatisticsError.tooFewObservations("a correlation range needs at least 2 distance bins with pairs, got \(bins.count)")
        }
        func loss(_ logRange: Double) -> Double {
            let range = exp(logRange)
            var total = 0.0
            for bin in bins {
                let misfit = bin.rho - exp(-bin.h / range)
                total += Double(bin.pairs) / (bin.h * bin.h) * misfit * misfit
            }
            return total
        }
        let upper = max(sums.cutoffKilometres, bins.map(\.h).max() ?? 1)
        let logLow = log(upper / 1000), logHigh = log(upper), scanCount = 81
        let step = (logHigh - logLow) / Double(scanCount - 1)
        var bestIndex = 0, bestLoss = Double.infinity
        for index in 0..<scanCount {
            let value = loss(logLow + step * Double(index))
            if value < bestLoss { (bestLoss, bestIndex) = (value, index) }
        }
        var bestLogRange = logLow + step * Double(bestIndex)
        let refined = brentMinimum(of: loss, in: (logLow + step * Double(max(bestIndex - 1, 0)))...(logLow + step * Double(min(bestIndex + 1, scanCount - 1))),
                                   relativeTolerance: 1e-10, absoluteTolerance: 1e-12, maxIterations: 200)
        if loss(refined) <= bestLoss { bestLogRange = refined }
        return ErrorCorrelationRange(rangeKilometres: exp(bestLogRange), distances: bins.map(\.h), correlations: bins.map(\.rho),
                                     pairCounts: bins.map(\.pairs))
    }
}
