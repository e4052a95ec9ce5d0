import Essentials
import Foundation
import RunModel
import SoilProfiles

/// Output of `soilbeta harmonize`: the harmonised table, optional 1-cm table, and every finding.
public struct HarmonizeRun: Sendable {
    /// `id,upper,lower,<var>…`: one row per profile and output interval (METHOD.md §2), NA as empty.
    public let intervalTable: CSVWriter
    /// `id,depth_cm,<var>…` 1-cm estimates (depth_cm = 1 is 0–1 cm), when requested.
    public let oneCentimetreTable: CSVWriter?
    /// Ingest and spline findings, each with file, line and field.
    public let issues: [IngestIssue]
    /// Profiles read.
    public let profileCount: Int
}

/// Output of `soilbeta beta`: the per-profile table and every finding.
public struct BetaRun: Sendable {
    /// The β table's rows (`beta.csv`: `id,socd_0_20,…,socd_80_100,socd_0_100,beta,rmse,bd_filled,status`
    /// and, when the input had site columns, `lon,lat,ecosystem,study`).
    public let rows: [BetaRow]
    /// The input had site columns (they are written).
    public let hasSiteColumns: Bool

    /// Writes the β table to `path` atomically through the run model's one writer.
    public func write(to path: String) throws {
        try RunTable.write(rows, to: path, omitting: hasSiteColumns ? [] : BetaRow.siteColumns)
    }
    /// Ingest and spline findings, each with file, line and field.
    public let issues: [IngestIssue]
    /// Profiles read.
    public let profileCount: Int
    /// Profiles with a β (status `ok` or at a bound).
    public let fittedCount: Int
    /// Per-profile results, in input order.
    public let profiles: [ProfileBeta]
    /// Horizons whose BD was filled, per profile.
    public let filledHorizons: [Int]
}

/// β and layer densities of one profile (METHOD.md §3–§4).
public struct ProfileBeta: Sendable {
    /// Profile identifier.
    public let id: String
    /// SOC density of 0–20 … 80–100 cm, Mg C ha⁻¹ (Eq. 1); NaN where missing.
    public let layerDensitiesMgPerHa: [Double]
    /// Fitted β, dimensionless; NaN when not fitted.
    public let beta: Double
    /// RMSE of the cumulative-proportion fit.
    public let rmse: Double
    /// Explanatory status: `ok`, or why there is no β.
    public let status: String
    /// Site attributes carried through.
    public let site: SiteAttributes
}

/// The profile-level steps of the pipeline (Sect. 2.1–2.3 of the paper) on a `HorizonTable`:
/// harmonisation by the mass-preserving spline and the β fit, with every drop reported by line.
public enum ProfileRuns {
    /// Splines each of `variables` for every profile to `depths` (METHOD.md §2).
    /// - Parameter oneCentimetre: also produce the 1-cm estimates (slower: per-profile path).
    /// - Throws: `DepthFunctionsError` for invalid spline options; `FileError` for an unknown variable.
    public static func harmonize(_ table: HorizonTable, variables: [String], depths: OutputDepths,
                                 options: SplineOptions = SplineOptions(), oneCentimetre: Bool = false,
                                 threadCount: Int? = nil) throws -> HarmonizeRun {
        let batch = try ProfileHorizonTable(profileOffsets: table.profileStart, top: table.topCm, bottom: table.bottomCm)
        var issues = table.issues
        var results: [HarmonisedVariable] = []
        for (position, variable) in variables.enumerated() {
            guard let v = table.variableIndex(variable) else {
                throw FileError(file: table.source, field: variable, message: "variable was not read from the file")
            }
            let harmonised = try harmoniseProfiles(batch, values: table.values[v], depths: depths,
                                                   options: options, threadCount: threadCount)
            issues += findings(of: harmonised, in: table, variable: variable, reportDepthIssues: position == 0)
            results.append(harmonised)
        }
        var writer = CSVWriter(header: ["id", "upper", "lower"] + variables)
        let intervals = depths.intervalCount
        for p in 0..<table.profileCount {
            for k in 0..<intervals {
                var row = [table.profileIDs[p], "\(depths.boundaries[k])", "\(depths.boundaries[k + 1])"]
                for result in results { row.append(CSVWriter.format(result.intervalMean(profile: p, interval: k))) }
                writer.append(row: row)
            }
        }
        var oneCmWriter: CSVWriter? = nil
        if oneCentimetre {
            var oneCm = CSVWriter(header: ["id", "depth_cm"] + variables)
            for p in 0..<table.profileCount {
                let rows = table.horizons(ofProfile: p)
                var columns: [[Double]] = []
                for variable in variables {
                    let values = table.values[table.variableIndex(variable)!]
                    let fit = try massPreservingSpline(top: Array(table.topCm[rows]), bottom: Array(table.bottomCm[rows]),
                                                       value: Array(values[rows]), depths: depths, options: options)
                    columns.append(fit.oneCentimetre)
                }
                let length = columns.map(\.count).max() ?? 0
                for depth in 0..<length {
                    oneCm.append(row: [table.profileIDs[p], "\(depth + 1)"] + columns.map {
                        depth < $0.count ? CSVWriter.format($0[depth]) : ""
                    })
                }
            }
            oneCmWriter = oneCm
        }
        return HarmonizeRun(intervalTable: writer, oneCentimetreTable: oneCmWriter, issues: issues,
                            profileCount: table.profileCount)
    }

