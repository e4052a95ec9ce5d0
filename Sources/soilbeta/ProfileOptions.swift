import Essentials
import ArgumentParser
import Foundation
import SoilProfiles

/// Options shared by the commands that read a horizon table.
struct HorizonInputOptions: ParsableArguments {
    @Option(parsing: .singleValue,
            help: ArgumentHelp("Horizon CSV: id,top,bottom (cm) plus variables (soc g/kg or som/som_pct, bd g/cm3, cf vol%). "
                               + "Repeat for a database that publishes one file per property: rows are merged by profile and layer id.",
                               valueName: "FILE"))
    var horizons: [String]

    @Option(help: ArgumentHelp("Read the public export of a profile database as published: "
                               + "\(ProfilePreset.knownNames) (columns, units, separator; see README).",
                               valueName: "NAME"))
    var preset: String?

    @Option(name: .customLong("column"), parsing: .singleValue,
            help: ArgumentHelp("Map a canonical column to a header of your file, e.g. soc=ORCDRC, top=UHDICM (repeatable).",
                               valueName: "NAME=SOURCE"))
    var columns: [String] = []

    @Option(parsing: .singleValue,
            help: ArgumentHelp("Optional site CSV (id,lon,lat,ecosystem,study) merged by id; it wins over site columns on horizon rows (repeatable).",
                               valueName: "FILE"))
    var sites: [String] = []

    @Option(help: ArgumentHelp("Units of the file when not cm, g/kg, g/cm3: depth=m, soc=pct, bd=kg/m3 (comma-separated).",
                               valueName: "KEY=UNIT,…"))
    var units: String?

    @Option(name: .customLong("max-depth"),
            help: "Drop horizons whose upper depth is at or below this depth, cm (e.g. 100: deeper horizons change the spline and β).")
    var maxDepth: Double?

    @Option(help: "Worker threads (default: all cores). Results do not depend on it.")
    var threads: Int?

    func validate() throws {
        if horizons.isEmpty { throw ValidationError("give at least one --horizons file") }
        if let preset, ProfilePreset(rawValue: preset.lowercased()) == nil {
            throw ValidationError("--preset '\(preset)' is not known; known presets: \(ProfilePreset.knownNames)")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1 (got \(threads))") }
        if let maxDepth, !(maxDepth > 0 && maxDepth <= 10_000) { throw ValidationError("--max-depth must be in (0, 10000] cm") }
    }

    /// The input files as `(option, path)` pairs, for `requireDistinctFiles`.
    var inputFiles: [(option: String, path: String?)] {
        horizons.map { ("--horizons", $0) } + sites.map { ("--sites", $0) }
    }

    /// Reads the horizon table (and site tables) with the given variables.
    func read(variables: [String], optionalVariables: [String] = []) throws -> HorizonTable {
        let input = ProfileInput(horizonPaths: horizons, sitePaths: sites, preset: try preset.map(ProfilePreset.init(name:)),
                                 columnPairs: columns, unitPairs: try units.map(InputUnits.pairs(argument:)) ?? [:],
                                 maximumTopDepthCm: maxDepth)
        return try input.read(variables: variables, optionalVariables: optionalVariables)
    }
}

/// Refuses an output that would overwrite an input or another output of the same command (e.g. `--out`
/// equal to `--horizons`, `--issues` equal to `--out`), comparing resolved paths.
func requireDistinctFiles(inputs: [(option: String, path: String?)], outputs: [(option: String, path: String?)]) throws {
    func resolved(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path }
    var seen: [(option: String, path: String)] = inputs.compactMap { entry in entry.path.map { (entry.option, resolved($0)) } }
    for (option, path) in outputs {
        guard let path else { continue }
        let target = resolved(path)
        if let clash = seen.first(where: { $0.path == target }) {
            throw ValidationError("\(option) \(path) is the same file as \(clash.option); give a different output file")
        }
        seen.append((option, target))
    }
}

/// Where the findings report goes: `--issues FILE`, else next to the main output as `<out>.issues.csv`.
func issuesPath(explicit: String?, output: String) -> String {
    if let explicit { return explicit }
    let base = output.hasSuffix(".csv") ? String(output.dropLast(4)) : output
    return base + ".issues.csv"
}
