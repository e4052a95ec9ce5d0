import DepthFunctions
import Essentials
import Foundation
import Testing
@testable import SoilProfiles

/// `--preset wosis|iscn|afsp` on hand-made files in each database's published layout (Fixtures/presets,
/// see PROVENANCE.md there): the same invented profiles are also written in canonical form, and the preset
/// must read the same depths, SOC (g/kg), BD (g/cm³), CF (vol %) and coordinates, and give the same β.
@Suite struct ProfilePresetTests {
    private static func fixture(_ name: String, filePath: String = #filePath) -> String {
        URL(fileURLWithPath: filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/presets/\(name)").path
    }

    /// Horizons of a table keyed by profile id and sorted by depth: (top, bottom, soc, bd, cf).
    private func horizons(_ table: HorizonTable) -> [String: [[Double]]] {
        var result: [String: [[Double]]] = [:]
        for (p, id) in table.profileIDs.enumerated() {
            result[id] = table.horizons(ofProfile: p).map { i in
                [table.topCm[i], table.bottomCm[i]] + ["soc", "bd", "cf"].map { name in table.variableIndex(name).map { table.values[$0][i] } ?? -1 }
            }.sorted { $0[0] < $1[0] }
        }
        return result
    }

    /// Compares with NaN equal to NaN.
    private func same(_ a: [String: [[Double]]], _ b: [String: [[Double]]]) -> Bool {
        a.keys.sorted() == b.keys.sorted() && a.keys.allSatisfy { key in
            let (x, y) = (a[key] ?? [], b[key] ?? [])
            return x.count == y.count && zip(x, y).allSatisfy { row in
                row.0.count == row.1.count && zip(row.0, row.1).allSatisfy { ($0.isNaN && $1.isNaN) || abs($0 - $1) <= 1e-12 }
            }
        }
    }

    private func sites(_ table: HorizonTable) -> [String: [Double]] {
        Dictionary(uniqueKeysWithValues: zip(table.profileIDs, table.sites.map { [$0.longitudeDeg ?? .nan, $0.latitudeDeg ?? .nan] }))
    }

    private func betas(_ table: HorizonTable) throws -> [String: [Double]] {
        let run = try ProfileRuns.beta(table, threadCount: 1)
        return Dictionary(uniqueKeysWithValues: run.profiles.map { ($0.id, [$0.beta, $0.rmse] + $0.layerDensitiesMgPerHa) })
    }

    private func check(preset: ProfilePreset, horizonFiles: [String], siteFiles: [String] = [], canonical: String, cf: Bool) throws {
        let optional = cf ? ["cf"] : []
        let loaded = try ProfileInput(horizonPaths: horizonFiles.map { Self.fixture($0) }, sitePaths: siteFiles.map { Self.fixture($0) }, preset: preset)
            .read(variables: ["soc", "bd"], optionalVariables: optional)
        let reference = try ProfileInput(horizonPaths: [Self.fixture(canonical)]).read(variables: ["soc", "bd"], optionalVariables: optional)
        #expect(loaded.variables.sorted() == reference.variables.sorted())
        #expect(same(horizons(loaded), horizons(reference)), "\(horizons(loaded)) vs \(horizons(reference))")
        #expect(sites(loaded) == sites(reference))
        #expect(loaded.issues.filter { $0.action != .warning }.isEmpty, "\(loaded.issues)")
        let (beta, expected) = (try betas(loaded), try betas(reference))
        #expect(beta.count == 2 && beta.values.allSatisfy { !$0[0].isNaN })
        #expect(beta == expected)
    }

    @Test func wosisLatestPropertyFilesAreMergedByLayerWithTheProfilesLayerAsSites() throws {
        try check(preset: .wosis, horizonFiles: ["wosis_latest_orgc.tsv", "wosis_latest_bdfiod.csv", "wosis_latest_cfvo.csv"],
                  siteFiles: ["wosis_latest_profiles.csv"], canonical: "canonical_wosis.csv", cf: true)
    }

    @Test func wosisCoordinatesComeFromThePointGeometryWithoutTheProfilesLayer() throws {
        let table = try ProfileInput(horizonPaths: ["wosis_latest_bdfiod.csv", "wosis_latest_orgc.tsv"].map { Self.fixture($0) }, preset: .wosis)
            .read(variables: ["soc", "bd"])
        #expect(sites(table)["61207"] == [-1.25, 7.75])
        #expect(table.sources.count == 2 && table.source.hasSuffix("wosis_latest_bdfiod.csv"))
        // Horizons are first seen in the BD file here, so their findings point there.
        #expect(table.source(ofHorizon: 0).hasSuffix("wosis_latest_bdfiod.csv"))
    }

    @Test func iscn3LayerTableWithPercentCarbonAndSemicolons() throws {
        try check(preset: .iscn, horizonFiles: ["ISCN3_layer.csv"], canonical: "canonical_iscn.csv", cf: false)
    }

    @Test func afspLayersAndProfilesWithMissingValueCode() throws {
        try check(preset: .afsp, horizonFiles: ["AfSP012Qry_Layers.csv"], siteFiles: ["AfSP012Qry_Profiles.csv"],
                  canonical: "canonical_afsp.csv", cf: true)
    }

    @Test func explicitColumnsAndUnitsOverrideThePreset() throws {
        let text = "profile_name;layer_top (cm);layer_bot (cm);oc (percent);carbon_gkg;bd_samp (g cm-3)\np;0;10;9;12;1.1\n"
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("preset-override-\(UUID().uuidString).csv").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let renamed = try ProfileInput(horizonPaths: [path], preset: .iscn, columnPairs: ["soc=carbon_gkg"], unitPairs: ["soc": "g/kg"])
            .read(variables: ["soc", "bd"])
        #expect(renamed.values[0] == [12])
        let percent = try ProfileInput(horizonPaths: [path], preset: .iscn, unitPairs: ["depth": "cm"]).read(variables: ["soc"])
        #expect(percent.values[0] == [90])
    }

    @Test func layersWhoseDepthsDifferBetweenFilesAreReportedAndTheFirstDepthsKept() throws {
        let orgc = try CSVTable.parse(text: "profile_id,profile_layer_id,upper_depth,lower_depth,orgc_value_avg\n7,71,0,20,12\n", source: "orgc.csv")
        let bd = try CSVTable.parse(text: "profile_id,profile_layer_id,upper_depth,lower_depth,bdfiod_value_avg\n7,71,0,25,1.3\n7,72,25,50,1.4\n",
                                    source: "bd.csv")
        let files = try [orgc, bd].map { HorizonFile(csv: $0, mapping: try ProfilePreset.wosis.mapping(forHeader: $0.header)) }
        let table = try HorizonTable(files: files, options: HorizonReadOptions(variables: ["soc", "bd"]))
        #expect(table.bottomCm == [20, 50] && table.values[1] == [1.3, 1.4])
        #expect(table.values[0][0] == 12 && table.values[0][1].isNaN)
        let conflict = try #require(table.issues.first { $0.action == .warning && $0.file == "bd.csv" })
        #expect(conflict.line == 2 && conflict.field == "top [upper_depth]" && conflict.reason.contains("orgc.csv:2"), "\(conflict)")
        #expect(table.source(ofHorizon: 1) == "bd.csv" && table.lineOfHorizon == [2, 3])
    }

    @Test func severalFilesNeedALayerColumnAndBadValuesNameTheirOwnFile() throws {
        let a = try CSVTable.parse(text: "id,top,bottom,soc\np,0,10,5\n", source: "a.csv")
        let b = try CSVTable.parse(text: "id,top,bottom,bd\np,0,10,x\n", source: "b.csv")
        let options = HorizonReadOptions(variables: ["soc", "bd"])
        #expect(throws: FileError.self) { try HorizonTable(files: [a, b].map { HorizonFile(csv: $0, mapping: ColumnMapping()) }, options: options) }
        let layered = try ["id,layer,top,bottom,soc\np,1,0,10,5\n", "id,layer,top,bottom,bd\np,1,0,10,x\n"].enumerated().map {
            HorizonFile(csv: try CSVTable.parse(text: $0.element, source: "f\($0.offset).csv"), mapping: ColumnMapping())
        }
        do { _ = try HorizonTable(files: layered, options: options); Issue.record("accepted a non-numeric BD") } catch let error as FileError {
            #expect(error.file == "f1.csv" && error.line == 2 && error.field == "bd", "\(error)")
        }
    }

    @Test func presetNamesAreCheckedAndListed() throws {
        #expect(try ProfilePreset(name: " AfSP ") == .afsp)
        #expect(throws: ProfilePresetError.self) { try ProfilePreset(name: "wise") }
        #expect(ProfilePresetError(name: "wise").description.contains("wosis, iscn, afsp"))
    }
}
