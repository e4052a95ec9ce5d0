// The one seeded random stream of soilbeta (METHOD.md §7: reproducible forests; demo data).
import Foundation

/// SplitMix64 (Steele, Lea & Flood 2014): the seeding generator of `RandomStream`, and on its own a
/// fast stream for synthetic data that must be a pure function of one seed (demo profiles, noise
/// fields). Identical on every platform.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose stream is fixed by `seed`.
    public init(seed: UInt64) { state = seed }

    /// Next 64 random bits.
    @inline(__always)
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in [lower, upper).
    public mutating func uniform(_ lower: Double, _ upper: Double) -> Double { lower + (upper - lower) * uniform() }

    /// Standard normal deviate (Box–Muller).
    public mutating func normal() -> Double {
        let u1 = max(uniform(), 0x1.0p-60)
        let u2 = uniform()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }
}

/// A xoshiro256** pseudo-random generator seeded by SplitMix64 from a (seed, stream, purpose)
/// triple. Every tree draws from its own stream, so a forest is identical for any thread count.
public struct RandomStream: Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// The purposes of independent streams belonging to one tree (or one fold assignment).
    public enum Purpose: UInt64, Sendable {
        /// Bootstrap sample and split candidates of a tree.
        case treeGrowth = 1
        /// Permutations of out-of-bag values for permutation importance.
        case permutation = 2
        /// Assignment of rows or blocks to cross-validation folds.
        case folds = 3
    }

    /// Creates the stream for `stream` (e.g. a tree index) and `purpose` under the user's `seed`.
    public init(seed: UInt64, stream: Int, purpose: Purpose) {
        var state = seed &* 0x9E37_79B9_7F4A_7C15
        state ^= UInt64(truncatingIfNeeded: stream) &* 0xD1B5_4A32_D192_ED03
        state ^= purpose.rawValue &* 0x8CB9_2BA7_2F3D_8DD7
        var seeding = SplitMix64(seed: state)
        s0 = seeding.next()
        s1 = seeding.next()
        s2 = seeding.next()
        s3 = seeding.next()
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }
    }

    /// The next 64 random bits (xoshiro256**).
    @inline(__always)
    public mutating func next() -> UInt64 {
        let scaled = s1 &* 5
        let result = ((scaled << 7) | (scaled >> 57)) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// A uniformly distributed integer in `0..<upperBound` (Lemire's unbiased multiply-shift).
    @inline(__always)
    public mutating func uniformInt(below upperBound: Int) -> Int {
        precondition(upperBound > 0)
        let bound = UInt64(upperBound)
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold {
                product = next().multipliedFullWidth(by: bound)
            }
        }
        return Int(product.high)
    }

    /// A uniformly distributed double in [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func uniformDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }
}
