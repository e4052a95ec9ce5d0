// LOESS smoothing of β on one covariate with a pointwise confidence band (METHOD.md §6,
// paper Fig. 2), reproducing R `loess(y ~ x)` with its defaults — family "gaussian",
// degree 2, span 0.75, tricube weights, surface "interpolate" (k-d tree with cell = 0.2 and
// cubic Hermite interpolation between vertices), statistics "approximate" with
// trace.hat "exact" — and `predict(fit, newdata, se = TRUE)`.
//
// Written for soilbeta after reading the algorithm description of Cleveland, Grosse & Shyu
// (the dloess code distributed with R). What R computes, and therefore what this file does:
//
// 1. Local fit at a point q: the ⌊n·span⌋ nearest observations (by squared distance) get
//    tricube weights (1 − (|x − q| / h)³)³, h the distance of the ⌊n·span⌋-th nearest
//    (times √span when span > 1); a weighted least-squares polynomial in (x − q) of the given
//    degree is solved with column equilibration, a QR decomposition and an SVD
//    pseudo-inverse (singular values below 100·ε·σ₁ dropped). The fit gives the value and
//    slope at q, both linear in y.
// 2. Surface "interpolate": a k-d tree (here one-dimensional) over the data: the bounding
//    interval widened by 0.5 % of the range on each side is split at the median of its
//    points (moving off ties) while a cell holds more than ⌊n·span·cell⌋ points. The local
//    fit is computed at every vertex; the surface between two vertices is the cubic Hermite
//    interpolant of their values and slopes.
// 3. Hat matrix L of the interpolated surface, its trace (exact), and Cleveland's
//    approximations δ₁ ≈ tr (I − L)ᵀ(I − L), δ₂ ≈ tr [(I − L)ᵀ(I − L)]² from tr L
//    ("statistics = approximate": an empirical interpolation formula; its constants are in
//    `LoessDeltaApproximation` below). Residual scale s = sqrt(RSS / δ₁).
// 4. predict(se = TRUE): se(x₀) = s · ‖L(x₀)‖ with L(x₀) the row of the interpolation
//    operator at x₀; the band uses Student t with δ₁²/δ₂ degrees of freedom (as
//    ggplot2's geom_smooth does with R's loess).
//
// Only one predictor, prior weights 1, and degree 1 or 2 are supported.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How the LOESS surface is evaluated (R `loess.control(surface = )`).
public enum LoessSurface: String, Sendable, CaseIterable {
    /// k-d tree vertices with cubic Hermite interpolation — R's default.
    case interpolate
    /// A separate local regression at every evaluation point.
    case direct
}

/// Settings of a LOESS fit; defaults are R's `loess` defaults.
public struct LoessOptions: Equatable, Sendable {
    /// Fraction of the data in each local neighbourhood (R `span`), > 0.
    public var span: Double
    /// Degree of the local polynomial: 1 or 2 (R `degree`).
    public var degree: Int
    /// Evaluation method (R `surface`).
    public var surface: LoessSurface
    /// Maximum cell size of the k-d tree as a fraction of span (R `cell`), used by `.interpolate`.
    public var cell: Double

    /// R defaults: span 0.75, degree 2, surface "interpolate", cell 0.2.
    public init(span: Double = 0.75, degree: Int = 2, surface: LoessSurface = .interpolate, cell: Double = 0.2) {
        (self.span, self.degree, self.surface) = (span, degree, surface)
        self.cell = cell
    }
}

/// A LOESS prediction at one covariate value with its pointwise confidence band.
public struct LoessBandPoint: Equatable, Sendable {
    /// Covariate value x₀ (units of the covariate).
    public var x: Double
    /// Fitted smooth ŷ(x₀) (units of the response, e.g. β dimensionless).
    public var fit: Double
    /// Standard error of ŷ(x₀): s · ‖L(x₀)‖ (R `predict(..., se = TRUE)$se.fit`).
    public var standardError: Double
    /// fit − t(1 − α/2; δ₁²/δ₂) · se.
    public var lower: Double
    /// fit + t(1 − α/2; δ₁²/δ₂) · se.
    public var upper: Double
}

