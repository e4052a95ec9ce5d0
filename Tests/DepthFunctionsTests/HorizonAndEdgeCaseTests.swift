// Horizon checks (mpspline2 0.1.9 `mpspline_datchk` semantics) and spline edge cases.
import Essentials
import Foundation
import SoilProfiles
import Testing
import DepthFunctions

@Suite struct HorizonCheckTests {
    /// The reason reported for every awkward edge profile, by input row (Fixtures/edge_horizons.csv).
    @Test func edgeProfilesReportEveryDrop() throws {
        let profiles = Dictionary(uniqueKeysWithValues: try loadProfiles("edge_horizons.csv").map { ($0.id, $0) })
        func check(_ id: String) -> CheckedHorizons {
            let p = profiles[id]!
            return checkHorizons(top: p.top, bottom: p.bottom, value: p.values["value"]!)
        }
        #expect(check("midmissing").issues == [HorizonIssue(horizonIndex: 1, kind: .missingValue)])
        #expect(check("organic").issues == [HorizonIssue(horizonIndex: 0, kind: .negativeDepth)])
        #expect(check("zerothick").issues == [HorizonIssue(horizonIndex: 1, kind: .zeroThickness)])
        #expect(check("backwards").issues == [HorizonIssue(horizonIndex: 1, kind: .topBelowBottom)])
        #expect(check("backwards").inputIndex == [0, 2, 3])
        let overlap = check("overlap")
        #expect(overlap.issues == [HorizonIssue(horizonIndex: nil, kind: .overlappingIntervals)])
        #expect(overlap.rejection == .overlappingIntervals && overlap.top.isEmpty)
        let unsorted = check("unsorted")
        #expect(unsorted.issues.isEmpty)
        #expect(unsorted.top == [0, 10, 25, 50] && unsorted.bottom == [10, 25, 50, 100])
        #expect(unsorted.value == [40, 20, 6, 2] && unsorted.inputIndex == [1, 3, 2, 0])
        for id in ["gap", "single", "two", "shallow", "steep", "crossing", "fine", "constant"] {
            #expect(check(id).issues.isEmpty, "\(id)")
        }
    }

    @Test func missingDepthsAreRepairedOrDroppedAsMpspline2() {
        // First top missing → 0; last bottom missing → top + 10; a middle missing depth → dropped.
        let c = checkHorizons(top: [.nan, 20, 40, 60], bottom: [20, .nan, 60, .nan], value: [1, 2, 3, 4])
        #expect(c.issues == [HorizonIssue(horizonIndex: 0, kind: .missingTopReplacedByZero),
                             HorizonIssue(horizonIndex: 1, kind: .missingDepth),
                             HorizonIssue(horizonIndex: 3, kind: .missingBottomReplacedByTopPlus10)])
        #expect(c.top == [0, 40, 60] && c.bottom == [20, 60, 70] && c.rejection == nil)
        // The repair applies to the first/last row *with a value* (missing values removed first).
        let d = checkHorizons(top: [0, .nan], bottom: [10, 30], value: [.nan, 5])
        #expect(d.top == [0] && d.bottom == [30])
    }

    @Test func rejections() {
        #expect(checkHorizons(top: [0, 10], bottom: [10, 20], value: [.nan, .nan]).rejection == .noData)
        #expect(checkHorizons(top: [], bottom: [], value: []).rejection == .noData)
        #expect(checkHorizons(top: [-10, 5], bottom: [0, 5], value: [1, 2]).rejection == .noValidHorizons)
        // Containment counts as overlap; touching does not.
        #expect(checkHorizons(top: [0, 10, 30], bottom: [50, 20, 40], value: [1, 2, 3]).rejection == .overlappingIntervals)
        #expect(checkHorizons(top: [0, 10], bottom: [10, 20], value: [1, 2]).rejection == nil)
    }
}

