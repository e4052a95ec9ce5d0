// Simulated confidence intervals of the stocks: the cells' sums per simulation unit and β bin, and the
// simulation over them (docs/METHOD.md §8d).
import DepthFunctions
import Essentials
import Foundation
import RunModel
import Statistics

/// Sums of the cells of one ecosystem that fall in one simulation unit and one narrow bin of the forest
/// mean β, in fixed point (Int64), so that rows, tiles, threads and shards add them exactly and in any
/// order — a sharded run gives the same intervals, bit for bit, as a single one.
struct CellBinSums: Sendable, Equatable {
    /// Cells.
    var cells: Int64 = 0
    /// ΣA (ha), ΣA X̂, ΣA sX and ΣA X̂ μ (Mg C), ΣA se² and ΣA se (ha), each in units of its quantum.
    var area: Int64 = 0, areaDensity: Int64 = 0, areaDensitySD: Int64 = 0, areaDensityBeta: Int64 = 0, areaSquaredSE: Int64 = 0, areaSE: Int64 = 0

    /// The fields in file order.
    var fields: [Int64] { [cells, area, areaDensity, areaDensitySD, areaDensityBeta, areaSquaredSE, areaSE] }

    /// Sums from the fields in file order.
    init(fields v: [Int64]) {
        (cells, area, areaDensity, areaDensitySD) = (v[0], v[1], v[2], v[3])
        (areaDensityBeta, areaSquaredSE, areaSE) = (v[4], v[5], v[6])
    }

    /// No cells.
    init() {}

    /// Field-wise sum (no allocation: it runs once per mapped cell).
    static func &+ (a: CellBinSums, b: CellBinSums) -> CellBinSums {
        var sum = a
        sum.cells &+= b.cells
        sum.area &+= b.area
        sum.areaDensity &+= b.areaDensity
        sum.areaDensitySD &+= b.areaDensitySD
        sum.areaDensityBeta &+= b.areaDensityBeta
        sum.areaSquaredSE &+= b.areaSquaredSE
        sum.areaSE &+= b.areaSE
        return sum
    }
}

/// The cells of one ecosystem for the simulated stock intervals: per simulation unit (a coarse cell whose
/// fine cells share one value of each error field) and per bin of width `binWidth` of the forest mean β,
/// the fixed-point sums of `CellBinSums`. A bin's cells are simulated at their density-weighted mean β
/// (ΣA X̂ μ / ΣA X̂, within 2.5·10⁻⁴ of every cell's own); the reported stocks use every cell's own β.
public struct SimulationBins: Sendable, Equatable {
    /// Width of a β bin.
    public static let binWidth = 2.5e-4
    /// Quanta of the fixed-point sums: area in ha, densities in Mg C, area × se² and area × se in ha.
    static let areaQuantum = 1.0 / 4096, densityQuantum = 1.0 / 4096, squaredSEQuantum = 1.0 / 1_073_741_824, seQuantum = 1.0 / 16_777_216
    /// The simulation units.
    public let units: SimulationUnitGrid
    /// Sums by key `unit << 24 | bin` (bin = ⌊β / binWidth⌋).
    private(set) var sums: [UInt64: CellBinSums] = [:]

    /// No cells yet, on `units`.
    public init(units: SimulationUnitGrid) { self.units = units }

    /// Number of (unit, bin) entries.
    public var count: Int { sums.count }

    /// Adds one cell at (longitude, latitude) degrees: area (ha), forest mean and standard error of β, topsoil
    /// density X̂ and its standard deviation (Mg C ha⁻¹). Non-finite inputs are skipped by the caller.
    mutating func add(longitude: Double, latitude: Double, area: Double, meanBeta: Double, standardError: Double,
                      density: Double, densitySD: Double) {
        let unit = UInt64(units.unit(longitude: longitude, latitude: latitude))
        let bin = UInt64(max(0, min(Double(1 << 24 - 1), (meanBeta / Self.binWidth).rounded(.down))))
        let key = unit << 24 | bin
        var cell = CellBinSums()
        cell.cells = 1
        cell.area = Self.fixed(area, Self.areaQuantum)
        cell.areaDensity = Self.fixed(area * density, Self.densityQuantum)
        cell.areaDensitySD = Self.fixed(area * densitySD, Self.densityQuantum)
        cell.areaDensityBeta = Self.fixed(area * density * meanBeta, Self.densityQuantum)
        cell.areaSquaredSE = Self.fixed(area * standardError * standardError, Self.squaredSEQuantum)
        cell.areaSE = Self.fixed(area * standardError, Self.seQuantum)
        sums[key, default: CellBinSums()] = sums[key, default: CellBinSums()] &+ cell
    }

    /// `value` in units of `quantum`, rounded to the nearest (saturating).
    @inline(__always) static func fixed(_ value: Double, _ quantum: Double) -> Int64 {
        let scaled = (value / quantum).rounded()
        return scaled.isFinite ? Int64(max(-9.0e18, min(9.0e18, scaled))) : 0
    }

    /// Adds the cells of `other` (same units).
    mutating func merge(_ other: SimulationBins) {
        for (key, value) in other.sums { sums[key] = (sums[key] ?? CellBinSums()) &+ value }
    }

