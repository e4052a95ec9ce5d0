import Essentials
import Foundation
import Mapping
import Rasters
import Report
import RunModel

/// The grid steps of `soilbeta run`: β and SOC density maps with stocks (paper Sect. 2.4, 3.4–3.5,
/// Table 1; METHOD.md §8–§9), and the HTML report.
enum MapAndReportSteps {
    /// Step `map`: predicts β (mean, q05, q95) and SOC density layers per modelled ecosystem on the grid
    /// and sums the stocks. The plan comes from the same decoded configuration with the run's models;
    /// outputs of ecosystems that are no longer mapped (renamed, removed, not modelled) are removed.
    static func map(_ steps: PipelineSteps, models: [Ecosystem: String]) throws {
        let configuration = steps.configuration, layout = steps.layout, ledger = steps.ledger
        for entry in configuration.ecosystems where models[entry.ecosystem] == nil {
            ledger.log("map: no model for \(entry.ecosystem.name) (see \(layout.relative(layout.path(.forestFolder(entry.ecosystem))))); it is not mapped")
        }
        let plan = try MapPlan(configuration: configuration, models: models)
        removeUnmappedOutputs(plan)
        guard !plan.ecosystems.isEmpty else {
            ledger.log("map: no ecosystem to map (the configuration has no [ecosystems.XX] with a model)")
            for file in [RunFile.stocksTable, .stocksDocument, .mapCube, .mapPage] { AtomicFile.removeQuietly(layout.path(file)) }
            try? FileManager.default.removeItem(atPath: layout.path(.mapPageFolder))
            return
        }
        let models = plan.ecosystems.map(\.modelPath)
        // Every setting but the thread count (results do not depend on it).
        var resultDefining = configuration
        resultDefining.run.threads = nil
        let parameters = String(decoding: try resultDefining.canonicalJSON(), as: UTF8.self)
        try ledger.step("map", parameters: parameters, inputs: models + plan.rasterPaths.sorted()) {
            let started = Date()
            let summary = try MapRun.run(plan: plan, options: MapRunOptions(threads: steps.threads, progress: { progress in
                guard progress.cellsTotal > 0 else { return }
                let percent = 100 * Double(progress.cellsDone) / Double(progress.cellsTotal)
                let eta = progress.etaSeconds.map { String(format: ", ETA %.0f s", $0) } ?? ""
                FileHandle.standardError.write(Data(String(format: "\r[soilbeta run] map: %5.1f %% of %d cells%@   ",
                                                           percent, progress.cellsTotal, eta).utf8))
            }))
            FileHandle.standardError.write(Data("\n".utf8))
            let outputs = summary.outputs + [layout.path(.stocksTable), layout.path(.stocksDocument)]
            var note = String(format: "%d ecosystems mapped in %.0f s", plan.ecosystems.count, Date().timeIntervalSince(started))
            if let total = summary.stocks?.first(where: { $0.isTotal && $0.layer == SOCLayer.labels[SOCLayer.subsoil] }) {
                note += String(format: "; subsoil (20-100 cm) stock %.1f Pg (bounds %.1f–%.1f)", total.stockPg, total.stockPgBoundLow, total.stockPgBoundHigh)
            }
            return (outputs, note)
        }
        // The NetCDF-CF cube of the maps (docs/METHOD.md §9b), its own step: rebuilt only when a map changed.
        let mapFiles = plan.outputPaths()
        try ledger.step("cube", parameters: parameters, inputs: mapFiles) {
            let started = Date()
            guard let cube = try MapCube.write(plan: plan, fingerprint: MapCube.fingerprint(plan: plan)) else {
                return ([], "no NetCDF-CF cube: the grid is not in geographic coordinates")
            }
            return ([cube], String(format: "maps/soilbeta.nc, %.1f MB, in %.0f s", Double((try? FileManager.default.attributesOfItem(atPath: cube)[.size] as? Int) ?? 0) / 1_048_576,
                                   Date().timeIntervalSince(started)))
        }
    }

    /// Removes the map products of every ecosystem the plan does not map, so no stale map is reported.
    static func removeUnmappedOutputs(_ plan: MapPlan) {
        let mapped = Set(plan.ecosystems.map(\.ecosystem))
        for ecosystem in Ecosystem.allCases where !mapped.contains(ecosystem) {
            for product in MapProduct.all { AtomicFile.removeQuietly(plan.layout.map(ecosystem, product)) }
        }
    }

    /// Step `map-page`: the interactive map page `map.html` (with `map/`) over every map of the run, the
    /// profile sites and a click read-out (docs/METHOD.md §9c). Runs when the map step left β maps.
    static func mapPage(_ steps: PipelineSteps) throws {
        let layout = steps.layout
        let mapped = Ecosystem.allCases.filter { FileManager.default.fileExists(atPath: layout.map($0, .beta)) }
        guard !mapped.isEmpty else { return }
        var inputs = mapped.flatMap { e in MapProduct.all.map { layout.map(e, $0) } }.filter { FileManager.default.fileExists(atPath: $0) }
        if FileManager.default.fileExists(atPath: layout.path(.sitesTable)) { inputs.append(layout.path(.sitesTable)) }
        try steps.ledger.step("map-page", parameters: "software=\(SoilBetaVersion.software) synthetic=\(steps.configuration.run.synthetic)",
                              inputs: inputs) {
            let bytes = try MapPage(configuration: steps.configuration).write()
            return ([layout.path(.mapPage), layout.path(.mapPageFolder) + "/index.js"],
                    String(format: "map.html with map/, %.1f MB", Double(bytes) / 1_048_576))
        }
    }

    /// Step `report`: the self-contained `report.html` of the run (copies the land mask named by
    /// `[report] land` to `land.tif` for the map backgrounds).
    static func report(_ steps: PipelineSteps) throws {
        let configuration = steps.configuration, layout = steps.layout, ledger = steps.ledger
        var inputs: [String] = []
        if let land = configuration.report.land {
            let digest = try ledger.hash(of: land)
            inputs.append(land)
            let current: String? = FileManager.default.fileExists(atPath: layout.path(.land)) ? try ledger.hash(of: layout.path(.land)) : nil
            if current != digest {
                // Open it as a raster first, so a bad land file is reported under its own name and never
                // replaces a good copy.
                _ = try Raster(path: land)
                let data: Data
                do { data = try Data(contentsOf: URL(fileURLWithPath: land)) } catch {
                    throw FileError(file: land, message: "cannot read the land raster ([report] land): \(userMessage(for: error))")
                }
                try AtomicFile.write(data, to: layout.path(.land))
            }
        }
        // The report reads everything the earlier steps wrote (run.json, rewritten every run, is not a key input).
        for output in ledger.records.flatMap(\.outputs) {
            let path = layout.path(output)
            if FileManager.default.fileExists(atPath: path) && !inputs.contains(path) { inputs.append(path) }
        }
        try ledger.step("report", parameters: "software=\(SoilBetaVersion.software) synthetic=\(configuration.run.synthetic)", inputs: inputs) {
            var report = RunReport(configuration: configuration)
            let bytes = try report.write(to: layout.path(.report))
            return ([layout.path(.report)], String(format: "report.html, %.1f MB", Double(bytes) / 1_048_576))
        }
    }
}
