import Foundation

/// Brent's method for the minimum of `f` on `interval`: golden-section steps with parabolic interpolation
/// (Brent 1973, as in R's `optimize`). Stops when the bracket is within `relativeTolerance × |x| +
/// `absoluteTolerance` of the current best point, or after `maxIterations`. Used for the β fit
/// (docs/METHOD.md §4) and the mixed model's variance ratio.
public func brentMinimum(of f: (Double) -> Double, in interval: ClosedRange<Double>, relativeTolerance: Double,
                         absoluteTolerance: Double, maxIterations: Int) -> Double {
    let goldenRatioComplement = 0.3819660112501051
    var a = interval.lowerBound, b = interval.upperBound
    var x = a + goldenRatioComplement * (b - a)
    var w = x, v = x
    var fx = f(x)
    var fw = fx, fv = fx
    var d = 0.0, e = 0.0
    for _ in 0..<maxIterations {
        let middle = 0.5 * (a + b)
        let tolerance1 = relativeTolerance * abs(x) + absoluteTolerance
        let tolerance2 = 2 * tolerance1
        if abs(x - middle) <= tolerance2 - 0.5 * (b - a) { break }
        var useGolden = true
        if abs(e) > tolerance1 {
            let r = (x - w) * (fx - fv)
            var q = (x - v) * (fx - fw)
            var p = (x - v) * q - (x - w) * r
            q = 2 * (q - r)
            if q > 0 { p = -p } else { q = -q }
            let previousE = e
            e = d
            if abs(p) < abs(0.5 * q * previousE) && p > q * (a - x) && p < q * (b - x) {
                d = p / q
                let u = x + d
                if u - a < tolerance2 || b - u < tolerance2 {
                    d = middle >= x ? tolerance1 : -tolerance1
                }
                useGolden = false
            }
        }
        if useGolden {
            e = (x >= middle ? a : b) - x
            d = goldenRatioComplement * e
        }
        let u = abs(d) >= tolerance1 ? x + d : x + (d > 0 ? tolerance1 : -tolerance1)
        let fu = f(u)
        if fu <= fx {
            if u >= x { a = x } else { b = x }
            v = w; fv = fw
            w = x; fw = fx
            x = u; fx = fu
        } else {
            if u < x { a = u } else { b = u }
            if fu <= fw || w == x {
                v = w; fv = fw
                w = u; fw = fu
            } else if fu <= fv || v == x || v == w {
                v = u; fv = fu
            }
        }
    }
    return x
}
