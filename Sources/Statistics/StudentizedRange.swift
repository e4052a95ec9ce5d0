// The studentized range distribution (Tukey HSD, METHOD.md §6), written for soilbeta from its
// definition as a double integral.
//
// With k independent N(0, 1) means and an independent scale s = sqrt(χ²_ν / ν):
//   W(w)      = P(range of k normals < w) = k ∫ φ(z) [Φ(z + w) − Φ(z)]^(k−1) dz
//   P(Q ≤ q)  = ∫₀^∞ f_ν(s) W(q s) ds,   f_ν(s) ∝ s^(ν−1) exp(−ν s² / 2).
// Both integrals are evaluated by composite 20-point Gauss–Legendre quadrature; the scale
// density is normalised numerically over the same nodes so that no large log-gamma terms cancel.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Fixed quadrature for the inner integral over z ∈ [−9.5, 9.5] (φ(z) < 1e-19 outside):
/// 10 panels with the 20-point Gauss–Legendre rule, with φ, Φ and 1 − Φ tabulated at the nodes.
private struct RangeQuadrature: Sendable {
    var nodes: [Double] = []
    var weightedDensity: [Double] = []   // quadrature weight × φ(z)
    var lowerTail: [Double] = []         // Φ(z)
    var upperTail: [Double] = []         // 1 − Φ(z)

    init() {
        let panelCount = 10, panelWidth = 19.0 / 10
        for panel in 0..<panelCount {
            let middle = -9.5 + (Double(panel) + 0.5) * panelWidth
            for (node, weight) in zip(gaussLegendre20.nodes, gaussLegendre20.weights) {
                let z = middle + 0.5 * panelWidth * node
                nodes.append(z)
                weightedDensity.append(weight * 0.5 * panelWidth * standardNormalDensity(z))
                lowerTail.append(standardNormalCDF(z))
                upperTail.append(standardNormalUpperTail(z))
            }
        }
    }

    /// W(w) = k ∫ φ(z) [Φ(z + w) − Φ(z)]^(k−1) dz (or 1 − W(w) when `upperTail`) and, when
    /// `withDerivative`, W'(w) = k (k − 1) ∫ φ(z) φ(z + w) [Φ(z + w) − Φ(z)]^(k−2) dz.
    func rangeProbability(_ w: Double, groupCount k: Int, upperTail wantUpper: Bool,
                          withDerivative: Bool) -> (probability: Double, derivative: Double) {
        if w <= 0 { return (wantUpper ? 1 : 0, 0) }
        var sum = 0.0, derivativeSum = 0.0
        let count = nodes.count
        nodes.withUnsafeBufferPointer { z in
        weightedDensity.withUnsafeBufferPointer { density in
        lowerTail.withUnsafeBufferPointer { lower in
        upperTail.withUnsafeBufferPointer { upper in
            for i in 0..<count {
                let shifted = z[i] + w
                // Φ(z + w) − Φ(z) without cancellation: upper tails where z is positive.
                let mass = z[i] > 0 ? upper[i] - standardNormalUpperTail(shifted)
                                    : standardNormalCDF(shifted) - lower[i]
                var power = 1.0                       // mass^(k−2)
                var exponent = k - 2
                while exponent > 0 { power *= mass; exponent -= 1 }
                sum += density[i] * power * mass
                if withDerivative { derivativeSum += density[i] * power * standardNormalDensity(shifted) }
            }
        }}}}
        let lowerProbability = min(1, Double(k) * sum)
        return (wantUpper ? max(0, 1 - lowerProbability) : lowerProbability,
                Double(k * (k - 1)) * derivativeSum)
    }
}

private let rangeQuadrature = RangeQuadrature()

/// Probability that the range of `groupCount` independent standard normal variables is
/// below `w` (the studentized range with infinite degrees of freedom).
func normalRangeCDF(_ w: Double, groupCount k: Int, upperTail: Bool = false) -> Double {
    rangeQuadrature.rangeProbability(w, groupCount: k, upperTail: upperTail, withDerivative: false).probability
}

/// Cumulative distribution function of the studentized range Q with `groupCount` means and
/// `df` error degrees of freedom.
///
/// - Parameters:
///   - q: the studentized range statistic (difference of means / standard error).
///   - groupCount: number of means compared, k ≥ 2.
///   - df: error degrees of freedom ν ≥ 1 (need not be an integer); `.infinity` allowed.
///   - upperTail: `true` for P(Q > q), the Tukey HSD adjusted p-value.
/// - Returns: the probability, accurate to about 1e-9 for integer ν. R `ptukey` agrees to
///   about 1e-7 for ν ≥ 5; it is less accurate for ν < 5 (≈1e-4 at ν = 2) and uses the ν = ∞
///   value for ν > 25 000, which this function does not.
public func studentizedRangeCDF(_ q: Double, groupCount: Int, df: Double, upperTail: Bool = false) -> Double {
    precondition(groupCount >= 2, "the studentized range needs at least two means")
    precondition(df >= 1, "the studentized range needs at least one error degree of freedom")
    if q.isNaN { return .nan }
    if q <= 0 { return upperTail ? 1 : 0 }
    if q == .infinity { return upperTail ? 0 : 1 }
    return studentizedRangeWithDensity(q, groupCount: groupCount, df: df, upperTail: upperTail,
                                       withDensity: false).probability
}

