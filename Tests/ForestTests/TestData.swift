import Essentials
import Forest

/// Synthetic regression data sets with closed-form truth, generated from the project's own
/// seeded stream so that tests are reproducible.
enum TestData {
    /// Friedman #1 (Friedman 1991): y = 10 sin(π x1 x2) + 20 (x3 − 0.5)² + 10 x4 + 5 x5 + σ·ε, x ~ U(0,1)^p, p ≥ 5.
    static func friedman1(rows: Int, features: Int = 10, noiseSD: Double = 1, seed: UInt64) -> (FeatureMatrix, [Double], truth: [Double]) {
        var rng = RandomStream(seed: seed, stream: 0, purpose: .folds)
        var columns = [[Double]](repeating: [], count: features)
        for f in 0..<features { columns[f] = (0..<rows).map { _ in rng.uniformDouble() } }
        var truth = [Double](), y = [Double]()
        for i in 0..<rows {
            let t = 10 * sin(Double.pi * columns[0][i] * columns[1][i]) + 20 * (columns[2][i] - 0.5) * (columns[2][i] - 0.5)
                + 10 * columns[3][i] + 5 * columns[4][i]
            truth.append(t)
            y.append(t + noiseSD * normal(&rng))
        }
        let matrix = try! FeatureMatrix(columns: (0..<features).map { ("x\($0 + 1)", columns[$0]) })
        return (matrix, y, truth)
    }

    /// A standard normal deviate (Box–Muller).
    static func normal(_ rng: inout RandomStream) -> Double {
        let u1 = max(rng.uniformDouble(), 1e-300), u2 = rng.uniformDouble()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

#if canImport(Glibc)
import Glibc
#endif
