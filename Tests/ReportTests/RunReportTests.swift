import Essentials
import Foundation
import RunModel
import SoilProfiles
import Testing
@testable import Report

/// The figures the issue requires (Fig. 1–4, Table 1), as `data-figure` ids of the report.
let requiredFigures = [
    "fig1-sites", "fig2-drivers", "fig2-mat", "fig2-clay", "fig2-contributions",
    "fig3-cv-random-CL", "fig3-cv-spatial-CL", "fig3-cv-random-GL", "fig3-cv-spatial-GL",
    "fig3-cv-random-FL", "fig3-cv-spatial-FL", "fig3-map-CL", "fig3-map-GL", "fig3-map-FL",
    "fig4-map-CL", "fig4-map-GL", "fig4-map-FL", "fig4-profile", "table1",
    "fig3-interval-CL", "fig3-interval-GL", "fig3-interval-FL", "fig4-layer-0-20-CL", "fig4-layer-0-100-FL", "table1-comparison",
    "fit-flags", "tuning-chosen-CL",
]

/// The package root (for scripts/ and the screenshot location).
let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

@Suite struct RunReportTests {
    @Test func emptyRunFolderGivesNotesNotACrash() throws {
        let folder = try TemporaryFolder()
        var report = RunReport(configuration: try syntheticRunConfiguration(folder.path, synthetic: false))
        let html = try report.html()
        #expect(html.contains("Not available in this run"))
        for piece in ["sites.csv or beta.csv with lon, lat, ecosystem, beta", "maps/stocks.csv", "run.json", "drivers/contributions.csv", "maps/CL_beta.tif", "forest/GL/cv_random.csv"] {
            #expect(report.missing.contains(piece), "missing list lacks \(piece)")
        }
        #expect(!html.contains("class=\"demo-banner\""))
        #expect(!html.contains("data-figure=\"fig1-sites\""))
    }

    @Test func missingFolderIsAnError() throws {
        var report = RunReport(configuration: try syntheticRunConfiguration("/nonexistent/soilbeta-run"))
        #expect(throws: ReportError.noRunFolder(path: "/nonexistent/soilbeta-run")) { try report.html() }
    }

    /// The β table as the profiles step writes it (`BetaRow` columns), with rows given as text.
    static let betaHeader = "id,socd_0_20,socd_20_40,socd_40_60,socd_60_80,socd_80_100,socd_0_100,beta,rmse,bd_filled,status,lon,lat,ecosystem,study\n"

    @Test func malformedFileIsNamedWithLineAndFieldAndNoOutputAppears() throws {
        let folder = try TemporaryFolder()
        try (Self.betaHeader + "A,1,1,1,1,1,5,0.97,0.01,0,ok,10,50,cropland,\nB,1,1,1,1,1,5,zero,0.01,0,ok,12,51,grassland,\n")
            .write(in: folder, at: "beta.csv")
        var report = RunReport(configuration: try syntheticRunConfiguration(folder.path))
        let output = folder.file("report.html")
        do {
            try report.write(to: output)
            Issue.record("a malformed beta.csv must be an error")
        } catch let error as FileError {
            #expect(error.file == folder.file("beta.csv") && error.line == 3 && error.field == "beta")
            #expect(error.message.contains("'zero'"))
        }
        #expect(!FileManager.default.fileExists(atPath: output))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["beta.csv"])
    }

