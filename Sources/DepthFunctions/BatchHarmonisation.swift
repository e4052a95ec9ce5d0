// Batch API: splines and β fits for many profiles in parallel chunks (METHOD.md §2–§4).

import Essentials
import Dispatch
import Foundation

/// Horizons of many profiles as flat columns (METHOD.md §1 long format): the rows of profile p are
/// `profileOffsets[p] ..< profileOffsets[p + 1]`. Depths in cm below the mineral surface, NaN =
/// missing. Rows within a profile may be in any order (the checks sort them).
public struct ProfileHorizonTable: Sendable {
    /// Row offsets, `profileCount + 1` values, non-decreasing, from 0 to the row count.
    public let profileOffsets: [Int]
    /// Upper depth of every row, cm.
    public let top: [Double]
    /// Lower depth of every row, cm.
    public let bottom: [Double]

    /// Creates a table from explicit offsets.
    /// - Throws: ``DepthFunctionsError`` when the columns or offsets are inconsistent.
    public init(profileOffsets: [Int], top: [Double], bottom: [Double]) throws(DepthFunctionsError) {
        guard top.count == bottom.count else {
            throw .lengthMismatch(detail: "top \(top.count), bottom \(bottom.count)")
        }
        guard let first = profileOffsets.first, first == 0, profileOffsets.last == top.count else {
            throw .invalidProfileOffsets(detail: "must start at 0 and end at the row count \(top.count)")
        }
        for i in 1..<profileOffsets.count where profileOffsets[i] < profileOffsets[i - 1] {
            throw .invalidProfileOffsets(detail: "offset \(i) (\(profileOffsets[i])) is below offset \(i - 1)")
        }
        self.profileOffsets = profileOffsets
        self.top = top
        self.bottom = bottom
    }

    /// Creates a table whose profiles are the runs of consecutive equal `profileIDs`
    /// (so rows must be grouped by profile; a repeated id after another id starts a new profile).
    /// Returns the table and the id of each profile.
    public static func grouping(profileIDs: [String], top: [Double], bottom: [Double])
        throws(DepthFunctionsError) -> (table: ProfileHorizonTable, ids: [String]) {
        guard profileIDs.count == top.count else {
            throw .lengthMismatch(detail: "profileIDs \(profileIDs.count), top \(top.count)")
        }
        var offsets = [0]
        var ids: [String] = []
        for (row, id) in profileIDs.enumerated() {
            if row == 0 || id != profileIDs[row - 1] {
                if row > 0 { offsets.append(row) }
                ids.append(id)
            }
        }
        if !profileIDs.isEmpty { offsets.append(profileIDs.count) }
        return (try ProfileHorizonTable(profileOffsets: offsets, top: top, bottom: bottom), ids)
    }

    /// Number of profiles.
    public var profileCount: Int { profileOffsets.count - 1 }
    /// Number of rows (horizons).
    public var rowCount: Int { top.count }
    /// Rows of profile `profile`.
    public func rows(ofProfile profile: Int) -> Range<Int> { profileOffsets[profile]..<profileOffsets[profile + 1] }
}

/// One check finding in a batch: profile index, table row (`nil` for a profile rejection) and kind.
public struct BatchHorizonIssue: Sendable, Equatable {
    /// 0-based profile index in the table.
    public var profileIndex: Int
    /// 0-based row in the table, or `nil` when the whole profile is rejected.
    public var row: Int?
    /// What was found.
    public var kind: HorizonIssueKind

    /// Creates an issue record.
    public init(profileIndex: Int, row: Int?, kind: HorizonIssueKind) {
        self.profileIndex = profileIndex
        self.row = row
        self.kind = kind
    }
}

