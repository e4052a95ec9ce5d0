import Essentials
import Foundation

/// What soilbeta knows of each database's public exports (docs/METHOD.md §1 names): which header holds each
/// canonical column, the units to convert from, the field separator and the numbers that stand for a missing
/// value. Explicit `--column` / `[profiles] columns` entries and `--units` / `[profiles] units` keys override
/// the preset's. The README section "Profile-database presets" lists each preset's columns and their sources:
///
/// - `wosis`: WoSIS "latest" layers (WFS `wosis_latest_*`, exported to CSV or TSV): one file per property
///   (`wosis_latest_orgc`, `wosis_latest_bdfiod`, `wosis_latest_cfvo`) merged by `profile_layer_id`, and the
///   profiles layer (`wosis_latest_profiles`) as the site table.
/// - `iscn`: the ISCN3 layer table `ISCN3_layer.csv` (`;`-separated, coordinates on every layer row, organic
///   carbon in per cent).
/// - `afsp`: the AfSP layers table (`AfSP012Qry_Layers`) and profiles table (`AfSP012Qry_Profiles`) as the site
///   table; `-9999` is a missing value.
extension ProfilePreset {
    /// Canonical column → the headers this database uses for it, in order of preference: a file takes the
    /// first one its header has (WoSIS coordinates are `longitude`/`latitude` in the profiles layer and
    /// `X`/`Y` in a property layer exported with its point geometry).
    public var columnCandidates: [String: [String]] {
        switch self {
        case .wosis:
            ["id": ["profile_id"], "layer": ["profile_layer_id"], "top": ["upper_depth"], "bottom": ["lower_depth"],
             "soc": ["orgc_value_avg"], "bd": ["bdfiod_value_avg"], "cf": ["cfvo_value_avg"],
             "lon": ["longitude", "X"], "lat": ["latitude", "Y"]]
        case .iscn:
            ["id": ["profile_name"], "top": ["layer_top (cm)"], "bottom": ["layer_bot (cm)"], "soc": ["oc (percent)"],
             "bd": ["bd_samp (g cm-3)"], "lon": ["long (dec. deg)"], "lat": ["lat (dec. deg)"]]
        case .afsp:
            ["id": ["ProfileID"], "layer": ["LayerID"], "top": ["UpDpth"], "bottom": ["LowDpth"], "soc": ["OrgC"],
             "bd": ["BlkDens"], "cf": ["CfPc"], "lon": ["X_LonDD"], "lat": ["Y_LatDD"]]
        }
    }

    /// The units of the database's depths, organic carbon and bulk density (ISCN3 gives organic carbon in
    /// per cent; WoSIS and AfSP use cm, g kg⁻¹ and kg dm⁻³ = g cm⁻³, soilbeta's units).
    public var units: InputUnits {
        var units = InputUnits()
        if self == .iscn { units.soc = .percent }
        return units
    }

    /// How the database's files are written: the separator is taken from the header line (WoSIS exports come
    /// as CSV or TSV, ISCN3 uses `;`); AfSP writes `-9999` for a missing value.
    public var csvFormat: CSVFormat {
        CSVFormat(separator: .fromHeader, missingNumbers: self == .afsp ? [-9999] : [])
    }

    /// The renaming for a file with `header`: for each canonical column the first of its candidate headers that
    /// the file has, then every `explicit` entry (which wins).
    public func mapping(forHeader header: [String], overriding explicit: ColumnMapping = ColumnMapping()) throws -> ColumnMapping {
        let present = Set(header)
        var pairs: [String: String] = [:]
        for (name, candidates) in columnCandidates {
            if let found = candidates.first(where: present.contains) { pairs[name] = found }
        }
        for (name, source) in explicit.sourceOfCanonical { pairs[name] = source }
        return try ColumnMapping(pairs: pairs.keys.sorted().map { "\($0)=\(pairs[$0] ?? $0)" })
    }
}

