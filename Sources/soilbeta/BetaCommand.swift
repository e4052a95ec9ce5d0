import ArgumentParser
import DepthFunctions
import SoilProfiles

/// `soilbeta beta`: layer SOC densities and the β depth parameter per profile (METHOD.md §2–§4).
struct BetaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "beta",
        abstract: "Layer SOC density (0-20 ... 80-100 cm, Eq. 1) and beta (Eq. 3) per profile.",
        discussion: """
        SOC and BD are splined separately (lambda 0.1) to 0,20,...,100 cm; SOCD = SOC x BD x 20 / 10 (x (1 - CF/100)
        when a cf column exists); beta minimises sum[Y(d) - (1 - beta^d)]^2 on [0.5, 0.99999] as R nls port.
        Output: id,socd_0_20,...,socd_80_100,socd_0_100,beta,rmse,bd_filled,status (+ lon,lat,ecosystem,study
        when present). Profiles lacking a layer get an explanatory status and no beta.
        Example: soilbeta beta --horizons horizons.csv --column soc=ORCDRC --column bd=BLD --out beta.csv
        """)

    @OptionGroup var input: HorizonInputOptions
    @Option(name: .customLong("bd-fill"), help: "Bulk density (g/cm3) used where a horizon has none (counted in bd_filled).")
    var bdFill: Double?
    @Option(help: "Findings report CSV (default: OUT with .issues.csv).") var issues: String?
    @Option(help: "Output CSV.") var out: String

    func validate() throws {
        if let bdFill, !(bdFill > 0 && bdFill <= 2.65) { throw ValidationError("--bd-fill must be in (0, 2.65] g/cm3") }
        try requireDistinctFiles(inputs: input.inputFiles,
                                 outputs: [("--out", out), ("--issues", issuesPath(explicit: issues, output: out))])
    }

    func run() throws {
        let table = try input.read(variables: ["soc", "bd"], optionalVariables: ["cf"])
        let run = try ProfileRuns.beta(table, bulkDensityFill: bdFill, threadCount: input.threads)
        try run.write(to: out)
        let report = issuesPath(explicit: issues, output: out)
        try ProfileRuns.issueTable(run.issues).write(to: report)
        printError(ProfileRuns.summary(of: run.issues, profileCount: run.profileCount, horizonCount: table.horizonCount))
        printError("beta fitted for \(run.fittedCount) of \(run.profileCount) profiles; wrote \(out); findings: \(report)")
    }
}
