import ArgumentParser
import Foundation
import Report
import RunModel

/// `soilbeta report --run DIR [--out FILE]`: renders the self-contained HTML report of a run
/// folder (issue 5 item 3; figures and tables of the paper, METHOD.md §6–§9). The work is done
/// by `Report.RunReport`; this command only parses arguments and reports errors.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Render the self-contained HTML report (figures, maps, tables, provenance) of a run folder.",
        discussion: """
        Renders whatever the run folder holds; a missing piece becomes a visible \
        "not available in this run" note. Expected layout (all optional):

          run.json                    software, date, synthetic, parameters,
                                      inputs [{path, sha256, ...}]
          sites.csv                   id, lon, lat, ecosystem, beta, covariates
                                      (else beta.csv with lon, lat, ecosystem)
          land.tif, maps/land.tif     land mask/fraction (> 0 = land)
          drivers/beta_summary.csv    β summary table
          drivers/anova.csv           ANOVA table
          drivers/tukey.csv           Tukey HSD table
          drivers/smooth_<f>.csv      [group,] x, fit, se, lower95, upper95
          drivers/contributions.csv   feature, percent
          forest/<ECO>/cv_random.csv  observed, predicted, fold
          forest/<ECO>/cv_spatial.csv observed, predicted, fold
          forest/<ECO>/tuning.csv     tuning grid
          maps/<ECO>_beta.tif         β map
          maps/<ECO>_20-100_SOCD.tif  subsoil SOCD map (Mg C ha-1)
          maps/stocks.csv             ecosystem, layer, area_1e9_ha,
                                      socd_mean_mg_ha, stock_pg,
                                      stock_pg_q05, stock_pg_q95

        <ECO> is CL, GL or FL (cropland, grassland, forestland). The report \
        is written atomically (temporary file, then rename); a malformed file \
        stops it with an error naming the file, line and field.
        """
    )

    @Option(help: "The run configuration (TOML) of `soilbeta run` or `soilbeta map`; the report reads its run folder.")
    var config: String

    @Option(name: .customLong("out"), help: "Output HTML file (default: <run folder>/report.html).")
    var output: String?

    @Option(name: .customLong("max-map-width"), help: "Maximum width of a map image in pixels (maps are reduced by block means).")
    var maxMapWidth: Int = 1440

    func validate() throws {
        guard maxMapWidth >= 16 else { throw ValidationError("--max-map-width must be at least 16") }
    }

    func run() throws {
        let configuration = try RunConfiguration.load(path: config)
        let outputPath = output ?? configuration.layout.report
        var report = RunReport(configuration: configuration, maxMapColumns: maxMapWidth)
        let bytes = try report.write(to: outputPath)
        print("wrote \(outputPath) (\(String(format: "%.1f", Double(bytes) / 1_048_576)) MB)")
        if !report.missing.isEmpty {
            print("not available in this run: " + report.missing.joined(separator: ", "))
        }
    }
}
