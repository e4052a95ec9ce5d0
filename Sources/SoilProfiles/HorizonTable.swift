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
    /// of `harmonize --vars` are canonical names too, where a command reads them. `layer` identifies a layer
    /// across several horizon files (`HorizonTable.init(files:options:)`).
    public static let canonicalNames = ["id", "layer", "top", "bottom", "top_m", "bottom_m", "soc", "soc_pct", "som", "som_pct", "bd", "bd_kg_m3",
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
    /// Path of the file the table came from (the first, when several horizon files were merged).
    public let source: String
    /// Paths of every file the table came from, `source` first.
    public let sources: [String]
    /// Index into `sources` of the file each horizon was first read from; empty when there is one file.
    private let fileOfHorizon: [Int]
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
    /// The file horizon `i` was read from (with `lineOfHorizon[i]`, where a finding about it points).
    public func source(ofHorizon i: Int) -> String { fileOfHorizon.isEmpty ? source : sources[fileOfHorizon[i]] }

    /// Reads a horizon CSV file.
    /// - Throws: `FileError` for malformed files, missing required columns and non-numeric values.
    public static func read(path: String, options: HorizonReadOptions) throws -> HorizonTable {
        try HorizonTable(csv: CSVTable.read(path: path), options: options)
    }

    /// Builds the horizon table from a parsed CSV.
    /// - Throws: `FileError` for missing required columns and non-numeric values (naming line and field).
    public init(csv: CSVTable, options: HorizonReadOptions) throws {
        try self.init(files: [HorizonFile(csv: csv, mapping: options.mapping)], options: options)
    }

    /// Builds one horizon table from one or more files. Several files describe the same layers, e.g. one file per
    /// property as WoSIS publishes them: rows with the same profile `id` and `layer` identifier are one horizon,
    /// whose depths come from the first file that has the layer and each variable from the first file with a value
    /// for it. A layer whose depths differ between files is reported (the first depths are used). With a single
    /// file every row is a horizon of its own.
    /// - Throws: `FileError` for missing required columns (a required variable must be in at least one file; with
    ///   several files each needs the `layer` column) and non-numeric values, naming file, line and field.
    public init(files: [HorizonFile], options: HorizonReadOptions) throws {
        guard !files.isEmpty else { throw FileError(file: "(none)", message: "no horizon file given") }
        let layouts = try files.map { try HorizonFileLayout(file: $0, options: options, needsLayer: files.count > 1) }
        let first = layouts[0]
        var unitStated = (depth: options.units.depth != .cm, soc: options.units.soc != .gPerKg, bd: options.units.bd != .gPerCm3)
        for layout in layouts {
            unitStated.depth = unitStated.depth || layout.depthSuffix
            unitStated.soc = unitStated.soc || layout.socSuffix
            unitStated.bd = unitStated.bd || layout.bdSuffix
        }
        let variables = options.variables + options.optionalVariables.filter { variable in
            !options.variables.contains(variable) && layouts.contains { $0.hasColumn(for: variable) }
        }
        for variable in variables where !layouts.contains(where: { $0.hasSource(for: variable) }) {
            let alternatives = variable == "soc" ? " (or 'som' in g kg⁻¹, or 'som_pct' in %)" : ""
            _ = try first.csv.requireColumn(first.mapping.source(of: variable), purpose: "variable '\(variable)'\(alternatives)")
        }
        let sources = layouts.map { layout in variables.map { layout.source(for: $0) } }

        // Horizons by profile, in order of first appearance; a horizon is the list of rows (file, row) that describe it.
        var issues: [IngestIssue] = []
        var profileOfID: [String: Int] = [:]
        var ids: [String] = []
        var horizonsOfProfile: [[[HorizonRow]]] = []
        var horizonOfLayer: [String: (profile: Int, horizon: Int)] = [:]
        for (f, layout) in layouts.enumerated() {
            let csv = layout.csv
            for row in 0..<csv.rows.count {
                let id = CSVTable.identifier(csv.rows[row][layout.id])
                if CSVTable.isMissingText(id) {
                    issues.append(IngestIssue(file: csv.source, line: csv.lineOfRow[row], profileID: "", field: layout.label("id"),
                                              action: .horizonDropped, reason: "row has no profile identifier"))
                    continue
                }
                let p: Int
                if let known = profileOfID[id] { p = known } else {
                    p = ids.count
                    profileOfID[id] = p
                    ids.append(id)
                    horizonsOfProfile.append([])
                }
                guard let layerColumn = layout.layer else {
                    horizonsOfProfile[p].append([HorizonRow(file: f, row: row)])
                    continue
                }
                let layer = CSVTable.identifier(csv.rows[row][layerColumn])
                if CSVTable.isMissingText(layer) {
                    issues.append(IngestIssue(file: csv.source, line: csv.lineOfRow[row], profileID: id, field: layout.label("layer"),
                                              action: .horizonDropped, reason: "row has no layer identifier (needed to merge the horizon files)"))
                    continue
                }
                let key = id + "\u{1F}" + layer
                if let known = horizonOfLayer[key] {
                    horizonsOfProfile[known.profile][known.horizon].append(HorizonRow(file: f, row: row))
                } else {
                    horizonOfLayer[key] = (p, horizonsOfProfile[p].count)
                    horizonsOfProfile[p].append([HorizonRow(file: f, row: row)])
                }
            }
        }

        var tops: [Double] = [], bottoms: [Double] = [], lines: [Int] = [], fileOfHorizon: [Int] = []
        var columns = [[Double]](repeating: [], count: variables.count)
        var starts: [Int] = [0]
        var derivedCount = 0
        for p in 0..<ids.count {
            for rowsOfHorizon in horizonsOfProfile[p] {
                let head = rowsOfHorizon[0], headLayout = layouts[head.file]
                let line = headLayout.csv.lineOfRow[head.row]
                // A missing depth is kept as NaN: the spline's checks repair or drop it the mpspline2 way
                // (first top → 0, last bottom → top + 10, any other → horizon dropped) and report it.
                let (topValue, bottomValue) = try headLayout.depths(row: head.row)
                for other in rowsOfHorizon.dropFirst() {
                    let otherLayout = layouts[other.file]
                    let (top, bottom) = try otherLayout.depths(row: other.row)
                    guard (top.isNaN ? !topValue.isNaN : top != topValue) || (bottom.isNaN ? !bottomValue.isNaN : bottom != bottomValue) else { continue }
                    issues.append(IngestIssue(file: otherLayout.csv.source, line: otherLayout.csv.lineOfRow[other.row], profileID: ids[p],
                                              field: otherLayout.label(otherLayout.depthNames.top), action: .warning,
                                              reason: "depths \(top)–\(bottom) cm differ from \(topValue)–\(bottomValue) cm of the same layer in "
                                                + "\(headLayout.csv.source):\(line); the first are used"))
                }
                if let limit = options.maximumTopDepthCm, topValue >= limit {
                    issues.append(IngestIssue(file: headLayout.csv.source, line: line, profileID: ids[p], field: headLayout.label(headLayout.depthNames.top),
                                              action: .horizonDropped, reason: "upper depth \(topValue) cm is at or below the maximum depth \(limit) cm"))
                    continue
                }
                var rowValues = [Double](repeating: .nan, count: variables.count)
                for v in 0..<variables.count {
                    for part in rowsOfHorizon {
                        guard let source = sources[part.file][v] else { continue }
                        let reading = try layouts[part.file].value(of: variables[v], row: part.row, source: source, profileID: ids[p])
                        if let issue = reading.issue { issues.append(issue) }
                        guard let value = reading.value else { if reading.issue != nil { break } else { continue } }
                        if reading.fromSOM { derivedCount += 1 }
                        rowValues[v] = value
                        break
                    }
                }
                tops.append(topValue)
                bottoms.append(bottomValue)
                lines.append(line)
                fileOfHorizon.append(head.file)
                for v in 0..<rowValues.count { columns[v].append(rowValues[v]) }
            }
            starts.append(tops.count)
        }

        // Site columns: the first non-missing value of a profile wins; a conflicting later value is reported.
        var sites = [SiteAttributes](repeating: SiteAttributes(), count: ids.count)
        let readSites = options.readSiteColumns
        let siteColumns = layouts.map { readSites ? $0.siteColumns : SiteColumns(lon: nil, lat: nil, ecosystem: nil, study: nil) }
        let hasSite = siteColumns.contains { $0.lon != nil || $0.lat != nil || $0.ecosystem != nil || $0.study != nil }
        if hasSite {
            for p in 0..<ids.count {
                var reader = SiteFieldReader(profileID: ids[p])
                for part in horizonsOfProfile[p].joined() {
                    try reader.read(csv: layouts[part.file].csv, row: part.row, columns: siteColumns[part.file], label: layouts[part.file].label)
                }
                sites[p] = reader.site
                issues.append(contentsOf: reader.issues)
            }
        }

        issues += HorizonTable.unitWarnings(source: first.csv.source, label: first.label, stated: unitStated, tops: tops, bottoms: bottoms,
                                            starts: starts, variables: variables, values: columns, droppedBulkDensities: issues)

        self.source = first.csv.source
        self.sources = layouts.map(\.csv.source)
        self.fileOfHorizon = layouts.count > 1 ? fileOfHorizon : []
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
        let label = mapping.label
        let idColumn = try csv.requireColumn(mapping.source(of: "id"), purpose: "profile identifier")
        let columns = SiteColumns(csv: csv, mapping: mapping)
        var profileOfID: [String: Int] = [:]
        for (p, id) in profileIDs.enumerated() { profileOfID[id] = p }
        hasSiteColumns = hasSiteColumns || columns.lon != nil || columns.lat != nil || columns.ecosystem != nil || columns.study != nil
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
            var reader = SiteFieldReader(profileID: id)
            try reader.read(csv: csv, row: row, columns: columns, label: label)
            var merged = sites[p]
            if columns.lon != nil { merged.longitudeDeg = reader.site.longitudeDeg ?? merged.longitudeDeg }
            if columns.lat != nil { merged.latitudeDeg = reader.site.latitudeDeg ?? merged.latitudeDeg }
            if columns.ecosystem != nil { merged.ecosystem = reader.site.ecosystem ?? merged.ecosystem }
            if columns.study != nil { merged.study = reader.site.study ?? merged.study }
            sites[p] = merged
            issues.append(contentsOf: reader.issues)
        }
    }
}

