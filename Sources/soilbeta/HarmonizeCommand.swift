import Essentials
import ArgumentParser
import DepthFunctions
import SoilProfiles

/// `soilbeta harmonize`: mass-preserving spline of horizon variables to standard depths (METHOD.md §2).
struct HarmonizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "harmonize",
        abstract: "Spline horizon variables to standard depth intervals (Bishop 1999, as mpspline2 0.1.9).",
        discussion: """
        Writes id,upper,lower,<var>... (one row per profile and interval; NA as empty) and a findings
        report FILE.issues.csv (file,line,id,field,action,reason) listing every dropped horizon or rejected profile.
        Example: soilbeta harmonize --horizons horizons.csv --vars soc,bd --depths 0,5,15,30,60,100,200 --out gsm.csv
        """)

    @OptionGroup var input: HorizonInputOptions
    @Option(help: "Variables to spline, comma-separated (canonical names after --column mapping).")
    var vars: String = "soc,bd"
    @Option(help: "Ascending output depth boundaries in whole cm.") var depths: String = "0,20,40,60,80,100"
    @Option(help: "Spline smoothing parameter lambda.") var lambda: Double = 0.1
    @Option(help: "Lower clamp of estimates.") var vlow: Double = 0
    @Option(help: "Upper clamp of estimates.") var vhigh: Double = 1000
    @Option(name: .customLong("one-cm"), help: "Also write 1-cm estimates (id,depth_cm,<var>...) to this CSV.")
    var oneCm: String?
    @Option(help: "Findings report CSV (default: OUT with .issues.csv).") var issues: String?
    @Option(help: "Output CSV.") var out: String

    func validate() throws {
        try requireDistinctFiles(inputs: input.inputFiles,
                                 outputs: [("--out", out), ("--issues", issuesPath(explicit: issues, output: out)), ("--one-cm", oneCm)])
    }

    func run() throws {
        let variables = vars.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !variables.isEmpty else { throw ValidationError("--vars names no variable") }
        let boundaries = try depths.split(separator: ",").map { text -> Double in
            guard let value = CSVTable.parseDecimal(String(text)) else { throw ValidationError("--depths: '\(text)' is not a number") }
            return value
        }
        let outputDepths = try OutputDepths(centimetres: boundaries)
        let table = try input.read(variables: variables)
        let run = try ProfileRuns.harmonize(table, variables: variables, depths: outputDepths,
                                            options: SplineOptions(lambda: lambda, lowerLimit: vlow, upperLimit: vhigh),
                                            oneCentimetre: oneCm != nil, threadCount: input.threads)
        try run.intervalTable.write(to: out)
        if let oneCm, let oneCmTable = run.oneCentimetreTable { try oneCmTable.write(to: oneCm) }
        let report = issuesPath(explicit: issues, output: out)
        try ProfileRuns.issueTable(run.issues).write(to: report)
        printError(ProfileRuns.summary(of: run.issues, profileCount: run.profileCount, horizonCount: table.horizonCount))
        printError("wrote \(out); findings: \(report)")
    }
}
