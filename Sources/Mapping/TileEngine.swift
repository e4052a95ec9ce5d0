// Computation of one row tile of a mapping run (METHOD.md §3, §5, §8).
import Essentials
import DepthFunctions
import Dispatch
import Forest
import Foundation
import Rasters
import RunModel

/// The result of one tile: Float32 output rows (ecosystem-major, slot order of
/// `MapOutputNames`), per-row sums, and the β predictions to checkpoint.
struct TileResult {
    var outputs: [[Float]]
    var rowSums: [[Double]]
    var predictions: (header: [Int64], values: [Double])
    var usedSaved: Bool
}

/// Reads the inputs of a tile, predicts β per ecosystem, and derives areas and layer densities.
/// One instance per run; rasters are opened once and read tile by tile.
struct TileEngine {
    let config: MapPlan
    let models: [RandomForest]
    /// The area of applicability of each ecosystem's model (nil: no DI/AOA maps).
    let applicability: [AreaOfApplicability?]
    let threads: Int
    let columns: Int
    private var rasters: [String: Raster] = [:]
    private var noData: [String: Double] = [:]
    private var buffers: [String: [Double]] = [:]
    private let cellAreaHaPerRow: [Double]

    init(config: MapPlan, models: [RandomForest], applicability: [AreaOfApplicability?], rows: Range<Int>, threads: Int) throws {
        self.config = config
        self.models = models
        self.applicability = applicability
        self.threads = threads
        self.columns = config.grid.columns
        for ecosystem in config.ecosystems {
            for path in [ecosystem.areaPath] + ecosystem.topsoil.paths + ecosystem.covariates.values.sorted() where rasters[path] == nil {
                let raster = try Raster(path: path)
                rasters[path] = raster
                noData[path] = try raster.noDataValue() ?? .nan
            }
        }
        cellAreaHaPerRow = config.ecosystems.contains { $0.areaUnit == .fraction } ? try config.grid.cellAreaHaPerRow() : []
    }

    /// Reads `rows` of the raster at `path` into its reusable buffer, nodata replaced by NaN.
    private mutating func load(_ path: String, rows: Range<Int>) throws {
        var buffer = buffers.removeValue(forKey: path) ?? []
        try rasters[path]!.readRows(firstRow: rows.lowerBound, rowCount: rows.count, into: &buffer)
        let missing = noData[path]!
        if !missing.isNaN {
            buffer.withUnsafeMutableBufferPointer { values in
                for i in values.indices where RasterNoData.isMissing(values[i], noData: missing) { values[i] = .nan }
            }
        }
        buffers[path] = buffer
    }

