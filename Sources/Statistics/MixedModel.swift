// The paper's random-effects baseline (Sect. 2.5): a linear mixed model with a random intercept per study.
import Essentials
import Foundation

/// A linear mixed model y = Xβ + u_study + ε with one random intercept per group, u ~ N(0, σ_u²) and
/// ε ~ N(0, σ²), fitted by restricted maximum likelihood (REML) as `lme4::lmer(y ~ x… + (1 | group))`.
///
/// With λ = σ_u²/σ² and H = I + λZZ′ (block-diagonal: per group of n_j rows H_j⁻¹ = I − c_j 11′,
/// c_j = λ / (1 + n_j λ)), the REML criterion profiled over β and σ² is
/// −2ℓ_R(λ) = (N − p)(1 + log(2π σ̂²)) + Σ_j log(1 + n_j λ) + log|X′H⁻¹X|, with
/// β̂ = (X′H⁻¹X)⁻¹X′H⁻¹y and σ̂² = r′H⁻¹r / (N − p); it is minimised over log λ by Brent's method
/// (λ = 0 is checked as the boundary). Standard errors of β̂ are √diag(σ̂²(X′H⁻¹X)⁻¹); the conditional mode
/// (BLUP) of group j is c_j Σ_{i∈j} (y_i − x_i β̂).
public struct MixedModel: Sendable {
    /// Names of the fixed effects: `(Intercept)` then the covariates.
    public let terms: [String]
    /// Fixed-effect estimates, in `terms` order.
    public let coefficients: [Double]
    /// Their standard errors.
    public let standardErrors: [Double]
    /// Variance of the group intercepts, σ_u².
    public let groupVariance: Double
    /// Residual variance, σ².
    public let residualVariance: Double
    /// The REML criterion at the optimum (−2 × restricted log-likelihood).
    public let remlCriterion: Double
    /// Conditional mode (BLUP) of every group's intercept, by group name.
    public let groupEffects: [String: Double]

    /// Fits `response ~ covariates + (1 | group)` by REML.
    /// - Parameters: `covariates[name]` holds one value per row; `groups` the group of every row.
    /// - Throws: `StatisticsError` for mismatched lengths, non-finite values, or a singular design.
    public init(response: [Double], covariates: [(name: String, values: [Double])], groups: [String]) throws {
        let n = response.count, p = covariates.count + 1
        guard groups.count == n, covariates.allSatisfy({ $0.values.count == n }) else {
            throw StatisticsError.invalidArgument("mixed model: response, covariates and groups must have one value per row")
        }
        guard n > p else { throw StatisticsError.invalidArgument("mixed model: \(n) rows for \(p) fixed effects") }
        guard response.allSatisfy(\.isFinite), covariates.allSatisfy({ $0.values.allSatisfy(\.isFinite) }) else {
            throw StatisticsError.invalidArgument("mixed model: missing or non-finite values")
        }
        terms = ["(Intercept)"] + covariates.map(\.name)
        // Row-major design with an intercept column.
        var design = [Double](repeating: 1, count: n * p)
        for (c, covariate) in covariates.enumerated() { for i in 0..<n { design[i * p + c + 1] = covariate.values[i] } }
        var groupNames: [String] = [], groupOfName: [String: Int] = [:]
        var groupOfRow = [Int](repeating: 0, count: n)
        for (i, name) in groups.enumerated() {
            if let g = groupOfName[name] { groupOfRow[i] = g } else {
                groupOfName[name] = groupNames.count
                groupOfRow[i] = groupNames.count
                groupNames.append(name)
            }
        }
        let data = Sufficient(design: design, response: response, groupOfRow: groupOfRow, groupCount: groupNames.count, p: p)
        // Minimise the profiled criterion over θ = log λ; compare with the boundary λ = 0.
        let criterion = { (theta: Double) -> Double in (try? data.profile(lambda: exp(theta)).criterion) ?? .infinity }
        let theta = brentMinimum(of: criterion, in: -25...15, relativeTolerance: 1e-12, absoluteTolerance: 1e-14, maxIterations: 500)
        var best = try data.profile(lambda: exp(theta))
        let boundary = try data.profile(lambda: 0)
        if boundary.criterion < best.criterion { best = boundary }
        coefficients = best.beta
        standardErrors = best.inverseA.indices.filter { $0 % (p + 1) == 0 }.map { (best.sigma2 * best.inverseA[$0]).squareRoot() }
        residualVariance = best.sigma2
        groupVariance = best.lambda * best.sigma2
        remlCriterion = best.criterion
        var effects: [String: Double] = [:]
        for (g, name) in groupNames.enumerated() {
            let c = best.lambda / (1 + Double(data.groupSize[g]) * best.lambda)
            effects[name] = c * best.residualSums[g]
        }
        groupEffects = effects
    }

    /// Predictions for new rows: fixed effects plus the group's effect when the group is known (`groups`
    /// given and fitted), else the fixed effects alone (a site of an unknown study).
    public func predict(covariates: [[Double]], groups: [String?]) -> [Double] {
        zip(covariates, groups).map { row, group in
            var value = coefficients[0]
            for (k, x) in row.enumerated() where k + 1 < coefficients.count { value += coefficients[k + 1] * x }
            return value + (group.flatMap { groupEffects[$0] } ?? 0)
        }
    }

    /// Sums per group that make every evaluation of the criterion O(groups × p²).
    struct Sufficient {
        let p: Int, n: Int
        let groupSize: [Int]
        /// Per group: X_j′X_j (p×p), X_j′1 (p), X_j′y_j (p), 1′y_j, y_j′y_j.
        let xtx: [[Double]], xt1: [[Double]], xty: [[Double]], sumY: [Double], yty: [Double]
        let design: [Double], response: [Double], groupOfRow: [Int]

