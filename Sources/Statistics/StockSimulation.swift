// Simulated confidence intervals of SOC stocks from spatially correlated errors of β (METHOD.md §8d).
import Essentials
import Foundation

/// The response of one grid cell to its β: writes g_c(β) for every channel c (e.g. the layer
/// factor g_l(β) = (β^a − β^b)/(1 − β^20) of each reported layer, unitless) into the array,
/// which has exactly `channelCount` elements. Supplied by the caller; the engine never assumes a form.
public typealias CellResponse = (_ beta: Double, _ responses: inout [Double]) -> Void

/// A fixed, symmetric grid of K shifts of β, Δ_k = (k − (K − 1)/2) · step for k = 0 … K − 1
/// (unitless, like β). With K odd, Δ = 0 is a grid point. Tables on the same grid can be merged.
public struct ShiftGrid: Codable, Sendable, Hashable {
    /// Spacing h of the shifts.
    public let step: Double
    /// Number of shifts K (≥ 2).
    public let pointCount: Int

    /// A grid of `pointCount` shifts spanning [−halfWidth, +halfWidth] (step = 2·halfWidth/(K − 1)).
    /// A good choice is halfWidth = 6·√(σ² + se_max²) for the largest unit standard deviation
    /// expected, and K = 121 (with K = 41 the simulated percentiles moved by up to 0.9 % where many
    /// cells reach a β bound, with K = 121 by 0.02 %; METHOD.md §8d). Memory per unit: 8·K·C bytes,
    /// twice that when the density has an error.
    /// - Throws: `StatisticsError.invalidArgument` unless halfWidth > 0 is finite and K ≥ 2.
    public init(halfWidth: Double, pointCount: Int) throws {
        guard halfWidth > 0, halfWidth.isFinite, pointCount >= 2 else {
            throw StatisticsError.invalidArgument("shift grid: half width \(halfWidth) must be positive and finite, point count \(pointCount) ≥ 2")
        }
        step = 2 * halfWidth / Double(pointCount - 1)
        self.pointCount = pointCount
    }

    /// Half width H = step·(K − 1)/2 of the grid.
    public var halfWidth: Double { step * Double(pointCount - 1) / 2 }

    /// Shift Δ_k of grid point k.
    public func shift(_ k: Int) -> Double { (Double(k) - Double(pointCount - 1) / 2) * step }
}

/// The tabulated response of one simulation unit (a coarse cell of side ≈ range/4 whose fine cells
/// share one value of each error field), for one ecosystem and several channels (layers).
///
/// For the unit's cells i (area A_i in ha, forest mean μ_i and standard error se_i of β, topsoil
/// density X̂_i and its standard deviation sX_i in Mg C ha⁻¹) and every grid shift Δ_k it holds
///
///     F_c(Δ_k) = Σ_i A_i X̂_i g_c(clamp(μ_i + Δ_k)),    G_c(Δ_k) = Σ_i A_i sX_i g_c(clamp(μ_i + Δ_k))
///
/// in Mg C (when g_c is a layer factor), with clamp to [βmin, βmax], plus ΣA_i and ΣA_i se_i².
/// A realisation of the unit's stock in channel c is F_c(Δ) + z₃·G_c(Δ) with
/// Δ = se_u·z₁ + σ·z₂ and se_u = √(ΣA_i se_i² / ΣA_i), the area-weighted RMS standard error.
///
/// Cells are added one at a time (a map tile adds its cells and forgets them); tables of the same
/// unit are merged by adding sums; the type is `Codable` for map shards. Sums are plain
/// left-to-right additions, so a fixed order of cells and merges gives bit-identical tables.
public struct UnitResponseTable: Codable, Sendable, Equatable {
    /// Longitude of the unit's centre in degrees (the field is evaluated there).
    public let longitude: Double
    /// Latitude of the unit's centre in degrees.
    public let latitude: Double
    /// The shifts Δ_k of the table.
    public let grid: ShiftGrid
    /// Number of channels C.
    public let channelCount: Int
    /// Lower physical bound βmin of β (0 < βmin < βmax < 1 for β of Eq. 3).
    public let betaMinimum: Double
    /// Upper physical bound βmax of β.
    public let betaMaximum: Double
    /// Number of cells added.
    public private(set) var cellCount = 0
    /// ΣA_i in ha.
    public private(set) var area = 0.0
    /// ΣA_i se_i² in ha.
    public private(set) var areaTimesSquaredStandardError = 0.0
    /// ΣA_i se_i in ha.
    public private(set) var areaTimesStandardError = 0.0
    /// F_c(Δ_k) at index c·K + k.
    public private(set) var meanDensityResponse: [Double]
    /// G_c(Δ_k) at index c·K + k; empty while every cell added had sX = 0 (saves half the memory).
    public private(set) var densitySDResponse: [Double] = []

