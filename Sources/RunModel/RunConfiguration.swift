import Essentials
import Foundation
import TOMLKit

/// The one run configuration of soilbeta (TOML), decoded once with TOMLKit's decoder in strict mode: every
/// unknown or misspelt key and every value of the wrong type is an error naming its key path
/// (`ConfigError`). `soilbeta run`, `soilbeta map` and `soilbeta report` all take it; a map-only
/// configuration is the same type without `[profiles]` and `[forest]` (its ecosystems then name their
/// model files). Relative paths are resolved against the configuration file's folder. The layout is
/// documented in `docs/configuration.md` and the README.
public struct RunConfiguration: Sendable, Equatable, Codable {
    /// The configuration file (absolute path).
    public var file: String
    /// `[run]`: run folder, seed, threads, DEMO label.
    public var run: RunSettings
    /// `[profiles]`: horizon and site tables (absent in a map-only configuration).
    public var profiles: ProfileSettings?
    /// `[forest]`: the β model per ecosystem (absent in a map-only configuration).
    public var forest: ForestSettings?
    /// `[grid]`: the target grid (default global WGS84 1/12°).
    public var grid: GridSettings
    /// `[map]`: streaming of the map step.
    public var map: MapSettings
    /// `[topsoil]`: topsoil (0–20 cm) SOC density source shared by the ecosystems.
    public var topsoil: TopsoilSource?
    /// Standard-deviation rasters of the `[topsoil]` inputs (optional; METHOD.md §8d).
    public var topsoilUncertainty: TopsoilUncertainty?
    /// `[uncertainty]`: simulated stock intervals (METHOD.md §8d).
    public var uncertainty: UncertaintySettings = UncertaintySettings()
    /// `[covariates]`: feature name → raster on the grid, shared by the ecosystems.
    public var covariates: [String: String]
    /// `[ecosystems.XX]`: what to map, in the paper's order (cropland, grassland, forestland).
    public var ecosystems: [EcosystemSettings]
    /// `[report]`: report options.
    public var report: ReportSettings

    /// The folder of the configuration file (base of relative paths).
    public var baseFolder: String { (file as NSString).deletingLastPathComponent }

    /// The run folder's layout: where every artefact of this run lives.
    public var layout: RunLayout { RunLayout(folder: run.folder) }

    /// The settings of `ecosystem`, if the configuration maps it.
    public func settings(of ecosystem: Ecosystem) -> EcosystemSettings? {
        ecosystems.first { $0.ecosystem == ecosystem }
    }

    /// Every input file the configuration names, with the key that names it (`profiles.horizons`,
    /// `covariates.mat`, `ecosystems.CL.area` …), in configuration order.
    public var inputPaths: [(key: String, path: String)] {
        var entries: [(key: String, path: String)] = []
        if let profiles {
            entries += ProfileSettings.keyed("profiles.horizons", profiles.horizons)
            entries += ProfileSettings.keyed("profiles.sites", profiles.sites)
            if let raster = profiles.bulkDensityRaster { entries.append(("profiles.bd_raster", raster)) }
            for (k, raster) in profiles.bulkDensityLayerRasters.enumerated() { entries.append(("profiles.bd_rasters[\(k)]", raster)) }
        }
        if let like = grid.like { entries.append(("grid.like", like)) }
        func topsoilEntries(_ source: TopsoilSource?, _ key: String) {
            switch source {
            case let .socAndBulkDensity(soc, bd)?: entries += [("\(key).soc", soc), ("\(key).bd", bd)]
            case let .density(path)?: entries.append(("\(key).socd", path))
            case nil: break
            }
        }
        topsoilEntries(topsoil, "topsoil")
        if let u = topsoilUncertainty {
            for (key, path) in [("topsoil.soc_sd", u.socSD), ("topsoil.bd_sd", u.bulkDensitySD), ("topsoil.socd_sd", u.densitySD)] {
                if let path { entries.append((key, path)) }
            }
        }
        for name in covariates.keys.sorted() { entries.append(("covariates.\(name)", covariates[name] ?? "")) }
        for ecosystem in ecosystems {
            let key = "ecosystems.\(ecosystem.ecosystem.code)"
            entries.append(("\(key).area", ecosystem.area))
            if let model = ecosystem.model { entries.append(("\(key).model", model)) }
            if let applicability = ecosystem.applicability { entries.append(("\(key).applicability", applicability)) }
            if let variogram = ecosystem.variogram { entries.append(("\(key).variogram", variogram)) }
            for name in ecosystem.covariates.keys.sorted() { entries.append(("\(key).covariates.\(name)", ecosystem.covariates[name] ?? "")) }
            topsoilEntries(ecosystem.topsoil, "\(key).topsoil")
        }
        if let land = report.land { entries.append(("report.land", land)) }
        return entries
    }

