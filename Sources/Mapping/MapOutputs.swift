// Names, descriptions and per-row stock sums of the mapping outputs (METHOD.md §5, §8, §9; paper Table 1).
import Essentials
import Foundation
import Essentials
import Rasters
import RunModel

/// Raster output options of the map products (Float32, NaN nodata, band description, unit, metadata).
public enum MapOutputOptions {
    /// Options of `product` of `ecosystem`.
    public static func options(_ product: MapProduct, ecosystem: Ecosystem, threads: Int) -> RasterOutputOptions {
        var metadata = ["SOURCE": "soilbeta map", "ECOSYSTEM": ecosystem.code]
        var description = product.bandDescription
        switch product {
        case .beta: metadata["VARIABLE"] = "beta"
        case .betaQ05: metadata["VARIABLE"] = "beta_q05"
        case .betaQ95: metadata["VARIABLE"] = "beta_q95"
        case .areaHa:
            metadata["VARIABLE"] = "area_ha"
            description = "\(ecosystem.code) \(description)"
        case let .socDensity(layer):
            metadata["VARIABLE"] = "SOCD"
            metadata["LAYER_CM"] = SOCLayer.labels[layer]
            metadata["METHOD"] = "X_a-b = X_0-20 (beta^a - beta^b) / (1 - beta^20), METHOD.md section 5"
        case .dissimilarity:
            metadata["VARIABLE"] = "DI"
            metadata["METHOD"] = "distance to the nearest training site in importance-weighted standardised covariates / mean training distance, METHOD.md section 8b"
        case .applicability:
            metadata["VARIABLE"] = "AOA"
            metadata["METHOD"] = "1 where DI <= the cross-validated training threshold, METHOD.md section 8b"
        case .betaStandardError:
            metadata["VARIABLE"] = "beta_se"
            metadata["METHOD"] = "infinitesimal jackknife with bias correction (Wager, Hastie and Efron 2014), METHOD.md section 7"
        case let .socDensityQuantile(layer, high):
            metadata["VARIABLE"] = high ? "SOCD_q95" : "SOCD_q05"
            metadata["LAYER_CM"] = SOCLayer.labels[layer]
            metadata["METHOD"] = "beta ~ N(mean, se^2 + sigma^2) of the mean field, topsoil density with its SD, METHOD.md section 8d"
        }
        // Deflate level 1: on the demo's 48 maps (4320 × 2160 Float32) it takes 0.23–0.27 CPU s per COG against
        // 0.34–0.42 s at level 6, for files 0.5–3.5 % larger (BENCHMARKS.md, issue 13).
        return RasterOutputOptions(dataType: .float32, noDataValue: .nan, bandDescriptions: [description],
                                   bandUnits: [product.unit], metadata: metadata, deflateLevel: 1, compressionThreads: threads)
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
    /// Area (ha) of the cells with SOCD inside the area of applicability (0 without one).
    public static let areaInsideHa = 6
    /// First Σ SOCD × area field: index `firstStock + variants × layer + variant` (variant 0 mean, 1 q05,
    /// 2 q95, 3 mean of the cells inside the area of applicability).
    public static let firstStock = 7
    /// Stock sums per layer.
    public static let variants = 4
    /// Fields per ecosystem and row.
    public static var count: Int { firstStock + variants * SOCLayer.count }
}

/// Stocks table and counts from per-row sums (METHOD.md §8: Stocks [Pg] = Σ SOCD × area / 10⁹).
public enum StockTable {
    /// Builds the Table 1 rows (per ecosystem and layer, then `all`) and the counts from
    /// `sums[row][ecosystem * RowSumField.count + field]` for all rows of the grid.
    /// `applicability[e]` says whether ecosystem `e` was mapped with an area of applicability (else its
    /// inside-AOA columns are NaN).
    public static func build(ecosystems: [String], applicability: [Bool], rowSums: [[Double]]) -> (rows: [StockRow], counts: [EcosystemCounts]) {
        let fields = RowSumField.count
        var totals = [[Double]](repeating: [Double](repeating: 0, count: fields), count: ecosystems.count)
        for row in rowSums {
            for e in ecosystems.indices {
                for f in 0..<fields { totals[e][f] += row[e * fields + f] }
            }
        }
        var rows: [StockRow] = []
        func stockRows(_ name: String, _ t: [Double], withAOA: Bool) -> [StockRow] {
            SOCLayer.labels.indices.map { layer in
                let area = t[RowSumField.areaUsedHa], first = RowSumField.firstStock + RowSumField.variants * layer
                let mean = t[first]
                return StockRow(ecosystem: name, layer: SOCLayer.labels[layer], area1e9Ha: area / 1e9,
                                socdMeanMgPerHa: area > 0 ? mean / area : .nan, stockPg: mean / 1e9,
                                stockPgBoundLow: t[first + 1] / 1e9, stockPgBoundHigh: t[first + 2] / 1e9,
                                area1e9HaInsideAOA: withAOA ? t[RowSumField.areaInsideHa] / 1e9 : .nan,
                                stockPgInsideAOA: withAOA ? t[first + 3] / 1e9 : .nan)
            }
        }
        var all = [Double](repeating: 0, count: fields)
        for (e, name) in ecosystems.enumerated() {
            rows += stockRows(name, totals[e], withAOA: applicability[e])
            for f in 0..<fields { all[f] += totals[e][f] }
        }
        rows += stockRows("all", all, withAOA: !applicability.isEmpty && !applicability.contains(false))
        let counts = ecosystems.enumerated().map { e, name in
            EcosystemCounts(ecosystem: name, cellsWithArea: Int(totals[e][RowSumField.cellsWithArea]),
                            predicted: Int(totals[e][RowSumField.predicted]),
                            missingCovariate: Int(totals[e][RowSumField.missingCovariate]),
                            missingTopsoil: Int(totals[e][RowSumField.missingTopsoil]),
                            areaNotMappedHa: totals[e][RowSumField.areaAllHa] - totals[e][RowSumField.areaUsedHa])
        }
        return (rows, counts)
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
        try AtomicFile.write(data, to: path)
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
