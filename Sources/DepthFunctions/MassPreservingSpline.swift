import Essentials
// Bishop et al. (1999) equal-area quadratic ("mass-preserving") spline, reproducing mpspline2 0.1.9
// `mpspline_one` (METHOD.md §2).

/// Errors of the DepthFunctions API (bad arguments, not bad data: bad horizons are reported as
/// ``HorizonIssue``s instead).
public enum DepthFunctionsError: SoilBetaError, Equatable {
    /// The output depth list is not usable (fewer than two depths, not ascending, negative or
    /// not whole centimetres); `detail` says which.
    case invalidOutputDepths(detail: String)
    /// Array arguments disagree in length; `detail` names them.
    case lengthMismatch(detail: String)
    /// A spline option is out of range; `detail` says which.
    case invalidOption(detail: String)
    /// The profile offsets of a batch table are not a non-decreasing list from 0 to the row count.
    case invalidProfileOffsets(detail: String)

    /// Human-readable message naming the offending argument.
    public var description: String {
        switch self {
        case .invalidOutputDepths(let d): return "invalid output depths: \(d)"
        case .lengthMismatch(let d): return "length mismatch: \(d)"
        case .invalidOption(let d): return "invalid spline option: \(d)"
        case .invalidProfileOffsets(let d): return "invalid profile offsets: \(d)"
        }
    }
}

/// Output depth boundaries in whole centimetres below the mineral surface, ascending, ≥ 0
/// (METHOD.md §2). Boundaries `[d0, d1, …, dm]` define the m output intervals `d0–d1`, `d1–d2`, ….
public struct OutputDepths: Sendable, Equatable {
    /// The boundaries in cm.
    public let boundaries: [Int]

    /// METHOD.md §2 default: 0, 20, 40, 60, 80, 100 cm (the five 20-cm layers of Eq. 1/Eq. 3).
    public static let standard = OutputDepths(validated: [0, 20, 40, 60, 80, 100])
    /// GlobalSoilMap depths 0, 5, 15, 30, 60, 100, 200 cm (mpspline2's default).
    public static let globalSoilMap = OutputDepths(validated: [0, 5, 15, 30, 60, 100, 200])

    private init(validated: [Int]) { boundaries = validated }

    /// Validates a boundary list: at least two values, strictly ascending, first ≥ 0.
    public init(_ boundaries: [Int]) throws(DepthFunctionsError) {
        guard boundaries.count >= 2 else {
            throw .invalidOutputDepths(detail: "need at least two depths, got \(boundaries.count)")
        }
        guard boundaries[0] >= 0 else {
            throw .invalidOutputDepths(detail: "first depth \(boundaries[0]) is negative")
        }
        for i in 1..<boundaries.count where boundaries[i] <= boundaries[i - 1] {
            throw .invalidOutputDepths(
                detail: "depths must be strictly ascending (\(boundaries[i - 1]) then \(boundaries[i]))")
        }
        self.boundaries = boundaries
    }

    /// Validates a boundary list given in cm as floating point; each must be a whole number.
    public init(centimetres: [Double]) throws(DepthFunctionsError) {
        var ints: [Int] = []
        for d in centimetres {
            guard d.isFinite, d == d.rounded(), abs(d) < 1e6 else {
                throw .invalidOutputDepths(detail: "depth \(d) is not a whole number of centimetres")
            }
            ints.append(Int(d))
        }
        try self.init(ints)
    }

    /// Number of output intervals (boundaries − 1).
    public var intervalCount: Int { boundaries.count - 1 }
    /// Deepest boundary in cm: the 1-cm estimates run from 0 to this depth.
    public var maximumDepth: Int { boundaries[boundaries.count - 1] }
}

/// Spline settings (METHOD.md §2; mpspline2 defaults lam = 0.1, vlow = 0, vhigh = 1000).
public struct SplineOptions: Sendable, Equatable {
    /// Smoothing parameter λ of Bishop et al. (1999) Eq. 7 (dimensionless, ≥ 0).
    public var lambda: Double
    /// Lower clamp of the 1-cm estimates (unit of the variable).
    public var lowerLimit: Double
    /// Upper clamp of the 1-cm estimates (unit of the variable).
    public var upperLimit: Double