/// A fitted LOESS smooth of y on one covariate x (R `loess(y ~ x)`), see the file header for
/// the algorithm. Create with `try LoessFit(x:y:options:)`.
public struct LoessFit: Sendable {
    /// Covariate values as given.
    public let x: [Double]
    /// Response values as given.
    public let y: [Double]
    /// The settings used.
    public let options: LoessOptions
    /// Fitted values at the observations (R `fitted(fit)`).
    public let fittedValues: [Double]
    /// Trace of the hat matrix L (R `fit$trace.hat`), computed exactly.
    public let traceOfHat: Double
    /// δ₁ ≈ tr (I − L)ᵀ(I − L) (R `fit$one.delta`, statistics "approximate").
    public let oneDelta: Double
    /// δ₂ ≈ tr [(I − L)ᵀ(I − L)]² (R `fit$two.delta`).
    public let twoDelta: Double
    /// Residual standard error s = sqrt(Σ residual² / δ₁) (R `fit$s`).
    public let residualStandardError: Double

    /// The evaluation structure: k-d tree vertices with operator rows, or the data for `.direct`.
    private let evaluator: LoessEvaluator

    /// Residuals y − fitted.
    public var residuals: [Double] { zip(y, fittedValues).map { $0 - $1 } }
    /// Equivalent number of parameters as R reports it: δ₁ + 2 tr L − n (R `fit$enp`).
    public var equivalentNumberOfParameters: Double { oneDelta + 2 * traceOfHat - Double(x.count) }
    /// Look-up degrees of freedom of the t band, δ₁² / δ₂ (R `predict(...)$df`).
    public var lookupDegreesOfFreedom: Double { oneDelta * oneDelta / twoDelta }
    /// Range of x over which the surface is defined (outside it predictions are NaN, as in R).
    public var covariateRange: ClosedRange<Double> { evaluator.sortedX.first!...evaluator.sortedX.last! }

    /// Fits the smooth.
    /// - Parameters:
    ///   - x: covariate values (finite).
    ///   - y: response values (finite), same count as `x`.
    ///   - options: span, degree, surface; R defaults when omitted.
    /// - Throws: `StatisticsError` for mismatched or non-finite input, a degree other than 1
    ///   or 2, a span so small that a neighbourhood has fewer points than coefficients, or
    ///   all x equal.
    public init(x: [Double], y: [Double], options: LoessOptions = LoessOptions()) throws {
        guard x.count == y.count else {
            throw StatisticsError.invalidArgument("LOESS: \(x.count) covariate values but \(y.count) responses")
        }
        guard x.allSatisfy({ $0.isFinite }), y.allSatisfy({ $0.isFinite }) else {
            throw StatisticsError.nonFiniteValue("LOESS: covariate and response must be finite numbers")
        }
        guard options.degree == 1 || options.degree == 2 else {
            throw StatisticsError.invalidArgument("LOESS: degree must be 1 or 2, not \(options.degree)")
        }
        guard options.span > 0, options.span.isFinite, options.cell > 0 else {
            throw StatisticsError.invalidArgument("LOESS: span and cell must be positive")
        }
        let n = x.count
        let coefficientCount = options.degree + 1
        let neighbourCount = min(n, Int((Double(n) * options.span).rounded(.down)))
        guard neighbourCount > coefficientCount else {
            throw StatisticsError.tooFewObservations(
                "LOESS: span \(options.span) with \(n) observations gives \(neighbourCount) points per neighbourhood; need more than \(coefficientCount)")
        }
        guard let smallest = x.min(), let largest = x.max(), largest > smallest else {
            throw StatisticsError.tooFewObservations("LOESS: the covariate has no spread (all values equal)")
        }
        self.x = x
        self.y = y
        self.options = options
        let evaluator = try LoessEvaluator(x: x, options: options, neighbourCount: neighbourCount)
        self.evaluator = evaluator

        // Fitted values and the diagonal of L at the observations: O(vertices · n) for the
        // interpolated surface, one local fit per observation for the direct one.
        var fitted = [Double](repeating: 0, count: n)
        var trace = 0.0
        try evaluator.fittedValuesAndHatDiagonal(y: y) { i, value, diagonal in
            fitted[i] = value
            trace += diagonal
        }
        fittedValues = fitted
        traceOfHat = trace
        let deltas = LoessDeltaApproximation.deltas(traceOfHat: trace, observationCount: n,
                                                    degree: options.degree)
        oneDelta = deltas.one
        twoDelta = deltas.two
        var residualSumOfSquares = 0.0
        for i in 0..<n { let r = y[i] - fitted[i]; residualSumOfSquares += r * r }
        residualStandardError = (residualSumOfSquares / deltas.one).squareRoot()
    }

