import Testing
import Foundation
import Essentials
@testable import Statistics

/// Random site coordinates in a lon/lat box, from a fixed seed.
func randomSites(_ count: Int, longitudes: ClosedRange<Double>, latitudes: ClosedRange<Double>,
                 seed: UInt64) -> (longitudes: [Double], latitudes: [Double]) {
    var generator = SplitMix64(seed: seed)
    var lons: [Double] = [], lats: [Double] = []
    for _ in 0..<count {
        lons.append(generator.uniform(longitudes.lowerBound, longitudes.upperBound))
        lats.append(generator.uniform(latitudes.lowerBound, latitudes.upperBound))
    }
    return (lons, lats)
}

/// The dense lower Cholesky factor of c₁·exp(−d/a) + c₀·I at the sites (exact simulation for tests).
func exactCovarianceFactor(_ sites: (longitudes: [Double], latitudes: [Double]), variogram: ExponentialVariogram) -> [Double]? {
    let n = sites.longitudes.count
    let points = zip(sites.longitudes, sites.latitudes).map { SphericalGeometry.unitVector(longitude: $0, latitude: $1) }
    var matrix = [Double](repeating: 0, count: n * n)
    for i in 0..<n {
        for j in 0...i {
            let d = SphericalGeometry.greatCircleKilometres(points[i], points[j])
            matrix[i * n + j] = variogram.partialSill * exp(-d / variogram.rangeKilometres) + (i == j ? variogram.nugget : 0)
        }
    }
    return choleskyLower(matrix, size: n, rowStride: n, jitter: 0)
}

struct VariogramTests {
    @Test func empiricalSemivariogramOfFourSitesByHand() throws {
        // Four sites on the equator 1° apart: distances k·111.195 km; values 0, 1, 3, 6.
        let empirical = try EmpiricalSemivariogram(longitudes: [0, 1, 2, 3], latitudes: [0, 0, 0, 0], values: [0, 1, 3, 6],
                                                   binCount: 4, cutoffKilometres: 400, minimumPairsPerBin: 1)
        let degree = SphericalGeometry.kilometresPerDegree
        #expect(empirical.pairCounts == [3, 2, 1])
        for (actual, expected) in zip(empirical.distances, [degree, 2 * degree, 3 * degree]) {
            #expect(close(actual, expected, absolute: 1e-9))
        }
        // γ̂ = Σ(zi − zj)² / (2N): (1 + 4 + 9)/6, (9 + 25)/4, 36/2.
        #expect(empirical.semivariances == [14.0 / 6, 34.0 / 4, 18])
        #expect(close(degree, 111.19508, absolute: 1e-5))
        // Default cutoff: a third of the largest distance (3°) keeps only the 1° pairs.
        let defaultCutoff = try EmpiricalSemivariogram(longitudes: [0, 1, 2, 3], latitudes: [0, 0, 0, 0], values: [0, 1, 3, 6],
                                                       minimumPairsPerBin: 1)
        #expect(close(defaultCutoff.cutoffKilometres, degree, absolute: 1e-9))
        #expect(defaultCutoff.pairCounts == [3])
    }

