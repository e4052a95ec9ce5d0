import Essentials
import Foundation

/// Maps soilbeta's canonical column names (`id`, `top`, `bottom`, `soc`, `bd`, `lon` …) to the headers of a
/// user's file, from `--column NAME=SOURCE` arguments (e.g. `soc=ORCDRC`, `top=UHDICM`; METHOD.md §1).
public struct ColumnMapping: Sendable, Equatable {
    /// Source header for each canonical name that is renamed.
    public private(set) var sourceOfCanonical: [String: String] = [:]

    /// No renaming: every canonical name is looked up as is.
    public init() {}

    /// Parses `NAME=SOURCE` pairs.
    /// - Throws: `ColumnMappingError` for a pair without `=`, an empty side, or a name mapped twice.
    public init(pairs: [String]) throws {
        for pair in pairs {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw ColumnMappingError(pair: pair, reason: "expected NAME=SOURCE") }
            let name = parts[0].trimmingCharacters(in: .whitespaces)
            let source = parts[1].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, !source.isEmpty else {
                throw ColumnMappingError(pair: pair, reason: "both NAME and SOURCE must be non-empty")
            }
            guard sourceOfCanonical[name] == nil else {
                throw ColumnMappingError(pair: pair, reason: "'\(name)' is mapped more than once")
            }
            sourceOfCanonical[name] = source
        }
    }

    /// The canonical columns of horizon and site tables (docs/METHOD.md §1); covariates and the variables
    /// of `harmonize --vars` are canonical names too, where a command reads them.
    public static let canonicalNames = ["id", "top", "bottom", "top_m", "bottom_m", "soc", "soc_pct", "som", "som_pct", "bd", "bd_kg_m3",
                                        "cf", "lon", "lat", "ecosystem", "study"]

    /// Throws for a renamed name that is neither a canonical column nor one of `alsoKnown` (e.g. the
    /// model's covariates), listing the valid names: `--column carbon=C` is a typo, not a no-op.
    public func requireKnownNames(alsoKnown: [String] = []) throws {
        let known = ColumnMapping.canonicalNames + alsoKnown.filter { !ColumnMapping.canonicalNames.contains($0) }
        for name in sourceOfCanonical.keys.sorted() where !known.contains(name) {
            throw ColumnMappingError(pair: "\(name)=\(sourceOfCanonical[name] ?? "")",
                                     reason: "'\(name)' is not a column soilbeta reads here; valid names: \(known.joined(separator: ", "))")
        }
    }

    /// The header to look for in the file for the canonical column `name`.
    public func source(of name: String) -> String { sourceOfCanonical[name] ?? name }
}

/// A malformed `--column NAME=SOURCE` argument.
public struct ColumnMappingError: SoilBetaError, Sendable {
    /// The argument as given.
    public let pair: String
    /// What is wrong with it.
    public let reason: String
    public var description: String { "--column '\(pair)': \(reason)" }
}

/// One finding of input validation: a value, horizon or profile that was dropped or changed, with where it
/// came from. Every drop is reported, never silent (METHOD.md §1).
public struct IngestIssue: Sendable, Equatable, CustomStringConvertible {
    /// What soilbeta did about it.
    public enum Action: String, Sendable {
        /// A single value was set to missing (e.g. an out-of-range bulk density).
        case valueDropped = "value dropped"
        /// The whole horizon row was dropped.
        case horizonDropped = "horizon dropped"
        /// The whole profile was rejected.
        case profileRejected = "profile rejected"
        /// Nothing was dropped; the finding is informational (e.g. conflicting site values).
        case warning = "warning"
    }
    /// Path of the input file.
    public let file: String
    /// 1-based line in the input file.
    public let line: Int
    /// Profile identifier (empty when the row had none).
    public let profileID: String
    /// Column at fault (canonical name, with the source header in brackets when renamed).
    public let field: String
    /// What was done.
    public let action: Action
    /// Why, in words.
    public let reason: String