/// P(Q ≤ q) (or P(Q > q)) and, on request, the density dP(Q ≤ q)/dq, by the double integral.
private func studentizedRangeWithDensity(_ q: Double, groupCount k: Int, df: Double, upperTail: Bool,
                                         withDensity: Bool) -> (probability: Double, density: Double) {
    if df == .infinity || df > 1e12 {
        let value = rangeQuadrature.rangeProbability(q, groupCount: k, upperTail: upperTail, withDerivative: withDensity)
        return (value.probability, value.derivative)
    }
    // Log density of s relative to its value at the mode (normalised numerically below).
    let mode = df > 1 ? ((df - 1) / df).squareRoot() : 0
    let logAtMode = df > 1 ? (df - 1) * log(mode) - df * mode * mode / 2 : 0
    func logDensity(_ s: Double) -> Double {
        if s <= 0 { return df > 1 ? -.infinity : 0 }
        return (df - 1) * log(s) - df * s * s / 2 - logAtMode
    }
    // Limits where the density has fallen below e^-40 of its peak (or s = 0).
    let spread = 1 / (2 * df).squareRoot()
    let coarseWidth = 3 * spread
    var upperLimit = mode + coarseWidth
    while logDensity(upperLimit) > -40 { upperLimit += coarseWidth }
    var lowerLimit = mode
    while lowerLimit > 0 && logDensity(lowerLimit) > -40 { lowerLimit = max(0, lowerLimit - coarseWidth) }
    // W(q s) changes from 0 to 1 over q s ∈ (0, ~10): there the panels are also at most 1/q wide.
    let transitionEnd = min(upperLimit, max(lowerLimit, 10 / q))
    var pieces: [(start: Double, end: Double, width: Double)] = []
    if transitionEnd > lowerLimit { pieces.append((lowerLimit, transitionEnd, min(coarseWidth, 2 / q))) }
    if upperLimit > transitionEnd { pieces.append((transitionEnd, upperLimit, coarseWidth)) }
    var normaliser = 0.0, weighted = 0.0, weightedDerivative = 0.0
    for piece in pieces {
        let panelCount = max(1, Int(((piece.end - piece.start) / piece.width).rounded(.up)))
        let width = (piece.end - piece.start) / Double(panelCount)
        for panel in 0..<panelCount {
            let middle = piece.start + (Double(panel) + 0.5) * width
            for i in 0..<gaussLegendre20.nodes.count {
                let s = middle + 0.5 * width * gaussLegendre20.nodes[i]
                let density = gaussLegendre20.weights[i] * 0.5 * width * exp(logDensity(s))
                if density == 0 { continue }
                normaliser += density
                let range = rangeQuadrature.rangeProbability(q * s, groupCount: k, upperTail: upperTail,
                                                             withDerivative: withDensity)
                weighted += density * range.probability
                weightedDerivative += density * s * range.derivative
            }
        }
    }
    return (max(0, min(1, weighted / normaliser)), weightedDerivative / normaliser)
}

/// Quantile function of the studentized range: the q with P(Q ≤ q) = p.
///
/// Used for the Tukey HSD confidence intervals `diff ± q(0.95; k, ν) · sqrt(MSE/2 · (1/nᵢ + 1/nⱼ))`
/// (METHOD.md §6). Solved by safeguarded Newton iteration (the density comes from the same
/// double integral) to a relative accuracy of about 1e-9. R `qtukey` stops its secant iteration at 1e-4 and inherits
/// `ptukey`'s error: it is within ~1e-7 of the exact root for ν ≥ 20, ~3e-6 relative at ν = 5,
/// and up to 10 % off at ν = 2 (k = 10, p = 0.99).
public func studentizedRangeQuantile(_ p: Double, groupCount: Int, df: Double) -> Double {
    precondition(groupCount >= 2 && df >= 1)
    if p.isNaN || p < 0 || p > 1 { return .nan }
    if p == 0 { return 0 }
    if p == 1 { return .infinity }
    // Safeguarded Newton iteration with the density from the same double integral.
    var low = 0.0, high = Double.infinity
    var q = 3.5
    for _ in 0..<100 {
        let value = studentizedRangeWithDensity(q, groupCount: groupCount, df: df, upperTail: false, withDensity: true)
        let difference = value.probability - p
        if difference == 0 { return q }
        if difference < 0 { low = q } else { high = q }
        var next = value.density > 0 ? q - difference / value.density : .nan
        if !(next > low && next < high) {
            next = high.isFinite ? 0.5 * (low + high) : 2 * q
        }
        if abs(next - q) <= 1e-12 * q { return next }
        q = next
    }
    return q
}
