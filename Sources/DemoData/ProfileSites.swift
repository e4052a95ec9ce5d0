import Essentials
import Foundation
import Rasters
import SoilProfiles

/// One synthetic DEMO profile site: where it is, what it is, its covariates and its β.
public struct DemoSite: Sendable, Equatable {
    /// Profile id (`DEMO0001` …).
    public var id: String
    /// Longitude and latitude, WGS84 degrees (inside the grid cell the site was drawn in).
    public var longitudeDeg: Double
    /// Latitude, WGS84 degrees.
    public var latitudeDeg: Double
    /// Ecosystem of the site.
    public var ecosystem: Ecosystem
    /// Covariates of the site's grid cell (the raster values).
    public var covariates: DemoCovariates
    /// The true β function at the cell (`DemoTrueBeta.beta`).
    public var trueBeta: Double
    /// The β the profile was generated with: true β + N(0, 0.0015²), clamped.
    public var profileBeta: Double
}

struct ProfileOutcome {
    var counts: [Ecosystem: Int]
    var horizonCount: Int
    var meanTrueBeta: [Ecosystem: Double]
}

extension DemoDataGenerator {
    /// Version of the profile generator, written to `truth/profile_generator.txt` (`scripts/demo.sh` rebuilds demo data of
    /// another version). 2: each profile's decay is solved through the pipeline's own splines and fit (2026-12-02).
    public static let profileGeneratorVersion = 2

    /// Seed offset of the profile stream (placement, site noise and horizons), so that it is
    /// independent of the covariate noise fields.
    static let profileStreamSalt: UInt64 = 0x5EED_0F_DE40_5175

    /// The synthetic "study" of a demo site: its 30° × 30° region (`DEMO-R0307` …), so that the mixed-model
    /// baseline has studies to group by. A pure function of the location (no random draw), so every other
    /// byte of the demo data is unchanged by it.
    static func demoStudy(longitude: Double, latitude: Double) -> String {
        let row = min(5, max(0, Int(((latitude + 90) / 30).rounded(.down))))
        let column = min(11, max(0, Int(((longitude + 180) / 30).rounded(.down))))
        func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "DEMO-R\(twoDigits(row))\(twoDigits(column))"
    }

