import Essentials
import Foundation
import SoilProfiles
import TOMLKit

/// `soilbeta run`: the whole pipeline of the paper from files (Sect. 2.1–2.6): profiles → β → covariates at
/// sites → per ecosystem tuning, forest, random and spatial CV, importance, QRF → maps and stocks → drivers →
/// report. Every step writes under the run folder, logs to `run.log`, and is skipped on re-run when its inputs
/// are unchanged (`StepLedger`), so an interrupted run resumes.
public enum PipelineRun {
    /// Runs every step of the configuration at `configPath`.
    /// - Throws: `PipelineError` (naming the config key or file at fault) or the error of the failing step.
    public static func run(configPath: String, echo: Bool = true) throws {
        let config = try RunConfig(path: configPath)
        let ledger = try StepLedger(folder: config.runFolder, echo: echo)
        let started = Date()
        ledger.log("run of \(configPath) into \(config.runFolder.path)")
        let rasters = try covariateRasters(config: config)
        try ProfileAndForestSteps.profiles(config: config, ledger: ledger)
        try ProfileAndForestSteps.covariates(config: config, rasters: rasters, ledger: ledger)
        for ecosystem in Ecosystem.allCases {
            try ProfileAndForestSteps.forest(config: config, ecosystem: ecosystem, ledger: ledger)
        }
        try DriversStep.run(config: config, ledger: ledger)
        try MapAndReportSteps.map(config: config, ledger: ledger)
        try writeRunJSON(config: config, ledger: ledger, started: started)
        try MapAndReportSteps.report(config: config, ledger: ledger)
        try writeRunJSON(config: config, ledger: ledger, started: started)
        ledger.log(String(format: "run finished in %.1f s", Date().timeIntervalSince(started)))
    }

    /// The `[covariates]` table: feature name → raster path (resolved against the config folder).
    static func covariateRasters(config: RunConfig) throws -> [String: String] {
        guard let data = FileManager.default.contents(atPath: config.path), let text = String(data: data, encoding: .utf8),
              let table = try? TOMLTable(string: text) else { return [:] }
        let reader = ConfigReader(file: config.path, root: table)
        var result: [String: String] = [:]
        for (name, path) in try reader.stringMap("covariates") {
            result[name] = path.hasPrefix("/") ? path : config.baseFolder.appendingPathComponent(path).standardized.path
        }
        return result
    }

    /// Writes `run.json`: software version, date, parameters, inputs with SHA-256, and every step's record.
    static func writeRunJSON(config: RunConfig, ledger: StepLedger, started: Date) throws {
        var inputs: [String: String] = [:]
        for record in ledger.records { for input in record.inputs where !input.path.hasPrefix(config.runFolder.path) { inputs[input.path] = input.sha256 } }
        let document: [String: Any] = [
            "software": "soilbeta \(PipelineRun.version)",
            "config": config.path,
            "date": ISO8601DateFormatter().string(from: started),
            "synthetic": config.synthetic,
            "seed": config.seed,
            "parameters": [
                "features": config.features, "trees": config.treeCount, "tune_trees": config.tuneTreeCounts,
                "tune_mtry": config.tuneMtry, "min_node": config.minNodeSize, "folds": config.folds,
                "block_deg": config.blockDegrees, "quantiles": config.quantiles,
                "bd_fill": config.bulkDensityFill as Any? ?? NSNull(),
            ] as [String: Any],
            "inputs": inputs.keys.sorted().map { ["path": $0, "sha256": inputs[$0]!, "synthetic": config.synthetic] as [String: Any] },
            "steps": ledger.records.map { record in
                ["name": record.name, "status": record.status, "seconds": record.seconds, "summary": record.summary,
                 "outputs": record.outputs] as [String: Any]
            },
        ]
        let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
        try AtomicFile.write(data, to: config.runFolder.appendingPathComponent("run.json").path)
    }

    /// soilbeta's version, recorded in provenance.
    public static let version = "0.1.0"
}
