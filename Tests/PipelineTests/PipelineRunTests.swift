import Essentials
import Foundation
import RunModel
import Testing
@testable import Pipeline
import Mapping
import Report
import SoilProfiles
import DemoData

/// A small synthetic study: β depends on two covariates; profiles follow the β model (SyntheticProfiles).
private func writeStudy(in folder: URL, profiles: Int = 160) throws {
    var random = SplitMix64(seed: 11)
    var horizons = CSVWriter(header: ["id", "top", "bottom", "soc", "bd"])
    var sites = CSVWriter(header: ["id", "lon", "lat", "ecosystem", "study", "mat", "clay"])
    for index in 0..<profiles {
        let mat = random.uniform(-5, 28), clay = random.uniform(5, 60)
        let beta = 0.955 + 0.0009 * mat - 0.0002 * clay + 0.001 * random.normal()
        let ecosystem = index % 2 == 0 ? "cropland" : "forestland"
        let id = "P\(index)"
        for h in SyntheticProfiles.profile(beta: beta, topsoilSOC: random.uniform(8, 30), noise: 0.02, random: &random) {
            horizons.append(row: [id, CSVWriter.format(h.topCm), CSVWriter.format(h.bottomCm),
                                  CSVWriter.format(h.socGPerKg), CSVWriter.format(h.bulkDensityGPerCm3)])
        }
        sites.append(row: [id, CSVWriter.format(random.uniform(-170, 170)), CSVWriter.format(random.uniform(-50, 60)),
                           ecosystem, "S\(index % 8)", CSVWriter.format(mat), CSVWriter.format(clay)])
    }
    try horizons.write(to: folder.appendingPathComponent("horizons.csv").path)
    try sites.write(to: folder.appendingPathComponent("sites.csv").path)
    try """
    [run]
    folder = "run"
    seed = 7
    threads = 2
    synthetic = true

    [profiles]
    horizons = "horizons.csv"
    sites = "sites.csv"
    bd_fill = 1.3

    [forest]
    features = ["mat", "clay"]
    trees = 100
    tune_trees = [50, 100]
    min_node = 5
    folds = 5
    block_deg = 30.0
    min_profiles = 30
    """.write(to: folder.appendingPathComponent("run.toml"), atomically: true, encoding: .utf8)
}

/// Runs a command-line tool and returns its standard output (the tool must exit 0).
func runTool(_ path: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = Pipe()
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw FileError(file: path, message: "exit status \(process.terminationStatus)") }
    return output
}

@Suite struct PipelineRunTests {
    @Test func runsProfilesAndForestsThenSkipsUnchangedSteps() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pipeline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeStudy(in: folder)
        let config = folder.appendingPathComponent("run.toml").path
        try PipelineRun.run(configPath: config, echo: false)
        let run = folder.appendingPathComponent("run")
        for file in ["beta.csv", "sites.csv", "forest/CL/model.sbf", "forest/CL/cv_random.csv", "forest/CL/cv_spatial.csv",
                     "forest/CL/tuning.csv", "forest/FL/summary.json", "forest/GL/NOT_MODELLED.txt", "run.json", "run.log",
                     "drivers/beta_summary.csv", "drivers/anova.csv", "drivers/tukey.csv", "drivers/smooth_mat.csv",
                     "drivers/contributions.csv"] {
            #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent(file).path), "\(file) \((try? String(contentsOf: run.appendingPathComponent("run.log"), encoding: .utf8)) ?? "")")
        }
        // The model recovers the known β function well (random-fold CV).
        let r2 = try RunDocument.read(CrossValidationDocument.self, from: run.appendingPathComponent("forest/CL/cv.json").path).random.pooled.r2
        #expect(r2 > 0.5, "CV R² \(r2)")