    @Test func weightedFitRecoversExactModelValues() throws {
        let truth = ExponentialVariogram(nugget: 0.1, partialSill: 0.9, rangeKilometres: 200)
        let distances = (1...15).map { Double($0) * 50 }
        let empirical = EmpiricalSemivariogram(distances: distances, semivariances: distances.map { truth.semivariance(atKilometres: $0) },
                                               pairCounts: distances.map { Int(1000 + $0) }, cutoffKilometres: 750)
        let fitted = try ExponentialVariogram.fit(to: empirical)
        #expect(close(fitted.nugget, 0.1, absolute: 1e-6))
        #expect(close(fitted.partialSill, 0.9, absolute: 0, relative: 1e-6))
        #expect(close(fitted.rangeKilometres, 200, absolute: 0, relative: 1e-6))
        // A pure nugget: flat semivariances give c₁ ≈ 0 (any range), c₀ = the level.
        let flat = EmpiricalSemivariogram(distances: distances, semivariances: distances.map { _ in 0.5 },
                                          pairCounts: distances.map { _ in 100 }, cutoffKilometres: 750)
        let nuggetOnly = try ExponentialVariogram.fit(to: flat)
        #expect(close(nuggetOnly.nugget + nuggetOnly.partialSill, 0.5, absolute: 1e-9))
        #expect(nuggetOnly.semivariance(atKilometres: 50) > 0.5 - 1e-9)
        #expect(throws: StatisticsError.self) {
            try ExponentialVariogram.fit(to: EmpiricalSemivariogram(distances: [10], semivariances: [1], pairCounts: [50], cutoffKilometres: 20))
        }
    }

    @Test func fitRecoversSimulatedVariogram() throws {
        // 700 sites in a 16° × 16° box, 40 exact realisations of c₀ = 0.2, c₁ = 1, a = 250 km;
        // the semivariograms of the realisations are averaged, then fitted once.
        let truth = ExponentialVariogram(nugget: 0.2, partialSill: 1.0, rangeKilometres: 250)
        let sites = randomSites(700, longitudes: 0...16, latitudes: -8...8, seed: 11)
        let factor = try #require(exactCovarianceFactor(sites, variogram: truth))
        let n = sites.longitudes.count
        var deviates = GaussianDeviates(seed: 5, stream: 0)
        var pooled: EmpiricalSemivariogram?
        let replicates = 40
        for _ in 0..<replicates {
            let epsilon = (0..<n).map { _ in deviates.next() }
            var values = [Double](repeating: 0, count: n)
            for i in 0..<n {
                var sum = 0.0
                for j in 0...i { sum += factor[i * n + j] * epsilon[j] }
                values[i] = sum
            }
            let empirical = try EmpiricalSemivariogram(longitudes: sites.longitudes, latitudes: sites.latitudes, values: values,
                                                       cutoffKilometres: 900)
            if var sum = pooled {
                for k in sum.semivariances.indices { sum.semivariances[k] += empirical.semivariances[k] }
                pooled = sum
            } else {
                pooled = empirical
            }
        }
        var average = try #require(pooled)
        average.semivariances = average.semivariances.map { $0 / Double(replicates) }
        let fitted = try ExponentialVariogram.fit(to: average)
        print("variogram recovery: nugget \(fitted.nugget) (0.2), partial sill \(fitted.partialSill) (1), range \(fitted.rangeKilometres) km (250)")
        #expect(close(fitted.nugget, 0.2, absolute: 0.08))
        #expect(close(fitted.partialSill, 1.0, absolute: 0, relative: 0.2))
        #expect(close(fitted.rangeKilometres, 250, absolute: 0, relative: 0.3))
        // The convenience entry point agrees with the two steps on one realisation.
        let single = try ExponentialVariogram.fit(longitudes: sites.longitudes, latitudes: sites.latitudes,
                                                  residuals: (0..<n).map { Double($0 % 7) })
        #expect(single.nugget >= 0 && single.partialSill >= 0 && single.rangeKilometres > 0)
    }
}

struct GaussianFieldTests {
    @Test func neighbourSearchMatchesBruteForce() throws {
        // Clustered land-like nodes plus a global scatter, including duplicate coordinates.
        var lons: [Double] = [], lats: [Double] = []
        let cluster = randomSites(1500, longitudes: 10...14, latitudes: 45...48, seed: 3)
        let global = randomSites(1500, longitudes: -180...180, latitudes: -80...80, seed: 4)
        lons = cluster.longitudes + global.longitudes + [12, 12]
        lats = cluster.latitudes + global.latitudes + [46, 46]
        let m = 20
        let graph = try NearestNeighbourGraph(longitudes: lons, latitudes: lats, neighbourCount: m, orderingSeed: 9, threads: 2)
        let points = graph.points
        for position in 0..<graph.nodeCount {
            let node = points[Int(graph.order[position])]
            var distances = (0..<position).map { earlier -> (Double, Int32) in
                let difference = points[Int(graph.order[earlier])] - node
                return ((difference * difference).sum(), graph.order[earlier])
            }
            distances.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            let expectedCount = min(position, m)
            #expect(Int(graph.counts[position]) == expectedCount)
            let found = Array(graph.neighbours[(position * m)..<(position * m + expectedCount)])
            // Same set of distances (ties may pick different nodes at equal distance).
            let foundDistances = found.map { index -> Double in
                let difference = points[Int(index)] - node
                return (difference * difference).sum()
            }
            let expectedDistances = distances.prefix(expectedCount).map(\.0)
            if foundDistances != expectedDistances {
                Issue.record("position \(position): neighbours differ from brute force")
                return
            }
        }
    }