    /// Predicted values at `points` (R `predict(fit, newdata)`); NaN outside the covariate
    /// range for the interpolated surface, as in R.
    public func predict(at points: [Double]) -> [Double] {
        predictWithStandardErrors(at: points).map { $0.fit }
    }

    /// Predictions with standard errors (R `predict(fit, newdata, se = TRUE)`); NaN outside
    /// the covariate range for the interpolated surface.
    public func predictWithStandardErrors(at points: [Double]) -> [(fit: Double, standardError: Double)] {
        let n = x.count
        var row = [Double](repeating: 0, count: n)
        return points.map { point in
            guard point.isFinite, evaluator.options.surface == .direct || covariateRange.contains(point) else {
                return (.nan, .nan)
            }
            evaluator.operatorRow(at: point, into: &row)
            var value = 0.0, sumOfSquares = 0.0
            for j in 0..<n { value += row[j] * y[j]; sumOfSquares += row[j] * row[j] }
            return (value, residualStandardError * sumOfSquares.squareRoot())
        }
    }

    /// Pointwise confidence band: fit ± t(1 − (1 − level)/2; δ₁²/δ₂) · se at each point
    /// (the band ggplot2 draws around an R loess smooth; METHOD.md §6).
    /// - Parameter level: confidence level, 0.95 for the paper's 95 % band.
    public func confidenceBand(at points: [Double], level: Double = 0.95) -> [LoessBandPoint] {
        let multiplier = studentTQuantile(0.5 + level / 2, df: lookupDegreesOfFreedom)
        return zip(points, predictWithStandardErrors(at: points)).map { point, prediction in
            LoessBandPoint(x: point, fit: prediction.fit, standardError: prediction.standardError,
                           lower: prediction.fit - multiplier * prediction.standardError,
                           upper: prediction.fit + multiplier * prediction.standardError)
        }
    }
}

/// `count` evenly spaced values from `low` to `high` inclusive (R `seq(low, high, length.out = count)`):
/// the covariate grid of the driver curves.
public func evenlySpacedGrid(from low: Double, to high: Double, count: Int) -> [Double] {
    precondition(count >= 1)
    if count == 1 { return [low] }
    let step = (high - low) / Double(count - 1)
    return (0..<count).map { $0 == count - 1 ? high : low + Double($0) * step }
}

// MARK: - Local regression at a point

