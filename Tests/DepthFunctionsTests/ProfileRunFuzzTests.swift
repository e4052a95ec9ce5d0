import DepthFunctions
import Essentials
import Foundation
import SoilProfiles
import Testing

/// A seeded property test of the whole profile path (CSV → ingest → checks → spline → β), bounded to a
/// few hundred random tables: extreme, negative, missing and overlapping depths and values are findings
/// or errors with a location, never a crash (a depth of 1e19 used to trap in the spline).
@Suite struct ProfileRunFuzzTests {
    static let depths = ["0", "5", "10", "20", "33.3", "60", "100", "150", "-5", "1e19", "9.3e18", "1e300", "", "NA", "1e5", "10000.5"]
    static let values = ["0", "0.5", "12", "250", "999", "1e6", "-3", "", "NA", "1e-300"]

    @Test func randomProfilesAreFittedOrReportedNeverCrash() throws {
        var random = SplitMix64(seed: 2024)
        func pick(_ list: [String]) -> String { list[Int(random.next() % UInt64(list.count))] }
        for table in 0..<300 {
            var text = "id,top,bottom,soc,bd\n"
            for profile in 0..<(1 + Int(random.next() % 4)) {
                var top = 0.0
                for _ in 0..<(1 + Int(random.next() % 6)) {
                    let regular = random.next() % 3 != 0
                    let thickness = Double(5 + random.next() % 30)
                    let topText = regular ? "\(top)" : pick(Self.depths)
                    let bottomText = regular ? "\(top + thickness)" : pick(Self.depths)
                    top += thickness
                    text += "p\(profile),\(topText),\(bottomText),\(pick(Self.values)),\(random.next() % 2 == 0 ? "1.3" : pick(Self.values))\n"
                }
            }
            do {
                let horizons = try HorizonTable(csv: CSVTable.parse(text: text, source: "fuzz-\(table).csv"),
                                                options: HorizonReadOptions(variables: ["soc", "bd"]))
                let run = try ProfileRuns.beta(horizons, bulkDensityFill: 1.3, threadCount: 1)
                #expect(run.rows.count == horizons.profileCount)
                for row in run.rows where !row.beta.isNaN { #expect(row.beta >= 0.5 && row.beta <= 1, "\(row)") }
                _ = try ProfileRuns.harmonize(horizons, variables: ["soc"], depths: .standard, threadCount: 1)
            } catch let error as FileError {
                #expect(error.file == "fuzz-\(table).csv" && error.line != nil, "\(error)")
            }
        }
    }
}