    /// Every input file the configuration names, sorted, without duplicates.
    public var inputFiles: [String] { Array(Set(inputPaths.map(\.path))).sorted() }

    /// Checks, before any step runs, that every input the configuration names exists, is a file (not a
    /// folder) and can be read, and that the run folder is not a file.
    /// - Throws: `ConfigError` naming the key whose file is at fault.
    public func checkInputs() throws {
        let manager = FileManager.default
        for (key, path) in inputPaths {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ConfigError(file: file, key: key, message: "'\(path)' does not exist")
            }
            guard !isDirectory.boolValue else { throw ConfigError(file: file, key: key, message: "'\(path)' is a folder, not a file") }
            guard manager.isReadableFile(atPath: path) else { throw ConfigError(file: file, key: key, message: "'\(path)' cannot be read") }
        }
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: run.folder, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw ConfigError(file: file, key: "run.folder", message: "'\(run.folder)' is a file; the run folder must be a folder")
        }
    }

    /// Reads, decodes and validates the configuration at `path`.
    /// - Throws: `ConfigError` naming the file and key path; `FileError` when the file cannot be read.
    public static func load(path givenPath: String) throws -> RunConfiguration {
        let path = URL(fileURLWithPath: givenPath).standardizedFileURL.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FileError(file: path, message: "no such configuration file")
        }
        guard !isDirectory.boolValue else { throw FileError(file: path, message: "is a folder; give the run configuration (.toml) file") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileError(file: path, message: "cannot read the run configuration")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw FileError(file: path, message: "the run configuration is not UTF-8 text")
        }
        return try decode(text: text, path: path)
    }

    /// Decodes configuration `text`; `path` names the file in errors and is the base of relative paths.
    /// - Throws: `ConfigError`.
    public static func decode(text: String, path: String) throws -> RunConfiguration {
        try screenSyntax(text, path: path)
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw ConfigError(file: path, key: "(syntax)", message: "line \(error.source.begin.line): \(error.description)")
        }
        let document: ConfigDocument
        do {
            document = try TOMLDecoder(strictDecoding: true).decode(ConfigDocument.self, from: table)
        } catch let error as UnexpectedKeysError {
            let paths = error.keys.values.map { $0.map(\.stringValue).joined(separator: ".") }.sorted()
            let first = paths.first ?? "?"
            throw ConfigError(file: path, key: first, message: "unknown key" + (paths.count > 1 ? " (also unknown: \(paths.dropFirst().joined(separator: ", ")))" : "")
                + "; the keys of every section are listed in the README (A run configuration)")
        } catch let error as DecodingError {
            throw ConfigError.from(error, table: table, file: path)
        } catch let error as ConfigError {
            throw ConfigError(file: path, key: error.key, message: error.message)
        }
        return try document.resolved(file: path)
    }
}

/// Refuses text that the bundled TOML parser (toml++) does not handle gracefully — it stops the process on
/// an assertion (or, built without assertions, relies on undefined behaviour) instead of reporting a syntax
/// error. The configuration fuzz test found: table headers whose name does not start like a key (`[`
/// alone, `[.forest]`, `[[[x]]`, `[é]`), a `}` where an array is open, dates and times (`1979-05-27 2`),
/// and NUL characters. None of these is valid in a soilbeta configuration, so they are reported here.
/// Strings and comments are skipped; brackets are matched across lines.
/// - Throws: `ConfigError` with key `(syntax)` and the line.
func screenSyntax(_ text: String, path: String) throws {
    var open: [Character] = []
    var line = 1
    var atLineStart = true
    var code = ""  // the current line without strings and comments (strings become `s`)
    var characters = Array(text)[...]
    func fail(_ message: String) -> ConfigError { ConfigError(file: path, key: "(syntax)", message: "line \(line): \(message)") }
    func startsKey(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || "_-\"'".contains(character))
    }
    func endLine() throws {
        if code.range(of: #"[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{2}:[0-9]{2}"#, options: .regularExpression) != nil {
            throw fail("dates and times are not values of a soilbeta configuration (quote text as \"…\")")
        }
        code = ""
        line += 1
        atLineStart = true
    }
    while let character = characters.popFirst() {
        if character.unicodeScalars.contains(where: { $0.value == 0 }) { throw fail("a NUL character") }
        if atLineStart && (character == " " || character == "\t") { continue }
        let headerStart = atLineStart && character == "[" && open.isEmpty
        atLineStart = false
        if headerStart {
            // A table header: `[name]` or `[[name]]`; the name must start like a key.
            var rest = characters.prefix { $0 != "\n" }[...]
            if rest.first == "[" { rest = rest.dropFirst() }
            let name = rest.drop { $0 == " " || $0 == "\t" }
            guard let first = name.first, first == "]" || startsKey(first) else {
                throw fail("a table name must start with an ASCII letter, digit, '_', '-' or a quote")
            }
        }
        switch character {
        case "\n": try endLine()
        case "#": while let next = characters.first, next != "\n" { characters.removeFirst() }
        case "\"", "'":
            let tripled = characters.prefix(2) == [character, character]
            if tripled { characters.removeFirst(2) }
            var closed = false
            while let next = characters.popFirst() {
                if next.unicodeScalars.contains(where: { $0.value == 0 }) { throw fail("a NUL character") }
                if next == "\n" { if !tripled { break }; line += 1 }
                if next == "\\" && character == "\"" { _ = characters.popFirst(); continue }
                if next == character && (!tripled || characters.prefix(2) == [character, character]) {
                    if tripled { characters.removeFirst(2) }
                    closed = true
                    break
                }
            }
            if !closed { throw fail("a string is not closed") }
            code.append("s")
        case "[", "{":
            open.append(character)
            code.append(character)
        case "]", "}":
            let expected: Character = character == "]" ? "[" : "{"
            // `[[name]]` closes its two brackets together at the top level.
            if open.last != expected {
                throw fail("'\(character)' does not close the open '\(open.last.map(String.init) ?? "nothing")'")
            }
            open.removeLast()
            code.append(character)
        default: code.append(character)
        }
    }
    try endLine()
}