/// Local polynomial regression at one point: operator rows of the value and slope.
///
/// Rows are dense over all n observations (zero outside the neighbourhood), so that
/// value(q) = Σⱼ valueRow[j]·y[j] and slope(q) = Σⱼ slopeRow[j]·y[j].
struct LocalRegression {
    /// Computes the value and slope operator rows at `point` into the two buffers (length n).
    static func operatorRows(at point: Double, x: [Double], neighbourCount: Int, span: Double, degree: Int,
                             scratchDistances distances: inout [Double],
                             value valueRow: inout [Double], slope slopeRow: inout [Double]) throws {
        let n = x.count
        for i in 0..<n { let d = x[i] - point; distances[i] = d * d }
        // Squared radius: the neighbourCount-th smallest squared distance, enlarged for span > 1.
        var sortedDistances = distances
        sortedDistances.withUnsafeMutableBufferPointer { buffer in
            selectKthSmallest(buffer, k: neighbourCount - 1)
        }
        let radiusSquared = sortedDistances[neighbourCount - 1] * max(1, span)
        for i in 0..<n { valueRow[i] = 0; slopeRow[i] = 0 }
        guard radiusSquared > 0 else {
            throw StatisticsError.tooFewObservations(
                "LOESS: more than \(neighbourCount - 1) observations share the covariate value \(point); the neighbourhood has zero width (increase span)")
        }

        // Rows of the weighted, equilibrated design: √w, √w (x − q), √w (x − q)².
        let columnCount = degree + 1
        var members: [Int] = []
        members.reserveCapacity(neighbourCount)
        var rootWeights: [Double] = []
        rootWeights.reserveCapacity(neighbourCount)
        for i in 0..<n where distances[i] < radiusSquared {
            let ratio = (distances[i] / radiusSquared).squareRoot()
            let tricube = 1 - ratio * ratio * ratio
            let weight = tricube * tricube * tricube
            if weight > 0 { members.append(i); rootWeights.append(weight.squareRoot()) }
        }
        guard !members.isEmpty else {
            throw StatisticsError.tooFewObservations(
                "LOESS: all observations near \(point) lie on the boundary of its neighbourhood (increase span)")
        }
        // At least k rows (zero rows do not change a least-squares problem).
        let m = max(members.count, columnCount)
        var design = [Double](repeating: 0, count: m * columnCount)   // column-major m × k
        for (r, i) in members.enumerated() {
            let offset = x[i] - point
            var term = rootWeights[r]
            for c in 0..<columnCount { design[c * m + r] = term; term *= offset }
        }
        var columnNorms = [Double](repeating: 1, count: columnCount)
        for c in 0..<columnCount {
            var sum = 0.0
            for r in 0..<m { sum += design[c * m + r] * design[c * m + r] }
            let norm = sum.squareRoot()
            if norm > 0 {
                for r in 0..<m { design[c * m + r] /= norm }
                columnNorms[c] = norm
            }
        }
        // Pseudo-inverse via thin QR and the SVD of R: coefficients = D⁻¹ V Σ⁺ (QU)ᵀ (√w ∘ y).
        let decomposition = SmallLeastSquares(columnMajor: design, rows: m, columns: columnCount)
        for (r, i) in members.enumerated() {
            // operator entry for coefficient t: √wᵢ Σⱼ V[t, j] / σⱼ · (QU)[r, j] / norm_t
            var valueEntry = 0.0, slopeEntry = 0.0
            for j in 0..<columnCount where decomposition.singularValues[j] > decomposition.tolerance {
                let common = decomposition.leftVectors[j * m + r] / decomposition.singularValues[j]
                valueEntry += decomposition.rightVectors[0 * columnCount + j] * common
                if columnCount > 1 { slopeEntry += decomposition.rightVectors[1 * columnCount + j] * common }
            }
            valueRow[i] = valueEntry / columnNorms[0] * rootWeights[r]
            slopeRow[i] = columnCount > 1 ? slopeEntry / columnNorms[1] * rootWeights[r] : 0
        }
    }

    /// Rearranges `buffer` so that position k holds the k-th smallest value (0-based) with
    /// smaller-or-equal values before it (quickselect, Hoare partition).
    static func selectKthSmallest(_ buffer: UnsafeMutableBufferPointer<Double>, k: Int) {
        var left = 0, right = buffer.count - 1
        while left < right {
            let pivot = buffer[(left + right) / 2]
            var i = left, j = right
            while i <= j {
                while buffer[i] < pivot { i += 1 }
                while buffer[j] > pivot { j -= 1 }
                if i <= j { buffer.swapAt(i, j); i += 1; j -= 1 }
            }
            if k <= j { right = j } else if k >= i { left = i } else { return }
        }
    }
}

/// Thin QR of an m × k matrix (k ≤ 3 here) followed by a one-sided Jacobi SVD of R, giving
/// A = (Q U) Σ Vᵀ. Singular values at or below `tolerance` = 100 ε σ_max are treated as zero
/// (the pseudo-inverse rule of R's loess).
struct SmallLeastSquares {
    /// Q·U, column-major m × k.
    var leftVectors: [Double]
    /// V, row-major k × k (V[t, j] at t·k + j).
    var rightVectors: [Double]
    /// σ₁ … σ_k (not sorted).
    var singularValues: [Double]
    /// 100 · ε · max σ.
    var tolerance: Double