    /// The unit response tables (in key order) with the responses g_l of every `SOCLayer` on `grid`, built on up to
    /// `threads` threads, one unit per task; within a unit the bins are added in key order, so the tables do not
    /// depend on `threads`.
    func tables(grid: ShiftGrid, betaMinimum: Double, betaMaximum: Double, threads: Int = 1) throws -> [UnitResponseTable] {
        let depths = SOCLayer.depthsCentimetres
        let layerDensities = LayerSOCDensities(depths: depths)
        let response: CellResponse = { beta, out in
            out.withUnsafeMutableBufferPointer { out in
                if let base = out.baseAddress, out.count >= depths.count {
                    layerDensities.evaluate(topsoilDensityMgPerHa: 1, beta: beta, into: base)
                }
            }
        }
        let keys = sums.keys.sorted()
        // The first key of every unit, then the end.
        var unitStarts: [Int] = []
        for (index, key) in keys.enumerated() where index == 0 || keys[index - 1] >> 24 != key >> 24 { unitStarts.append(index) }
        unitStarts.append(keys.count)
        let unitCount = unitStarts.count - 1
        let built = ResultSlots<Result<UnitResponseTable, any Error>>(count: unitCount)
        parallelForEach(itemCount: unitCount, threads: max(1, min(resolvedThreadCount(threads), unitCount))) { u in
            built.set(u, Result {
                let centre = units.centre(ofUnit: Int(keys[unitStarts[u]] >> 24))
                var table = try UnitResponseTable(longitude: centre.longitude, latitude: centre.latitude, grid: grid,
                                                  channelCount: depths.count, betaMinimum: betaMinimum, betaMaximum: betaMaximum)
                for key in keys[unitStarts[u]..<unitStarts[u + 1]] {
                    guard let value = sums[key] else { continue }
                    let bin = key & (1 << 24 - 1)
                    let centre = (Double(bin) + 0.5) * Self.binWidth
                    let weighted = value.areaDensity > 0 ? Double(value.areaDensityBeta) / Double(value.areaDensity) : centre
                    try table.addCells(
                        meanBeta: weighted.isFinite ? weighted : centre, cellCount: Int(value.cells), area: Double(value.area) * Self.areaQuantum,
                        areaTimesDensity: Double(value.areaDensity) * Self.densityQuantum,
                        areaTimesDensitySD: Double(value.areaDensitySD) * Self.densityQuantum,
                        areaTimesSquaredStandardError: Double(value.areaSquaredSE) * Self.squaredSEQuantum,
                        areaTimesStandardError: Double(value.areaSE) * Self.seQuantum, response: response)
                }
                return table
            })
        }
        return try built.values().map { try $0.get() }
    }

    /// The largest area-weighted RMS se of a unit.
    func largestUnitStandardError() -> Double {
        var byUnit: [UInt64: (area: Int64, squared: Int64)] = [:]
        for (key, value) in sums {
            let current = byUnit[key >> 24] ?? (0, 0)
            byUnit[key >> 24] = (current.area &+ value.area, current.squared &+ value.areaSquaredSE)
        }
        return byUnit.values.map { $0.area > 0 ? (Double($0.squared) * Self.squaredSEQuantum / (Double($0.area) * Self.areaQuantum)).squareRoot() : 0 }
            .max() ?? 0
    }

    // MARK: - File

    /// The bins as bytes: magic, unit side (Float64), unit columns, entry count, then per entry (in key order)
    /// the key and the seven sums, all little-endian 64-bit.
    func encoded() -> Data {
        var words: [UInt64] = [Self.magic, units.sideDegrees.bitPattern, UInt64(units.columns), UInt64(sums.count)]
        for key in sums.keys.sorted() {
            guard let v = sums[key] else { continue }
            words += [key] + v.fields.map { UInt64(bitPattern: $0) }
        }
        return words.withUnsafeBytes { Data($0) }
    }

    /// Decodes `encoded()`; nil when the bytes are not such a file (treated as absent).
    static func decode(_ data: Data) -> SimulationBins? {
        guard data.count >= 32, data.count % 8 == 0 else { return nil }
        let words = data.withUnsafeBytes { raw in (0..<(data.count / 8)).map { raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self) } }
        guard words[0] == Self.magic, let count = Int(exactly: words[3]), words.count == 4 + 8 * count,
              let columns = Int(exactly: words[2]),
              let units = try? SimulationUnitGrid(sideDegrees: Double(bitPattern: words[1]), columns: columns) else { return nil }
        var bins = SimulationBins(units: units)
        for entry in 0..<count {
            let base = 4 + 8 * entry
            bins.sums[words[base]] = CellBinSums(fields: (1...7).map { Int64(bitPattern: words[base + $0]) })
        }
        return bins
    }

    /// First word of a bins file ("SBSIM2").
    static let magic: UInt64 = 0x5342_5349_4D32_0000
}