        // Round trip: what the steps wrote reads back through the run model, and the report is built from it.
        let configuration = try RunConfiguration.load(path: config)
        let layout = configuration.layout
        let betaRows = try RunTable.read(BetaRow.self, from: layout.path(.betaTable))
        let sites = try SiteTable.read(path: layout.path(.sitesTable), features: ["mat", "clay"])
        #expect(betaRows.count == 160 && sites.count == betaRows.filter { !$0.beta.isNaN }.count)
        #expect(Set(sites.ids) == Set(betaRows.filter { !$0.beta.isNaN }.map(\.id)))
        let cvRows = try RunTable.read(CrossValidationRow.self, from: layout.path(.crossValidation(.cropland, .random)))
        #expect(cvRows.count == sites.complete(ecosystem: .cropland).count && cvRows.allSatisfy { $0.scheme == "random" })
        #expect(try RunTable.read(TuningRow.self, from: layout.path(.tuning(.cropland))).filter(\.chosen).count == 1)
        #expect(try RunTable.read(ImportanceRow.self, from: layout.path(.importance(.forestland))).map(\.feature) == ["mat", "clay"])
        let manifest = try RunDocument.read(RunManifest.self, from: layout.path(.manifest))
        #expect(manifest.configuration == configuration && manifest.synthetic)
        #expect(manifest.inputs.map(\.path).contains(try #require(configuration.profiles?.horizons.first)))
        var report = RunReport(configuration: configuration)
        let html = try report.html()
        for figure in ["fig1-sites", "fig2-mat", "fig2-clay", "fig2-contributions", "fig3-cv-random-CL", "fig3-cv-spatial-FL"] {
            #expect(html.contains("data-figure=\"\(figure)\""), "\(figure)")
        }
        #expect(html.contains("Not modelled in this run:</strong> "))
        // The paper's mixed-model baseline beside the forest, on the same folds.
        let baseline = try RunDocument.read(BaselineDocument.self, from: layout.path(.baseline(.cropland)))
        #expect(baseline.terms == ["(Intercept)", "mat", "clay"] && baseline.studies == 4 && baseline.random.n == cvRows.count)
        let baselineRows = try RunTable.read(CrossValidationRow.self, from: layout.path(.baselineCrossValidation(.cropland, .random)))
        #expect(baselineRows.map(\.fold) == cvRows.map(\.fold))
        #expect(baseline.random.r2 > 0.3, "the β function is linear in mat and clay: \(baseline.random.r2)")
        for figure in ["fig3-baseline-random-CL", "fig3-baseline-spatial-CL", "fig3-baseline-table-CL"] {
            #expect(html.contains("data-figure=\"\(figure)\""), "\(figure)")
        }
        #expect(FileManager.default.fileExists(atPath: layout.path(.report)))

        // The GeoPackage of the sites, read back by GDAL's own tools (as QGIS would).
        let info = try runTool("/usr/bin/ogrinfo", ["-so", "-al", layout.path(.sitesPackage)])
        #expect(info.contains("Layer name: sites") && info.contains("Layer name: layers") && info.contains("Feature Count: \(sites.count)"), "\(info)")
        let exported = folder.appendingPathComponent("sites-export.csv").path
        _ = try runTool("/usr/bin/ogr2ogr", ["-f", "CSV", "-lco", "GEOMETRY=AS_XY", exported, layout.path(.sitesPackage), "sites"])
        let table = try CSVTable.read(path: exported)
        let idColumn = try table.requireColumn("id"), betaColumn = try table.requireColumn("beta"), matColumn = try table.requireColumn("mat")
        let xColumn = try table.requireColumn("X"), residualColumn = try table.requireColumn("cv_residual")
        #expect(table.rows.map { $0[idColumn] } == sites.ids)
        for (k, row) in table.rows.enumerated() {
            // ogr2ogr prints 15 significant digits.
            func same(_ text: String, _ value: Double) -> Bool { abs((Double(text) ?? .nan) - value) <= 1e-13 * max(1, abs(value)) }
            #expect(same(row[betaColumn], sites.beta[k]) && same(row[matColumn], sites.values(of: "mat")[k]), "row \(k)")
            #expect(abs((Double(row[xColumn]) ?? .nan) - sites.longitude[k]) < 1e-9)
        }
        #expect(table.rows.contains { !$0[residualColumn].isEmpty })