    /// Creates a finding.
    public init(file: String, line: Int, profileID: String, field: String, action: Action, reason: String) {
        (self.file, self.line, self.profileID) = (file, line, profileID)
        (self.field, self.action, self.reason) = (field, action, reason)
    }

    public var description: String {
        "\(file):\(line): profile '\(profileID)', field '\(field)': \(action.rawValue): \(reason)"
    }
}

/// Site attributes of a profile (METHOD.md §1): WGS84 coordinates, ecosystem and source study.
public struct SiteAttributes: Sendable, Equatable {
    /// Longitude, WGS84 degrees east, in [−180, 180]; `nil` when missing or rejected.
    public var longitudeDeg: Double?
    /// Latitude, WGS84 degrees north, in [−90, 90]; `nil` when missing or rejected.
    public var latitudeDeg: Double?
    /// Ecosystem, `nil` when missing or unknown.
    public var ecosystem: Ecosystem?
    /// Source publication, free text.
    public var study: String?

    /// Creates site attributes.
    public init(longitudeDeg: Double? = nil, latitudeDeg: Double? = nil, ecosystem: Ecosystem? = nil, study: String? = nil) {
        (self.longitudeDeg, self.latitudeDeg, self.ecosystem) = (longitudeDeg, latitudeDeg, ecosystem)
        self.study = study
    }
}

/// Options for reading a horizon table.
public struct HorizonReadOptions: Sendable {
    /// Canonical variables to read besides the depths, e.g. `["soc", "bd"]`. `soc` falls back to
    /// `0.58 × som` (g kg⁻¹) or `5.8 × som_pct` (%) where the file has no SOC value (METHOD.md §1).
    public var variables: [String]
    /// Renaming of canonical columns to the file's headers.
    public var mapping: ColumnMapping
    /// Variables read only when the file has their column (e.g. `cf`, coarse fragments).
    public var optionalVariables: [String]
    /// Read `lon`, `lat`, `ecosystem`, `study` when present.
    public var readSiteColumns: Bool
    /// Units of the file's depths, SOC and BD when they are not soilbeta's.
    public var units = InputUnits()
    /// Horizons whose upper depth is at or below this depth (cm) are dropped (reported): deeper horizons
    /// change the spline, and so β, though no output layer reaches them. nil keeps every horizon.
    public var maximumTopDepthCm: Double?

    /// Creates options.
    public init(variables: [String], optionalVariables: [String] = [], mapping: ColumnMapping = ColumnMapping(),
                readSiteColumns: Bool = true) {
        (self.variables, self.optionalVariables, self.mapping) = (variables, optionalVariables, mapping)
        self.readSiteColumns = readSiteColumns
    }
}

/// Plausible ranges of the variables soilbeta knows (METHOD.md §1 units); a value outside is set to missing
/// and reported. Bulk density cannot exceed the density of quartz (2.65 g cm⁻³).
public enum VariableRange {
    /// Inclusive lower and upper limits, and whether the lower limit itself is excluded.
    public static func limits(of variable: String) -> (lower: Double, upper: Double, lowerExclusive: Bool, unit: String)? {
        switch variable {
        case "soc", "som", "tn": (0, 1000, false, "g kg⁻¹")
        case "som_pct": (0, 100, false, "%")
        case "bd": (0, 2.65, true, "g cm⁻³")
        case "cf", "clay", "sand", "silt": (0, 100, false, "%")
        case "ph": (0, 14, false, "pH units")
        default: nil
        }
    }
}

