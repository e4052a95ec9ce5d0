import ArgumentParser
import Cluster
import Foundation
import Pipeline
import RunModel

/// `soilbeta submit`: the run's map step as a SLURM job array (one task per row tile), with training before it
/// and the mosaic after it. The work is done by `Cluster.ClusterSubmit`.
struct SubmitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit a run to a cluster scheduler: training, one map job per row tile (job array), mosaic.",
        discussion: """
        Writes <run folder>/slurm/{train,map-array,mosaic}.sh and submits them with sbatch: the training job \
        (`soilbeta run --train-only`: profiles, tuning, forests, CV) when the configuration trains forests, the \
        array `soilbeta map --tile $SLURM_ARRAY_TASK_ID/N` after it, and the mosaic after the array (afterok), \
        which joins the tiles and finishes the run (NetCDF cube, map page, report). Job ids go to \
        slurm/submission.json; `soilbeta status --run DIR` shows every tile. A tile killed by the scheduler \
        leaves no half-written output and resumes when resubmitted: `--only-missing` submits the tiles that are \
        neither done nor pending/running, and a new mosaic. Try it on one machine with scripts/slurm-local.sh start.
        """)

    @Option(help: "The run configuration (TOML).") var config: String
    @Option(help: "The scheduler (slurm).") var engine: String = "slurm"
    @Option(help: "Number of row tiles N (one array task each).") var tiles: Int
    @Option(help: "Partition (sbatch --partition).") var partition: String?
    @Option(help: "Time limit of each job (sbatch --time, e.g. 02:00:00).") var time: String?
    @Option(help: "Memory of each job (sbatch --mem, e.g. 8G).") var mem: String?
    @Option(help: "CPUs per task (sbatch --cpus-per-task; also the map step's threads).") var cpus: Int = 1
    @Flag(name: .customLong("dry-run"), help: "Only write the scripts and print the sbatch commands.") var dryRun = false
    @Flag(name: .customLong("only-missing"), help: "Submit only tiles that are neither done nor pending/running, and a new mosaic.")
    var onlyMissing = false
    @Flag(name: .customLong("local-train"), help: "Train, tune and cross-validate here first (no training job).") var localTrain = false

    func validate() throws {
        guard engine == "slurm" else { throw ValidationError("--engine: only 'slurm' is supported (got '\(engine)')") }
        guard tiles >= 1 else { throw ValidationError("--tiles must be at least 1 (got \(tiles))") }
        guard cpus >= 1 else { throw ValidationError("--cpus must be at least 1 (got \(cpus))") }
    }

    func run() throws {
        let configuration = try RunConfiguration.load(path: config)
        if localTrain, configuration.forest != nil, !dryRun {
            try PipelineRun.run(configuration, echo: true, trainOnly: true)
        }
        var options = SubmitOptions(tiles: tiles, resources: SlurmResources(partition: partition, time: time, memory: mem, cpus: cpus),
                                    executable: Self.executablePath())
        (options.dryRun, options.onlyMissing, options.trainedLocally) = (dryRun, onlyMissing, localTrain)
        let summary = try ClusterSubmit.submit(configuration: configuration, options: options)
        for script in summary.scripts { print("wrote \(script)") }
        if dryRun {
            print("dry run; to submit:")
            for command in summary.commands { print("  \(command)") }
            return
        }
        let batch = summary.batch
        if let job = batch.trainJob { print("training job \(job)") }
        if let job = batch.arrayJob { print("map job array \(job): tiles \(batch.tiles.map(String.init).joined(separator: ",")) of \(tiles)") }
        if let job = batch.mosaicJob { print("mosaic job \(job)") }
        print("follow with: soilbeta status --run \(configuration.run.folder)")
    }

    /// This program's absolute path, which the batch scripts run.
    static func executablePath() -> String {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
    }
}

/// `soilbeta status --run DIR`: which tiles of a submitted run are done, running, pending or failed.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show which tiles of a submitted run are done, running, pending or failed, and the mosaic.",
        discussion: """
        A tile is done when its completion record matches the configuration, models and inputs and its outputs \
        have their recorded hashes; otherwise the scheduler's state of its latest task is shown (squeue). \
        Failed, cancelled or missing tiles are resubmitted alone with `soilbeta submit --only-missing`.
        """)

    @Option(name: .customLong("run"), help: "The run folder of the submitted run.") var runFolder: String

    func run() throws {
        print(try ClusterStatus.status(runFolder: runFolder).render())
    }
}