    /// An empty table for the unit centred at (longitude, latitude) in degrees.
    /// - Throws: `StatisticsError.invalidArgument` for C < 1, non-finite coordinates or bounds not
    ///   satisfying βmin < βmax.
    public init(longitude: Double, latitude: Double, grid: ShiftGrid, channelCount: Int,
                betaMinimum: Double, betaMaximum: Double) throws {
        guard channelCount >= 1 else { throw StatisticsError.invalidArgument("unit table: channel count \(channelCount) must be ≥ 1") }
        guard longitude.isFinite, latitude.isFinite else {
            throw StatisticsError.nonFiniteValue("unit table: centre (\(longitude), \(latitude)) is not finite")
        }
        guard betaMinimum.isFinite, betaMaximum.isFinite, betaMinimum < betaMaximum else {
            throw StatisticsError.invalidArgument("unit table: β bounds [\(betaMinimum), \(betaMaximum)] need βmin < βmax")
        }
        self.longitude = longitude
        self.latitude = latitude
        self.grid = grid
        self.channelCount = channelCount
        self.betaMinimum = betaMinimum
        self.betaMaximum = betaMaximum
        meanDensityResponse = [Double](repeating: 0, count: channelCount * grid.pointCount)
    }

    /// The area-weighted RMS standard error se_u = √(ΣA_i se_i² / ΣA_i) of β (0 for an empty unit).
    public var standardError: Double { area > 0 ? (areaTimesSquaredStandardError / area).squareRoot() : 0 }

    /// The area-weighted mean standard error ΣA_i se_i / ΣA_i of β (0 for an empty unit). With z₁
    /// shared by the unit's cells and a linear response this, not the RMS, gives the exact spread of
    /// the unit's total; the RMS exceeds it by the factor √(1 + CV²) of the cells' se.
    public var meanStandardError: Double { area > 0 ? areaTimesStandardError / area : 0 }

    /// se_u by the chosen averaging.
    public func standardError(_ averaging: StandardErrorAveraging) -> Double {
        averaging == .rootMeanSquare ? standardError : meanStandardError
    }

    /// clamp(β) = min(max(β, βmin), βmax).
    public func clamped(_ beta: Double) -> Double { min(max(beta, betaMinimum), betaMaximum) }

    /// Adds one cell: area A (ha), forest mean μ and standard error se of β, topsoil density X̂ and
    /// its standard deviation sX (Mg C ha⁻¹; 0 when the density is taken as known). `response` is
    /// called K times, with β = clamp(μ + Δ_k).
    /// - Throws: `StatisticsError` for non-finite input or negative area, se or sX.
    public mutating func addCell(area cellArea: Double, meanBeta: Double, betaStandardError: Double,
                                 density: Double, densitySD: Double = 0, response: CellResponse) throws {
        guard [cellArea, meanBeta, betaStandardError, density, densitySD].allSatisfy(\.isFinite) else {
            throw StatisticsError.nonFiniteValue("unit table: a cell has a NaN or infinite area, β, se, density or density SD")
        }
        guard cellArea >= 0, betaStandardError >= 0, densitySD >= 0 else {
            throw StatisticsError.invalidArgument(
                "unit table: area \(cellArea), se \(betaStandardError) and density SD \(densitySD) must be ≥ 0")
        }
        try addCells(meanBeta: meanBeta, cellCount: 1, area: cellArea, areaTimesDensity: cellArea * density,
                     areaTimesDensitySD: cellArea * densitySD, areaTimesSquaredStandardError: cellArea * betaStandardError * betaStandardError,
                     areaTimesStandardError: cellArea * betaStandardError, response: response)
    }

