// The β depth model: fit per profile (Eq. 3, METHOD.md §4) and layer densities from β
// (Eq. 4 and its generalisation, METHOD.md §5).

import Essentials
import Foundation

/// Outcome of a β fit (METHOD.md §4).
public enum BetaFitStatus: String, Sendable, Equatable, CaseIterable {
    /// Interior minimum found.
    case ok
    /// The least-squares minimum lies at (or beyond) the lower bound; β is the lower bound.
    case atLowerBound = "at lower bound"
    /// The least-squares minimum lies at (or beyond) the upper bound; β is the upper bound.
    case atUpperBound = "at upper bound"
    /// A layer density is missing (NaN); no fit, β is NaN.
    case missingLayerDensity = "missing layer density"
    /// A layer density is negative; no fit, β is NaN.
    case negativeLayerDensity = "negative layer density"
    /// The densities sum to zero (or are infinite); no fit, β is NaN.
    case nonPositiveTotal = "non-positive total density"
}

/// A fitted β (METHOD.md §4).
public struct BetaFit: Sendable, Equatable {
    /// β (dimensionless, per cm); NaN when no fit was possible.
    public var beta: Double
    /// Root mean squared residual of the cumulative proportions, √(Σ[Y(d) − (1 − β^d)]² / n)
    /// over the n layer bottoms (dimensionless); NaN when no fit.
    public var rmse: Double
    /// Outcome.
    public var status: BetaFitStatus

    /// Creates a fit record.
    public init(beta: Double, rmse: Double, status: BetaFitStatus) {
        (self.beta, self.rmse, self.status) = (beta, rmse, status)
    }
}

/// Settings of the β fit (METHOD.md §4; the bounds are those of the reference R
/// `nls(…, algorithm = "port", lower = 0.5, upper = 0.99999)`).
public struct BetaFitOptions: Sendable, Equatable {
    /// Depths (cm) of the layer bottoms; the layers are 0–d₁, d₁–d₂, …. Default 20, 40, 60, 80, 100.
    public var layerBottomsCentimetres: [Double]
    /// Lower bound of β.
    public var lowerBound: Double
    /// Upper bound of β.
    public var upperBound: Double

    /// The paper's five 20-cm layers of 0–100 cm.
    public static let paperLayerBottoms: [Double] = [20, 40, 60, 80, 100]

    /// The paper's layers and the reference bounds 0.5 … 0.99999 (METHOD.md §4).
    public static let standard = BetaFitOptions(validated: paperLayerBottoms, lower: 0.5, upper: 0.99999)

    private init(validated bottoms: [Double], lower: Double, upper: Double) {
        layerBottomsCentimetres = bottoms
        lowerBound = lower
        upperBound = upper
    }

    /// The standard options (``standard``).
    public init() { self = .standard }

    /// Creates options, validating them.
    /// - Throws: ``DepthFunctionsError/invalidOption(detail:)`` unless the layer bottoms are
    ///   positive and strictly ascending and 0 < lowerBound < upperBound ≤ 1.
    public init(layerBottomsCentimetres: [Double], lowerBound: Double = 0.5,
                upperBound: Double = 0.99999) throws(DepthFunctionsError) {
        guard let first = layerBottomsCentimetres.first, first > 0 else {
            throw .invalidOption(detail: "layer bottoms must be given and positive")
        }
        for i in 1..<layerBottomsCentimetres.count
        where !(layerBottomsCentimetres[i] > layerBottomsCentimetres[i - 1]) || !layerBottomsCentimetres[i].isFinite {
            throw .invalidOption(detail: "layer bottoms must be strictly ascending and finite")
        }
        guard lowerBound > 0, lowerBound < upperBound, upperBound <= 1 else {
            throw .invalidOption(detail: "β bounds must satisfy 0 < lower (\(lowerBound)) < upper (\(upperBound)) ≤ 1")
        }
        self.init(validated: layerBottomsCentimetres, lower: lowerBound, upper: upperBound)
    }
}