    init(columnMajor a: [Double], rows m: Int, columns k: Int) {
        // Householder QR: reflectors stored in `work`, R in the upper triangle.
        var work = a
        var reflectors: [[Double]] = []
        var betas: [Double] = []
        for c in 0..<k {
            var norm = 0.0
            for r in c..<m { norm += work[c * m + r] * work[c * m + r] }
            norm = norm.squareRoot()
            var v = [Double](repeating: 0, count: m)
            if norm == 0 { reflectors.append(v); betas.append(0); continue }
            let alpha = work[c * m + c] > 0 ? -norm : norm
            for r in c..<m { v[r] = work[c * m + r] }
            v[c] -= alpha
            var vNormSquared = 0.0
            for r in c..<m { vNormSquared += v[r] * v[r] }
            let beta = vNormSquared > 0 ? 2 / vNormSquared : 0
            for cc in c..<k {
                var dot = 0.0
                for r in c..<m { dot += v[r] * work[cc * m + r] }
                let scale = beta * dot
                for r in c..<m { work[cc * m + r] -= scale * v[r] }
            }
            reflectors.append(v); betas.append(beta)
        }
        // R (k × k, column-major) and one-sided Jacobi on its columns: R V = U Σ.
        var upper = [Double](repeating: 0, count: k * k)
        for c in 0..<k { for r in 0...c { upper[c * k + r] = work[c * m + r] } }
        var v = [Double](repeating: 0, count: k * k)
        for i in 0..<k { v[i * k + i] = 1 }
        for _ in 0..<60 {
            var rotated = false
            for p in 0..<k {
                for q in (p + 1)..<max(p + 1, k) {
                    var alpha = 0.0, beta = 0.0, gamma = 0.0
                    for r in 0..<k {
                        alpha += upper[p * k + r] * upper[p * k + r]
                        beta += upper[q * k + r] * upper[q * k + r]
                        gamma += upper[p * k + r] * upper[q * k + r]
                    }
                    if gamma == 0 || abs(gamma) <= 1e-15 * (alpha * beta).squareRoot() { continue }
                    rotated = true
                    let zeta = (beta - alpha) / (2 * gamma)
                    let t = (zeta >= 0 ? 1.0 : -1.0) / (abs(zeta) + (1 + zeta * zeta).squareRoot())
                    let cosine = 1 / (1 + t * t).squareRoot(), sine = cosine * t
                    for r in 0..<k {
                        let up = upper[p * k + r], uq = upper[q * k + r]
                        upper[p * k + r] = cosine * up - sine * uq
                        upper[q * k + r] = sine * up + cosine * uq
                        // V is row-major: column p of V is v[r*k + p]
                        let vp = v[r * k + p], vq = v[r * k + q]
                        v[r * k + p] = cosine * vp - sine * vq
                        v[r * k + q] = sine * vp + cosine * vq
                    }
                }
            }
            if !rotated { break }
        }
        var sigma = [Double](repeating: 0, count: k)
        var uSmall = [Double](repeating: 0, count: k * k)   // column-major k × k
        for j in 0..<k {
            var norm = 0.0
            for r in 0..<k { norm += upper[j * k + r] * upper[j * k + r] }
            norm = norm.squareRoot()
            sigma[j] = norm
            if norm > 0 { for r in 0..<k { uSmall[j * k + r] = upper[j * k + r] / norm } }
        }
        // Q U: apply the reflectors (in reverse) to U padded with zeros below row k.
        var qu = [Double](repeating: 0, count: m * k)
        for j in 0..<k {
            for r in 0..<k { qu[j * m + r] = uSmall[j * k + r] }
            for c in stride(from: k - 1, through: 0, by: -1) where betas[c] != 0 {
                let reflector = reflectors[c]
                var dot = 0.0
                for r in c..<m { dot += reflector[r] * qu[j * m + r] }
                let scale = betas[c] * dot
                for r in c..<m { qu[j * m + r] -= scale * reflector[r] }
            }
        }
        leftVectors = qu
        rightVectors = v
        singularValues = sigma
        tolerance = (sigma.max() ?? 0) * 100 * Double.ulpOfOne
    }
}

// MARK: - Surface evaluation

/// Evaluates the operator row L(x₀) of the LOESS surface: directly, or by Hermite
/// interpolation between k-d tree vertices.
struct LoessEvaluator: Sendable {
    let options: LoessOptions
    let x: [Double]
    let sortedX: [Double]
    let neighbourCount: Int
    /// Vertex positions, ascending (interpolate only).
    let vertices: [Double]
    /// Value operator rows per vertex, vertex-major (vertices.count × n).
    let vertexValueRows: [Double]
    /// Slope operator rows per vertex, vertex-major.
    let vertexSlopeRows: [Double]