    /// Adds a group of cells that share the forest mean μ (e.g. the cells of a unit whose μ falls in one
    /// narrow bin), given by their sums: count, ΣA (ha), ΣA X̂ and ΣA sX (Mg C), ΣA se² and ΣA se (ha).
    /// `response` is called K times, with β = clamp(μ + Δ_k).
    /// - Throws: `StatisticsError` for non-finite or negative sums.
    public mutating func addCells(meanBeta: Double, cellCount cells: Int, area cellArea: Double, areaTimesDensity: Double,
                                  areaTimesDensitySD: Double, areaTimesSquaredStandardError squared: Double,
                                  areaTimesStandardError linear: Double, response: CellResponse) throws {
        guard [meanBeta, cellArea, areaTimesDensity, areaTimesDensitySD, squared, linear].allSatisfy(\.isFinite) else {
            throw StatisticsError.nonFiniteValue("unit table: cells with a NaN or infinite β, area, density, density SD or se")
        }
        guard cells >= 0, cellArea >= 0, areaTimesDensitySD >= 0, squared >= 0, linear >= 0 else {
            throw StatisticsError.invalidArgument("unit table: cell count, area, density SD and se sums must be ≥ 0")
        }
        let k = grid.pointCount
        var responses = [Double](repeating: 0, count: channelCount)
        let meanWeight = areaTimesDensity, sdWeight = areaTimesDensitySD
        if sdWeight != 0 && densitySDResponse.isEmpty { densitySDResponse = [Double](repeating: 0, count: meanDensityResponse.count) }
        for point in 0..<k {
            response(clamped(meanBeta + grid.shift(point)), &responses)
            for channel in 0..<channelCount {
                meanDensityResponse[channel * k + point] += meanWeight * responses[channel]
                if sdWeight != 0 { densitySDResponse[channel * k + point] += sdWeight * responses[channel] }
            }
        }
        cellCount += cells
        area += cellArea
        areaTimesSquaredStandardError += squared
        areaTimesStandardError += linear
    }

    /// Adds the cells of `other`, a table of the same unit (same centre, grid, channels, bounds).
    /// - Throws: `StatisticsError.invalidArgument` when the tables do not describe the same unit.
    public mutating func merge(_ other: UnitResponseTable) throws {
        guard other.longitude == longitude, other.latitude == latitude, other.grid == grid, other.channelCount == channelCount,
              other.betaMinimum == betaMinimum, other.betaMaximum == betaMaximum else {
            throw StatisticsError.invalidArgument(
                "unit tables at (\(longitude), \(latitude)) and (\(other.longitude), \(other.latitude)) differ in centre, grid, channels or β bounds")
        }
        for index in meanDensityResponse.indices { meanDensityResponse[index] += other.meanDensityResponse[index] }
        if !other.densitySDResponse.isEmpty {
            if densitySDResponse.isEmpty { densitySDResponse = [Double](repeating: 0, count: meanDensityResponse.count) }
            for index in densitySDResponse.indices { densitySDResponse[index] += other.densitySDResponse[index] }
        }
        cellCount += other.cellCount
        area += other.area
        areaTimesSquaredStandardError += other.areaTimesSquaredStandardError
        areaTimesStandardError += other.areaTimesStandardError
    }
}

/// How the standard errors se_i of a unit's cells are combined into the unit's se_u.
public enum StandardErrorAveraging: String, Codable, Sendable {
    /// se_u = √(ΣA_i se_i² / ΣA_i) (the default; conservative when z₁ is shared within a unit).
    case rootMeanSquare
    /// se_u = ΣA_i se_i / ΣA_i (exact for a linear response when z₁ is shared within a unit).
    case areaWeightedMean
}

/// How a table is read between its grid shifts.
public enum TableInterpolation: String, Codable, Sendable {
    /// Piecewise linear.
    case linear
    /// Monotone piecewise cubic Hermite (Fritsch & Carlson 1980; slopes as in Fritsch & Butland 1984,
    /// MATLAB `pchip`): exact for linear responses, never overshoots between grid values.
    case monotoneCubic
}

/// Unit tables made ready for evaluation: for every unit and channel, K values y_k interleaved with
/// their Hermite slopes d_k (per grid step) as y₀, d₀, y₁, d₁, … (so one evaluation reads 32
/// adjacent bytes), for F and, when the unit has density error, for G, in one contiguous array.
struct InterpolatedTables: Sendable {
    let channelCount: Int
    /// Per unit: start of its block in `storage`, K, grid step, half width, whether G is stored.
    let offsets: [Int], pointCounts: [Int], steps: [Double], halfWidths: [Double], hasDensityError: [Bool]
    /// Per unit: channel c's interleaved F values and slopes at offset + c·2K; then G likewise after C·2K.
    let storage: [Double]
    let cubic: Bool