    @Test func correlationAndVarianceMatchExponentialModel() throws {
        let sites = randomSites(1500, longitudes: 0...10, latitudes: 0...10, seed: 21)
        let range = 200.0
        let graph = try NearestNeighbourGraph(longitudes: sites.longitudes, latitudes: sites.latitudes, neighbourCount: 25)
        let field = try VecchiaGaussianField(graph: graph, rangeKilometres: range)
        #expect(field.largestJitter == 0)
        let n = graph.nodeCount
        let points = zip(sites.longitudes, sites.latitudes).map { SphericalGeometry.unitVector(longitude: $0, latitude: $1) }
        // Up to 40 pairs in each distance band.
        let bands: [ClosedRange<Double>] = [45...55, 95...105, 195...205, 395...405]
        var pairs: [[(Int, Int, Double)]] = bands.map { _ in [] }
        outer: for i in 0..<n {
            for j in (i + 1)..<n {
                let d = SphericalGeometry.greatCircleKilometres(points[i], points[j])
                for (b, band) in bands.enumerated() where band.contains(d) && pairs[b].count < 40 { pairs[b].append((i, j, d)) }
                if pairs.allSatisfy({ $0.count == 40 }) { break outer }
            }
        }
        // Per realisation r: v_r = mean over nodes of z², c_{b,r} = mean over band-b pairs of z_i z_j.
        // E v_r = 1 and E c_{b,r} = mean model correlation for an exact field; the standard error of
        // their means over realisations is estimated from the spread of v_r and c_{b,r} (tight and valid,
        // however nodes and pairs are correlated within a realisation).
        let realisations = 3000
        var values: [Double] = []
        var variances: [Double] = [], covariances: [[Double]] = pairs.map { _ in [] }
        for r in 0..<realisations {
            var deviates = GaussianDeviates(seed: 77, stream: UInt64(r))
            field.sample(into: &values, deviates: &deviates)
            variances.append(values.reduce(0) { $0 + $1 * $1 } / Double(n))
            for b in pairs.indices {
                covariances[b].append(pairs[b].reduce(0) { $0 + values[$1.0] * values[$1.1] } / Double(pairs[b].count))
            }
        }
        func meanAndError(_ x: [Double]) -> (mean: Double, error: Double) {
            let mean = x.reduce(0, +) / Double(x.count)
            let variance = x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.count - 1)
            return (mean, (variance / Double(x.count)).squareRoot())
        }
        let variance = meanAndError(variances)
        print("Vecchia field: mean node variance \(variance.mean) ± \(variance.error)")
        #expect(abs(variance.mean - 1) < 4 * variance.error)
        for b in pairs.indices {
            #expect(pairs[b].count >= 10)
            let model = pairs[b].reduce(0) { $0 + exp(-$1.2 / range) } / Double(pairs[b].count)
            let estimate = meanAndError(covariances[b])
            print("Vecchia field: band \(bands[b]) km correlation \(estimate.mean) ± \(estimate.error), model \(model)")
            #expect(abs(estimate.mean - model) < 4 * estimate.error, "band \(bands[b])")
        }
    }

    @Test func zeroAndInfiniteRangesAndDeterminism() throws {
        let sites = randomSites(200, longitudes: 0...5, latitudes: 0...5, seed: 2)
        let graph = try NearestNeighbourGraph(longitudes: sites.longitudes, latitudes: sites.latitudes, neighbourCount: 10)
        let common = try VecchiaGaussianField(graph: graph, rangeKilometres: .infinity).sample(seed: 1, stream: 0)
        #expect(Set(common).count == 1)
        let independent = try VecchiaGaussianField(graph: graph, rangeKilometres: 0)
        #expect(independent.sample(seed: 1, stream: 0) == independent.sample(seed: 1, stream: 0))
        #expect(independent.sample(seed: 1, stream: 0) != independent.sample(seed: 1, stream: 1))
        // Independent nodes: the lag-free sample correlation of neighbouring nodes is ~0.
        var product = 0.0
        let draws = 2000
        for r in 0..<draws {
            let z = independent.sample(seed: 3, stream: UInt64(r))
            product += z[0] * z[1] / Double(draws)
        }
        #expect(abs(product) < 4 / Double(draws).squareRoot())
        // Thread count does not change the weights.
        let one = try VecchiaGaussianField(graph: NearestNeighbourGraph(longitudes: sites.longitudes, latitudes: sites.latitudes,
                                                                        neighbourCount: 10, threads: 1), rangeKilometres: 50, threads: 1)
        let two = try VecchiaGaussianField(graph: graph, rangeKilometres: 50, threads: 2)
        #expect(one.sample(seed: 4, stream: 2) == two.sample(seed: 4, stream: 2))
        #expect(throws: StatisticsError.self) { try VecchiaGaussianField(graph: graph, rangeKilometres: -1) }
    }

    @Test func standardNormalDeviatesHaveUnitMoments() {
        var deviates = GaussianDeviates(seed: 8, stream: 1)
        let count = 200_000
        var sum = 0.0, squares = 0.0, fourth = 0.0
        for _ in 0..<count { let x = deviates.next(); sum += x; squares += x * x; fourth += x * x * x * x }
        let n = Double(count)
        #expect(abs(sum / n) < 4 / n.squareRoot())
        #expect(abs(squares / n - 1) < 4 * (2 / n).squareRoot())
        #expect(abs(fourth / n - 3) < 4 * (96 / n).squareRoot())
    }
}

