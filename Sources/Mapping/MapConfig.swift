// The `soilbeta map` run configuration (TOML), issue 4 item 4; METHOD.md §8.
import Foundation
import Rasters
import TOMLKit

/// Errors of a mapping run: every case names the file (and where useful the key or field).
public enum MappingError: Error, CustomStringConvertible, Equatable {
    /// The configuration file is unreadable, not TOML, or a key is missing or has the wrong type.
    case config(path: String, message: String)
    /// The model of an ecosystem needs features for which the config names no raster.
    case missingFeatures(ecosystem: String, features: [String], configPath: String)
    /// An input or output problem in the run (names the file).
    case run(String)

    /// The message shown to the user (file first).
    public var description: String {
        switch self {
        case let .config(path, message): return "\(path): \(message)"
        case let .missingFeatures(ecosystem, features, configPath):
            return "\(configPath): the \(ecosystem) model uses feature(s) \(features.joined(separator: ", ")) "
                + "but the config names no raster for them; add them under [covariates] (or [ecosystems.\(ecosystem).covariates]) "
                + "as NAME = \"path.tif\""
        case let .run(message): return message
        }
    }
}

/// How an ecosystem's area raster is expressed (METHOD.md §8: area or fraction rasters).
public enum AreaUnit: String, Sendable, Equatable {
    /// Hectares of the ecosystem in the cell.
    case hectares = "ha"
    /// Fraction 0–1 of the cell's ellipsoidal area.
    case fraction
}

/// Where the topsoil (0–20 cm) SOC density X₀₋₂₀ comes from: SOC and BD rasters through Eq. 1,
/// or a ready SOCD raster (METHOD.md §8).
public enum TopsoilSource: Sendable, Equatable {
    /// SOC [g kg⁻¹] and bulk density [g cm⁻³] rasters of the 0–20 cm layer; X₀₋₂₀ by Eq. 1 with 20 cm thickness.
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

/// Training a forest inside the run, from a table and hyper-parameters (instead of a model file).
public struct TrainingSpec: Sendable, Equatable {
    /// CSV training table (one row per profile/site).
    public var tablePath: String
    /// Response column (β).
    public var target: String
    /// Feature columns; empty = the ecosystem's covariate names, sorted.
    public var features: [String]
    /// Number of trees.
    public var treeCount: Int
    /// Features tried per split (nil = randomForest default).
    public var mtry: Int?
    /// Minimum node size.
    public var minNodeSize: Int
    /// Random seed.
    public var seed: UInt64
}

/// Where an ecosystem's β model comes from.
public enum ModelSource: Sendable, Equatable {
    /// A model file written by `soilbeta forest train --quantiles`.
    case file(String)
    /// Train in the run (quantile data kept for the q05/q95 maps).
    case train(TrainingSpec)
}

/// One ecosystem of the run (CL cropland, GL grassland, FL forestland; any short name allowed).
public struct EcosystemSpec: Sendable, Equatable {
    /// Short name used in file names (`CL_beta.tif`) and tables.
    public var name: String
    /// The β model.
    public var model: ModelSource
    /// Area raster of the ecosystem.
    public var areaPath: String
    /// Unit of the area raster.
    public var areaUnit: AreaUnit
    /// Covariate rasters by feature name (the run-wide ones merged with this ecosystem's own).
    public var covariates: [String: String]
    /// Topsoil density source.
    public var topsoil: TopsoilSource
}

/// A parsed `soilbeta map` configuration. Relative paths are resolved against the config's folder.
///
/// ```toml
/// [grid]                       # default: global WGS84 1/12°
/// resolution = 0.0833333333    # degrees; or  like = "some_aligned.tif"
/// extent = [-180, -90, 180, 90]
/// [output]
/// folder = "maps"
/// tile_rows = 60               # rows per streamed tile (memory bound)
/// [topsoil]                    # SOC g/kg + BD g/cm3 of 0-20 cm, or  socd = "x0_20.tif"
/// soc = "soc_0_20.tif"
/// bd = "bd_0_20.tif"
/// [covariates]                 # feature name = raster, shared by all ecosystems
/// MAT = "mat.tif"
/// [ecosystems.CL]
/// model = "cl.sbf"             # or a [ecosystems.CL.training] table
/// area = "cl_fraction.tif"
/// area_unit = "fraction"       # or "ha"
/// ```
public struct MapConfig: Sendable, Equatable {
    /// The config file (for messages and fingerprints).
    public var path: String
    /// The target grid.
    public var grid: RasterGrid
    /// Output folder.
    public var outputFolder: String
    /// Rows per streamed tile.
    public var tileRows: Int
    /// Worker threads (nil = all cores).
    public var threads: Int?
    /// The ecosystems, in config order.
    public var ecosystems: [EcosystemSpec]
    /// The raw text of the config (part of the run fingerprint).
    public var text: String

