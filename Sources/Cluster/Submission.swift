// `soilbeta submit` and `soilbeta status`: a run's map step as a SLURM job array (one task per row tile),
// training before it and the mosaic after it, and the state of every tile.
import Essentials
import Foundation
import Mapping
import RunModel

/// Resources asked of the scheduler for every job (`sbatch` options; nil = the cluster's default).
public struct SlurmResources: Sendable, Equatable {
    /// `--partition`.
    public var partition: String?
    /// `--time` (e.g. `02:00:00`).
    public var time: String?
    /// `--mem` (e.g. `8G`).
    public var memory: String?
    /// `--cpus-per-task` (also the worker threads of each task).
    public var cpus: Int

    /// Resources with `cpus` CPUs per task.
    public init(partition: String? = nil, time: String? = nil, memory: String? = nil, cpus: Int = 1) {
        (self.partition, self.time, self.memory, self.cpus) = (partition, time, memory, cpus)
    }

    /// The `#SBATCH` lines of these resources.
    var directives: [String] {
        var lines = ["#SBATCH --cpus-per-task=\(cpus)"]
        if let partition { lines.append("#SBATCH --partition=\(partition)") }
        if let time { lines.append("#SBATCH --time=\(time)") }
        if let memory { lines.append("#SBATCH --mem=\(memory)") }
        return lines
    }
}

/// `slurm/submission.json`: what `soilbeta submit` submitted for a run, one batch per call.
public struct SubmissionRecord: Codable, Sendable, Equatable {
    /// One call of `soilbeta submit`.
    public struct Batch: Codable, Sendable, Equatable {
        /// When (ISO 8601).
        public var date: String
        /// The training job, when one was submitted.
        public var trainJob: String?
        /// The map job array, when tiles were submitted.
        public var arrayJob: String?
        /// The tiles (1-based) of the array.
        public var tiles: [Int]
        /// The mosaic job.
        public var mosaicJob: String?
    }
    /// The run configuration (absolute path).
    public var configuration: String
    /// Number of row tiles N.
    public var tiles: Int
    /// The scheduler (`slurm`).
    public var engine: String
    /// Every submission, oldest first.
    public var batches: [Batch]
}

/// What `soilbeta submit` is asked to do.
public struct SubmitOptions: Sendable {
    /// Number of row tiles N (one array task each).
    public var tiles: Int
    /// Resources of every job.
    public var resources: SlurmResources
    /// Only write the scripts.
    public var dryRun = false
    /// Submit only the tiles that are neither done nor pending/running (after failures or cancellations).
    public var onlyMissing = false
    /// Training already ran on this machine (`--local-train`): no training job.
    public var trainedLocally = false
    /// The `soilbeta` executable the jobs run (absolute path).
    public var executable: String

    /// Options for `tiles` tiles.
    public init(tiles: Int, resources: SlurmResources, executable: String) {
        (self.tiles, self.resources, self.executable) = (tiles, resources, executable)
    }
}

/// What was written and submitted.
public struct SubmitSummary: Sendable {
    /// The batch scripts written.
    public var scripts: [String]
    /// The `sbatch` commands (run, or to run in a dry run).
    public var commands: [String]
    /// The jobs submitted (none in a dry run).
    public var batch: SubmissionRecord.Batch
}

/// `soilbeta submit --engine slurm`: writes the batch scripts of a run into `slurm/` and submits them:
/// a training job (`soilbeta run --train-only`) when the configuration trains forests, a job array with one
/// task per row tile (`soilbeta map --tile $SLURM_ARRAY_TASK_ID/N`) after it, and a mosaic job after the
/// array (`afterok`) that joins the tiles and finishes the run (cube, map page, report).
public enum ClusterSubmit {
    /// Writes the scripts and (unless a dry run) submits them; records the jobs in `slurm/submission.json`.
    /// - Throws: `ClusterError` for missing SLURM commands or failed submissions; `ConfigError`/`MappingError`
    ///   when `--only-missing` cannot judge the tiles.
    public static func submit(configuration: RunConfiguration, options: SubmitOptions, client: SlurmClient = SlurmClient()) throws -> SubmitSummary {
        guard options.tiles >= 1 else { throw ClusterError.invalidOption("--tiles must be at least 1 (got \(options.tiles))") }
        guard options.resources.cpus >= 1 else { throw ClusterError.invalidOption("--cpus must be at least 1 (got \(options.resources.cpus))") }
        try configuration.checkInputs()
        let layout = configuration.layout
        let recordPath = layout.path(.submission)
        var record = SubmissionRecord(configuration: configuration.file, tiles: options.tiles, engine: "slurm", batches: [])
        if FileManager.default.fileExists(atPath: recordPath) {
            let previous = try RunDocument.read(SubmissionRecord.self, from: recordPath)
            if previous.configuration == configuration.file, previous.tiles == options.tiles { record = previous }
        }
        // The tiles to submit.
        var tiles = Array(1...options.tiles)
        var train = configuration.forest != nil && !options.trainedLocally
        if options.onlyMissing {
            let report = try ClusterStatus.status(configuration: configuration, record: record, client: client)
            if let trainState = report.train, SlurmClient.isActive(trainState) {
                throw ClusterError.invalidOption("the training job is still \(trainState.lowercased()); wait for it before --only-missing")
            }
            tiles = report.tiles.filter { !$0.isDone && !$0.isActive }.map(\.index)
            train = false
        }
        let placeholders = Dictionary(uniqueKeysWithValues: configuration.ecosystems.map { ($0.ecosystem, "") })
        let grid = try MapPlan(configuration: configuration, models: placeholders).grid
        guard options.tiles <= grid.rows else {
            throw ClusterError.invalidOption("--tiles \(options.tiles) is more than the grid's \(grid.rows) rows")
        }
        // Scripts.
        let logs = layout.path(.clusterLogsFolder)
        do { try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true) } catch {
            throw FileError(file: logs, message: "cannot create the folder of the batch scripts: \(userMessage(for: error))")
        }
        let scripts = SlurmScripts(configuration: configuration, tiles: options.tiles, resources: options.resources,
                                   executable: options.executable, logs: logs)
        var written: [String] = []
        func write(_ name: String, _ text: String) throws -> String {
            let path = layout.path(.clusterScript(name))
            try AtomicFile.write(text: text, to: path)
            guard chmod(path, 0o755) == 0 else { throw FileError(file: path, message: "cannot make it executable") }
            written.append(path)
            return path
        }
        let trainScript = train ? try write("train.sh", scripts.train) : nil
        let arrayScript = try write("map-array.sh", scripts.mapArray)
        let mosaicScript = try write("mosaic.sh", scripts.mosaic)

