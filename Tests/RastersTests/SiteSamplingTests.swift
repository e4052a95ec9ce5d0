import CGDAL
import Foundation
import Testing
@testable import Rasters

@Suite struct SiteSamplingTests {
    @Test func valuesAtSitesWithOutsideAndNodataCounted() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("mat.tif")
        // 1° cells over −10…10 E × 40…50 N; value = 100·row + column, nodata at row 2, column 3.
        var values: [Double] = []
        for row in 0..<10 {
            for column in 0..<20 { values.append(row == 2 && column == 3 ? -9999 : Double(100 * row + column) + 0.1) }
        }
        makeGeoTIFF(path, west: -10, north: 50, cellWidth: 1, cellHeight: 1, columns: 20, rows: 10, values: values,
                    type: GDT_Float32, noData: -9999)
        let sampler = try SiteSampler(path: path)
        let result = try sampler.sample(longitudes: [-9.5, 9.99, -6.5, 30, 0, .nan, 10, -10],
                                        latitudes: [49.5, 40.01, 47.5, 45, 45, 45, 40, 50])
        // (−9.5, 49.5) → row 0 col 0; (9.99, 40.01) → row 9 col 19; (−6.5, 47.5) → nodata;
        // (30, 45) outside; (0, 45) → row 5 col 10 (edges belong east/south); NaN → missing coordinates;
        // (10, 40) and (−10, 50) → the outer corners, inside.
        #expect(result.values == [0.1, 919.1, nil, nil, 510.1, nil, 919.1, 0.1])
        #expect(result.outsideCount == 1 && result.noDataCount == 1 && result.missingCoordinateCount == 1)
    }

    @Test func sitesAreTransformedToTheRasterCRS() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("mercator.tif")
        // 100 km cells in Web Mercator over x 0…1 000 km, y 0…1 000 km; value = column index.
        var values: [Double] = []
        for _ in 0..<10 { for column in 0..<10 { values.append(Double(column)) } }
        makeGeoTIFF(path, west: 0, north: 1_000_000, cellWidth: 100_000, cellHeight: 100_000, columns: 10, rows: 10,
                    values: values, crs: "EPSG:3857")
        // x = a·λ in Web Mercator (a = 6 378 137 m): λ = 4.5° → x = 500.9 km → column 5; λ = 0.8° → 89 km → column 0.
        let result = try SiteSampler(path: path).sample(longitudes: [4.5, 0.8, -1, 4.5], latitudes: [1, 1, 1, 20])
        #expect(result.values == [5, 0, nil, nil])
        #expect(result.outsideCount == 2)
    }

    @Test func longitudesWrapForRastersStoredFrom0To360() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("wrap.tif")
        makeGeoTIFF(path, west: 0, north: 90, cellWidth: 90, cellHeight: 90, columns: 4, rows: 2, values: [0, 1, 2, 3, 4, 5, 6, 7])
        let result = try SiteSampler(path: path).sample(longitudes: [-45, 45, 200], latitudes: [10, -10, 10])
        #expect(result.values == [3, 4, 2])
    }

    @Test func mergeFillsOnlyMissingFieldsUnlessOverwriting() {
        let existing = ["1.5", "", "NA", "7", " "]
        let sampled: [Double?] = [2, 3, nil, 8, 4.25]
        let missing: (String) -> Bool = { $0.trimmingCharacters(in: .whitespaces).isEmpty || $0 == "NA" }
        let format: (Double) -> String = { "\($0)" }
        let fill = SiteColumnFill.merge(existing: existing, sampled: sampled, overwrite: false, isMissing: missing, format: format)
        #expect(fill.fields == ["1.5", "3.0", "NA", "7", "4.25"])
        #expect(fill.filled == 2 && fill.kept == 2 && fill.stillMissing == 1 && fill.overwritten == 0)
        let over = SiteColumnFill.merge(existing: existing, sampled: sampled, overwrite: true, isMissing: missing, format: format)
        #expect(over.fields == ["2.0", "3.0", "NA", "8.0", "4.25"])
        #expect(over.overwritten == 2 && over.filled == 2 && over.kept == 0)
        let new = SiteColumnFill.merge(existing: nil, sampled: sampled, overwrite: false, isMissing: missing, format: format)
        #expect(new.fields == ["2.0", "3.0", "", "8.0", "4.25"])
    }
}