/// Everything that says how to read a user's profile files, shared by the commands and `soilbeta run`: the
/// horizon files (several are merged by their `layer` column), the site tables, a database preset, explicit
/// column names and units, and the maximum depth.
public struct ProfileInput: Sendable {
    /// Horizon files, in order; the first file that has a layer gives its depths.
    public var horizonPaths: [String]
    /// Site tables merged by `id`, in order (a later table wins over an earlier one and over horizon rows).
    public var sitePaths: [String]
    /// Database preset, if any.
    public var preset: ProfilePreset?
    /// `NAME=SOURCE` pairs (`--column`, `[profiles] columns`), over the preset's names.
    public var columnPairs: [String]
    /// `KEY=UNIT` pairs (`--units`, `[profiles] units`), over the preset's units.
    public var unitPairs: [String: String]
    /// Horizons whose upper depth is at or below this depth (cm) are dropped; nil keeps all.
    public var maximumTopDepthCm: Double?

    /// Creates an input description.
    public init(horizonPaths: [String], sitePaths: [String] = [], preset: ProfilePreset? = nil, columnPairs: [String] = [],
                unitPairs: [String: String] = [:], maximumTopDepthCm: Double? = nil) {
        (self.horizonPaths, self.sitePaths, self.preset) = (horizonPaths, sitePaths, preset)
        (self.columnPairs, self.unitPairs, self.maximumTopDepthCm) = (columnPairs, unitPairs, maximumTopDepthCm)
    }

    /// The explicit renaming, checked: every name must be a canonical column or one of `alsoKnown`.
    /// - Throws: `ColumnMappingError` for a malformed pair or an unknown name.
    public func explicitMapping(alsoKnown: [String] = []) throws -> ColumnMapping {
        let mapping = try ColumnMapping(pairs: columnPairs)
        try mapping.requireKnownNames(alsoKnown: alsoKnown)
        return mapping
    }

    /// The CSV format of the files: the preset's, else soilbeta's CSV.
    public var csvFormat: CSVFormat { preset?.csvFormat ?? .standard }

    /// The renaming that applies to a file with `header`: the preset's names, then the explicit pairs.
    /// - Throws: `ColumnMappingError` for a malformed pair.
    public func mapping(forHeader header: [String]) throws -> ColumnMapping {
        let explicit = try ColumnMapping(pairs: columnPairs)
        return try preset?.mapping(forHeader: header, overriding: explicit) ?? explicit
    }

    /// Reads a table (site table, or any table keyed by `id`) with the input's format and its renaming.
    /// - Throws: `FileError` for an unreadable or malformed file.
    public func readTable(path: String) throws -> (csv: CSVTable, mapping: ColumnMapping) {
        let csv = try CSVTable.read(path: path, format: csvFormat)
        return (csv, try mapping(forHeader: csv.header))
    }

    /// Reads the horizon files (merged by layer when there are several) and merges the site tables.
    /// - Parameters:
    ///   - variables: variables that must be present (e.g. `["soc", "bd"]`).
    ///   - optionalVariables: variables read where a file has them (e.g. `cf`).
    ///   - alsoKnown: further names `--column` may rename (e.g. model covariates).
    /// - Throws: `FileError` naming file, line and field; `ColumnMappingError`, `InputUnitsError`.
    public func read(variables: [String], optionalVariables: [String] = [], alsoKnown: [String] = []) throws -> HorizonTable {
        _ = try explicitMapping(alsoKnown: variables + optionalVariables + alsoKnown)
        var options = HorizonReadOptions(variables: variables, optionalVariables: optionalVariables)
        options.units = try InputUnits(pairs: unitPairs, base: preset?.units ?? InputUnits())
        options.maximumTopDepthCm = maximumTopDepthCm
        let files = try horizonPaths.map { path in
            let (csv, mapping) = try readTable(path: path)
            return HorizonFile(csv: csv, mapping: mapping)
        }
        var table = try HorizonTable(files: files, options: options)
        for path in sitePaths {
            let (csv, mapping) = try readTable(path: path)
            try table.mergeSites(csv, mapping: mapping)
        }
        return table
    }
}