        var batch = SubmissionRecord.Batch(date: ISO8601DateFormatter().string(from: Date()), trainJob: nil, arrayJob: nil,
                                           tiles: tiles, mosaicJob: nil)
        var commands: [String] = []
        func sbatch(_ script: String, _ arguments: [String]) throws -> String? {
            commands.append((["sbatch"] + arguments + [script]).joined(separator: " "))
            return options.dryRun ? nil : try client.submit(script: script, arguments: arguments)
        }
        if let trainScript { batch.trainJob = try sbatch(trainScript, []) }
        if !tiles.isEmpty {
            var arguments = ["--array=\(SlurmScripts.arrayList(tiles))"]
            if train { arguments.append("--dependency=afterok:\(batch.trainJob ?? "<train job>")") }
            batch.arrayJob = try sbatch(arrayScript, arguments)
        }
        var mosaicArguments: [String] = []
        if !tiles.isEmpty { mosaicArguments.append("--dependency=afterok:\(batch.arrayJob ?? "<array job>")") }
        batch.mosaicJob = try sbatch(mosaicScript, mosaicArguments)
        if !options.dryRun {
            record.batches.append(batch)
            try RunDocument.write(record, to: recordPath)
        }
        return SubmitSummary(scripts: written, commands: commands, batch: batch)
    }
}

/// The three batch scripts of a run.
struct SlurmScripts {
    let configuration: RunConfiguration
    let tiles: Int
    let resources: SlurmResources
    let executable: String
    let logs: String

    /// `value` in single quotes for bash.
    static func quoted(_ value: String) -> String { "'" + value.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// `1-4` or `2,5,7`: the `--array` list of `tiles` (sorted, 1-based).
    static func arrayList(_ tiles: [Int]) -> String {
        let sorted = tiles.sorted()
        if let first = sorted.first, let last = sorted.last, sorted.count > 1, last - first + 1 == sorted.count { return "\(first)-\(last)" }
        return sorted.map(String.init).joined(separator: ",")
    }

    func header(_ name: String, output: String) -> String {
        (["#!/bin/bash", "# Written by \(SoilBetaVersion.software) submit for \(configuration.file)",
          "#SBATCH --job-name=soilbeta-\(name)", "#SBATCH --output=\(logs)/\(output)"] + resources.directives + ["set -euo pipefail", ""])
            .joined(separator: "\n")
    }

    var soilbeta: String { Self.quoted(executable) }
    var config: String { Self.quoted(configuration.file) }

    /// Training, tuning and cross-validation (the pipeline up to the map step), once.
    var train: String {
        header("train", output: "train-%j.out") + "exec \(soilbeta) run --config \(config) --train-only --quiet\n"
    }

    /// One array task per row tile; a task killed by the scheduler resumes from its last finished
    /// tile chunk when resubmitted, and writes its outputs atomically.
    var mapArray: String {
        header("map", output: "map-%A_%a.out")
            + "exec \(soilbeta) map --config \(config) --tile \"${SLURM_ARRAY_TASK_ID}/\(tiles)\" --threads \"${SLURM_CPUS_PER_TASK:-1}\" --quiet\n"
    }

    /// Joins the tiles (refusing foreign, missing or corrupted ones), then finishes the run: cube, map
    /// page and report (a full run resumes `soilbeta run`, whose map step finds the grid mapped).
    var mosaic: String {
        let finish = configuration.forest != nil ? "exec \(soilbeta) run --config \(config) --quiet"
            : "exec \(soilbeta) report --config \(config)"
        return header("mosaic", output: "mosaic-%j.out")
            + "\(soilbeta) mosaic --config \(config) --tiles \(tiles) --threads \"${SLURM_CPUS_PER_TASK:-1}\"\n" + finish + "\n"
    }
}

/// The state of one tile for `soilbeta status`.
public struct TileStatus: Sendable, Equatable {
    /// 1-based tile index.
    public var index: Int
    /// Its verified outputs (`ShardState`), nil when the models do not exist yet.
    public var shard: ShardState?
    /// The scheduler's state of its latest task, with the job id (`12_3`), when the scheduler knows it.
    public var queue: (job: String, state: String, reason: String)?

