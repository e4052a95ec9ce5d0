/// The three ecosystems of the paper (Sect. 2.1; METHOD.md §1): the one definition of their codes,
/// names, order and accepted spellings. Colours are a Report extension.
public enum Ecosystem: String, CaseIterable, Sendable, Codable, Comparable {
    case cropland, grassland, forestland

    /// Two-letter code used in file names and tables: `CL`, `GL`, `FL` (METHOD.md §9).
    public var code: String {
        switch self {
        case .cropland: "CL"
        case .grassland: "GL"
        case .forestland: "FL"
        }
    }

    /// The ecosystem's name as written in tables and captions: `cropland`, `grassland`, `forestland`.
    public var name: String { rawValue }

    /// Every spelling `init(parsing:)` accepts, for messages.
    public static let acceptedSpellings = "cropland/crop/CL, grassland/grass/GL, forestland/forest/FL"

    /// Reads an ecosystem name or code, case-insensitively, ignoring surrounding white space (ASCII and
    /// Unicode, e.g. a non-breaking space): `cropland`/`crop`/`CL`, `grassland`/`grass`/`GL`,
    /// `forestland`/`forest`/`FL`. Returns `nil` for anything else.
    public init?(parsing text: String) {
        switch text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() {
        case "cropland", "crop", "cl": self = .cropland
        case "grassland", "grass", "gl": self = .grassland
        case "forestland", "forest", "fl": self = .forestland
        default: return nil
        }
    }

    /// The paper's order: cropland, grassland, forestland.
    public static func < (lhs: Ecosystem, rhs: Ecosystem) -> Bool { lhs.order < rhs.order }

    private var order: Int {
        switch self {
        case .cropland: 0
        case .grassland: 1
        case .forestland: 2
        }
    }
}
