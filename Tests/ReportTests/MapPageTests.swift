import Essentials
import Foundation
import Rasters
import RunModel
import Testing
@testable import Report

/// The interactive map page (issue 12 item 3), opened in a real browser: headless Chromium driven by
/// Selenium (chromium-driver). `make test` installs both (scripts/ensure-deps.sh test); a missing browser
/// or driver is a failure here, not a skip.
@Suite(.serialized) struct MapPageTests {
    /// Runs the Selenium check script on `page`; returns its JSON document.
    static func browse(_ page: String, lat: Double, lon: Double, zoom: Int, ecosystem: String, layer: String,
                       screenshot: String) throws -> [String: Any] {
        let python = (packageRoot as NSString).appendingPathComponent(".build/python-tools/bin/python")
        guard FileManager.default.isExecutableFile(atPath: python) else {
            Issue.record("\(python) is missing: run scripts/ensure-deps.sh test (make test does) to install selenium")
            return [:]
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [(packageRoot as NSString).appendingPathComponent("Tests/ReportTests/Support/map_page_check.py"),
                             page, "\(lat)", "\(lon)", "\(zoom)", ecosystem, layer, screenshot]
        let out = Pipe(), err = Pipe()
        (process.standardOutput, process.standardError) = (out, err)
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            Issue.record("map_page_check.py exit \(process.terminationStatus): \(text)\n\(errors)")
            return [:]
        }
        #expect(process.terminationStatus == 0, "map_page_check.py: \(text)\n\(errors)")
        return json
    }

    /// The page loads from the file system with no network, draws the selected layer at full resolution
    /// when zoomed in, and a mouse click on a known cell shows that cell's values of the GeoTIFFs (to
    /// within the stored precision) for every ecosystem and product, with the β interval.
    @Test func clickReadOutShowsTheGeoTIFFValuesOfTheCell() throws {
        let folder = try TemporaryFolder()
        try makeSyntheticRun(at: folder.path, cell: 0.25)
        let configuration = try syntheticRunConfiguration(folder.path)
        let layout = configuration.layout
        let bytes = try MapPage(configuration: configuration).write()
        #expect(bytes > 100_000 && bytes < 20_000_000, "page size \(bytes) bytes")
        let indexText = try String(contentsOfFile: layout.path(.mapPageFolder) + "/index.js", encoding: .utf8)
        let json = String(indexText.dropFirst("soilbetaMap.init(".count).dropLast(";\n".count + 1))
        let index = try JSONDecoder().decode(MapPage.Index.self, from: Data(json.utf8))
        #expect(index.levels.map(\.factor) == [1, 4], "full resolution and one overview for 1440 columns")
        #expect(index.sites.count == 150)

        // A cell with a cropland β in the middle of the African "continent" of the synthetic run.
        let beta = try Raster(path: layout.map(.cropland, .beta))
        let (column, row) = try #require(beta.grid.cell(containingX: 20.1, y: 5.1))
        #expect(try beta.value(column: column, row: row) != nil, "the chosen cell has a cropland β")
        let centre = beta.grid.cellCenter(column: column, row: row)
        let shot = try screenshotPath("map-page.png")
        let result = try Self.browse(folder.file("map.html"), lat: centre.y, lon: centre.x, zoom: 7, ecosystem: "CL",
                                     layer: "socd_20-100", screenshot: shot)
        guard !result.isEmpty else { return }
        #expect((result["errors"] as? [Any])?.isEmpty == true, "page script errors: \(result["errors"] ?? "")")
        #expect((result["console"] as? [Any])?.isEmpty == true, "browser console errors: \(result["console"] ?? "")")
        #expect(result["cell"] as? [Int] == [row, column], "the click landed on cell row \(row), column \(column)")
        let pixels = try #require(result["pixels"] as? [String: Int])
        #expect((pixels["coloured"] ?? 0) > 50_000, "tiles drawn with data: \(pixels)")
        #expect((result["sites"] as? Int ?? 0) >= 100, "profile sites drawn: \(result["sites"] ?? "")")
        #expect((result["legend"] as? String ?? "").contains("SOC density 20-100 cm"))
        let readout = try #require(result["readout"] as? [String: [String: String]])
        var compared = 0
        for entry in index.ecosystems {
            let ecosystem = try #require(Ecosystem(parsing: entry.code))
            let shown = try #require(readout[entry.code], "read-out of \(entry.code)")
            for layer in entry.layers where !layer.key.hasSuffix("_q05") && !layer.key.hasSuffix("_q95") {
                let product = try #require(MapProduct.all.first { MapPage.describe($0).key == layer.key })
                let truth = try Raster(path: layout.map(ecosystem, product)).value(column: column, row: row)
                let text = try #require(shown[layer.key], "\(entry.code) \(layer.key) is shown")
                guard let truth else {
                    #expect(text == "–", "\(entry.code) \(layer.key): the GeoTIFF has no value, the page shows \(text)")
                    continue
                }
                let number = try #require(Double(text.prefix { $0 == "." || $0 == "-" || $0.isNumber }), "\(entry.code) \(layer.key): '\(text)'")
                let tolerance = layer.quantum / 2 + 0.5 * pow(10, -Double(layer.decimals)) + 1e-9
                #expect(abs(number - truth) <= tolerance, "\(entry.code) \(layer.key): shown \(text), GeoTIFF \(truth)")
                if product == .beta {
                    let low = try #require(try Raster(path: layout.map(ecosystem, .betaQ05)).value(column: column, row: row))
                    let high = try #require(try Raster(path: layout.map(ecosystem, .betaQ95)).value(column: column, row: row))
                    #expect(text.contains(String(format: "(%.4f–%.4f)", low, high)) || abs(low - high) < 1e-3,
                            "\(entry.code) β interval: shown \(text), GeoTIFF \(low)–\(high)")
                }
                compared += 1
            }
        }
        #expect(compared >= 10, "values compared: \(compared)")
        let attributes = try FileManager.default.attributesOfItem(atPath: shot)
        #expect((attributes[.size] as? Int ?? 0) > 10_000, "screenshot missing or tiny")
    }

    /// A run without maps is refused naming the maps folder; nothing is written.
    @Test func runWithoutMapsIsRefused() throws {
        let folder = try TemporaryFolder()
        let configuration = try syntheticRunConfiguration(folder.path)
        #expect(throws: ReportError.noMaps(folder: configuration.layout.mapsFolder)) { try MapPage(configuration: configuration).write() }
        #expect(!FileManager.default.fileExists(atPath: configuration.layout.path(.mapPage)))
    }

    /// Quantisation ranges: minimum/maximum of the finite values and 2nd/98th percentiles between them.
    @Test func displayRangesIgnoreNaNAndClipTails() {
        var values = (0..<1000).map { Float($0) }
        values += [.nan, .nan]
        let range = MapPage.ranges(values)
        #expect(range.minimum == 0 && range.maximum == 999)
        #expect(abs(range.low - 20) <= 1 && abs(range.high - 980) <= 1.5, "\(range)")
    }
}
