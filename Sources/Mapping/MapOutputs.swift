// Names, descriptions and per-row stock sums of the mapping outputs (METHOD.md §5, §8, §9; paper Table 1).
import Essentials
import Foundation
import Rasters

/// The depth layers reported per ecosystem (METHOD.md §5): 0–20, 20–40, 40–60, 60–80, 80–100,
/// 20–100 (subsoil) and 0–100 cm.
public enum MapLayers {
    /// (upper, lower) depth in cm of every reported layer, in output order.
    public static let depthsCentimetres: [(upper: Double, lower: Double)] = [
        (0, 20), (20, 40), (40, 60), (60, 80), (80, 100), (20, 100), (0, 100),
    ]
    /// Labels as in the file names (`0-20`, `20-100`, …).
    public static let labels: [String] = depthsCentimetres.map { "\(Int($0.upper))-\(Int($0.lower))" }
    /// Number of reported layers.
    public static var count: Int { depthsCentimetres.count }
}

/// The rasters written per ecosystem, in band-slot order: β mean, β q05, β q95, area (ha), then
/// the SOC density of every layer of `MapLayers` (METHOD.md §9 names, e.g. `CL_20-100_SOCD.tif`).
public enum MapOutputNames {
    /// Number of rasters per ecosystem.
    public static var perEcosystem: Int { 4 + MapLayers.count }

    /// File names for ecosystem `name`, in slot order.
    public static func files(ecosystem name: String) -> [String] {
        ["\(name)_beta.tif", "\(name)_beta_q05.tif", "\(name)_beta_q95.tif", "\(name)_area_ha.tif"]
            + MapLayers.labels.map { "\(name)_\($0)_SOCD.tif" }
    }

    /// Output options (Float32, NaN nodata, band description, unit, metadata) of slot `slot` of `ecosystem`.
    public static func options(ecosystem: String, slot: Int, threads: Int) -> RasterOutputOptions {
        let description: String, unit: String
        var metadata = ["SOURCE": "soilbeta map", "ECOSYSTEM": ecosystem]
        switch slot {
        case 0: (description, unit) = ("beta (SOC depth parameter, random forest mean)", "1"); metadata["VARIABLE"] = "beta"
        case 1: (description, unit) = ("beta 5% quantile (quantile regression forest)", "1"); metadata["VARIABLE"] = "beta_q05"
        case 2: (description, unit) = ("beta 95% quantile (quantile regression forest)", "1"); metadata["VARIABLE"] = "beta_q95"
        case 3: (description, unit) = ("\(ecosystem) area in the cell", "ha"); metadata["VARIABLE"] = "area_ha"
        default:
            let label = MapLayers.labels[slot - 4]
            (description, unit) = ("SOC density \(label) cm", "Mg ha-1")
            metadata["VARIABLE"] = "SOCD"
            metadata["LAYER_CM"] = label
            metadata["METHOD"] = "X_a-b = X_0-20 (beta^a - beta^b) / (1 - beta^20), METHOD.md section 5"
        }
        return RasterOutputOptions(dataType: .float32, noDataValue: .nan, bandDescriptions: [description],
                                   bandUnits: [unit], metadata: metadata, compressionThreads: threads)
    }
}

/// Per-row sums of one ecosystem (one record of `RowSums`), the numbers stocks and run counts
/// are built from. Cells are summed in column order within a row; rows are summed in row
/// order, so single, sharded and resumed runs give bit-identical tables.
public enum RowSumField {
    /// Cells with ecosystem area > 0.
    public static let cellsWithArea = 0
    /// Cells where β was predicted.
    public static let predicted = 1
    /// Cells with area > 0 but a missing covariate (β nodata).
    public static let missingCovariate = 2
    /// Cells with β but no topsoil density (SOCD nodata).
    public static let missingTopsoil = 3
    /// Area (ha) of the cells with SOCD, i.e. that enter the stocks.
    public static let areaUsedHa = 4
    /// Area (ha) of all cells with area > 0.
    public static let areaAllHa = 5
    /// First Σ SOCD × area field: index `firstStock + 3 × layer + variant` (variant 0 mean, 1 q05, 2 q95).
    public static let firstStock = 6
    /// Fields per ecosystem and row.
    public static var count: Int { firstStock + 3 * MapLayers.count }
}