    /// Reads and validates the config at `path`. Errors name the file and the key.
    public static func load(path: String) throws -> MapConfig {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw MappingError.config(path: path, message: "cannot read the file")
        }
        return try parse(text: text, path: path)
    }

    /// Parses config text; `path` locates relative paths and names the file in errors.
    public static func parse(text: String, path: String) throws -> MapConfig {
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw MappingError.config(path: path, message: "not valid TOML at line \(error.source.begin.line): \(error.description)")
        }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
        func resolve(_ file: String) -> String {
            file.hasPrefix("/") ? file : (base as NSString).appendingPathComponent(file)
        }
        func fail(_ message: String) -> MappingError { .config(path: path, message: message) }
        func number(_ value: TOMLValueConvertible?) -> Double? { value?.double ?? value?.int.map(Double.init) }
        func string(_ t: TOMLTable, _ key: String, _ section: String) throws -> String? {
            guard let value = t[key] else { return nil }
            guard let text = value.string else { throw fail("[\(section)] \(key) must be a string") }
            return text
        }

        // Grid.
        var grid = try RasterGrid.covering(.global, resolution: 1.0 / 12)
        if let gridTable = table["grid"] {
            guard let g = gridTable.table else { throw fail("[grid] must be a table") }
            if let like = try string(g, "like", "grid") {
                grid = try Raster(path: resolve(like)).grid
            } else {
                var extent = Extent.global
                if let e = g["extent"] {
                    guard let array = e.array, array.count == 4, let values = Optional(array.compactMap { number($0) }), values.count == 4 else {
                        throw fail("[grid] extent must be [west, south, east, north]")
                    }
                    extent = Extent(west: values[0], south: values[1], east: values[2], north: values[3])
                }
                guard let resolution = number(g["resolution"]) else { throw fail("[grid] needs resolution (degrees) or like = \"raster.tif\"") }
                do { grid = try RasterGrid.covering(extent, resolution: resolution) } catch {
                    throw fail("[grid]: \(error)")
                }
            }
        }

        // Output.
        var outputFolder = resolve("maps")
        var tileRows = 64
        var threads: Int?
        if let outputTable = table["output"] {
            guard let o = outputTable.table else { throw fail("[output] must be a table") }
            if let folder = try string(o, "folder", "output") { outputFolder = resolve(folder) }
            if let rows = o["tile_rows"] {
                guard let value = rows.int, value >= 1 else { throw fail("[output] tile_rows must be a positive integer") }
                tileRows = value
            }
            if let value = o["threads"] {
                guard let count = value.int, count >= 1 else { throw fail("[output] threads must be a positive integer") }
                threads = count
            }
        }

        func topsoil(_ t: TOMLTable?, section: String, fallback: TopsoilSource?) throws -> TopsoilSource? {
            guard let t else { return fallback }
            let socd = try string(t, "socd", section), soc = try string(t, "soc", section), bd = try string(t, "bd", section)
            if let socd {
                if soc != nil || bd != nil { throw fail("[\(section)] give either socd or soc + bd, not both") }
                return .density(path: resolve(socd))
            }
            if soc == nil && bd == nil { return fallback }
            guard let soc, let bd else { throw fail("[\(section)] needs both soc (g/kg) and bd (g/cm3), or socd (Mg/ha)") }
            return .socAndBulkDensity(socPath: resolve(soc), bulkDensityPath: resolve(bd))
        }
        func covariates(_ value: TOMLValueConvertible?, section: String) throws -> [String: String] {
            guard let value else { return [:] }
            guard let t = value.table else { throw fail("[\(section)] must be a table of NAME = \"raster\"") }
            var result: [String: String] = [:]
            for key in t.keys {
                guard let file = t[key]?.string else { throw fail("[\(section)] \(key) must be a raster path (string)") }
                result[key] = resolve(file)
            }
            return result
        }
        let sharedTopsoil = try topsoil(table["topsoil"]?.table, section: "topsoil", fallback: nil)
        let sharedCovariates = try covariates(table["covariates"], section: "covariates")

