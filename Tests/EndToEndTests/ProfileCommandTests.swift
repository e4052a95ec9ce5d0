import Foundation
import Testing

/// End-to-end: the `harmonize` and `beta` commands on files, against the R reference outputs
/// (mpspline2 0.1.9 and nls port; see Tests/DepthFunctionsTests/Fixtures/PROVENANCE.md).
@Suite struct ProfileCommandTests {
    @Test func harmonizeReproducesMpspline2OnTheEdgeCases() throws {
        let folder = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("edge.csv").path
        let oneCm = folder.appendingPathComponent("edge_1cm.csv").path
        let result = try CLI.run(["harmonize", "--horizons", CLI.fixture("edge_horizons.csv"), "--vars", "value",
                                  "--one-cm", oneCm, "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        let ours = try readSimpleCSV(out)
        let reference = try readSimpleCSV(CLI.fixture("edge_dcm.csv"))
        var ourValue: [String: String] = [:]
        for row in ours { ourValue["\(row["id"]!)|\(row["upper"]!)"] = row["value"] }
        #expect(ours.count == reference.count)
        for row in reference {
            let key = "\(row["id"]!)|\(row["upper"]!)"
            let expected = row["value"] == "NA" ? Double.nan : Double(row["value"]!)!
            let actual = ourValue[key].flatMap { $0.isEmpty ? Double.nan : Double($0) }
            #expect(actual.map { closeRelative($0, expected) } == true, "\(key): \(String(describing: actual)) vs \(expected)")
        }
        // 1-cm estimates.
        var ourOneCm: [String: Double] = [:]
        for row in try readSimpleCSV(oneCm) where !(row["value"] ?? "").isEmpty {
            ourOneCm["\(row["id"]!)|\(row["depth_cm"]!)"] = Double(row["value"]!)!
        }
        let referenceOneCm = try readSimpleCSV(CLI.fixture("edge_1cm.csv")).filter { $0["value"] != "NA" }
        #expect(!referenceOneCm.isEmpty)
        for row in referenceOneCm {
            let key = "\(row["id"]!)|\(row["depth_cm"]!)"
            #expect(ourOneCm[key].map { closeRelative($0, Double(row["value"]!)!) } == true, "1 cm \(key)")
        }
        // Every dropped horizon or rejected profile is reported with its line.
        let issues = try readSimpleCSV(folder.appendingPathComponent("edge.issues.csv").path)
        #expect(issues.contains { $0["action"] == "profile rejected" && $0["reason"]!.contains("overlapping") })
        #expect(issues.contains { $0["reason"]!.contains("negative depth") })
        #expect(issues.contains { $0["reason"]!.contains("zero thickness") })
        #expect(issues.contains { $0["reason"]!.contains("upper depth greater than lower depth") })
        #expect(issues.allSatisfy { Int($0["line"]!)! >= 2 && $0["file"] == CLI.fixture("edge_horizons.csv") })
    }

    @Test func betaReproducesRNlsOnTheDutchProfiles() throws {
        let folder = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // The reference's selection rule (test-only, not product behaviour): horizons with top >= 100 cm
        // dropped; profiles kept with >= 3 remaining horizons reaching >= 100 cm.
        let horizons = try readSimpleCSV(CLI.fixture("dutch_horizons.csv"))
        var byProfile: [String: [[String: String]]] = [:]
        var order: [String] = []
        for row in horizons where Double(row["top"]!)! < 100 {
            if byProfile[row["id"]!] == nil { order.append(row["id"]!) }
            byProfile[row["id"]!, default: []].append(row)
        }
        var text = "id,top,bottom,soc,bd\n"
        for id in order {
            let rows = byProfile[id]!
            guard rows.count >= 3, rows.map({ Double($0["bottom"]!)! }).max()! >= 100 else { continue }
            for row in rows { text += "\(id),\(row["top"]!),\(row["bottom"]!),\(row["soc"]!),\(row["bd"]!)\n" }
        }
        #expect(horizons.count == 1568)
        let input = folder.appendingPathComponent("selected.csv").path
        try text.write(toFile: input, atomically: true, encoding: .utf8)
        let out = folder.appendingPathComponent("beta.csv").path
        let result = try CLI.run(["beta", "--horizons", input, "--threads", "2", "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        var ours: [String: [String: String]] = [:]
        for row in try readSimpleCSV(out) { ours[row["id"]!] = row }
        let reference = try readSimpleCSV(CLI.fixture("dutch_beta.csv"))
        #expect(reference.count == 359)
        #expect(ours.count == 359)
        for row in reference {
            guard let mine = ours[row["id"]!] else { Issue.record("profile \(row["id"]!) missing"); continue }
            #expect(mine["status"] == "ok" || mine["status"]?.hasPrefix("ok; flagged: ") == true, "\(mine["status"] ?? "")")
            #expect(closeRelative(Double(mine["beta"]!)!, Double(row["beta"]!)!), "beta \(row["id"]!)")
            for (layer, column) in ["socd_0_20", "socd_20_40", "socd_40_60", "socd_60_80", "socd_80_100"].enumerated() {
                #expect(closeRelative(Double(mine[column]!)!, Double(row["d\(layer + 1)"]!)!), "\(column) \(row["id"]!)")
            }
        }
    }

    @Test func profilesLackingALayerGetAStatusAndNoBeta() throws {
        let folder = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("h.csv").path
        try """
        id,top,bottom,soc,bd,ecosystem
        shallow,0,20,20,1.2,cropland
        shallow,20,60,10,1.3,cropland
        overlap,0,30,20,1.2,grassland
        overlap,20,100,10,1.3,grassland
        nobd,0,50,20,,forestland
        nobd,50,100,10,,forestland
        """.write(toFile: input, atomically: true, encoding: .utf8)
        let out = folder.appendingPathComponent("beta.csv").path
        let result = try CLI.run(["beta", "--horizons", input, "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try readSimpleCSV(out)
        #expect(rows.map { $0["id"]! } == ["shallow", "overlap", "nobd"])
        #expect(rows.allSatisfy { $0["beta"] == "" })
        #expect(rows[0]["status"]!.contains("ends at 60 cm"))
        #expect(rows[1]["status"]!.contains("overlapping"))
        #expect(rows[2]["status"]!.contains("BD"))
        #expect(rows[1]["ecosystem"] == "grassland")
        // With a BD fill value the third profile is fitted and the fill is counted.
        let filled = try CLI.run(["beta", "--horizons", input, "--bd-fill", "1.3", "--out", out])
        #expect(filled.status == 0)
        let again = try readSimpleCSV(out)
        #expect(again[2]["status"] == "ok" && again[2]["bd_filled"] == "2")
    }

    @Test(arguments: [
        ("id,top,bottom,soc,bd\np,0,10,1.5,1.2\np,10,20\n", "bad.csv:3", "3 field(s)"),
        ("id,top,bottom,soc,bd\np,0,10,1.5,1.2\np,10,20,x1,1.2\n", "bad.csv:3", "field 'soc'"),
        ("id,top,bottom,bd\np,0,10,1.2\n", "bad.csv:1", "field 'soc'"),
        ("", "bad.csv", "empty"),
        ("id,top,top,soc,bd\n", "bad.csv:1", "duplicate"),
        ("id,top,bottom,soc,bd\n\"p,0,10,1,1\n", "bad.csv:2", "never closed"),
    ])
    func badInputIsAClearErrorWithNoOutput(text: String, location: String, detail: String) throws {
        let folder = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("bad.csv").path
        try text.write(toFile: input, atomically: true, encoding: .utf8)
        let out = folder.appendingPathComponent("out.csv").path
        for command in ["beta", "harmonize"] {
            let result = try CLI.run([command, "--horizons", input, "--out", out])
            #expect(result.status != 0)
            #expect(result.stderr.contains(location) && result.stderr.contains(detail), "\(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out))
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["bad.csv"])
        }
    }

    @Test func resultsDoNotDependOnThreadCount() throws {
        let folder = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("s.csv").path
        #expect(try CLI.run(["simulate-profiles", "--count", "700", "--seed", "3", "--out", input]).status == 0)
        var outputs: [String] = []
        for threads in ["1", "2", "3"] {
            let out = folder.appendingPathComponent("b\(threads).csv").path
            #expect(try CLI.run(["beta", "--horizons", input, "--threads", threads, "--out", out]).status == 0)
            outputs.append(try String(contentsOfFile: out, encoding: .utf8))
        }
        #expect(outputs[0] == outputs[1] && outputs[1] == outputs[2])
        #expect(outputs[0].split(separator: "\n").count == 701)
    }
}
