import Essentials

/// A problem in a run configuration: names the file and the key path (`forest.trees`,
/// `ecosystems.CL.area`), or `(syntax)` with the line for TOML that does not parse.
public struct ConfigError: SoilBetaError, Equatable, Sendable {
    /// The configuration file, and the dotted key path at fault (e.g. `forest.tune_trees`).
    public let file, key: String
    /// What is wrong, in words a user can act on.
    public let message: String

    /// An error for `key` of `file`.
    public init(file: String, key: String, message: String) {
        (self.file, self.key, self.message) = (file, key, message)
    }

    /// `FILE: key 'PATH': MESSAGE`.
    public var description: String { "\(file): key '\(key)': \(message)" }
}
