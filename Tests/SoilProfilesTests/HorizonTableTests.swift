import Essentials
import Foundation
import Testing
@testable import SoilProfiles

@Suite struct HorizonTableTests {
    private func table(_ text: String, variables: [String] = ["soc", "bd"], columns: [String] = []) throws -> HorizonTable {
        try HorizonTable(csv: CSVTable.parse(text: text, source: "h.csv"),
                         options: HorizonReadOptions(variables: variables, mapping: ColumnMapping(pairs: columns)))
    }

    @Test func groupsNonContiguousProfilesInFirstAppearanceOrder() throws {
        let horizons = try table("""
        id,top,bottom,soc,bd
        b,0,10,20,1.2
        a,0,20,10,1.3
        b,10,30,15,1.4
        """)
        #expect(horizons.profileIDs == ["b", "a"])
        #expect(horizons.profileStart == [0, 2, 3])
        #expect(horizons.topCm == [0, 10, 0])
        #expect(horizons.values[0] == [20, 15, 10])
        #expect(horizons.lineOfHorizon == [2, 4, 3])
    }

    @Test func mapsForeignHeaders() throws {
        let horizons = try table("""
        profile,UHDICM,LHDICM,ORCDRC,BLD
        p1,0,10,12.5,1.1
        """, columns: ["id=profile", "top=UHDICM", "bottom=LHDICM", "soc=ORCDRC", "bd=BLD"])
        #expect(horizons.values[0] == [12.5] && horizons.values[1] == [1.1])
    }

    @Test func socFromSOMWhereSOCIsMissing() throws {
        let fromGrams = try table("id,top,bottom,soc,som,bd\np,0,10,,50,1\np,10,20,7,50,1\n")
        #expect(fromGrams.values[0][0] == 0.58 * 50)
        #expect(fromGrams.values[0][1] == 7)
        #expect(fromGrams.socFromSOMCount == 1)
        let fromPercent = try table("id,top,bottom,som_pct,bd\np,0,10,3,1\n")
        #expect(abs(fromPercent.values[0][0] - 17.4) < 1e-12)
    }

    @Test func missingRequiredColumnIsAnErrorNamingIt() {
        do {
            _ = try table("id,top,bottom,bd\np,0,10,1\n")
            Issue.record("accepted a file without soc")
        } catch let error as FileError {
            #expect(error.field == "soc" && error.file == "h.csv")
            #expect(error.message.contains("som_pct"))
        } catch { Issue.record("\(error)") }
    }

    @Test func nonNumericValueIsAnErrorNamingLineAndField() {
        do {
            _ = try table("id,top,bottom,soc,bd\np,0,10,1.2,1\np,10,20,abc,1\n")
            Issue.record("accepted a non-number")
        } catch let error as FileError {
            #expect(error.line == 3 && error.field == "soc")
        } catch { Issue.record("\(error)") }
    }

    @Test func outOfRangeValuesAreDroppedAndReported() throws {
        let horizons = try table("id,top,bottom,soc,bd\np,0,10,-1,3.1\np,10,20,10,0\n")
        #expect(horizons.values[0][0].isNaN && horizons.values[1][0].isNaN && horizons.values[1][1].isNaN)
        #expect(horizons.issues.count == 3)
        #expect(horizons.issues.allSatisfy { $0.action == .valueDropped })
        #expect(horizons.issues.map(\.line) == [2, 2, 3])
        #expect(horizons.issues.map(\.field) == ["soc", "bd", "bd"])
    }

    @Test func rowsWithoutIdAreDroppedAndMissingDepthsKeptForTheSplineChecks() throws {
        let horizons = try table("id,top,bottom,soc,bd\n,0,10,1,1\np,,10,1,1\np,10,NA,1,1\n")
        #expect(horizons.horizonCount == 2)
        #expect(horizons.topCm[0].isNaN && horizons.bottomCm[1].isNaN)
        #expect(horizons.issues.map(\.line) == [2])
        #expect(horizons.issues.map(\.action) == [.horizonDropped])
    }

    @Test func siteColumnsAreValidated() throws {
        let horizons = try table("""
        id,top,bottom,soc,bd,lon,lat,ecosystem,study
        a,0,10,1,1,10.5,50.1,Cropland,Smith 2020
        a,10,20,1,1,10.5,50.1,forest,
        b,0,10,1,1,200,95,tundra,
        """)
        #expect(horizons.sites[0] == SiteAttributes(longitudeDeg: 10.5, latitudeDeg: 50.1, ecosystem: .cropland, study: "Smith 2020"))
        #expect(horizons.sites[1] == SiteAttributes())
        #expect(horizons.issues.map(\.field) == ["ecosystem", "lon", "lat", "ecosystem"])
        #expect(horizons.issues.map(\.line) == [3, 4, 4, 4])
    }