    init(_ tables: [UnitResponseTable], interpolation: TableInterpolation) {
        channelCount = tables.first?.channelCount ?? 0
        cubic = interpolation == .monotoneCubic
        var offsets: [Int] = [], storage: [Double] = []
        for table in tables {
            offsets.append(storage.count)
            let k = table.grid.pointCount
            for values in [table.meanDensityResponse, table.densitySDResponse] where !values.isEmpty {
                for channel in 0..<table.channelCount {
                    let block = Array(values[(channel * k)..<((channel + 1) * k)])
                    let slopes = cubic ? Self.slopes(block) : [Double](repeating: 0, count: k)
                    for point in 0..<k { storage.append(block[point]); storage.append(slopes[point]) }
                }
            }
        }
        self.offsets = offsets
        self.storage = storage
        pointCounts = tables.map(\.grid.pointCount)
        steps = tables.map(\.grid.step)
        halfWidths = tables.map(\.grid.halfWidth)
        hasDensityError = tables.map { $0.densitySDResponse.contains { $0 != 0 } }
    }

    /// PCHIP slopes d_k (value per grid step) of equally spaced values y_0 … y_{K−1}: 0 at a local
    /// extremum, else the harmonic mean 2/(1/δ_{k−1} + 1/δ_k) of the neighbouring secants δ.
    static func slopes(_ values: [Double]) -> [Double] {
        let k = values.count
        var slopes = [Double](repeating: 0, count: k)
        func secant(_ i: Int) -> Double { values[i + 1] - values[i] }
        if k == 2 { return [secant(0), secant(0)] }
        for i in 1..<(k - 1) {
            let left = secant(i - 1), right = secant(i)
            slopes[i] = left * right <= 0 ? 0 : 2 / (1 / left + 1 / right)
        }
        slopes[0] = endSlope(secant(0), secant(1))
        slopes[k - 1] = endSlope(secant(k - 2), secant(k - 3))
        return slopes
    }

    /// Shape-preserving one-sided three-point end slope from the end secant δ₀ and its neighbour δ₁.
    static func endSlope(_ end: Double, _ next: Double) -> Double {
        let slope = (3 * end - next) / 2
        if slope * end <= 0 { return 0 }
        if end * next < 0 && abs(slope) > 3 * abs(end) { return 3 * end }
        return slope
    }

    /// Adds F_c(Δ) + z₃·G_c(Δ) of unit `unit` to every channel of `totals`; returns whether Δ lay
    /// outside the unit's grid (it is then read at the grid's end).
    @inline(__always)
    func accumulate(unit: Int, shift: Double, densityDeviate: Double, into totals: UnsafeMutableBufferPointer<Double>,
                    storage values: UnsafeBufferPointer<Double>) -> Bool {
        let k = pointCounts[unit]
        let u = (shift + halfWidths[unit]) / steps[unit]
        var index = 0, t = 0.0, outside = false
        if !(u > 0) {
            outside = u < 0
        } else if u >= Double(k - 1) {
            index = k - 2; t = 1; outside = u > Double(k - 1)
        } else {
            index = Int(u); t = u - Double(index)
        }
        let t2 = t * t, t3 = t2 * t
        // Hermite basis on [0, 1]; with zero slopes and cubic = false this is linear interpolation.
        let h00 = cubic ? 2 * t3 - 3 * t2 + 1 : 1 - t, h01 = cubic ? -2 * t3 + 3 * t2 : t
        let h10 = cubic ? t3 - 2 * t2 + t : 0, h11 = cubic ? t3 - t2 : 0
        let blocks = hasDensityError[unit] ? 2 : 1
        var base = offsets[unit]
        for block in 0..<blocks {
            let factor = block == 0 ? 1 : densityDeviate
            for channel in 0..<channelCount {
                let at = base + 2 * index
                let value = h00 * values[at] + h10 * values[at + 1] + h01 * values[at + 2] + h11 * values[at + 3]
                totals[channel] += factor * value
                base += 2 * k
            }
        }
        return outside
    }