/// One variable splined for every profile of a table (METHOD.md §2). NA is NaN.
public struct HarmonisedVariable: Sendable {
    /// The output depths used.
    public let depths: OutputDepths
    /// Interval means, row-major: `[profile * depths.intervalCount + interval]` (`est_dcm`).
    public var intervalMeans: [Double]
    /// Fitted mean of every table row (`est_icm`); NaN for dropped rows and rejected profiles.
    public var fittedHorizonMeans: [Double]
    /// Per-profile RMSE of the fit (`est_err`); NaN for single-horizon or rejected profiles.
    public var rmse: [Double]
    /// Per-profile handling.
    public var status: [SplineProfileStatus]
    /// Every dropped/repaired row and every rejection, ordered by profile, then check order.
    public var issues: [BatchHorizonIssue]

    /// The mean of `interval` for `profile`.
    public func intervalMean(profile: Int, interval: Int) -> Double {
        intervalMeans[profile * depths.intervalCount + interval]
    }
}

/// Runs `body(chunk, scratchOwner)` for `chunkCount` chunks on `threadCount` workers; each worker
/// processes chunks `w, w + threads, …` so results never depend on the thread count as long as
/// chunks write disjoint outputs.
func forEachChunk(chunkCount: Int, threadCount: Int?, _ body: @Sendable (_ firstChunk: Int, _ stride: Int) -> Void) {
    let threads = max(1, min(threadCount ?? ProcessInfo.processInfo.activeProcessorCount, max(chunkCount, 1)))
    if threads == 1 {
        body(0, 1)
        return
    }
    DispatchQueue.concurrentPerform(iterations: threads) { worker in
        body(worker, threads)
    }
}

/// Profiles per work chunk in the batch APIs (fixed, so chunking does not depend on threads).
let profilesPerChunk = 256

/// Splines one variable for every profile of `table` (METHOD.md §2; mpspline2 0.1.9 semantics per
/// profile, see ``massPreservingSpline(top:bottom:value:depths:options:)``), in parallel chunks with
/// reused scratch buffers. Results are identical for any `threadCount`.
///
/// - Parameters:
///   - table: profile rows and depths.
///   - values: the variable, one per table row (NaN = missing).
///   - depths: output boundaries; `options`: λ and clamps.
///   - threadCount: workers (default: active processor count).
/// - Throws: ``DepthFunctionsError`` for a length mismatch or invalid options.
public func harmoniseProfiles(_ table: ProfileHorizonTable, values: [Double],
                              depths: OutputDepths = .standard,
                              options: SplineOptions = SplineOptions(),
                              threadCount: Int? = nil) throws(DepthFunctionsError) -> HarmonisedVariable {
    guard values.count == table.rowCount else {
        throw .lengthMismatch(detail: "values \(values.count), table rows \(table.rowCount)")
    }
    try options.validate()
    let profileCount = table.profileCount
    let intervals = depths.intervalCount
    var means = [Double](repeating: .nan, count: profileCount * intervals)
    var fitted = [Double](repeating: .nan, count: table.rowCount)
    var rmse = [Double](repeating: .nan, count: profileCount)
    var status = [SplineProfileStatus](repeating: .splined, count: profileCount)
    let chunkCount = (profileCount + profilesPerChunk - 1) / profilesPerChunk
    var chunkIssues = [[BatchHorizonIssue]](repeating: [], count: chunkCount)
    let boundaries = depths.boundaries

    means.withUnsafeMutableBufferPointer { meansBuffer in
    fitted.withUnsafeMutableBufferPointer { fittedBuffer in
    rmse.withUnsafeMutableBufferPointer { rmseBuffer in
    status.withUnsafeMutableBufferPointer { statusBuffer in
    chunkIssues.withUnsafeMutableBufferPointer { issuesBuffer in
        let meansOut = SharedBuffer(pointer: meansBuffer)
        let fittedOut = SharedBuffer(pointer: fittedBuffer)
        let rmseOut = SharedBuffer(pointer: rmseBuffer)
        let statusOut = SharedBuffer(pointer: statusBuffer)
        let issuesOut = SharedBuffer(pointer: issuesBuffer)
        guard chunkCount > 0 else { return }
        forEachChunk(chunkCount: chunkCount, threadCount: threadCount) { firstChunk, stride in
            var checker = HorizonCheckScratch()
            var engine = SplineEngine()
            var chunk = firstChunk
            while chunk < chunkCount {
                var found: [BatchHorizonIssue] = []
                let firstProfile = chunk * profilesPerChunk
                let endProfile = min(firstProfile + profilesPerChunk, profileCount)
                table.top.withUnsafeBufferPointer { topAll in
                table.bottom.withUnsafeBufferPointer { bottomAll in
                values.withUnsafeBufferPointer { valueAll in
                    for profile in firstProfile..<endProfile {
                        let start = table.profileOffsets[profile]
                        let end = table.profileOffsets[profile + 1]
                        let range = start..<end
                        checker.run(top: UnsafeBufferPointer(rebasing: topAll[range]),
                                    bottom: UnsafeBufferPointer(rebasing: bottomAll[range]),
                                    value: UnsafeBufferPointer(rebasing: valueAll[range])) { index, kind in
                            found.append(BatchHorizonIssue(profileIndex: profile,
                                                           row: index.map { start + $0 }, kind: kind))
                        }
                        let out = UnsafeMutableBufferPointer(
                            rebasing: meansOut.pointer[(profile * intervals)..<((profile + 1) * intervals)])
                        if checker.rejected {
                            // Outputs stay NaN.
                            statusOut.pointer[profile] = .rejected(checker.rejection ?? .noData)
                            continue
                        }
                        engine.fit(top: checker.keptTop, bottom: checker.keptBottom, value: checker.keptValue,
                                   depths: boundaries, options: options, intervalMeans: out)
                        statusOut.pointer[profile] = checker.keptTop.count == 1 ? .singleHorizon : .splined
                        rmseOut.pointer[profile] = engine.rmse
                        for (j, row) in checker.keptIndex.enumerated() {
                            fittedOut.pointer[start + row] = engine.fittedMeans[j]
                        }
                    }
                }
                }
                }
                issuesOut.pointer[chunk] = found
                chunk += stride
            }
        }
    }
    }
    }
    }
    }
    return HarmonisedVariable(depths: depths, intervalMeans: means, fittedHorizonMeans: fitted,
                              rmse: rmse, status: status, issues: chunkIssues.flatMap { $0 })
}

