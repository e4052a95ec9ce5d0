// Great-circle geometry of sites and grid nodes for the spatial error model (METHOD.md §8d).
import Foundation

/// Distances on a spherical Earth of mean radius R = 6371.0088 km (IUGG mean radius R₁).
///
/// Points are given as longitude λ and latitude φ in degrees. The great-circle distance is
/// d = R·θ with θ the central angle; the chordal distance is c = 2R·sin(θ/2) ≤ d. Both are
/// monotone in θ, so nearest neighbours by either are the same points.
public enum SphericalGeometry {
    /// Mean Earth radius R in km.
    public static let earthRadiusKilometres = 6371.0088
    /// Great-circle length in km of one degree of arc: πR/180 ≈ 111.195 km.
    public static let kilometresPerDegree = earthRadiusKilometres * Double.pi / 180

    /// Unit vectors of the places at `longitudes`, `latitudes` (degrees), after checking that the two lists have the
    /// same length and hold finite values; `what` names the places in the error (e.g. "distance bins").
    /// - Throws: `StatisticsError.invalidArgument` for different lengths, `.nonFiniteValue` for NaN or infinite values.
    public static func unitVectors(longitudes: [Double], latitudes: [Double], what: String) throws -> [SIMD3<Double>] {
        guard latitudes.count == longitudes.count else {
            throw StatisticsError.invalidArgument("\(what): \(longitudes.count) longitudes but \(latitudes.count) latitudes")
        }
        guard (longitudes + latitudes).allSatisfy(\.isFinite) else {
            throw StatisticsError.nonFiniteValue("\(what): a longitude or latitude is NaN or infinite")
        }
        return zip(longitudes, latitudes).map { unitVector(longitude: $0, latitude: $1) }
    }

    /// The unit vector (x, y, z) = (cos φ cos λ, cos φ sin λ, sin φ) of a point (λ, φ in degrees).
    public static func unitVector(longitude: Double, latitude: Double) -> SIMD3<Double> {
        let lambda = longitude * Double.pi / 180, phi = latitude * Double.pi / 180
        return SIMD3(cos(phi) * cos(lambda), cos(phi) * sin(lambda), sin(phi))
    }

    /// Great-circle distance in km between two unit vectors: d = R·2·asin(|u − v|/2), which is
    /// accurate at short and long distances alike (no acos round-off near 0).
    public static func greatCircleKilometres(_ u: SIMD3<Double>, _ v: SIMD3<Double>) -> Double {
        let difference = u - v
        let chord = (difference * difference).sum().squareRoot()
        return earthRadiusKilometres * 2 * asin(min(1, chord / 2))
    }

    /// Great-circle distance in km between two points given in degrees.
    public static func greatCircleKilometres(longitude1: Double, latitude1: Double,
                                             longitude2: Double, latitude2: Double) -> Double {
        greatCircleKilometres(unitVector(longitude: longitude1, latitude: latitude1),
                              unitVector(longitude: longitude2, latitude: latitude2))
    }
}
