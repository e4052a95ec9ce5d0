import ArgumentParser
import Essentials
import Foundation
import Report
import RunModel

/// `soilbeta report --config RUN.toml [--out FILE]`: renders the self-contained HTML report of a run
/// folder (issue 5 item 3; figures and tables of the paper, METHOD.md §6–§9). The work is done
/// by `Report.RunReport`; this command only parses arguments and reports errors.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Render the self-contained HTML report (figures, maps, tables, provenance) of a run folder.",
        discussion: """
        Reads the run folder of the configuration (`soilbeta run` or `soilbeta map`) through the run \
        model: each table as its typed rows, so a missing or renamed column stops the report with an \
        error naming the file and the column. A step that has not run becomes a visible "not available \
        in this run" note. The run folder's layout is listed in the README (soilbeta run). The report \
        is written atomically (temporary file, then rename).
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

    @Flag(name: .customLong("map-page"), inversion: .prefixedNo,
          help: "Also write the interactive map page map.html (with map/) when the run has β maps.")
    var mapPage = true

    func run() throws {
        let configuration = try RunConfiguration.load(path: config)
        let outputPath = output ?? configuration.layout.path(.report)
        let layout = configuration.layout
        if mapPage, Ecosystem.allCases.contains(where: { FileManager.default.fileExists(atPath: layout.map($0, .beta)) }) {
            let bytes = try MapPage(configuration: configuration).write()
            print("wrote \(layout.path(.mapPage)) with \(layout.path(.mapPageFolder))/ (\(String(format: "%.1f", Double(bytes) / 1_048_576)) MB)")
        }
        var report = RunReport(configuration: configuration, maxMapColumns: maxMapWidth)
        let bytes = try report.write(to: outputPath)
        print("wrote \(outputPath) (\(String(format: "%.1f", Double(bytes) / 1_048_576)) MB)")
        if !report.missing.isEmpty {
            print("not available in this run: " + report.missing.joined(separator: ", "))
        }
    }
}
