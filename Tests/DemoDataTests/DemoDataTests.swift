import Essentials
import DemoData
import DepthFunctions
import Foundation
import Rasters
import SoilProfiles
import Testing

/// One 1° demo built from the stand-in inputs, shared by the tests (built once, lazily).
struct BuiltDemo: Sendable {
    let inputs: (modis: String, koppen: String)
    let folder: String
    let summary: DemoDataSummary

    static let shared: Result<BuiltDemo, Error> = Result {
        let root = try StandInInputs.temporaryFolder("shared")
        let inputs = try StandInInputs.write(into: root)
        let folder = root + "/demo"
        let summary = try DemoDataGenerator.generate(DemoDataOptions(
            modisPath: inputs.modis, koppenPath: inputs.koppen, outputFolder: folder, seed: 7,
            profileCount: 1221, resolutionDeg: 1, threadCount: 2))
        return BuiltDemo(inputs: inputs, folder: folder, summary: summary)
    }

    static func get() throws -> BuiltDemo { try shared.get() }
}

/// Reads a CSV as header-keyed rows.
func readRows(_ path: String) throws -> [[String: String]] {
    let table = try CSVTable.read(path: path)
    return table.rows.map { row in Dictionary(uniqueKeysWithValues: zip(table.header, row)) }
}

/// Area of a WGS84 ellipsoid cell, ha — closed form written out independently of the Rasters
/// target: zone area per radian = a²(1−e²)/2 · [q(φ₂) − q(φ₁)],
/// q(φ) = sinφ/(1−e²sin²φ) + 1/(2e)·ln((1+e sinφ)/(1−e sinφ)) (Snyder 1987, Eq. 3-12).
func referenceCellAreaHa(south: Double, north: Double, widthDeg: Double) -> Double {
    let a = 6_378_137.0, f = 1 / 298.257223563
    let e2 = f * (2 - f), e = e2.squareRoot()
    func q(_ latDeg: Double) -> Double {
        let s = sin(latDeg * .pi / 180)
        return s / (1 - e2 * s * s) + 1 / (2 * e) * log((1 + e * s) / (1 - e * s))
    }
    return a * a * (1 - e2) / 2 * (q(north) - q(south)) * (widthDeg * .pi / 180) / 10_000
}

@Suite("Demo data") struct DemoDataTests {
    @Test("profiles are split 758 : 244 : 219 as in the paper")
    func proportions() throws {
        #expect(DemoDataGenerator.profileCounts(total: 1221) == [.cropland: 758, .grassland: 244, .forestland: 219])
        let small = DemoDataGenerator.profileCounts(total: 100)
        #expect(small == [.cropland: 62, .grassland: 20, .forestland: 18])
        let demo = try BuiltDemo.get()
        let sites = try readRows(demo.folder + "/sites.csv")
        #expect(sites.count == 1221)
        #expect(sites.filter { $0["ecosystem"] == "cropland" }.count == 758)
        #expect(sites.filter { $0["ecosystem"] == "grassland" }.count == 244)
        #expect(sites.filter { $0["ecosystem"] == "forestland" }.count == 219)
        #expect(sites.allSatisfy { $0["study"]?.hasPrefix("DEMO-R") == true })
        #expect(Set(sites.map { $0["study"] ?? "" }).count >= 10, "regions as studies for the mixed-model baseline")
        #expect(Set(sites.map { $0["id"]! }).count == 1221)
    }