    init(x: [Double], options: LoessOptions, neighbourCount: Int) throws {
        self.options = options
        self.x = x
        self.neighbourCount = neighbourCount
        let sorted = x.sorted()
        sortedX = sorted
        guard options.surface == .interpolate else {
            vertices = []; vertexValueRows = []; vertexSlopeRows = []
            return
        }
        let n = x.count
        let vertexList = LoessEvaluator.kdTreeVertices(sortedX: sorted, span: options.span, cell: options.cell)
        vertices = vertexList
        var valueRows = [Double](repeating: 0, count: vertexList.count * n)
        var slopeRows = [Double](repeating: 0, count: vertexList.count * n)
        var distances = [Double](repeating: 0, count: n)
        var valueRow = [Double](repeating: 0, count: n)
        var slopeRow = [Double](repeating: 0, count: n)
        for (v, position) in vertexList.enumerated() {
            try LocalRegression.operatorRows(at: position, x: x, neighbourCount: neighbourCount, span: options.span,
                                         degree: options.degree, scratchDistances: &distances,
                                         value: &valueRow, slope: &slopeRow)
            for j in 0..<n { valueRows[v * n + j] = valueRow[j]; slopeRows[v * n + j] = slopeRow[j] }
        }
        vertexValueRows = valueRows
        vertexSlopeRows = slopeRows
    }

    /// Vertices of R's one-dimensional k-d tree for sorted data (see the file header, step 2).
    static func kdTreeVertices(sortedX xs: [Double], span: Double, cell: Double) -> [Double] {
        let n = xs.count
        let low = xs[0], high = xs[n - 1]
        let margin = 0.005 * max(high - low, 1e-10 * max(abs(low), abs(high)) + 1e-30)
        var vertices = [low - margin, high + margin]
        let maxPoints = Int((Double(n) * (span * cell)).rounded(.down))
        let capacity = max(200, n)     // R's nvmax = ncmax
        // Cells in creation order: 1-based point range [first, last] and bounding vertices.
        struct Cell { var first: Int; var last: Int; var lower: Double; var upper: Double }
        var cells = [Cell(first: 1, last: n, lower: vertices[0], upper: vertices[1])]
        var p = 0
        @inline(__always) func value(_ position: Int) -> Double { xs[position - 1] }
        while p < cells.count {
            let cell = cells[p]
            var leaf = cell.last - cell.first + 1 <= maxPoints || cell.upper - cell.lower <= 0
            if !leaf { leaf = capacity < cells.count + 2 || Double(capacity) < Double(vertices.count) + 1 }
            var splitIndex = 0
            if !leaf {
                let l = cell.first, u = cell.last
                var m = (l + u) / 2
                var offset = 0
                while !(m + offset >= u || m + offset < l) {
                    if value(m + offset) == value(m + offset + 1) {
                        offset = -offset
                        if offset >= 0 { offset += 1 }
                    } else {
                        m += offset
                        break
                    }
                }
                splitIndex = m
                leaf = cell.lower == value(m) || cell.upper == value(m)
            }
            if !leaf {
                let split = value(splitIndex)
                vertices.append(split)
                cells.append(Cell(first: cell.first, last: splitIndex, lower: cell.lower, upper: split))
                cells.append(Cell(first: splitIndex + 1, last: cell.last, lower: split, upper: cell.upper))
            }
            p += 1
        }
        return vertices.sorted()
    }

    /// Calls `body(i, ŷ(xᵢ), Lᵢᵢ)` for every observation i in order.
    ///
    /// Interpolated surface: vertex values and slopes are computed once (operator rows · y), and
    /// ŷ(xᵢ) and Lᵢᵢ are Hermite combinations of the two vertices of xᵢ's cell — the same numbers as
    /// the full operator row at xᵢ, in O(vertices · n) instead of O(n²).
    func fittedValuesAndHatDiagonal(y: [Double], _ body: (Int, Double, Double) -> Void) throws {
        let n = x.count
        if options.surface == .direct {
            var row = [Double](repeating: 0, count: n)
            var distances = [Double](repeating: 0, count: n)
            var slope = [Double](repeating: 0, count: n)
            for i in 0..<n {
                try LocalRegression.operatorRows(at: x[i], x: x, neighbourCount: neighbourCount, span: options.span,
                                                 degree: options.degree, scratchDistances: &distances,
                                                 value: &row, slope: &slope)
                var value = 0.0
                for j in 0..<n { value += row[j] * y[j] }
                body(i, value, row[i])
            }
            return
        }
        var vertexValues = [Double](repeating: 0, count: vertices.count)
        var vertexSlopes = [Double](repeating: 0, count: vertices.count)
        vertexValueRows.withUnsafeBufferPointer { values in
            vertexSlopeRows.withUnsafeBufferPointer { slopes in
                for v in 0..<vertices.count {
                    var value = 0.0, slope = 0.0
                    for j in 0..<n { value += values[v * n + j] * y[j]; slope += slopes[v * n + j] * y[j] }
                    vertexValues[v] = value
                    vertexSlopes[v] = slope
                }
            }
        }
        for i in 0..<n {
            let cell = hermiteCell(at: x[i])
            let value = cell.phi0 * vertexValues[cell.left] + cell.phi1 * vertexValues[cell.left + 1]
                + (cell.psi0 * vertexSlopes[cell.left] + cell.psi1 * vertexSlopes[cell.left + 1]) * cell.width
            let l0 = cell.left * n + i, r0 = (cell.left + 1) * n + i
            let diagonal = cell.phi0 * vertexValueRows[l0] + cell.phi1 * vertexValueRows[r0]
                + (cell.psi0 * vertexSlopeRows[l0] + cell.psi1 * vertexSlopeRows[r0]) * cell.width
            body(i, value, diagonal)
        }
    }