    /// `accumulate(unit:…)` on a plain array (tests and single evaluations).
    func accumulate(unit: Int, shift: Double, densityDeviate: Double, into totals: inout [Double]) -> Bool {
        storage.withUnsafeBufferPointer { values in
            totals.withUnsafeMutableBufferPointer { accumulate(unit: unit, shift: shift, densityDeviate: densityDeviate, into: $0, storage: values) }
        }
    }
}

/// The parameters of the error fields of β and of the topsoil density for one ecosystem:
///
///     β_i = μ_i + se_i·z₁(s_i) + σ·z₂(s_i),     X_i = X̂_i + sX_i·z₃(s_i),
///
/// z₁, z₂, z₃ independent standard Gaussian fields with correlation exp(−d/a₁), exp(−d/a₂), exp(−d/a₃)
/// in great-circle distance d (km). σ² and a₂ are the partial sill and range of the variogram of
/// cross-validation residuals; the nugget is not simulated (it averages out within cells and totals).
public struct SpatialErrorModel: Codable, Sendable, Equatable {
    /// σ, the standard deviation of the spatially correlated residual of β (unitless).
    public var residualSD: Double
    /// a₂ in km (0: independent units; +∞: one common value).
    public var residualRangeKilometres: Double
    /// a₁ in km for the forest's standard-error field z₁.
    public var forestErrorRangeKilometres: Double
    /// a₃ in km for the density error field z₃.
    public var densityRangeKilometres: Double

    /// σ, a₂ and optional a₁, a₃ (both default to a₂).
    public init(residualSD: Double, residualRangeKilometres: Double, forestErrorRangeKilometres: Double? = nil,
                densityRangeKilometres: Double? = nil) {
        self.residualSD = residualSD
        self.residualRangeKilometres = residualRangeKilometres
        self.forestErrorRangeKilometres = forestErrorRangeKilometres ?? residualRangeKilometres
        self.densityRangeKilometres = densityRangeKilometres ?? residualRangeKilometres
    }

    /// σ = √c₁ and a₁ = a₂ = a₃ = a from a fitted variogram (the nugget c₀ is dropped).
    public init(variogram: ExponentialVariogram) {
        self.init(residualSD: variogram.partialSill.squareRoot(), residualRangeKilometres: variogram.rangeKilometres)
    }
}

/// Settings of `StockSimulation.run`.
public struct StockSimulationOptions: Codable, Sendable, Equatable {
    /// Number of realisations R.
    public var realisations = 500
    /// The user's seed.
    public var seed: UInt64 = 1
    /// Stream of this simulation under the seed (e.g. the ecosystem index), so that ecosystems get independent fields.
    public var stream: UInt32 = 0
    /// Conditioning neighbours m of the Vecchia fields.
    public var neighbourCount = 25
    /// Reading of the tables between grid shifts.
    public var interpolation = TableInterpolation.monotoneCubic
    /// Combination of the cells' se into the unit's se_u.
    public var standardErrorAveraging = StandardErrorAveraging.rootMeanSquare
    /// Worker threads (nil: all processors); results do not depend on it.
    public var threads: Int?

    /// Default settings: R = 500, seed 1, stream 0, m = 25, monotone cubic tables, RMS se_u.
    public init() {}
}

/// Mean and central 95 % interval of the simulated total of one channel.
///
/// Percentiles are R's type 7 (`quantileType7`): with the sorted totals t₍₁₎ ≤ … ≤ t₍R₎ and
/// h = (R − 1)p + 1, the p-quantile is t₍⌊h⌋₎ + (h − ⌊h⌋)(t₍⌈h⌉₎ − t₍⌊h⌋₎).
public struct StockSummary: Codable, Sendable, Equatable {
    /// Mean of the totals.
    public var mean: Double
    /// Sample standard deviation (denominator R − 1).
    public var standardDeviation: Double
    /// 2.5 % percentile (type 7).
    public var lower: Double
    /// 97.5 % percentile (type 7).
    public var upper: Double

