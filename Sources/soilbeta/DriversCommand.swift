import ArgumentParser
import Foundation
import SoilProfiles
import Pipeline
import Statistics

/// `soilbeta drivers`: statistics of β and its drivers (METHOD.md §6; paper Sect. 2.6, 3.1–3.2,
/// Fig. 2) — β summary by ecosystem, one-way ANOVA and Tukey HSD, LOESS curves of β on each
/// covariate with 95 % bands, and relative contributions from a forest's permutation importance.
struct DriversCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drivers",
        abstract: "β summary, ANOVA/Tukey HSD among ecosystems, LOESS driver curves and relative contributions.",
        discussion: """
        Joins the β table (output of `soilbeta beta`: id, beta, optional ecosystem) with the site table
        (id, lon, lat, ecosystem, covariates) on id, and writes to --out:
          beta_summary.csv      n, mean, median, 5th/95th percentile (R type 7), SD, CV % — all and by ecosystem
          anova.csv             one-way ANOVA of β among ecosystems (F, df, p)
          tukey.csv             Tukey HSD: differences, 95 % intervals, adjusted p
          smooth_<feature>.csv  LOESS of β on the covariate (R loess defaults) on a grid: fit, se, 95 % band, mean β
          contributions.csv     % of the forest's permutation importance (only with --importance)
        Profiles whose β is missing (NA) are left out and counted. Results agree with R (aov, TukeyHSD,
        loess + predict(se = TRUE), quantile) to 1e-6.
        Example: soilbeta drivers --beta run/beta.csv --sites sites.csv --features mat,map,clay --out run/drivers
        """)

    @Option(help: "β table from `soilbeta beta` (columns id, beta; ecosystem optional).")
    var beta: String

    @Option(help: "Site table: id, ecosystem and covariate columns (lon, lat ignored here).")
    var sites: String

    @Option(parsing: .upToNextOption,
            help: "Covariates (site columns) for the driver curves, comma-separated or repeated. Default: every numeric site column except id, lon, lat.")
    var features: [String] = []

    @Option(help: "Permutation importance CSV of the forest: columns feature,importance, or the output of `soilbeta forest importance` (feature,inc_mse,…). Without it contributions.csv is not written.")
    var importance: String?

    @Option(help: "Output folder (created if missing).")
    var out: String

    @Option(help: "Number of covariate values on each curve's grid.")
    var gridPoints: Int = 100

    @Option(help: "LOESS span (fraction of profiles in each local fit; R default 0.75).")
    var span: Double = 0.75

    func validate() throws {
        guard gridPoints >= 2 else { throw ValidationError("--grid-points must be at least 2") }
        guard span > 0 && span.isFinite else { throw ValidationError("--span must be a positive number") }
    }

    func run() throws {
        let requested = features.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            .filter { !$0.isEmpty }
        let data = try DriverInputs.load(betaPath: beta, sitesPath: sites, requestedFeatures: requested)
        let statistics = try DriverStatistics(beta: data.beta, ecosystems: data.ecosystems, covariates: data.covariates,
                                              gridPoints: gridPoints, loess: LoessOptions(span: span))
        let contributions = try importance.map { try DriverInputs.contributions(path: $0) }
        // Everything is computed before the first file is written; each file is written atomically.
        let written = try DriverTables.write(statistics, contributions: contributions, folder: out)

        var report = "drivers: \(data.beta.count) profiles"
        if data.missingBetaCount > 0 { report += " (\(data.missingBetaCount) with missing β left out)" }
        report += "; ecosystems: " + statistics.betaSummary.dropFirst().map { "\($0.group) \($0.summary.count)" }.joined(separator: ", ")
        print(report)
        if let anova = statistics.anova {
            print(String(format: "ANOVA: F(%d, %d) = %.4g, p = %.3g (%@)", anova.degreesOfFreedomBetween,
                         anova.degreesOfFreedomWithin, anova.fStatistic, anova.pValue,
                         anova.pValue < 0.05 ? "significant at 0.05" : "not significant at 0.05"))
        } else if let note = statistics.anovaNote {
            print("ANOVA not computed: \(note)")
        }
        for curves in statistics.curves {
            for skipped in curves.skipped {
                FileHandle.standardError.write(Data("note: no curve of β on '\(curves.feature)' for \(skipped.group): \(skipped.reason)\n".utf8))
            }
        }
        if importance == nil {
            print("contributions.csv not written: give the forest's permutation importance with --importance FILE.csv")
        }
        print("wrote \(written.map { ($0 as NSString).lastPathComponent }.joined(separator: ", ")) to \(out)")
    }
}

