import Essentials
import Foundation

/// The units a horizon table is written in, when they are not soilbeta's (docs/METHOD.md §1: depths in cm,
/// SOC in g kg⁻¹, BD in g cm⁻³). Stated by `--units depth=m,soc=pct,bd=kg/m3`, by `[profiles] units` in the
/// run configuration, or by a unit suffix on the column name (`top_m`/`bottom_m`, `soc_pct`, `bd_kg_m3`).
/// Values are converted on reading, before the range checks.
public struct InputUnits: Sendable, Equatable {
    /// Unit of `top` and `bottom`.
    public enum Depth: String, Sendable, CaseIterable {
        /// Centimetres (soilbeta's unit).
        case cm
        /// Metres (× 100).
        case m
    }
    /// Unit of `soc`.
    public enum Carbon: String, Sendable, CaseIterable {
        /// Grams per kilogram (soilbeta's unit).
        case gPerKg = "g/kg"
        /// Per cent by mass (× 10).
        case percent = "pct"
    }
    /// Unit of `bd`.
    public enum BulkDensity: String, Sendable, CaseIterable {
        /// Grams per cubic centimetre (soilbeta's unit).
        case gPerCm3 = "g/cm3"
        /// Kilograms per cubic metre (÷ 1000).
        case kgPerM3 = "kg/m3"
    }

    /// Depth unit.
    public var depth: Depth = .cm
    /// SOC unit.
    public var soc: Carbon = .gPerKg
    /// BD unit.
    public var bd: BulkDensity = .gPerCm3

    /// soilbeta's own units.
    public init() {}

    /// Parses `depth=m,soc=pct,bd=kg/m3` (any subset; the keys `depth`, `soc`, `bd`); a key not given keeps
    /// its unit in `base` (e.g. a database preset's units, `ProfilePreset.units`).
    /// - Throws: `InputUnitsError` naming the pair and the accepted values.
    public init(pairs: [String: String], base: InputUnits = InputUnits()) throws {
        self = base
        for (key, value) in pairs.sorted(by: { $0.key < $1.key }) {
            let text = value.trimmingCharacters(in: .whitespaces).lowercased()
            switch key {
            case "depth":
                guard let unit = Depth(rawValue: text) else { throw InputUnitsError(key: key, value: value, accepted: Depth.allCases.map(\.rawValue)) }
                depth = unit
            case "soc":
                guard let unit = Carbon(rawValue: text == "%" ? "pct" : text) else {
                    throw InputUnitsError(key: key, value: value, accepted: Carbon.allCases.map(\.rawValue))
                }
                soc = unit
            case "bd":
                guard let unit = BulkDensity(rawValue: text) else {
                    throw InputUnitsError(key: key, value: value, accepted: BulkDensity.allCases.map(\.rawValue))
                }
                bd = unit
            default:
                throw InputUnitsError(key: key, value: value, accepted: ["depth", "soc", "bd"])
            }
        }
    }

    /// Parses the text of `--units` (`depth=m,soc=pct`).
    public init(argument: String) throws {
        try self.init(pairs: InputUnits.pairs(argument: argument))
    }

    /// The `KEY=UNIT` pairs of a `--units` argument (`depth=m,soc=pct`), not yet checked.
    /// - Throws: `InputUnitsError` for a part without `=`.
    public static func pairs(argument: String) throws -> [String: String] {
        var pairs: [String: String] = [:]
        for part in argument.split(separator: ",") {
            let pieces = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pieces.count == 2 else { throw InputUnitsError(key: String(part), value: "", accepted: ["depth=…", "soc=…", "bd=…"]) }
            pairs[pieces[0]] = pieces[1]
        }
        return pairs
    }

    /// Factor from the input unit to soilbeta's unit.
    var depthFactor: Double { depth == .m ? 100 : 1 }
    /// Factor from the input SOC unit to g kg⁻¹.
    var socFactor: Double { soc == .percent ? 10 : 1 }
    /// Divisor from the input BD unit to g cm⁻³ (a division keeps 1400 kg m⁻³ exactly 1.4 g cm⁻³).
    var bulkDensityDivisor: Double { bd == .kgPerM3 ? 1000 : 1 }
}

/// A unit that soilbeta does not know.
public struct InputUnitsError: SoilBetaError, Sendable {
    /// The key (`depth`, `soc`, `bd`).
    public let key: String
    /// The value given.
    public let value: String
    /// What is accepted.
    public let accepted: [String]
    /// `units 'KEY=VALUE': accepted: …`.
    public var description: String { "units '\(key)=\(value)': not known; accepted: \(accepted.joined(separator: ", "))" }
}