@Suite struct SplineEdgeCaseTests {
    @Test func singleHorizonBelowSurfaceFollowsMpspline2Indexing() throws {
        let r = try massPreservingSpline(top: [10], bottom: [30], value: [7])
        #expect(r.status == .singleHorizon)
        // Only the interval whose upper depth (20) lies in 10…30 gets the value.
        #expect(r.intervalMeans[0].isNaN && r.intervalMeans[1] == 7)
        #expect(r.intervalMeans[2...].allSatisfy { $0.isNaN })
        // mpspline2 writes 1-cm values at R indices 10…30, i.e. slices 9–10 … 29–30 cm.
        for k in 0..<100 { #expect((k >= 9 && k <= 29) ? r.oneCentimetre[k] == 7 : r.oneCentimetre[k].isNaN, "cm \(k)") }
        #expect(r.fittedHorizonMeans == [7] && r.rmse.isNaN)
    }

    @Test func singleHorizonDeeperThanLastDepthGivesOneValuePerInterval() throws {
        // Dutch profile 11060: the mpspline2 defect would give six values for five intervals.
        let r = try massPreservingSpline(top: [0], bottom: [120], value: [1.74])
        #expect(r.intervalMeans == [1.74, 1.74, 1.74, 1.74, 1.74])
        #expect(r.oneCentimetre.count == 100 && r.oneCentimetre.allSatisfy { $0 == 1.74 })
    }

    @Test func singleHorizonValueIsClampedInOutputsButNotInFittedMean() throws {
        let r = try massPreservingSpline(top: [0], bottom: [50], value: [1500])
        #expect(r.intervalMeans[0] == 1000 && r.fittedHorizonMeans == [1500])
        let low = try massPreservingSpline(top: [0], bottom: [50], value: [-3],
                                           options: SplineOptions(lowerLimit: -1))
        #expect(low.intervalMeans[0] == -1)
    }

    @Test func profileStartingBelowSurfaceHasNAAboveFirstHorizon() throws {
        let r = try massPreservingSpline(top: [10, 30], bottom: [30, 60], value: [20, 10])
        #expect(r.oneCentimetre[0..<10].allSatisfy { $0.isNaN })
        #expect(!r.oneCentimetre[10].isNaN)
        // The 0–20 cm mean is the mean of the ten 1-cm values present.
        let expected = r.oneCentimetre[10..<20].reduce(0, +) / 10
        #expect(abs(r.intervalMeans[0] - expected) < 1e-12)
        #expect(r.intervalMeans[3].isNaN && r.intervalMeans[4].isNaN)
    }

    @Test func depthListsNotStartingAtZeroAndValidation() throws {
        let std = try massPreservingSpline(top: [0, 20, 50], bottom: [20, 50, 100], value: [30, 10, 4])
        let custom = try massPreservingSpline(top: [0, 20, 50], bottom: [20, 50, 100], value: [30, 10, 4],
                                              depths: try OutputDepths([20, 40, 100]))
        #expect(custom.intervalMeans.count == 2)
        #expect(abs(custom.intervalMeans[0] - std.intervalMeans[1]) < 1e-12)
        let tail = std.oneCentimetre[40..<100].reduce(0, +) / 60
        #expect(abs(custom.intervalMeans[1] - tail) < 1e-12)
        #expect(throws: DepthFunctionsError.self) { try OutputDepths([0]) }
        #expect(throws: DepthFunctionsError.self) { try OutputDepths([0, 20, 20]) }
        #expect(throws: DepthFunctionsError.self) { try OutputDepths([-5, 20]) }
        #expect(throws: DepthFunctionsError.self) { try OutputDepths(centimetres: [0, 12.5]) }
        #expect(throws: DepthFunctionsError.self) {
            try massPreservingSpline(top: [0], bottom: [10, 20], value: [1])
        }
        #expect(throws: DepthFunctionsError.self) {
            try massPreservingSpline(top: [0], bottom: [10], value: [1], options: SplineOptions(lambda: -1))
        }
    }

    /// Exact integral of the spline over each horizon from its 1-cm samples (quadratic per
    /// horizon: second differences and extrapolation are exact), compared with the data.
    /// The spline's horizon means equal s̄ for any λ, and s̄ → the data as λ → 0 (Bishop et al. 1999).
    @Test func massIsPreservedAsLambdaGoesToZero() throws {
        var rng = SplitMix64(seed: 11)
        for _ in 0..<50 {
            var top: [Double] = [], bottom: [Double] = [], value: [Double] = []
            var depth = 0
            for _ in 0..<Int.random(in: 2...7, using: &rng) {
                if Bool.random(using: &rng) && depth > 0 { depth += Int.random(in: 1...10, using: &rng) }  // a gap
                let thickness = Int.random(in: 3...30, using: &rng)
                top.append(Double(depth)); bottom.append(Double(depth + thickness))
                value.append(Double.random(in: 0...80, using: &rng))
                depth += thickness
            }
            let depths = try OutputDepths([0, depth])
            for lambda in [0.1, 1e-9] {
                let options = SplineOptions(lambda: lambda, lowerLimit: -.infinity, upperLimit: .infinity)
                let r = try massPreservingSpline(top: top, bottom: bottom, value: value, depths: depths, options: options)
                for j in 0..<top.count {
                    let a = Int(top[j]), b = Int(bottom[j])
                    let f = r.oneCentimetre
                    let fb = 3 * f[b - 1] - 3 * f[b - 2] + f[b - 3]
                    let second = f[a + 2] - 2 * f[a + 1] + f[a]
                    let trapezoid = f[a..<b].reduce(0, +) + (fb - f[a]) / 2
                    let mean = (trapezoid - Double(b - a) * second / 12) / Double(b - a)
                    #expect(abs(mean - r.fittedHorizonMeans[j]) < 1e-8 * 80, "λ \(lambda) horizon \(j)")
                    if lambda < 1e-6 {
                        #expect(abs(mean - value[j]) < 1e-6 * 80, "horizon \(j): \(mean) vs \(value[j])")
                    }
                }
            }
        }
    }
}

