import Foundation
import Testing

/// Regression tests of the guard rails for real data (issue "Guard rails"): each test is named after what
/// it guards, and failed before the guard existed.
@Suite struct GuardRailTests {
    func folder() throws -> URL { try CLI.temporaryFolder() }

    /// A depth ≥ 9.2e18 trapped on a Double→Int conversion in the spline (SIGILL) and lost every profile.
    @Test func depthBeyondHundredMetresIsAFindingNotACrash() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("h.csv").path
        try """
        id,top,bottom,soc,bd
        A,0,20,20,1.2
        A,20,40,12,1.3
        A,40,60,8,1.35
        A,60,80,5,1.4
        A,80,100,3,1.45
        A,100,1e19,2,1.5
        B,1e19,2e19,10,1.3
        C,0,20,20,1.2
        C,20,40,12,1.3
        C,40,60,8,1.35
        C,60,80,5,1.4
        C,80,100,3,1.45

        """.write(toFile: input, atomically: true, encoding: .utf8)
        for command in ["beta", "harmonize"] {
            let out = dir.appendingPathComponent("\(command).csv").path
            let result = try CLI.run([command, "--horizons", input, "--out", out])
            #expect(result.status == 0, "\(command): \(result.stderr)")
            let issues = try readSimpleCSV(dir.appendingPathComponent("\(command).issues.csv").path)
            #expect(issues.filter { $0["reason"]?.contains("depth beyond 10000 cm") == true }.count == 2, "\(issues)")
            let rows = try readSimpleCSV(out)
            if command == "beta" {
                #expect(rows.first { $0["id"] == "A" }?["beta"]?.isEmpty == false)
                #expect(rows.first { $0["id"] == "C" }?["beta"]?.isEmpty == false)
            }
        }
    }

    /// `--out` equal to `--horizons` overwrote the input; `--issues` equal to `--out` lost the table.
    @Test func outputThatIsAnInputOrAnotherOutputIsRefused() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("h.csv").path
        let text = "id,top,bottom,soc,bd\nA,0,20,20,1.2\n"
        try text.write(toFile: input, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out.csv").path
        for arguments in [["beta", "--horizons", input, "--out", input],
                          ["beta", "--horizons", input, "--out", out, "--issues", out],
                          ["harmonize", "--horizons", input, "--vars", "soc", "--out", out, "--one-cm", out],
                          ["harmonize", "--horizons", input, "--vars", "soc", "--out", dir.appendingPathComponent("./h.csv").path]] {
            let result = try CLI.run(arguments)
            #expect(result.status != 0 && result.stderr.contains("is the same file as"), "\(arguments): \(result.stderr)")
            #expect(try String(contentsOfFile: input, encoding: .utf8) == text)
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }

    /// `--threads=-3` was accepted.
    @Test func threadCountBelowOneIsRefused() throws {
        for arguments in [["beta", "--horizons", "h.csv", "--out", "o.csv", "--threads=-3"],
                          ["map", "--config", "run.toml", "--threads", "0"],
                          ["forest", "train", "--table", "t.csv", "--target", "y", "--features", "a", "--out", "m.sbf", "--threads=-1"]] {
            let result = try CLI.run(arguments)
            #expect(result.status != 0 && result.stderr.contains("--threads must be at least 1"), "\(arguments): \(result.stderr)")
        }
    }

    /// A directory given as `--out` was reported as `SoilProfiles.CSVError error 1`.
    @Test func folderGivenAsOutputIsNamed() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("h.csv").path
        try "id,top,bottom,soc,bd\nA,0,20,20,1.2\n".write(toFile: input, atomically: true, encoding: .utf8)
        let result = try CLI.run(["beta", "--horizons", input, "--out", dir.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("soilbeta: error: \(dir.path): is a folder"), "\(result.stderr)")
    }

    /// A configuration path that is a folder hit a `try!` in file hashing; a run folder that is a file gave
    /// `NSCocoaErrorDomain error 512`; an unknown feature was found only after steps had run.
    @Test(arguments: [
        ("horizons = \"data\"", "key 'profiles.horizons': '", "is a folder"),
        ("horizons = \"missing.csv\"", "key 'profiles.horizons': '", "does not exist"),
    ])
    func configurationInputsAreCheckedBeforeAnyStep(line: String, key: String, detail: String) throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("data"), withIntermediateDirectories: true)
        let config = dir.appendingPathComponent("run.toml").path
        try "[run]\nfolder = \"out\"\n[profiles]\n\(line)\n[forest]\nfeatures = [\"mat\"]\n".write(toFile: config, atomically: true, encoding: .utf8)
        let result = try CLI.run(["run", "--config", config])
        #expect(result.status == 1 && result.stderr.contains(key) && result.stderr.contains(detail), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out").path))
    }

    @Test func runFolderThatIsAFileAndFeatureWithoutSourceAreRefused() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try "id,top,bottom,soc,bd\nA,0,20,20,1.2\n".write(to: dir.appendingPathComponent("h.csv"), atomically: true, encoding: .utf8)
        try "id,lon,lat,ecosystem,mat\nA,1,2,cropland,10\n".write(to: dir.appendingPathComponent("s.csv"), atomically: true, encoding: .utf8)
        try "not a folder".write(to: dir.appendingPathComponent("out"), atomically: true, encoding: .utf8)
        let config = dir.appendingPathComponent("run.toml").path
        let base = "[profiles]\nhorizons = \"h.csv\"\nsites = \"s.csv\"\n[forest]\nfeatures = [\"mat\", \"ph\"]\n"
        try ("[run]\nfolder = \"out\"\n" + base).write(toFile: config, atomically: true, encoding: .utf8)
        var result = try CLI.run(["run", "--config", config])
        #expect(result.status == 1 && result.stderr.contains("key 'run.folder'") && result.stderr.contains("is a file"), "\(result.stderr)")
        try ("[run]\nfolder = \"run\"\n" + base).write(toFile: config, atomically: true, encoding: .utf8)
        result = try CLI.run(["run", "--config", config])
        #expect(result.status == 1 && result.stderr.contains("key 'forest.features'") && result.stderr.contains("no source for ph"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("run").path))
    }

    /// A target of 1e308 gave `OOB R² -nan` and exit status 0.
    @Test func targetTooLargeToSquareIsAnError() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        var text = "x,y\n"
        for i in 0..<40 { text += "\(i),\(i % 2 == 0 ? "1e308" : "-1e308")\n" }
        let table = dir.appendingPathComponent("t.csv").path
        try text.write(toFile: table, atomically: true, encoding: .utf8)
        let model = dir.appendingPathComponent("m.sbf").path
        let result = try CLI.run(["forest", "train", "--table", table, "--target", "y", "--features", "x", "--out", model])
        #expect(result.status == 1 && result.stderr.contains("too large"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: model))
    }

    /// Fits that look wrong (buried peat: more SOC density at 80–100 than at 0–20 cm) were ordinary `ok`
    /// rows; deeper horizons changed β with no way to leave them out.
    @Test func suspectFitsAreFlaggedAndDeepHorizonsCanBeDropped() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("h.csv").path
        try """
        id,top,bottom,soc,bd
        peat,0,20,10,1.3
        peat,20,40,8,1.3
        peat,40,60,6,1.3
        peat,60,80,30,0.9
        peat,80,100,200,0.3
        fine,0,20,25,1.2
        fine,20,40,15,1.3
        fine,40,60,9,1.35
        fine,60,80,6,1.4
        fine,80,100,4,1.45
        fine,100,150,3,1.5

        """.write(toFile: input, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("beta.csv").path
        var result = try CLI.run(["beta", "--horizons", input, "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        var rows = try readSimpleCSV(out)
        let peat = try #require(rows.first { $0["id"] == "peat" })
        #expect(peat["status"]?.contains("flagged: ") == true && peat["status"]?.contains("increases with depth") == true, "\(peat)")
        #expect(rows.first { $0["id"] == "fine" }?["status"] == "ok")
        let issues = try readSimpleCSV(dir.appendingPathComponent("beta.issues.csv").path)
        #expect(issues.contains { $0["id"] == "peat" && $0["action"] == "warning" && $0["reason"]?.contains("increases with depth") == true })
        let betaWithDeep = rows.first { $0["id"] == "fine" }?["beta"]

        result = try CLI.run(["beta", "--horizons", input, "--out", out, "--max-depth", "100"])
        #expect(result.status == 0, "\(result.stderr)")
        rows = try readSimpleCSV(out)
        #expect(rows.first { $0["id"] == "fine" }?["beta"] != betaWithDeep)
        let dropped = try readSimpleCSV(dir.appendingPathComponent("beta.issues.csv").path)
        #expect(dropped.contains { $0["id"] == "fine" && $0["line"] == "12" && $0["action"] == "horizon dropped" && $0["reason"]?.contains("maximum depth 100") == true })
    }
}
