// The NetCDF-CF cube of a map run (`maps/soilbeta.nc`, docs/METHOD.md §9b): every GeoTIFF of the run in one
// CF-1.8 file that Earth-system models and xarray/terra read directly.
import Essentials
import Forest
import Foundation
import Rasters
import RunModel

/// Writes `maps/soilbeta.nc` from the finished GeoTIFFs of a map run: dimensions `ecosystem`, `depth`
/// (the five 20-cm layers, centres 10 … 90 cm with `depth_bnds`, positive down), `depth_sum` (0–100 and
/// 20–100 cm), `lat`, `lon`; variables β (mean, 5 % and 95 % quantiles), ecosystem area (ha), SOC density
/// per layer in Mg C ha⁻¹ and in kg C m⁻² (CF `carbon_mass_content_of_soil_layer`), with `lat_bnds`,
/// `lon_bnds`, a `crs` grid mapping and CF-1.8 global attributes. Values are copied from the GeoTIFFs
/// (Float32, NaN where they are nodata), deflate-compressed in 256 × 256 chunks.
public enum MapCube {
    /// Chunk edge (cells) of the map variables.
    static let chunkEdge = 256
    /// Mg C ha⁻¹ → kg C m⁻²: 1 Mg ha⁻¹ = 1000 kg / 10⁴ m².
    static let kilogramsPerSquareMetrePerMegagramPerHectare: Float = 0.1

    /// The reference of the study the method comes from (METHOD.md, introduction).
    static let studyReference = "Wang, H. et al.: Global patterns of soil organic carbon dynamics in the 20-100 cm soil profile for "
        + "different ecosystems: a global meta-analysis, Earth System Science Data (submitted), data: https://doi.org/10.5281/zenodo.10846543"