/// A horizon table in long format (one row per sampled depth interval; METHOD.md §1), grouped by profile in
/// order of first appearance and stored as flat, contiguous arrays for the spline's batch loops.
///
/// Horizon `h` of profile `p` is index `profileStart[p] + h`; depths are cm below the mineral surface;
/// `values[v][i]` is variable `variables[v]` of horizon `i` (NaN where missing). Geometry faults
/// (missing or negative depths, top ≥ bottom, overlaps) are kept here and judged by the spline's checks, which report
/// them by `lineOfHorizon`.
public struct HorizonTable: Sendable {
    /// Path of the file the table came from.
    public let source: String
    /// Canonical variable names, in the order of `values`.
    public let variables: [String]
    /// Profile identifiers, in order of first appearance.
    public let profileIDs: [String]
    /// Offsets into the horizon arrays: profile `p` spans `profileStart[p] ..< profileStart[p + 1]`.
    public let profileStart: [Int]
    /// Upper depth of each horizon, cm.
    public let topCm: [Double]
    /// Lower depth of each horizon, cm.
    public let bottomCm: [Double]
    /// 1-based input line of each horizon.
    public let lineOfHorizon: [Int]
    /// `values[v][i]`: variable `v` at horizon `i`, in the unit of METHOD.md §1; NaN where missing.
    public let values: [[Double]]
    /// Site attributes per profile.
    public internal(set) var sites: [SiteAttributes]
    /// Everything dropped or questionable during ingest.
    public internal(set) var issues: [IngestIssue]
    /// Number of horizons whose SOC was derived from SOM (×0.58, or ×5.8 for `som_pct`).
    public let socFromSOMCount: Int
    /// `true` when the file (or a merged site table) had lon/lat, ecosystem or study columns.
    public internal(set) var hasSiteColumns: Bool

    /// Number of profiles.
    public var profileCount: Int { profileIDs.count }
    /// Number of horizons kept.
    public var horizonCount: Int { topCm.count }
    /// Horizon index range of profile `p`.
    public func horizons(ofProfile p: Int) -> Range<Int> { profileStart[p]..<profileStart[p + 1] }
    /// Position of a variable in `values`.
    public func variableIndex(_ name: String) -> Int? { variables.firstIndex(of: name) }

    /// Reads a horizon CSV file.
    /// - Throws: `FileError` for malformed files, missing required columns and non-numeric values.
    public static func read(path: String, options: HorizonReadOptions) throws -> HorizonTable {
        try HorizonTable(csv: CSVTable.read(path: path), options: options)
    }

