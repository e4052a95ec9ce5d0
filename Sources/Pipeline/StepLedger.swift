import Essentials
import Foundation
import SoilProfiles

/// Records what each pipeline step did, and recognises a step whose inputs are unchanged so a re-run
/// (or a resumed, interrupted run) skips it.
///
/// A step's *key* is the SHA-256 of its name, its parameters (as text) and the content hashes of its input
/// files. After a step completes, `<run>/.steps/<name>.json` records the key and the hashes of its outputs;
/// the step is skipped next time when the key is the same and every output still has the recorded hash.
/// Each step appends to `run.log` (time-stamped lines) and to the step list written to `run.json`.
public final class StepLedger: @unchecked Sendable {
    /// One step's record for `run.json`.
    public struct StepRecord: Sendable {
        /// Step name, e.g. `forest-CL`.
        public let name: String
        /// `ran` or `skipped (unchanged inputs)`.
        public let status: String
        /// Wall time, seconds.
        public let seconds: Double
        /// Input files and their SHA-256.
        public let inputs: [(path: String, sha256: String)]
        /// Output files (relative to the run folder).
        public let outputs: [String]
        /// One-line summary of what the step found.
        public let summary: String
    }

    /// The run folder.
    public let folder: URL
    private let lock = NSLock()
    private var hashCache: [String: String] = [:]
    private(set) public var records: [StepRecord] = []
    private let logHandle: FileHandle?
    /// Lines also go to standard error when `true` (progress for the user).
    public var echo: Bool

    /// Opens (creating) the run folder and its `run.log`.
    /// - Throws: `PipelineError` when the folder cannot be created.
    public init(folder: URL, echo: Bool = true) throws {
        self.folder = folder
        self.echo = echo
        do {
            try FileManager.default.createDirectory(at: folder.appendingPathComponent(".steps"), withIntermediateDirectories: true)
        } catch {
            throw PipelineError.io(path: folder.path, message: "cannot create the run folder: \(error.localizedDescription)")
        }
        let logPath = folder.appendingPathComponent("run.log").path
        if !FileManager.default.fileExists(atPath: logPath) { FileManager.default.createFile(atPath: logPath, contents: nil) }
        logHandle = FileHandle(forWritingAtPath: logPath)
        logHandle?.seekToEndOfFile()
    }

    deinit { try? logHandle?.close() }

    /// Appends a time-stamped line to `run.log` (and standard error when echoing).
    public func log(_ message: String) {
        let stamp = ISO8601DateFormatter().string(from: Date())
        let line = "\(stamp) \(message)\n"
        lock.lock()
        logHandle?.write(Data(line.utf8))
        lock.unlock()
        if echo { FileHandle.standardError.write(Data("[soilbeta run] \(message)\n".utf8)) }
    }

    /// SHA-256 of a file, cached for the run.
    public func hash(of path: String) throws -> String {
        lock.lock()
        if let cached = hashCache[path] { lock.unlock(); return cached }
        lock.unlock()
        let digest = try ContentHash.hex(ofFile: path)
        lock.lock()
        hashCache[path] = digest
        lock.unlock()
        return digest
    }

    /// Runs `body` as the step `name` unless a previous completion with the same inputs and intact outputs
    /// exists. `body` returns the output paths relative to the run folder and a one-line summary.
    /// - Parameters:
    ///   - parameters: every setting that changes the step's result, as text.
    ///   - inputs: input files (absolute or relative to the working directory).
    /// - Throws: whatever `body` throws, and `PipelineError` for unreadable inputs.
    public func step(_ name: String, parameters: String, inputs: [String],
                     _ body: () throws -> (outputs: [String], summary: String)) throws {
        let start = Date()
        var inputHashes: [(path: String, sha256: String)] = []
        for input in inputs {
            guard FileManager.default.fileExists(atPath: input) else {
                throw PipelineError.io(path: input, message: "input of step '\(name)' does not exist")
            }
            inputHashes.append((input, try hash(of: input)))
        }
        var keyHasher = ContentHash()
        keyHasher.update(text: "soilbeta-step-v1\n\(name)\n\(parameters)\n")
        for (path, digest) in inputHashes { keyHasher.update(text: "\(path) \(digest)\n") }
        let key = keyHasher.finalizeHex()
        let recordPath = folder.appendingPathComponent(".steps/\(name).json")

        if let previous = readRecord(recordPath), previous.key == key, outputsIntact(previous.outputs) {
            let seconds = Date().timeIntervalSince(start)
            log("\(name): skipped (inputs unchanged) — \(previous.summary)")
            append(StepRecord(name: name, status: "skipped (unchanged inputs)", seconds: seconds, inputs: inputHashes,
                              outputs: previous.outputs.map(\.path), summary: previous.summary))
            return
        }
        log("\(name): running")
        try? FileManager.default.removeItem(at: recordPath)
        let (outputs, summary) = try body()
        var outputHashes: [(path: String, sha256: String)] = []
        for output in outputs {
            let absolute = folder.appendingPathComponent(output).path
            let digest = try ContentHash.hex(ofFile: absolute)
            outputHashes.append((output, digest))
            lock.lock(); hashCache[absolute] = digest; lock.unlock()
        }
        let seconds = Date().timeIntervalSince(start)
        let record: [String: Any] = [
            "step": name, "key": key, "summary": summary, "seconds": seconds,
            "outputs": outputHashes.map { ["path": $0.path, "sha256": $0.sha256] },
        ]
        let data = try JSONSerialization.data(withJSONObject: record, options: [.prettyPrinted, .sortedKeys])
        try AtomicFile.write(data, to: recordPath.path)
        log(String(format: "%@: done in %.1f s — %@", name, seconds, summary))
        append(StepRecord(name: name, status: "ran", seconds: seconds, inputs: inputHashes, outputs: outputs, summary: summary))
    }

    private func append(_ record: StepRecord) {
        lock.lock()
        records.append(record)
        lock.unlock()
    }

    private struct PreviousRecord {
        let key: String
        let summary: String
        let outputs: [(path: String, sha256: String)]
    }

    private func readRecord(_ url: URL) -> PreviousRecord? {
        guard let data = FileManager.default.contents(atPath: url.path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let key = object["key"] as? String, let outputs = object["outputs"] as? [[String: String]] else { return nil }
        return PreviousRecord(key: key, summary: object["summary"] as? String ?? "",
                              outputs: outputs.compactMap { entry in
                                  guard let path = entry["path"], let digest = entry["sha256"] else { return nil }
                                  return (path, digest)
                              })
    }

    private func outputsIntact(_ outputs: [(path: String, sha256: String)]) -> Bool {
        outputs.allSatisfy { output in
            let absolute = folder.appendingPathComponent(output.path).path
            return (try? hash(of: absolute)) == output.sha256
        }
    }
}

/// An error of a pipeline run, naming the config key or file at fault.
public enum PipelineError: Error, CustomStringConvertible, Equatable {
    /// A configuration problem: file, key, what is wrong.
    case config(file: String, key: String, message: String)
    /// A file problem.
    case io(path: String, message: String)
    /// A step could not proceed (e.g. too few profiles of an ecosystem).
    case step(name: String, message: String)

    public var description: String {
        switch self {
        case let .config(file, key, message): return "\(file): key '\(key)': \(message)"
        case let .io(path, message): return "\(path): \(message)"
        case let .step(name, message): return "step '\(name)': \(message)"
        }
    }
}