/// One row of the stocks table (paper Table 1 layout).
public struct StockRow: Sendable, Equatable, Codable {
    /// Ecosystem short name, or `all`.
    public var ecosystem: String
    /// Layer label, e.g. `20-100`.
    public var layer: String
    /// Area entering the stocks, 10⁹ ha.
    public var area1e9Ha: Double
    /// Area-weighted mean SOC density, Mg ha⁻¹.
    public var socdMeanMgPerHa: Double
    /// Stock from the mean β, Pg C.
    public var stockPg: Double
    /// Stock from the β 5 % quantile, Pg C.
    public var stockPgQ05: Double
    /// Stock from the β 95 % quantile, Pg C.
    public var stockPgQ95: Double

    enum CodingKeys: String, CodingKey {
        case ecosystem, layer
        case area1e9Ha = "area_1e9_ha"
        case socdMeanMgPerHa = "socd_mean_mg_ha"
        case stockPg = "stock_pg"
        case stockPgQ05 = "stock_pg_q05"
        case stockPgQ95 = "stock_pg_q95"
    }
}

/// Counts of one ecosystem over the run (the run summary).
public struct EcosystemCounts: Sendable, Equatable, Codable {
    /// Ecosystem short name.
    public var ecosystem: String
    /// Cells with area > 0.
    public var cellsWithArea: Int
    /// Cells with a β prediction.
    public var predicted: Int
    /// Cells with area but a missing covariate (written as nodata).
    public var missingCovariate: Int
    /// Cells with β but without topsoil density (SOCD nodata).
    public var missingTopsoil: Int
    /// Area (ha) with the ecosystem but not in the stocks (missing covariate or topsoil).
    public var areaNotMappedHa: Double
}

/// Stocks table and counts from per-row sums (METHOD.md §8: Stocks [Pg] = Σ SOCD × area / 10⁹).
public enum StockTable {
    /// Builds the Table 1 rows (per ecosystem and layer, then `all`) and the counts from
    /// `sums[row][ecosystem * RowSumField.count + field]` for all rows of the grid.
    public static func build(ecosystems: [String], rowSums: [[Double]]) -> (rows: [StockRow], counts: [EcosystemCounts]) {
        let fields = RowSumField.count
        var totals = [[Double]](repeating: [Double](repeating: 0, count: fields), count: ecosystems.count)
        for row in rowSums {
            for e in ecosystems.indices {
                for f in 0..<fields { totals[e][f] += row[e * fields + f] }
            }
        }
        var rows: [StockRow] = []
        func stockRows(_ name: String, _ t: [Double]) -> [StockRow] {
            MapLayers.labels.indices.map { layer in
                let area = t[RowSumField.areaUsedHa]
                let mean = t[RowSumField.firstStock + 3 * layer]
                return StockRow(ecosystem: name, layer: MapLayers.labels[layer], area1e9Ha: area / 1e9,
                                socdMeanMgPerHa: area > 0 ? mean / area : .nan, stockPg: mean / 1e9,
                                stockPgQ05: t[RowSumField.firstStock + 3 * layer + 1] / 1e9,
                                stockPgQ95: t[RowSumField.firstStock + 3 * layer + 2] / 1e9)
            }
        }
        var all = [Double](repeating: 0, count: fields)
        for (e, name) in ecosystems.enumerated() {
            rows += stockRows(name, totals[e])
            for f in 0..<fields { all[f] += totals[e][f] }
        }
        rows += stockRows("all", all)
        let counts = ecosystems.enumerated().map { e, name in
            EcosystemCounts(ecosystem: name, cellsWithArea: Int(totals[e][RowSumField.cellsWithArea]),
                            predicted: Int(totals[e][RowSumField.predicted]),
                            missingCovariate: Int(totals[e][RowSumField.missingCovariate]),
                            missingTopsoil: Int(totals[e][RowSumField.missingTopsoil]),
                            areaNotMappedHa: totals[e][RowSumField.areaAllHa] - totals[e][RowSumField.areaUsedHa])
        }
        return (rows, counts)
    }

