// Layer SOC density, Eq. 1 of the paper (METHOD.md §3).

/// SOC density of one layer, Eq. 1 (METHOD.md §3):
/// SOCD [Mg C ha⁻¹] = SOC [g kg⁻¹] × BD [g cm⁻³] × thickness [cm] / 10 × (1 − CF/100).
///
/// - Parameters:
///   - socGramsPerKilogram: SOC concentration of the fine earth, g kg⁻¹.
///   - bulkDensityGramsPerCubicCentimetre: bulk density of the fine earth, g cm⁻³.
///   - thicknessCentimetres: layer thickness, cm.
///   - coarseFragmentsVolumePercent: coarse fragments, volume %; `nil` (or NaN) means no CF term.
/// - Returns: Mg C ha⁻¹; NaN when SOC, BD or thickness is NaN.
@inlinable
public func layerSOCDensityMgPerHa(socGramsPerKilogram: Double,
                                   bulkDensityGramsPerCubicCentimetre: Double,
                                   thicknessCentimetres: Double,
                                   coarseFragmentsVolumePercent: Double? = nil) -> Double {
    var density = socGramsPerKilogram * bulkDensityGramsPerCubicCentimetre * thicknessCentimetres / 10
    if let cf = coarseFragmentsVolumePercent, !cf.isNaN {
        density *= 1 - cf / 100
    }
    return density
}

/// Eq. 1 for many layers of equal thickness (METHOD.md §3), element by element.
///
/// - Parameters:
///   - soc: SOC, g kg⁻¹; `bulkDensity`: g cm⁻³ (same length); `coarseFragments`: volume %
///     (same length, NaN entries mean no CF term) or `nil`.
///   - thicknessCentimetres: common layer thickness, cm (20 for the paper's layers).
/// - Returns: Mg C ha⁻¹ per element (NaN where an input is NaN).
/// - Throws: ``DepthFunctionsError/lengthMismatch(detail:)``.
public func layerSOCDensitiesMgPerHa(soc: [Double], bulkDensity: [Double], coarseFragments: [Double]? = nil,
                                     thicknessCentimetres: Double) throws(DepthFunctionsError) -> [Double] {
    guard soc.count == bulkDensity.count else {
        throw .lengthMismatch(detail: "soc \(soc.count), bulkDensity \(bulkDensity.count)")
    }
    if let cf = coarseFragments, cf.count != soc.count {
        throw .lengthMismatch(detail: "soc \(soc.count), coarseFragments \(cf.count)")
    }
    var out = [Double](repeating: .nan, count: soc.count)
    for i in 0..<soc.count {
        out[i] = layerSOCDensityMgPerHa(socGramsPerKilogram: soc[i],
                                        bulkDensityGramsPerCubicCentimetre: bulkDensity[i],
                                        thicknessCentimetres: thicknessCentimetres,
                                        coarseFragmentsVolumePercent: coarseFragments?[i])
    }
    return out
}
