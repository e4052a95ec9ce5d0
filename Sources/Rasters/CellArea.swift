import Foundation

/// The WGS84 ellipsoid and closed-form areas on it (METHOD.md §8: "cell area on the WGS84
/// ellipsoid"). Areas of latitude–longitude cells follow from the area of the zone between the
/// equator and latitude φ, per radian of longitude,
///
///     G(φ) = (b² / 2) · [ sin φ / (1 − e² sin² φ) + atanh(e sin φ) / e ],
///
/// the integral of M(φ)·N(φ)·cos φ dφ (meridian and prime-vertical radii of curvature). A cell
/// between latitudes φ₁ < φ₂ and of width Δλ (radians) has area Δλ · (G(φ₂) − G(φ₁)); the whole
/// ellipsoid has area 4π·G(90°) = 2πa² + (π b² / e) · ln((1 + e)/(1 − e)). Equivalently
/// G(φ) = R_q² · sin ξ with ξ the authalic latitude and R_q the authalic radius.
public enum WGS84Ellipsoid {
    /// Semi-major axis a, metres (defining constant of WGS84).
    public static let semiMajorAxisM = 6_378_137.0
    /// Inverse flattening 1/f (defining constant of WGS84).
    public static let inverseFlattening = 298.257_223_563
    /// Flattening f.
    public static let flattening = 1.0 / inverseFlattening
    /// First eccentricity squared e² = f (2 − f).
    public static let eccentricitySquared = flattening * (2.0 - flattening)
    /// First eccentricity e.
    public static let eccentricity = eccentricitySquared.squareRoot()
    /// Semi-minor axis b = a (1 − f), metres.
    public static let semiMinorAxisM = semiMajorAxisM * (1.0 - flattening)

    /// Square metres per hectare.
    public static let squareMetresPerHectare = 10_000.0

    /// G(φ): area in m² of the zone between the equator and geodetic latitude `latitudeDeg`
    /// (degrees, −90…90), per radian of longitude. Negative south of the equator.
    public static func zoneAreaPerRadianM2(equatorTo latitudeDeg: Double) -> Double {
        let sinLat = sin(latitudeDeg * .pi / 180)
        let e = eccentricity
        let bSquared = semiMinorAxisM * semiMinorAxisM
        return 0.5 * bSquared * (sinLat / (1 - eccentricitySquared * sinLat * sinLat) + atanh(e * sinLat) / e)
    }

    /// Total surface area of the ellipsoid, m² (≈ 510 065 621.7 km²).
    public static var surfaceAreaM2: Double {
        4 * .pi * zoneAreaPerRadianM2(equatorTo: 90)
    }

    /// Authalic radius R_q, metres: the radius of the sphere of equal surface area (≈ 6 371 007.18 m).
    public static var authalicRadiusM: Double {
        (surfaceAreaM2 / (4 * .pi)).squareRoot()
    }

    /// Authalic latitude ξ (degrees) of geodetic latitude φ (degrees): sin ξ = G(φ) / G(90°).
    public static func authalicLatitudeDeg(_ latitudeDeg: Double) -> Double {
        asin(zoneAreaPerRadianM2(equatorTo: latitudeDeg) / zoneAreaPerRadianM2(equatorTo: 90)) * 180 / .pi
    }

    /// G(φ₂) − G(φ₁): area in m² of the zone between latitudes φ₁ and φ₂ (degrees), per radian
    /// of longitude, evaluated without cancellation for thin zones (1/12° rows near the poles):
    ///
    ///     (b²/2) · [ (s₂ − s₁)(1 + e² s₁ s₂) / ((1 − e² s₁²)(1 − e² s₂²)) + atanh(e (s₂ − s₁) / (1 − e² s₁ s₂)) / e ]
    ///
    /// with sᵢ = sin φᵢ and s₂ − s₁ = 2 cos((φ₁+φ₂)/2) sin((φ₂−φ₁)/2).
    public static func zoneAreaPerRadianM2(from latitude1Deg: Double, to latitude2Deg: Double) -> Double {
        let phi1 = latitude1Deg * .pi / 180, phi2 = latitude2Deg * .pi / 180
        let s1 = sin(phi1), s2 = sin(phi2)
        let sineDifference = 2 * cos(0.5 * (phi1 + phi2)) * sin(0.5 * (phi2 - phi1))
        let e2 = eccentricitySquared, e = eccentricity
        let rational = sineDifference * (1 + e2 * s1 * s2) / ((1 - e2 * s1 * s1) * (1 - e2 * s2 * s2))
        let logarithmic = atanh(e * sineDifference / (1 - e2 * s1 * s2)) / e
        return 0.5 * semiMinorAxisM * semiMinorAxisM * (rational + logarithmic)
    }

    /// Area (m²) of the cell between latitudes `southDeg` and `northDeg` and `widthDeg` degrees
    /// of longitude wide. Order of the two latitudes does not matter; the result is ≥ 0.
    public static func cellAreaM2(southDeg: Double, northDeg: Double, widthDeg: Double) -> Double {
        abs(zoneAreaPerRadianM2(from: southDeg, to: northDeg)) * abs(widthDeg) * .pi / 180
    }

    /// Area (ha) of the cell between latitudes `southDeg` and `northDeg` and `widthDeg` degrees wide.
    public static func cellAreaHa(southDeg: Double, northDeg: Double, widthDeg: Double) -> Double {
        cellAreaM2(southDeg: southDeg, northDeg: northDeg, widthDeg: widthDeg) / squareMetresPerHectare
    }
}

extension RasterGrid {
    /// Area in hectares of one cell of each row (row 0 = northernmost), on the WGS84 ellipsoid:
    /// in a latitude–longitude grid every cell of a row has the same area. Rows reaching beyond
    /// ±90° are clipped at the pole. Throws unless the grid's CRS is geographic on WGS84.
    public func cellAreaHaPerRow() throws -> [Double] {
        guard crs.isGeographicWGS84 else {
            throw RasterError.invalidArgument(
                "cell areas need a geographic WGS84 grid (longitude/latitude degrees); this grid's CRS is \(crs.shortName)")
        }
        return (0..<rows).map { row in
            let north = min(90, max(-90, self.north - Double(row) * cellHeight))
            let south = min(90, max(-90, self.north - Double(row + 1) * cellHeight))
            return WGS84Ellipsoid.cellAreaHa(southDeg: south, northDeg: north, widthDeg: cellWidth)
        }
    }
}
