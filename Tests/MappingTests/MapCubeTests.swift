import DemoData
import Essentials
import Foundation
import Mapping
import RunModel
import Rasters
import Testing

/// The NetCDF-CF cube `maps/soilbeta.nc` (issue 12 item 1), read back with a reader that is not GDAL
/// (netCDF4-python on libnetcdf) and checked with the IOOS compliance-checker's CF-1.8 suite.
@Suite struct MapCubeTests {
    /// The Python environment `scripts/ensure-deps.sh test` builds (netCDF4, compliance-checker).
    static var pythonTools: String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/python-tools/bin").path
    }

    static func requireTool(_ name: String) throws -> String {
        let path = pythonTools + "/" + name
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw CubeTestError("\(path) is missing: run `scripts/ensure-deps.sh test` (make test does) to install netCDF4 and compliance-checker")
        }
        return path
    }

    struct CubeTestError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// Runs `executable` and returns (status, stdout, stderr).
    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String, errors: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        (process.standardOutput, process.standardError) = (out, err)
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    /// Every variable's values, read by netCDF4-python, equal the GeoTIFF they come from bit for bit
    /// (NaN where the GeoTIFF is nodata; kg m⁻² = 0.1 × Mg ha⁻¹ in Float32); coordinates are the cell
    /// centres with bounds; depth is positive down in cm; variables are deflated and chunked.
    @Test func netCDF4ReadsTheGeoTIFFValues() throws {
        let python = try Self.requireTool("python")
        let (folder, plan) = try syntheticInputs("cube")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        _ = try MapRun.run(plan: plan, options: MapRunOptions(threads: 2))
        let cube = try #require(try MapCube.write(plan: plan, fingerprint: MapCube.fingerprint(plan: plan)))
        #expect(cube == plan.layout.path(.mapCube) && FileManager.default.fileExists(atPath: cube))
        let dump = folder + "/dump"
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Support/cube_dump.py").path
        let result = try Self.run(python, [script, cube, dump])
        #expect(result.status == 0, "cube_dump.py: \(result.errors)")
        let info = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        #expect(info["format"] as? String == "NETCDF4")
        let global = try #require(info["global"] as? [String: String])
        #expect(global["Conventions"] == "CF-1.8")
        #expect(global["history"]?.contains("soilbeta \(SoilBetaVersion.string)") == true)
        #expect(global["demo"] == "true", "synthetic inputs are labelled DEMO")
        let dimensions = try #require(info["dimensions"] as? [String: Int])
        #expect(dimensions["lat"] == 90 && dimensions["lon"] == 180 && dimensions["depth"] == 5 && dimensions["depth_sum"] == 2)
        let ecosystems = SyntheticMapInputs.ecosystems.compactMap(Ecosystem.init(parsing:))
        #expect(dimensions["ecosystem"] == ecosystems.count)
        let variables = try #require(info["variables"] as? [String: [String: Any]])

        func values(_ name: String) throws -> [Float] {
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(dump)/\(name).f32"))
            return data.withUnsafeBytes { raw in (0..<(data.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) } }
        }
        func same(_ a: [Float], _ b: [Float]) -> Bool {
            a.count == b.count && zip(a, b).allSatisfy { $0.isNaN ? $1.isNaN : $0.bitPattern == $1.bitPattern }
        }
        // Coordinates: cell centres and edges of the 2° grid, north first.
        let lat = try values("lat"), lon = try values("lon"), latBounds = try values("lat_bnds")
        #expect(lat.first == 89 && lat.last == -89 && lon.first == -179 && lon.last == 179)
        #expect(Array(latBounds.prefix(2)) == [90, 88])
        #expect(try values("depth") == [10, 30, 50, 70, 90])
        #expect(try values("depth_bnds") == [0, 20, 20, 40, 40, 60, 60, 80, 80, 100])
        #expect(try values("depth_sum_bnds") == [0, 100, 20, 100])
        let depthAttributes = variables["depth"]?["attributes"] as? [String: Any]
        #expect(depthAttributes?["positive"] as? String == "down" && depthAttributes?["units"] as? String == "cm")

        let cells = 90 * 180
        let products: [(variable: String, products: [MapProduct], scale: Float)] = [
            ("beta", [.beta], 1), ("beta_q05", [.betaQ05], 1), ("beta_q95", [.betaQ95], 1), ("area", [.areaHa], 1),
            ("socd", (0..<5).map { .socDensity(layer: $0) }, 1), ("socd_kg_m2", (0..<5).map { .socDensity(layer: $0) }, 0.1),
            ("socd_sum", [.socDensity(layer: 6), .socDensity(layer: 5)], 1),
            ("socd_sum_kg_m2", [.socDensity(layer: 6), .socDensity(layer: 5)], 0.1),
        ]
        for (name, list, scale) in products {
            let variable = try #require(variables[name], "variable \(name)")
            #expect((variable["attributes"] as? [String: Any])?["grid_mapping"] as? String == "crs")
            #expect((variable["filters"] as? [String: Any])?["zlib"] as? Bool == true, "\(name) is deflated")
            #expect((variable["chunking"] as? [Int])?.suffix(2) == [90, 180], "\(name) chunks span the small grid")
            let all = try values(name)
            #expect(all.count == ecosystems.count * list.count * cells)
            for (e, ecosystem) in ecosystems.enumerated() {
                for (k, product) in list.enumerated() {
                    let offset = (e * list.count + k) * cells
                    let tif = try readAll(plan.layout.map(ecosystem, product)).map { $0 * scale }
                    #expect(same(Array(all[offset..<offset + cells]), tif), "\(name) \(ecosystem.code) \(product.fileName(ecosystem))")
                    #expect(tif.contains { !$0.isNaN }, "\(product.fileName(ecosystem)) has values")
                }
            }
        }
        let kg = variables["socd_kg_m2"]?["attributes"] as? [String: Any]
        #expect(kg?["standard_name"] as? String == "carbon_mass_content_of_soil_layer" && kg?["units"] as? String == "kg m-2")
    }

    /// The IOOS compliance-checker's CF-1.8 suite finds no failed check in the cube.
    @Test func compliesWithCF18() throws {
        let checker = try Self.requireTool("compliance-checker")
        let (folder, plan) = try syntheticInputs("cube-cf", resolution: 5)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        _ = try MapRun.run(plan: plan, options: MapRunOptions(threads: 2))
        try MapCube.write(plan: plan, fingerprint: MapCube.fingerprint(plan: plan))
        let report = folder + "/cf.json"
        let result = try Self.run(checker, ["--test=cf:1.8", "--criteria=strict", "--format=json", "--output=\(report)",
                                            plan.layout.path(.mapCube)])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any],
                                "compliance-checker wrote no report: \(result.errors)")
        let suite = try #require(json["cf:1.8"] as? [String: Any])
        var failures: [String] = []
        var checks = 0
        for priority in ["high_priorities", "medium_priorities", "low_priorities"] {
            for check in (suite[priority] as? [[String: Any]]) ?? [] {
                let value = check["value"] as? [Int] ?? []
                checks += 1
                if value.count == 2, value[0] < value[1] {
                    failures.append("\(priority) \(check["name"] ?? "?"): \((check["msgs"] as? [String] ?? []).joined(separator: "; "))")
                }
            }
        }
        #expect(checks >= 20, "the CF suite ran only \(checks) checks")
        #expect(failures.isEmpty, "CF-1.8 failures:\n\(failures.joined(separator: "\n"))")
        #expect(result.status == 0, "compliance-checker exit \(result.status): \(result.errors)")
    }
}