        guard let ecosystemsTable = table["ecosystems"]?.table, !ecosystemsTable.isEmpty else {
            throw fail("no [ecosystems.NAME] tables (e.g. [ecosystems.CL], [ecosystems.GL], [ecosystems.FL])")
        }
        // Config order: TOMLKit keys are sorted; keep the paper's CL, GL, FL order first.
        let paperOrder = ["CL", "GL", "FL"]
        let names = ecosystemsTable.keys.sorted { a, b in
            let ia = paperOrder.firstIndex(of: a) ?? paperOrder.count, ib = paperOrder.firstIndex(of: b) ?? paperOrder.count
            return ia != ib ? ia < ib : a < b
        }
        var ecosystems: [EcosystemSpec] = []
        for name in names {
            let section = "ecosystems.\(name)"
            guard let e = ecosystemsTable[name]?.table else { throw fail("[\(section)] must be a table") }
            guard name.range(of: "^[A-Za-z0-9_]+$", options: .regularExpression) != nil else {
                throw fail("ecosystem name '\(name)' may hold only letters, digits and _ (it is part of file names)")
            }
            var merged = sharedCovariates
            for (key, value) in try covariates(e["covariates"], section: "\(section).covariates") { merged[key] = value }
            guard let area = try string(e, "area", section) else { throw fail("[\(section)] needs area = \"raster\" (ha or fraction)") }
            let unitText = try string(e, "area_unit", section) ?? "fraction"
            guard let unit = AreaUnit(rawValue: unitText) else { throw fail("[\(section)] area_unit must be \"ha\" or \"fraction\" (got \"\(unitText)\")") }
            guard let soil = try topsoil(e["topsoil"]?.table, section: "\(section).topsoil", fallback: sharedTopsoil) else {
                throw fail("no topsoil rasters for \(name): add [topsoil] soc + bd (or socd)")
            }
            let model: ModelSource
            if let file = try string(e, "model", section) {
                if e["training"] != nil { throw fail("[\(section)] give either model or [\(section).training], not both") }
                model = .file(resolve(file))
            } else if let t = e["training"]?.table {
                let trainingSection = "\(section).training"
                guard let tablePath = try string(t, "table", trainingSection) else { throw fail("[\(trainingSection)] needs table = \"training.csv\"") }
                let features: [String]
                if let list = t["features"] {
                    guard let array = list.array else { throw fail("[\(trainingSection)] features must be an array of names") }
                    features = try array.map {
                        guard let s = $0.string else { throw fail("[\(trainingSection)] features must be strings") }
                        return s
                    }
                } else {
                    features = merged.keys.sorted()
                }
                func positive(_ key: String, _ fallback: Int?) throws -> Int? {
                    guard let value = t[key] else { return fallback }
                    guard let n = value.int, n >= 1 else { throw fail("[\(trainingSection)] \(key) must be a positive integer") }
                    return n
                }
                model = .train(TrainingSpec(tablePath: resolve(tablePath), target: try string(t, "target", trainingSection) ?? "beta",
                                            features: features, treeCount: try positive("trees", 500)!, mtry: try positive("mtry", nil),
                                            minNodeSize: try positive("min_node", 5)!, seed: UInt64(try positive("seed", 1)!)))
            } else {
                throw fail("[\(section)] needs model = \"file\" (from `soilbeta forest train --quantiles`) or a [\(section).training] table")
            }
            ecosystems.append(EcosystemSpec(name: name, model: model, areaPath: resolve(area), areaUnit: unit,
                                            covariates: merged, topsoil: soil))
        }
        return MapConfig(path: path, grid: grid, outputFolder: outputFolder, tileRows: tileRows, threads: threads,
                         ecosystems: ecosystems, text: text)
    }
}
