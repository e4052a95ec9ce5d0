import Essentials
// Errors of the Forest target.

/// An error raised by training, prediction or model-file handling; the message names the
/// file, row and field involved where there is one.
public enum ForestError: SoilBetaError, Equatable, Sendable {
    /// Training or prediction input is unusable (message says which row/feature and why).
    case invalidInput(String)
    /// A hyper-parameter is out of range (message names it and the allowed range).
    case invalidParameter(String)
    /// A model file cannot be read: truncated, corrupted or of an incompatible version.
    case invalidModelFile(path: String, reason: String)
    /// The prediction table lacks features the model was trained on.
    case missingFeatures([String])
    /// An I/O failure while writing or reading a file.
    case io(path: String, reason: String)

    /// A human-readable description of the error.
    public var description: String {
        switch self {
        case .invalidInput(let message): return "invalid input: \(message)"
        case .invalidParameter(let message): return "invalid parameter: \(message)"
        case .invalidModelFile(let path, let reason): return "\(path): not a usable soilbeta forest model: \(reason)"
        case .missingFeatures(let names): return "the table lacks the model's feature(s): \(names.joined(separator: ", "))"
        case .io(let path, let reason): return "\(path): \(reason)"
        }
    }
}