    /// Layer SOC densities and β per profile (METHOD.md §2–§4): SOC and BD (and CF when the table has `cf`)
    /// splined separately to 0, 20, …, 100 cm, Eq. 1 per layer, β fitted where all five layers exist.
    /// - Parameters:
    ///   - bulkDensityFill: g cm⁻³ used where a horizon has no BD (a constant pedotransfer value,
    ///     METHOD.md §3); `nil` leaves BD missing. Filled horizons are counted per profile (`bd_filled`).
    ///   - bulkDensityFillPerProfile: per-profile fill values (e.g. a BD raster sampled at the site, else the
    ///     pedotransfer value; NaN = none); overrides `bulkDensityFill` when given.
    ///   - bulkDensityFillPerLayer: per-profile fill values for each 20-cm layer 0–20 … 80–100 cm
    ///     (`[profile][layer]`, e.g. one BD raster per layer as the study took from GSDE; NaN = none); a
    ///     horizon takes the value of the layer holding its mid-depth (the deepest layer below 100 cm), and
    ///     falls back to the per-profile value where that is NaN.
    /// - Throws: `FileError` when the table lacks `soc` or `bd`.
    public static func beta(_ table: HorizonTable, bulkDensityFill: Double? = nil,
                            bulkDensityFillPerProfile: [Double]? = nil,
                            bulkDensityFillPerLayer: [[Double]]? = nil,
                            splineOptions: SplineOptions = SplineOptions(),
                            threadCount: Int? = nil) throws -> BetaRun {
        guard let socIndex = table.variableIndex("soc") else {
            throw FileError(file: table.source, field: "soc", message: "variable was not read from the file")
        }
        guard let bdIndex = table.variableIndex("bd") else {
            throw FileError(file: table.source, field: "bd", message: "variable was not read from the file")
        }
        var bulkDensity = table.values[bdIndex]
        var filledPerProfile = [Int](repeating: 0, count: table.profileCount)
        let fills = bulkDensityFillPerProfile
            ?? [Double](repeating: bulkDensityFill ?? .nan, count: table.profileCount)
        precondition(fills.count == table.profileCount, "one BD fill value per profile")
        precondition(bulkDensityFillPerLayer.map { $0.count == table.profileCount } ?? true, "one BD fill row per profile")
        for p in 0..<table.profileCount {
            for i in table.horizons(ofProfile: p) where bulkDensity[i].isNaN && !table.values[socIndex][i].isNaN {
                var value = fills[p]
                if let layers = bulkDensityFillPerLayer?[p], !layers.isEmpty {
                    let middle = (table.topCm[i] + table.bottomCm[i]) / 2
                    let layer = middle.isFinite ? min(layers.count - 1, max(0, Int((min(middle, 1000) / 20).rounded(.down)))) : 0
                    if !layers[layer].isNaN { value = layers[layer] }
                }
                guard !value.isNaN else { continue }
                bulkDensity[i] = value
                filledPerProfile[p] += 1
            }
        }
        let coarse = table.variableIndex("cf").map { table.values[$0] }
        let batch = try ProfileHorizonTable(profileOffsets: table.profileStart, top: table.topCm, bottom: table.bottomCm)
        let result = try fitProfileBetas(batch, soc: table.values[socIndex], bulkDensity: bulkDensity,
                                         coarseFragments: coarse, splineOptions: splineOptions,
                                         threadCount: threadCount)
        var issues = table.issues
        issues += findings(of: result.soc, in: table, variable: "soc", reportDepthIssues: true)
        issues += findings(of: result.bulkDensity, in: table, variable: "bd", reportDepthIssues: false)
        if let cf = result.coarseFragments {
            issues += findings(of: cf, in: table, variable: "cf", reportDepthIssues: false)
        }

        var rows: [BetaRow] = []
        rows.reserveCapacity(table.profileCount)
        var profiles: [ProfileBeta] = []
        profiles.reserveCapacity(table.profileCount)
        var fitted = 0
        for p in 0..<table.profileCount {
            let densities = Array(result.layerDensitiesMgPerHa[(p * 5)..<(p * 5 + 5)])
            let fit = result.fits[p]
            var status = statusText(profile: p, fit: fit, result: result, table: table, socIndex: socIndex)
            if !fit.beta.isNaN {
                fitted += 1
                let flags = FitQuality.flags(profile: p, fit: fit, densities: densities, soc: result.soc, table: table, socIndex: socIndex)
                if !flags.isEmpty {
                    status += "; " + FitQuality.marker + " " + flags.joined(separator: "; ")
                    let first = table.profileStart[p]
                    for flag in flags {
                        issues.append(IngestIssue(file: table.source(ofHorizon: first), line: table.lineOfHorizon[first], profileID: table.profileIDs[p], field: "beta",
                                                  action: .warning, reason: flag))
                    }
                }
            }
            let total = densities.contains(where: \.isNaN) ? Double.nan : densities.reduce(0, +)
            let site = table.sites[p]
            var row = BetaRow()
            (row.id, row.layerDensity, row.density0to100) = (table.profileIDs[p], densities, total)
            (row.beta, row.rmse, row.bulkDensityFilled) = (fit.beta, fit.rmse, filledPerProfile[p])
            (row.status, row.longitude, row.latitude) = (status, site.longitudeDeg ?? .nan, site.latitudeDeg ?? .nan)
            (row.ecosystem, row.study) = (site.ecosystem, site.study ?? "")
            rows.append(row)
            profiles.append(ProfileBeta(id: table.profileIDs[p], layerDensitiesMgPerHa: densities, beta: fit.beta,
                                        rmse: fit.rmse, status: status, site: site))
        }
        return BetaRun(rows: rows, hasSiteColumns: table.hasSiteColumns, issues: issues, profileCount: table.profileCount, fittedCount: fitted,
                       profiles: profiles, filledHorizons: filledPerProfile)
    }