    /// Builds the horizon table from a parsed CSV.
    /// - Throws: `FileError` for missing required columns and non-numeric values (naming line and field).
    public init(csv: CSVTable, options: HorizonReadOptions) throws {
        let mapping = options.mapping
        func label(_ canonical: String) -> String {
            let source = mapping.source(of: canonical)
            return source == canonical ? canonical : "\(canonical) [\(source)]"
        }
        let idColumn = try csv.requireColumn(mapping.source(of: "id"), purpose: "profile identifier")
        // A unit suffix on a column name states the unit: top_m/bottom_m (metres), soc_pct (%), bd_kg_m3.
        var units = options.units
        var unitStated = (depth: units.depth != .cm, soc: units.soc != .gPerKg, bd: units.bd != .gPerCm3)
        var depthNames = ("top", "bottom")
        if csv.column(mapping.source(of: "top")) == nil, csv.column(mapping.source(of: "top_m")) != nil {
            depthNames = ("top_m", "bottom_m")
            units.depth = .m
            unitStated.depth = true
        }
        let topColumn = try csv.requireColumn(mapping.source(of: depthNames.0), purpose: "upper depth, cm (or top_m in metres)")
        let bottomColumn = try csv.requireColumn(mapping.source(of: depthNames.1), purpose: "lower depth, cm (or bottom_m in metres)")
        var variableColumnName: [String: String] = [:]
        if csv.column(mapping.source(of: "soc")) == nil, csv.column(mapping.source(of: "soc_pct")) != nil {
            variableColumnName["soc"] = "soc_pct"
            units.soc = .percent
            unitStated.soc = true
        }
        if csv.column(mapping.source(of: "bd")) == nil, csv.column(mapping.source(of: "bd_kg_m3")) != nil {
            variableColumnName["bd"] = "bd_kg_m3"
            units.bd = .kgPerM3
            unitStated.bd = true
        }
        func converted(_ value: Double, _ variable: String) -> Double {
            variable == "soc" ? value * units.socFactor : variable == "bd" ? value / units.bulkDensityDivisor : value
        }

        let variables = options.variables + options.optionalVariables.filter {
            !options.variables.contains($0) && csv.column(mapping.source(of: variableColumnName[$0] ?? $0)) != nil
        }
        // Where each requested variable comes from.
        struct VariableSource { var column: Int?; var somColumn: Int?; var somFactor: Double }
        var sources: [VariableSource] = []
        for variable in variables {
            let column = csv.column(mapping.source(of: variableColumnName[variable] ?? variable))
            var somColumn: Int? = nil
            var factor = 0.0
            if variable == "soc" {
                if let som = csv.column(mapping.source(of: "som")) { somColumn = som; factor = 0.58 }
                else if let somPct = csv.column(mapping.source(of: "som_pct")) { somColumn = somPct; factor = 5.8 }
            }
            if column == nil && somColumn == nil {
                let alternatives = variable == "soc" ? " (or 'som' in g kg⁻¹, or 'som_pct' in %)" : ""
                _ = try csv.requireColumn(mapping.source(of: variable), purpose: "variable '\(variable)'\(alternatives)")
            }
            sources.append(VariableSource(column: column, somColumn: somColumn, somFactor: factor))
        }

        var issues: [IngestIssue] = []
        var profileOfID: [String: Int] = [:]
        var ids: [String] = []
        var rowsOfProfile: [[Int]] = []
        for row in 0..<csv.rows.count {
            let id = CSVTable.identifier(csv.rows[row][idColumn])
            if CSVTable.isMissingText(id) {
                issues.append(IngestIssue(file: csv.source, line: csv.lineOfRow[row], profileID: "", field: label("id"),
                                          action: .horizonDropped, reason: "row has no profile identifier"))
                continue
            }
            if let p = profileOfID[id] { rowsOfProfile[p].append(row) } else {
                profileOfID[id] = ids.count
                ids.append(id)
                rowsOfProfile.append([row])
            }
        }

        var tops: [Double] = [], bottoms: [Double] = [], lines: [Int] = []
        var columns = [[Double]](repeating: [], count: variables.count)
        var starts: [Int] = [0]
        var derivedCount = 0
        tops.reserveCapacity(csv.rows.count)
        bottoms.reserveCapacity(csv.rows.count)
        lines.reserveCapacity(csv.rows.count)
        for p in 0..<ids.count {
            for row in rowsOfProfile[p] {
                let line = csv.lineOfRow[row]
                let top = try csv.number(row: row, column: topColumn).map { $0 * units.depthFactor }
                let bottom = try csv.number(row: row, column: bottomColumn).map { $0 * units.depthFactor }
                // A missing depth is kept as NaN: the spline's checks repair or drop it the mpspline2 way
                // (first top → 0, last bottom → top + 10, any other → horizon dropped) and report it.
                let topValue = top ?? .nan, bottomValue = bottom ?? .nan
                if let limit = options.maximumTopDepthCm, topValue >= limit {
                    issues.append(IngestIssue(file: csv.source, line: line, profileID: ids[p], field: label(depthNames.0),
                                              action: .horizonDropped, reason: "upper depth \(topValue) cm is at or below the maximum depth \(limit) cm"))
                    continue
                }
                var rowValues = [Double](repeating: .nan, count: sources.count)
                for (v, source) in sources.enumerated() {
                    let variable = variables[v]
                    var value: Double? = nil
                    var fromSOM = false
                    var usedName = variable
                    if let column = source.column { value = try csv.number(row: row, column: column).map { converted($0, variable) } }
                    if value == nil, let somColumn = source.somColumn,
                       let som = try csv.number(row: row, column: somColumn) {
                        usedName = source.somFactor == 0.58 ? "som" : "som_pct"
                        if let limits = VariableRange.limits(of: usedName), som < limits.lower || som > limits.upper {
                            issues.append(IngestIssue(file: csv.source, line: line, profileID: ids[p], field: label(usedName),
                                                      action: .valueDropped, reason: "\(som) is outside \(limits.lower)…\(limits.upper) \(limits.unit)"))
                            continue
                        }
                        value = som * source.somFactor
                        fromSOM = true
                    }
                    guard let value else { continue }
                    if let limits = VariableRange.limits(of: variable) {
                        let tooLow = limits.lowerExclusive ? value <= limits.lower : value < limits.lower
                        if tooLow || value > limits.upper {
                            let bound = limits.lowerExclusive ? "(\(limits.lower)…\(limits.upper)]" : "[\(limits.lower)…\(limits.upper)]"
                            issues.append(IngestIssue(file: csv.source, line: line, profileID: ids[p], field: label(usedName),
                                                      action: .valueDropped, reason: "\(value) is outside \(bound) \(limits.unit)"))
                            continue
                        }
                    }
                    if fromSOM { derivedCount += 1 }
                    rowValues[v] = value
                }
                tops.append(topValue)
                bottoms.append(bottomValue)
                lines.append(line)
                for v in 0..<rowValues.count { columns[v].append(rowValues[v]) }
            }
            starts.append(tops.count)
        }

        // Site columns: the first non-missing value of a profile wins; a conflicting later value is reported.
        var sites = [SiteAttributes](repeating: SiteAttributes(), count: ids.count)
        let lonColumn = options.readSiteColumns ? csv.column(mapping.source(of: "lon")) : nil
        let latColumn = options.readSiteColumns ? csv.column(mapping.source(of: "lat")) : nil
        let ecosystemColumn = options.readSiteColumns ? csv.column(mapping.source(of: "ecosystem")) : nil
        let studyColumn = options.readSiteColumns ? csv.column(mapping.source(of: "study")) : nil
        let hasSite = lonColumn != nil || latColumn != nil || ecosystemColumn != nil || studyColumn != nil
        if hasSite {
            for p in 0..<ids.count {
                var reader = SiteFieldReader(csv: csv, profileID: ids[p], label: label)
                for row in rowsOfProfile[p] {
                    try reader.read(row: row, lonColumn: lonColumn, latColumn: latColumn,
                                    ecosystemColumn: ecosystemColumn, studyColumn: studyColumn)
                }
                sites[p] = reader.site
                issues.append(contentsOf: reader.issues)
            }
        }

        issues += HorizonTable.unitWarnings(source: csv.source, label: label, stated: unitStated, tops: tops, bottoms: bottoms,
                                            starts: starts, variables: variables, values: columns, droppedBulkDensities: issues)

        self.source = csv.source
        (self.variables, self.profileIDs, self.profileStart) = (variables, ids, starts)
        (self.topCm, self.bottomCm, self.lineOfHorizon) = (tops, bottoms, lines)
        (self.values, self.sites, self.issues) = (columns, sites, issues)
        (self.socFromSOMCount, self.hasSiteColumns) = (derivedCount, hasSite)
    }

