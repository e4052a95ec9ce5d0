// Continuous distributions needed by the statistics of METHOD.md §6: Student t, F, normal.
// Written for soilbeta from the textbook definitions (regularised incomplete beta function by
// its continued fraction, evaluated with the modified Lentz method); `lgamma` and `erfc` come
// from the platform's C maths library.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Regularised incomplete beta function I_x(a, b) = B(x; a, b) / B(a, b).
///
/// - Parameters:
///   - x: upper limit of integration, 0 ≤ x ≤ 1.
///   - a, b: shape parameters, both > 0.
///   - complementOfX: 1 − x when the caller knows it more accurately than `1 - x`
///     (e.g. t²/(ν + t²)); defaults to `1 - x`.
/// - Returns: I_x(a, b) in [0, 1]. Relative accuracy about 1e-14 for moderate a and b.
///
/// The continued fraction converges quickly for x < (a + 1)/(a + b + 2); otherwise the symmetry
/// I_x(a, b) = 1 − I_{1−x}(b, a) is used. Used for the F (ANOVA, METHOD.md §6) and t
/// (LOESS confidence band) distributions.
public func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double, complementOfX: Double? = nil) -> Double {
    let y = complementOfX ?? (1 - x)
    if x <= 0 { return 0 }
    if y <= 0 { return 1 }
    if x > (a + 1) / (a + b + 2) {
        return 1 - regularizedIncompleteBeta(y, a: b, b: a, complementOfX: x)
    }
    // log of the prefactor x^a (1-x)^b / (a B(a, b)).
    let logPrefactor = a * log(x) + b * log(y) + lgamma(a + b) - lgamma(a) - lgamma(b) - log(a)
    return exp(logPrefactor) * incompleteBetaContinuedFraction(x, a: a, b: b)
}

/// Continued fraction of the incomplete beta function (modified Lentz evaluation).
private func incompleteBetaContinuedFraction(_ x: Double, a: Double, b: Double) -> Double {
    let tiny = 1e-300
    let epsilon = 1e-16
    // Terms d_{2m+1} = -(a+m)(a+b+m)x / ((a+2m)(a+2m+1)), d_{2m} = m(b-m)x / ((a+2m-1)(a+2m)).
    var numeratorTerm = 1.0        // C_j
    var denominatorTerm = 1 - (a + b) * x / (a + 1)   // D_j before inversion
    if abs(denominatorTerm) < tiny { denominatorTerm = tiny }
    denominatorTerm = 1 / denominatorTerm
    var fraction = denominatorTerm
    var m = 1.0
    while m < 100_000 {
        let twoM = 2 * m
        // even step
        var coefficient = m * (b - m) * x / ((a + twoM - 1) * (a + twoM))
        denominatorTerm = 1 + coefficient * denominatorTerm
        if abs(denominatorTerm) < tiny { denominatorTerm = tiny }
        numeratorTerm = 1 + coefficient / numeratorTerm
        if abs(numeratorTerm) < tiny { numeratorTerm = tiny }
        denominatorTerm = 1 / denominatorTerm
        fraction *= denominatorTerm * numeratorTerm
        // odd step
        coefficient = -(a + m) * (a + b + m) * x / ((a + twoM) * (a + twoM + 1))
        denominatorTerm = 1 + coefficient * denominatorTerm
        if abs(denominatorTerm) < tiny { denominatorTerm = tiny }
        numeratorTerm = 1 + coefficient / numeratorTerm
        if abs(numeratorTerm) < tiny { numeratorTerm = tiny }
        denominatorTerm = 1 / denominatorTerm
        let change = denominatorTerm * numeratorTerm
        fraction *= change
        if abs(change - 1) < epsilon { break }
        m += 1
    }
    return fraction
}

