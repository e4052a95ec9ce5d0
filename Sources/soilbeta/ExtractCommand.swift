import Essentials
import ArgumentParser
import Foundation
import Rasters
import SoilProfiles

/// `soilbeta extract`: covariate values at site coordinates from rasters (issue 4 item 3).
/// Fills only missing fields of each `NAME` column unless `--overwrite`; sites outside a raster
/// or on its nodata stay missing and are counted. Parses arguments only; the work is
/// `SiteSampler` and `SiteColumnFill`, the table I/O `CSVTable`/`CSVWriter`.
struct ExtractCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Add raster values at site coordinates (lon/lat WGS84) as columns of a site table.",
        discussion: """
        Each --raster NAME=PATH fills column NAME (created when absent) with the value of the cell \
        holding the site. Existing values are kept unless --overwrite. Sites outside the raster or \
        on nodata stay missing and are counted in the summary. The output is written atomically.

        Example: soilbeta extract --sites sites.csv --raster mat=wc_bio1.tif --raster map=wc_bio12.tif --out sites_cov.csv
        """
    )

    @Option(help: "Site table (CSV) with longitude and latitude columns in WGS84 degrees.")
    var sites: String

    @Option(name: .customLong("raster"), help: "NAME=PATH: column name and raster file (repeatable).")
    var rasters: [String] = []

    @Option(help: "Output CSV (may be the same file as --sites).")
    var out: String

    @Flag(help: "Replace existing values too (default: fill only empty/NA fields).")
    var overwrite = false

    @Option(name: .customLong("lon-column"), help: "Name of the longitude column.")
    var lonColumn: String = "lon"

    @Option(name: .customLong("lat-column"), help: "Name of the latitude column.")
    var latColumn: String = "lat"

    @Option(help: "Band of each raster to read (1-based).")
    var band: Int = 1

    func run() throws {
        guard !rasters.isEmpty else { throw ValidationError("give at least one --raster NAME=PATH") }
        var requests: [(name: String, path: String)] = []
        for item in rasters {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].trimmingCharacters(in: .whitespaces).isEmpty, !parts[1].isEmpty else {
                throw ValidationError("--raster '\(item)': expected NAME=PATH")
            }
            let name = parts[0].trimmingCharacters(in: .whitespaces)
            if requests.contains(where: { $0.name == name }) { throw ValidationError("--raster: column '\(name)' given twice") }
            if name == lonColumn || name == latColumn { throw ValidationError("--raster: '\(name)' is the coordinate column") }
            requests.append((name, parts[1]))
        }

        let table = try CSVTable.read(path: sites)
        let lonIndex = try table.requireColumn(lonColumn, purpose: "site longitude, WGS84 degrees")
        let latIndex = try table.requireColumn(latColumn, purpose: "site latitude, WGS84 degrees")
        var longitudes = [Double](repeating: .nan, count: table.rows.count)
        var latitudes = [Double](repeating: .nan, count: table.rows.count)
        for row in 0..<table.rows.count {
            if let lon = try table.number(row: row, column: lonIndex) {
                guard (-180...360).contains(lon) else {
                    throw FileError(file: sites, line: table.lineOfRow[row], field: lonColumn, message: "longitude \(lon) is outside −180…360")
                }
                longitudes[row] = lon
            }
            if let lat = try table.number(row: row, column: latIndex) {
                guard (-90...90).contains(lat) else {
                    throw FileError(file: sites, line: table.lineOfRow[row], field: latColumn, message: "latitude \(lat) is outside −90…90")
                }
                latitudes[row] = lat
            }
        }

        // Sample every raster before writing anything: a bad raster aborts with no output.
        var header = table.header
        var columns: [[String]] = (0..<header.count).map { column in table.rows.map { $0[column] } }
        var report: [String] = []
        for request in requests {
            let sampler = try SiteSampler(path: request.path, band: band)
            let samples = try sampler.sample(longitudes: longitudes, latitudes: latitudes)
            let existingIndex = header.firstIndex(of: request.name)
            let outcome = SiteColumnFill.merge(existing: existingIndex.map { columns[$0] }, sampled: samples.values,
                                               overwrite: overwrite, isMissing: CSVTable.isMissingText,
                                               format: { CSVWriter.format($0) })
            if let existingIndex {
                columns[existingIndex] = outcome.fields
            } else {
                header.append(request.name)
                columns.append(outcome.fields)
            }
            report.append("\(request.name) (\(request.path)): filled \(outcome.filled), overwritten \(outcome.overwritten), "
                          + "kept \(outcome.kept), still missing \(outcome.stillMissing); sites outside the raster \(samples.outsideCount), "
                          + "on nodata \(samples.noDataCount), without coordinates \(samples.missingCoordinateCount)")
        }
        var writer = CSVWriter(header: header)
        for row in 0..<table.rows.count {
            writer.append(row: columns.map { $0[row] })
        }
        try writer.write(to: out)
        print("\(out): \(table.rows.count) sites")
        for line in report { print("  " + line) }
    }
}