/// Fits β for many profiles (METHOD.md §4) in parallel; `layerDensitiesMgPerHa` is row-major,
/// `options.layerBottomsCentimetres.count` densities (Mg C ha⁻¹) per profile. Results are identical
/// for any `threadCount`.
/// - Throws: ``DepthFunctionsError/lengthMismatch(detail:)`` unless the density count is a
///   multiple of the layer count.
public func fitBetas(layerDensitiesMgPerHa: [Double], options: BetaFitOptions = .standard,
                     threadCount: Int? = nil) throws(DepthFunctionsError) -> [BetaFit] {
    let layers = options.layerBottomsCentimetres.count
    guard layerDensitiesMgPerHa.count % layers == 0 else {
        throw .lengthMismatch(detail: "\(layerDensitiesMgPerHa.count) densities is not a multiple of \(layers) layers")
    }
    let profileCount = layerDensitiesMgPerHa.count / layers
    var fits = [BetaFit](repeating: BetaFit(beta: .nan, rmse: .nan, status: .missingLayerDensity),
                         count: profileCount)
    let chunkCount = (profileCount + profilesPerChunk - 1) / profilesPerChunk
    guard chunkCount > 0 else { return fits }
    fits.withUnsafeMutableBufferPointer { fitsBuffer in
        let out = SharedBuffer(pointer: fitsBuffer)
        forEachChunk(chunkCount: chunkCount, threadCount: threadCount) { firstChunk, stride in
            var fitter = BetaFitter(options: options)
            layerDensitiesMgPerHa.withUnsafeBufferPointer { all in
                var chunk = firstChunk
                while chunk < chunkCount {
                    let endProfile = min((chunk + 1) * profilesPerChunk, profileCount)
                    for profile in (chunk * profilesPerChunk)..<endProfile {
                        let slice = UnsafeBufferPointer(rebasing: all[(profile * layers)..<((profile + 1) * layers)])
                        out.pointer[profile] = fitter.fit(slice)
                    }
                    chunk += stride
                }
            }
        }
    }
    return fits
}

