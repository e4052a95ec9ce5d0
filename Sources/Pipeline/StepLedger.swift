import Essentials
import Foundation
import RunModel
#if canImport(Glibc)
import Glibc
#endif


/// Records what each pipeline step did, and recognises a step whose inputs are unchanged so a re-run
/// (or a resumed, interrupted run) skips it.
///
/// A step's *key* is the SHA-256 of its name, its parameters (as text) and the content hashes of its input
/// files. After a step completes, `<run>/.steps/<name>.json` records the key and the hashes of its outputs;
/// the step is skipped next time when the key is the same and every output still has the recorded hash.
/// Each step appends to `run.log` (time-stamped lines) and to the step list written to `run.json`.
public final class StepLedger: Sendable {
    /// The run folder's layout.
    public let layout: RunLayout
    private struct State {
        var hashCache: [String: String] = [:]
        var records: [RunManifest.Step] = []
        var inputs: [String: String] = [:]
        var logHandle: FileHandle?
    }
    private let state = Locked(State())
    /// Lines also go to standard error when `true` (progress for the user).
    public let echo: Bool

    /// The steps recorded so far, in order.
    public var records: [RunManifest.Step] { state.withLock { $0.records } }
    /// Every input file hashed so far (outside the run folder) and its SHA-256, sorted by path.
    public var inputs: [RunManifest.Input] {
        state.withLock { current in
            current.inputs.keys.sorted().map { RunManifest.Input(path: $0, sha256: current.inputs[$0] ?? "") }
        }
    }

    /// Opens (creating) the run folder and its `run.log` (never through a symbolic link).
    /// - Throws: `PipelineError` when the folder cannot be created or is a file.
    public init(layout: RunLayout, echo: Bool = true) throws {
        self.layout = layout
        self.echo = echo
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: layout.folder, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw PipelineError.io(path: layout.folder, message: "the run folder is a file; give a folder")
        }
        do {
            try FileManager.default.createDirectory(atPath: layout.path(.stepsFolder), withIntermediateDirectories: true)
        } catch {
            throw PipelineError.io(path: layout.folder, message: "cannot create the run folder: \(userMessage(for: error))")
        }
        let descriptor = open(layout.path(.log), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw PipelineError.io(path: layout.path(.log), message: "cannot open the run log: \(String(cString: strerror(errno)))")
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        state.withLock { $0.logHandle = handle }
    }

    /// Appends a time-stamped line to `run.log` (and standard error when echoing).
    public func log(_ message: String) {
        let stamp = ISO8601DateFormatter().string(from: Date())
        let line = "\(stamp) \(message)\n"
        state.withLock { $0.logHandle?.write(Data(line.utf8)) }
        if echo { FileHandle.standardError.write(Data("[soilbeta run] \(message)\n".utf8)) }
    }

    /// SHA-256 of a file, cached for the run.
    public func hash(of path: String) throws -> String {
        try hashes(of: [path])[0]
    }

    /// SHA-256 of files, in `paths` order, cached for the run; those not cached yet are hashed side by side.
    func hashes(of paths: [String]) throws -> [String] {
        let cached = state.withLock { state in paths.map { state.hashCache[$0] } }
        let missing = Array(Set(zip(paths, cached).compactMap { $0.1 == nil ? $0.0 : nil })).sorted()
        let digests = try ContentHash.hex(ofFiles: missing)
        state.withLock { state in for (path, digest) in zip(missing, digests) { state.hashCache[path] = digest } }
        let known = Dictionary(zip(missing, digests), uniquingKeysWith: { first, _ in first })
        return zip(paths, cached).map { $0.1 ?? known[$0.0] ?? "" }
    }

    /// The completion record of a step (`.steps/<name>.json`).
    struct StepFile: Codable {
        struct Output: Codable {
            var path: String
            var sha256: String
        }
        var step: String
        var key: String
        var summary: String
        var seconds: Double
        var outputs: [Output]
    }

    /// Runs `body` as the step `name` unless a previous completion with the same inputs and intact outputs
    /// exists. `body` returns the output paths (absolute, inside the run folder) and a one-line summary.
    /// - Parameters:
    ///   - parameters: every setting that changes the step's result, as text.
    ///   - inputs: input files (absolute).
    /// - Throws: whatever `body` throws, and `FileError` for unreadable inputs.
    public func step(_ name: String, parameters: String, inputs: [String],
                     _ body: () throws -> (outputs: [String], summary: String)) throws {
        let start = Date()
        var inputHashes: [(path: String, sha256: String)] = []
        for (input, digest) in zip(inputs, try hashes(of: inputs)) {
            inputHashes.append((input, digest))
            if layout.relative(input) == input { state.withLock { $0.inputs[input] = digest } }
        }
        var keyHasher = ContentHash()
        keyHasher.update(text: "soilbeta-step-v2\n\(name)\n\(parameters)\n")
        for (path, digest) in inputHashes { keyHasher.update(text: "\(layout.relative(path)) \(digest)\n") }
        let key = keyHasher.finalizeHex()
        let recordPath = layout.path(.stepRecord(name))

        if let previous = readRecord(recordPath), previous.key == key, outputsIntact(previous.outputs) {
            let seconds = Date().timeIntervalSince(start)
            log("\(name): skipped (inputs unchanged) — \(previous.summary)")
            append(RunManifest.Step(name: name, status: "skipped (unchanged inputs)", seconds: seconds, summary: previous.summary,
                                    outputs: previous.outputs.map(\.path)))
            return
        }
        log("\(name): running")
        AtomicFile.removeQuietly(recordPath)
        let outputs: [String], summary: String
        do { (outputs, summary) = try body() } catch {
            log("\(name): failed — \(printable(userMessage(for: error)))")
            throw error
        }
        var outputHashes: [StepFile.Output] = []
        for (output, digest) in zip(outputs, try ContentHash.hex(ofFiles: outputs)) {
            outputHashes.append(StepFile.Output(path: layout.relative(output), sha256: digest))
            state.withLock { $0.hashCache[output] = digest }
        }
        let seconds = Date().timeIntervalSince(start)
        try RunDocument.write(StepFile(step: name, key: key, summary: summary, seconds: seconds, outputs: outputHashes), to: recordPath)
        log(String(format: "%@: done in %.1f s — %@", name, seconds, summary))
        append(RunManifest.Step(name: name, status: "ran", seconds: seconds, summary: summary, outputs: outputHashes.map(\.path)))
    }

    private func append(_ record: RunManifest.Step) {
        state.withLock { $0.records.append(record) }
    }

    /// The record of an earlier completion; nil when absent or unreadable (the step then runs again).
    private func readRecord(_ path: String) -> StepFile? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do { return try RunDocument.read(StepFile.self, from: path) } catch {
            log("\(layout.relative(path)): unreadable step record (\(userMessage(for: error))); the step runs again")
            return nil
        }
    }

    private func outputsIntact(_ outputs: [StepFile.Output]) -> Bool {
        outputs.allSatisfy { output in
            let absolute = layout.path(output.path)
            guard let digest = try? ContentHash.hex(ofFile: absolute) else { return false }
            return digest == output.sha256
        }
    }
}

/// An error of a pipeline run, naming the config key or file at fault.
public enum PipelineError: SoilBetaError, Equatable {
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
