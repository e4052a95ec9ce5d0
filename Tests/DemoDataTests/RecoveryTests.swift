import Essentials
import DemoData
import DepthFunctions
import Forest
import Foundation
import Rasters
import SoilProfiles
import Testing

/// Issue 6 item 4 in small form, on the library targets (not `soilbeta run`): from the 1° demo
/// built from the stand-in inputs, fit β per profile (METHOD.md §4), train a random forest per
/// ecosystem on the site covariates (METHOD.md §7), and check that the known truth is recovered.
///
/// Stated floors: 5-fold random CV R² ≥ 0.6 per ecosystem against the fitted β (the ceiling is
/// below 1: site noise SD 0.0015 and measurement noise ≈ 0.0013 against a true-β SD of ≈ 0.005);
/// area-weighted mean of the predicted β map within 0.001 of the area-weighted mean of the true β
/// map, per ecosystem.
@Suite("Demo recovery") struct RecoveryTests {
    @Test("random-forest β maps recover the true β of the demo")
    func recovery() throws {
        let demo = try BuiltDemo.get()
        let horizons = try readRows(demo.folder + "/horizons.csv")
        let grouped = try ProfileHorizonTable.grouping(profileIDs: horizons.map { $0["id"]! },
                                                       top: horizons.map { Double($0["top"]!)! },
                                                       bottom: horizons.map { Double($0["bottom"]!)! })
        let fits = try fitProfileBetas(grouped.table, soc: horizons.map { Double($0["soc"]!)! },
                                       bulkDensity: horizons.map { Double($0["bd"]!)! }).fits
        let fittedBeta = Dictionary(uniqueKeysWithValues: zip(grouped.ids, fits.map(\.beta)))
        let sites = try readRows(demo.folder + "/sites.csv")
        let names = DemoCovariates.names

        // The covariate rasters, read once (1° grid: 64 800 cells).
        let grid = try RasterGrid.covering(.global, resolution: 1)
        var rasterColumns: [[Double]] = []
        for name in names {
            let raster = try Raster(path: "\(demo.folder)/covariates/\(name).tif")
            rasterColumns.append(try raster.readRows(firstRow: 0, rowCount: grid.rows))
        }

        for ecosystem in Ecosystem.allCases {
            let mine = sites.filter { $0["ecosystem"] == ecosystem.rawValue && fittedBeta[$0["id"]!]!.isFinite }
            let features = try FeatureMatrix(columns: names.map { name in (name, mine.map { Double($0[name]!)! }) })
            let responses = mine.map { fittedBeta[$0["id"]!]! }
            let parameters = ForestParameters(treeCount: 100, seed: 42)
            let cv = try RandomForest.crossValidate(features: features, responses: responses,
                                                    scheme: .random(folds: 5), parameters: parameters, threads: 2)
            #expect(cv.pooled.r2 >= 0.6, "\(ecosystem): CV R² \(cv.pooled.r2)")

            // Predict on every cell with this ecosystem's area and covariates; compare area-weighted means.
            let forest = try RandomForest.train(features: features, responses: responses, parameters: parameters, threads: 2)
            let area = try Raster(path: "\(demo.folder)/area/\(ecosystem.code)_area.tif").readRows(firstRow: 0, rowCount: grid.rows)
            let truth = try Raster(path: "\(demo.folder)/truth/\(ecosystem.code)_beta_true.tif").readRows(firstRow: 0, rowCount: grid.rows)
            let cells = (0..<grid.cellCount).filter { area[$0] > 0 && truth[$0].isFinite }
            let cellFeatures = try FeatureMatrix(columns: names.indices.map { f in (names[f], cells.map { rasterColumns[f][$0] }) })
            let predicted = try forest.predict(cellFeatures, threads: 2)
            let weights = cells.map { area[$0] }
            let totalArea = weights.reduce(0, +)
            let meanPredicted = zip(predicted, weights).map { $0 * $1 }.reduce(0, +) / totalArea
            let meanTrue = zip(cells, weights).map { truth[$0] * $1 }.reduce(0, +) / totalArea
            #expect(abs(meanPredicted - meanTrue) < 0.001,
                    "\(ecosystem): mapped mean β \(meanPredicted), true \(meanTrue)")
            print("recovery \(ecosystem.rawValue): n=\(responses.count) CV R² \(cv.pooled.r2), mapped mean β \(meanPredicted) vs true \(meanTrue)")
        }
    }
}