    /// Creates options; the defaults are mpspline2's.
    public init(lambda: Double = 0.1, lowerLimit: Double = 0, upperLimit: Double = 1000) {
        self.lambda = lambda
        self.lowerLimit = lowerLimit
        self.upperLimit = upperLimit
    }

    func validate() throws(DepthFunctionsError) {
        guard lambda.isFinite, lambda >= 0 else { throw .invalidOption(detail: "lambda \(lambda) must be ≥ 0") }
        guard !lowerLimit.isNaN, !upperLimit.isNaN, lowerLimit <= upperLimit else {
            throw .invalidOption(detail: "lower limit \(lowerLimit) must not exceed upper limit \(upperLimit)")
        }
    }
}

/// How one profile was handled by the spline. `description` gives the text for a per-profile
/// `status` column (METHOD.md §1: every drop is reported).
public enum SplineProfileStatus: Sendable, Equatable, CustomStringConvertible {
    /// Two or more horizons: splined.
    case splined
    /// One horizon: not splined, its value copied to the output intervals it covers (METHOD.md §2).
    case singleHorizon
    /// Profile rejected by the checks: every output is NA (NaN).
    case rejected(HorizonIssueKind)

    /// `splined`, `single horizon` or `rejected: <reason>`.
    public var description: String {
        switch self {
        case .splined: return "splined"
        case .singleHorizon: return "single horizon"
        case .rejected(let kind): return "rejected: \(kind.rawValue)"
        }
    }
}

/// Result of splining one profile (mpspline2 `mpspline_one` outputs). NA is NaN throughout.
public struct SplineResult: Sendable, Equatable {
    /// Mean of the 1-cm estimates over each output interval (`est_dcm`), one per interval.
    public var intervalMeans: [Double]
    /// 1-cm estimates from the surface to the deepest output boundary (`est_1cm`);
    /// element k is the slice k–(k+1) cm.
    public var oneCentimetre: [Double]
    /// The spline's fitted mean of each kept horizon, in the order of `checked` (`est_icm`);
    /// for a single horizon its input value.
    public var fittedHorizonMeans: [Double]
    /// Root mean squared difference between input values and fitted horizon means
    /// (`est_err` RMSE); NaN for a single horizon or a rejected profile.
    public var rmse: Double
    /// How the profile was handled.
    public var status: SplineProfileStatus
    /// The kept horizons and every issue found by the checks.
    public var checked: CheckedHorizons
}

/// Splines one profile exactly as mpspline2 0.1.9 `mpspline_one` (METHOD.md §2), except that a
/// single horizon yields one value per requested interval (the documented defect is not copied).
///
/// - Parameters:
///   - top, bottom: horizon depths, cm below the mineral surface (NaN = missing).
///   - value: the variable (any unit; NaN = missing).
///   - depths: output boundaries.
///   - options: λ and clamping limits.
/// - Throws: ``DepthFunctionsError`` for mismatched lengths or invalid options.
public func massPreservingSpline(top: [Double], bottom: [Double], value: [Double],
                                 depths: OutputDepths = .standard,
                                 options: SplineOptions = SplineOptions()) throws(DepthFunctionsError) -> SplineResult {
    guard top.count == bottom.count, top.count == value.count else {
        throw .lengthMismatch(detail: "top \(top.count), bottom \(bottom.count), value \(value.count)")
    }
    try options.validate()
    let checked = checkHorizons(top: top, bottom: bottom, value: value)
    var engine = SplineEngine()
    var means = [Double](repeating: .nan, count: depths.intervalCount)
    let status: SplineProfileStatus
    if let rejection = checked.rejection {
        status = .rejected(rejection)
        engine.prepareRejected(maximumDepth: depths.maximumDepth)
    } else {
        means.withUnsafeMutableBufferPointer { out in
            engine.fit(top: checked.top, bottom: checked.bottom, value: checked.value,
                       depths: depths.boundaries, options: options, intervalMeans: out)
        }
        status = checked.top.count == 1 ? .singleHorizon : .splined
    }
    return SplineResult(intervalMeans: means, oneCentimetre: engine.oneCentimetre,
                        fittedHorizonMeans: engine.fittedMeans, rmse: engine.rmse,
                        status: status, checked: checked)
}