    /// Computes the tile `rows` (absolute grid rows). `saved` holds the β predictions of an
    /// earlier, interrupted run of the same tile; they are used when they fit this tile.
    mutating func compute(rows: Range<Int>, savedPredictions saved: (header: [Int64], values: [Double])?) throws -> TileResult {
        let cellCount = rows.count * columns
        var needed: [String] = []
        for (e, ecosystem) in config.ecosystems.enumerated() {
            for path in [ecosystem.areaPath] + ecosystem.topsoil.paths + models[e].featureNames.map({ ecosystem.covariates[$0]! })
            where !needed.contains(path) { needed.append(path) }
        }
        for path in needed { try load(path, rows: rows) }

        var outputs: [[Float]] = []
        var rowSums = [[Double]](repeating: [Double](repeating: 0, count: config.ecosystems.count * RowSumField.count), count: rows.count)
        var header: [Int64] = [Int64(rows.lowerBound), Int64(rows.count), Int64(config.ecosystems.count)]
        var predictionValues: [Double] = []
        var savedOffset = 0
        var usedSaved = saved != nil

        for (e, ecosystem) in config.ecosystems.enumerated() {
            let model = models[e]
            // Area (ha) per cell: nodata or ≤ 0 → no ecosystem.
            var areaHa = buffers[ecosystem.areaPath] ?? []
            if let negative = areaHa.firstIndex(where: { $0 < 0 }) {
                throw MappingError.negativeArea(path: ecosystem.areaPath, row: rows.lowerBound + negative / columns,
                                                column: negative % columns, value: areaHa[negative])
            }
            if ecosystem.areaUnit == .fraction {
                for r in 0..<rows.count {
                    let cellArea = cellAreaHaPerRow[rows.lowerBound + r]
                    for c in 0..<columns { areaHa[r * columns + c] *= cellArea }
                }
            }
            // Topsoil density X₀₋₂₀ (Mg C ha⁻¹): Eq. 1 over 20 cm, or the given raster.
            var topsoil: [Double]
            switch ecosystem.topsoil {
            case let .density(path):
                topsoil = buffers[path]!
            case let .socAndBulkDensity(socPath, bulkDensityPath):
                let soc = buffers[socPath]!, bd = buffers[bulkDensityPath]!
                topsoil = [Double](repeating: .nan, count: cellCount)
                for i in 0..<cellCount {
                    topsoil[i] = layerSOCDensityMgPerHa(socGramsPerKilogram: soc[i], bulkDensityGramsPerCubicCentimetre: bd[i],
                                                        thicknessCentimetres: 20)
                }
            }
            // Cells to predict: area > 0 and every model feature present.
            let featureBuffers = model.featureNames.map { buffers[ecosystem.covariates[$0]!]! }
            var mask: [Int32] = []
            mask.reserveCapacity(cellCount / 2)
            for i in 0..<cellCount where areaHa[i] > 0 {
                var complete = true
                for buffer in featureBuffers where !buffer[i].isFinite { complete = false; break }
                if complete { mask.append(Int32(i)) }
            }
            let predictedCount = mask.count
            header.append(Int64(predictedCount))
            var mean: [Double], q05: [Double], q95: [Double]
            if !usedSaved || saved == nil { usedSaved = false }
            var resumable = false
            if usedSaved, let saved {
                resumable = saved.header.count > 3 + e && Array(saved.header.prefix(3)) == Array(header.prefix(3))
                    && saved.header[3 + e] == Int64(predictedCount) && savedOffset + 3 * predictedCount <= saved.values.count
            }
            // The predicted cells' features, column-major in model order (for the forest and the DI).
            var matrixValues: [Double] = []
            if predictedCount > 0, !resumable || applicability[e] != nil {
                matrixValues = [Double](repeating: 0, count: predictedCount * featureBuffers.count)
                for (f, buffer) in featureBuffers.enumerated() {
                    let base = f * predictedCount
                    for k in 0..<predictedCount { matrixValues[base + k] = buffer[Int(mask[k])] }
                }
            }
            if resumable, let saved {
                mean = Array(saved.values[savedOffset..<(savedOffset + predictedCount)])
                q05 = Array(saved.values[(savedOffset + predictedCount)..<(savedOffset + 2 * predictedCount)])
                q95 = Array(saved.values[(savedOffset + 2 * predictedCount)..<(savedOffset + 3 * predictedCount)])
                savedOffset += 3 * predictedCount
            } else if predictedCount > 0 {
                usedSaved = false
                let predicted = try model.predictCells(columnMajor: matrixValues, rowCount: predictedCount,
                                                       probabilities: [0.05, 0.95], threads: threads)
                mean = predicted.mean
                q05 = predicted.quantiles[0]
                q95 = predicted.quantiles[1]
            } else {
                usedSaved = false
                mean = []; q05 = []; q95 = []
            }
            // Dissimilarity index of the predicted cells (Meyer & Pebesma 2021); empty without an AOA.
            let di = try applicability[e]?.dissimilarity(columnMajor: matrixValues, featureNames: model.featureNames,
                                                         rowCount: predictedCount, threads: threads) ?? []
            let threshold = applicability[e]?.threshold ?? .nan
            let products = ecosystem.products
            let slots = products.count, diSlot = products.firstIndex(of: .dissimilarity) ?? -1
            predictionValues += mean
            predictionValues += q05
            predictionValues += q95

            // Outputs and per-row sums, rows in parallel (each row is summed in column order).
            let outPointers = (0..<slots).map { _ -> UnsafeMutableBufferPointer<Float> in
                let pointer = UnsafeMutableBufferPointer<Float>.allocate(capacity: cellCount)
                pointer.initialize(repeating: .nan)
                return pointer
            }
            defer { for pointer in outPointers { pointer.deallocate() } }
            var maskStartOfRow = [Int](repeating: 0, count: rows.count + 1)
            do {
                var k = 0
                for r in 0..<rows.count {
                    maskStartOfRow[r] = k
                    let end = Int32((r + 1) * columns)
                    while k < predictedCount && mask[k] < end { k += 1 }
                }
                maskStartOfRow[rows.count] = predictedCount
            }
            let rowStarts = maskStartOfRow
            let columns = self.columns
            let rowCount = rows.count
            let fieldBase = e * RowSumField.count
            let layerDepths = SOCLayer.depthsCentimetres
            let sumsFlat = UnsafeMutableBufferPointer<Double>.allocate(capacity: rows.count * RowSumField.count)
            sumsFlat.initialize(repeating: 0)
            defer { sumsFlat.deallocate() }
            let shared = SharedBuffer(pointer: sumsFlat)
            let outShared = outPointers.map { SharedBuffer(pointer: $0) }
            areaHa.withUnsafeBufferPointer { area in
            topsoil.withUnsafeBufferPointer { topsoilDensity in
            mask.withUnsafeBufferPointer { maskCells in
            mean.withUnsafeBufferPointer { betaMean in
            q05.withUnsafeBufferPointer { betaLow in
            q95.withUnsafeBufferPointer { betaHigh in
            di.withUnsafeBufferPointer { dissimilarity in
                let areaBox = UncheckedBox(TileInputPointers(area: area, topsoil: topsoilDensity, mask: maskCells, mean: betaMean, low: betaLow,
                                                             high: betaHigh, dissimilarity: dissimilarity))
                let chunks = max(1, min(threads * 4, rowCount))
                DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                    let p = areaBox.value
                    for r in (rowCount * chunk / chunks)..<(rowCount * (chunk + 1) / chunks) {
                        let sums = shared.pointer.baseAddress! + r * RowSumField.count
                        let rowStart = r * columns
                        for i in rowStart..<(rowStart + columns) where p.area[i] > 0 {
                            sums[RowSumField.cellsWithArea] += 1
                            sums[RowSumField.areaAllHa] += p.area[i]
                            outShared[3].pointer[i] = Float(p.area[i])
                        }
                        var k = rowStarts[r]
                        let end = rowStarts[r + 1]
                        // Cells with area but not predicted: a covariate is missing.
                        sums[RowSumField.missingCovariate] = sums[RowSumField.cellsWithArea] - Double(end - k)
                        sums[RowSumField.predicted] = Double(end - k)
                        while k < end {
                            let i = Int(p.mask[k])
                            let betas = (p.mean[k], p.low[k], p.high[k])
                            outShared[0].pointer[i] = Float(betas.0)
                            outShared[1].pointer[i] = Float(betas.1)
                            outShared[2].pointer[i] = Float(betas.2)
                            // Inside the area of applicability (always false without one).
                            var inside = false
                            if diSlot >= 0 {
                                let index = p.dissimilarity[k]
                                inside = !index.isNaN && index <= threshold
                                outShared[diSlot].pointer[i] = Float(index)
                                outShared[diSlot + 1].pointer[i] = inside ? 1 : 0
                            }
                            let x = p.topsoil[i]
                            if x.isFinite {
                                let a = p.area[i]
                                sums[RowSumField.areaUsedHa] += a
                                if inside { sums[RowSumField.areaInsideHa] += a }
                                for (l, depth) in layerDepths.enumerated() {
                                    let dMean = layerSOCDensityFromTopsoilMgPerHa(topsoilDensityMgPerHa: x, beta: betas.0,
                                                                                   upperCentimetres: depth.upper, lowerCentimetres: depth.lower)
                                    let dLow = layerSOCDensityFromTopsoilMgPerHa(topsoilDensityMgPerHa: x, beta: betas.1,
                                                                                  upperCentimetres: depth.upper, lowerCentimetres: depth.lower)
                                    let dHigh = layerSOCDensityFromTopsoilMgPerHa(topsoilDensityMgPerHa: x, beta: betas.2,
                                                                                   upperCentimetres: depth.upper, lowerCentimetres: depth.lower)
                                    outShared[4 + l].pointer[i] = Float(dMean)
                                    let first = RowSumField.firstStock + RowSumField.variants * l
                                    sums[first] += dMean * a
                                    sums[first + 1] += dLow * a
                                    sums[first + 2] += dHigh * a
                                    if inside { sums[first + 3] += dMean * a }
                                }
                            } else {
                                sums[RowSumField.missingTopsoil] += 1
                            }
                            k += 1
                        }
                    }
                }
            }}}}}}}
            for r in 0..<rows.count {
                for f in 0..<RowSumField.count { rowSums[r][fieldBase + f] = sumsFlat[r * RowSumField.count + f] }
            }
            for s in 0..<slots { outputs.append(Array(outPointers[s])) }
        }
        return TileResult(outputs: outputs, rowSums: rowSums, predictions: (header, predictionValues),
                          usedSaved: usedSaved && saved != nil)
    }
}

/// Read-only input pointers shared with the row workers (in an `UncheckedBox`).
struct TileInputPointers {
    /// Area (ha) and topsoil density (Mg C ha⁻¹) of every cell of the tile.
    let area, topsoil: UnsafeBufferPointer<Double>
    /// Cells predicted (indices into the tile).
    let mask: UnsafeBufferPointer<Int32>
    /// β mean, 5 % and 95 % quantile and dissimilarity index (empty without an AOA) of the predicted cells.
    let mean, low, high, dissimilarity: UnsafeBufferPointer<Double>
}