    /// Finished with sound outputs for this configuration.
    public var isDone: Bool { shard == .done }
    /// Pending or running in the scheduler.
    public var isActive: Bool { !isDone && queue.map { SlurmClient.isActive($0.state) } == true }

    /// `done`, `running`, `pending (Dependency)`, `failed (CANCELLED …)`, `missing` …
    public var summary: String {
        if isDone { return "done" }
        if let queue {
            if SlurmClient.isActive(queue.state) {
                return queue.state.lowercased() + (queue.reason.isEmpty || queue.reason == "None" ? "" : " (\(queue.reason))") + " — job \(queue.job)"
            }
            if queue.state != "COMPLETED" { return "failed (\(queue.state)) — job \(queue.job); resubmit with --only-missing" }
        }
        switch shard {
        case .otherConfiguration?: return "made with another configuration — resubmit with --only-missing"
        case .corrupted?: return "corrupted outputs — resubmit with --only-missing"
        case nil: return "waiting for the trained models"
        default: return queue == nil ? "missing (not submitted, or killed)" : "failed (finished without a sound tile) — resubmit with --only-missing"
        }
    }

    public static func == (a: TileStatus, b: TileStatus) -> Bool {
        a.index == b.index && a.shard == b.shard && a.queue?.job == b.queue?.job && a.queue?.state == b.queue?.state
    }
}

/// `soilbeta status`: every tile, the training and the mosaic of a submitted run.
public struct StatusReport: Sendable {
    /// Tiles 1…N.
    public var tiles: [TileStatus]
    /// The scheduler state of the latest training job, if any.
    public var train: String?
    /// The scheduler state of the latest mosaic job, if any.
    public var mosaic: String?
    /// The whole grid is mapped (the mosaic is done).
    public var mapped: Bool

    /// A table for the terminal.
    public func render() -> String {
        var lines: [String] = []
        if let train { lines.append("training: \(train.lowercased())") }
        for tile in tiles { lines.append("tile \(tile.index)/\(tiles.count): \(tile.summary)") }
        let done = tiles.filter(\.isDone).count
        lines.append("tiles done: \(done) of \(tiles.count)")
        lines.append("mosaic: " + (mapped ? "done" : (mosaic?.lowercased() ?? "not submitted")))
        return lines.joined(separator: "\n")
    }
}

/// Reads a run's submission record and asks the scheduler and the tiles' completion records.
public enum ClusterStatus {
    /// The status of the run in `runFolder` (its `slurm/submission.json`).
    public static func status(runFolder: String, client: SlurmClient = SlurmClient()) throws -> StatusReport {
        let path = RunLayout(folder: URL(fileURLWithPath: runFolder).standardizedFileURL.path).path(.submission)
        guard FileManager.default.fileExists(atPath: path) else { throw ClusterError.noSubmission(path: path) }
        let record = try RunDocument.read(SubmissionRecord.self, from: path)
        return try status(configuration: RunConfiguration.load(path: record.configuration), record: record, client: client)
    }

    static func status(configuration: RunConfiguration, record: SubmissionRecord, client: SlurmClient) throws -> StatusReport {
        let plan = try? MapPlan.trained(configuration)
        let shards = try plan.map { try MapMosaic.shardStates(plan: $0, count: record.tiles) }
        var queue: [Int: (job: String, state: String, reason: String)] = [:]
        var train: String?, mosaic: String?
        for batch in record.batches {
            if let job = batch.arrayJob {
                for (task, state) in try client.states(of: job) where task > 0 { queue[task] = ("\(job)_\(task)", state.state, state.reason) }
            }
            if let job = batch.trainJob { train = try client.states(of: job)[0]?.state ?? train }
            if let job = batch.mosaicJob { mosaic = try client.states(of: job)[0].map { "\($0.state)" + ($0.reason == "None" ? "" : " (\($0.reason))") } }
        }
        let tiles = (1...record.tiles).map { TileStatus(index: $0, shard: shards?[$0 - 1], queue: queue[$0]) }
        return StatusReport(tiles: tiles, train: train, mosaic: mosaic, mapped: try plan.map { try MapMosaic.isComplete(plan: $0) } ?? false)
    }
}