extension ColumnMapping {
    /// How a finding names the canonical column `name`: the name, with the file's header in brackets when renamed.
    func label(_ name: String) -> String {
        let source = source(of: name)
        return source == name ? name : "\(name) [\(source)]"
    }
}

/// One horizon file of a read: the parsed table and the renaming of canonical columns to its header.
public struct HorizonFile: Sendable {
    /// The parsed file.
    public let csv: CSVTable
    /// Canonical name → header of this file.
    public let mapping: ColumnMapping

    /// Creates a horizon file.
    public init(csv: CSVTable, mapping: ColumnMapping) {
        (self.csv, self.mapping) = (csv, mapping)
    }
}

/// A row of one of the horizon files.
private struct HorizonRow {
    let file: Int
    let row: Int
}

/// Positions of the site columns of a file (nil where absent).
struct SiteColumns {
    let lon, lat, ecosystem, study: Int?

    init(lon: Int?, lat: Int?, ecosystem: Int?, study: Int?) {
        (self.lon, self.lat, self.ecosystem, self.study) = (lon, lat, ecosystem, study)
    }

    init(csv: CSVTable, mapping: ColumnMapping) {
        self.init(lon: csv.column(mapping.source(of: "lon")), lat: csv.column(mapping.source(of: "lat")),
                  ecosystem: csv.column(mapping.source(of: "ecosystem")), study: csv.column(mapping.source(of: "study")))
    }
}

