import Essentials
import Foundation

/// Errors of the report that are not problems of a CSV table (those surface as the
/// SoilProfiles `FileError`, naming file, line and field): a missing run folder and an
/// unreadable or invalid provenance file `run.json`.
public enum ReportError: SoilBetaError, Equatable {
    /// The run folder does not exist or is not a folder.
    case noRunFolder(path: String)
    /// A file exists but could not be read.
    case unreadable(path: String, reason: String)
    /// `run.json` is not a JSON object.
    case invalidProvenance(path: String, reason: String)
    /// The run folder has no β maps (the map step has not run or mapped nothing).
    case noMaps(folder: String)
    /// A file the page needs from a system package is missing.
    case missingAsset(path: String, package: String)

    /// A one-line message for the command line.
    public var description: String {
        switch self {
        case let .noRunFolder(path): return "\(path): no such run folder"
        case let .unreadable(path, reason): return "\(path): cannot read: \(reason)"
        case let .invalidProvenance(path, reason): return "\(path): \(reason)"
        case let .noMaps(folder): return "\(folder): no β maps (XX_beta.tif) to show; run the map step first"
        case let .missingAsset(path, package): return "\(path) is missing: install the Debian package \(package)"
        }
    }
}
