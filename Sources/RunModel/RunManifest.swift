import Essentials
import Foundation

/// `run.json`: the one manifest of a run — software, configuration (as decoded), date, DEMO label, every
/// input with its SHA-256, and every step's record. Written by `soilbeta run` and `soilbeta map`, read by
/// the report.
public struct RunManifest: Codable, Sendable, Equatable {
    /// One input file.
    public struct Input: Codable, Sendable, Equatable {
        /// Absolute path.
        public var path: String
        /// SHA-256 of the content.
        public var sha256: String
        /// A record of one input.
        public init(path: String, sha256: String) {
            self.path = path
            self.sha256 = sha256
        }
    }
    /// One step of the run.
    public struct Step: Codable, Sendable, Equatable {
        /// Step name, e.g. `forest-CL`.
        public var name: String
        /// `ran` or `skipped (unchanged inputs)`.
        public var status: String
        /// Wall time, seconds.
        public var seconds: Double
        /// One-line summary of what the step found.
        public var summary: String
        /// Outputs, relative to the run folder.
        public var outputs: [String]
        /// A step record.
        public init(name: String, status: String, seconds: Double, summary: String, outputs: [String]) {
            (self.name, self.status, self.seconds) = (name, status, seconds)
            (self.summary, self.outputs) = (summary, outputs)
        }
    }

    /// `soilbeta <version>`.
    public var software: String
    /// The configuration file.
    public var configFile: String
    /// SHA-256 of the decoded configuration (canonical JSON): equal configurations, equal hash.
    public var configHash: String
    /// The configuration as decoded (every default filled in, paths absolute).
    public var configuration: RunConfiguration
    /// Start of the run, ISO 8601.
    public var date: String
    /// Inputs are synthetic: every output is DEMO.
    public var synthetic: Bool
    /// Input files and their content hashes.
    public var inputs: [Input]
    /// Steps in the order they ran.
    public var steps: [Step]

    /// A manifest.
    public init(configuration: RunConfiguration, date: Date, inputs: [Input], steps: [Step]) throws {
        software = SoilBetaVersion.software
        configFile = configuration.file
        configHash = try configuration.canonicalHash()
        self.configuration = configuration
        self.date = ISO8601DateFormatter().string(from: date)
        synthetic = configuration.run.synthetic
        self.inputs = inputs
        self.steps = steps
    }

    enum CodingKeys: String, CodingKey {
        case software, configuration, date, synthetic, inputs, steps
        case configFile = "config_file", configHash = "config_hash"
    }
}

extension RunConfiguration {
    /// Canonical JSON of the decoded configuration (sorted keys): the text hashed into run and shard records.
    public func canonicalJSON() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do { return try encoder.encode(self) } catch {
            throw FileError(file: file, message: "cannot encode the configuration: \(userMessage(for: error))")
        }
    }

    /// SHA-256 of `canonicalJSON()`.
    public func canonicalHash() throws -> String { ContentHash.hex(of: [UInt8](try canonicalJSON())) }
}

/// `maps/.map-state.json` (also in each shard folder): the map step's completion record — the fingerprint
/// of what it was computed from (configuration, models, input contents, rows) and its counts. Outputs are
/// trusted only when this record matches and each output's hash is the recorded one.
public struct MapState: Codable, Sendable, Equatable {
    /// SHA-256 over the configuration, the models and the inputs' contents.
    public var fingerprint: String
    /// First grid row of these outputs.
    public var firstRow: Int
    /// Grid rows of these outputs.
    public var rowCount: Int
    /// Counts per ecosystem.
    public var counts: [EcosystemCounts]
    /// SHA-256 of every output file, by file name.
    public var outputs: [String: String]

    /// A completion record.
    public init(fingerprint: String, firstRow: Int, rowCount: Int, counts: [EcosystemCounts], outputs: [String: String]) {
        (self.fingerprint, self.firstRow, self.rowCount) = (fingerprint, firstRow, rowCount)
        (self.counts, self.outputs) = (counts, outputs)
    }
}