/// Where a variable of a horizon file comes from: its column, or organic matter converted to SOC.
private struct VariableSource {
    var column: Int?
    var somColumn: Int?
    var somFactor: Double
}

/// The columns and units of one horizon file: which header holds each canonical column, and the factors
/// that bring its depths, SOC and BD to soilbeta's units (a unit suffix on a column name states the unit:
/// `top_m`/`bottom_m` metres, `soc_pct` %, `bd_kg_m3`).
private struct HorizonFileLayout {
    let csv: CSVTable
    let mapping: ColumnMapping
    let id: Int
    let layer: Int?
    let top: Int
    let bottom: Int
    let depthNames: (top: String, bottom: String)
    let units: InputUnits
    let depthSuffix, socSuffix, bdSuffix: Bool
    /// Canonical variable → the column name looked up for it (`soc_pct` for `soc` when only that exists …).
    let columnName: [String: String]
    let siteColumns: SiteColumns

    init(file: HorizonFile, options: HorizonReadOptions, needsLayer: Bool) throws {
        let csv = file.csv, mapping = file.mapping
        (self.csv, self.mapping) = (csv, mapping)
        id = try csv.requireColumn(mapping.source(of: "id"), purpose: "profile identifier")
        layer = needsLayer ? try csv.requireColumn(mapping.source(of: "layer"), purpose: "layer identifier, to merge several horizon files") : nil
        var units = options.units
        let metres = csv.column(mapping.source(of: "top")) == nil && csv.column(mapping.source(of: "top_m")) != nil
        depthNames = metres ? ("top_m", "bottom_m") : ("top", "bottom")
        if metres { units.depth = .m }
        top = try csv.requireColumn(mapping.source(of: depthNames.top), purpose: "upper depth, cm (or top_m in metres)")
        bottom = try csv.requireColumn(mapping.source(of: depthNames.bottom), purpose: "lower depth, cm (or bottom_m in metres)")
        var names: [String: String] = [:]
        let percent = csv.column(mapping.source(of: "soc")) == nil && csv.column(mapping.source(of: "soc_pct")) != nil
        if percent { names["soc"] = "soc_pct"; units.soc = .percent }
        let kilograms = csv.column(mapping.source(of: "bd")) == nil && csv.column(mapping.source(of: "bd_kg_m3")) != nil
        if kilograms { names["bd"] = "bd_kg_m3"; units.bd = .kgPerM3 }
        (depthSuffix, socSuffix, bdSuffix) = (metres, percent, kilograms)
        (self.units, columnName) = (units, names)
        siteColumns = SiteColumns(csv: csv, mapping: mapping)
    }

