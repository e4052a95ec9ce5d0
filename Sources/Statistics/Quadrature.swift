// Numerical integration used by the studentized-range distribution.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Nodes and weights of an n-point Gauss–Legendre rule on [−1, 1].
///
/// Computed (not tabulated) by Newton's method on the Legendre polynomial P_n with the
/// three-term recurrence; nodes are accurate to machine precision.
struct GaussLegendreRule: Sendable {
    let nodes: [Double]
    let weights: [Double]

    init(pointCount n: Int) {
        precondition(n >= 2, "a Gauss–Legendre rule here needs at least two points")
        var nodes = [Double](repeating: 0, count: n)
        var weights = [Double](repeating: 0, count: n)
        for i in 0..<((n + 1) / 2) {
            // Initial guess: Chebyshev-like approximation of the i-th root.
            var x = cos(Double.pi * (Double(i) + 0.75) / (Double(n) + 0.5))
            var derivative = 0.0
            for _ in 0..<100 {
                var p0 = 1.0, p1 = x
                for k in 2...n {
                    let pk = ((2 * Double(k) - 1) * x * p1 - (Double(k) - 1) * p0) / Double(k)
                    p0 = p1; p1 = pk
                }
                // P_n = p1, P_{n-1} = p0
                derivative = Double(n) * (x * p1 - p0) / (x * x - 1)
                let step = p1 / derivative
                x -= step
                if abs(step) < 1e-16 { break }
            }
            let weight = 2 / ((1 - x * x) * derivative * derivative)
            nodes[i] = -x; nodes[n - 1 - i] = x
            weights[i] = weight; weights[n - 1 - i] = weight
        }
        self.nodes = nodes
        self.weights = weights
    }

    /// ∫_a^b f(x) dx with this rule.
    @inline(__always)
    func integrate(_ a: Double, _ b: Double, _ f: (Double) -> Double) -> Double {
        let half = 0.5 * (b - a), middle = 0.5 * (a + b)
        var sum = 0.0
        for i in 0..<nodes.count { sum += weights[i] * f(middle + half * nodes[i]) }
        return sum * half
    }
}

/// The 20-point rule shared by all integrations here.
let gaussLegendre20 = GaussLegendreRule(pointCount: 20)
