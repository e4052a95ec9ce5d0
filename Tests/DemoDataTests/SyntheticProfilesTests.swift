import DemoData
import Essentials
import Foundation
import SoilProfiles
import Testing

@Suite struct SyntheticProfilesTests {
    @Test func noiselessProfileCarriesTheClosedFormDensity() {
        var random = SplitMix64(seed: 42)
        for _ in 0..<50 {
            let beta = random.uniform(0.95, 0.99)
            let horizons = SyntheticProfiles.profile(beta: beta, topsoilSOC: 20, noise: 0, random: &random)
            #expect((4...8).contains(horizons.count))
            #expect(horizons.first!.topCm == 0 && horizons.last!.bottomCm >= 100)
            let socDensity = horizons.reduce(0.0) { $0 + $1.socGPerKg * $1.bulkDensityGPerCm3 * ($1.bottomCm - $1.topCm) / 10 }
            // Closed form of the β model: the 0–20 cm density fixes C; the profile holds C(1 − β^bottom).
            let deepest = horizons.last!.bottomCm
            let ratio = socDensity / (1 - Foundation.pow(beta, deepest)) * (1 - Foundation.pow(beta, 20))
            // ratio is the implied 0–20 cm density; it must match 20 g/kg × mean topsoil BD × 20 cm / 10 within rounding.
            #expect(ratio > 20 * 0.9 * 2 && ratio < 20 * 1.5 * 2)
        }
    }

    @Test func tableIsDeterministicForASeed() throws {
        let first = SyntheticProfiles.table(count: 30, seed: 9)
        #expect(first == SyntheticProfiles.table(count: 30, seed: 9))
        #expect(first != SyntheticProfiles.table(count: 30, seed: 10))
        let table = try HorizonTable(csv: CSVTable.parse(text: first, source: "synthetic"),
                                     options: HorizonReadOptions(variables: ["soc", "bd"]))
        #expect(table.profileCount == 30 && table.issues.isEmpty)
    }
}
