import Essentials
import Foundation
@testable import RunModel
import Testing

/// The one run configuration: decoded once, strict about keys and types, errors naming the key path.
@Suite struct RunConfigurationTests {
    static let path = "/tmp/soilbeta-config-test/run.toml"
    static let base = """
    [run]
    folder = "out"
    [profiles]
    horizons = "h.csv"
    [forest]
    features = ["mat", "clay"]

    """

    func decode(_ text: String) throws -> RunConfiguration { try RunConfiguration.decode(text: text, path: Self.path) }

    func key(of text: String) -> String? {
        do { _ = try decode(text); return nil } catch let error as ConfigError { return error.key } catch { return "\(error)" }
    }

    @Test func defaultsAndAbsolutePaths() throws {
        let configuration = try decode(Self.base)
        #expect(configuration.run.folder == "/tmp/soilbeta-config-test/out")
        #expect(configuration.profiles?.horizons == ["/tmp/soilbeta-config-test/h.csv"])
        #expect(configuration.profiles?.sites == [] && configuration.profiles?.preset == nil)
        #expect(configuration.forest?.trees == 500 && configuration.forest?.quantiles == [0.05, 0.95])
        #expect(configuration.grid.resolution == 1.0 / 12 && configuration.map.tileRows == 64)
        #expect(configuration.run.threads == nil && configuration.run.seed == 1)
    }

    @Test func profileDatabasePresetIsDecodedAndAnUnknownOneIsRefusedWithItsKeyPath() throws {
        let text = Self.base.replacingOccurrences(of: "horizons = \"h.csv\"",
                                                  with: "horizons = [\"orgc.csv\", \"bdfiod.csv\"]\nsites = \"profiles.csv\"\npreset = \"WoSIS\"")
        let profiles = try #require(try decode(text).profiles)
        #expect(profiles.preset == .wosis)
        #expect(profiles.horizons == ["/tmp/soilbeta-config-test/orgc.csv", "/tmp/soilbeta-config-test/bdfiod.csv"])
        #expect(profiles.sites == ["/tmp/soilbeta-config-test/profiles.csv"])
        let unknown = Self.base.replacingOccurrences(of: "horizons = \"h.csv\"", with: "horizons = \"h.csv\"\npreset = \"wosys\"")
        do { _ = try decode(unknown); Issue.record("accepted an unknown preset") } catch let error as ConfigError {
            #expect(error.key == "profiles.preset")
            #expect(error.message.contains("'wosys'") && error.message.contains("wosis, iscn, afsp"), "\(error)")
        }
        #expect(key(of: Self.base.replacingOccurrences(of: "horizons = \"h.csv\"", with: "horizons = \"h.csv\"\npreset = 3")) == "profiles.preset")
        #expect(key(of: Self.base.replacingOccurrences(of: "horizons = \"h.csv\"", with: "horizons = []")) == "profiles.horizons")
    }

    @Test func misspeltKeysAndSectionsAreRefusedWithTheirPath() {
        #expect(key(of: Self.base.replacingOccurrences(of: "[forest]\n", with: "[forest]\ntress = 10\n")) == "forest.tress")
        #expect(key(of: Self.base + "[bogus]\nx = 1\n") == "bogus")
        #expect(key(of: Self.base + "[topsoill]\nsoc = \"s.tif\"\n") == "topsoill")
        #expect(key(of: Self.base + "[grid]\nresolution = 1.0\nresolutoin = 2.0\n") == "grid.resolutoin")
    }

    @Test func mistypedValuesNameTheKeyAndTheTypes() throws {
        let text = Self.base + "[grid]\nresolution = \"fine\"\n"
        do { _ = try decode(text); Issue.record("accepted a string resolution") } catch let error as ConfigError {
            #expect(error.key == "grid.resolution")
            #expect(error.message.contains("wrong type") && error.message.contains("string"), "\(error)")
        }
        #expect(key(of: Self.base.replacingOccurrences(of: "horizons = \"h.csv\"", with: "horizons = 3")) == "profiles.horizons")
        #expect(key(of: Self.base.replacingOccurrences(of: "[forest]\n", with: "[forest]\ntrees = -1\n")) == "forest.trees")
        #expect(key(of: "[profiles\n") == "(syntax)")
    }

    @Test func integersAreAcceptedWhereNumbersAreExpected() throws {
        let configuration = try decode(Self.base.replacingOccurrences(of: "[forest]\n", with: "[forest]\nblock_deg = 5\nquantiles = [0, 1]\n"))
        #expect(configuration.forest?.blockDegrees == 5 && configuration.forest?.quantiles == [0, 1])
    }

    @Test func ecosystemTablesAcceptEverySpellingAndRefuseUnknownOnes() throws {
        let maps = "[topsoil]\nsocd = \"x.tif\"\n"
        let configuration = try decode(Self.base + maps + "[ecosystems.cropland]\narea = \"cl.tif\"\n[ecosystems.FL]\narea = \"fl.tif\"\narea_unit = \"ha\"\n")
        #expect(configuration.ecosystems.map(\.ecosystem) == [.cropland, .forestland])
        #expect(configuration.ecosystems[1].areaUnit == .hectares)
        #expect(key(of: Self.base + maps + "[ecosystems.shrubland]\narea = \"s.tif\"\n") == "ecosystems.shrubland")
        #expect(key(of: Self.base + maps + "[ecosystems.CL]\narea = \"a.tif\"\n[ecosystems.crop]\narea = \"b.tif\"\n") != nil)
        #expect(key(of: Self.base + maps + "[ecosystems.CL]\narea = \"a.tif\"\narea_unit = \"acres\"\n") == "ecosystems.CL.area_unit")
        // A full run maps its own models; a map-only configuration must name them.
        #expect(key(of: Self.base + maps + "[ecosystems.CL]\narea = \"a.tif\"\nmodel = \"m.sbf\"\n") == "ecosystems.CL.model")
        #expect(key(of: "[run]\nfolder = \"o\"\n" + maps + "[ecosystems.CL]\narea = \"a.tif\"\n") == "ecosystems.CL.model")
    }

    /// Inputs on which the bundled TOML parser stopped the process on an assertion (found by
    /// ConfigurationFuzzTests) are syntax errors with their line.
    @Test(arguments: ["[.forest]\n", "[\nx = 1\n", "[[[x]]map]\n", "x = [}]\n", "x = [1 , }]\n", "[é]\n",
                      "[run]\nseed = 1979-05-27 2\n", "x = \"a\u{0}b\"\n", "x = \"open\n"])
    func parserCrashersAreSyntaxErrors(text: String) {
        #expect(key(of: text) == "(syntax)", "\(text.debugDescription)")
    }

    @Test func bulkDensityLayerRastersAreFiveAbsolutePaths() throws {
        let five = Self.base.replacingOccurrences(of: "horizons = \"h.csv\"", with: "horizons = \"h.csv\"\nbd_rasters = [\"a.tif\", \"b.tif\", \"c.tif\", \"d.tif\", \"e.tif\"]")
        #expect(try decode(five).profiles?.bulkDensityLayerRasters.first == "/tmp/soilbeta-config-test/a.tif")
        let four = Self.base.replacingOccurrences(of: "horizons = \"h.csv\"", with: "horizons = \"h.csv\"\nbd_rasters = [\"a.tif\", \"b.tif\", \"c.tif\", \"d.tif\"]")
        #expect(key(of: four) == "profiles.bd_rasters")
    }
}
