import DemoData
import Foundation
import Essentials
import Mapping
import RunModel
import Rasters
import Testing

/// Round trip, shards, resumption and input checks of `MapRun` (issue 4 acceptance).
@Suite struct MapRunTests {
    static let outputNames = SyntheticMapInputs.ecosystems.compactMap(Ecosystem.init(parsing:)).flatMap { e in MapProduct.all.map { $0.fileName(e) } }

    /// Every output is a valid COG (by `gdalinfo`) with the grid, nodata and metadata; an
    /// independent Σ SOCD × area over the written rasters equals stocks.csv to 0.1 %.
    @Test func roundTripOutputsAreValidCOGsAndReproduceStocks() throws {
        let (folder, config) = try syntheticInputs("roundtrip")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let summary = try MapRun.run(plan: config, options: MapRunOptions(threads: 2))
        let out = config.outputFolder
        #expect(summary.outputs.count == 48, "3 ecosystems × (11 core products + DI + AOA + β SE + subsoil SOCD q05, q95)")
        for name in Self.outputNames {
            let path = out + "/" + name
            let info = try #require(runTool("gdalinfo", ["-json", path]), "gdalinfo (gdal-bin) must be installed")
            #expect(info.status == 0, "gdalinfo failed on \(name)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(info.output.utf8)) as? [String: Any])
            let size = json["size"] as? [Int]
            #expect(size == [180, 90], "\(name) size")
            let transform = json["geoTransform"] as? [Double]
            #expect(transform == [-180, 2, 0, 90, 0, -2], "\(name) geotransform")
            let metadata = json["metadata"] as? [String: Any]
            let structure = metadata?["IMAGE_STRUCTURE"] as? [String: String]
            #expect(structure?["LAYOUT"] == "COG", "\(name) is not a COG")
            #expect(structure?["COMPRESSION"] == "DEFLATE")
            let band = try #require((json["bands"] as? [[String: Any]])?.first)
            #expect("\(band["noDataValue"] ?? "none")" == "nan" || "\(band["noDataValue"] ?? "none")" == "NaN", "\(name) nodata")
            #expect(!((band["description"] as? String) ?? "").isEmpty)
            let unit = band["unit"] as? String
            #expect(unit == (name.contains("SOCD") ? "Mg ha-1" : name.contains("area") ? "ha" : "1"), "\(name) unit")
            let items = (metadata?[""] as? [String: String]) ?? [:]
            #expect(items["ECOSYSTEM"] == String(name.prefix(2)))
        }
        // Independent recomputation from the written rasters (Float32 SOCD × Float32 area).
        let stocks = try readStocks(out + "/stocks.csv")
        #expect(stocks.count == 4 * 7)
        var allTotals = [String: Double]()
        for ecosystem in SyntheticMapInputs.ecosystems {
            let area = try readAll(out + "/\(ecosystem)_area_ha.tif")
            for layer in SOCLayer.labels {
                let socd = try readAll(out + "/\(ecosystem)_\(layer)_SOCD.tif")
                var total = 0.0
                for i in socd.indices where !socd[i].isNaN { total += Double(socd[i]) * Double(area[i]) }
                let pg = total / 1e9
                allTotals[layer, default: 0] += pg
                let row = try #require(stocks.first { $0["ecosystem"] == ecosystem && $0["layer"] == layer })
                let reported = try #require(Double(row["stock_pg"]!))
                #expect(abs(pg - reported) <= 1e-3 * reported, "\(ecosystem) \(layer): \(pg) vs \(reported)")
                #expect(Double(row["stock_pg_bound_lo"]!)! <= reported || layer == "0-20")
            }
        }
        for layer in SOCLayer.labels {
            let row = try #require(stocks.first { $0["ecosystem"] == "all" && $0["layer"] == layer })
            #expect(abs(allTotals[layer]! - Double(row["stock_pg"]!)!) <= 1e-3 * allTotals[layer]!)
        }
        // Cells with area but a missing covariate are counted and nodata.
        let counts = summary.counts
        #expect(counts.allSatisfy { $0.missingCovariate > 0 && $0.predicted + $0.missingCovariate == $0.cellsWithArea })
        let beta = try readAll(out + "/CL_beta.tif"), area = try readAll(out + "/CL_area_ha.tif")
        let withArea = area.indices.filter { !area[$0].isNaN && area[$0] > 0 }
        #expect(withArea.count == counts[0].cellsWithArea)
        #expect(withArea.filter { beta[$0].isNaN }.count == counts[0].missingCovariate)
        // A second run finds the outputs complete.
        #expect(try MapRun.run(plan: config).alreadyComplete)
        // A deleted stocks table is rebuilt from the recorded row sums, identical; a truncated raster is
        // not trusted: the run recomputes and the outputs come back bit for bit.
        let stocksPath = config.layout.path(.stocksTable)
        let stocksBefore = try String(contentsOfFile: stocksPath, encoding: .utf8)
        try FileManager.default.removeItem(atPath: stocksPath)
        #expect(try MapRun.run(plan: config).alreadyComplete)
        #expect(try String(contentsOfFile: stocksPath, encoding: .utf8) == stocksBefore)
        let rasterPath = out + "/GL_beta_q95.tif"
        let rasterBefore = try bits(rasterPath)
        let handle = try #require(FileHandle(forWritingAtPath: rasterPath))
        try handle.truncate(atOffset: 1000)
        try handle.close()
        let repaired = try MapRun.run(plan: config, options: MapRunOptions(threads: 2))
        #expect(!repaired.alreadyComplete)
        #expect(try bits(rasterPath) == rasterBefore)
    }

