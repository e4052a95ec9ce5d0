import Essentials
import ArgumentParser
import DemoData

/// `soilbeta simulate-profiles`: writes a synthetic horizon table that follows the β model, for benchmarks
/// and trials (every file it writes is synthetic; the ids start with `S`).
struct SimulateProfilesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate-profiles",
        abstract: "Write a synthetic horizon CSV (id,top,bottom,soc,bd,lon,lat,ecosystem) following the β model.",
        discussion: """
        Profiles have 4–8 horizons down to 100–150 cm; SOC density decays as β^d with β ≈ 0.9756 ± 0.006 (the
        β fitted by `soilbeta beta` is ≈ 0.006 lower: it normalises by the 0–100 cm total, docs/METHOD.md §4),
        bulk density rises with depth, 5 % lognormal noise. Deterministic for a seed.
        Example: soilbeta simulate-profiles --count 10000 --seed 1 --out profiles.csv
        """)

    @Option(help: "Number of profiles.") var count: Int = 1000
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "Output CSV path.") var out: String

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be positive") }
    }

    func run() throws {
        try AtomicFile.write(text: SyntheticProfiles.table(count: count, seed: seed), to: out)
    }
}