/// The numerical core: fits one checked profile into reusable buffers (no allocation once the
/// buffers have grown). Shared by the one-profile and batch APIs.
struct SplineEngine {
    // Per-horizon buffers (n) and per-boundary buffers (n − 1).
    var thickness: [Double] = []
    var diagonal: [Double] = []
    var offDiagonal: [Double] = []
    var rhs: [Double] = []
    var fittedMeans: [Double] = []     // s̄ (est_icm)
    var alpha: [Double] = []
    var gradientTop: [Double] = []     // b0
    var gradientBottom: [Double] = []  // b1
    var curvature: [Double] = []       // γ
    var oneCentimetre: [Double] = []   // est_1cm, length = max depth
    var rmse: Double = .nan

    mutating func prepareRejected(maximumDepth: Int) {
        fittedMeans.removeAll(keepingCapacity: true)
        oneCentimetre.removeAll(keepingCapacity: true)
        oneCentimetre.append(contentsOf: repeatElement(Double.nan, count: maximumDepth))
        rmse = .nan
    }

    /// Fits kept, sorted, non-overlapping horizons (n ≥ 1) and writes one mean per output interval.
    mutating func fit(top: [Double], bottom: [Double], value: [Double], depths: [Int],
                      options: SplineOptions, intervalMeans: UnsafeMutableBufferPointer<Double>) {
        let n = top.count
        let maximumDepth = depths[depths.count - 1]
        let vlow = options.lowerLimit, vhigh = options.upperLimit
        oneCentimetre.removeAll(keepingCapacity: true)
        oneCentimetre.append(contentsOf: repeatElement(Double.nan, count: maximumDepth))
        fittedMeans.removeAll(keepingCapacity: true)

        if n == 1 {
            fitSingle(top: top[0], bottom: bottom[0], value: value[0], depths: depths,
                      vlow: vlow, vhigh: vhigh, intervalMeans: intervalMeans)
            return
        }
        solveCoefficients(top: top, bottom: bottom, value: value, lambda: options.lambda)

        // RMSE of fitted vs input horizon means (mpspline_rmse1).
        var ssq = 0.0
        for j in 0..<n {
            let r = value[j] - fittedMeans[j]
            ssq += r * r
        }
        rmse = (ssq / Double(n)).squareRoot()

        // 1-cm estimates at k = 0, 1, …, nj − 1 where nj = min(max lower depth, max output depth);
        // R's `1:nj` truncates a fractional nj.
        var deepest = bottom[0]
        for j in 1..<n where bottom[j] > deepest { deepest = bottom[j] }
        let sliceCount = deepest >= Double(maximumDepth) ? maximumDepth : Int(deepest.rounded(.down))
        oneCentimetre.withUnsafeMutableBufferPointer { est in
            var h = 0  // first horizon whose lower depth is > k
            let firstTop = top[0]
            for k in 0..<max(sliceCount, 0) {
                let depth = Double(k)
                if depth < firstTop { continue }  // NA above the first horizon
                while h < n - 1 && bottom[h] <= depth { h += 1 }
                var estimate: Double
                if top[h] <= depth {
                    let x = depth - top[h]
                    estimate = alpha[h] + gradientTop[h] * x + curvature[h] * x * x
                } else {
                    // In a gap between horizon h−1 and h: straight line with the slope at the
                    // bottom of h−1, reaching alpha[h] at the top of h (mpspline2 infill).
                    let above = h - 1
                    let slope = gradientBottom[above]
                    let phi = alpha[h] - slope * (top[h] - bottom[above])
                    estimate = phi + slope * (depth - bottom[above])
                }
                if estimate > vhigh { estimate = vhigh }
                if estimate < vlow { estimate = vlow }
                est[k] = estimate
            }
            Self.averageIntervals(est: UnsafeBufferPointer(est), depths: depths, into: intervalMeans)
        }
    }