/// `[run]`.
public struct RunSettings: Sendable, Equatable, Codable {
    /// The run folder (absolute).
    public var folder: String
    /// Seed of every stochastic step.
    public var seed: UInt64
    /// Worker threads; nil = all cores. Results do not depend on it.
    public var threads: Int?
    /// Inputs are synthetic (demo): every output is labelled DEMO.
    public var synthetic: Bool
}

/// `[profiles]`.
public struct ProfileSettings: Sendable, Equatable, Codable {
    /// Horizon tables (CSV): one, or several merged by their layer column (`horizons = ["a.csv", "b.csv"]`).
    public var horizons: [String]
    /// Site tables (CSV) merged by profile id; empty when the horizon rows carry the sites.
    public var sites: [String]
    /// The database whose exports the files are (`preset = "wosis"`): its column names, units and format.
    public var preset: ProfilePreset?
    /// Canonical column name → header of the user's files (as `--column NAME=SOURCE`).
    public var columns: [String: String]
    /// Constant bulk density (g cm⁻³) for horizons with none after the raster gap-fill (METHOD.md §3).
    public var bulkDensityFill: Double?
    /// Bulk-density raster sampled at the site for horizons with none.
    public var bulkDensityRaster: String?
    /// One bulk-density raster per 20-cm layer (0–20 … 80–100 cm), sampled at the site; a horizon takes the
    /// layer holding its mid-depth. Empty when not given.
    public var bulkDensityLayerRasters: [String]
    /// Units of the horizon table when not cm, g kg⁻¹, g cm⁻³: `depth = "m"`, `soc = "pct"`, `bd = "kg/m3"`.
    public var units: [String: String]
    /// Horizons whose upper depth is at or below this depth (cm) are dropped; nil keeps all.
    public var maxDepth: Double?
    /// Profiles whose fit is flagged (docs/METHOD.md §4) are left out of the forests.
    public var excludeFlagged: Bool

    /// The column renaming as `NAME=SOURCE` pairs, sorted.
    public var columnPairs: [String] { columns.map { "\($0.key)=\($0.value)" }.sorted() }

    /// `(key, path)` entries of a list key: the key itself for one path, `key[k]` for several.
    static func keyed(_ key: String, _ paths: [String]) -> [(key: String, path: String)] {
        paths.count == 1 ? [(key, paths[0])] : paths.enumerated().map { ("\(key)[\($0.offset)]", $0.element) }
    }
}

/// `[forest]`: random forest per ecosystem (METHOD.md §7).
public struct ForestSettings: Sendable, Equatable, Codable {
    /// Model covariates, in order.
    public var features: [String]
    /// Trees of the final forest when no tuning grid is given.
    public var trees: Int
    /// Tuning grid of tree counts (empty: no tuning).
    public var tuneTrees: [Int]
    /// Tuning grid of mtry (empty: 1…p).
    public var tuneMtry: [Int]
    /// Minimum node size.
    public var minNode: Int
    /// Folds of the random and spatial cross-validation.
    public var folds: Int
    /// Block size of the spatial cross-validation, degrees.
    public var blockDegrees: Double
    /// Quantiles of the quantile regression forest.
    public var quantiles: [Double]
    /// Minimum fitted profiles for an ecosystem to be modelled.
    public var minProfiles: Int
    /// Also cross-validate with kNNDM folds (nearest-neighbour distance matching to the mapped cells;
    /// METHOD.md §7b). The distance distributions are written either way.
    public var knndm: Bool = false
}