    /// Why profile `p` has (or has no) β, in words.
    private static func statusText(profile p: Int, fit: BetaFit, result: ProfileBetaResult, table: HorizonTable,
                                   socIndex: Int) -> String {
        switch fit.status {
        case .ok: return "ok"
        case .atLowerBound: return "beta at lower bound 0.5 (SOC increases or is flat with depth)"
        case .atUpperBound: return "beta at upper bound 0.99999 (SOC nearly uniform with depth)"
        case .negativeLayerDensity: return "no beta: negative layer density"
        case .nonPositiveTotal: return "no beta: total 0-100 cm SOC density is zero"
        case .missingLayerDensity: break
        }
        for (name, variable) in [("SOC", Optional(result.soc)), ("BD", Optional(result.bulkDensity)), ("CF", result.coarseFragments)] {
            guard let variable else { continue }
            if case .rejected(let why) = variable.status[p] { return "no beta: \(name) profile rejected (\(why.rawValue))" }
        }
        let names = ["0-20", "20-40", "40-60", "60-80", "80-100"]
        var missing: [String] = []
        for k in 0..<5 where result.layerDensitiesMgPerHa[p * 5 + k].isNaN { missing.append(names[k]) }
        // The deepest and shallowest horizons that kept a SOC value explain most gaps.
        var deepest = -Double.infinity, shallowest = Double.infinity
        for i in table.horizons(ofProfile: p) where !table.values[socIndex][i].isNaN {
            let top = table.topCm[i], bottom = table.bottomCm[i]
            guard top >= 0, bottom > top else { continue }
            deepest = max(deepest, bottom)
            shallowest = min(shallowest, top)
        }
        var reason = "missing SOC density in \(missing.joined(separator: ", ")) cm"
        if deepest.isFinite && deepest < 100 { reason += " (profile ends at \(centimetres(deepest)) cm)" }
        else if shallowest.isFinite && shallowest > 0 { reason += " (first horizon starts at \(centimetres(shallowest)) cm)" }
        else { reason += " (SOC or BD missing in those layers)" }
        return "no beta: " + reason
    }

    /// A depth for messages: whole centimetres without a decimal point.
    private static func centimetres(_ depth: Double) -> String {
        depth == depth.rounded() && abs(depth) < 1e9 ? "\(Int(depth))" : "\(depth)"
    }