/// Fits β of one profile (Eq. 3, METHOD.md §4): from the layer SOC densities (Mg C ha⁻¹, layer i
/// ending at `options.layerBottomsCentimetres[i]`) the cumulative proportions
/// Y(dᵢ) = Σ_{j≤i} SOCDⱼ / Σ SOCD are formed and β minimises Σᵢ [Y(dᵢ) − (1 − β^dᵢ)]² on
/// [lowerBound, upperBound] — the global minimum, found by a grid scan in log(−ln β), Brent's
/// method and a Newton polish.
///
/// Zero layer densities are allowed (a clamped spline gives them); NaN or negative ones are not.
///
/// - Throws: ``DepthFunctionsError/lengthMismatch(detail:)`` unless there is one density per layer.
public func fitBeta(layerDensitiesMgPerHa: [Double],
                    options: BetaFitOptions = .standard) throws(DepthFunctionsError) -> BetaFit {
    guard layerDensitiesMgPerHa.count == options.layerBottomsCentimetres.count else {
        throw .lengthMismatch(detail: "\(layerDensitiesMgPerHa.count) layer densities for "
                              + "\(options.layerBottomsCentimetres.count) layer bottoms")
    }
    var fitter = BetaFitter(options: options)
    return layerDensitiesMgPerHa.withUnsafeBufferPointer { fitter.fit($0) }
}

/// Reusable β fitter (no allocation per fit).
struct BetaFitter {
    let depths: [Double]
    let lower: Double
    let upper: Double
    var remaining: [Double]  // 1 − Y(dᵢ)
    /// Scan points equally spaced in log(−ln β), from the upper to the lower bound.
    let grid: [Double]

    static let gridSize = 48

    init(options: BetaFitOptions) {
        depths = options.layerBottomsCentimetres
        lower = options.lowerBound
        upper = options.upperBound
        remaining = [Double](repeating: 0, count: depths.count)
        let u0 = Foundation.log(-Foundation.log(options.upperBound))
        let u1 = Foundation.log(-Foundation.log(options.lowerBound))
        var points: [Double] = []
        for i in 0..<Self.gridSize {
            let u = u0 + (u1 - u0) * Double(i) / Double(Self.gridSize - 1)
            points.append(Foundation.exp(-Foundation.exp(u)))
        }
        points[0] = options.upperBound
        points[Self.gridSize - 1] = options.lowerBound
        grid = points
    }

    /// Σ (β^dᵢ − (1 − Yᵢ))².
    @inline(__always)
    func objective(_ beta: Double) -> Double {
        let logBeta = Foundation.log(beta)
        var sum = 0.0
        for i in 0..<depths.count {
            let r = Foundation.exp(depths[i] * logBeta) - remaining[i]
            sum += r * r
        }
        return sum
    }

    /// First and second derivatives of the objective with respect to β.
    @inline(__always)
    func derivatives(_ beta: Double) -> (first: Double, second: Double) {
        let logBeta = Foundation.log(beta)
        var g = 0.0, h = 0.0
        for i in 0..<depths.count {
            let d = depths[i]
            let p = Foundation.exp(d * logBeta)          // β^d
            let r = p - remaining[i]
            let dp = d * p / beta                         // dβ^d/dβ
            let d2p = d * (d - 1) * p / (beta * beta)
            g += 2 * r * dp
            h += 2 * (dp * dp + r * d2p)
        }
        return (g, h)
    }

    /// β on the grid point `i` (index 0 = upper bound, last = lower bound).
    @inline(__always)
    func gridBeta(_ i: Int) -> Double { grid[i] }