    /// The run model's contract: a table with a renamed column is an error naming the file and the
    /// column, never a silently blank section.
    @Test func renamedColumnIsAnErrorNamingFileAndColumn() throws {
        let folder = try TemporaryFolder()
        try makeSyntheticRun(at: folder.path)
        var report = RunReport(configuration: try syntheticRunConfiguration(folder.path))
        _ = try report.html()
        let stocks = folder.file("maps/stocks.csv")
        let text = try String(contentsOfFile: stocks, encoding: .utf8)
        try text.replacingOccurrences(of: "stock_pg_bound_hi", with: "stock_pg_p95").write(toFile: stocks, atomically: true, encoding: .utf8)
        var broken = RunReport(configuration: try syntheticRunConfiguration(folder.path))
        #expect {
            try broken.html()
        } throws: { error in
            guard let error = error as? FileError else { return false }
            return error.file == stocks && error.field == "stock_pg_bound_hi" && error.message.contains("missing")
        }
    }

    /// Driver panels had their own β axes (not comparable) and titles made of column names.
    @Test func driverPanelsShareOneBetaAxisAndReadableTitles() throws {
        let folder = try TemporaryFolder()
        try makeSyntheticRun(at: folder.path)
        var report = RunReport(configuration: try syntheticRunConfiguration(folder.path))
        let html = try report.html()
        func betaTicks(_ id: String) throws -> [String] {
            let panel = try figureSVG(id, in: html)
            return panel.components(separatedBy: ">").compactMap { piece in
                let text = piece.components(separatedBy: "<").first ?? ""
                return text.hasPrefix("0.9") ? text : nil
            }
        }
        let mat = try betaTicks("fig2-mat"), clay = try betaTicks("fig2-clay")
        #expect(!mat.isEmpty && mat == clay, "\(mat) vs \(clay)")
        #expect(html.contains(">Clay<") && html.contains(">MAT<"))
        #expect(html.contains("drivers/importance_all.csv"))
    }

    @Test func latitudeOutOfRangeIsAnError() throws {
        let folder = try TemporaryFolder()
        try (Self.betaHeader + "A,1,1,1,1,1,5,0.97,0.01,0,ok,10,95,cropland,\n").write(in: folder, at: "beta.csv")
        var report = RunReport(configuration: try syntheticRunConfiguration(folder.path))
        #expect {
            try report.html()
        } throws: { error in
            guard let error = error as? FileError else { return false }
            return error.file == folder.file("beta.csv") && error.line == 2 && error.field == "lat" && error.message.contains("95")
        }
    }

    @Test func fullSyntheticRunHasEveryFigureTableAndTheDemoBanner() throws {
        let folder = try TemporaryFolder()
        try makeSyntheticRun(at: folder.path)
        var report = RunReport(configuration: try syntheticRunConfiguration(folder.path), software: "soilbeta test")
        let output = folder.file("report.html")
        let bytes = try report.write(to: output)
        let html = try String(contentsOfFile: output, encoding: .utf8)
        #expect(bytes == html.utf8.count)
        #expect(bytes < 20 * 1_048_576)
        for id in requiredFigures { #expect(html.contains("data-figure=\"\(id)\""), "figure \(id) missing") }
        #expect(report.missing.isEmpty, "unexpectedly missing: \(report.missing)")
        #expect(!html.contains("Not available in this run"))
        #expect(html.contains("class=\"demo-banner\""))
        // No network: nothing is fetched from elsewhere.
        #expect(!html.contains("http://") || html.components(separatedBy: "http://").dropFirst().allSatisfy { $0.hasPrefix("www.w3.org/2000/svg") })
        #expect(!html.contains("https://"))
        // Table 1: cropland subsoil stock with its interval, from the synthetic stocks.csv.
        #expect(html.contains("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"))
        #expect(html.contains(">cropland<") && html.contains("Subsoil 20–100 (Pg C)"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".tmp") }.isEmpty)
        // Checksums of the files read, against coreutils' sha256sum.
        for relative in ["sites.csv", "maps/stocks.csv", "maps/CL_beta.tif"] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
            process.arguments = [folder.file(relative)]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            let digest = String(output.prefix(64))
            #expect(digest.count == 64 && html.contains("<td class=\"text\">\(relative)</td>") && html.contains(digest), "\(relative) \(digest)")
        }
    }

    @Test func table1ShowsStocksWithIntervals() throws {
        let folder = try TemporaryFolder()
        try """
        ecosystem,layer,area_1e9_ha,socd_mean_mg_ha,stock_pg,stock_pg_bound_lo,stock_pg_bound_hi
        CL,0-20,1.56,50,78,70,90
        CL,20-100,1.56,62,96.72,80.5,110.25
        CL,0-100,1.56,112,174.72,150,200
        GL,20-100,3.2,70,224,,

        """.write(in: folder, at: "maps/stocks.csv")
        var report = RunReport(configuration: try syntheticRunConfiguration(folder.path))
        let html = try report.html()
        #expect(html.contains("<td>96.7 (80.5–110.2)</td>") || html.contains("<td class=\"text\">96.7 (80.5–110.2)</td>"))
        #expect(html.contains("224.0"))
        #expect(html.contains("subsoil 320.7 Pg C"))
    }
}

