import Foundation

/// "Nice" axis ticks: round numbers (1, 2 or 5 × 10ᵏ apart) covering a data range, chosen by
/// the same rule as R's `pretty()` (R's `R_pretty`, defaults `n = 5`, `min.n = n %/% 3`,
/// `high.u.bias = 1.5`, `u5.bias = .5 + 1.5 × high.u.bias`), so that axes look like the
/// paper's R figures.
public enum Ticks {
    /// Tick values covering [low, high] (order of the two does not matter) with about `count`
    /// intervals. Non-finite input gives `[0, 1]`-style ticks around the finite end.
    public static func pretty(_ low: Double, _ high: Double, count: Int = 5) -> [Double] {
        var lo = min(low, high), up = max(low, high)
        if !lo.isFinite && !up.isFinite { lo = 0; up = 1 }
        if !lo.isFinite { lo = up }
        if !up.isFinite { up = lo }
        let highBias = 1.5
        let unit5Bias = 0.5 + 1.5 * highBias
        let minCount = count / 3
        let intervals = max(1, count)
        let dx = up - lo
        // Ranges wider than any axis needs (e.g. ±1e308) would overflow below: give the ends.
        guard dx.isFinite else { return [lo, up] }
        var cell: Double
        let isSmall: Bool
        if dx == 0 && up == 0 {
            cell = 1
            isSmall = true
        } else {
            cell = max(abs(lo), abs(up))
            let u = 1 + ((unit5Bias >= 1.5 * highBias + 0.5) ? 1 / (1 + highBias) : 1.5 / (1 + unit5Bias))
            isSmall = dx < cell * u * Double(max(1, intervals)) * Double.ulpOfOne * 3
        }
        if isSmall {
            if cell > 10 { cell = 9 + cell / 10 }
            cell *= 0.75
            if minCount > 1 { cell /= Double(minCount) }
        } else {
            cell = dx
            if intervals > 1 { cell /= Double(intervals) }
        }
        if cell < 20 * Double.leastNormalMagnitude { cell = 20 * Double.leastNormalMagnitude }
        let base = pow(10.0, (log10(cell)).rounded(.down))
        var unit = base
        if 2 * base - cell < highBias * (cell - unit) {
            unit = 2 * base
            if 5 * base - cell < unit5Bias * (cell - unit) {
                unit = 5 * base
                if 10 * base - cell < highBias * (cell - unit) { unit = 10 * base }
            }
        }
        var ns = (lo / unit + 1e-7).rounded(.down)
        var nu = (up / unit - 1e-7).rounded(.up)
        while ns * unit > lo + 1e-10 * unit { ns -= 1 }
        while nu * unit < up - 1e-10 * unit { nu += 1 }
        let k = Int(0.5 + nu - ns)
        if k < minCount {
            let missing = minCount - k
            if ns >= 0 {
                nu += Double(missing / 2)
                ns -= Double(missing / 2 + missing % 2)
            } else {
                ns -= Double(missing / 2)
                nu += Double(missing / 2 + missing % 2)
            }
        }
        let steps = Int((nu - ns).rounded())
        return (0...max(steps, 0)).map { (ns + Double($0)) * unit }
    }

    /// Number of decimals needed to print ticks `step` apart without clutter (0 for steps ≥ 1).
    public static func decimals(forStep step: Double) -> Int {
        guard step.isFinite, step > 0 else { return 0 }
        return max(0, Int(-(log10(step) + 1e-9).rounded(.down)))
    }

    /// A tick label: `value` with `decimals` decimals, never "-0".
    public static func label(_ value: Double, decimals: Int) -> String {
        let text = String(format: "%.\(decimals)f", value)
        if text.hasPrefix("-"), text.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) {
            return String(text.dropFirst())
        }
        return text
    }

    /// Labels for a list of equally spaced ticks, with the decimals their spacing needs.
    public static func labels(_ ticks: [Double]) -> [String] {
        let step = ticks.count > 1 ? abs(ticks[1] - ticks[0]) : 1
        let places = decimals(forStep: step)
        return ticks.map { label($0, decimals: places) }
    }
}