    /// Findings for data that are wrong but look fine: depths that look like metres (every lower depth
    /// ≤ 3), SOC that looks like per cent or a fraction (topsoil SOC < 1 g kg⁻¹ in every profile), BD that
    /// looks like kg m⁻³ (most values > 100). Each names the column, the likely unit, how to state it, and
    /// how many profiles look affected. Nothing is changed: the user states the unit.
    static func unitWarnings(source: String, label: (String) -> String, stated: (depth: Bool, soc: Bool, bd: Bool),
                             tops: [Double], bottoms: [Double], starts: [Int], variables: [String], values: [[Double]],
                             droppedBulkDensities: [IngestIssue]) -> [IngestIssue] {
        var warnings: [IngestIssue] = []
        let profileCount = starts.count - 1
        func warn(_ field: String, _ reason: String) {
            warnings.append(IngestIssue(file: source, line: 1, profileID: "", field: label(field), action: .warning, reason: reason))
        }
        let finiteBottoms = bottoms.filter(\.isFinite)
        if !stated.depth, let deepest = finiteBottoms.max(), deepest <= 3, deepest > 0 {
            warn("bottom", "every lower depth is ≤ 3 (deepest \(deepest)): the depths look like metres, not cm; "
                + "\(profileCount) of \(profileCount) profiles look affected; state the unit with top_m/bottom_m columns or --units depth=m")
        }
        if !stated.soc, let soc = variables.firstIndex(of: "soc") {
            var checked = 0, low = 0
            for p in 0..<profileCount where starts[p] < starts[p + 1] {
                let range = starts[p]..<starts[p + 1]
                guard let first = range.filter({ tops[$0].isFinite && !values[soc][$0].isNaN }).min(by: { tops[$0] < tops[$1] }) else { continue }
                checked += 1
                if values[soc][first] < 1 { low += 1 }
            }
            if checked > 0 && low == checked {
                warn("soc", "topsoil SOC is below 1 g kg⁻¹ in every profile: SOC looks like per cent (or a fraction), not g kg⁻¹; "
                    + "\(low) of \(profileCount) profiles look affected; state the unit with a soc_pct column or --units soc=pct")
            }
        }
        if !stated.bd {
            let highBD = droppedBulkDensities.filter { $0.field == label("bd") && $0.action == .valueDropped && ($0.reason.split(separator: " ").first.flatMap { Double($0) } ?? 0) > 100 }
            let kept = variables.firstIndex(of: "bd").map { values[$0].filter { !$0.isNaN }.count } ?? 0
            if !highBD.isEmpty && highBD.count >= kept {
                let profiles = Set(highBD.map(\.profileID)).count
                warn("bd", "\(highBD.count) bulk densities are above 100: BD looks like kg m⁻³, not g cm⁻³; \(profiles) of \(profileCount) profiles "
                    + "look affected; state the unit with a bd_kg_m3 column or --units bd=kg/m3")
            }
        }
        return warnings
    }