    @Test("every profile sits on a cell with its ecosystem's area and carries the cell's covariates")
    func sitesOnTheirEcosystem() throws {
        let demo = try BuiltDemo.get()
        let sites = try readRows(demo.folder + "/sites.csv")
        for ecosystem in Ecosystem.allCases {
            let mine = sites.filter { $0["ecosystem"] == ecosystem.rawValue }
            let lon = mine.map { Double($0["lon"]!)! }, lat = mine.map { Double($0["lat"]!)! }
            let areas = try SiteSampler(path: "\(demo.folder)/area/\(ecosystem.code)_area.tif").sample(longitudes: lon, latitudes: lat)
            #expect(areas.values.allSatisfy { ($0 ?? 0) > 0 }, "\(ecosystem) sites outside \(ecosystem) area")
            let truth = try SiteSampler(path: "\(demo.folder)/truth/\(ecosystem.code)_beta_true.tif").sample(longitudes: lon, latitudes: lat)
            #expect(truth.noDataCount == 0)
            for name in DemoCovariates.names {
                let sampled = try SiteSampler(path: "\(demo.folder)/covariates/\(name).tif").sample(longitudes: lon, latitudes: lat)
                let table = mine.map { Double($0[name]!)! }
                #expect(sampled.values.map { $0 ?? .nan } == table, "\(name): table differs from the raster at the sites")
            }
        }
    }

    @Test("horizons: 4–8 per profile, down to at least 100 cm, contiguous from 0")
    func horizonShape() throws {
        let demo = try BuiltDemo.get()
        let horizons = try readRows(demo.folder + "/horizons.csv")
        let byProfile = Dictionary(grouping: horizons, by: { $0["id"]! })
        #expect(byProfile.count == 1221)
        for (_, rows) in byProfile {
            #expect((4...8).contains(rows.count))
            let tops = rows.map { Double($0["top"]!)! }, bottoms = rows.map { Double($0["bottom"]!)! }
            #expect(tops.first == 0)
            #expect(bottoms.last! >= 100)
            #expect(zip(tops.dropFirst(), bottoms).allSatisfy { $0 == $1 })
        }
        #expect(demo.summary.horizonCount == horizons.count)
    }

    @Test("β fitted back from the horizons recovers the true β the profiles were generated with")
    func betaRecovery() throws {
        let demo = try BuiltDemo.get()
        let horizons = try readRows(demo.folder + "/horizons.csv")
        let grouped = try ProfileHorizonTable.grouping(profileIDs: horizons.map { $0["id"]! },
                                                       top: horizons.map { Double($0["top"]!)! },
                                                       bottom: horizons.map { Double($0["bottom"]!)! })
        let result = try fitProfileBetas(grouped.table, soc: horizons.map { Double($0["soc"]!)! },
                                         bulkDensity: horizons.map { Double($0["bd"]!)! })
        let truth = Dictionary(uniqueKeysWithValues: try readRows(demo.folder + "/truth/sites_beta.csv").map {
            ($0["id"]!, (true: Double($0["beta_true"]!)!, profile: Double($0["beta_profile"]!)!))
        })
        var fitted: [Double] = [], trueValues: [Double] = [], profileValues: [Double] = []
        for (index, id) in grouped.ids.enumerated() {
            let fit = result.fits[index]
            guard fit.status == .ok, fit.beta.isFinite else { continue }
            fitted.append(fit.beta)
            trueValues.append(truth[id]!.true)
            profileValues.append(truth[id]!.profile)
        }
        #expect(fitted.count >= 1200, "β fitted for \(fitted.count) profiles only")
        func rmse(_ a: [Double], _ b: [Double]) -> Double {
            (zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Double(a.count)).squareRoot()
        }
        func correlation(_ a: [Double], _ b: [Double]) -> Double {
            let ma = a.reduce(0, +) / Double(a.count), mb = b.reduce(0, +) / Double(b.count)
            let cov = zip(a, b).map { ($0 - ma) * ($1 - mb) }.reduce(0, +)
            let va = a.map { ($0 - ma) * ($0 - ma) }.reduce(0, +), vb = b.map { ($0 - mb) * ($0 - mb) }.reduce(0, +)
            return cov / (va * vb).squareRoot()
        }
        // Measurement noise (5 % CV per horizon) only: the fit should be within ~0.001 of the profile's β.
        let profileRMSE = rmse(fitted, profileValues)
        #expect(profileRMSE < 0.002, "RMSE fitted vs profile β \(profileRMSE)")
        // Plus site noise (SD 0.0015): still close to the true function, and strongly correlated.
        let trueRMSE = rmse(fitted, trueValues)
        #expect(trueRMSE < 0.0025, "RMSE fitted vs true β \(trueRMSE)")
        #expect(correlation(fitted, trueValues) > 0.8)
        let meanBias = zip(fitted, trueValues).map { $0 - $1 }.reduce(0, +) / Double(fitted.count)
        #expect(abs(meanBias) < 0.0006, "mean bias \(meanBias)")
    }

