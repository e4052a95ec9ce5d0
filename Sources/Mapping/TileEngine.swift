// Computation of one row tile of a mapping run (METHOD.md §3, §5, §8).
import Essentials
import DepthFunctions
import Dispatch
import Forest
import Foundation
import Rasters
import Statistics
import RunModel

/// The result of one tile: Float32 output rows (ecosystem-major, slot order of
/// `MapOutputNames`), per-row sums, and the β predictions to checkpoint.
struct TileResult {
    /// The cells of each ecosystem whose intervals are simulated, by simulation unit and β bin.
    var bins: [SimulationBins?] = []
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
    /// The residual SD σ and simulation units of each ecosystem whose intervals are simulated (nil: none).
    let intervals: [(sigma: Double, units: SimulationUnitGrid)?]
    let threads: Int
    let columns: Int
    private var rasters: [String: Raster] = [:]
    private var noData: [String: Double] = [:]
    private var buffers: [String: [Double]] = [:]
    private let cellAreaHaPerRow: [Double]

    init(config: MapPlan, models: [RandomForest], applicability: [AreaOfApplicability?],
         intervals: [(sigma: Double, units: SimulationUnitGrid)?], rows: Range<Int>, threads: Int) throws {
        self.config = config
        self.models = models
        self.applicability = applicability
        self.intervals = intervals
        self.threads = threads
        self.columns = config.grid.columns
        for ecosystem in config.ecosystems {
            for path in [ecosystem.areaPath] + ecosystem.topsoil.paths + (ecosystem.topsoilUncertainty?.paths ?? []) + ecosystem.covariates.values.sorted()
            where rasters[path] == nil {
                let raster = try Raster(path: path)
                rasters[path] = raster
                noData[path] = try raster.noDataValue() ?? .nan
            }
        }
        cellAreaHaPerRow = config.ecosystems.contains { $0.areaUnit == .fraction } ? try config.grid.cellAreaHaPerRow() : []
    }

    /// Reads `rows` of the rasters at `paths` into their reusable buffers, nodata replaced by NaN. The rasters are
    /// read side by side on up to `threads` threads (distinct GDAL datasets, one thread each); the first error in
    /// `paths` order is thrown.
    private mutating func load(_ paths: [String], rows: Range<Int>) throws {
        let sources = try paths.map { path -> (Raster, Double) in
            guard let raster = rasters[path], let missing = noData[path] else {
                throw RasterError.readFailed(path: path, reason: "the raster was not opened for the map step")
            }
            return (raster, missing)
        }
        let read = ResultSlots<Result<[Double], any Error>>(count: paths.count)
        let reusable = paths.map { buffers.removeValue(forKey: $0) ?? [] }
        parallelForEach(itemCount: paths.count, threads: max(1, min(threads, paths.count))) { k in
            var buffer = reusable[k]
            let (raster, missing) = sources[k]
            do {
                try raster.readRows(firstRow: rows.lowerBound, rowCount: rows.count, into: &buffer)
                if !missing.isNaN {
                    buffer.withUnsafeMutableBufferPointer { values in
                        for i in values.indices where RasterNoData.isMissing(values[i], noData: missing) { values[i] = .nan }
                    }
                }
                read.set(k, .success(buffer))
            } catch {
                read.set(k, .failure(error))
            }
        }
        for (path, result) in zip(paths, read.values()) { buffers[path] = try result.get() }
    }

