import Foundation
import Testing

/// End-to-end: `soilbeta drivers` on the Dutch β in three pseudo-groups against R `aov` and `TukeyHSD`
/// (Tests/StatisticsTests/Fixtures/make_fixtures.R, R 4.2.2).
@Suite struct DriversCommandTests {
    @Test func anovaAndTukeyMatchR() throws {
        let folder = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let fixtures = CLI.packageRoot + "/Tests/StatisticsTests/Fixtures/"
        let groups = try readSimpleCSV(fixtures + "beta_groups.csv")
        var beta = "id,beta\n", sites = "id,ecosystem,socd_0_20\n"
        for row in groups {
            beta += "\(row["id"]!),\(row["beta"]!)\n"
            sites += "\(row["id"]!),\(row["group"]!),\(row["socd_0_20"]!)\n"
        }
        try beta.write(to: folder.appendingPathComponent("beta.csv"), atomically: true, encoding: .utf8)
        try sites.write(to: folder.appendingPathComponent("sites.csv"), atomically: true, encoding: .utf8)
        let out = folder.appendingPathComponent("out").path
        let result = try CLI.run(["drivers", "--beta", folder.appendingPathComponent("beta.csv").path,
                                  "--sites", folder.appendingPathComponent("sites.csv").path, "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        let anova = try readSimpleCSV(out + "/anova.csv")
        let referenceAnova = try readSimpleCSV(fixtures + "ref_anova.csv").first { $0["dataset"] == "beta" }!
        #expect(closeRelative(Double(anova[0]["f_value"]!)!, Double(referenceAnova["f"]!)!))
        #expect(abs(Double(anova[0]["p_value"]!)! - Double(referenceAnova["p"]!)!) < 1e-4 * Double(referenceAnova["p"]!)!)
        let tukey = try readSimpleCSV(out + "/tukey.csv")
        for reference in try readSimpleCSV(fixtures + "ref_tukey.csv") where reference["dataset"] == "beta" {
            let mine = tukey.first { $0["comparison"] == reference["comparison"] }
            #expect(mine != nil, "\(reference["comparison"]!)")
            guard let mine else { continue }
            for (column, tolerance) in [("diff", 1e-6), ("lwr", 1e-6), ("upr", 1e-6), ("p_adj", 1e-4)] {
                #expect(closeRelative(Double(mine[column]!)!, Double(reference[column]!)!, tolerance: tolerance), "\(column)")
            }
        }
        #expect(FileManager.default.fileExists(atPath: out + "/smooth_socd_0_20.csv"))
    }
}