    @Test("ecosystem areas are class fractions × WGS84 cell area (12 → cropland, ½ × 14, 10 → grassland, 2 → forest)")
    func exactAreas() throws {
        let demo = try BuiltDemo.get()
        // Cell lon 5…6, lat 35…36 (1° grid: column 185, row 54).
        let cellHa = referenceCellAreaHa(south: 35, north: 36, widthDeg: 1)
        func value(_ code: String, lon: Double) throws -> Double {
            let raster = try Raster(path: "\(demo.folder)/area/\(code)_area.tif")
            return try raster.value(column: Int(lon + 180), row: 54)!
        }
        #expect(abs(try value("CL", lon: 5) / cellHa - 1) < 1e-5)
        #expect(abs(try value("CL", lon: 25) / (0.5 * cellHa) - 1) < 1e-5)
        #expect(try value("GL", lon: 25) == 0)
        #expect(abs(try value("GL", lon: 45) / cellHa - 1) < 1e-5)
        #expect(abs(try value("FL", lon: 65) / cellHa - 1) < 1e-5)
        #expect(try value("CL", lon: -25) == 0)
        let land = try Raster(path: "\(demo.folder)/land.tif")
        #expect(try land.value(column: 185, row: 54) == 1)
        #expect(try land.value(column: Int(-25.0 + 180), row: 54) == 0)
        // Water column: no covariates (ocean nodata) unless the Köppen–Geiger stand-in has land there.
        let soc = try Raster(path: "\(demo.folder)/covariates/soc.tif")
        #expect(try soc.value(column: Int(-25.0 + 180), row: 54) == nil)
        #expect(try soc.value(column: 185, row: 54) != nil)
    }

    @Test("rasters are labelled DEMO, on the global grid, with units")
    func labelling() throws {
        let demo = try BuiltDemo.get()
        let grid = try RasterGrid.covering(.global, resolution: 1)
        var paths = ["land.tif"] + DemoCovariates.names.map { "covariates/\($0).tif" }
        paths += Ecosystem.allCases.flatMap { ["area/\($0.code)_area.tif", "truth/\($0.code)_beta_true.tif"] }
        for path in paths {
            let raster = try Raster(path: "\(demo.folder)/\(path)")
            #expect(raster.grid.columns == grid.columns && raster.grid.rows == grid.rows)
            #expect(raster.grid.crs.isGeographicWGS84)
            #expect(raster.metadataItem("SOILBETA_DEMO")?.hasPrefix("DEMO") == true, "\(path) not labelled DEMO")
            #expect(try raster.bandDescription().contains("DEMO"))
            #expect(!(try raster.unit()).isEmpty)
        }
        let contents = try FileManager.default.contentsOfDirectory(atPath: demo.folder)
        #expect(!contents.contains(".work"))
    }

