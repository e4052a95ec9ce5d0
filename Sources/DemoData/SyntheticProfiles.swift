import DepthFunctions
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
    /// The random shape of one synthetic profile: horizon boundaries (cm) and the bulk-density curve.
    public struct Geometry: Sendable, Equatable {
        /// Horizon boundaries from 0 to the deepest depth, cm (4–8 horizons, down to 100–150 cm).
        public var boundaries: [Double]
        /// Bulk density at the surface and towards depth, g cm⁻³ (BD(z) = sub − (sub − surface) e^(−z/30)).
        public var surfaceBD: Double, subsoilBD: Double

        /// Draws a geometry from `random` (the first draws of `SyntheticProfiles.profile`).
        public static func draw(random: inout SplitMix64) -> Geometry {
            let horizonCount = 4 + Int(random.next() % 5)
            let deepest = (100 + random.uniform(0, 50)).rounded()
            var cuts: [Double] = []
            while cuts.count < horizonCount - 1 {
                let cut = (random.uniform(3, deepest - 3)).rounded()
                if !cuts.contains(cut) { cuts.append(cut) }
            }
            cuts.sort()
            let surfaceBD = random.uniform(0.95, 1.4)
            let subsoilBD = surfaceBD + random.uniform(0.1, 0.35)
            return Geometry(boundaries: [0.0] + cuts + [deepest], surfaceBD: surfaceBD, subsoilBD: subsoilBD)
        }

        /// Bulk density at `depth` cm, g cm⁻³.
        func bulkDensity(_ depth: Double) -> Double { subsoilBD - (subsoilBD - surfaceBD) * Foundation.exp(-depth / 30) }
        /// Mean BD of 0–20 cm (closed form of the integral of `bulkDensity`), g cm⁻³.
        var topsoilBD: Double { subsoilBD - (subsoilBD - surfaceBD) * 30 / 20 * (1 - Foundation.exp(-20.0 / 30)) }
    }

    /// Horizons of one profile with true depth parameter `beta` and a 0–20 cm mean SOC of `topsoilSOC`
    /// (g kg⁻¹); `noise` is the coefficient of variation of the lognormal measurement error.
    public static func profile(beta: Double, topsoilSOC: Double, noise: Double = 0.05,
                               random: inout SplitMix64) -> [SyntheticHorizon] {
        let geometry = Geometry.draw(random: &random)
        return horizons(geometry, decay: beta, topsoilSOC: topsoilSOC, noise: noise, random: &random)
    }

    /// Horizons of a profile of `geometry` whose SOC density decays as `decay`^z; with `noise` > 0 each
    /// horizon's SOC and BD get lognormal errors drawn from `random` (SOC with mean 1, CV `noise`;
    /// BD with log-SD 0.6 `noise`), rounded to 0.01 g kg⁻¹ and 0.001 g cm⁻³. `noise` = 0 draws nothing.
    public static func horizons(_ geometry: Geometry, decay: Double, topsoilSOC: Double, noise: Double,
                                random: inout SplitMix64) -> [SyntheticHorizon] {
        let boundaries = geometry.boundaries
        let topsoilDensity = topsoilSOC * geometry.topsoilBD * 20 / 10  // Mg C ha⁻¹, Eq. 1
        let totalDensity = topsoilDensity / (1 - Foundation.pow(decay, 20))
        var horizons: [SyntheticHorizon] = []
        horizons.reserveCapacity(boundaries.count - 1)
        for h in 0..<(boundaries.count - 1) {
            let top = boundaries[h], bottom = boundaries[h + 1]
            let density = totalDensity * (Foundation.pow(decay, top) - Foundation.pow(decay, bottom))
            let meanBD = geometry.bulkDensity((top + bottom) / 2)
            let soc = density * 10 / (meanBD * (bottom - top))
            guard noise > 0 else {
                horizons.append(SyntheticHorizon(topCm: top, bottomCm: bottom, socGPerKg: soc, bulkDensityGPerCm3: meanBD))
                continue
            }
            let socNoise = Foundation.exp(noise * random.normal() - noise * noise / 2)
            let bdNoise = Foundation.exp(0.6 * noise * random.normal())
            horizons.append(SyntheticHorizon(topCm: top, bottomCm: bottom,
                                             socGPerKg: ((soc * socNoise) * 100).rounded() / 100,
                                             bulkDensityGPerCm3: ((meanBD * bdNoise) * 1000).rounded() / 1000))
        }
        return horizons
    }

    /// β of METHOD.md §4 that the pipeline (splines of SOC and BD, Eq. 1, the β fit) finds in the noise-free
    /// horizons of `geometry` with decay `decay`; NaN when the fit fails.
    static func pipelineBeta(_ geometry: Geometry, decay: Double) -> Double {
        var unused = SplitMix64(seed: 0)
        let rows = horizons(geometry, decay: decay, topsoilSOC: 10, noise: 0, random: &unused)
        guard let table = try? ProfileHorizonTable(profileOffsets: [0, rows.count], top: rows.map(\.topCm),
                                                   bottom: rows.map(\.bottomCm)),
              let result = try? fitProfileBetas(table, soc: rows.map(\.socGPerKg), bulkDensity: rows.map(\.bulkDensityGPerCm3),
                                                threadCount: 1),
              let fit = result.fits.first, fit.status == .ok else { return .nan }
        return fit.beta
    }

    /// The decay whose noise-free profile of `geometry` the pipeline fits to `fittedBeta` (METHOD.md §4), found
    /// from `start` (e.g. `GeneratorParameterTable`'s value for exact layers) by the secant method kept inside
    /// a bracket (Illinois variant of regula falsi), to |β − `fittedBeta`| ≤ 1e-10. The pipeline β rises with
    /// the decay; where no bracket is found within ±0.02 of `start` or the fit fails, `start` is returned.
    public static func decay(forPipelineBeta fittedBeta: Double, geometry: Geometry, start: Double) -> Double {
        let lowest = 0.85, highest = 0.99995
        func f(_ b: Double) -> Double { pipelineBeta(geometry, decay: b) - fittedBeta }
        var a = start, fa = f(a)
        guard fa.isFinite else { return start }
        if fa == 0 { return a }
        // Bracket by steps of growing width in the direction that reduces |f|.
        var step = fa > 0 ? -2e-4 : 2e-4
        var b = a, fb = fa
        while true {
            b = min(highest, max(lowest, a + step))
            fb = f(b)
            guard fb.isFinite else { return start }
            if (fa > 0) != (fb > 0) { break }
            guard abs(step) < 0.02, b > lowest, b < highest else { return start }
            (a, fa) = (b, fb)
            step *= 2
        }
        var side = 0
        for _ in 0..<60 {
            let c = (a * fb - b * fa) / (fb - fa)
            let fc = f(c)
            guard fc.isFinite else { return start }
            if abs(fc) <= 1e-10 { return c }
            if (fc > 0) == (fb > 0) {
                (b, fb) = (c, fc)
                if side == -1 { fa /= 2 }
                side = -1
            } else {
                (a, fa) = (c, fc)
                if side == 1 { fb /= 2 }
                side = 1
            }
        }
        return abs(fa) < abs(fb) ? a : b
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
