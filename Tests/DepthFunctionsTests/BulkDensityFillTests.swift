import DepthFunctions
import Essentials
import Foundation
import SoilProfiles
import Testing

/// BD gap-fill per 20-cm layer (the study took BD for every layer from GSDE; docs/METHOD.md §3).
@Suite struct BulkDensityFillTests {
    func table(_ text: String) throws -> HorizonTable {
        try HorizonTable(csv: CSVTable.parse(text: text, source: "h.csv"), options: HorizonReadOptions(variables: ["soc", "bd"]))
    }

    @Test func eachHorizonTakesTheLayerOfItsMidDepthAndEqualsGivenValues() throws {
        let missing = try table("id,top,bottom,soc,bd\np,0,15,30,\np,15,35,20,\np,35,70,10,1.45\np,70,130,4,\nq,0,100,12,\n")
        let layers: [[Double]] = [[1.1, 1.2, 1.3, 1.4, 1.5], [.nan, .nan, 1.33, .nan, .nan]]
        let filled = try ProfileRuns.beta(missing, bulkDensityFillPerProfile: [.nan, 1.25], bulkDensityFillPerLayer: layers, threadCount: 1)
        // The same profiles with the values each horizon should get written in: mid-depths 7.5 → 0–20,
        // 25 → 20–40, 100 → 80–100 (below 100 cm: the deepest layer); q's layer 40–60 is NaN → its profile value.
        let given = try table("id,top,bottom,soc,bd\np,0,15,30,1.1\np,15,35,20,1.2\np,35,70,10,1.45\np,70,130,4,1.5\nq,0,100,12,1.33\n")
        let reference = try ProfileRuns.beta(given, threadCount: 1)
        for (a, b) in zip(filled.rows, reference.rows) {
            #expect(a.layerDensity.elementsEqual(b.layerDensity) { $0 == $1 || ($0.isNaN && $1.isNaN) } && a.beta == b.beta, "\(a.id)")
        }
        #expect(filled.rows.map(\.bulkDensityFilled) == [3, 1])
    }
}