    @Test("same seed → identical files for 1 and 2 threads; another seed → other profiles")
    func determinism() throws {
        let demo = try BuiltDemo.get()
        let root = try StandInInputs.temporaryFolder("determinism")
        defer { try? FileManager.default.removeItem(atPath: root) }
        _ = try DemoDataGenerator.generate(DemoDataOptions(modisPath: demo.inputs.modis, koppenPath: demo.inputs.koppen,
                                                           outputFolder: root + "/again", seed: 7, profileCount: 1221,
                                                           resolutionDeg: 1, threadCount: 1))
        let files = FileManager.default.enumerator(atPath: demo.folder)!.compactMap { $0 as? String }
            .filter { $0.hasSuffix(".tif") || $0.hasSuffix(".csv") }.sorted()
        #expect(files.count == 3 + 1 + 11 + 2 + 3 + 3, "areas, land, covariates, topsoil SDs, truth rasters, tables")
        for file in files {
            let first = try Data(contentsOf: URL(fileURLWithPath: "\(demo.folder)/\(file)"))
            let second = try Data(contentsOf: URL(fileURLWithPath: "\(root)/again/\(file)"))
            #expect(first == second, "\(file) differs between runs with the same seed")
        }
        _ = try DemoDataGenerator.generate(DemoDataOptions(modisPath: demo.inputs.modis, koppenPath: demo.inputs.koppen,
                                                           outputFolder: root + "/other", seed: 8, profileCount: 60,
                                                           resolutionDeg: 1, threadCount: 2))
        let otherSites = try String(contentsOfFile: root + "/other/sites.csv", encoding: .utf8)
        let firstSites = try String(contentsOfFile: demo.folder + "/sites.csv", encoding: .utf8)
        #expect(otherSites.split(separator: "\n")[1] != firstSites.split(separator: "\n")[1])
    }

    @Test("bad inputs and an existing output folder fail clearly and leave nothing behind")
    func errors() throws {
        let demo = try BuiltDemo.get()
        let root = try StandInInputs.temporaryFolder("errors")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let missing = root + "/nope.tif"
        #expect(throws: DemoDataError.invalidInput(path: missing, reason: "MODIS land cover raster not found (run scripts/fetch-demo-inputs.sh)")) {
            try DemoDataGenerator.generate(DemoDataOptions(modisPath: missing, koppenPath: demo.inputs.koppen,
                                                           outputFolder: root + "/out", resolutionDeg: 1))
        }
        #expect(throws: DemoDataError.outputExists(path: demo.folder)) {
            try DemoDataGenerator.generate(DemoDataOptions(modisPath: demo.inputs.modis, koppenPath: demo.inputs.koppen,
                                                           outputFolder: demo.folder, resolutionDeg: 1))
        }
        #expect(throws: DemoDataError.self) {
            try DemoDataGenerator.generate(DemoDataOptions(modisPath: demo.inputs.modis, koppenPath: demo.inputs.koppen,
                                                           outputFolder: root + "/out", resolutionDeg: 0.7))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: root).isEmpty)
    }
}

@Suite("True β function and covariate model") struct TrueBetaTests {
    /// Covariates at the function's reference point, where every term vanishes (demo/README.md).
    static func reference() -> DemoCovariates {
        DemoCovariates(socGPerKg: 15, carbonNitrogenRatio: 11.5, meanAnnualTemperatureC: 12, microbialNitrogenMgPerKg: 40,
                       meanAnnualPrecipitationMm: 800, bulkDensityGPerCm3: 1.3, microbialCarbonMgPerKg: 300,
                       clayPercent: 25, totalNitrogenGPerKg: 1.4, pH: 7, microbialCarbonNitrogenRatio: 7)
    }