@Suite struct RunLayoutVariantsTests {
    @Test func notModelledEcosystemShowsItsNoteAndBetaCSVWithoutSitesIsNoError() throws {
        let folder = try TemporaryFolder()
        try "12 complete profiles of grassland (< min_profiles 30): not modelled\n"
            .write(in: folder, at: "forest/GL/NOT_MODELLED.txt")
        // beta.csv as the pipeline writes it without site columns: no map, no error.
        try "id,socd_0_20,socd_20_40,socd_40_60,socd_60_80,socd_80_100,socd_0_100,beta,rmse,bd_filled,status\nA,1,1,1,1,1,5,0.97,0.01,0,ok\nB,,,,,,,,,0,no beta\n"
            .write(in: folder, at: "beta.csv")
        var report = RunReport(configuration: try syntheticRunConfiguration(folder.path))
        let html = try report.html()
        #expect(html.contains("Not modelled in this run:</strong> 12 complete profiles of grassland (&lt; min_profiles 30): not modelled"))
        #expect(report.missing.contains("sites.csv or beta.csv with lon, lat, ecosystem, beta"))
    }

    @Test func smoothCurvesPerGroupUseTheAllCurveForTheBand() throws {
        let folder = try TemporaryFolder()
        try """
        group,n,x,fit,se,lower95,upper95,mean_beta
        all,10,0,0.970,0.001,0.968,0.972,0.9712
        all,10,10,0.974,0.001,0.972,0.976,0.9712
        cropland,5,0,0.969,0.002,0.965,0.973,0.9700
        cropland,5,10,0.975,0.002,0.971,0.979,0.9700

        """.write(in: folder, at: "drivers/smooth_mat.csv")
        var report = RunReport(configuration: try syntheticRunConfiguration(folder.path))
        let html = try report.html()
        #expect(html.contains("data-figure=\"fig2-mat\""))
        #expect(html.contains(">MAT (°C)<"))
        // One band (the "all" rows), the black "all" line, one dashed cropland line, the mean line.
        let panel = try figureSVG("fig2-mat", in: html)
        #expect(panel.components(separatedBy: "fill-opacity=\"0.20\"").count - 1 == 1)
        #expect(panel.contains("stroke=\"\(EcosystemColors.cropland)\" stroke-width=\"1.40\" stroke-dasharray=\"4 2\""))
        #expect(panel.contains("stroke=\"#7a1fa2\""))
    }
}

@Suite struct CrossValidationPanelTests {
    @Test func crossValidationTablesGiveAnnotatedPanels() throws {
        let folder = try TemporaryFolder()
        // R² and RMSE by hand: random: o = (1,2,3), p = (1,2,4): SSres 1, SStot 2 → R² 0.5, RMSE √(1/3) = 0.5774;
        // spatial: o = (1,2,3), p = (2,2,3): SSres 1 → R² 0.5 as well; n = 3 each.
        try "id,observed,predicted,fold\nA,1,1,1\nB,2,2,2\nC,3,4,3\n".write(in: folder, at: "forest/CL/cv_random.csv")
        try "id,observed,predicted,fold\nA,1,2,1\nB,2,2,1\nC,3,3,2\n".write(in: folder, at: "forest/CL/cv_spatial.csv")
        var report = RunReport(configuration: try syntheticRunConfiguration(folder.path))
        let html = try report.html()
        for scheme in ["random", "spatial"] {
            let body = try figureSVG("fig3-cv-\(scheme)-CL", in: html)
            #expect(body.contains("R² = 0.500") && body.contains("RMSE = 0.5774") && body.contains("n = 3"))
        }
    }
}