    /// The k-d tree cell holding `point` (ties go to the lower cell, as R descends the tree) and
    /// the cubic Hermite basis at the point: value weights φ₀, φ₁ and slope weights ψ₀, ψ₁.
    func hermiteCell(at point: Double) -> (left: Int, width: Double, phi0: Double, phi1: Double, psi0: Double, psi1: Double) {
        var lo = 0, hi = vertices.count - 2
        while lo < hi {
            let mid = (lo + hi) / 2
            if point <= vertices[mid + 1] { hi = mid } else { lo = mid + 1 }
        }
        let width = vertices[lo + 1] - vertices[lo]
        let h = (point - vertices[lo]) / width
        return (lo, width, (1 - h) * (1 - h) * (1 + 2 * h), h * h * (3 - 2 * h), h * (1 - h) * (1 - h), h * h * (h - 1))
    }

    /// Writes the operator row L(point) (length n) into `row`; for the direct surface a point
    /// whose neighbourhood is degenerate gives a row of NaN.
    func operatorRow(at point: Double, into row: inout [Double]) {
        let n = x.count
        if options.surface == .direct {
            var distances = [Double](repeating: 0, count: n)
            var slope = [Double](repeating: 0, count: n)
            do {
                try LocalRegression.operatorRows(at: point, x: x, neighbourCount: neighbourCount, span: options.span,
                                                 degree: options.degree, scratchDistances: &distances,
                                                 value: &row, slope: &slope)
            } catch {
                for j in 0..<n { row[j] = .nan }
            }
            return
        }
        let cell = hermiteCell(at: point)
        let (left, right, width) = (cell.left, cell.left + 1, cell.width)
        let (phi0, phi1, psi0, psi1) = (cell.phi0, cell.phi1, cell.psi0, cell.psi1)
        vertexValueRows.withUnsafeBufferPointer { values in
            vertexSlopeRows.withUnsafeBufferPointer { slopes in
                let l0 = left * n, r0 = right * n
                for j in 0..<n {
                    row[j] = phi0 * values[l0 + j] + phi1 * values[r0 + j]
                        + (psi0 * slopes[l0 + j] + psi1 * slopes[r0 + j]) * width
                }
            }
        }
    }
}

// MARK: - Approximate δ₁, δ₂