/// The correlation range of the forest's errors (METHOD.md §8d).
struct ErrorCorrelationRangeTests {
    /// Exact correlations exp(−d/a) give back a up to the averaging within distance bins (the mean of exp(−d/a) over a
    /// bin is not exp(−h̄/a): a few per cent when a is shorter than a bin, well under 1 % otherwise); the returned range
    /// minimises the weighted loss over a dense scan done here; correlations of zero give the shortest range.
    @Test func recoversAnExactRange() throws {
        let sites = randomSites(300, longitudes: -20...40, latitudes: 30...60, seed: 5)
        let points = zip(sites.longitudes, sites.latitudes).map { SphericalGeometry.unitVector(longitude: $0, latitude: $1) }
        for (range, tolerance) in [(60.0, 0.12), (400.0, 0.01), (1500.0, 0.002)] {
            let fitted = try ErrorCorrelationRange.fit(longitudes: sites.longitudes, latitudes: sites.latitudes) { i, j in
                exp(-SphericalGeometry.greatCircleKilometres(points[i], points[j]) / range)
            }
            #expect(abs(fitted.rangeKilometres / range - 1) < tolerance, "range \(range): fitted \(fitted.rangeKilometres)")
            func loss(_ a: Double) -> Double {
                fitted.distances.indices.reduce(0.0) { sum, k in
                    let misfit = fitted.correlations[k] - exp(-fitted.distances[k] / a)
                    return sum + Double(fitted.pairCounts[k]) / (fitted.distances[k] * fitted.distances[k]) * misfit * misfit
                }
            }
            let scan = stride(from: 0.0, through: 1.0, by: 1e-4).map { range * (0.5 + $0) }
            #expect(loss(fitted.rangeKilometres) <= (scan.map(loss).min() ?? 0) * (1 + 1e-9))
        }
        let independent = try ErrorCorrelationRange.fit(longitudes: sites.longitudes, latitudes: sites.latitudes) { _, _ in 0 }
        #expect(independent.rangeKilometres < 5, "\(independent.rangeKilometres)")
        // Pairs without a correlation (NaN) are left out, not counted as zero: about the same range from two thirds of the pairs.
        let gappy = try ErrorCorrelationRange.fit(longitudes: sites.longitudes, latitudes: sites.latitudes) { i, j in
            (i + j) % 3 == 0 ? .nan : exp(-SphericalGeometry.greatCircleKilometres(points[i], points[j]) / 400)
        }
        #expect(abs(gappy.rangeKilometres / 400 - 1) < 0.02, "\(gappy.rangeKilometres)")
    }
}
