import ArgumentParser
import Pipeline

/// `soilbeta run`: the whole pipeline from a TOML run configuration.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the whole pipeline (profiles → beta → forests → maps → stocks → drivers → report) from a config.",
        discussion: """
        Every step writes under the run folder, logs to run.log and run.json, and is skipped on re-run when
        its inputs are unchanged, so an interrupted run resumes. See the README for the configuration keys.
        Example: soilbeta run --config demo/run.toml
        """)

    @Option(help: "Run configuration (TOML).") var config: String
    @Flag(help: "Do not echo progress to standard error.") var quiet = false
    @Flag(name: .customLong("train-only"),
          help: "Stop after the profile, forest (tuning, CV), drivers and sites steps: models for `soilbeta map --tile` and `soilbeta submit`.")
    var trainOnly = false

    func run() throws {
        try PipelineRun.run(configPath: config, echo: !quiet, trainOnly: trainOnly)
    }
}