@Suite struct BatchTests {
    @Test func batchIsIdenticalForAnyThreadCountAndReportsRows() throws {
        // Edge profiles repeated many times so that several chunks exist.
        let edge = try loadProfiles("edge_horizons.csv")
        var profiles: [FixtureProfile] = []
        for _ in 0..<60 { profiles += edge }
        let (table, values) = try batchTable(profiles, variable: "value")
        let one = try harmoniseProfiles(table, values: values, threadCount: 1)
        for threads in [2, 3, 8] {
            let many = try harmoniseProfiles(table, values: values, threadCount: threads)
            #expect(many.intervalMeans.map(\.bitPattern) == one.intervalMeans.map(\.bitPattern))
            #expect(many.fittedHorizonMeans.map(\.bitPattern) == one.fittedHorizonMeans.map(\.bitPattern))
            #expect(many.rmse.map(\.bitPattern) == one.rmse.map(\.bitPattern))
            #expect(many.status == one.status && many.issues == one.issues)
        }
        // Issues carry table rows; statuses mirror the one-profile API.
        let organicIndex = try #require(edge.firstIndex { $0.id == "organic" })
        let organicRow = table.profileOffsets[organicIndex]
        #expect(one.issues.contains(BatchHorizonIssue(profileIndex: organicIndex, row: organicRow, kind: .negativeDepth)))
        #expect(one.fittedHorizonMeans[organicRow].isNaN)
        let overlapIndex = try #require(edge.firstIndex { $0.id == "overlap" })
        #expect(one.status[overlapIndex] == .rejected(.overlappingIntervals))
        let singleIndex = try #require(edge.firstIndex { $0.id == "single" })
        #expect(one.status[singleIndex] == .singleHorizon)
        #expect(one.issues.count == 60 * 5)
        #expect(one.issues.map(\.profileIndex) == one.issues.map(\.profileIndex).sorted())
    }

    @Test func groupingByConsecutiveIDs() throws {
        let (table, ids) = try ProfileHorizonTable.grouping(profileIDs: ["a", "a", "b", "c", "c", "c"],
                                                            top: [0, 10, 0, 0, 5, 9], bottom: [10, 20, 5, 5, 9, 30])
        #expect(ids == ["a", "b", "c"] && table.profileOffsets == [0, 2, 3, 6])
        #expect(table.rows(ofProfile: 2) == 3..<6)
        #expect(throws: DepthFunctionsError.self) {
            try ProfileHorizonTable(profileOffsets: [0, 3], top: [0, 1], bottom: [1, 2])
        }
        let empty = try harmoniseProfiles(try ProfileHorizonTable(profileOffsets: [0], top: [], bottom: []), values: [])
        #expect(empty.intervalMeans.isEmpty)
    }

    /// Timing print only (no assertion): 10,000 synthetic profiles, SOC and BD splines + β.
    @Test func timingOfTenThousandProfiles() throws {
        var rng = SplitMix64(seed: 5)
        var offsets = [0], top: [Double] = [], bottom: [Double] = [], soc: [Double] = [], bd: [Double] = []
        for _ in 0..<10_000 {
            var depth = 0.0
            var concentration = Double.random(in: 5...60, using: &rng)
            for _ in 0..<Int.random(in: 3...7, using: &rng) {
                let thickness = Double(Int.random(in: 10...40, using: &rng))
                top.append(depth); bottom.append(depth + thickness)
                soc.append(concentration); bd.append(Double.random(in: 1.0...1.7, using: &rng))
                concentration *= Double.random(in: 0.3...0.9, using: &rng)
                depth += thickness
            }
            offsets.append(top.count)
        }
        let table = try ProfileHorizonTable(profileOffsets: offsets, top: top, bottom: bottom)
        let start = Date()
        let result = try fitProfileBetas(table, soc: soc, bulkDensity: bd)
        let seconds = Date().timeIntervalSince(start)
        let fitted = result.fits.filter { $0.status == .ok }.count
        print("10,000 profiles: SOC+BD splines and β in \(String(format: "%.3f", seconds)) s (\(fitted) β fitted)")
        #expect(result.fits.count == 10_000)
    }
}

@Suite struct StatusTextTests {
    @Test func statusAndIssueTexts() {
        #expect(SplineProfileStatus.rejected(.overlappingIntervals).description == "rejected: overlapping depth intervals")
        #expect(SplineProfileStatus.singleHorizon.description == "single horizon")
        #expect(HorizonIssue(horizonIndex: 2, kind: .negativeDepth).description == "horizon 2: negative depth")
        #expect(HorizonIssue(horizonIndex: nil, kind: .noData).description == "profile: no data values")
    }
}
