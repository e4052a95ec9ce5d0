import Testing
import Foundation
import Essentials
@testable import Statistics

/// Timings of the simulation engine (printed; BENCHMARKS-style measurements, not assertions of speed).
/// The full R = 500 run over 20,000 units is slow in a debug build and runs only when the
/// environment variable SOILBETA_SIMULATION_BENCH is set.
struct SimulationTimingTests {
    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    /// 20,000 land-like nodes (three continental blocks) with 25 neighbours.
    static func nodes(_ count: Int) -> (longitudes: [Double], latitudes: [Double]) {
        let blocks: [(ClosedRange<Double>, ClosedRange<Double>)] = [(-120 ... -70, 25...60), (-10...60, 35...65), (10...40, -30...10)]
        var lons: [Double] = [], lats: [Double] = []
        for (index, block) in blocks.enumerated() {
            let part = randomSites(count / blocks.count + (index < count % blocks.count ? 1 : 0), longitudes: block.0,
                                   latitudes: block.1, seed: UInt64(100 + index))
            lons += part.longitudes
            lats += part.latitudes
        }
        return (lons, lats)
    }

    @Test func samplerTimesForTwentyThousandNodes() throws {
        let sites = Self.nodes(20_000)
        let clock = ContinuousClock()
        let start = clock.now
        let graph = try NearestNeighbourGraph(longitudes: sites.longitudes, latitudes: sites.latitudes, neighbourCount: 25)
        let afterGraph = clock.now
        let field = try VecchiaGaussianField(graph: graph, rangeKilometres: 300)
        let afterWeights = clock.now
        var values: [Double] = []
        let draws = 20
        for r in 0..<draws {
            var deviates = GaussianDeviates(seed: 1, stream: UInt64(r))
            field.sample(into: &values, deviates: &deviates)
        }
        let end = clock.now
        #expect(values.count == 20_000 && values.allSatisfy(\.isFinite))
        print("sampler 20000 nodes m = 25: neighbours \(Self.seconds(afterGraph - start)) s, weights \(Self.seconds(afterWeights - afterGraph)) s, "
              + "per realisation \(Self.seconds(end - afterWeights) / Double(draws)) s (jitter \(field.largestJitter))")
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["SOILBETA_SIMULATION_BENCH"] != nil))
    func totalSimulationOfTwentyThousandUnits() throws {
        let sites = Self.nodes(20_000)
        let grid = try ShiftGrid(halfWidth: 6 * 0.035, pointCount: 41)
        let response: CellResponse = { beta, out in
            let b20 = pow(beta, 20), b40 = b20 * b20, b100 = b40 * b40 * b20
            out[0] = 1; out[1] = (b20 - b40) / (1 - b20); out[2] = (b20 - b100) / (1 - b20)
        }
        var generator = SplitMix64(seed: 4)
        let clock = ContinuousClock()
        let start = clock.now
        var units: [UnitResponseTable] = []
        for i in sites.longitudes.indices {
            var table = try UnitResponseTable(longitude: sites.longitudes[i], latitude: sites.latitudes[i], grid: grid, channelCount: 3,
                                              betaMinimum: 0.5, betaMaximum: 0.999)
            for _ in 0..<5 {
                try table.addCell(area: generator.uniform(100, 900), meanBeta: generator.uniform(0.85, 0.97),
                                  betaStandardError: generator.uniform(0.005, 0.03), density: generator.uniform(20, 80),
                                  densitySD: generator.uniform(0, 10), response: response)
            }
            units.append(table)
        }
        let tabulated = clock.now
        var options = StockSimulationOptions()
        options.realisations = 500
        let simulation = try StockSimulation.run(units: units, model: SpatialErrorModel(residualSD: 0.02, residualRangeKilometres: 300),
                                                 options: options)
        print("simulation 20000 units × 5 cells, 3 channels, K = 41, R = 500: tabulation \(Self.seconds(tabulated - start)) s, "
              + "precompute \(simulation.precomputeSeconds) s, realisations \(simulation.realisationSeconds) s, "
              + "outside grid \(simulation.shiftsOutsideGrid); summaries \(simulation.summaries)")
    }
}