    func label(_ canonical: String) -> String { mapping.label(canonical) }

    func hasColumn(for variable: String) -> Bool { csv.column(mapping.source(of: columnName[variable] ?? variable)) != nil }

    func hasSource(for variable: String) -> Bool { source(for: variable) != nil }

    /// The variable's column here, or for `soc` the organic matter it is derived from; nil when the file has neither.
    func source(for variable: String) -> VariableSource? {
        let column = csv.column(mapping.source(of: columnName[variable] ?? variable))
        var source = VariableSource(column: column, somColumn: nil, somFactor: 0)
        if variable == "soc" {
            if let som = csv.column(mapping.source(of: "som")) { (source.somColumn, source.somFactor) = (som, 0.58) }
            else if let somPct = csv.column(mapping.source(of: "som_pct")) { (source.somColumn, source.somFactor) = (somPct, 5.8) }
        }
        return source.column == nil && source.somColumn == nil ? nil : source
    }

    /// Upper and lower depth of a row in cm, NaN where missing.
    func depths(row: Int) throws -> (Double, Double) {
        let top = try csv.number(row: row, column: top).map { $0 * units.depthFactor } ?? .nan
        let bottom = try csv.number(row: row, column: bottom).map { $0 * units.depthFactor } ?? .nan
        return (top, bottom)
    }

