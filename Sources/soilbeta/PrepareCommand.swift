import ArgumentParser
import Foundation
import Rasters

/// `soilbeta prepare`: aligns a raster to the target grid with GDAL's warper, or turns a
/// land-cover map into class-area fractions (issue 4 item 2; METHOD.md §8). Parses arguments
/// only; the work is `RasterAlignment.align` and `ClassFractionAggregation.write`.
struct PrepareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare",
        abstract: "Warp/resample a raster onto the target grid, or compute class-area fractions (writes a COG).",
        discussion: """
        Continuous covariates: --resampling bilinear. Classes: mode or nearest. Fractions and \
        aggregation to coarser grids: average.

        --class-fraction NAME=CODES (repeatable) writes, for each named set of class codes, the \
        fraction of each target cell's area covered by those classes — an exact area-weighted \
        aggregation on the WGS84 ellipsoid (not GDAL's planar average of 0/1 masks); cells without \
        valid source classes are nodata. With several sets, --out must contain {name}.

        Example: soilbeta prepare --grid 0.0833333333 --in MCD12C1.tif \
        --class-fraction cropland=12,14 --class-fraction forest=1-5 --out lc_{name}.tif
        """
    )

    @Option(help: "Target cell size in CRS units (degrees for WGS84), e.g. 0.0833333333 for 1/12°; 'WIDTH,HEIGHT' if they differ.")
    var grid: String

    @Option(help: "Target extent west,south,east,north (default -180,-90,180,90; required for a non-geographic --crs).")
    var extent: String?

    @Option(help: "Target CRS (any GDAL definition).")
    var crs: String = "EPSG:4326"

    @Option(name: .customLong("in"), help: "Source raster (any GDAL format).")
    var input: String

    @Option(help: "Output COG path (with several --class-fraction sets it must contain {name}).")
    var out: String

    @Option(help: "Resampling: \(Resampling.allCases.map(\.rawValue).joined(separator: "|")). Required unless --class-fraction is given.")
    var resampling: String?

    @Option(name: .customLong("class-fraction"), help: "NAME=CODE,CODE,… or NAME=A-B: write the area fraction of these classes.")
    var classFractions: [String] = []

    @Option(help: "Output pixel type: \(RasterDataType.allCases.map(\.rawValue).joined(separator: "|")) (default: Float32 for bilinear/cubic/average of integer sources, else the source's).")
    var type: String?

    @Option(help: "Output nodata value (default: the source's, else NaN for floating point).")
    var nodata: Double?

    @Option(name: .customLong("description"), help: "Band description written to the output (e.g. the covariate name).")
    var bandDescription: String?

    @Option(help: "Unit written to the output band metadata (e.g. 'degC', 'mm yr-1').")
    var unit: String?

    @Option(name: .customLong("metadata"), help: "KEY=VALUE metadata item for the output (repeatable).")
    var metadataItems: [String] = []

    @Flag(help: "Also write a NetCDF-CF copy beside each COG (same name, extension .nc).")
    var netcdf = false

    func run() throws {
        let targetCRS = try SpatialReference(userInput: crs)
        let targetGrid = try Self.parseGrid(grid, extent: extent, crs: targetCRS)
        var output = RasterOutputOptions()
        output.metadata = try Self.parseMetadata(metadataItems)
        if let bandDescription { output.bandDescriptions = [bandDescription] }
        if let unit { output.bandUnits = [unit] }
        if netcdf { output.netCDFPath = (out as NSString).deletingPathExtension + ".nc" }

        if !classFractions.isEmpty {
            if resampling != nil {
                throw ValidationError("--resampling does not apply to --class-fraction (fractions are exact area-weighted aggregates)")
            }
            let groups = try classFractions.map(ClassGroup.init(parsing:))
            let names = groups.map(\.name)
            if Set(names).count != names.count { throw ValidationError("--class-fraction names must be distinct: \(names.joined(separator: ", "))") }
            if groups.count > 1 && !out.contains("{name}") {
                throw ValidationError("with several --class-fraction sets, --out must contain {name} (e.g. --out lc_{name}.tif)")
            }
            let paths = groups.map { out.replacingOccurrences(of: "{name}", with: $0.name) }
            let summary = try ClassFractionAggregation.write(sourcePath: input, groups: groups, onto: targetGrid,
                                                             outputPaths: paths, output: output)
            for (group, path) in zip(groups, paths) {
                print("\(path): fraction of classes \(group.codes.map { String(format: "%g", $0) }.joined(separator: ",")) (\(group.name))")
            }
            print("grid \(targetGrid); \(summary.coveredCells) cells with source classes, \(summary.emptyCells) without (nodata)"
                  + (summary.reprojected ? "; source resampled (nearest) to the target CRS first" : ""))
            return
        }

        guard let resamplingName = resampling else {
            throw ValidationError("give --resampling (\(Resampling.allCases.map(\.rawValue).joined(separator: "|"))) or --class-fraction")
        }
        guard let method = Resampling(rawValue: resamplingName) else {
            throw ValidationError("unknown --resampling '\(resamplingName)'; choose one of \(Resampling.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var dataType: RasterDataType? = nil
        if let type {
            guard let parsed = RasterDataType.allCases.first(where: { $0.rawValue.lowercased() == type.lowercased() }) else {
                throw ValidationError("unknown --type '\(type)'; choose one of \(RasterDataType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            dataType = parsed
        }
        let summary = try RasterAlignment.align(sourcePath: input, onto: targetGrid, outputPath: out, resampling: method,
                                                dataType: dataType, noDataValue: nodata, output: output)
        print("\(summary.outputPath): \(summary.dataType.rawValue), \(method.rawValue) resampling, grid \(summary.grid)"
              + (netcdf ? " (+ \(output.netCDFPath!))" : ""))
    }

    /// Parses `--grid RES` or `RESX,RESY` with `--extent` into a grid (cell size snapped to the extent).
    static func parseGrid(_ text: String, extent: String?, crs: SpatialReference) throws -> RasterGrid {
        let sizes = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard (1...2).contains(sizes.count), let width = sizes[0], let height = sizes.last!, width > 0, height > 0 else {
            throw ValidationError("--grid '\(text)': expected a positive cell size, or WIDTH,HEIGHT")
        }
        let area: Extent
        if let extent {
            area = try Extent(parsing: extent)
        } else {
            guard crs.isGeographic else { throw ValidationError("--extent is required for a non-geographic --crs") }
            area = .global
        }
        return try RasterGrid.covering(area, cellWidth: width, cellHeight: height, crs: crs)
    }

    /// Parses `KEY=VALUE` items.
    static func parseMetadata(_ items: [String]) throws -> [String: String] {
        var result: [String: String] = [:]
        for item in items {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else { throw ValidationError("--metadata '\(item)': expected KEY=VALUE") }
            result[parts[0]] = parts[1]
        }
        return result
    }
}