    /// Converts spline-check findings to reportable issues with file, line and field.
    private static func findings(of harmonised: HarmonisedVariable, in table: HorizonTable, variable: String,
                                 reportDepthIssues: Bool) -> [IngestIssue] {
        var issues: [IngestIssue] = []
        for issue in harmonised.issues {
            let depthIssue: Bool
            switch issue.kind {
            case .missingValue, .noData: depthIssue = false
            default: depthIssue = true
            }
            if depthIssue && !reportDepthIssues { continue }
            let profile = issue.profileIndex
            let horizon = issue.row ?? table.profileStart[profile]
            let field: String
            switch issue.kind {
            case .missingValue, .noData: field = variable
            case .missingTopReplacedByZero: field = "top"
            case .missingBottomReplacedByTopPlus10: field = "bottom"
            default: field = "top,bottom"
            }
            let action: IngestIssue.Action = issue.kind.rejectsProfile ? .profileRejected
                : (issue.kind.isRepair ? .warning : .horizonDropped)
            let scope = depthIssue ? "" : " (\(variable) only)"
            issues.append(IngestIssue(file: table.source(ofHorizon: horizon), line: table.lineOfHorizon[horizon],
                                      profileID: table.profileIDs[profile], field: field,
                                      action: action, reason: issue.kind.rawValue + scope))
        }
        return issues
    }

    /// The findings as CSV: `file,line,id,field,action,reason`.
    public static func issueTable(_ issues: [IngestIssue]) -> CSVWriter {
        var writer = CSVWriter(header: ["file", "line", "id", "field", "action", "reason"])
        for issue in issues {
            writer.append(row: [issue.file, "\(issue.line)", issue.profileID, issue.field, issue.action.rawValue, issue.reason])
        }
        return writer
    }

    /// One-paragraph summary of the findings: counts by action and reason.
    public static func summary(of issues: [IngestIssue], profileCount: Int, horizonCount: Int) -> String {
        var lines = ["\(profileCount) profiles, \(horizonCount) horizons read"]
        var counts: [String: Int] = [:]
        for issue in issues { counts["\(issue.action.rawValue): \(issue.reason)", default: 0] += 1 }
        for (key, count) in counts.sorted(by: { $0.key < $1.key }) { lines.append("  \(count) × \(key)") }
        return lines.joined(separator: "\n")
    }
}


/// Profiles that fitted but look wrong (docs/METHOD.md §4): they keep their β, and the status column, the
/// findings report and the report's counts say why; `exclude_flagged` keeps them out of the forests.
public enum FitQuality {
    /// Word that starts the flags in the status column (`ok; flagged: …`).
    public static let marker = "flagged:"
    /// β fits with a larger RMSE of the cumulative proportions are flagged (on 368 Dutch profiles, mostly
    /// peat and buried horizons, the 90th percentile is 0.18; on the synthetic profiles the largest is 0.09).
    public static let rmseThreshold = 0.15
    /// A layer estimate above this multiple of every overlapping horizon value, and by more than
    /// `overshootMargin` g kg⁻¹, is flagged.
    public static let overshootFactor = 2.0
    /// See `overshootFactor`.
    public static let overshootMargin = 5.0

    /// True when a status carries flags.
    public static func isFlagged(_ status: String) -> Bool { status.contains(marker) }

    /// The flags of profile `p` (empty when it looks fine).
    static func flags(profile p: Int, fit: BetaFit, densities: [Double], soc: HarmonisedVariable, table: HorizonTable,
                      socIndex: Int) -> [String] {
        var flags: [String] = []
        if fit.rmse > rmseThreshold {
            flags.append(String(format: "beta fit RMSE %.3f above %.2f (poor fit of the depth model)", fit.rmse, rmseThreshold))
        }
        if let top = densities.first, let bottom = densities.last, bottom > top {
            flags.append(String(format: "SOC density increases with depth (80-100 cm %.1f > 0-20 cm %.1f Mg/ha; buried organic layer?)", bottom, top))
        }
        let layers = soc.depths.intervalCount
        for k in 0..<layers {
            let upper = Double(soc.depths.boundaries[k]), lower = Double(soc.depths.boundaries[k + 1])
            let estimate = soc.intervalMean(profile: p, interval: k)
            guard estimate.isFinite else { continue }
            let overlapping = table.horizons(ofProfile: p).filter {
                table.topCm[$0] < lower && table.bottomCm[$0] > upper && !table.values[socIndex][$0].isNaN
            }.map { table.values[socIndex][$0] }
            guard let largest = overlapping.max(), let smallest = overlapping.min() else { continue }
            let label = "\(soc.depths.boundaries[k])-\(soc.depths.boundaries[k + 1]) cm"
            if estimate <= 0, smallest > 0 {
                flags.append("SOC spline clamped to 0 in \(label) though every horizon there has SOC > 0")
            } else if largest > 0, estimate > overshootFactor * largest, estimate - largest > overshootMargin {
                flags.append(String(format: "SOC spline estimate in %@ (%.3g g/kg) far above every horizon value there (at most %.3g)", label, estimate, largest))
            }
        }
        return flags
    }
}
