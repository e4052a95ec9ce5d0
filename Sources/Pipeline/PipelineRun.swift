import Essentials
import Foundation
import Mapping
import RunModel
import SoilProfiles

/// `soilbeta run`: the whole pipeline of the paper from files (Sect. 2.1–2.6): profiles → β → covariates at
/// sites → per ecosystem tuning, forest, random and spatial CV, importance, QRF → maps and stocks → drivers →
/// report. The configuration is decoded once (`RunConfiguration`); every step writes where `RunLayout`
/// says, logs to `run.log`, and is skipped on re-run when its inputs are unchanged (`StepLedger`), so an
/// interrupted run resumes.
public enum PipelineRun {
    /// Runs every step of the configuration at `configPath`.
    /// - Throws: `ConfigError` naming the key at fault, `PipelineError`, or the error of the failing step.
    public static func run(configPath: String, echo: Bool = true, trainOnly: Bool = false) throws {
        let configuration = try RunConfiguration.load(path: configPath)
        try run(configuration, echo: echo, trainOnly: trainOnly)
    }

    /// Runs every step of `configuration`.
    /// With `trainOnly`, stops after the profile, forest, drivers and sites steps: the models exist and the
    /// grid steps are left to `soilbeta map --tile`/`mosaic` (e.g. the array jobs of `soilbeta submit`).
    public static func run(_ configuration: RunConfiguration, echo: Bool = true, trainOnly: Bool = false) throws {
        guard let profiles = configuration.profiles, let forest = configuration.forest else {
            throw ConfigError(file: configuration.file, key: configuration.profiles == nil ? "profiles" : "forest",
                              message: "`soilbeta run` needs [profiles] and [forest]; a configuration without them is a map-only one (`soilbeta map`)")
        }
        // Everything that can be checked before a step runs: input files, the grid and the rasters on it,
        // and a source (raster or site column) for every model feature.
        try configuration.checkInputs()
        if !configuration.ecosystems.isEmpty { try MapPlan.checkRasters(of: configuration) }
        try checkFeatureSources(configuration, profiles: profiles, forest: forest)
        let steps = PipelineSteps(configuration: configuration, profiles: profiles, forest: forest,
                                  ledger: try StepLedger(layout: configuration.layout, echo: echo))
        let started = Date()
        steps.ledger.log("run of \(configuration.file) into \(configuration.run.folder)")
        try ProfileAndForestSteps.profiles(steps)
        try ProfileAndForestSteps.covariates(steps)
        var models: [Ecosystem: String] = [:]
        for ecosystem in Ecosystem.allCases where try ProfileAndForestSteps.forest(steps, ecosystem: ecosystem) {
            models[ecosystem] = configuration.layout.path(.model(ecosystem))
        }
        try DriversStep.run(steps)
        try SitesPackageStep.run(steps)
        if trainOnly {
            try writeManifest(steps, started: started)
            steps.ledger.log(String(format: "training steps finished in %.1f s (--train-only: no map)", Date().timeIntervalSince(started)))
            return
        }
        try MapAndReportSteps.map(steps, models: models)
        try MapAndReportSteps.mapPage(steps)
        try writeManifest(steps, started: started)
        try MapAndReportSteps.report(steps)
        try writeManifest(steps, started: started)
        steps.ledger.log(String(format: "run finished in %.1f s", Date().timeIntervalSince(started)))
    }

    /// Every `[forest] features` name needs a covariate raster or a column of the site table.
    static func checkFeatureSources(_ configuration: RunConfiguration, profiles: ProfileSettings, forest: ForestSettings) throws {
        var columns = Set<String>()
        do { _ = try profiles.input.explicitMapping(alsoKnown: forest.features) } catch let error as ColumnMappingError {
            throw ConfigError(file: configuration.file, key: "profiles.columns", message: error.reason)
        }
        for sites in profiles.sites {
            let (table, mapping) = try profiles.input.readTable(path: sites)
            let header = Set(table.header)
            for feature in forest.features where header.contains(mapping.source(of: feature)) { columns.insert(feature) }
        }
        let missing = forest.features.filter { configuration.covariates[$0] == nil && !columns.contains($0) }
        guard missing.isEmpty else {
            throw ConfigError(file: configuration.file, key: "forest.features",
                              message: "no source for \(missing.joined(separator: ", ")): give a raster under [covariates] or a column of the site table (profiles.sites)")
        }
    }

    /// Writes `run.json` (`RunManifest`): software, configuration, date, inputs with SHA-256, every step.
    static func writeManifest(_ steps: PipelineSteps, started: Date) throws {
        let manifest = try RunManifest(configuration: steps.configuration, date: started, inputs: steps.ledger.inputs,
                                       steps: steps.ledger.records)
        try RunDocument.write(manifest, to: steps.configuration.layout.path(.manifest))
    }
}

/// The decoded configuration and the ledger, shared by the steps of one run.
struct PipelineSteps: Sendable {
    let configuration: RunConfiguration
    let profiles: ProfileSettings
    let forest: ForestSettings
    let ledger: StepLedger

    var layout: RunLayout { configuration.layout }
    var threads: Int? { configuration.run.threads }
    var seed: UInt64 { configuration.run.seed }
}