/// `[grid]`: the target grid: a raster to copy (`like`) or a resolution and extent (degrees, WGS84).
public struct GridSettings: Sendable, Equatable, Codable {
    /// Cell size in degrees (ignored when `like` is given).
    public var resolution: Double
    /// West, south, east, north in degrees.
    public var extent: [Double]
    /// A raster whose grid is used.
    public var like: String?
}

/// `[map]`: how the map step streams the grid.
public struct MapSettings: Sendable, Equatable, Codable {
    /// Grid rows per streamed tile (memory bound).
    public var tileRows: Int
}

/// `[report]`.
public struct ReportSettings: Sendable, Equatable, Codable {
    /// Land mask or land fraction raster for map backgrounds (> 0 = land).
    public var land: String?
}

/// How an ecosystem's area raster is expressed (METHOD.md §8).
public enum AreaUnit: String, Sendable, Equatable, Codable {
    /// Hectares of the ecosystem in the cell.
    case hectares = "ha"
    /// Fraction 0–1 of the cell's ellipsoidal area.
    case fraction
}

/// Where the topsoil (0–20 cm) SOC density X₀₋₂₀ comes from: SOC and BD rasters through Eq. 1, or a
/// ready SOCD raster (METHOD.md §8).
public enum TopsoilSource: Sendable, Equatable, Codable {
    /// SOC [g kg⁻¹] and bulk density [g cm⁻³] rasters of the 0–20 cm layer.
    case socAndBulkDensity(socPath: String, bulkDensityPath: String)
    /// A raster of X₀₋₂₀ in Mg C ha⁻¹.
    case density(path: String)

    /// The raster paths read.
    public var paths: [String] {
        switch self {
        case let .socAndBulkDensity(soc, bd): return [soc, bd]
        case let .density(path): return [path]
        }
    }
}

/// Standard deviations of the topsoil inputs, per cell (as SoilGrids publishes uncertainty): rasters of the SD of
/// SOC (g kg⁻¹) and BD (g cm⁻³) with `soc` + `bd`, or of X₀₋₂₀ (Mg C ha⁻¹) with `socd`.
public struct TopsoilUncertainty: Sendable, Equatable, Codable {
    /// SD of SOC and of BD (with `soc` + `bd`).
    public var socSD, bulkDensitySD: String?
    /// SD of the topsoil density (with `socd`).
    public var densitySD: String?

    /// The raster paths read.
    public var paths: [String] { [socSD, bulkDensitySD, densitySD].compactMap { $0 } }
}

/// `[uncertainty]`: the simulated intervals of the stocks (METHOD.md §8d).
public struct UncertaintySettings: Sendable, Equatable, Codable {
    /// Simulate the stock intervals (default on).
    public var enabled = true
    /// Realisations of the mean field.
    public var realisations = 500
    /// Range (km) of the correlation of the standard-error field z₁; nil: the fitted residual range.
    public var standardErrorRangeKm: Double?

    /// The defaults.
    public init() {}
}

/// `[ecosystems.XX]`: one ecosystem to map.
public struct EcosystemSettings: Sendable, Equatable, Codable {
    /// The ecosystem (the table may be named by any accepted spelling: `CL`, `cropland`, `crop`).
    public var ecosystem: Ecosystem
    /// Area raster (ha or fraction).
    public var area: String
    /// Unit of the area raster.
    public var areaUnit: AreaUnit
    /// Model file (map-only configurations; a full run uses the model it trains).
    public var model: String?
    /// Area-of-applicability file of the model (map-only configurations, optional; a full run uses the
    /// `forest/XX/aoa.json` its forest step writes). With it, the map step writes `XX_DI.tif` and `XX_AOA.tif`.
    public var applicability: String?
    /// Residual variogram of the model (map-only configurations, optional; a full run uses the `forest/XX/variogram.json`
    /// its forest step fits). With it (and `[uncertainty]` on), the map step simulates the stock intervals.
    public var variogram: String?
    /// Covariate rasters of this ecosystem only (merged over `[covariates]`).
    public var covariates: [String: String]
    /// Topsoil source of this ecosystem only (else `[topsoil]`).
    public var topsoil: TopsoilSource?
}

// MARK: - Decoding (the TOML document as written)

