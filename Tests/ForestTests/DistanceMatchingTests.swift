import Essentials
import Foundation
@testable import Forest
import Testing

/// kNNDM (Linnenbrink et al. 2024): distances, the Wasserstein statistic, Ward clustering and the fold choice.
@Suite struct DistanceMatchingTests {
    /// A reproducible stream of uniforms (SplitMix64), independent of the code under test.
    struct Uniforms {
        var state: UInt64
        mutating func next() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
        }
    }

    @Test func greatCircleDistancesAndWassersteinHaveTheirClosedForms() throws {
        let quarter = DistanceMatching.greatCircleKm(DistanceMatching.unitVector(longitude: 0, latitude: 0),
                                                     DistanceMatching.unitVector(longitude: 90, latitude: 0))
        #expect(abs(quarter - .pi / 2 * DistanceMatching.earthRadiusKm) < 1e-9)
        let pole = DistanceMatching.greatCircleKm(DistanceMatching.unitVector(longitude: 17, latitude: 90),
                                                  DistanceMatching.unitVector(longitude: 17, latitude: 0))
        #expect(abs(pole - quarter) < 1e-9)
        // {0, 1} against {0.5}: |F₁ − F₂| = 0.5 on [0, 1): W = 0.5. A shift by c: W = c.
        #expect(abs(DistanceMatching.wasserstein([0, 1], [0.5]) - 0.5) < 1e-12)
        let sample = (0..<50).map { Double($0 * $0 % 37) }
        #expect(abs(DistanceMatching.wasserstein(sample, sample.map { $0 + 3.25 }) - 3.25) < 1e-9)
        #expect(DistanceMatching.wasserstein(sample, sample) == 0)
    }

    /// Ward's merges by the nearest-neighbour chain equal a naive agglomeration that, at every step, joins the
    /// pair of clusters whose union increases the within-cluster sum of squares least.
    @Test func wardClusteringEqualsTheNaiveAgglomeration() throws {
        var u = Uniforms(state: 11)
        let n = 60
        let lon = (0..<n).map { _ in -180 + 360 * u.next() }, lat = (0..<n).map { _ in -60 + 130 * u.next() }
        let matching = try DistanceMatching(trainingLongitude: lon, trainingLatitude: lat, predictionLongitude: [0], predictionLatitude: [0])
        let merges = matching.wardMerges()
        #expect(merges.count == n - 1)
        // Naive: clusters as member lists; cost of a union = increase of the sum of squared deviations.
        let points = zip(lon, lat).map { DistanceMatching.unitVector(longitude: $0, latitude: $1) }
        func sse(_ members: [Int]) -> Double {
            let m = Double(members.count)
            let c = members.reduce((0.0, 0.0, 0.0)) { ($0.0 + points[$1].0 / m, $0.1 + points[$1].1 / m, $0.2 + points[$1].2 / m) }
            return members.reduce(0) { s, i in
                let p = points[i]
                return s + (p.0 - c.0) * (p.0 - c.0) + (p.1 - c.1) * (p.1 - c.1) + (p.2 - c.2) * (p.2 - c.2)
            }
        }
        var clusters = (0..<n).map { [$0] }
        var naiveHeights: [Double] = []
        var partitions: [Int: Set<Set<Int>>] = [:]
        while clusters.count > 1 {
            var best = (0, 1, Double.infinity)
            for a in 0..<clusters.count {
                for b in (a + 1)..<clusters.count {
                    let increase = sse(clusters[a] + clusters[b]) - sse(clusters[a]) - sse(clusters[b])
                    if increase < best.2 { best = (a, b, increase) }
                }
            }
            clusters[best.0] += clusters[best.1]
            clusters.remove(at: best.1)
            naiveHeights.append((2 * best.2).squareRoot())   // ward.D2 height = √(2 ΔSSE)
            partitions[clusters.count] = Set(clusters.map(Set.init))
        }
        for (mine, naive) in zip(merges.map(\.height), naiveHeights) { #expect(abs(mine - naive) <= 1e-9 * max(1, naive)) }
        for q in [2, 5, 12, 30] {
            let labels = DistanceMatching.cut(merges, count: n, clusters: q)
            let groups = Set(Dictionary(grouping: 0..<n, by: { labels[$0] }).values.map(Set.init))
            #expect(groups == partitions[q], "partition into \(q) clusters")
        }
    }

    /// Sites clustered in a few regions, maps over every continent: random folds test far too close to the
    /// training data; kNNDM finds folds whose distances match the map's (much smaller W), with larger distances.
    @Test func clusteredSitesGetSpatialFoldsAndRepresentativeSitesKeepRandomOnes() throws {
        var u = Uniforms(state: 3)
        // 30 survey regions of 10 sites each (±2°).
        let centres: [(Double, Double)] = (0..<30).map { _ in (-180 + 360 * u.next(), -50 + 120 * u.next()) }
        var lon: [Double] = [], lat: [Double] = []
        for k in 0..<300 {
            let c = centres[k % centres.count]
            lon.append(c.0 + 4 * (u.next() - 0.5)); lat.append(c.1 + 4 * (u.next() - 0.5))
        }
        let predictionLon = (0..<1500).map { _ in -180 + 360 * u.next() }, predictionLat = (0..<1500).map { _ in -55 + 125 * u.next() }
        let clustered = try DistanceMatching(trainingLongitude: lon, trainingLatitude: lat,
                                             predictionLongitude: predictionLon, predictionLatitude: predictionLat)
        let random = try RandomForest.assignFolds(rowCount: 300, scheme: .random(folds: 10), seed: 1)
        let choice = try clustered.knndm(folds: 10, randomFolds: random)
        #expect(choice.clusters != nil, "clustered sites: kNNDM folds, not the random ones")
        #expect(choice.wasserstein < 0.5 * choice.randomWasserstein, "W \(choice.wasserstein) vs random \(choice.randomWasserstein)")
        let median = { (x: [Double]) in x.sorted()[x.count / 2] }
        #expect(median(clustered.heldOutToTraining(folds: choice.folds)) > 5 * median(clustered.heldOutToTraining(folds: random)))
        #expect(Set(choice.folds).count == 10 && choice.folds.count == 300)

        // Sites that are a random sample of the mapped domain: random CV already matches (small W either way).
        let siteLon = (0..<300).map { _ in -180 + 360 * u.next() }, siteLat = (0..<300).map { _ in -55 + 125 * u.next() }
        let representative = try DistanceMatching(trainingLongitude: siteLon, trainingLatitude: siteLat,
                                                  predictionLongitude: predictionLon, predictionLatitude: predictionLat)
        let spread = try representative.knndm(folds: 10, randomFolds: random)
        let typical = median(representative.predictionToTraining)
        #expect(spread.randomWasserstein < 0.5 * typical, "random folds of representative sites: W \(spread.randomWasserstein) km vs typical distance \(typical) km")
        #expect(spread.wasserstein <= spread.randomWasserstein)
    }
}