    mutating func fit(_ densities: UnsafeBufferPointer<Double>) -> BetaFit {
        var total = 0.0
        for d in densities {
            if d.isNaN { return BetaFit(beta: .nan, rmse: .nan, status: .missingLayerDensity) }
            if d < 0 { return BetaFit(beta: .nan, rmse: .nan, status: .negativeLayerDensity) }
            total += d
        }
        guard total > 0, total.isFinite else {
            return BetaFit(beta: .nan, rmse: .nan, status: .nonPositiveTotal)
        }
        // 1 − Y(dᵢ) = share of the density below dᵢ (summed from the bottom for accuracy).
        var below = 0.0
        var i = densities.count - 1
        while i >= 0 {
            remaining[i] = below / total
            below += densities[i]
            i -= 1
        }

        // Grid scan (index 0 = upper bound, last = lower bound).
        var bestIndex = 0
        var bestValue = Double.infinity
        for g in 0..<Self.gridSize {
            let v = objective(gridBeta(g))
            if v < bestValue { bestValue = v; bestIndex = g }
        }
        var beta: Double
        var status = BetaFitStatus.ok
        let last = Self.gridSize - 1
        if bestIndex == 0 && derivatives(upper).first <= 0 {
            beta = upper
            status = .atUpperBound
        } else if bestIndex == last && derivatives(lower).first >= 0 {
            beta = lower
            status = .atLowerBound
        } else {
            let a = gridBeta(min(bestIndex + 1, last))   // smaller β
            let b = gridBeta(max(bestIndex - 1, 0))      // larger β
            beta = brentMinimum(of: objective, in: a...b, relativeTolerance: 1e-14, absoluteTolerance: 1e-16, maxIterations: 200)
            // Newton polish inside the bracket.
            for _ in 0..<8 {
                let (g, h) = derivatives(beta)
                guard h > 0 else { break }
                let next = beta - g / h
                guard next > a, next < b else { break }
                let step = abs(next - beta)
                if objective(next) > objective(beta) { break }
                beta = next
                if step < 1e-15 { break }
            }
            if beta <= lower { beta = lower; status = .atLowerBound }
            if beta >= upper { beta = upper; status = .atUpperBound }
        }
        let rmse = (objective(beta) / Double(depths.count)).squareRoot()
        return BetaFit(beta: beta, rmse: rmse, status: status)
    }
}

/// A depth layer [upper, lower] in cm below the mineral surface (METHOD.md §5).
public struct DepthLayer: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Upper depth, cm.
    public var upperCentimetres: Double
    /// Lower depth, cm.
    public var lowerCentimetres: Double

    /// Creates a layer.
    public init(upperCentimetres: Double, lowerCentimetres: Double) {
        self.upperCentimetres = upperCentimetres
        self.lowerCentimetres = lowerCentimetres
    }

    /// The layers METHOD.md §5 reports: 0–20, 20–40, 40–60, 60–80, 80–100, 20–100, 0–100 cm.
    public static let reported: [DepthLayer] = [
        DepthLayer(upperCentimetres: 0, lowerCentimetres: 20),
        DepthLayer(upperCentimetres: 20, lowerCentimetres: 40),
        DepthLayer(upperCentimetres: 40, lowerCentimetres: 60),
        DepthLayer(upperCentimetres: 60, lowerCentimetres: 80),
        DepthLayer(upperCentimetres: 80, lowerCentimetres: 100),
        DepthLayer(upperCentimetres: 20, lowerCentimetres: 100),
        DepthLayer(upperCentimetres: 0, lowerCentimetres: 100),
    ]

    /// Label such as `20-100` (the file-name form of METHOD.md §9).
    public var description: String {
        func fmt(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(x) }
        return "\(fmt(upperCentimetres))-\(fmt(lowerCentimetres))"
    }
}

/// SOC density of the layer [a, b] cm from the topsoil density and β (METHOD.md §5, the
/// generalisation of Eq. 4): X_a–b = X₀₋₂₀ (β^a − β^b) / (1 − β²⁰).
/// Computed with `expm1` so that β close to 1 loses no precision; β = 1 gives the limit
/// X₀₋₂₀ (b − a) / 20.
///
/// - Parameters: `topsoilDensityMgPerHa` X₀₋₂₀ in Mg C ha⁻¹; `beta` in (0, 1];
///   `upperCentimetres` a and `lowerCentimetres` b in cm.
/// - Returns: Mg C ha⁻¹ (NaN when β is NaN or outside (0, 1]).
@inlinable
public func layerSOCDensityFromTopsoilMgPerHa(topsoilDensityMgPerHa: Double, beta: Double,
                                              upperCentimetres a: Double, lowerCentimetres b: Double) -> Double {
    guard beta > 0, beta <= 1 else { return .nan }
    if beta == 1 { return topsoilDensityMgPerHa * (b - a) / 20 }
    let logBeta = Foundation.log(beta)
    // β^a − β^b = −β^a · expm1((b − a) ln β);  1 − β²⁰ = −expm1(20 ln β).
    let numerator = -Foundation.exp(a * logBeta) * Foundation.expm1((b - a) * logBeta)
    let denominator = -Foundation.expm1(20 * logBeta)
    return topsoilDensityMgPerHa * numerator / denominator
}

