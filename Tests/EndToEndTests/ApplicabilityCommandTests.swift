import Foundation
import Testing

/// `soilbeta forest aoa` on CAST 1.1.1's reference data (Tests/ForestTests/Fixtures/aoa/PROVENANCE.md).
@Suite struct ApplicabilityCommandTests {
    @Test func aoaCommandReproducesCAST() throws {
        let fixtures = CLI.packageRoot + "/Tests/ForestTests/Fixtures/aoa/"
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("aoa.csv").path
        let result = try CLI.run(["forest", "aoa", "--table", fixtures + "aoa_train.csv", "--features", "mat,map,clay,ph,soc",
                                  "--weights", fixtures + "aoa_weights.csv", "--fold-column", "fold",
                                  "--new", fixtures + "aoa_new.csv", "--out", out, "--threads", "2"])
        #expect(result.status == 0, "\(result.stderr)")
        let threshold = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("threshold=") }.flatMap { Double($0.dropFirst(10)) })
        #expect(abs(threshold - 0.428352493374) < 1e-9)
        let mine = try readSimpleCSV(out), reference = try readSimpleCSV(fixtures + "aoa_new_di.csv")
        #expect(mine.count == reference.count)
        for (a, b) in zip(mine, reference) {
            let di = Double(a["DI"] ?? "") ?? .nan, expected = Double((b["DI"] ?? "").trimmingCharacters(in: .whitespaces)) ?? .nan
            #expect(abs(di - expected) <= 1e-6 * max(1, abs(expected)) && a["AOA"] == b["AOA"], "\(a) vs \(b)")
        }
    }
}