    /// Merges a separate site table (`id`, `lon`, `lat`, `ecosystem`, `study`; METHOD.md §1) into the
    /// profiles' site attributes; values in the site table win over values on horizon rows.
    /// Site rows whose id has no profile are reported as warnings.
    /// - Throws: `FileError` for a missing `id` column or non-numeric coordinates.
    public mutating func mergeSites(_ csv: CSVTable, mapping: ColumnMapping = ColumnMapping()) throws {
        let label: (String) -> String = { canonical in
            let source = mapping.source(of: canonical)
            return source == canonical ? canonical : "\(canonical) [\(source)]"
        }
        let idColumn = try csv.requireColumn(mapping.source(of: "id"), purpose: "profile identifier")
        let lonColumn = csv.column(mapping.source(of: "lon"))
        let latColumn = csv.column(mapping.source(of: "lat"))
        let ecosystemColumn = csv.column(mapping.source(of: "ecosystem"))
        let studyColumn = csv.column(mapping.source(of: "study"))
        var profileOfID: [String: Int] = [:]
        for (p, id) in profileIDs.enumerated() { profileOfID[id] = p }
        hasSiteColumns = hasSiteColumns || lonColumn != nil || latColumn != nil || ecosystemColumn != nil || studyColumn != nil
        var seen = Set<String>()
        for row in 0..<csv.rows.count {
            let id = CSVTable.identifier(csv.rows[row][idColumn])
            guard let p = profileOfID[id] else {
                issues.append(IngestIssue(file: csv.source, line: csv.lineOfRow[row], profileID: id, field: label("id"),
                                          action: .warning, reason: "site has no profile in the horizon table"))
                continue
            }
            if !seen.insert(id).inserted {
                issues.append(IngestIssue(file: csv.source, line: csv.lineOfRow[row], profileID: id, field: label("id"),
                                          action: .warning, reason: "duplicate site row; the first one is used"))
                continue
            }
            var reader = SiteFieldReader(csv: csv, profileID: id, label: label)
            try reader.read(row: row, lonColumn: lonColumn, latColumn: latColumn,
                            ecosystemColumn: ecosystemColumn, studyColumn: studyColumn)
            var merged = sites[p]
            if lonColumn != nil { merged.longitudeDeg = reader.site.longitudeDeg ?? merged.longitudeDeg }
            if latColumn != nil { merged.latitudeDeg = reader.site.latitudeDeg ?? merged.latitudeDeg }
            if ecosystemColumn != nil { merged.ecosystem = reader.site.ecosystem ?? merged.ecosystem }
            if studyColumn != nil { merged.study = reader.site.study ?? merged.study }
            sites[p] = merged
            issues.append(contentsOf: reader.issues)
        }
    }
}