    /// Computes the tile `rows` (absolute grid rows). `saved` holds the β predictions of an
    /// earlier, interrupted run of the same tile; they are used when they fit this tile.
    mutating func compute(rows: Range<Int>, savedPredictions saved: (header: [Int64], values: [Double])?) throws -> TileResult {
        let cellCount = rows.count * columns
        var needed: [String] = []
        for (e, ecosystem) in config.ecosystems.enumerated() {
            let features = models[e].featureNames.compactMap { ecosystem.covariates[$0] }
            let uncertainty = intervals[e] == nil ? [] : (ecosystem.topsoilUncertainty?.paths ?? [])
            for path in [ecosystem.areaPath] + ecosystem.topsoil.paths + uncertainty + features where !needed.contains(path) { needed.append(path) }
        }
        try load(needed, rows: rows)

        var outputs: [[Float]] = []
        var tileBins: [SimulationBins?] = []
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
            // Standard deviation of the topsoil density (Mg C ha⁻¹) where the intervals are simulated and it is given:
            // for X = k·SOC·BD (Eq. 1), sX = k·√((BD·sSOC)² + (SOC·sBD)²), independent errors; a missing SD counts as 0.
            var topsoilSD: [Double] = []
            if intervals[e] != nil, let uncertainty = ecosystem.topsoilUncertainty {
                topsoilSD = [Double](repeating: 0, count: cellCount)
                switch ecosystem.topsoil {
                case let .socAndBulkDensity(socPath, bulkDensityPath):
                    let soc = buffers[socPath] ?? [], bd = buffers[bulkDensityPath] ?? []
                    let socSD = uncertainty.socSD.flatMap { buffers[$0] }, bdSD = uncertainty.bulkDensitySD.flatMap { buffers[$0] }
                    let k = layerSOCDensityMgPerHa(socGramsPerKilogram: 1, bulkDensityGramsPerCubicCentimetre: 1, thicknessCentimetres: 20)
                    for i in 0..<cellCount {
                        let a = socSD.map { $0[i].isFinite ? bd[i] * $0[i] : 0 } ?? 0, b = bdSD.map { $0[i].isFinite ? soc[i] * $0[i] : 0 } ?? 0
                        topsoilSD[i] = k * (a * a + b * b).squareRoot()
                    }
                case .density:
                    if let path = uncertainty.densitySD, let sd = buffers[path] { for i in 0..<cellCount { topsoilSD[i] = sd[i].isFinite ? sd[i] : 0 } }
                }
            }
            // Cells to predict: area > 0 and every model feature present.
            let featureBuffers = model.featureNames.map { buffers[ecosystem.covariates[$0] ?? ""] ?? [] }
            var mask: [Int32] = []
            mask.reserveCapacity(cellCount / 2)
            for i in 0..<cellCount where areaHa[i] > 0 {
                var complete = true
                for buffer in featureBuffers where !buffer[i].isFinite { complete = false; break }
                if complete { mask.append(Int32(i)) }
            }
            let predictedCount = mask.count
            header.append(Int64(predictedCount))
            var mean: [Double], q05: [Double], q95: [Double], se: [Double] = []
            let withSE = intervals[e] != nil, savedArrays = withSE ? 4 : 3
            if !usedSaved || saved == nil { usedSaved = false }
            var resumable = false
            if usedSaved, let saved {
                resumable = saved.header.count > 3 + e && Array(saved.header.prefix(3)) == Array(header.prefix(3))
                    && saved.header[3 + e] == Int64(predictedCount) && savedOffset + savedArrays * predictedCount <= saved.values.count
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
                if withSE { se = Array(saved.values[(savedOffset + 3 * predictedCount)..<(savedOffset + 4 * predictedCount)]) }
                savedOffset += savedArrays * predictedCount
            } else if predictedCount > 0 {
                usedSaved = false
                let predicted = try model.predictCells(columnMajor: matrixValues, rowCount: predictedCount,
                                                       probabilities: [0.05, 0.95], standardError: withSE, threads: threads)
                mean = predicted.mean
                q05 = predicted.quantiles[0]
                q95 = predicted.quantiles[1]
                se = predicted.standardError
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
            let seSlot = products.firstIndex(of: .betaStandardError) ?? -1
            let sigma = intervals[e]?.sigma ?? 0, units = intervals[e]?.units
            let grid = config.grid, firstRow = rows.lowerBound
            predictionValues += mean
            predictionValues += q05
            predictionValues += q95
            predictionValues += se

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
            let layerDensities = LayerSOCDensities(depths: SOCLayer.depthsCentimetres)
            let layerCount = SOCLayer.count
            let sumsFlat = UnsafeMutableBufferPointer<Double>.allocate(capacity: rows.count * RowSumField.count)
            sumsFlat.initialize(repeating: 0)
            defer { sumsFlat.deallocate() }
            let shared = SharedBuffer(pointer: sumsFlat)
            let outShared = outPointers.map { SharedBuffer(pointer: $0) }
            let chunks = max(1, min(threads * 4, rowCount))
            let chunkBins = ResultSlots<SimulationBins?>(count: chunks)
            areaHa.withUnsafeBufferPointer { area in
            topsoil.withUnsafeBufferPointer { topsoilDensity in
            mask.withUnsafeBufferPointer { maskCells in
            mean.withUnsafeBufferPointer { betaMean in
            q05.withUnsafeBufferPointer { betaLow in
            q95.withUnsafeBufferPointer { betaHigh in
            di.withUnsafeBufferPointer { dissimilarity in
            se.withUnsafeBufferPointer { standardError in
            topsoilSD.withUnsafeBufferPointer { topsoilError in
                let areaBox = UncheckedBox(TileInputPointers(area: area, topsoil: topsoilDensity, mask: maskCells, mean: betaMean, low: betaLow,
                                                             high: betaHigh, dissimilarity: dissimilarity, standardError: standardError,
                                                             topsoilSD: topsoilError))
                DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                    let p = areaBox.value
                    var bins = units.map { SimulationBins(units: $0) }
                    // The layer densities of one cell at its β mean, q05 and q95.
                    let densities = UnsafeMutablePointer<Double>.allocate(capacity: 3 * layerCount)
                    defer { densities.deallocate() }
                    defer { chunkBins.set(chunk, bins) }
                    for r in (rowCount * chunk / chunks)..<(rowCount * (chunk + 1) / chunks) {
                        let latitude = grid.north - (Double(firstRow + r) + 0.5) * grid.cellHeight
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
                            if seSlot >= 0 { outShared[seSlot].pointer[i] = Float(p.standardError[k]) }
                            if x.isFinite {
                                let a = p.area[i]
                                sums[RowSumField.areaUsedHa] += a
                                if inside { sums[RowSumField.areaInsideHa] += a }
                                if seSlot >= 0 {
                                    let standardError = p.standardError[k].isFinite ? p.standardError[k] : 0
                                    let sdX = p.topsoilSD.isEmpty ? 0 : p.topsoilSD[i]
                                    let longitude = grid.west + (Double(i - rowStart) + 0.5) * grid.cellWidth
                                    bins?.add(longitude: longitude, latitude: latitude, area: a, meanBeta: betas.0, standardError: standardError,
                                              density: x, densitySD: sdX)
                                    let q = MeanFieldQuantiles.subsoil(topsoil: x, topsoilSD: sdX, mean: betas.0,
                                                                      sd: (standardError * standardError + sigma * sigma).squareRoot())
                                    outShared[seSlot + 1].pointer[i] = Float(q.low)
                                    outShared[seSlot + 2].pointer[i] = Float(q.high)
                                }
                                layerDensities.evaluate(topsoilDensityMgPerHa: x, beta: betas.0, into: densities)
                                layerDensities.evaluate(topsoilDensityMgPerHa: x, beta: betas.1, into: densities + layerCount)
                                layerDensities.evaluate(topsoilDensityMgPerHa: x, beta: betas.2, into: densities + 2 * layerCount)
                                for l in 0..<layerCount {
                                    let dMean = densities[l], dLow = densities[layerCount + l], dHigh = densities[2 * layerCount + l]
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
            }}}}}}}}}
            var merged = units.map { SimulationBins(units: $0) }
            for chunkResult in chunkBins.values() { if let chunkResult { merged?.merge(chunkResult) } }
            tileBins.append(merged)
            for r in 0..<rows.count {
                for f in 0..<RowSumField.count { rowSums[r][fieldBase + f] = sumsFlat[r * RowSumField.count + f] }
            }
            for s in 0..<slots { outputs.append(Array(outPointers[s])) }
        }
        return TileResult(bins: tileBins, outputs: outputs, rowSums: rowSums, predictions: (header, predictionValues),
                          usedSaved: usedSaved && saved != nil)
    }
}

/// Read-only input pointers shared with the row workers (in an `UncheckedBox`).
struct TileInputPointers {
    /// Area (ha) and topsoil density (Mg C ha⁻¹) of every cell of the tile.
    let area, topsoil: UnsafeBufferPointer<Double>
    /// Cells predicted (indices into the tile).
    let mask: UnsafeBufferPointer<Int32>
    /// β mean, 5 % and 95 % quantile, dissimilarity index (empty without an AOA) and standard error (empty
    /// unless the intervals are simulated) of the predicted cells.
    let mean, low, high, dissimilarity, standardError: UnsafeBufferPointer<Double>
    /// Standard deviation of the topsoil density of every cell of the tile (empty when not given).
    let topsoilSD: UnsafeBufferPointer<Double>
}

/// The 5 % and 95 % subsoil (20–100 cm) SOC density of a cell under the mean-field model of METHOD.md §8d:
/// β ~ N(μ, se² + σ²), clamped to the bounds of `StockIntervals`, and X₀₋₂₀ with standard deviation sX.
/// With sX = 0 the quantiles are X·g(β₀.₀₅) and X·g(β₀.₉₅) exactly (g increases with β); otherwise the two
/// relative spreads are combined on the log scale (log-normal approximation).
enum MeanFieldQuantiles {
    static let z95 = 1.6448536269514722

    static func subsoil(topsoil x: Double, topsoilSD: Double, mean: Double, sd: Double) -> (low: Double, high: Double) {
        let bounds = StockIntervals.betaBounds
        let depth = SOCLayer.depthsCentimetres[SOCLayer.subsoil]
        func g(_ beta: Double) -> Double {
            layerSOCDensityFromTopsoilMgPerHa(topsoilDensityMgPerHa: 1, beta: min(max(beta, bounds.minimum), bounds.maximum),
                                              upperCentimetres: depth.upper, lowerCentimetres: depth.lower)
        }
        let low = g(mean - z95 * sd), high = g(mean + z95 * sd)
        guard topsoilSD > 0, x > 0, low > 0, high > 0 else { return (x * low, x * high) }
        let spreadBeta = log(high / low) / (2 * z95), spreadX = topsoilSD / x
        let spread = (spreadBeta * spreadBeta + spreadX * spreadX).squareRoot()
        let centre = x * g(mean)
        return (centre * exp(-z95 * spread), centre * exp(z95 * spread))
    }
}