        // Second run: every step is skipped.
        let modelBefore = try Data(contentsOf: run.appendingPathComponent("forest/CL/model.sbf"))
        try PipelineRun.run(configPath: config, echo: false)
        let document = try RunDocument.read(RunManifest.self, from: run.appendingPathComponent("run.json").path)
        let statuses = document.steps.map(\.status)
        #expect(statuses.count == 8 && statuses.allSatisfy { $0.hasPrefix("skipped") }, "\(statuses)")
        #expect(try Data(contentsOf: run.appendingPathComponent("forest/CL/model.sbf")) == modelBefore)

        // A damaged output makes its step run again, and only the steps downstream of a changed input rerun.
        try "x".write(to: run.appendingPathComponent("forest/FL/importance.csv"), atomically: true, encoding: .utf8)
        try PipelineRun.run(configPath: config, echo: false)
        let again = try RunDocument.read(RunManifest.self, from: run.appendingPathComponent("run.json").path)
        let ran = again.steps.filter { $0.status == "ran" }.map(\.name)
        #expect(ran == ["forest-FL"])
        #expect(try Data(contentsOf: run.appendingPathComponent("forest/CL/model.sbf")) == modelBefore)
    }

    @Test func runWithoutForestSectionIsRefusedNamingTheKey() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pipeline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("bad.toml").path
        try "[profiles]\nhorizons = \"h.csv\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ConfigError.self) { try PipelineRun.run(configPath: path, echo: false) }
        do { try PipelineRun.run(configPath: path, echo: false) } catch let error as ConfigError {
            #expect(error.key == "forest", "\(error)")
        }
    }

    /// When a forest step produces no model any more (too few profiles), the model of an earlier run was
    /// mapped and reported. Now the step removes it and leaves only NOT_MODELLED.txt.
    @Test func ecosystemNoLongerModelledLeavesNoStaleModel() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pipeline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeStudy(in: folder, profiles: 80)
        let config = folder.appendingPathComponent("run.toml").path
        try PipelineRun.run(configPath: config, echo: false)
        let layout = try RunConfiguration.load(path: config).layout
        #expect(FileManager.default.fileExists(atPath: layout.path(.model(.cropland))))
        let text = try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: "min_profiles = 30", with: "min_profiles = 1000")
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        try PipelineRun.run(configPath: config, echo: false)
        for ecosystem in Ecosystem.allCases {
            #expect(!FileManager.default.fileExists(atPath: layout.path(.model(ecosystem))), "\(ecosystem)")
            #expect(!FileManager.default.fileExists(atPath: layout.path(.importance(ecosystem))), "\(ecosystem)")
            #expect(FileManager.default.fileExists(atPath: layout.path(.notModelled(ecosystem))), "\(ecosystem)")
        }
        let html = try String(contentsOfFile: layout.path(.report), encoding: .utf8)
        #expect(!html.contains("data-figure=\"fig3-cv-random-CL\""))
    }

    /// `run.log` was appended through a symbolic link planted at its path.
    @Test func runLogIsNeverWrittenThroughASymbolicLink() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pipeline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("run"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeStudy(in: folder, profiles: 40)
        let victim = folder.appendingPathComponent("victim.txt").path
        try "untouched\n".write(toFile: victim, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("run/run.log").path, withDestinationPath: victim)
        #expect {
            try PipelineRun.run(configPath: folder.appendingPathComponent("run.toml").path, echo: false)
        } throws: { error in
            "\(error)".contains("run.log") && "\(error)".contains("cannot open")
        }
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "untouched\n")
    }

    /// Renaming or removing an ecosystem left its old `XX_*.tif` in `maps/`, and the report drew them.
    @Test func mapsOfEcosystemsNoLongerMappedAreRemoved() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pipeline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["area.tif", "socd.tif", "mat.tif", "h.csv"] { try "x".write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        let configuration = try RunConfiguration.decode(text: """
        [run]
        folder = "run"
        [topsoil]
        socd = "socd.tif"
        [ecosystems.CL]
        area = "area.tif"
        model = "m.sbf"
        """, path: folder.appendingPathComponent("run.toml").path)
        let layout = configuration.layout
        try FileManager.default.createDirectory(atPath: layout.mapsFolder, withIntermediateDirectories: true)
        let stale = [layout.map(.grassland, .beta), layout.map(.forestland, .socDensity(layer: SOCLayer.subsoil))]
        let kept = layout.map(.cropland, .beta)
        for path in stale + [kept] { try "old".write(toFile: path, atomically: true, encoding: .utf8) }
        try "m".write(to: folder.appendingPathComponent("m.sbf"), atomically: true, encoding: .utf8)
        let plan = try MapPlan(configuration: configuration)
        MapAndReportSteps.removeUnmappedOutputs(plan)
        #expect(stale.allSatisfy { !FileManager.default.fileExists(atPath: $0) })
        #expect(FileManager.default.fileExists(atPath: kept))
    }

    /// A failing step (a full disk, a malformed table) was reported on the terminal but not in run.log.
    @Test func stepFailureIsWrittenToTheRunLog() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pipeline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeStudy(in: folder, profiles: 40)
        let horizons = folder.appendingPathComponent("horizons.csv")
        try (try String(contentsOf: horizons, encoding: .utf8) + "P0,100,120\n").write(to: horizons, atomically: true, encoding: .utf8)
        #expect(throws: FileError.self) { try PipelineRun.run(configPath: folder.appendingPathComponent("run.toml").path, echo: false) }
        let log = try String(contentsOf: folder.appendingPathComponent("run/run.log"), encoding: .utf8)
        #expect(log.contains("profiles: failed — \(horizons.path):"), "\(log)")
    }

    /// A bad `[report] land` was reported under the run folder's copy, which had replaced the good copy.
    @Test func badLandRasterIsReportedUnderItsOwnNameAndKeepsTheGoodCopy() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pipeline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeStudy(in: folder, profiles: 40)
        let land = folder.appendingPathComponent("land.tif")
        try "not a raster".write(to: land, atomically: true, encoding: .utf8)
        let config = folder.appendingPathComponent("run.toml")
        try (try String(contentsOf: config, encoding: .utf8) + "\n[report]\nland = \"land.tif\"\n").write(to: config, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("run"), withIntermediateDirectories: true)
        let goodCopy = folder.appendingPathComponent("run/land.tif")
        try "good copy".write(to: goodCopy, atomically: true, encoding: .utf8)
        #expect {
            try PipelineRun.run(configPath: config.path, echo: false)
        } throws: { error in
            "\(error)".contains(land.path) && !"\(error)".contains(goodCopy.path)
        }
        #expect(try String(contentsOf: goodCopy, encoding: .utf8) == "good copy")
    }

    /// `exclude_flagged = true` keeps profiles with a flagged fit out of the site table, so out of the forests.
    @Test func flaggedProfilesCanBeLeftOutOfTheForests() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pipeline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeStudy(in: folder, profiles: 40)
        let horizons = folder.appendingPathComponent("horizons.csv"), sites = folder.appendingPathComponent("sites.csv")
        try (try String(contentsOf: horizons, encoding: .utf8) + "peat,0,20,10,1.3\npeat,20,40,8,1.3\npeat,40,60,6,1.3\npeat,60,80,30,0.9\npeat,80,100,200,0.3\n")
            .write(to: horizons, atomically: true, encoding: .utf8)
        try (try String(contentsOf: sites, encoding: .utf8) + "peat,10,50,cropland,S0,10,20\n").write(to: sites, atomically: true, encoding: .utf8)
        let config = folder.appendingPathComponent("run.toml")
        try PipelineRun.run(configPath: config.path, echo: false)
        let layout = try RunConfiguration.load(path: config.path).layout
        #expect(try SiteTable.read(path: layout.path(.sitesTable), features: ["mat", "clay"]).ids.contains("peat"))
        let text = try String(contentsOf: config, encoding: .utf8).replacingOccurrences(of: "bd_fill = 1.3", with: "bd_fill = 1.3\nexclude_flagged = true")
        try text.write(to: config, atomically: true, encoding: .utf8)
        try PipelineRun.run(configPath: config.path, echo: false)
        #expect(!(try SiteTable.read(path: layout.path(.sitesTable), features: ["mat", "clay"]).ids.contains("peat")))
        let html = try String(contentsOfFile: layout.path(.report), encoding: .utf8)
        #expect(html.contains("41 of 41 profiles have a β; 2 are flagged (") && html.contains("1 SOC density increasing with depth"), "report counts flagged fits")
    }
}