/// The simulated intervals of one map run (docs/METHOD.md §8d): per ecosystem the residual variogram, the
/// simulation units and the bins its cells were added to; `simulate` gives the 2.5/50/97.5 % figures.
public enum StockIntervals {
    /// Physical bounds of β in the simulation (0 < β < 1).
    public static let betaBounds = (minimum: 1e-3, maximum: 0.9999)
    /// Points of the shift tables (K; METHOD.md §8d advises 121).
    public static let shiftPoints = 121

    /// The residual variogram of an ecosystem (`forest/XX/variogram.json` or the ecosystem's `variogram` key).
    public static func variogram(_ spec: EcosystemSpec) throws -> ExponentialVariogram? {
        guard let path = spec.variogramPath else { return nil }
        return try RunDocument.read(ExponentialVariogram.self, from: path)
    }

    /// Smallest side of a simulation unit, degrees: bounds the number of units (≈ 20,000 over the land of one
    /// ecosystem) and so the memory of their tables (K × 7 layers × 8 bytes, twice with a topsoil SD, per unit).
    /// A field whose range is shorter than ≈ 4 units is then taken as shared within a unit: its correlation is
    /// overstated there, which widens the interval (conservative).
    public static let minimumUnitDegrees = 1.0

    /// The simulation units of an ecosystem with `variogram` on a grid of `cellDegrees`: side ≈ range/4, at least
    /// `minimumUnitDegrees` and one cell, at most 2° (or one cell when cells are larger).
    public static func units(_ variogram: ExponentialVariogram, cellDegrees: Double) throws -> SimulationUnitGrid {
        let sizing = max(variogram.rangeKilometres, 4 * SphericalGeometry.kilometresPerDegree * minimumUnitDegrees)
        return try SimulationUnitGrid(rangeKilometres: sizing, fineCellDegrees: cellDegrees, maximumSideDegrees: max(2, cellDegrees))
    }

    /// Simulates the stocks of every ecosystem with bins (and their sum over ecosystems): per ecosystem (nil
    /// without a variogram or cells) the summary of every `SOCLayer` in Pg C, and the summaries of the sum.
    public static func simulate(plan: MapPlan, bins: [SimulationBins?], threads: Int) throws -> (perEcosystem: [[StockSummary]?], all: [StockSummary]?) {
        var results: [[StockSummary]?] = []
        var simulations: [StockSimulation] = []
        for (e, spec) in plan.ecosystems.enumerated() {
            guard e < bins.count, let cells = bins[e], cells.count > 0, let variogram = try variogram(spec) else { results.append(nil); continue }
            var model = SpatialErrorModel(variogram: variogram)
            // z₁'s range: `[uncertainty] se_range_km`, else the forest's own error correlation, else the residual range.
            if let range = plan.configuration.uncertainty.standardErrorRangeKm {
                model.forestErrorRangeKilometres = range
            } else if let path = spec.errorCorrelationPath {
                model.forestErrorRangeKilometres = try RunDocument.read(ErrorCorrelationRange.self, from: path).rangeKilometres
            }
            let spread = (cells.largestUnitStandardError() * cells.largestUnitStandardError() + model.residualSD * model.residualSD).squareRoot()
            let grid = try ShiftGrid(halfWidth: max(6 * spread, 1e-6), pointCount: shiftPoints)
            let tables = try cells.tables(grid: grid, betaMinimum: betaBounds.minimum, betaMaximum: betaBounds.maximum, threads: threads)
            var options = StockSimulationOptions()
            options.realisations = plan.configuration.uncertainty.realisations
            options.seed = plan.configuration.run.seed
            options.stream = UInt32(Ecosystem.allCases.firstIndex(of: spec.ecosystem) ?? e)
            options.threads = threads
            let simulation = try StockSimulation.run(units: tables, model: model, options: options)
            simulations.append(simulation)
            results.append(simulation.summaries.map(Self.petagrams))
        }
        let all = simulations.count == plan.ecosystems.count && !simulations.isEmpty
            ? try StockSimulation.summedRealisations(simulations).map(Self.petagrams) : nil
        return (results, all)
    }

    /// A summary of Mg C as Pg C.
    static func petagrams(_ s: StockSummary) -> StockSummary {
        var pg = s
        pg.mean /= 1e9; pg.standardDeviation /= 1e9; pg.lower /= 1e9; pg.upper /= 1e9
        return pg
    }

    /// `rows` with the simulated columns filled from `simulate`'s results (ecosystem rows in plan order, then `all`).
    static func apply(_ result: (perEcosystem: [[StockSummary]?], all: [StockSummary]?), to rows: [StockRow], plan: MapPlan) -> [StockRow] {
        var out = rows
        for index in out.indices {
            let layer = SOCLayer.labels.firstIndex(of: out[index].layer) ?? -1
            guard layer >= 0 else { continue }
            let summaries: [StockSummary]?
            if out[index].isTotal { summaries = result.all } else {
                summaries = plan.ecosystems.firstIndex { $0.name == out[index].ecosystem }.flatMap { result.perEcosystem[$0] }
            }
            guard let summary = summaries?[layer] else { continue }
            out[index].stockPgSimulatedMean = summary.mean
            out[index].stockPgLow95 = summary.lower
            out[index].stockPgHigh95 = summary.upper
        }
        return out
    }
}