    /// Writes the cube of `plan`'s finished whole-grid outputs to `plan.layout.path(.mapCube)`, recording
    /// `fingerprint` (from `fingerprint(plan:)`: the hash of configuration, models and inputs) in its history,
    /// and returns its path.
    /// A grid in projected coordinates gets no cube (nil; CF's lat/lon layout does not apply) and any
    /// older cube is removed. Throws `RasterError` for read/write failures. The file appears only when complete.
    @discardableResult
    public static func write(plan: MapPlan, fingerprint: String) throws -> String? {
        let grid = plan.grid
        let path = plan.layout.path(.mapCube)
        guard grid.crs.isGeographic else {
            AtomicFile.removeQuietly(path)
            return nil
        }
        let file = try MultidimensionalFile(path: path, conventions: "CF-1.8")
        defer { file.abandon() }
        let synthetic = plan.configuration.run.synthetic
        let created = ISO8601DateFormatter().string(from: Date())
        try file.setAttributes([
            "title": (synthetic ? "DEMO (synthetic inputs) — " : "") + "SOC depth parameter beta and SOC density of "
                + plan.ecosystems.map(\.ecosystem.name).joined(separator: ", "),
            "institution": "made with soilbeta \(SoilBetaVersion.string)",
            "source": "soilbeta \(SoilBetaVersion.string): random-forest beta (docs/METHOD.md §7) and Eq. 4 SOC densities (§5)",
            "history": "\(created) soilbeta \(SoilBetaVersion.string) map, configuration \(plan.path), "
                + "hash of configuration, models and inputs \(fingerprint)",
            "references": "docs/METHOD.md of soilbeta; " + studyReference,
            "comment": synthetic ? "DEMO: synthetic covariates and profiles; the numbers are not real estimates"
                : "beta_q05/beta_q95 bound the prediction interval of a profile dug in the cell (quantile regression forest)",
            "demo": synthetic ? "true" : "false",
        ])
        let ecosystems = plan.ecosystems
        let ecosystemDimension = try file.addDimension("ecosystem", size: ecosystems.count)
        let depthDimension = try file.addDimension("depth", size: 5, type: "VERTICAL")
        let sumDimension = try file.addDimension("depth_sum", size: 2, type: "VERTICAL")
        let latDimension = try file.addDimension("lat", size: grid.rows, type: "HORIZONTAL_Y", direction: "NORTH")
        let lonDimension = try file.addDimension("lon", size: grid.columns, type: "HORIZONTAL_X", direction: "EAST")
        let boundsDimension = try file.addDimension("nv", size: 2)

        // Coordinates and their bounds.
        func coordinate(_ dimension: MultidimensionalFile.Dimension, values: [Double], bounds: [Double],
                        attributes: KeyValuePairs<String, String>) throws {
            let variable = try file.addVariable(dimension.name, dimensions: [dimension], type: .float64)
            try file.setAttributes(attributes, of: variable)
            try file.setAttribute("bounds", .text("\(dimension.name)_bnds"), of: variable)
            try file.write(variable, values: values)
            let boundsVariable = try file.addVariable("\(dimension.name)_bnds", dimensions: [dimension, boundsDimension], type: .float64)
            try file.write(boundsVariable, values: bounds)
        }
        let rowEdges = (0..<grid.rows).map { grid.rowEdges($0) }
        try coordinate(latDimension, values: rowEdges.map { ($0.north + $0.south) / 2 }, bounds: rowEdges.flatMap { [$0.north, $0.south] },
                       attributes: ["standard_name": "latitude", "long_name": "latitude of the cell centre", "units": "degrees_north", "axis": "Y"])
        let columnWest = (0..<grid.columns).map { grid.west + Double($0) * grid.cellWidth }
        try coordinate(lonDimension, values: columnWest.map { $0 + grid.cellWidth / 2 }, bounds: columnWest.flatMap { [$0, $0 + grid.cellWidth] },
                       attributes: ["standard_name": "longitude", "long_name": "longitude of the cell centre", "units": "degrees_east", "axis": "X"])
        let layers = Array(SOCLayer.depthsCentimetres.prefix(5))
        try coordinate(depthDimension, values: layers.map { ($0.upper + $0.lower) / 2 }, bounds: layers.flatMap { [$0.upper, $0.lower] },
                       attributes: ["standard_name": "depth", "long_name": "centre of the 20-cm soil layer below the mineral surface",
                                    "units": "cm", "positive": "down", "axis": "Z"])
        let sums = SumLayer.all
        try coordinate(sumDimension, values: sums.map { ($0.upper + $0.lower) / 2 }, bounds: sums.flatMap { [$0.upper, $0.lower] },
                       attributes: ["standard_name": "depth", "long_name": "centre of the summed soil layer (0-100 and 20-100 cm)",
                                    "units": "cm", "positive": "down"])
        let ecosystemVariable = try file.addVariable("ecosystem", dimensions: [ecosystemDimension], type: .int32)
        let codes = ecosystems.map { Int32(Ecosystem.allCases.firstIndex(of: $0.ecosystem) ?? 0) + 1 }
        try file.setAttributes(["long_name": "ecosystem (land-cover class) mapped"], of: ecosystemVariable)
        try file.setAttribute("flag_values", .numbers(codes.map(Double.init), .int32), of: ecosystemVariable)
        try file.setAttribute("flag_meanings", .text(ecosystems.map(\.ecosystem.name).joined(separator: " ")), of: ecosystemVariable)
        try file.write(ecosystemVariable, values: codes)

        let crsVariable = try file.addVariable("crs", dimensions: [], type: .int32)
        try file.setAttributes(["grid_mapping_name": "latitude_longitude", "crs_wkt": grid.crs.wkt], of: crsVariable)
        if grid.crs.isGeographicWGS84 {
            try file.setAttribute("semi_major_axis", .numbers([6_378_137], .float64), of: crsVariable)
            try file.setAttribute("inverse_flattening", .numbers([298.257223563], .float64), of: crsVariable)
            try file.setAttribute("longitude_of_prime_meridian", .numbers([0], .float64), of: crsVariable)
        }

        // Map variables; a SOC density is read once and written in Mg ha⁻¹ and in kg m⁻².
        var entries: [CubeVariable] = [
            CubeVariable(name: "beta", layerDimension: nil, products: [.beta], scale: 1, attributes: [
                "long_name": "SOC depth parameter beta (random forest mean)", "units": "1", "ancillary_variables": "beta_q05 beta_q95"]),
            CubeVariable(name: "beta_q05", layerDimension: nil, products: [.betaQ05], scale: 1, attributes: [
                "long_name": "beta, 5% quantile (quantile regression forest; prediction interval of a profile)", "units": "1"]),
            CubeVariable(name: "beta_q95", layerDimension: nil, products: [.betaQ95], scale: 1, attributes: [
                "long_name": "beta, 95% quantile (quantile regression forest; prediction interval of a profile)", "units": "1"]),
            CubeVariable(name: "area", layerDimension: nil, products: [.areaHa], scale: 1, attributes: [
                "long_name": "area of the ecosystem in the cell", "units": "ha"]),
        ]
        if ecosystems.allSatisfy({ $0.applicabilityPath != nil }) {
            entries.append(CubeVariable(name: "di", layerDimension: nil, products: [.dissimilarity], scale: 1, attributes: [
                "long_name": "dissimilarity index of the cell's covariates to the training sites (Meyer and Pebesma 2021)", "units": "1"]))
            entries.append(CubeVariable(name: "aoa", layerDimension: nil, products: [.applicability], scale: 1, attributes: [
                "long_name": "area of applicability of the model (DI not above the cross-validated training threshold)",
                "flag_meanings": "outside_area_of_applicability inside_area_of_applicability"], flags: [0, 1]))
        }
        if ecosystems.allSatisfy(\.simulatesIntervals) {
            entries.append(CubeVariable(name: "beta_se", layerDimension: nil, products: [.betaStandardError], scale: 1, attributes: [
                "long_name": "standard error of the forest mean beta (infinitesimal jackknife)", "units": "1"]))
            for high in [false, true] {
                entries.append(CubeVariable(name: "socd_20_100_\(high ? "q95" : "q05")", layerDimension: nil,
                                            products: [.socDensityQuantile(layer: SOCLayer.subsoil, high: high)], scale: 1, attributes: [
                    "long_name": "SOC density 20-100 cm, \(high ? "95" : "5")% quantile of the mean-field model", "units": "Mg ha-1"]))
            }
        }
        let layerProducts = (0..<5).map { MapProduct.socDensity(layer: $0) }
        let sumProducts = SumLayer.all.map { MapProduct.socDensity(layer: $0.socLayer) }
        for (suffix, dimension, products) in [("", depthDimension, layerProducts), ("_sum", sumDimension, sumProducts)] {
            entries.append(CubeVariable(name: "socd\(suffix)", layerDimension: dimension, products: products, scale: 1, attributes: [
                "long_name": "SOC density of the soil layer (Eq. 4)", "units": "Mg ha-1"]))
            entries.append(CubeVariable(name: "socd\(suffix)_kg_m2", layerDimension: dimension, products: products,
                                        scale: kilogramsPerSquareMetrePerMegagramPerHectare, copyOf: "socd\(suffix)", attributes: [
                "standard_name": "carbon_mass_content_of_soil_layer", "long_name": "SOC density of the soil layer (Eq. 4)", "units": "kg m-2"]))
        }
        let edge = min(chunkEdge, grid.rows)
        var buffer: [Float] = []
        var defined: [String: MultidimensionalFile.Variable] = [:]
        for entry in entries {
            var dimensions = [ecosystemDimension]
            if let layer = entry.layerDimension { dimensions.append(layer) }
            dimensions += [latDimension, lonDimension]
            let chunks = dimensions.map { $0 == latDimension ? edge : $0 == lonDimension ? min(chunkEdge, grid.columns) : 1 }
            // zlib level 1 (HDF5's deflate filter): on the demo's 48 maps the cube took 31.3 CPU s at level 4 and
            // 22.8 s at level 1, for a file 10 % larger (148.5 → 163.5 MB; BENCHMARKS.md, issue 13).
            let variable = try file.addVariable(entry.name, dimensions: dimensions, type: .float32, chunks: chunks,
                                                deflateLevel: 1, fillValue: .nan)
            try file.setAttributes(entry.attributes, of: variable)
            if let flags = entry.flags { try file.setAttribute("flag_values", .numbers(flags, .float32), of: variable) }
            try file.setAttribute("grid_mapping", .text("crs"), of: variable)
            defined[entry.name] = variable
        }
        var scaled: [Float] = []
        for entry in entries where entry.copyOf == nil {
            let copies = [(entry, defined[entry.name])] + entries.filter { $0.copyOf == entry.name }.map { ($0, defined[$0.name]) }
            for (e, ecosystem) in ecosystems.enumerated() {
                for (k, product) in entry.products.enumerated() {
                    let raster = try Raster(path: plan.layout.map(ecosystem.ecosystem, product))
                    var firstRow = 0
                    while firstRow < grid.rows {
                        let count = min(edge, grid.rows - firstRow)
                        try raster.readRows(firstRow: firstRow, rowCount: count, into: &buffer)
                        let prefix = entry.layerDimension == nil ? [e] : [e, k]
                        for (copy, variable) in copies {
                            guard let variable else { continue }
                            if copy.scale != 1 {
                                scaled = buffer
                                scaled.withUnsafeMutableBufferPointer { values in for i in values.indices { values[i] *= copy.scale } }
                            }
                            try (copy.scale != 1 ? scaled : buffer).withUnsafeBufferPointer {
                                try file.write(variable, start: prefix + [firstRow, 0],
                                               count: prefix.map { _ in 1 } + [count, grid.columns], values: $0)
                            }
                        }
                        firstRow += count
                    }
                }
            }
        }
        try file.finish()
        return path
    }

