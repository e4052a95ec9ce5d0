// The SLURM commands soilbeta uses (sbatch, squeue), run as processes, and the errors they give.
import Essentials
import Foundation

/// Errors of `soilbeta submit` and `soilbeta status`.
public enum ClusterError: SoilBetaError, Equatable {
    /// A SLURM command is not installed or not on PATH.
    case commandMissing(String)
    /// A SLURM command failed.
    case commandFailed(command: String, status: Int32, output: String)
    /// `sbatch` printed no job id.
    case noJobID(command: String, output: String)
    /// The run folder has no submission record.
    case noSubmission(path: String)
    /// An option value is not usable.
    case invalidOption(String)

    public var description: String {
        switch self {
        case let .commandMissing(name):
            return "\(name) is not installed or not on PATH: SLURM's client commands are needed (on a laptop: scripts/slurm-local.sh start)"
        case let .commandFailed(command, status, output):
            return "`\(command)` failed (exit \(status)): \(output.trimmingCharacters(in: .whitespacesAndNewlines))"
        case let .noJobID(command, output):
            return "`\(command)` printed no job id: \(output.trimmingCharacters(in: .whitespacesAndNewlines))"
        case let .noSubmission(path):
            return "\(path): no submission record; submit the run first with `soilbeta submit --config RUN.toml --engine slurm --tiles N`"
        case let .invalidOption(message):
            return message
        }
    }
}

/// The SLURM client commands, found on PATH.
public struct SlurmClient: Sendable {
    /// Folders searched for the commands (PATH, then the usual system folders).
    let searchPath: [String]

    /// A client searching `PATH` (and `/usr/bin`, `/usr/local/bin`).
    public init() {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        searchPath = path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin"]
    }

    func executable(_ name: String) throws -> String {
        guard let found = searchPath.map({ ($0 as NSString).appendingPathComponent(name) })
            .first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { throw ClusterError.commandMissing(name) }
        return found
    }

    /// Runs `name arguments`; returns (status, standard output and error together).
    func run(_ name: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        try Subprocess.run(try executable(name), arguments)
    }

    /// `sbatch --parsable ARGUMENTS SCRIPT`: submits a batch script and returns its job id.
    public func submit(script: String, arguments: [String]) throws -> String {
        let all = ["--parsable"] + arguments + [script]
        let command = "sbatch " + all.joined(separator: " ")
        let result = try run("sbatch", all)
        guard result.status == 0 else { throw ClusterError.commandFailed(command: command, status: result.status, output: result.output) }
        // --parsable prints "jobid" or "jobid;cluster" (after any warnings on earlier lines).
        guard let line = result.output.split(separator: "\n").last,
              let id = line.split(separator: ";").first.map(String.init), !id.isEmpty, id.allSatisfy(\.isNumber) else {
            throw ClusterError.noJobID(command: command, output: result.output)
        }
        return id
    }

    /// The scheduler's state of every task of array job `jobID` (or of the job itself, key 0), from
    /// `squeue -r -t all`: e.g. `RUNNING`, `PENDING`, `COMPLETED`, `FAILED`, `CANCELLED`, `TIMEOUT`, with the
    /// reason. A job the controller has forgotten (older than MinJobAge, or unknown) gives no entries.
    public func states(of jobID: String) throws -> [Int: (state: String, reason: String)] {
        let result = try run("squeue", ["-h", "-r", "-t", "all", "-j", jobID, "-o", "%i|%T|%r"])
        guard result.status == 0 else {
            if result.output.contains("Invalid job id") { return [:] }
            throw ClusterError.commandFailed(command: "squeue -j \(jobID)", status: result.status, output: result.output)
        }
        var states: [Int: (state: String, reason: String)] = [:]
        for line in result.output.split(separator: "\n") {
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3 else { continue }
            let id = fields[0]
            if let underscore = id.firstIndex(of: "_") {
                guard String(id[..<underscore]) == jobID, let task = Int(id[id.index(after: underscore)...]) else { continue }
                states[task] = (fields[1], fields[2])
            } else if id == jobID {
                states[0] = (fields[1], fields[2])
            }
        }
        return states
    }

    /// Whether a scheduler state means the job may still run (not finished).
    public static func isActive(_ state: String) -> Bool {
        ["PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "REQUEUED", "RESIZING", "SUSPENDED", "STAGE_OUT"].contains(state)
    }
}