    /// mpspline2's one-horizon rule: 1-cm values at R indices `ud:ld` (index 0 ignored), and the
    /// value in every output interval whose upper boundary d satisfies top ≤ d ≤ bottom.
    private mutating func fitSingle(top: Double, bottom: Double, value: Double, depths: [Int],
                                    vlow: Double, vhigh: Double,
                                    intervalMeans: UnsafeMutableBufferPointer<Double>) {
        fittedMeans.append(value)
        rmse = .nan
        let clamped = min(max(value, vlow), vhigh)
        let maximumDepth = oneCentimetre.count
        var position = top
        while position <= bottom {
            if position >= Double(maximumDepth) + 1 { break }  // beyond every output (and no Int overflow)
            let rIndex = Int(position.rounded(.towardZero))  // 1-based R index
            if rIndex >= 1 && rIndex <= maximumDepth { oneCentimetre[rIndex - 1] = clamped }
            position += 1
        }
        for i in 0..<(depths.count - 1) {
            let upper = Double(depths[i])
            intervalMeans[i] = (upper >= top && upper <= bottom) ? clamped : .nan
        }
    }

    /// Mean of the non-NA 1-cm values in each interval (R `mean(est_1cm[(u+1):l], na.rm = TRUE)`).
    static func averageIntervals(est: UnsafeBufferPointer<Double>, depths: [Int],
                                 into out: UnsafeMutableBufferPointer<Double>) {
        for i in 0..<(depths.count - 1) {
            var sum = 0.0
            var count = 0
            for k in depths[i]..<depths[i + 1] {
                let v = est[k]
                if !v.isNaN { sum += v; count += 1 }
            }
            out[i] = count > 0 ? sum / Double(count) : .nan
        }
    }

    /// Bishop et al. (1999) Eq. 7–8 as in mpspline2 `mpspline_est1`: s̄ = Z⁻¹ y with
    /// Z = I + 6nλ QᵀR⁻¹Q, b = 6 R⁻¹ Q s̄. Solved through the equivalent tridiagonal system
    /// (R + 6nλ QQᵀ) u = Q y, s̄ = y − 6nλ Qᵀu, b = 6u (O(n), no matrix inverse).
    private mutating func solveCoefficients(top: [Double], bottom: [Double], value: [Double], lambda: Double) {
        let n = top.count
        let m = n - 1
        let c = 6 * Double(n) * lambda
        thickness.removeAll(keepingCapacity: true)
        for j in 0..<n { thickness.append(bottom[j] - top[j]) }
        diagonal.removeAll(keepingCapacity: true)
        offDiagonal.removeAll(keepingCapacity: true)
        rhs.removeAll(keepingCapacity: true)
        for i in 0..<m {
            let gap = top[i + 1] - bottom[i]
            diagonal.append(2 * thickness[i] + 2 * thickness[i + 1] + 6 * gap + 2 * c)
            offDiagonal.append(i < m - 1 ? thickness[i + 1] - c : 0)  // M[i, i+1]
            rhs.append(value[i + 1] - value[i])
        }
        // Thomas algorithm (M is symmetric positive definite).
        for i in 1..<max(m, 1) {
            let factor = offDiagonal[i - 1] / diagonal[i - 1]
            diagonal[i] -= factor * offDiagonal[i - 1]
            rhs[i] -= factor * rhs[i - 1]
        }
        rhs[m - 1] /= diagonal[m - 1]
        var i = m - 2
        while i >= 0 {
            rhs[i] = (rhs[i] - offDiagonal[i] * rhs[i + 1]) / diagonal[i]
            i -= 1
        }
        // rhs now holds u.
        fittedMeans.removeAll(keepingCapacity: true)
        for j in 0..<n {
            var qtu = 0.0
            if j < m { qtu -= rhs[j] }
            if j > 0 { qtu += rhs[j - 1] }
            fittedMeans.append(value[j] - c * qtu)
        }
        gradientTop.removeAll(keepingCapacity: true)
        gradientBottom.removeAll(keepingCapacity: true)
        curvature.removeAll(keepingCapacity: true)
        alpha.removeAll(keepingCapacity: true)
        for j in 0..<n {
            let b0 = j == 0 ? 0 : 6 * rhs[j - 1]
            let b1 = j == m ? 0 : 6 * rhs[j]
            let th = thickness[j]
            let gamma = (b1 - b0) / (th * 2)
            gradientTop.append(b0)
            gradientBottom.append(b1)
            curvature.append(gamma)
            alpha.append(fittedMeans[j] - b0 * th / 2 - gamma * th * th / 3)
        }
    }
}