/// The TOML document as written; `resolved(file:)` checks values and resolves paths.
struct ConfigDocument: Decodable {
    struct Run: Decodable {
        var folder: String?
        var seed, threads: Int?
        var synthetic: Bool?
    }
    struct Profiles: Decodable {
        var horizons: PathList
        var sites: PathList?
        var bdRaster, preset: String?
        var bdRasters: [String]?
        var columns, units: [String: String]?
        var bdFill, maxDepth: FlexibleNumber?
        var excludeFlagged: Bool?
        enum CodingKeys: String, CodingKey {
            case horizons, sites, columns, units, preset
            case maxDepth = "max_depth", excludeFlagged = "exclude_flagged", bdFill = "bd_fill", bdRaster = "bd_raster", bdRasters = "bd_rasters"
        }
    }
    struct Forest: Decodable {
        var features: [String]
        var trees: Int?
        var tuneTrees: [Int]?
        var tuneMtry: [Int]?
        var minNode: Int?
        var folds: Int?
        var blockDeg: FlexibleNumber?
        var quantiles: [FlexibleNumber]?
        var minProfiles: Int?
        var knndm: Bool?
        enum CodingKeys: String, CodingKey {
            case features, trees, folds, quantiles, knndm
            case tuneTrees = "tune_trees", tuneMtry = "tune_mtry", minNode = "min_node", blockDeg = "block_deg", minProfiles = "min_profiles"
        }
    }
    struct Grid: Decodable {
        var resolution: FlexibleNumber?
        var extent: [FlexibleNumber]?
        var like: String?
    }
    struct Map: Decodable {
        var tileRows: Int?
        enum CodingKeys: String, CodingKey { case tileRows = "tile_rows" }
    }
    struct Topsoil: Decodable {
        var soc, bd, socd, socSD, bdSD, socdSD: String?
        enum CodingKeys: String, CodingKey { case soc, bd, socd, socSD = "soc_sd", bdSD = "bd_sd", socdSD = "socd_sd" }
    }
    struct Uncertainty: Decodable {
        var enabled: Bool?
        var realisations: Int?
        var seRangeKm: FlexibleNumber?
        enum CodingKeys: String, CodingKey { case enabled, realisations, seRangeKm = "se_range_km" }
    }
    struct EcosystemTable: Decodable {
        var topsoil: Topsoil?
        var covariates: [String: String]?
        var area: String
        var areaUnit, model, applicability, variogram: String?
        enum CodingKeys: String, CodingKey {
            case area, model, covariates, topsoil, applicability, variogram
            case areaUnit = "area_unit"
        }
    }
    struct Report: Decodable {
        var land: String?
    }

    var run: Run?
    var profiles: Profiles?
    var forest: Forest?
    var grid: Grid?
    var map: Map?
    var topsoil: Topsoil?
    var uncertainty: Uncertainty?
    var covariates: [String: String]?
    var ecosystems: [String: EcosystemTable]?
    var report: Report?

