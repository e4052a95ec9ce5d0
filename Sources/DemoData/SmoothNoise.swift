import Essentials
import Foundation
import SoilProfiles

/// A seeded, spatially correlated random field on the globe ("value noise"), used to give the DEMO
/// covariate rasters realistic patchiness (demo/README.md, "Covariates").
///
/// Each octave holds independent standard-normal values on a regular longitude–latitude lattice
/// (spacing `spacingDeg`, longitude periodic); the field at a point is the smoothstep-weighted
/// bilinear interpolation of the four surrounding lattice values, and octaves are summed with
/// weights normalised so that Σ wᵢ² = 1. The lattice values are drawn once, sequentially, from
/// `SplitMix64(seed:)`, so a field is a pure function of (seed, longitude, latitude): identical
/// for any grid resolution and any thread count. Values are dimensionless, mean 0, standard
/// deviation ≈ 0.6 (interpolation shrinks the variance of the lattice values).
public struct SmoothNoiseField: Sendable {
    /// One lattice: `columns × rows` values, row 0 at latitude −90°.
    struct Octave: Sendable {
        var spacingDeg: Double
        var weight: Double
        var columns: Int
        var rows: Int
        var values: [Double]
    }

    let octaves: [Octave]

    /// A field with one octave per lattice spacing (degrees) and weight; weights are normalised.
    /// - Parameters:
    ///   - seed: the random stream of this field (different fields need different seeds).
    ///   - spacingsDeg: lattice spacings, e.g. `[12, 4, 1.5]` (correlation lengths ≈ the spacing).
    ///   - weights: relative amplitude of each octave.
    public init(seed: UInt64, spacingsDeg: [Double] = [12, 4, 1.5], weights: [Double] = [1, 0.6, 0.35]) {
        precondition(spacingsDeg.count == weights.count && !spacingsDeg.isEmpty, "one weight per spacing")
        var random = SplitMix64(seed: seed)
        let norm = weights.reduce(0) { $0 + $1 * $1 }.squareRoot()
        var octaves: [Octave] = []
        for (spacing, weight) in zip(spacingsDeg, weights) {
            let columns = max(1, Int((360 / spacing).rounded()))
            let rows = max(2, Int((180 / spacing).rounded()) + 1)
            var values = [Double](repeating: 0, count: columns * rows)
            for index in values.indices { values[index] = random.normal() }
            octaves.append(Octave(spacingDeg: 360 / Double(columns), weight: weight / norm,
                                  columns: columns, rows: rows, values: values))
        }
        self.octaves = octaves
    }

    /// The field at longitude `lonDeg` (any convention; wrapped) and latitude `latDeg` (−90…90).
    @inline(__always)
    public func value(lonDeg: Double, latDeg: Double) -> Double {
        var sum = 0.0
        for octave in octaves {
            var x = (lonDeg + 180) / octave.spacingDeg
            x -= Double(octave.columns) * (x / Double(octave.columns)).rounded(.down)
            let latitudeSpacing = 180 / Double(octave.rows - 1)
            let y = min(Double(octave.rows - 1) - 1e-9, max(0, (latDeg + 90) / latitudeSpacing))
            let column0 = min(octave.columns - 1, Int(x)), row0 = Int(y)
            let column1 = column0 + 1 == octave.columns ? 0 : column0 + 1
            let row1 = row0 + 1
            let tx = smoothstep(x - Double(column0)), ty = smoothstep(y - Double(row0))
            let v00 = octave.values[row0 * octave.columns + column0], v10 = octave.values[row0 * octave.columns + column1]
            let v01 = octave.values[row1 * octave.columns + column0], v11 = octave.values[row1 * octave.columns + column1]
            let south = v00 + (v10 - v00) * tx, north = v01 + (v11 - v01) * tx
            sum += octave.weight * (south + (north - south) * ty)
        }
        return sum
    }

    @inline(__always)
    private func smoothstep(_ t: Double) -> Double { t * t * (3 - 2 * t) }
}