/// Cumulative distribution function of the F distribution with (df1, df2) degrees of freedom.
///
/// - Parameters:
///   - f: the F statistic (≥ 0).
///   - df1, df2: numerator and denominator degrees of freedom (> 0, need not be integers).
///   - upperTail: `true` for P(F > f) — the ANOVA p-value (METHOD.md §6) — else P(F ≤ f).
/// - Returns: the probability; matches R `pf`.
public func fDistributionCDF(_ f: Double, df1: Double, df2: Double, upperTail: Bool = false) -> Double {
    precondition(df1 > 0 && df2 > 0, "F distribution needs positive degrees of freedom")
    if f.isNaN { return .nan }
    if f <= 0 { return upperTail ? 1 : 0 }
    if f == .infinity { return upperTail ? 0 : 1 }
    let scaled = df1 * f
    let denominator = scaled + df2
    let lowerX = scaled / denominator          // argument for I(df1/2, df2/2)
    let upperX = df2 / denominator             // argument for I(df2/2, df1/2)
    if upperTail {
        return regularizedIncompleteBeta(upperX, a: df2 / 2, b: df1 / 2, complementOfX: lowerX)
    }
    return regularizedIncompleteBeta(lowerX, a: df1 / 2, b: df2 / 2, complementOfX: upperX)
}

/// Cumulative distribution function P(T ≤ t) of Student's t with `df` degrees of freedom (> 0,
/// need not be an integer). Matches R `pt`.
public func studentTCDF(_ t: Double, df: Double) -> Double {
    precondition(df > 0, "t distribution needs positive degrees of freedom")
    if t.isNaN { return .nan }
    if t == 0 { return 0.5 }
    if t.isInfinite { return t > 0 ? 1 : 0 }
    let tSquared = t * t
    // P(|T| > |t|) = I_{ν/(ν+t²)}(ν/2, 1/2)
    let twoSidedTail = regularizedIncompleteBeta(df / (df + tSquared), a: df / 2, b: 0.5,
                                                 complementOfX: tSquared / (df + tSquared))
    return t < 0 ? twoSidedTail / 2 : 1 - twoSidedTail / 2
}

/// Probability density of Student's t with `df` degrees of freedom at `t`.
public func studentTDensity(_ t: Double, df: Double) -> Double {
    let logDensity = lgamma((df + 1) / 2) - lgamma(df / 2) - 0.5 * log(df * Double.pi)
        - (df + 1) / 2 * log1p(t * t / df)
    return exp(logDensity)
}

/// Quantile function of Student's t: the t with P(T ≤ t) = p. Matches R `qt`.
///
/// Used for the pointwise 95 % LOESS band `fit ± qt(0.975, df) · se` with the non-integer
/// look-up degrees of freedom δ₁²/δ₂ of R `predict.loess` (METHOD.md §6).
/// Solved by safeguarded Newton iteration on the smaller tail; relative accuracy ~1e-13.
public func studentTQuantile(_ p: Double, df: Double) -> Double {
    precondition(df > 0, "t distribution needs positive degrees of freedom")
    if p.isNaN || p < 0 || p > 1 { return .nan }
    if p == 0 { return -.infinity }
    if p == 1 { return .infinity }
    if p == 0.5 { return 0 }
    // Work with the lower tail probability `tail` < 0.5 and a negative t, then reflect.
    let tail = min(p, 1 - p)
    var lower = -1.0
    while studentTCDF(lower, df: df) > tail { lower *= 2 }   // bracket: cdf(lower) ≤ tail
    var upper = 0.0                                           // cdf(upper) = 0.5 > tail
    var t = lower / 2
    for _ in 0..<200 {
        let cdf = studentTCDF(t, df: df)
        let difference = cdf - tail
        if difference > 0 { upper = t } else { lower = t }
        let density = studentTDensity(t, df: df)
        var next = t - difference / density
        if !(next > lower && next < upper) || density <= 0 { next = 0.5 * (lower + upper) }
        if abs(next - t) <= 1e-15 * max(1, abs(t)) { t = next; break }
        t = next
        if upper - lower <= 4e-16 * max(1, abs(t)) { break }
    }
    return p < 0.5 ? t : -t
}

/// Standard normal cumulative distribution function Φ(z).
public func standardNormalCDF(_ z: Double) -> Double {
    0.5 * erfc(-z / 2.0.squareRoot())
}

/// Standard normal upper tail 1 − Φ(z), accurate for large z.
public func standardNormalUpperTail(_ z: Double) -> Double {
    0.5 * erfc(z / 2.0.squareRoot())
}

/// Standard normal density φ(z).
public func standardNormalDensity(_ z: Double) -> Double {
    exp(-0.5 * z * z) / (2 * Double.pi).squareRoot()
}