    func resolved(file: String) throws -> RunConfiguration {
        let base = (file as NSString).deletingLastPathComponent
        func resolve(_ path: String) -> String {
            let absolute = path.hasPrefix("/") ? path : (base as NSString).appendingPathComponent(path)
            return URL(fileURLWithPath: absolute).standardizedFileURL.path
        }
        func fail(_ key: String, _ message: String) -> ConfigError { ConfigError(file: file, key: key, message: message) }
        func check<T: Comparable>(_ value: T?, _ key: String, _ range: ClosedRange<T>) throws -> T? {
            guard let value else { return nil }
            guard range.contains(value) else { throw fail(key, "\(value) is outside \(range.lowerBound)…\(range.upperBound)") }
            return value
        }
        func path(_ value: String?, _ key: String) throws -> String? {
            guard let value else { return nil }
            guard !value.isEmpty else { throw fail(key, "must name a file (empty string)") }
            guard !value.contains("\0") else { throw fail(key, "must not contain a NUL character") }
            return resolve(value)
        }

        let threads = try check(run?.threads, "run.threads", 0...1024) ?? 0
        let runSettings = RunSettings(folder: try path(run?.folder, "run.folder") ?? resolve("run"),
                                      seed: UInt64(try check(run?.seed, "run.seed", 0...Int.max) ?? 1),
                                      threads: threads == 0 ? nil : threads, synthetic: run?.synthetic ?? false)

        func bulkDensityLayers(_ paths: [String]?) throws -> [String] {
            guard let paths else { return [] }
            guard paths.count == 5 else {
                throw fail("profiles.bd_rasters", "give five rasters, one per layer 0-20, 20-40, 40-60, 60-80, 80-100 cm (got \(paths.count))")
            }
            return try paths.enumerated().map { try path($0.element, "profiles.bd_rasters[\($0.offset)]") ?? $0.element }
        }
        var profileSettings: ProfileSettings?
        if let profiles {
            var columns = profiles.columns ?? [:]
            for (name, source) in columns where source.isEmpty { throw fail("profiles.columns.\(name)", "must name a column (empty string)") }
            columns = columns.filter { !$0.value.isEmpty }
            let units = profiles.units ?? [:]
            for (key, value) in units {
                let accepted = ["depth": ["cm", "m"], "soc": ["g/kg", "pct", "%"], "bd": ["g/cm3", "kg/m3"]]
                guard let values = accepted[key] else { throw fail("profiles.units.\(key)", "unknown; give depth, soc or bd") }
                guard values.contains(value.lowercased()) else {
                    throw fail("profiles.units.\(key)", "'\(value)' is not known; accepted: \(values.joined(separator: ", "))")
                }
            }
            func paths(_ list: PathList?, _ key: String) throws -> [String] {
                guard let list else { return [] }
                guard !list.paths.isEmpty else { throw fail(key, "must name at least one file (empty list)") }
                return try ProfileSettings.keyed(key, list.paths).map { try path($0.path, $0.key) ?? $0.path }
            }
            var preset: ProfilePreset?
            if let name = profiles.preset {
                do { preset = try ProfilePreset(name: name) } catch let error as ProfilePresetError {
                    throw fail("profiles.preset", "'\(error.name)' is not known; known presets: \(ProfilePreset.knownNames)")
                }
            }
            profileSettings = ProfileSettings(
                horizons: try paths(profiles.horizons, "profiles.horizons"),
                sites: try paths(profiles.sites, "profiles.sites"), preset: preset, columns: columns,
                bulkDensityFill: try check(profiles.bdFill?.value, "profiles.bd_fill", 0.01...2.65),
                bulkDensityRaster: try path(profiles.bdRaster, "profiles.bd_raster"),
                bulkDensityLayerRasters: try bulkDensityLayers(profiles.bdRasters),
                units: units,
                maxDepth: try check(profiles.maxDepth?.value, "profiles.max_depth", 1...10_000),
                excludeFlagged: profiles.excludeFlagged ?? false)
        }

        var forestSettings: ForestSettings?
        if let forest {
            guard !forest.features.isEmpty else { throw fail("forest.features", "must name at least one covariate") }
            if let duplicate = Dictionary(grouping: forest.features, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
                throw fail("forest.features", "'\(duplicate)' is listed twice")
            }
            let tuneTrees = try (forest.tuneTrees ?? []).map { try check($0, "forest.tune_trees", 1...100_000) ?? $0 }
            let tuneMtry = try (forest.tuneMtry ?? []).map { try check($0, "forest.tune_mtry", 1...forest.features.count) ?? $0 }
            let quantiles = try (forest.quantiles ?? [FlexibleNumber(0.05), FlexibleNumber(0.95)]).map {
                try check($0.value, "forest.quantiles", 0.0...1.0) ?? $0.value
            }
            forestSettings = ForestSettings(
                features: forest.features, trees: try check(forest.trees, "forest.trees", 1...100_000) ?? 500,
                tuneTrees: tuneTrees, tuneMtry: tuneMtry,
                minNode: try check(forest.minNode, "forest.min_node", 1...10_000) ?? 5,
                folds: try check(forest.folds, "forest.folds", 2...1000) ?? 10,
                blockDegrees: try check(forest.blockDeg?.value, "forest.block_deg", 0.01...180) ?? 5,
                quantiles: quantiles, minProfiles: try check(forest.minProfiles, "forest.min_profiles", 5...1_000_000) ?? 20,
                knndm: forest.knndm ?? false)
        }

        var gridSettings = GridSettings(resolution: 1.0 / 12, extent: [-180, -90, 180, 90], like: nil)
        if let grid {
            if let like = grid.like {
                if grid.resolution != nil || grid.extent != nil {
                    throw fail("grid.like", "give either like = \"raster.tif\" or resolution (and extent), not both")
                }
                gridSettings.like = try path(like, "grid.like")
            } else {
                guard let resolution = grid.resolution?.value else {
                    throw fail("grid.resolution", "required (degrees), or give like = \"raster.tif\"")
                }
                guard resolution > 0, resolution <= 180, resolution.isFinite else { throw fail("grid.resolution", "\(resolution) must be in (0, 180] degrees") }
                gridSettings.resolution = resolution
                if let extent = grid.extent {
                    let values = extent.map(\.value)
                    guard values.count == 4, values.allSatisfy(\.isFinite) else { throw fail("grid.extent", "must be [west, south, east, north] in degrees") }
                    guard values[0] < values[2], values[1] < values[3] else { throw fail("grid.extent", "west must be < east and south < north") }
                    gridSettings.extent = values
                }
            }
        }
        let mapSettings = MapSettings(tileRows: try check(map?.tileRows, "map.tile_rows", 1...1_000_000) ?? 64)

        func topsoilSource(_ table: Topsoil?, _ key: String) throws -> TopsoilSource? {
            guard let table else { return nil }
            if let socd = table.socd {
                if table.soc != nil || table.bd != nil { throw fail(key, "give either socd or soc + bd, not both") }
                return .density(path: try path(socd, "\(key).socd") ?? socd)
            }
            guard let soc = table.soc, let bd = table.bd else {
                throw fail(key, "needs both soc (g/kg) and bd (g/cm3) rasters, or socd (Mg C/ha)")
            }
            return .socAndBulkDensity(socPath: try path(soc, "\(key).soc") ?? soc, bulkDensityPath: try path(bd, "\(key).bd") ?? bd)
        }
        let sharedTopsoil = try topsoilSource(topsoil, "topsoil")
        var sharedUncertainty: TopsoilUncertainty?
        if let table = topsoil, table.socSD != nil || table.bdSD != nil || table.socdSD != nil {
            if table.socd != nil, table.socSD != nil || table.bdSD != nil {
                throw fail("topsoil", "soc_sd and bd_sd go with soc + bd; with socd give socd_sd")
            }
            if table.socd == nil, table.socdSD != nil { throw fail("topsoil.socd_sd", "goes with socd; with soc + bd give soc_sd and bd_sd") }
            sharedUncertainty = TopsoilUncertainty(socSD: try path(table.socSD, "topsoil.soc_sd"), bulkDensitySD: try path(table.bdSD, "topsoil.bd_sd"),
                                                   densitySD: try path(table.socdSD, "topsoil.socd_sd"))
        }
        var uncertaintySettings = UncertaintySettings()
        if let table = uncertainty {
            uncertaintySettings.enabled = table.enabled ?? true
            uncertaintySettings.realisations = try check(table.realisations, "uncertainty.realisations", 20...100_000) ?? 500
            uncertaintySettings.standardErrorRangeKm = try check(table.seRangeKm?.value, "uncertainty.se_range_km", 0...40_000)
        }
        var sharedCovariates: [String: String] = [:]
        for (name, raster) in covariates ?? [:] { sharedCovariates[name] = try path(raster, "covariates.\(name)") }

        var ecosystemSettings: [EcosystemSettings] = []
        for name in (ecosystems ?? [:]).keys.sorted() {
            guard let table = ecosystems?[name] else { continue }
            let key = "ecosystems.\(name)"
            guard let ecosystem = Ecosystem(parsing: name) else {
                throw fail(key, "'\(name)' is not an ecosystem; name the table by one of \(Ecosystem.acceptedSpellings)")
            }
            if let other = ecosystemSettings.first(where: { $0.ecosystem == ecosystem }) {
                throw fail(key, "\(ecosystem.name) is configured twice (also as [ecosystems.\(other.ecosystem.code)] or another spelling)")
            }
            let unitText = table.areaUnit ?? "fraction"
            guard let unit = AreaUnit(rawValue: unitText) else {
                throw fail("\(key).area_unit", "must be \"ha\" or \"fraction\" (got \"\(unitText)\")")
            }
            var own: [String: String] = [:]
            for (feature, raster) in table.covariates ?? [:] { own[feature] = try path(raster, "\(key).covariates.\(feature)") }
            let soil = try topsoilSource(table.topsoil, "\(key).topsoil")
            if let own = table.topsoil, own.socSD != nil || own.bdSD != nil || own.socdSD != nil {
                throw fail("\(key).topsoil", "topsoil uncertainty rasters (soc_sd, bd_sd, socd_sd) are read from [topsoil] only")
            }
            guard soil != nil || sharedTopsoil != nil else {
                throw fail("topsoil", "required: topsoil soc + bd (or socd) rasters for \(ecosystem.name), in [topsoil] or [\(key).topsoil]")
            }
            if forest != nil, table.model != nil {
                throw fail("\(key).model", "not allowed in a run with a [forest] section: the run maps the model it trains")
            }
            if forest != nil, table.variogram != nil {
                throw fail("\(key).variogram", "not allowed in a run with a [forest] section: the run fits the variogram of its own residuals")
            }
            if forest != nil, table.applicability != nil {
                throw fail("\(key).applicability", "not allowed in a run with a [forest] section: the run maps with the area of applicability it learns")
            }
            if forest == nil, table.model == nil {
                throw fail("\(key).model", "required in a configuration without [forest]: the model file (`soilbeta forest train --quantiles`)")
            }
            ecosystemSettings.append(EcosystemSettings(ecosystem: ecosystem, area: try path(table.area, "\(key).area") ?? table.area,
                                                       areaUnit: unit, model: try path(table.model, "\(key).model"),
                                                       applicability: try path(table.applicability, "\(key).applicability"),
                                                       variogram: try path(table.variogram, "\(key).variogram"),
                                                       covariates: own, topsoil: soil))
        }
        ecosystemSettings.sort { $0.ecosystem < $1.ecosystem }
        if profiles == nil, forest != nil { throw fail("profiles", "required with [forest]: the horizon table to fit β from") }
        if profiles == nil, ecosystemSettings.isEmpty {
            throw fail("ecosystems", "nothing to do: give [profiles] and [forest] (a full run) or [ecosystems.XX] tables (a map run)")
        }
        return RunConfiguration(file: file, run: runSettings, profiles: profileSettings, forest: forestSettings, grid: gridSettings,
                                map: mapSettings, topsoil: sharedTopsoil, topsoilUncertainty: sharedUncertainty,
                                uncertainty: uncertaintySettings, covariates: sharedCovariates,
                                ecosystems: ecosystemSettings, report: ReportSettings(land: try path(report?.land, "report.land")))
    }
}