    /// The hash of the configuration, models and input rasters of `plan` (the map step's fingerprint),
    /// recorded in the cube's history.
    public static func fingerprint(plan: MapPlan) throws -> String {
        var models: [RandomForest] = []
        for ecosystem in plan.ecosystems { models.append(try ForestModelFile.read(from: ecosystem.modelPath)) }
        return try Fingerprint.of(plan: plan, rasterPaths: plan.rasterPaths, models: models)
    }

    /// One map variable of the cube.
    struct CubeVariable {
        var name: String
        var layerDimension: MultidimensionalFile.Dimension?
        var products: [MapProduct]
        var scale: Float
        /// The variable whose GeoTIFF values this one repeats (scaled), read once for both.
        var copyOf: String? = nil
        var attributes: KeyValuePairs<String, String>
        /// `flag_values` of a flag variable (CF §3.5), stored as the variable's type.
        var flags: [Double]? = nil
    }

    /// The summed layers of the `depth_sum` dimension, in increasing centre depth.
    struct SumLayer {
        var upper, lower: Double
        var socLayer: Int
        static var all: [SumLayer] {
            [(0.0, 100.0), (20.0, 100.0)].compactMap { pair in
                SOCLayer.depthsCentimetres.firstIndex { $0.upper == pair.0 && $0.lower == pair.1 }.map {
                    SumLayer(upper: pair.0, lower: pair.1, socLayer: $0)
                }
            }
        }
    }
}