@Suite struct ProfileDepthFallbackTests {
    @Test func depthProfileFromBetaCSVWhenStocksAreAbsent() throws {
        let folder = try TemporaryFolder()
        // Cropland means by hand: 0-20 (30+50)/2 = 40, 20-40 (20+30)/2 = 25, 40-60 15, 60-80 10, 80-100 5;
        // profile C (incomplete) is left out; grassland ecosystem joined from sites.csv on id.
        try """
        id,socd_0_20,socd_20_40,socd_40_60,socd_60_80,socd_80_100,socd_0_100,beta,rmse,bd_filled,status
        A,30,20,14,9,4,77,0.97,0.01,0,ok
        B,50,30,16,11,6,113,0.975,0.01,0,ok
        C,90,,,,,,,,0,no beta
        D,60,40,20,10,8,138,0.98,0.01,0,ok

        """.write(in: folder, at: "beta.csv")
        try "id,lon,lat,ecosystem,beta,mat,clay\nA,1,2,cropland,0.97,10,20\nB,3,4,cropland,0.975,11,21\nC,5,6,cropland,,12,22\nD,7,8,grassland,0.98,13,23\n"
            .write(in: folder, at: "sites.csv")
        var report = RunReport(configuration: try syntheticRunConfiguration(folder.path))
        let means = try #require(try RunData.load(configuration: report.configuration, maxMapColumns: 100).layerMeansFromProfiles)
        #expect(means.map { $0.ecosystem } == ["cropland", "grassland"])
        #expect(means[0].meansMgPerHa == [40, 25, 15, 10, 5])
        #expect(means[1].meansMgPerHa == [60, 40, 20, 10, 8])
        let html = try report.html()
        #expect(html.contains("data-figure=\"fig4-profile\""))
    }
}

@Suite struct MappingOutputsTests {
    @Test func allRowOfStocksIsShownLastAndLandComesFromAreaRasters() throws {
        let folder = try TemporaryFolder()
        // As the Mapping target writes it: short ecosystem names and an "all" row.
        try """
        ecosystem,layer,area_1e9_ha,socd_mean_mg_ha,stock_pg,stock_pg_bound_lo,stock_pg_bound_hi
        CL,20-100,1.5,60,90,80,100
        GL,20-100,3,70,210,190,230
        all,20-100,4.5,66.67,300,280,320

        """.write(in: folder, at: "maps/stocks.csv")
        let nan = Float.nan
        // 4 × 2 cells of 90°: CL area in cell 0, GL area in cell 5; the union is the land.
        try writeTestGeoTIFF(folder.file("maps/CL_area_ha.tif"), west: -180, north: 90, cell: 90, columns: 4, rows: 2,
                             values: [5, 0, nan, 0, 0, 0, 0, 0])
        try writeTestGeoTIFF(folder.file("maps/GL_area_ha.tif"), west: -180, north: 90, cell: 90, columns: 4, rows: 2,
                             values: [0, 0, 0, 0, 0, 7, 0, nan])
        var report = RunReport(configuration: try syntheticRunConfiguration(folder.path))
        let land = try #require(try RunData.load(configuration: report.configuration, maxMapColumns: 100).land)
        #expect(land.source == "maps/CL_area_ha.tif + maps/GL_area_ha.tif")
        #expect(land.grid.values.map { $0.isNaN ? 0 : 1 } == [1, 0, 0, 0, 0, 1, 0, 0])
        let html = try report.html()
        let table = String(html[html.range(of: "data-table=\"table1\"")!.lowerBound...].prefix(3000))
        let cl = try #require(table.range(of: ">cropland<")), gl = try #require(table.range(of: ">grassland<")),
            all = try #require(table.range(of: ">all<"))
        #expect(cl.lowerBound < gl.lowerBound && gl.lowerBound < all.lowerBound)
        #expect(table.contains("300.0 (280.0–320.0)"))
        #expect(!html.contains("All ecosystems (sum of the rows"))
    }
}

@Suite struct TuningTableTests {
    @Test func chosenTuningCellIsHighlighted() throws {
        let folder = try TemporaryFolder()
        try "mtry,trees,oob_mse,oob_r2,chosen\n1,100,2e-05,0.4,0\n2,100,1.5e-05,0.5,1\n"
            .write(in: folder, at: "forest/CL/tuning.csv")
        var report = RunReport(configuration: try syntheticRunConfiguration(folder.path))
        let html = try report.html()
        let table = String(html[html.range(of: "data-table=\"tuning-CL\"")!.lowerBound...].prefix(1500))
        #expect(table.components(separatedBy: "<tr class=\"chosen\">").count - 1 == 1)
        #expect(table.contains("<tr class=\"chosen\"><td>2</td><td>100</td><td>1.5e-05</td>"))
    }
}