    /// Summarises realisations of a total (R ≥ 2, all finite).
    /// - Throws: `StatisticsError` for fewer than 2 values or non-finite values.
    public init(realisations: [Double]) throws {
        guard realisations.count >= 2 else {
            throw StatisticsError.tooFewObservations("a simulated interval needs at least 2 realisations, got \(realisations.count)")
        }
        guard realisations.allSatisfy(\.isFinite) else { throw StatisticsError.nonFiniteValue("a simulated total is NaN or infinite") }
        let sorted = realisations.sorted()
        mean = SampleSummary.mean(realisations)
        var squares = 0.0
        for value in realisations { squares += (value - mean) * (value - mean) }
        standardDeviation = (squares / Double(realisations.count - 1)).squareRoot()
        lower = quantileType7(sortedValues: sorted, probability: 0.025)
        upper = quantileType7(sortedValues: sorted, probability: 0.975)
    }
}

/// R realisations of the stock totals T_c = Σ_u F_{u,c}(Δ_u) + z₃(s_u)·G_{u,c}(Δ_u) of one
/// ecosystem, Δ_u = se_u·z₁(s_u) + σ·z₂(s_u), with z₁, z₂, z₃ Vecchia fields at the unit centres.
///
/// Realisation r draws field f ∈ {1, 2, 3} from `GaussianDeviates(seed:, stream:)` with
/// stream = (options.stream · 2³² + r) · 4 + f, so totals depend only on the seed, the stream and
/// the tables (not on threads), and realisation r of different ecosystems can be added to give
/// joint totals (ecosystems have independent errors; see `summedRealisations`).
/// Memory: three fields of U values per worker plus the tables; no map is ever held.
public struct StockSimulation: Sendable {
    /// Totals per channel and realisation: `totals[c][r]` (Mg C when F is in Mg C).
    public let totals: [[Double]]
    /// Summary per channel.
    public let summaries: [StockSummary]
    /// Number of unit shifts Δ_u (over all units and realisations) that fell outside the table grid
    /// and were read at its end; should be 0 or a negligible fraction.
    public let shiftsOutsideGrid: Int
    /// Seconds spent on neighbour search and Vecchia weights.
    public let precomputeSeconds: Double
    /// Seconds spent drawing realisations and summing totals.
    public let realisationSeconds: Double

    /// Runs the simulation over `units` (all with the same channel count; may be on different grids).
    /// - Throws: `StatisticsError` for no units, mismatched channels, R < 2, a negative σ or range.
    public static func run(units: [UnitResponseTable], model: SpatialErrorModel,
                           options: StockSimulationOptions = StockSimulationOptions()) throws -> StockSimulation {
        guard let channels = units.first?.channelCount else { throw StatisticsError.tooFewObservations("stock simulation: no units") }
        guard units.allSatisfy({ $0.channelCount == channels }) else {
            throw StatisticsError.invalidArgument("stock simulation: units differ in their number of channels")
        }
        guard options.realisations >= 2 else {
            throw StatisticsError.invalidArgument("stock simulation: \(options.realisations) realisations, need ≥ 2")
        }
        guard model.residualSD >= 0, model.residualSD.isFinite else {
            throw StatisticsError.invalidArgument("stock simulation: residual SD \(model.residualSD) must be finite and ≥ 0")
        }
        let clock = ContinuousClock()
        let start = clock.now
        let graph = try NearestNeighbourGraph(longitudes: units.map(\.longitude), latitudes: units.map(\.latitude),
                                              neighbourCount: options.neighbourCount, orderingSeed: options.seed, threads: options.threads)
        var fieldsByRange: [Double: VecchiaGaussianField] = [:]
        for range in [model.forestErrorRangeKilometres, model.residualRangeKilometres, model.densityRangeKilometres]
        where fieldsByRange[range] == nil {
            fieldsByRange[range] = try VecchiaGaussianField(graph: graph, rangeKilometres: range, threads: options.threads)
        }
        guard let forestField = fieldsByRange[model.forestErrorRangeKilometres],
              let residualField = fieldsByRange[model.residualRangeKilometres],
              let densityField = fieldsByRange[model.densityRangeKilometres] else {
            throw StatisticsError.invalidArgument("stock simulation: a field range is NaN")
        }
        let tables = InterpolatedTables(units, interpolation: options.interpolation)
        let standardErrors = units.map { $0.standardError(options.standardErrorAveraging) }
        let needsDensity = tables.hasDensityError.contains(true)
        let afterPrecompute = clock.now
        let realisations = options.realisations
        let sigma = model.residualSD
        let results = ResultSlots<([Double], Int)>(count: realisations)
        let workers = max(1, min(resolvedThreadCount(options.threads), realisations))
        parallelForEach(itemCount: workers, threads: workers) { worker in
            var z1: [Double] = [], z2: [Double] = [], z3 = [Double](repeating: 0, count: units.count)
            var realisation = worker
            while realisation < realisations {
                let base = (UInt64(options.stream) << 32 | UInt64(realisation)) << 2
                var deviates1 = GaussianDeviates(seed: options.seed, stream: base | 1)
                var deviates2 = GaussianDeviates(seed: options.seed, stream: base | 2)
                forestField.sample(into: &z1, deviates: &deviates1)
                residualField.sample(into: &z2, deviates: &deviates2)
                if needsDensity {
                    var deviates3 = GaussianDeviates(seed: options.seed, stream: base | 3)
                    densityField.sample(into: &z3, deviates: &deviates3)
                }
                var totals = [Double](repeating: 0, count: channels)
                var outside = 0
                tables.storage.withUnsafeBufferPointer { values in
                    totals.withUnsafeMutableBufferPointer { sums in
                        for unit in 0..<units.count {
                            let shift = standardErrors[unit] * z1[unit] + sigma * z2[unit]
                            if tables.accumulate(unit: unit, shift: shift, densityDeviate: z3[unit], into: sums, storage: values) {
                                outside += 1
                            }
                        }
                    }
                }
                results.set(realisation, (totals, outside))
                realisation += workers
            }
        }
        let perRealisation = results.values()
        let totals = (0..<channels).map { channel in perRealisation.map { $0.0[channel] } }
        let end = clock.now
        return StockSimulation(totals: totals, summaries: try totals.map { try StockSummary(realisations: $0) },
                               shiftsOutsideGrid: perRealisation.reduce(0) { $0 + $1.1 },
                               precomputeSeconds: seconds(afterPrecompute - start), realisationSeconds: seconds(end - afterPrecompute))
    }