    @Test func separateSiteTableWins() throws {
        var horizons = try table("id,top,bottom,soc,bd,ecosystem\na,0,10,1,1,cropland\n")
        try horizons.mergeSites(CSVTable.parse(text: "id,lon,lat,ecosystem\na,1,2,GL\nz,0,0,CL\n", source: "s.csv"))
        #expect(horizons.sites[0] == SiteAttributes(longitudeDeg: 1, latitudeDeg: 2, ecosystem: .grassland))
        #expect(horizons.issues.count == 1 && horizons.issues[0].file == "s.csv" && horizons.issues[0].line == 3)
    }

    /// An id with a trailing non-breaking space (from a spreadsheet) was matched in one table and not the other.
    @Test func idWithTrailingNonBreakingSpaceMatchesItsSite() throws {
        var horizons = try table("id,top,bottom,soc,bd\na\u{00A0},0,10,1,1\n")
        try horizons.mergeSites(CSVTable.parse(text: "id,lon,lat,ecosystem\na,1,2,GL\n", source: "s.csv"))
        #expect(horizons.profileIDs == ["a"])
        #expect(horizons.sites[0] == SiteAttributes(longitudeDeg: 1, latitudeDeg: 2, ecosystem: .grassland))
        #expect(horizons.issues.isEmpty)
    }

    /// `--column carbon=…` with an unknown canonical name was silently a no-op.
    @Test func unknownCanonicalColumnNameIsRefusedListingTheValidOnes() throws {
        #expect {
            try ColumnMapping(pairs: ["carbon=C"]).requireKnownNames()
        } throws: { error in
            "\(error)".contains("'carbon' is not a column") && "\(error)".contains("soc") && "\(error)".contains("bottom")
        }
        try ColumnMapping(pairs: ["soc=C", "mat=MAT"]).requireKnownNames(alsoKnown: ["mat"])
    }

    /// Depths in metres, SOC in %, BD in kg m⁻³ looked fine and gave nonsense: each is a warning naming the
    /// column, the likely unit and how many profiles look affected.
    @Test func valuesInTheWrongUnitAreFlaggedWithTheLikelyUnit() throws {
        let metres = try table("id,top,bottom,soc,bd\na,0,0.2,20,1.2\na,0.2,1.0,5,1.4\nb,0,0.3,12,1.3\n")
        let depth = try #require(metres.issues.first { $0.action == .warning && $0.field == "bottom" })
        #expect(depth.reason.contains("metres") && depth.reason.contains("2 of 2 profiles") && depth.reason.contains("--units depth=m"))
        let percent = try table("id,top,bottom,soc,bd\na,0,20,0.8,1.2\na,20,60,0.3,1.4\nb,0,30,0.5,1.3\n")
        let soc = try #require(percent.issues.first { $0.action == .warning && $0.field == "soc" })
        #expect(soc.reason.contains("per cent") && soc.reason.contains("2 of 2 profiles") && soc.reason.contains("soc_pct"))
        let kilograms = try table("id,top,bottom,soc,bd\na,0,20,20,1200\na,20,60,10,1400\nb,0,30,12,1300\n")
        let bd = try #require(kilograms.issues.first { $0.action == .warning && $0.field == "bd" })
        #expect(bd.reason.contains("kg m⁻³") && bd.reason.contains("2 of 2 profiles") && bd.reason.contains("bd_kg_m3"))
        let fine = try table("id,top,bottom,soc,bd\na,0,20,20,1.2\na,20,60,10,1.4\n")
        #expect(!fine.issues.contains { $0.action == .warning })
    }

    /// Stating the units (column suffixes or `--units`) converts the values and silences the warnings.
    @Test func statedUnitsAreConvertedOnReading() throws {
        let suffixed = try table("id,top_m,bottom_m,soc_pct,bd_kg_m3\na,0,0.2,2.5,1250\na,0.2,0.45,1,1400\n")
        #expect(suffixed.topCm == [0, 20] && suffixed.bottomCm == [20, 45])
        #expect(suffixed.values[0] == [25, 10] && suffixed.values[1] == [1.25, 1.4])
        #expect(!suffixed.issues.contains { $0.action == .warning })
        var options = HorizonReadOptions(variables: ["soc", "bd"])
        options.units = try InputUnits(argument: "depth=m,soc=pct,bd=kg/m3")
        let stated = try HorizonTable(csv: CSVTable.parse(text: "id,top,bottom,soc,bd\na,0,0.2,2.5,1250\na,0.2,0.45,1,1400\n", source: "u.csv"),
                                      options: options)
        #expect(stated.topCm == suffixed.topCm && stated.bottomCm == suffixed.bottomCm && stated.values == suffixed.values)
        #expect(throws: InputUnitsError.self) { try InputUnits(argument: "depth=ft") }
    }

    @Test func columnMappingRejectsMalformedPairs() {
        #expect(throws: ColumnMappingError.self) { try ColumnMapping(pairs: ["soc"]) }
        #expect(throws: ColumnMappingError.self) { try ColumnMapping(pairs: ["soc="]) }
        #expect(throws: ColumnMappingError.self) { try ColumnMapping(pairs: ["soc=A", "soc=B"]) }
    }
}

