import Essentials
import Foundation
import Mapping
import Report
import SoilProfiles
import TOMLKit

/// The grid steps of `soilbeta run`: β and SOC density maps with stocks (paper Sect. 2.4, 3.4–3.5,
/// Table 1; METHOD.md §8–§9), and the HTML report.
enum MapAndReportSteps {
    /// The `soilbeta map` configuration of this run: the run config's `[grid]`, `[output]`, `[topsoil]`,
    /// `[covariates]` and `[ecosystems.*]` sections, each modelled ecosystem's model set to the run's forest
    /// (`forest/<CODE>/model.sbf`), outputs in `<run>/maps`. Ecosystems without a model are left out.
    static func mapConfig(config: RunConfig, ledger: StepLedger) throws -> (config: MapConfig, text: String, models: [String])? {
        guard let data = FileManager.default.contents(atPath: config.path), let text = String(data: data, encoding: .utf8) else {
            throw PipelineError.io(path: config.path, message: "cannot read the run configuration")
        }
        let table = try TOMLTable(string: text)
        guard let ecosystems = table["ecosystems"]?.table else {
            ledger.log("map: the config has no [ecosystems.*] tables; no maps")
            return nil
        }
        for key in ["run", "profiles", "forest", "report"] where table.contains(key: key) { table.remove(at: key) }
        var models: [String] = []
        for name in ecosystems.keys {
            let model = ledger.folder.appendingPathComponent("forest/\(name)/model.sbf").path
            guard let section = ecosystems[name]?.table else {
                throw PipelineError.config(file: config.path, key: "ecosystems.\(name)", message: "must be a table")
            }
            if FileManager.default.fileExists(atPath: model) {
                section["model"] = model
                models.append(model)
            } else {
                ledger.log("map: no model for ecosystem \(name) (see forest/\(name)); it is not mapped")
                ecosystems.remove(at: name)
            }
        }
        guard !models.isEmpty else { return nil }
        let output = table["output"]?.table ?? TOMLTable()
        output["folder"] = ledger.folder.appendingPathComponent("maps").path
        if let threads = config.threads { output["threads"] = threads }
        table["output"] = output
        let mapText = table.convert(to: .toml)
        let mapConfig = try MapConfig.parse(text: mapText, path: config.path)
        return (mapConfig, mapText, models)
    }

    /// Step `map`: predicts β (mean, q05, q95) and SOC density layers per ecosystem on the grid and sums
    /// the stocks (writes `maps/*.tif`, `maps/stocks.csv`, `maps/stocks.json`).
    static func map(config: RunConfig, ledger: StepLedger) throws {
        guard let (mapConfig, mapText, models) = try mapConfig(config: config, ledger: ledger) else { return }
        var rasters = Set<String>()
        for ecosystem in mapConfig.ecosystems {
            rasters.insert(ecosystem.areaPath)
            ecosystem.covariates.values.forEach { rasters.insert($0) }
            ecosystem.topsoil.paths.forEach { rasters.insert($0) }
        }
        try ledger.step("map", parameters: mapText, inputs: models + rasters.sorted()) {
            let started = Date()
            let summary = try MapRun.run(config: mapConfig, options: MapRunOptions(threads: config.threads, progress: { progress in
                guard progress.cellsTotal > 0 else { return }
                let percent = 100 * Double(progress.cellsDone) / Double(progress.cellsTotal)
                let eta = progress.etaSeconds.map { String(format: ", ETA %.0f s", $0) } ?? ""
                FileHandle.standardError.write(Data(String(format: "\r[soilbeta run] map: %5.1f %% of %d cells%@   ",
                                                           percent, progress.cellsTotal, eta).utf8))
            }))
            FileHandle.standardError.write(Data("\n".utf8))
            let folder = ledger.folder.path + "/"
            var outputs = summary.outputs.map { $0.hasPrefix(folder) ? String($0.dropFirst(folder.count)) : $0 }
            outputs += ["maps/stocks.csv", "maps/stocks.json"]
            var note = String(format: "%d ecosystems mapped in %.0f s", mapConfig.ecosystems.count, Date().timeIntervalSince(started))
            if let total = summary.stocks?.first(where: { $0.ecosystem.lowercased().hasPrefix("all") && $0.layer == "20-100" }) {
                note += String(format: "; subsoil (20-100 cm) stock %.1f Pg (%.1f–%.1f)", total.stockPg, total.stockPgQ05, total.stockPgQ95)
            }
            return (outputs, note)
        }
    }

    /// Step `report`: the self-contained `report.html` of the run folder (copies the land mask named by
    /// `[report] land` to `land.tif` for the map backgrounds).
    static func report(config: RunConfig, ledger: StepLedger) throws {
        var inputs: [String] = []
        let landCopy = ledger.folder.appendingPathComponent("land.tif").path
        if let land = try landRaster(config: config) {
            inputs.append(land)
            if (try? ledger.hash(of: landCopy)) != (try ledger.hash(of: land)) {
                let data = try Data(contentsOf: URL(fileURLWithPath: land))
                try AtomicFile.write(data, to: landCopy)
            }
        }
        // The report reads everything the earlier steps wrote (run.json, rewritten every run, is not a key input).
        let tracked = ["beta.csv", "sites.csv", "maps/stocks.csv"] + ledger.records.flatMap(\.outputs)
        for file in Set(tracked).sorted() {
            let path = ledger.folder.appendingPathComponent(file).path
            if FileManager.default.fileExists(atPath: path) && !inputs.contains(path) { inputs.append(path) }
        }
        try ledger.step("report", parameters: "software=\(PipelineRun.version) synthetic=\(config.synthetic)", inputs: inputs) {
            var report = RunReport(runFolder: ledger.folder.path, software: "soilbeta \(PipelineRun.version)")
            let bytes = try report.write(to: ledger.folder.appendingPathComponent("report.html").path)
            return (["report.html"], String(format: "report.html, %.1f MB", Double(bytes) / 1_048_576))
        }
    }

    /// `[report] land`, resolved against the config folder.
    static func landRaster(config: RunConfig) throws -> String? {
        guard let data = FileManager.default.contents(atPath: config.path), let text = String(data: data, encoding: .utf8) else { return nil }
        let reader = ConfigReader(file: config.path, root: try TOMLTable(string: text))
        return try reader.string("report.land").map {
            $0.hasPrefix("/") ? $0 : config.baseFolder.appendingPathComponent($0).standardized.path
        }
    }
}