    @Test("at the reference point β is the ecosystem intercept; hand-computed values elsewhere")
    func closedForm() {
        let c = Self.reference()
        // Below the bound the saturation lowers β by w·ln(1 + exp(−(U − β)/w)): 3.97e-6 at 0.9736.
        #expect(abs(DemoTrueBeta.saturated(0.9736) - (0.9736 - 0.0015 * log(1 + exp(-(0.9825 - 0.9736) / 0.0015)))) < 1e-12)
        #expect(abs(0.0015 * log(1 + exp(-(0.9825 - 0.9736) / 0.0015)) - 3.97e-6) < 1e-8)
        #expect(abs(DemoTrueBeta.saturated(DemoTrueBeta.bounds.upper) - (DemoTrueBeta.bounds.upper - 0.0015 * log(2))) < 1e-12)
        #expect(DemoTrueBeta.saturated(1.2) <= DemoTrueBeta.bounds.upper && DemoTrueBeta.saturated(0.5) == DemoTrueBeta.bounds.lower)
        #expect(abs(DemoTrueBeta.beta(c, ecosystem: .cropland) - DemoTrueBeta.saturated(0.9736)) < 1e-12)
        #expect(abs(DemoTrueBeta.beta(c, ecosystem: .grassland) - DemoTrueBeta.saturated(0.9710)) < 1e-12)
        #expect(abs(DemoTrueBeta.beta(c, ecosystem: .forestland) - DemoTrueBeta.saturated(0.9721)) < 1e-12)
        // MAT 25 °C: 0.0003 × 13 + 0.00025 × 5 = 0.00515.
        var hot = c
        hot.meanAnnualTemperatureC = 25
        #expect(abs(DemoTrueBeta.beta(hot, ecosystem: .cropland) - DemoTrueBeta.saturated(0.9736 + 0.00515)) < 1e-12)
        // pH 5: 0.0025 × 1.
        var acid = c
        acid.pH = 5
        #expect(abs(DemoTrueBeta.beta(acid, ecosystem: .cropland) - DemoTrueBeta.saturated(0.9736 + 0.0025)) < 1e-12)
        // clay has no effect.
        var clayey = c
        clayey.clayPercent = 60
        #expect(DemoTrueBeta.beta(clayey, ecosystem: .forestland) == DemoTrueBeta.beta(c, ecosystem: .forestland))
    }

    @Test("generator parameter: a noise-free profile with decay b fits (METHOD.md §4) to the wanted β")
    func generatorParameter() throws {
        let table = try GeneratorParameterTable()
        // Closed form of the normalised cumulative proportions, fitted by a dense scan over β
        // (independent of the DepthFunctions optimiser): argmin Σ_d [Y(d) − (1 − β^d)]².
        func scanFit(_ b: Double) -> Double {
            let depths = [20.0, 40, 60, 80, 100]
            let y = depths.map { (1 - pow(b, $0)) / (1 - pow(b, 100)) }
            var best = (beta: 0.0, loss: Double.infinity)
            var beta = 0.93
            while beta < 0.999 {
                var loss = 0.0
                for (depth, proportion) in zip(depths, y) {
                    let residual = proportion - (1 - pow(beta, depth))
                    loss += residual * residual
                }
                if loss < best.loss { best = (beta, loss) }
                beta += 0.000001
            }
            return best.beta
        }
        for wanted in [0.9645, 0.9756, DemoTrueBeta.bounds.upper] {
            let b = table.generatorParameter(forFittedBeta: wanted)
            #expect(b > wanted, "the untruncated decay must exceed the fitted β")
            #expect(abs(scanFit(b) - wanted) < 2e-6, "b \(b) fits to \(scanFit(b)), wanted \(wanted)")
        }
    }