/// Everything the per-profile β step produces (METHOD.md §2–§4).
public struct ProfileBetaResult: Sendable {
    /// SOC (g kg⁻¹) splined to the layer boundaries.
    public var soc: HarmonisedVariable
    /// Bulk density (g cm⁻³) splined to the layer boundaries.
    public var bulkDensity: HarmonisedVariable
    /// Coarse fragments (volume %) splined to the layer boundaries, when given.
    public var coarseFragments: HarmonisedVariable?
    /// Layer SOC densities (Eq. 1, Mg C ha⁻¹), row-major `[profile * layerCount + layer]`;
    /// NaN where SOC or BD is NA for that layer.
    public var layerDensitiesMgPerHa: [Double]
    /// β fit per profile; `missingLayerDensity` when a layer of 0–100 cm has no density
    /// (METHOD.md §3: a profile enters the fit only with all layers present).
    public var fits: [BetaFit]
}

/// The per-profile β pipeline (METHOD.md §2–§4): splines SOC, bulk density (and coarse fragments
/// when given) separately to the layer boundaries `0` + `options.layerBottomsCentimetres`
/// (default 0, 20, …, 100 cm), computes each layer's SOC density by Eq. 1 and fits β.
///
/// - Parameters:
///   - table: profile rows and depths (cm).
///   - soc: g kg⁻¹ per row; `bulkDensity`: g cm⁻³ per row (fill missing BD before calling, e.g.
///     from a raster or a pedotransfer function, METHOD.md §3); `coarseFragments`: volume % per row.
///   - splineOptions: λ and clamps used for every variable.
///   - betaOptions: layer bottoms (whole cm) and β bounds.
/// - Throws: ``DepthFunctionsError`` for length mismatches, invalid options or non-integer layer bottoms.
public func fitProfileBetas(_ table: ProfileHorizonTable, soc: [Double], bulkDensity: [Double],
                            coarseFragments: [Double]? = nil,
                            splineOptions: SplineOptions = SplineOptions(),
                            betaOptions: BetaFitOptions = .standard,
                            threadCount: Int? = nil) throws(DepthFunctionsError) -> ProfileBetaResult {
    let depths = try OutputDepths(centimetres: [0] + betaOptions.layerBottomsCentimetres)
    let socLayers = try harmoniseProfiles(table, values: soc, depths: depths, options: splineOptions,
                                          threadCount: threadCount)
    let bdLayers = try harmoniseProfiles(table, values: bulkDensity, depths: depths, options: splineOptions,
                                         threadCount: threadCount)
    var cfLayers: HarmonisedVariable?
    if let coarseFragments {
        cfLayers = try harmoniseProfiles(table, values: coarseFragments, depths: depths,
                                         options: splineOptions, threadCount: threadCount)
    }
    let layers = depths.intervalCount
    var densities = [Double](repeating: .nan, count: table.profileCount * layers)
    for profile in 0..<table.profileCount {
        for layer in 0..<layers {
            let k = profile * layers + layer
            let thickness = Double(depths.boundaries[layer + 1] - depths.boundaries[layer])
            densities[k] = layerSOCDensityMgPerHa(socGramsPerKilogram: socLayers.intervalMeans[k],
                                                  bulkDensityGramsPerCubicCentimetre: bdLayers.intervalMeans[k],
                                                  thicknessCentimetres: thickness,
                                                  coarseFragmentsVolumePercent: cfLayers?.intervalMeans[k])
        }
    }
    let fits = try fitBetas(layerDensitiesMgPerHa: densities, options: betaOptions, threadCount: threadCount)
    return ProfileBetaResult(soc: socLayers, bulkDensity: bdLayers, coarseFragments: cfLayers,
                             layerDensitiesMgPerHa: densities, fits: fits)
}
