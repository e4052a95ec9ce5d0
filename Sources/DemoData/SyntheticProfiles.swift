import Essentials
import Foundation

/// One synthetic horizon: depths in cm, SOC in g kg⁻¹, BD in g cm⁻³.
public struct SyntheticHorizon: Sendable, Equatable {
    /// Upper depth, cm.
    public var topCm: Double
    /// Lower depth, cm.
    public var bottomCm: Double
    /// Soil organic carbon, g kg⁻¹.
    public var socGPerKg: Double
    /// Bulk density of the fine earth, g cm⁻³.
    public var bulkDensityGPerCm3: Double
}

/// Generates realistic soil profiles whose SOC density follows the β model (Eq. 3 of the paper): the
/// cumulative SOC density from the surface to depth d is C(1 − β^d), so the density per cm at depth z is
/// C(−ln β)β^z. Bulk density rises with depth towards a subsoil value; measurement noise is lognormal.
/// Horizons are 4–8 with random boundaries down to 100–150 cm. Used for benchmarks and the demo.
public enum SyntheticProfiles {
    /// Horizons of one profile with true depth parameter `beta` and a 0–20 cm mean SOC of `topsoilSOC`
    /// (g kg⁻¹); `noise` is the coefficient of variation of the lognormal measurement error.
    public static func profile(beta: Double, topsoilSOC: Double, noise: Double = 0.05,
                               random: inout SplitMix64) -> [SyntheticHorizon] {
        let horizonCount = 4 + Int(random.next() % 5)
        let deepest = (100 + random.uniform(0, 50)).rounded()
        var cuts: [Double] = []
        while cuts.count < horizonCount - 1 {
            let cut = (random.uniform(3, deepest - 3)).rounded()
            if !cuts.contains(cut) { cuts.append(cut) }
        }
        cuts.sort()
        let boundaries = [0.0] + cuts + [deepest]
        let surfaceBD = random.uniform(0.95, 1.4)
        let subsoilBD = surfaceBD + random.uniform(0.1, 0.35)
        func bulkDensity(_ depth: Double) -> Double { subsoilBD - (subsoilBD - surfaceBD) * Foundation.exp(-depth / 30) }
        // Mean BD of 0–20 cm (closed form of the integral of bulkDensity), to turn topsoil SOC into density.
        let topsoilBD = subsoilBD - (subsoilBD - surfaceBD) * 30 / 20 * (1 - Foundation.exp(-20.0 / 30))
        let topsoilDensity = topsoilSOC * topsoilBD * 20 / 10  // Mg C ha⁻¹, Eq. 1
        let totalDensity = topsoilDensity / (1 - Foundation.pow(beta, 20))
        var horizons: [SyntheticHorizon] = []
        horizons.reserveCapacity(horizonCount)
        for h in 0..<horizonCount {
            let top = boundaries[h], bottom = boundaries[h + 1]
            let density = totalDensity * (Foundation.pow(beta, top) - Foundation.pow(beta, bottom))
            let meanBD = bulkDensity((top + bottom) / 2)
            let soc = density * 10 / (meanBD * (bottom - top))
            let socNoise = Foundation.exp(noise * random.normal() - noise * noise / 2)
            let bdNoise = Foundation.exp(0.6 * noise * random.normal())
            horizons.append(SyntheticHorizon(topCm: top, bottomCm: bottom,
                                             socGPerKg: ((soc * socNoise) * 100).rounded() / 100,
                                             bulkDensityGPerCm3: ((meanBD * bdNoise) * 1000).rounded() / 1000))
        }
        return horizons
    }

    /// A horizon table of `count` profiles as CSV text (`id,top,bottom,soc,bd,lon,lat,ecosystem`) with β drawn
    /// around the paper's mean (0.9756 ± 0.006, METHOD.md §10), ecosystems in the paper's proportions
    /// (758 : 244 : 219) and coordinates in the land latitudes.
    public static func table(count: Int, seed: UInt64) -> String {
        var random = SplitMix64(seed: seed)
        var writer = CSVWriter(header: ["id", "top", "bottom", "soc", "bd", "lon", "lat", "ecosystem"])
        for index in 0..<count {
            let beta = min(0.995, max(0.94, 0.9756 + 0.006 * random.normal()))
            let topsoilSOC = min(120, 14 * Foundation.exp(0.6 * random.normal()))
            let lon = (random.uniform(-180, 180) * 1000).rounded() / 1000
            let lat = (random.uniform(-55, 70) * 1000).rounded() / 1000
            let draw = random.uniform(0, 1221)
            let ecosystem: Ecosystem = draw < 758 ? .cropland : (draw < 1002 ? .grassland : .forestland)
            let id = "S\(index + 1)"
            for horizon in profile(beta: beta, topsoilSOC: topsoilSOC, random: &random) {
                writer.append(row: [id, CSVWriter.format(horizon.topCm), CSVWriter.format(horizon.bottomCm),
                                    CSVWriter.format(horizon.socGPerKg), CSVWriter.format(horizon.bulkDensityGPerCm3),
                                    CSVWriter.format(lon), CSVWriter.format(lat), ecosystem.rawValue])
            }
        }
        return writer.csvText
    }
}
