import Foundation
import Rasters
import Testing

/// Issue 10 acceptance (small version; the 20-world figures are in BENCHMARKS.md): over demo worlds whose truth
/// is known, the simulated 95 % interval of the subsoil stock covers the true stock, is far narrower than the old
/// all-cells-at-their-quantile bound, and the tool's true stock equals one computed here independently
/// (Eq. 1 and Eq. 4 written out below).
@Suite struct IntervalCalibrationTests {
    /// The built `soilbeta-bench` next to `soilbeta`.
    static var bench: String { CLI.executable.deletingLastPathComponent().appendingPathComponent("soilbeta-bench").path }

    static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: bench)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile(), errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    /// The true subsoil stock (Pg C) of a world: Σ area × X₀₋₂₀ × (β^20 − β^100) / (1 − β^20), X₀₋₂₀ = SOC × BD × 20 cm.
    static func trueSubsoilPg(_ data: String) throws -> Double {
        func read(_ path: String) throws -> [Double] { let r = try Raster(path: "\(data)/\(path)"); return try r.readRows(firstRow: 0, rowCount: r.grid.rows) }
        let soc = try read("covariates/soc.tif"), bd = try read("covariates/bd.tif")
        var total = 0.0
        for code in ["CL", "GL", "FL"] {
            let area = try read("area/\(code)_area.tif"), beta = try read("truth/\(code)_beta_true.tif")
            for i in area.indices where area[i] > 0 && beta[i].isFinite && soc[i].isFinite && bd[i].isFinite {
                // g kg⁻¹ × g cm⁻³ × cm → Mg ha⁻¹: × 0.1 (1 g cm⁻² = 100 Mg ha⁻¹, 1 g kg⁻¹ = 10⁻³).
                let x = soc[i] * bd[i] * 20 * 0.1
                let b = beta[i]
                total += area[i] * x * (pow(b, 20) - pow(b, 100)) / (1 - pow(b, 20))
            }
        }
        return total / 1e9
    }

    @Test func simulatedIntervalsCoverTheTrueSubsoilStock() throws {
        let folder = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (modis, koppen) = try DemoDataCommandTests.writeStandInInputs(in: folder)
        let out = folder.appendingPathComponent("calibration").path
        let result = try Self.run(["interval-calibration", "--modis", modis, "--koppen", koppen, "--out", out, "--seeds", "3",
                                   "--grid", "2", "--profiles", "500", "--trees", "100", "--realisations", "200"])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try readSimpleCSV(out + "/calibration.csv")
        #expect(rows.count == 3)
        var covered = 0
        for row in rows {
            let seed = row["seed"] ?? "?"
            let truth = try Self.trueSubsoilPg(out + "/seed-\(seed)/data")
            let reported = try #require(Double(row["true_pg"] ?? ""))
            #expect(abs(reported - truth) <= 1e-6 * truth, "seed \(seed): the tool's truth \(reported) vs \(truth)")
            let low = try #require(Double(row["stock_pg_lo95"] ?? "")), high = try #require(Double(row["stock_pg_hi95"] ?? ""))
            let boundLow = try #require(Double(row["stock_pg_bound_lo"] ?? "")), boundHigh = try #require(Double(row["stock_pg_bound_hi"] ?? ""))
            #expect(low < high && high - low < 0.8 * (boundHigh - boundLow), "seed \(seed): interval \(low)–\(high) vs bound \(boundLow)–\(boundHigh)")
            if truth >= low && truth <= high { covered += 1 }
        }
        #expect(covered >= 2, "the 95 % interval covered the truth in \(covered) of 3 worlds:\n\(result.stdout)")
    }
}
