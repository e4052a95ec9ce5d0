import Essentials
import Forest
import Foundation
import Mapping
import Rasters
import RunModel
import Testing

/// DI and AOA maps of the map step against CAST 1.1.1 (`trainDI`/`aoa`; the fixtures of
/// Tests/ForestTests/Fixtures/aoa, PROVENANCE.md there): the 1,500 new points of the reference become
/// the cells of a 50 × 30 grid; the map's DI and AOA rasters must equal CAST's per point, sharded or not.
@Suite struct MapApplicabilityTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("ForestTests/Fixtures/aoa").path

    static func table(_ name: String) throws -> CSVTable { try CSVTable.read(path: fixtures + "/" + name) }

    /// Rasters of the reference's new points, a model and the AOA learnt from the reference's training points.
    static func inputs(_ folder: String) throws -> (config: String, names: [String]) {
        let train = try table("aoa_train.csv"), new = try table("aoa_new.csv"), weightTable = try table("aoa_weights.csv")
        let names = try (0..<weightTable.rows.count).map { weightTable.rows[$0][try weightTable.requireColumn("feature")] }
        let weights = try weightTable.numericColumn(try weightTable.requireColumn("weight"))
        let training = try FeatureMatrix(columns: try names.map { ($0, try train.numericColumn(try train.requireColumn($0))) })
        let folds = try train.numericColumn(try train.requireColumn("fold")).map { Int($0) }
        let aoa = try AreaOfApplicability(training: training, weights: weights, folds: folds)
        try RunDocument.write(aoa, to: folder + "/aoa.json")
        // Any model over the same predictors: the DI does not depend on it.
        let response = try train.numericColumn(try train.requireColumn("mat")).map { 0.9 + 0.002 * $0 }
        let forest = try RandomForest.train(features: training, responses: response,
                                            parameters: ForestParameters(treeCount: 20, computePermutationImportance: false, keepQuantileData: true),
                                            threads: 1)
        try ForestModelFile.write(forest, to: folder + "/cl.sbf")
        let grid = try RasterGrid.covering(Extent(west: 0, south: 0, east: 50, north: 30), resolution: 1)
        #expect(grid.cellCount == new.rows.count)
        for name in names {
            try writeRaster(folder + "/\(name).tif", grid: grid, values: try new.numericColumn(try new.requireColumn(name)).map { Float($0) })
        }
        try writeRaster(folder + "/area.tif", grid: grid, values: (0..<grid.cellCount).map { Float(100 + $0 % 7) })
        try writeRaster(folder + "/socd.tif", grid: grid, values: (0..<grid.cellCount).map { Float(40 + $0 % 11) })
        let covariates = names.map { "\($0) = \"\($0).tif\"" }.joined(separator: "\n")
        let text = """
        [run]
        folder = "out"
        [grid]
        resolution = 1
        extent = [0, 0, 50, 30]
        [map]
        tile_rows = 4
        [topsoil]
        socd = "socd.tif"
        [covariates]
        \(covariates)
        [ecosystems.CL]
        model = "cl.sbf"
        applicability = "aoa.json"
        area = "area.tif"
        area_unit = "ha"
        """
        try text.write(toFile: folder + "/run.toml", atomically: true, encoding: .utf8)
        return (folder + "/run.toml", names)
    }

    @Test func dissimilarityAndApplicabilityMapsEqualCASTAndSplitTheStocks() throws {
        let folder = try temporaryFolder("aoa")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (config, _) = try Self.inputs(folder)
        let plan = try MapPlan(configuration: RunConfiguration.load(path: config))
        _ = try MapRun.run(plan: plan, options: MapRunOptions(threads: 2))
        let di = try readAll(plan.layout.map(.cropland, .dissimilarity)), flag = try readAll(plan.layout.map(.cropland, .applicability))
        let reference = try Self.table("aoa_new_di.csv")
        let expectedDI = try reference.numericColumn(try reference.requireColumn("DI"))
        let expectedFlag = try reference.numericColumn(try reference.requireColumn("AOA"))
        #expect(di.count == expectedDI.count)
        var mismatches: [String] = []
        for k in expectedDI.indices where abs(Double(di[k]) - expectedDI[k]) > 1e-6 * max(1, expectedDI[k]) || Double(flag[k]) != expectedFlag[k] {
            mismatches.append("cell \(k): DI \(di[k]) AOA \(flag[k]) vs CAST \(expectedDI[k]) \(expectedFlag[k])")
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) cells differ from CAST: \(mismatches.prefix(5))")
        #expect(expectedFlag.contains(0) && expectedFlag.contains(1))

        // Stocks inside the AOA: an independent Σ SOCD × area over the cells the AOA raster marks inside.
        let subsoil = try readAll(plan.layout.map(.cropland, .socDensity(layer: SOCLayer.subsoil)))
        let area = try readAll(plan.layout.map(.cropland, .areaHa))
        var inside = 0.0, insideArea = 0.0, all = 0.0
        for k in subsoil.indices where !subsoil[k].isNaN {
            all += Double(subsoil[k]) * Double(area[k])
            if flag[k] == 1 { inside += Double(subsoil[k]) * Double(area[k]); insideArea += Double(area[k]) }
        }
        let rows = try readStocks(plan.layout.path(.stocksTable))
        let row = try #require(rows.first { $0["ecosystem"] == "CL" && $0["layer"] == "20-100" })
        let reported = try #require(Double(row["stock_pg_inside_aoa"] ?? "")), reportedArea = try #require(Double(row["area_1e9_ha_inside_aoa"] ?? ""))
        #expect(abs(reported * 1e9 - inside) <= 1e-5 * inside, "inside-AOA stock \(reported) Pg vs Σ \(inside / 1e9)")
        #expect(abs(reportedArea * 1e9 - insideArea) <= 1e-6 * insideArea)
        #expect(inside < all && inside > 0)
    }

    @Test func shardedMapsEqualTheSingleRun() throws {
        let folder = try temporaryFolder("aoa-shards")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (config, _) = try Self.inputs(folder)
        let plan = try MapPlan(configuration: RunConfiguration.load(path: config))
        let single = plan.withRunFolder(folder + "/single")
        _ = try MapRun.run(plan: single, options: MapRunOptions(threads: 1))
        for index in 1...3 { _ = try MapRun.run(plan: plan, options: MapRunOptions(tile: (index, 3), threads: 2)) }
        _ = try MapMosaic.join(plan: plan, count: 3)
        for product in MapProduct.applicabilityProducts {
            let a = try readAll(plan.layout.map(.cropland, product)), b = try readAll(single.layout.map(.cropland, product))
            #expect(a.map(\.bitPattern) == b.map(\.bitPattern), "\(product.fileName(.cropland))")
        }
        #expect(try String(contentsOfFile: plan.layout.path(.stocksTable), encoding: .utf8)
                == String(contentsOfFile: single.layout.path(.stocksTable), encoding: .utf8))
    }
}