    /// `--tile 1..4/4` then mosaic gives the same values (bit for bit) and stocks as a single
    /// run; a run stopped after some tiles and restarted gives the same outputs too; the thread
    /// count does not matter.
    @Test func shardedAndResumedRunsEqualTheSingleRun() throws {
        let (folder, config) = try syntheticInputs("shards", tileRows: 5)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let single = config.withRunFolder(folder + "/single")
        _ = try MapRun.run(plan: single, options: MapRunOptions(threads: 2))

        let sharded = config.withRunFolder(folder + "/sharded")
        for index in 1...4 {
            let shard = try MapRun.run(plan: sharded, options: MapRunOptions(tile: (index, 4), threads: 1))
            #expect(shard.stocks == nil)
        }
        _ = try MapMosaic.join(plan: sharded, count: 4)

        let resumed = config.withRunFolder(folder + "/resumed")
        #expect(throws: MappingError.self) { try MapRun.run(plan: resumed, options: MapRunOptions(threads: 2, stopAfterTiles: 7)) }
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: resumed.outputFolder)) ?? []
        #expect(!leftovers.contains { $0.hasSuffix(".tif") || $0 == "stocks.csv" }, "no partial outputs under final names")
        let second = try MapRun.run(plan: resumed, options: MapRunOptions(threads: 1))
        #expect(second.tilesResumed == 7)
        #expect(second.tilesComputed == 18 - 7)

        for name in Self.outputNames {
            let reference = try bits(single.outputFolder + "/" + name)
            #expect(try bits(sharded.outputFolder + "/" + name) == reference, "sharded \(name)")
            #expect(try bits(resumed.outputFolder + "/" + name) == reference, "resumed \(name)")
        }
        let reference = try String(contentsOfFile: single.outputFolder + "/stocks.csv", encoding: .utf8)
        #expect(try String(contentsOfFile: sharded.outputFolder + "/stocks.csv", encoding: .utf8) == reference)
        #expect(try String(contentsOfFile: resumed.outputFolder + "/stocks.csv", encoding: .utf8) == reference)
    }

    /// A model feature without a raster in the config fails before any output exists; a raster
    /// off the grid is refused with the `soilbeta prepare` fix; mosaic names missing shards.
    @Test func inputErrorsStopBeforeAnyWork() throws {
        let (folder, config) = try syntheticInputs("errors")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var lacking = config
        lacking.ecosystems[1].covariates["MAT"] = nil
        #expect {
            try MapRun.run(plan: lacking)
        } throws: { error in
            guard case let MappingError.missingFeatures(ecosystem, features, _) = error else { return false }
            return ecosystem == "GL" && features == ["MAT"] && "\(error)".contains("[covariates]")
        }
        #expect(!FileManager.default.fileExists(atPath: config.outputFolder))

        let coarse = try RasterGrid.covering(.global, resolution: 4)
        try writeRaster(folder + "/coarse.tif", grid: coarse, values: [Float](repeating: 1, count: coarse.cellCount))
        var offGrid = config
        offGrid.ecosystems[0].areaPath = folder + "/coarse.tif"
        #expect {
            try MapRun.run(plan: offGrid)
        } throws: { error in
            "\(error)".contains("coarse.tif") && "\(error)".contains("soilbeta prepare") && "\(error)".contains("resolution")
        }
        #expect(!FileManager.default.fileExists(atPath: config.outputFolder))

        #expect {
            try MapMosaic.join(plan: config, count: 3)
        } throws: { error in
            "\(error)".contains("1, 2, 3") && "\(error)".contains("--tile 2/3")
        }
    }

    /// A negative area raster, or a covariate raster without any value, gave 0 Pg stocks and exit 0.
    @Test func negativeAreaAndAllNodataCovariateAreErrorsNotZeroStocks() throws {
        let (folder, config) = try syntheticInputs("nothing")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var negative = [Float](repeating: 0.5, count: config.grid.cellCount)
        negative[3 * config.grid.columns + 7] = -2
        try writeRaster(folder + "/negative.tif", grid: config.grid, values: negative)
        var withNegative = config
        withNegative.ecosystems[0].areaPath = folder + "/negative.tif"
        #expect {
            try MapRun.run(plan: withNegative, options: MapRunOptions(threads: 2))
        } throws: { error in
            guard case let MappingError.negativeArea(path, row, column, value) = error else { return false }
            return path.hasSuffix("negative.tif") && row == 3 && column == 7 && value == -2 && "\(error)".contains("row 4, column 8")
        }
        try writeRaster(folder + "/empty.tif", grid: config.grid, values: [Float](repeating: .nan, count: config.grid.cellCount))
        var withEmpty = config
        withEmpty.ecosystems[1].covariates["MAT"] = folder + "/empty.tif"
        #expect {
            try MapRun.run(plan: withEmpty, options: MapRunOptions(threads: 2))
        } throws: { error in
            guard case let MappingError.nothingMapped(ecosystem, reason) = error else { return false }
            return ecosystem == "GL" && reason.contains("empty.tif") && "\(error)".contains("0 Pg")
        }
        let outputs = (try? FileManager.default.contentsOfDirectory(atPath: config.outputFolder)) ?? []
        #expect(!outputs.contains { $0.hasSuffix(".tif") || $0 == "stocks.csv" }, "no output published: \(outputs)")
    }
}