    /// CSV text of the table: ecosystem, layer, area_1e9_ha, socd_mean_mg_ha, stock_pg, stock_pg_q05, stock_pg_q95.
    public static func csv(_ rows: [StockRow]) -> String {
        var text = "ecosystem,layer,area_1e9_ha,socd_mean_mg_ha,stock_pg,stock_pg_q05,stock_pg_q95\n"
        func f(_ x: Double) -> String { x.isNaN ? "" : String(format: "%.17g", x) }
        for r in rows {
            text += "\(r.ecosystem),\(r.layer),\(f(r.area1e9Ha)),\(f(r.socdMeanMgPerHa)),\(f(r.stockPg)),\(f(r.stockPgQ05)),\(f(r.stockPgQ95))\n"
        }
        return text
    }

    /// JSON of the table and counts.
    public static func json(_ rows: [StockRow], counts: [EcosystemCounts]) throws -> Data {
        struct Document: Encodable {
            let units: [String: String]
            let stocks: [StockRow]
            let counts: [EcosystemCounts]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "null")
        return try encoder.encode(Document(units: ["area_1e9_ha": "1e9 ha", "socd_mean_mg_ha": "Mg C ha-1", "stock_pg": "Pg C"],
                                           stocks: rows, counts: counts))
    }
}

/// Binary files of raw doubles (little-endian), written atomically: tile checkpoints and row sums.
enum DoubleFile {
    static func write(_ values: [Double], header: [Int64], to path: String) throws {
        var data = Data(capacity: 8 * (values.count + header.count + 2))
        var magic: UInt64 = 0x5342_4D41_5031_0000 // "SBMAP1"
        data.append(Data(bytes: &magic, count: 8))
        var headerCount = Int64(header.count)
        data.append(Data(bytes: &headerCount, count: 8))
        header.withUnsafeBytes { data.append(contentsOf: $0) }
        values.withUnsafeBytes { data.append(contentsOf: $0) }
        let temporary = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        guard FileManager.default.createFile(atPath: temporary, contents: data) else {
            throw MappingError.run("\(path): cannot write (folder missing or not writable)")
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw MappingError.run("\(path): cannot rename the finished file: \(String(cString: strerror(errno)))")
        }
    }

    /// Reads a file written by `write`; nil when absent or malformed (treated as not done).
    static func read(_ path: String) -> (header: [Int64], values: [Double])? {
        guard let data = FileManager.default.contents(atPath: path), data.count >= 16, data.count % 8 == 0 else { return nil }
        return data.withUnsafeBytes { raw -> (header: [Int64], values: [Double])? in
            guard raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self) == 0x5342_4D41_5031_0000 else { return nil }
            let headerCount = Int(raw.loadUnaligned(fromByteOffset: 8, as: Int64.self))
            guard headerCount >= 0, 16 + 8 * headerCount <= data.count else { return nil }
            let header = (0..<headerCount).map { raw.loadUnaligned(fromByteOffset: 16 + 8 * $0, as: Int64.self) }
            let valueCount = (data.count - 16 - 8 * headerCount) / 8
            let start = 16 + 8 * headerCount
            let values = (0..<valueCount).map { raw.loadUnaligned(fromByteOffset: start + 8 * $0, as: Double.self) }
            return (header, values)
        }
    }
}