/// Cleveland & Grosse's approximation of δ₁ and δ₂ from tr L ("statistics = approximate" in
/// R's loess; one predictor).
///
/// With τ the number of local coefficients (2 for degree 1, 3 for degree 2),
/// z = (sqrt(τ / tr L) − sqrt(τ / n)) / (1 − sqrt(τ / n)) clamped to [0, 1], and
/// c₄ = exp(g(z)) with g a fixed cubic Hermite curve, δᵢ = n − tr L · exp(c₁ z^c₂ (1 − z)^c₃ c₄)
/// with (c₁, c₂, c₃) fitted constants per δ and degree.
///
/// The constants are data taken from the dloess code distributed with R
/// (src/library/stats/src/loessf.f, routines ehg141 and ehg176): "The authors of this software are
/// Cleveland, Grosse, and Shyu. Copyright (c) 1989, 1992 by AT&T. Permission to use, copy, modify,
/// and distribute this software for any purpose without fee is hereby granted, provided that this
/// entire notice is included in all copies of any software which is or includes a copy or
/// modification of this software and in all copies of the supporting documentation for such
/// software. THIS SOFTWARE IS BEING PROVIDED "AS IS", WITHOUT ANY EXPRESS OR IMPLIED WARRANTY. IN
/// PARTICULAR, NEITHER THE AUTHORS NOR AT&T MAKE ANY REPRESENTATION OR WARRANTY OF ANY KIND
/// CONCERNING THE MERCHANTABILITY OF THIS SOFTWARE OR ITS FITNESS FOR ANY PARTICULAR PURPOSE."
enum LoessDeltaApproximation {
    /// (c₁, c₂, c₃) for one predictor: [δ₁ degree 1, δ₁ degree 2, δ₂ degree 1, δ₂ degree 2].
    static let exponentConstants: [(Double, Double, Double)] = [
        (0.2971620, 0.3802660, 0.5886043),   // δ₁, degree 1
        (0.1611761, 0.3091323, 0.4401023),   // δ₁, degree 2
        (0.2848308, 0.2254512, 0.2914126),   // δ₂, degree 1
        (0.2075670, 0.2822574, 0.2369957),   // δ₂, degree 2
    ]

    /// Knots of the correction curve g on [−0.005, 1.005]: (position, value, slope).
    static let correctionKnots: [(Double, Double, Double)] = [
        (-0.005, -9.0572e-2, 4.4844),
        (0.1204, 9.5807e-2, -0.7978),
        (0.2017, 2.6152e-2, -0.7286),
        (0.2815, -3.1926e-2, -0.4457),
        (0.3705, -5.3718e-2, -0.3495),
        (0.4536, -6.4170e-2, 3.2813e-2),
        (0.5591, -5.8387e-2, 0.1611),
        (0.7132, -2.0636e-2, 0.3350),
        (0.8751, 4.0172e-2, -4.1032e-2),
        (1.005, -1.0856e-2, -0.7736),
    ]

    /// Cubic Hermite evaluation of the correction curve g(z) (z in [0, 1]).
    static func correction(_ z: Double) -> Double {
        var j = 0
        while j < correctionKnots.count - 2 && z > correctionKnots[j + 1].0 { j += 1 }
        let (x0, g0, s0) = correctionKnots[j]
        let (x1, g1, s1) = correctionKnots[j + 1]
        let width = x1 - x0
        let h = (z - x0) / width
        let phi0 = (1 - h) * (1 - h) * (1 + 2 * h)
        let phi1 = h * h * (3 - 2 * h)
        let psi0 = h * (1 - h) * (1 - h)
        let psi1 = h * h * (h - 1)
        return phi0 * g0 + phi1 * g1 + (psi0 * s0 + psi1 * s1) * width
    }

    /// δ₁, δ₂ for a local polynomial of `localDegree` (1 or 2) evaluated with τ coefficients.
    static func deltasForDegree(_ localDegree: Int, traceOfHat: Double, observationCount n: Int,
                                coefficientCount tau: Int) -> (one: Double, two: Double) {
        let count = Double(n)
        let correlation = (Double(tau) / count).squareRoot()
        var z = ((Double(tau) / traceOfHat).squareRoot() - correlation) / (1 - correlation)
        z = min(1, max(0, z))
        let c4 = exp(correction(z))
        func delta(_ constants: (Double, Double, Double)) -> Double {
            count - traceOfHat * exp(constants.0 * pow(z, constants.1) * pow(1 - z, constants.2) * c4)
        }
        return (delta(exponentConstants[localDegree - 1]), delta(exponentConstants[localDegree + 1]))
    }

    /// δ₁, δ₂ as R's lowesa: interpolation between the degree-1 and degree-2 formulas at τ.
    static func deltas(traceOfHat: Double, observationCount n: Int, degree: Int) -> (one: Double, two: Double) {
        let tau = degree == 2 ? 3 : 2
        let linear = deltasForDegree(1, traceOfHat: traceOfHat, observationCount: n, coefficientCount: tau)
        let quadratic = deltasForDegree(2, traceOfHat: traceOfHat, observationCount: n, coefficientCount: tau)
        let alpha = Double(tau - 2) / Double(3 - 2)
        return ((1 - alpha) * linear.one + alpha * quadratic.one, (1 - alpha) * linear.two + alpha * quadratic.two)
    }
}