/// A TOML number: a float or an integer (`block_deg = 5` and `block_deg = 5.0` alike).
/// One path or a list of paths (`horizons = "h.csv"` or `horizons = ["a.csv", "b.csv"]`).
struct PathList: Decodable {
    let paths: [String]

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let single = try? container.decode(String.self) { paths = [single]; return }
        do { paths = try container.decode([String].self) } catch {
            throw DecodingError.typeMismatch(String.self, DecodingError.Context(codingPath: decoder.codingPath,
                                                                                debugDescription: "expected a path or a list of paths"))
        }
    }
}

struct FlexibleNumber: Decodable {
    let value: Double

    init(_ value: Double) { self.value = value }

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        do {
            value = try container.decode(Double.self)
        } catch {
            do { value = Double(try container.decode(Int.self)) } catch {
                throw DecodingError.typeMismatch(Double.self, DecodingError.Context(codingPath: decoder.codingPath,
                                                                                    debugDescription: "expected a number"))
            }
        }
    }
}

extension ConfigError {
    /// A `ConfigError` for a decoding error: the key path, and whether the key is missing or has the
    /// wrong type (TOMLKit reports a value of the wrong type as a missing key; the parsed table tells).
    static func from(_ error: DecodingError, table: TOMLTable, file: String) -> ConfigError {
        func keyPath(_ path: [CodingKey]) -> String {
            path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        func value(at path: [CodingKey]) -> TOMLValueConvertible? {
            var current: TOMLValueConvertible? = table
            for key in path {
                if let index = key.intValue, let array = current?.array {
                    current = index < array.count ? array[index] : nil
                } else {
                    current = current?.table?[key.stringValue]
                }
            }
            return current
        }
        func found(_ path: [CodingKey]) -> String {
            guard let present = value(at: path) else { return "nothing" }
            switch present.type {
            case .string: return "a string (\"\(present.string ?? "")\")"
            case .int: return "a whole number"
            case .double: return "a decimal number"
            case .bool: return "true/false"
            case .array: return "an array"
            case .table: return "a table"
            default: return "a \(present.type)"
            }
        }
        func expected(_ type: Any.Type) -> String {
            switch type {
            case is String.Type: return "a string"
            case is Int.Type, is UInt64.Type: return "a whole number"
            case is Double.Type, is FlexibleNumber.Type: return "a number"
            case is Bool.Type: return "true or false"
            default:
                let name = String(describing: type)
                if name.hasPrefix("Array") { return "an array" }
                if name.hasPrefix("Dictionary") { return "a table of NAME = \"value\"" }
                return "a table"
            }
        }
        switch error {
        case let .keyNotFound(key, context):
            let path = context.codingPath.last?.stringValue == key.stringValue ? context.codingPath : context.codingPath + [key]
            if value(at: path) != nil {
                let wanted = context.debugDescription.contains("\"Double\"") ? "a number"
                    : context.debugDescription.contains("\"String\"") ? "a string"
                    : context.debugDescription.contains("\"Bool\"") ? "true or false"
                    : context.debugDescription.contains("\"Int\"") ? "a whole number"
                    : context.debugDescription.contains("array") ? "an array" : "another type"
                return ConfigError(file: file, key: keyPath(path), message: "has the wrong type: expected \(wanted), found \(found(path))")
            }
            return ConfigError(file: file, key: keyPath(path), message: "required key is missing")
        case let .typeMismatch(type, context):
            return ConfigError(file: file, key: keyPath(context.codingPath),
                               message: "has the wrong type: expected \(expected(type)), found \(found(context.codingPath))")
        case let .valueNotFound(type, context):
            return ConfigError(file: file, key: keyPath(context.codingPath), message: "missing value: expected \(expected(type))")
        case let .dataCorrupted(context):
            return ConfigError(file: file, key: keyPath(context.codingPath), message: context.debugDescription)
        @unknown default:
            return ConfigError(file: file, key: "?", message: "\(error)")
        }
    }
}
