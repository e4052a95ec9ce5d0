// Pre-spline horizon checks with the semantics of mpspline2 0.1.9 `mpspline_datchk`
// (METHOD.md §1 "Policy for a bad horizon" and §2).

/// Why a horizon was dropped, repaired, or why a whole profile was rejected by
/// ``checkHorizons(top:bottom:value:)`` (METHOD.md §1, mpspline2 0.1.9 semantics).
public enum HorizonIssueKind: String, Sendable, Equatable, CaseIterable {
    /// The horizon's value is missing (NaN / `NA`); the horizon is dropped.
    case missingValue = "missing value"
    /// The first horizon's upper depth was missing and was set to 0 cm (kept, repaired).
    case missingTopReplacedByZero = "missing upper depth of first horizon set to 0"
    /// The last horizon's lower depth was missing and was set to its upper depth + 10 cm (kept, repaired).
    case missingBottomReplacedByTopPlus10 = "missing lower depth of last horizon set to upper depth + 10"
    /// Any other missing depth (not repairable the mpspline2 way); the horizon is dropped.
    case missingDepth = "missing depth"
    /// Upper or lower depth is negative (e.g. an organic horizon above the mineral surface); dropped.
    case negativeDepth = "negative depth"
    /// Upper or lower depth beyond `maximumSoilDepthCentimetres` (not a soil depth: a typo or wrong unit); dropped.
    case depthOutOfRange = "depth beyond 10000 cm (100 m)"
    /// Upper depth equals lower depth; dropped.
    case zeroThickness = "zero thickness"
    /// Upper depth is greater than lower depth; dropped.
    case topBelowBottom = "upper depth greater than lower depth"
    /// Profile rejected: no horizon has a value (all outputs NA).
    case noData = "no data values"
    /// Profile rejected: no horizon survived the checks (all outputs NA).
    case noValidHorizons = "no valid horizons"
    /// Profile rejected: two intervals overlap after sorting (all outputs NA).
    case overlappingIntervals = "overlapping depth intervals"

    /// True when this issue rejects the whole profile rather than one horizon.
    public var rejectsProfile: Bool {
        switch self {
        case .noData, .noValidHorizons, .overlappingIntervals: return true
        default: return false
        }
    }

    /// True when the horizon was kept after a repair (not dropped).
    public var isRepair: Bool {
        self == .missingTopReplacedByZero || self == .missingBottomReplacedByTopPlus10
    }
}

/// One finding of the horizon checks: which input horizon (0-based index into the arrays given
/// to the check; `nil` for a whole-profile rejection) and why.
public struct HorizonIssue: Sendable, Equatable, CustomStringConvertible {
    /// 0-based index of the horizon in the input order, or `nil` when the issue concerns the profile.
    public var horizonIndex: Int?
    /// What was found.
    public var kind: HorizonIssueKind

    /// Creates an issue record.
    public init(horizonIndex: Int?, kind: HorizonIssueKind) {
        self.horizonIndex = horizonIndex
        self.kind = kind
    }

    /// E.g. `horizon 2: negative depth` or `profile: overlapping depth intervals` (0-based index).
    public var description: String {
        if let horizonIndex { return "horizon \(horizonIndex): \(kind.rawValue)" }
        return "profile: \(kind.rawValue)"
    }
}

/// The horizons of one profile that survived the checks, sorted by (upper, lower) depth, plus
/// every drop / repair / rejection (METHOD.md §1). Depths in cm below the mineral surface.
public struct CheckedHorizons: Sendable, Equatable {
    /// Upper depths (cm) of the kept horizons, ascending.
    public var top: [Double]
    /// Lower depths (cm) of the kept horizons.
    public var bottom: [Double]
    /// Values of the kept horizons (unit of the input variable).
    public var value: [Double]
    /// For each kept horizon, its 0-based index in the input arrays.
    public var inputIndex: [Int]
    /// Every dropped or repaired horizon and the profile rejection, if any, in check order.
    public var issues: [HorizonIssue]

    /// The rejection reason when the whole profile was rejected (all outputs NA), else `nil`.
    public var rejection: HorizonIssueKind? {
        issues.first(where: { $0.kind.rejectsProfile })?.kind
    }

    /// Creates a checked-horizons record.
    public init(top: [Double], bottom: [Double], value: [Double], inputIndex: [Int], issues: [HorizonIssue]) {
        (self.top, self.bottom, self.value) = (top, bottom, value)
        (self.inputIndex, self.issues) = (inputIndex, issues)
    }
}

/// The deepest depth accepted as a soil depth, cm (100 m); deeper values are findings, never used.
public let maximumSoilDepthCentimetres = 10_000.0