    /// Summaries of the realisation-wise sums Σ_s totals_s[c][r] over several simulations (e.g. all
    /// ecosystems run with different streams): the interval of a joint total, per channel.
    /// - Throws: `StatisticsError.invalidArgument` when the simulations differ in channels or R.
    public static func summedRealisations(_ simulations: [StockSimulation]) throws -> [StockSummary] {
        guard let first = simulations.first else { return [] }
        guard simulations.allSatisfy({ $0.totals.count == first.totals.count && $0.totals.first?.count == first.totals.first?.count }) else {
            throw StatisticsError.invalidArgument("summed simulations differ in channels or realisations")
        }
        return try first.totals.indices.map { channel in
            var sum = [Double](repeating: 0, count: first.totals[channel].count)
            for simulation in simulations { for r in sum.indices { sum[r] += simulation.totals[channel][r] } }
            return try StockSummary(realisations: sum)
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }
}

/// The old "interval": every cell at its lower (upper) β quantile at once,
///
///     B_c^lower = Σ_i A_i X̂_i g_c(clamp(q_lower,i)),   B_c^upper = Σ_i A_i X̂_i g_c(clamp(q_upper,i)),
///
/// and the central value Σ_i A_i X̂_i g_c(clamp(μ_i)). This is the total for perfectly correlated
/// cells at that quantile — a bound, not a confidence interval — kept for comparison. Accumulated
/// cell by cell and mergeable like `UnitResponseTable`. If g_c decreases with β, `lowerBetaTotals`
/// is the larger number.
public struct QuantileSumBound: Codable, Sendable, Equatable {
    /// Lower and upper physical bounds of β.
    public let betaMinimum: Double, betaMaximum: Double
    /// Σ A X̂ g_c(clamp(q_lower)) per channel.
    public private(set) var lowerBetaTotals: [Double]
    /// Σ A X̂ g_c(clamp(μ)) per channel.
    public private(set) var centralTotals: [Double]
    /// Σ A X̂ g_c(clamp(q_upper)) per channel.
    public private(set) var upperBetaTotals: [Double]

    /// An empty accumulator for `channelCount` channels and β bounds [βmin, βmax].
    public init(channelCount: Int, betaMinimum: Double, betaMaximum: Double) {
        self.betaMinimum = betaMinimum
        self.betaMaximum = betaMaximum
        lowerBetaTotals = [Double](repeating: 0, count: channelCount)
        centralTotals = lowerBetaTotals
        upperBetaTotals = lowerBetaTotals
    }