    /// A variable's value in soilbeta's unit (nil when missing), or the finding that dropped it (outside its range).
    func value(of variable: String, row: Int, source: VariableSource, profileID: String) throws
        -> (value: Double?, fromSOM: Bool, issue: IngestIssue?) {
        let line = csv.lineOfRow[row]
        func dropped(_ name: String, _ reason: String) -> (Double?, Bool, IngestIssue?) {
            (nil, false, IngestIssue(file: csv.source, line: line, profileID: profileID, field: label(name), action: .valueDropped, reason: reason))
        }
        var value: Double? = nil
        var fromSOM = false
        var usedName = columnName[variable] ?? variable
        if let column = source.column, let raw = try csv.number(row: row, column: column) {
            value = variable == "soc" ? raw * units.socFactor : variable == "bd" ? raw / units.bulkDensityDivisor : raw
        }
        if value == nil, let somColumn = source.somColumn, let som = try csv.number(row: row, column: somColumn) {
            usedName = source.somFactor == 0.58 ? "som" : "som_pct"
            if let limits = VariableRange.limits(of: usedName), som < limits.lower || som > limits.upper {
                return dropped(usedName, "\(som) is outside \(limits.lower)…\(limits.upper) \(limits.unit)")
            }
            value = som * source.somFactor
            fromSOM = true
        }
        guard let value else { return (nil, false, nil) }
        if let limits = VariableRange.limits(of: variable) {
            let tooLow = limits.lowerExclusive ? value <= limits.lower : value < limits.lower
            if tooLow || value > limits.upper {
                let bound = limits.lowerExclusive ? "(\(limits.lower)…\(limits.upper)]" : "[\(limits.lower)…\(limits.upper)]"
                return dropped(usedName, "\(value) is outside \(bound) \(limits.unit)")
            }
        }
        return (value, fromSOM, nil)
    }
}

/// Reads and validates site fields row by row for one profile.
private struct SiteFieldReader {
    let profileID: String
    var site = SiteAttributes()
    var issues: [IngestIssue] = []
    private var seenLon = false, seenLat = false, seenEcosystem = false, seenStudy = false

    init(profileID: String) {
        self.profileID = profileID
    }

    mutating func read(csv: CSVTable, row: Int, columns: SiteColumns, label: (String) -> String) throws {
        let line = csv.lineOfRow[row]
        func report(_ field: String, _ action: IngestIssue.Action, _ reason: String) {
            issues.append(IngestIssue(file: csv.source, line: line, profileID: profileID, field: label(field), action: action, reason: reason))
        }
        if let lonColumn = columns.lon, let lon = try csv.number(row: row, column: lonColumn) {
            if lon < -180 || lon > 180 {
                report("lon", .valueDropped, "\(lon) is outside −180…180 degrees")
            } else if !seenLon { site.longitudeDeg = lon; seenLon = true }
            else if let first = site.longitudeDeg, first != lon { report("lon", .warning, "differs from the profile's first value \(first); the first is used") }
        }
        if let latColumn = columns.lat, let lat = try csv.number(row: row, column: latColumn) {
            if lat < -90 || lat > 90 {
                report("lat", .valueDropped, "\(lat) is outside −90…90 degrees")
            } else if !seenLat { site.latitudeDeg = lat; seenLat = true }
            else if let first = site.latitudeDeg, first != lat { report("lat", .warning, "differs from the profile's first value \(first); the first is used") }
        }
        if let ecosystemColumn = columns.ecosystem, !csv.isMissing(row: row, column: ecosystemColumn) {
            let text = csv.rows[row][ecosystemColumn]
            if let ecosystem = Ecosystem(parsing: text) {
                if !seenEcosystem { site.ecosystem = ecosystem; seenEcosystem = true }
                else if let first = site.ecosystem, first != ecosystem {
                    report("ecosystem", .warning, "differs from the profile's first value '\(first.rawValue)'; the first is used")
                }
            } else {
                report("ecosystem", .valueDropped, "unknown ecosystem '\(CSVTable.abbreviated(text))' (expected cropland, grassland or forestland)")
            }
        }
        if let studyColumn = columns.study, !csv.isMissing(row: row, column: studyColumn), !seenStudy {
            site.study = csv.rows[row][studyColumn].trimmingCharacters(in: .whitespaces)
            seenStudy = true
        }
    }
}