/// The SOC densities of several layers [a, b] cm from one topsoil density and one β (METHOD.md §5, the
/// generalisation of Eq. 4: X_a–b = X₀₋₂₀ (β^a − β^b) / (1 − β²⁰)), sharing ln β and every exponential that two
/// layers have in common: the seven reported layers need 8 calls of `exp`/`expm1`/`log` instead of 28. Each value
/// equals `layerSOCDensityFromTopsoilMgPerHa` of its layer bit for bit (the same operations on the same operands).
public struct LayerSOCDensities: Sendable {
    /// (upper a, lower b) depth of each layer, cm.
    public let depths: [(upper: Double, lower: Double)]
    /// The distinct upper depths a (for β^a = exp(a ln β)) and the distinct thicknesses b − a and 20
    /// (for expm1((b − a) ln β) and 1 − β²⁰), concatenated: `arguments[k] · ln β` is evaluated once per k.
    private let arguments: [Double]
    /// How many of `arguments` are upper depths (the rest are thicknesses).
    private let powerCount: Int
    /// Per layer, the index of its a and of its b − a in `arguments`; the index of 20.
    private let powerIndex, thicknessIndex: [Int]
    private let denominatorIndex: Int

    /// The evaluator for `depths` (cm, a < b).
    public init(depths: [(upper: Double, lower: Double)]) {
        self.depths = depths
        var powers: [Double] = [], thicknesses: [Double] = [20]
        for (a, b) in depths {
            if !powers.contains(a) { powers.append(a) }
            if !thicknesses.contains(b - a) { thicknesses.append(b - a) }
        }
        arguments = powers + thicknesses
        powerCount = powers.count
        powerIndex = depths.map { layer in powers.firstIndex(of: layer.upper) ?? 0 }
        thicknessIndex = depths.map { layer in powers.count + (thicknesses.firstIndex(of: layer.lower - layer.upper) ?? 0) }
        denominatorIndex = powers.count
    }

    /// Writes X_a–b in Mg C ha⁻¹ of every layer, in `depths` order, to `out` (NaN for every layer when β is NaN or
    /// outside (0, 1]; X₀₋₂₀ (b − a) / 20 at β = 1).
    public func evaluate(topsoilDensityMgPerHa x: Double, beta: Double, into out: UnsafeMutablePointer<Double>) {
        guard beta > 0, beta <= 1 else {
            for l in depths.indices { out[l] = .nan }
            return
        }
        if beta == 1 {
            for (l, layer) in depths.enumerated() { out[l] = x * (layer.lower - layer.upper) / 20 }
            return
        }
        let logBeta = Foundation.log(beta)
        withUnsafeTemporaryAllocation(of: Double.self, capacity: arguments.count) { value in
            for k in 0..<powerCount { value[k] = Foundation.exp(arguments[k] * logBeta) }
            for k in powerCount..<arguments.count { value[k] = Foundation.expm1(arguments[k] * logBeta) }
            let denominator = -value[denominatorIndex]
            for l in depths.indices {
                let numerator = -value[powerIndex[l]] * value[thicknessIndex[l]]
                out[l] = x * numerator / denominator
            }
        }
    }
}

/// Eq. 4 (METHOD.md §5): X₀₋₁₀₀ = X₀₋₂₀ (1 − β¹⁰⁰) / (1 − β²⁰), in Mg C ha⁻¹.
@inlinable
public func socDensity0to100MgPerHa(topsoilDensityMgPerHa: Double, beta: Double) -> Double {
    layerSOCDensityFromTopsoilMgPerHa(topsoilDensityMgPerHa: topsoilDensityMgPerHa, beta: beta,
                                      upperCentimetres: 0, lowerCentimetres: 100)
}

/// Subsoil (20–100 cm) SOC density from X₀₋₂₀ and β (METHOD.md §5), Mg C ha⁻¹.
@inlinable
public func subsoilSOCDensity20to100MgPerHa(topsoilDensityMgPerHa: Double, beta: Double) -> Double {
    layerSOCDensityFromTopsoilMgPerHa(topsoilDensityMgPerHa: topsoilDensityMgPerHa, beta: beta,
                                      upperCentimetres: 20, lowerCentimetres: 100)
}
