import Foundation

/// A soil-profile database whose public exports soilbeta reads as published (`--preset NAME`,
/// `[profiles] preset = "NAME"`). This is the name only, shared by the run configuration and the readers;
/// the SoilProfiles target knows each database's columns, units and file format.
public enum ProfilePreset: String, Sendable, CaseIterable, Codable {
    /// ISRIC World Soil Information Service, "latest" layers (`wosis_latest_*`).
    case wosis
    /// International Soil Carbon Network database v3, layer table (`ISCN3_layer.csv`).
    case iscn
    /// Africa Soil Profiles database (AfSP, ISRIC), layers and profiles tables.
    case afsp

    /// Parses a preset name (`wosis`, `iscn`, `afsp`; any letter case).
    /// - Throws: `ProfilePresetError` listing the known presets.
    public init(name: String) throws {
        guard let preset = ProfilePreset(rawValue: name.trimmingCharacters(in: .whitespaces).lowercased()) else {
            throw ProfilePresetError(name: name)
        }
        self = preset
    }

    /// The known names, comma-separated, for messages.
    public static var knownNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// A preset name that soilbeta does not know.
public struct ProfilePresetError: SoilBetaError, Sendable {
    /// The name given.
    public let name: String

    /// An error for the unknown `name`.
    public init(name: String) { self.name = name }

    /// `preset 'NAME': not known; known presets: wosis, iscn, afsp`.
    public var description: String { "preset '\(name)': not known; known presets: \(ProfilePreset.knownNames)" }
}