    /// Draws the sites (probability ∝ ecosystem area among cells with covariates), generates the
    /// horizons and writes `sites.csv`, `horizons.csv` and `truth/sites_beta.csv`.
    static func writeProfiles(grid: RasterGrid, model: DemoCovariateModel, folder: String, eligible: EligibleAreas,
                              koppenPaths: [String], options: DemoDataOptions) throws -> ProfileOutcome {
        let zones = try koppenPaths.map { try Raster(path: $0) }
        let counts = profileCounts(total: options.profileCount)
        let generatorTable = try GeneratorParameterTable()
        var random = SplitMix64(seed: options.seed ^ profileStreamSalt)
        var sites: [DemoSite] = []
        var horizonsCSV = CSVWriter(header: ["id", "top", "bottom", "soc", "bd"])
        var horizonCount = 0
        for (e, ecosystem) in Ecosystem.allCases.enumerated() {
            let rowTotals = eligible.rowTotalsHa[e]
            var cumulative = [Double](repeating: 0, count: rowTotals.count)
            var running = 0.0
            for (row, total) in rowTotals.enumerated() { running += total; cumulative[row] = running }
            guard running > 0 else { throw DemoDataError.noEligibleCells(ecosystem: ecosystem) }
            for _ in 0..<(counts[ecosystem] ?? 0) {
                // Row: first whose cumulative eligible area exceeds the draw.
                let rowDraw = random.uniform() * running
                var low = 0, high = cumulative.count - 1
                while low < high {
                    let middle = (low + high) / 2
                    if cumulative[middle] > rowDraw { high = middle } else { low = middle + 1 }
                }
                let row = low
                // Column: within the row, ∝ eligible area (the cells counted in the row sums).
                let run = eligible.rowStarts[e][row]..<eligible.rowStarts[e][row + 1]
                precondition(!run.isEmpty, "row \(row) was drawn with eligible area but has no eligible cell")
                var rowTotal = 0.0
                for index in run { rowTotal += Double(eligible.cellAreasHa[e][index]) }
                let columnDraw = random.uniform() * rowTotal
                var chosen = run.upperBound - 1, sum = 0.0
                for index in run {
                    sum += Double(eligible.cellAreasHa[e][index])
                    if sum > columnDraw { chosen = index; break }
                }
                let column = Int(eligible.cells[e][chosen]) - row * grid.columns
                var fractions = SIMD8<Double>(repeating: 0)
                for z in 0..<5 { fractions[z] = try zones[z].value(column: column, row: row) ?? 0 }
                let latitude = grid.cellCenter(column: 0, row: row).y
                let centre = grid.cellCenter(column: column, row: row)
                guard let covariates = model.covariates(zoneFractions: fractions,
                                                        lonDeg: centre.x, latDeg: latitude) else {
                    preconditionFailure("an eligible cell has covariates")
                }
                let longitude = ((grid.west + (Double(column) + random.uniform(0.05, 0.95)) * grid.cellWidth) * 1e5).rounded() / 1e5
                let latitudeOfSite = ((grid.north - (Double(row) + random.uniform(0.05, 0.95)) * grid.cellHeight) * 1e5).rounded() / 1e5
                let trueBeta = DemoTrueBeta.beta(covariates, ecosystem: ecosystem)
                let profileBeta = min(DemoTrueBeta.bounds.upper, max(DemoTrueBeta.bounds.lower,
                                      trueBeta + DemoTrueBeta.profileNoiseSD * random.normal()))
                let id = String(format: "DEMO%04d", sites.count + 1)
                // Generate with the untruncated decay whose noise-free horizons the pipeline itself (splines, Eq. 1,
                // the β fit) fits to profileBeta: exact 20-cm layers (the table) would leave the spline's and the
                // separate SOC and BD splines' effect as a bias of ≈ +3·10⁻⁴ in the fitted β (docs/METHOD.md §8d).
                let geometry = SyntheticProfiles.Geometry.draw(random: &random)
                let decay = SyntheticProfiles.decay(forPipelineBeta: profileBeta, geometry: geometry,
                                                    start: generatorTable.generatorParameter(forFittedBeta: profileBeta))
                let horizons = SyntheticProfiles.horizons(geometry, decay: decay, topsoilSOC: covariates.socGPerKg,
                                                          noise: 0.05, random: &random)
                for horizon in horizons {
                    horizonsCSV.append(row: [id, CSVWriter.format(horizon.topCm), CSVWriter.format(horizon.bottomCm),
                                             CSVWriter.format(horizon.socGPerKg), CSVWriter.format(horizon.bulkDensityGPerCm3)])
                }
                horizonCount += horizons.count
                sites.append(DemoSite(id: id, longitudeDeg: longitude, latitudeDeg: latitudeOfSite, ecosystem: ecosystem,
                                      covariates: covariates, trueBeta: trueBeta, profileBeta: profileBeta))
            }
        }

        var sitesCSV = CSVWriter(header: ["id", "lon", "lat", "ecosystem", "study"] + DemoCovariates.names)
        var truthCSV = CSVWriter(header: ["id", "ecosystem", "beta_true", "beta_profile"])
        for site in sites {
            sitesCSV.append(row: [site.id, CSVWriter.format(site.longitudeDeg), CSVWriter.format(site.latitudeDeg),
                                  site.ecosystem.rawValue, demoStudy(longitude: site.longitudeDeg, latitude: site.latitudeDeg)]
                              + site.covariates.values.map { "\(Float($0))" })
            truthCSV.append(row: [site.id, site.ecosystem.rawValue, CSVWriter.format(site.trueBeta),
                                  CSVWriter.format(site.profileBeta)])
        }
        try sitesCSV.write(to: "\(folder)/sites.csv")
        try horizonsCSV.write(to: "\(folder)/horizons.csv")
        try truthCSV.write(to: "\(folder)/truth/sites_beta.csv")
        try AtomicFile.write(text: "\(DemoDataGenerator.profileGeneratorVersion)\n", to: "\(folder)/truth/profile_generator.txt")

        var means: [Ecosystem: Double] = [:]
        for ecosystem in Ecosystem.allCases {
            let values = sites.filter { $0.ecosystem == ecosystem }.map(\.trueBeta)
            means[ecosystem] = values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
        }
        return ProfileOutcome(counts: counts, horizonCount: horizonCount, meanTrueBeta: means)
    }
}
