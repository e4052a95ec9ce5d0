import Foundation
import Rasters
import Testing

/// Issue 6 item 4: a small demo through the whole pipeline as a user runs it — `soilbeta demo-data` on
/// stand-in land-cover and climate rasters at 1°, then `soilbeta run` — must recover the known truth.
///
/// Stated floors: pooled 10-fold random CV R² ≥ 0.6 for cropland (site noise SD 0.0015 and measurement noise
/// ≈ 0.0013 against a true-β SD of ≈ 0.005 cap it well below 1); the area-weighted mean of the mapped cropland
/// β within 0.0015 of the area-weighted mean of the true β raster; every output the run promises exists.
@Suite struct DemoRecoveryRunTests {
    @Test func wholePipelineRecoversTheTrueBeta() throws {
        let folder = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (modis, koppen) = try DemoDataCommandTests.writeStandInInputs(in: folder)
        let data = folder.appendingPathComponent("data").path
        let built = try CLI.run(["demo-data", "--modis", modis, "--koppen", koppen, "--out", data, "--grid", "1",
                                 "--profiles", "600", "--seed", "5"])
        #expect(built.status == 0, "\(built.stderr)")
        let features = ["soc", "cn", "mat", "mbn", "map", "bd", "mbc", "clay", "tn", "ph", "mbc_mbn"]
        var config = """
        [run]
        folder = "run"
        seed = 3
        synthetic = true
        [profiles]
        horizons = "data/horizons.csv"
        sites = "data/sites.csv"
        bd_fill = 1.3
        [forest]
        features = [\(features.map { "\"\($0)\"" }.joined(separator: ", "))]
        trees = 150
        tune_trees = [150]
        tune_mtry = [3, 6]
        folds = 10
        block_deg = 10.0
        [grid]
        resolution = 1.0
        [topsoil]
        soc = "data/covariates/soc.tif"
        bd = "data/covariates/bd.tif"
        [covariates]

        """
        for feature in features { config += "\(feature) = \"data/covariates/\(feature).tif\"\n" }
        for code in ["CL", "GL", "FL"] { config += "[ecosystems.\(code)]\narea = \"data/area/\(code)_area.tif\"\narea_unit = \"ha\"\n" }
        config += "[report]\nland = \"data/land.tif\"\n"
        let configPath = folder.appendingPathComponent("run.toml").path
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)

        let run = try CLI.run(["run", "--config", configPath, "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        let runFolder = folder.appendingPathComponent("run").path
        for file in ["beta.csv", "sites.csv", "maps/CL_beta.tif", "maps/CL_beta_q05.tif", "maps/GL_20-100_SOCD.tif",
                     "maps/FL_0-100_SOCD.tif", "maps/stocks.csv", "maps/stocks.json", "drivers/anova.csv",
                     "report.html", "run.json", "run.log"] {
            #expect(FileManager.default.fileExists(atPath: "\(runFolder)/\(file)"), "missing \(file)")
        }
        let cv = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(runFolder)/forest/CL/cv.json"))) as! [String: Any]
        let r2 = ((cv["random"] as! [String: Any])["pooled"] as! [String: Any])["r2"] as! Double
        #expect(r2 >= 0.6, "cropland CV R² \(r2)")

        let area = try Raster(path: "\(data)/area/CL_area.tif").readRows(firstRow: 0, rowCount: 180)
        let truth = try Raster(path: "\(data)/truth/CL_beta_true.tif").readRows(firstRow: 0, rowCount: 180)
        let mapped = try Raster(path: "\(runFolder)/maps/CL_beta.tif").readRows(firstRow: 0, rowCount: 180)
        var weight = 0.0, sumMapped = 0.0, sumTrue = 0.0
        for cell in area.indices where area[cell] > 0 && truth[cell].isFinite && mapped[cell].isFinite && mapped[cell] > 0 {
            weight += area[cell]
            sumMapped += area[cell] * mapped[cell]
            sumTrue += area[cell] * truth[cell]
        }
        #expect(weight > 0)
        #expect(abs(sumMapped / weight - sumTrue / weight) < 0.0015, "mapped \(sumMapped / weight), true \(sumTrue / weight)")

        // A second run reuses every step.
        let again = try CLI.run(["run", "--config", configPath])
        #expect(again.status == 0)
        #expect(!again.stderr.contains(": running"), "\(again.stderr)")
    }
}