        init(design: [Double], response: [Double], groupOfRow: [Int], groupCount: Int, p: Int) {
            self.p = p
            n = response.count
            var size = [Int](repeating: 0, count: groupCount)
            var xtx = [[Double]](repeating: [Double](repeating: 0, count: p * p), count: groupCount)
            var xt1 = [[Double]](repeating: [Double](repeating: 0, count: p), count: groupCount)
            var xty = xt1, sumY = [Double](repeating: 0, count: groupCount), yty = sumY
            for i in 0..<response.count {
                let g = groupOfRow[i], y = response[i]
                size[g] += 1
                sumY[g] += y
                yty[g] += y * y
                for a in 0..<p {
                    let xa = design[i * p + a]
                    xt1[g][a] += xa
                    xty[g][a] += xa * y
                    for b in 0..<p { xtx[g][a * p + b] += xa * design[i * p + b] }
                }
            }
            (groupSize, self.xtx, self.xt1, self.xty, self.sumY, self.yty) = (size, xtx, xt1, xty, sumY, yty)
            (self.design, self.response, self.groupOfRow) = (design, response, groupOfRow)
        }

        struct Profile {
            var lambda: Double, beta: [Double], sigma2: Double, criterion: Double, inverseA: [Double], residualSums: [Double]
        }

        /// β̂, σ̂² and the REML criterion at `lambda`.
        func profile(lambda: Double) throws -> Profile {
            var a = [Double](repeating: 0, count: p * p), b = [Double](repeating: 0, count: p)
            var logDetH = 0.0
            for g in groupSize.indices {
                let c = lambda / (1 + Double(groupSize[g]) * lambda)
                logDetH += log1p(Double(groupSize[g]) * lambda)
                for r in 0..<p {
                    b[r] += xty[g][r] - c * xt1[g][r] * sumY[g]
                    for s in 0..<p { a[r * p + s] += xtx[g][r * p + s] - c * xt1[g][r] * xt1[g][s] }
                }
            }
            let (inverse, logDetA) = try MixedModel.invertSymmetric(a, p)
            var beta = [Double](repeating: 0, count: p)
            for r in 0..<p { for s in 0..<p { beta[r] += inverse[r * p + s] * b[s] } }
            var residualSums = [Double](repeating: 0, count: groupSize.count), squares = 0.0
            for i in 0..<n {
                var fit = 0.0
                for k in 0..<p { fit += design[i * p + k] * beta[k] }
                let r = response[i] - fit
                residualSums[groupOfRow[i]] += r
                squares += r * r
            }
            var q = squares
            for g in groupSize.indices {
                let c = lambda / (1 + Double(groupSize[g]) * lambda)
                q -= c * residualSums[g] * residualSums[g]
            }
            let dof = Double(n - p)
            let sigma2 = q / dof
            let criterion = dof * (1 + log(2 * Double.pi * sigma2)) + logDetH + logDetA
            return Profile(lambda: lambda, beta: beta, sigma2: sigma2, criterion: criterion, inverseA: inverse, residualSums: residualSums)
        }
    }

    /// Inverse and log-determinant of a symmetric positive-definite p×p matrix (Cholesky).
    static func invertSymmetric(_ a: [Double], _ p: Int) throws -> (inverse: [Double], logDeterminant: Double) {
        var l = [Double](repeating: 0, count: p * p)
        for i in 0..<p {
            for j in 0...i {
                var sum = a[i * p + j]
                for k in 0..<j { sum -= l[i * p + k] * l[j * p + k] }
                if i == j {
                    guard sum > 0 else { throw StatisticsError.invalidArgument("mixed model: the fixed-effect design is singular") }
                    l[i * p + i] = sum.squareRoot()
                } else {
                    l[i * p + j] = sum / l[j * p + j]
                }
            }
        }
        var logDeterminant = 0.0
        for i in 0..<p { logDeterminant += 2 * log(l[i * p + i]) }
        // Inverse column by column: solve L L′ x = e_k.
        var inverse = [Double](repeating: 0, count: p * p)
        for column in 0..<p {
            var z = [Double](repeating: 0, count: p)
            for i in 0..<p {
                var sum = i == column ? 1.0 : 0.0
                for k in 0..<i { sum -= l[i * p + k] * z[k] }
                z[i] = sum / l[i * p + i]
            }
            for i in stride(from: p - 1, through: 0, by: -1) {
                var sum = z[i]
                for k in (i + 1)..<p { sum -= l[k * p + i] * inverse[k * p + column] }
                inverse[i * p + column] = sum / l[i * p + i]
            }
        }
        return (inverse, logDeterminant)
    }

    /// Out-of-fold predictions for the given folds (docs/METHOD.md §8c): for each fold the model is fitted on
    /// the other folds; a held-out row gets its group's effect when that group has rows in the training
    /// folds, else the fixed effects alone. Returns the prediction of every row.
    /// - Throws: `StatisticsError` when a training set cannot be fitted.
    public static func crossValidate(response: [Double], covariates: [(name: String, values: [Double])], groups: [String],
                                     folds: [Int]) throws -> [Double] {
        var predicted = [Double](repeating: .nan, count: response.count)
        for fold in Set(folds).sorted() {
            let train = folds.indices.filter { folds[$0] != fold }, test = folds.indices.filter { folds[$0] == fold }
            let model = try MixedModel(response: train.map { response[$0] },
                                       covariates: covariates.map { covariate in (covariate.name, train.map { covariate.values[$0] }) },
                                       groups: train.map { groups[$0] })
            let values = model.predict(covariates: test.map { row in covariates.map { $0.values[row] } }, groups: test.map { groups[$0] })
            for (k, row) in test.enumerated() { predicted[row] = values[k] }
        }
        return predicted
    }
}