/// Reads and validates site fields row by row for one profile.
private struct SiteFieldReader {
    let csv: CSVTable
    let profileID: String
    let label: (String) -> String
    var site = SiteAttributes()
    var issues: [IngestIssue] = []
    private var seenLon = false, seenLat = false, seenEcosystem = false, seenStudy = false

    init(csv: CSVTable, profileID: String, label: @escaping (String) -> String) {
        self.csv = csv
        self.profileID = profileID
        self.label = label
    }

    mutating func read(row: Int, lonColumn: Int?, latColumn: Int?, ecosystemColumn: Int?, studyColumn: Int?) throws {
        let line = csv.lineOfRow[row]
        if let lonColumn, let lon = try csv.number(row: row, column: lonColumn) {
            if lon < -180 || lon > 180 {
                report(line, "lon", .valueDropped, "\(lon) is outside −180…180 degrees")
            } else if !seenLon { site.longitudeDeg = lon; seenLon = true }
            else if site.longitudeDeg != lon { report(line, "lon", .warning, "differs from the profile's first value \(site.longitudeDeg!); the first is used") }
        }
        if let latColumn, let lat = try csv.number(row: row, column: latColumn) {
            if lat < -90 || lat > 90 {
                report(line, "lat", .valueDropped, "\(lat) is outside −90…90 degrees")
            } else if !seenLat { site.latitudeDeg = lat; seenLat = true }
            else if site.latitudeDeg != lat { report(line, "lat", .warning, "differs from the profile's first value \(site.latitudeDeg!); the first is used") }
        }
        if let ecosystemColumn, !csv.isMissing(row: row, column: ecosystemColumn) {
            let text = csv.rows[row][ecosystemColumn]
            if let ecosystem = Ecosystem(parsing: text) {
                if !seenEcosystem { site.ecosystem = ecosystem; seenEcosystem = true }
                else if site.ecosystem != ecosystem { report(line, "ecosystem", .warning, "differs from the profile's first value '\(site.ecosystem!.rawValue)'; the first is used") }
            } else {
                report(line, "ecosystem", .valueDropped, "unknown ecosystem '\(CSVTable.abbreviated(text))' (expected cropland, grassland or forestland)")
            }
        }
        if let studyColumn, !csv.isMissing(row: row, column: studyColumn), !seenStudy {
            site.study = csv.rows[row][studyColumn].trimmingCharacters(in: .whitespaces)
            seenStudy = true
        }
    }

    private mutating func report(_ line: Int, _ field: String, _ action: IngestIssue.Action, _ reason: String) {
        issues.append(IngestIssue(file: csv.source, line: line, profileID: profileID, field: label(field), action: action, reason: reason))
    }
}