/// Checks and tidies the horizons of one profile as mpspline2 0.1.9 `mpspline_datchk` does
/// (METHOD.md §1–§2), in this order:
/// 1. no value at all → profile rejected (`noData`);
/// 2. horizons with a missing value dropped;
/// 3. a missing upper depth of the first remaining horizon becomes 0; a missing lower depth of the
///    last remaining horizon becomes its upper depth + 10 cm; any other missing depth drops the
///    horizon (mpspline2 has no rule for it);
/// 4. horizons with a negative depth, or a depth beyond `maximumSoilDepthCentimetres`, dropped;
///    5. zero-thickness horizons dropped;
/// 6. horizons with upper > lower dropped; 7. sorted by (upper, lower);
/// 8. any overlap between consecutive intervals → profile rejected (`overlappingIntervals`).
/// A profile left with no horizon is rejected (`noValidHorizons`).
///
/// - Parameters: `top`, `bottom` in cm below the mineral surface (NaN = missing); `value` the
///   variable to spline (NaN = missing). All three must have the same length.
/// - Returns: kept horizons (empty when rejected) and the list of issues.
public func checkHorizons(top: [Double], bottom: [Double], value: [Double]) -> CheckedHorizons {
    precondition(top.count == bottom.count && top.count == value.count,
                 "checkHorizons: top, bottom and value must have the same length")
    var scratch = HorizonCheckScratch()
    var issues: [HorizonIssue] = []
    top.withUnsafeBufferPointer { t in
        bottom.withUnsafeBufferPointer { b in
            value.withUnsafeBufferPointer { v in
                scratch.run(top: t, bottom: b, value: v) { index, kind in
                    issues.append(HorizonIssue(horizonIndex: index, kind: kind))
                }
            }
        }
    }
    if scratch.rejected {
        return CheckedHorizons(top: [], bottom: [], value: [], inputIndex: [], issues: issues)
    }
    return CheckedHorizons(top: scratch.keptTop, bottom: scratch.keptBottom, value: scratch.keptValue,
                           inputIndex: scratch.keptIndex, issues: issues)
}

/// Reusable buffers for the horizon checks (no allocation once grown). Internal engine shared by
/// the one-profile API and the batch API.
struct HorizonCheckScratch {
    var keptTop: [Double] = []
    var keptBottom: [Double] = []
    var keptValue: [Double] = []
    var keptIndex: [Int] = []
    var order: [Int] = []
    var rejected = false
    var rejection: HorizonIssueKind?

    /// Runs the checks; `report(index, kind)` is called for every issue (index relative to the
    /// input buffers, `nil` for a profile rejection).
    mutating func run(top: UnsafeBufferPointer<Double>, bottom: UnsafeBufferPointer<Double>,
                      value: UnsafeBufferPointer<Double>,
                      report: (Int?, HorizonIssueKind) -> Void) {
        keptTop.removeAll(keepingCapacity: true)
        keptBottom.removeAll(keepingCapacity: true)
        keptValue.removeAll(keepingCapacity: true)
        keptIndex.removeAll(keepingCapacity: true)
        rejected = false
        rejection = nil
        let count = top.count

        // 1–2: values.
        var firstWithValue = -1
        var lastWithValue = -1
        for i in 0..<count where !value[i].isNaN {
            if firstWithValue < 0 { firstWithValue = i }
            lastWithValue = i
        }
        if firstWithValue < 0 {
            report(nil, .noData)
            rejected = true
            rejection = .noData
            return
        }
        // Fast path bookkeeping: are rows already sorted and clean?
        var alreadySorted = true
        for i in 0..<count {
            let v = value[i]
            if v.isNaN {
                report(i, .missingValue)
                continue
            }
            var t = top[i]
            var b = bottom[i]
            // 3: missing depths (mpspline2 repairs only the first top and the last bottom).
            if t.isNaN && i == firstWithValue {
                t = 0
                report(i, .missingTopReplacedByZero)
            }
            if b.isNaN && i == lastWithValue && !t.isNaN {
                b = t + 10
                report(i, .missingBottomReplacedByTopPlus10)
            }
            if t.isNaN || b.isNaN {
                report(i, .missingDepth)
                continue
            }
            if t < 0 || b < 0 { report(i, .negativeDepth); continue }
            if t > maximumSoilDepthCentimetres || b > maximumSoilDepthCentimetres { report(i, .depthOutOfRange); continue }
            if t == b { report(i, .zeroThickness); continue }
            if t > b { report(i, .topBelowBottom); continue }
            if let lastTop = keptTop.last, let lastBottom = keptBottom.last,
               t < lastTop || (t == lastTop && b < lastBottom) {
                alreadySorted = false
            }
            keptTop.append(t)
            keptBottom.append(b)
            keptValue.append(v)
            keptIndex.append(i)
        }
        if keptTop.isEmpty {
            report(nil, .noValidHorizons)
            rejected = true
            rejection = .noValidHorizons
            return
        }
        // 7: stable sort by (top, bottom) as R's order() does.
        if !alreadySorted { sortKept() }
        // 8: overlap of consecutive intervals.
        for i in 1..<max(keptTop.count, 1) where keptTop[i] < keptBottom[i - 1] {
            report(nil, .overlappingIntervals)
            rejected = true
            rejection = .overlappingIntervals
            return
        }
    }

    private mutating func sortKept() {
        let n = keptTop.count
        order.removeAll(keepingCapacity: true)
        order.append(contentsOf: 0..<n)
        // Insertion sort: stable, profiles have few horizons.
        for i in 1..<n {
            let key = order[i]
            var j = i - 1
            while j >= 0 {
                let o = order[j]
                let greater = keptTop[o] > keptTop[key] ||
                    (keptTop[o] == keptTop[key] && keptBottom[o] > keptBottom[key])
                if !greater { break }
                order[j + 1] = o
                j -= 1
            }
            order[j + 1] = key
        }
        // Apply the permutation through the tail of the buffers (no fresh arrays).
        for src in order { keptTop.append(keptTop[src]) }
        keptTop.removeFirst(n)
        for src in order { keptBottom.append(keptBottom[src]) }
        keptBottom.removeFirst(n)
        for src in order { keptValue.append(keptValue[src]) }
        keptValue.removeFirst(n)
        for src in order { keptIndex.append(keptIndex[src]) }
        keptIndex.removeFirst(n)
    }
}