    /// Adds one cell: area A (ha), density X̂ (Mg C ha⁻¹), β quantiles and mean.
    public mutating func addCell(area: Double, density: Double, lowerBeta: Double, meanBeta: Double, upperBeta: Double,
                                 response: CellResponse) {
        var responses = [Double](repeating: 0, count: lowerBetaTotals.count)
        let weight = area * density
        for (beta, which) in [(lowerBeta, 0), (meanBeta, 1), (upperBeta, 2)] {
            response(min(max(beta, betaMinimum), betaMaximum), &responses)
            for channel in responses.indices {
                switch which {
                case 0: lowerBetaTotals[channel] += weight * responses[channel]
                case 1: centralTotals[channel] += weight * responses[channel]
                default: upperBetaTotals[channel] += weight * responses[channel]
                }
            }
        }
    }

    /// Adds the totals of `other` (same channels and bounds).
    public mutating func merge(_ other: QuantileSumBound) {
        for channel in lowerBetaTotals.indices {
            lowerBetaTotals[channel] += other.lowerBetaTotals[channel]
            centralTotals[channel] += other.centralTotals[channel]
            upperBetaTotals[channel] += other.upperBetaTotals[channel]
        }
    }
}

/// The simulation unit of a fine cell: a coarse lon/lat cell of side
///
///     s = clamp(a / 4 / 111.195 km per degree, fine cell size, maximum side)  degrees,
///
/// snapped to a whole number of fine cells so units are unions of fine cells; units are numbered
/// row by row from (−180°, 90°). The unit's centre is where its field values are drawn.
public struct SimulationUnitGrid: Codable, Sendable, Equatable {
    /// Side of a unit in degrees.
    public let sideDegrees: Double
    /// Number of unit columns over 360°.
    public let columns: Int

    /// Units for a field of range a (km) on a fine grid of `fineCellDegrees`, at most `maximumSideDegrees` (default 2°).
    /// - Throws: `StatisticsError.invalidArgument` for a non-positive fine cell size.
    public init(rangeKilometres: Double, fineCellDegrees: Double, maximumSideDegrees: Double = 2) throws {
        guard fineCellDegrees > 0, fineCellDegrees.isFinite, maximumSideDegrees >= fineCellDegrees else {
            throw StatisticsError.invalidArgument("unit grid: fine cell \(fineCellDegrees)° must be positive and ≤ the largest unit \(maximumSideDegrees)°")
        }
        let wanted = rangeKilometres.isFinite ? rangeKilometres / 4 / SphericalGeometry.kilometresPerDegree : maximumSideDegrees
        let side = min(max(wanted, fineCellDegrees), maximumSideDegrees)
        let cellsPerSide = max(1, (side / fineCellDegrees).rounded())
        sideDegrees = cellsPerSide * fineCellDegrees
        columns = Int((360 / sideDegrees).rounded(.up))
    }

    /// Units of side `sideDegrees` in `columns` columns over 360° (as read back from a saved grid).
    /// - Throws: `StatisticsError.invalidArgument` unless the side is positive and the columns cover 360°.
    public init(sideDegrees: Double, columns: Int) throws {
        guard sideDegrees > 0, sideDegrees.isFinite, columns >= 1, Double(columns) * sideDegrees >= 360 - 1e-9 else {
            throw StatisticsError.invalidArgument("unit grid: side \(sideDegrees)° and \(columns) columns do not cover 360°")
        }
        self.sideDegrees = sideDegrees
        self.columns = columns
    }

    /// The unit index of the point (longitude, latitude) in degrees.
    public func unit(longitude: Double, latitude: Double) -> Int {
        let column = min(max(Int(((longitude + 180) / sideDegrees).rounded(.down)), 0), columns - 1)
        let row = max(Int(((90 - latitude) / sideDegrees).rounded(.down)), 0)
        return row * columns + column
    }

    /// The centre (longitude, latitude) in degrees of unit `index`.
    public func centre(ofUnit index: Int) -> (longitude: Double, latitude: Double) {
        let row = index / columns, column = index % columns
        return (-180 + (Double(column) + 0.5) * sideDegrees, max(-90, 90 - (Double(row) + 0.5) * sideDegrees))
    }
}
