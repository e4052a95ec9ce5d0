import Foundation
import Testing
@testable import Rasters

/// Cell areas on the WGS84 ellipsoid against published values and an independent numeric
/// integration of the area element M(φ)·N(φ)·cos φ dφ dλ.
@Suite struct CellAreaTests {
    /// Independent reference: Gauss–Legendre-free composite Simpson integration of
    /// a²(1−e²) cos φ / (1 − e² sin² φ)² over [φ₁, φ₂] (radians), times the width in radians.
    static func integratedAreaM2(southDeg: Double, northDeg: Double, widthDeg: Double, intervals: Int = 20_000) -> Double {
        let a = 6_378_137.0
        let f = 1 / 298.257_223_563
        let e2 = f * (2 - f)
        func element(_ phi: Double) -> Double {
            let s = sin(phi)
            return a * a * (1 - e2) * cos(phi) / ((1 - e2 * s * s) * (1 - e2 * s * s))
        }
        let lower = southDeg * .pi / 180, upper = northDeg * .pi / 180
        let step = (upper - lower) / Double(intervals)
        var sum = element(lower) + element(upper)
        for index in 1..<intervals {
            sum += element(lower + Double(index) * step) * (index % 2 == 1 ? 4 : 2)
        }
        return sum * step / 3 * widthDeg * .pi / 180
    }

    @Test func wholeEllipsoidMatchesPublishedSurface() {
        // WGS84 surface area 510 065 621.724 km² (published, e.g. NGA TR8350.2 derived constants).
        let km2 = WGS84Ellipsoid.surfaceAreaM2 / 1e6
        #expect(abs(km2 - 510_065_621.724) < 0.01)
        // Authalic radius R2 = 6 371 007.1810 m (NGA TR8350.2, Table 3.5).
        #expect(abs(WGS84Ellipsoid.authalicRadiusM - 6_371_007.1810) < 0.001)
    }

    @Test func zonesMatchNumericIntegration() {
        for (south, north) in [(0.0, 90.0), (-90.0, 90.0), (10.0, 20.0), (-45.0, -44.9166666667), (89.9, 90.0), (-1e-3, 1e-3)] {
            let closed = WGS84Ellipsoid.cellAreaM2(southDeg: south, northDeg: north, widthDeg: 360)
            let numeric = Self.integratedAreaM2(southDeg: south, northDeg: north, widthDeg: 360)
            #expect(abs(closed - numeric) <= 1e-10 * numeric, "zone \(south)…\(north)")
        }
    }

    @Test func oneTwelfthDegreeCellsMatchIntegrationAndSumToTheEllipsoid() throws {
        let grid = try RasterGrid.covering(.global, resolution: 0.0833333333)
        #expect(grid.columns == 4320 && grid.rows == 2160)
        let rowAreas = try grid.cellAreaHaPerRow()
        #expect(rowAreas.count == 2160)
        // Equatorial 1/12° cell: ≈ 85.8 km² = 8 584 ha; compare with the integral.
        for row in [0, 1, 540, 1079, 1080, 2159] {
            let (north, south) = grid.rowEdges(row)
            let numericHa = Self.integratedAreaM2(southDeg: south, northDeg: north, widthDeg: 1.0 / 12, intervals: 200) / 1e4
            #expect(abs(rowAreas[row] - numericHa) <= 1e-9 * numericHa, "row \(row)")
        }
        let totalKm2 = rowAreas.reduce(0, +) * Double(grid.columns) / 100
        #expect(abs(totalKm2 - 510_065_621.724) < 0.05)
        // Symmetry about the equator.
        #expect(abs(rowAreas[0] - rowAreas[2159]) <= 1e-9 * rowAreas[0])
    }

    @Test func authalicLatitudeIsBelowGeodeticAndExactAtPoles() {
        #expect(WGS84Ellipsoid.authalicLatitudeDeg(0) == 0)
        #expect(abs(WGS84Ellipsoid.authalicLatitudeDeg(90) - 90) < 1e-9)
        // Maximum difference φ − ξ ≈ 0.128° near 45° (e²/3 · sin 2φ radians to first order).
        let difference = 45 - WGS84Ellipsoid.authalicLatitudeDeg(45)
        let firstOrder = WGS84Ellipsoid.eccentricitySquared / 3 * 180 / .pi
        #expect(abs(difference - firstOrder) < 0.001)
    }

    @Test func projectedGridsAreRefused() throws {
        let mercator = try SpatialReference(userInput: "EPSG:3857")
        let grid = RasterGrid(west: 0, north: 0, cellWidth: 1000, cellHeight: 1000, columns: 2, rows: 2, crs: mercator)
        #expect(throws: RasterError.self) { try grid.cellAreaHaPerRow() }
    }
}
