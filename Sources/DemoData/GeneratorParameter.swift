import DepthFunctions
import Foundation

/// Maps the β of METHOD.md §4 (Eq. 3 fitted to cumulative proportions normalised by the 0–100 cm
/// total) to the decay parameter b of the untruncated exponential profile that
/// `SyntheticProfiles.profile(beta:…)` draws (density ∝ b^z at depth z cm).
///
/// The two differ: a profile with density ∝ b^z has Y(d) = (1 − b^d)/(1 − b^100) at the layer
/// bottoms, and least-squares fitting 1 − β^d to that gives β < b (e.g. b = 0.9756 fits to
/// β ≈ 0.970). The demo's true β is the METHOD.md §4 β, so each profile is generated with the b
/// whose noise-free 0–100 cm layer densities fit (with DepthFunctions' own β fit) to the wanted β.
/// The map b → β is smooth and increasing; it is tabulated once on 4001 values of b in
/// [0.85, 0.99995] and inverted by linear interpolation (error < 1e-8 in b).
public struct GeneratorParameterTable: Sendable {
    let generator: [Double]
    let fitted: [Double]

    /// Tabulates the map b → fitted β with the standard layers 0–20 … 80–100 cm.
    public init() throws {
        let count = 4001
        let lower = 0.85, upper = 0.99995
        let parameters = (0..<count).map { lower + (upper - lower) * Double($0) / Double(count - 1) }
        let bottoms = BetaFitOptions.standard.layerBottomsCentimetres
        var densities: [Double] = []
        densities.reserveCapacity(count * bottoms.count)
        for b in parameters {
            var top = 0.0
            for bottom in bottoms {
                densities.append(pow(b, top) - pow(b, bottom))
                top = bottom
            }
        }
        let fits = try fitBetas(layerDensitiesMgPerHa: densities, options: .standard, threadCount: 1)
        generator = parameters
        fitted = fits.map(\.beta)
        for index in 1..<count where !(fitted[index] > fitted[index - 1]) {
            throw DemoDataError.invalidOption(name: "generator table",
                                              reason: "fitted β is not increasing in b at b = \(parameters[index])")
        }
    }

    /// The decay parameter b whose noise-free profile fits to `beta` (clamped to the table's range).
    public func generatorParameter(forFittedBeta beta: Double) -> Double {
        if beta <= fitted[0] { return generator[0] }
        if beta >= fitted[fitted.count - 1] { return generator[generator.count - 1] }
        var low = 0, high = fitted.count - 1
        while high - low > 1 {
            let middle = (low + high) / 2
            if fitted[middle] <= beta { low = middle } else { high = middle }
        }
        let t = (beta - fitted[low]) / (fitted[high] - fitted[low])
        return generator[low] + t * (generator[high] - generator[low])
    }
}