    @Test("directions of the paper's Sect. 3.2")
    func directions() {
        let c = Self.reference()
        func beta(_ change: (inout DemoCovariates) -> Void) -> Double {
            var changed = c
            change(&changed)
            return DemoTrueBeta.beta(changed, ecosystem: .cropland)
        }
        let base = DemoTrueBeta.beta(c, ecosystem: .cropland)
        #expect(beta { $0.meanAnnualTemperatureC = 18 } > base)                                  // MAT ↑
        #expect(beta { $0.meanAnnualTemperatureC = 24 } - beta { $0.meanAnnualTemperatureC = 22 }
                > beta { $0.meanAnnualTemperatureC = 16 } - beta { $0.meanAnnualTemperatureC = 14 })  // steeper > 20 °C
        #expect(beta { $0.meanAnnualPrecipitationMm = 1400 } < base)                             // MAP ↑ to 1500: β ↓
        #expect(beta { $0.meanAnnualPrecipitationMm = 2500 } > beta { $0.meanAnnualPrecipitationMm = 1500 })
        #expect(beta { $0.socGPerKg = 30 } < base && beta { $0.socGPerKg = 60 } > beta { $0.socGPerKg = 40 })  // U, min 40
        #expect(beta { $0.microbialCarbonMgPerKg = 200 } < beta { $0.microbialCarbonMgPerKg = 100 })
        #expect(beta { $0.microbialCarbonMgPerKg = 200 } < beta { $0.microbialCarbonMgPerKg = 400 })
        #expect(beta { $0.microbialNitrogenMgPerKg = 30 } < beta { $0.microbialNitrogenMgPerKg = 10 })
        #expect(beta { $0.microbialNitrogenMgPerKg = 30 } < beta { $0.microbialNitrogenMgPerKg = 60 })
        #expect(beta { $0.microbialCarbonNitrogenRatio = 9 } > base)
        #expect(beta { $0.totalNitrogenGPerKg = 3 } < base)
        #expect(beta { $0.carbonNitrogenRatio = 15 } < base)
        #expect(beta { $0.pH = 6.5 } == beta { $0.pH = 7.5 })
        #expect(beta { $0.pH = 9 } > base && beta { $0.pH = 5 } > base)
    }

    @Test("covariate model: ranges, TN = SOC/CN, MBN = MBC/ratio, ocean → nil, pure function of place")
    func covariateModel() throws {
        let model = DemoCovariateModel(seed: 3)
        #expect(model.covariates(zoneFractions: [0, 0, 0, 0, 0], lonDeg: 10, latDeg: 10) == nil)
        var random = SplitMix64(seed: 11)
        for _ in 0..<2000 {
            let fractions = (0..<5).map { _ in random.uniform() < 0.5 ? 0 : random.uniform() }
            guard fractions.reduce(0, +) > 0 else { continue }
            let lon = random.uniform(-180, 180), lat = random.uniform(-60, 80)
            let c = try #require(model.covariates(zoneFractions: fractions, lonDeg: lon, latDeg: lat))
            #expect((-30...30).contains(c.meanAnnualTemperatureC))
            #expect((30...4500).contains(c.meanAnnualPrecipitationMm))
            #expect((1.5...150).contains(c.socGPerKg))
            #expect((0.7...1.75).contains(c.bulkDensityGPerCm3))
            #expect((3.8...9.3).contains(c.pH))
            #expect(abs(c.totalNitrogenGPerKg - c.socGPerKg / c.carbonNitrogenRatio) < 1e-5 * c.totalNitrogenGPerKg)
            #expect(abs(c.microbialNitrogenMgPerKg - c.microbialCarbonMgPerKg / c.microbialCarbonNitrogenRatio)
                    < 1e-5 * c.microbialNitrogenMgPerKg)
            #expect(c == model.covariates(zoneFractions: fractions, lonDeg: lon, latDeg: lat))
        }
        // Tropical cells are warmer and wetter than polar ones; arid ones have the highest pH.
        let tropical = try #require(model.covariates(zoneFractions: [1, 0, 0, 0, 0], lonDeg: 20, latDeg: 5))
        let arid = try #require(model.covariates(zoneFractions: [0, 1, 0, 0, 0], lonDeg: 20, latDeg: 25))
        let polar = try #require(model.covariates(zoneFractions: [0, 0, 0, 0, 1], lonDeg: 20, latDeg: 70))
        #expect(tropical.meanAnnualTemperatureC > polar.meanAnnualTemperatureC + 15)
        #expect(tropical.meanAnnualPrecipitationMm > arid.meanAnnualPrecipitationMm)
        #expect(arid.pH > tropical.pH)
    }
}
