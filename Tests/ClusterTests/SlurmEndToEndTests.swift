import Cluster
import DemoData
import Essentials
import Foundation
import Mapping
import Rasters
import RunModel
import Testing

/// `soilbeta submit` on a real SLURM (issue 13 item 3): `scripts/slurm-local.sh start` installs Debian's
/// slurm-wlm and munge when missing and starts munged, slurmctld and slurmd on this machine; every test stops
/// them at its end. If SLURM cannot start, the test fails with the script's reason — it is never skipped.
@Suite(.serialized) struct SlurmEndToEndTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The built `soilbeta` next to the test bundle (or `$SOILBETA_BIN`).
    static var soilbeta: String {
        if let path = ProcessInfo.processInfo.environment["SOILBETA_BIN"] { return path }
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("soilbeta").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            folder.deleteLastPathComponent()
        }
        return packageRoot + "/.build/debug/soilbeta"
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    /// Runs a program; returns exit status and output (standard output and error together).
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        try Subprocess.run(executable, arguments)
    }

    /// Starts the local SLURM (fails the test with the reason when it cannot), runs `body`, stops it.
    static func withSlurm(_ body: () throws -> Void) throws {
        let script = packageRoot + "/scripts/slurm-local.sh"
        let started = try run("/bin/bash", [script, "start"])
        guard started.status == 0 else {
            throw Failure(description: "scripts/slurm-local.sh start failed (exit \(started.status)); SLURM is required by these tests:\n\(started.output)")
        }
        defer {
            if let stopped = try? run("/bin/bash", [script, "stop"]), stopped.status != 0 {
                Issue.record("scripts/slurm-local.sh stop failed:\n\(stopped.output)")
            }
        }
        try body()
    }

    /// Waits until job `id` (or every task of it) has left the queue's active states; returns the states.
    static func waitFor(job id: String, timeout: TimeInterval = 600) throws -> [Int: String] {
        let client = SlurmClient(), deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let states = try client.states(of: id)
            if !states.isEmpty, !states.values.contains(where: { SlurmClient.isActive($0.state) }) { return states.mapValues(\.state) }
            Thread.sleep(forTimeInterval: 0.25)
        }
        throw Failure(description: "job \(id) did not finish within \(Int(timeout)) s")
    }

    /// A job id printed by `soilbeta submit` after `label` (e.g. "mosaic job 12").
    static func jobID(_ label: String, in output: String) throws -> String {
        guard let range = output.range(of: label + " ") else { throw Failure(description: "no '\(label)' in:\n\(output)") }
        let id = String(output[range.upperBound...].prefix { $0.isNumber })
        guard !id.isEmpty else { throw Failure(description: "no id after '\(label)' in:\n\(output)") }
        return id
    }

    /// Synthetic map inputs and the single-machine reference run of the same configuration.
    static func inputs(_ tag: String, resolution: Double, trees: Int) throws -> (folder: String, plan: MapPlan, single: MapPlan) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("soilbeta-slurm-\(tag)-\(UUID().uuidString)").path
        let written = try SyntheticMapInputs.write(folder: folder, grid: RasterGrid.covering(.global, resolution: resolution),
                                                   trainingRows: 150, modelTrees: trees, modelSeed: 5, threads: 2, tileRows: 6)
        let plan = try MapPlan(configuration: RunConfiguration.load(path: written.configPath))
        let single = plan.withRunFolder(folder + "/single")
        _ = try MapRun.run(plan: single, options: MapRunOptions(threads: 2))
        return (folder, plan, single)
    }

    /// Every GeoTIFF and stocks.csv of the cluster run equal the single-machine run's, bit for bit.
    static func expectSameOutputs(_ plan: MapPlan, _ single: MapPlan) throws {
        for ecosystem in plan.ecosystems {
            for product in ecosystem.products {
                let a = try Raster(path: plan.layout.map(ecosystem.ecosystem, product)), b = try Raster(path: single.layout.map(ecosystem.ecosystem, product))
                var x: [Float] = [], y: [Float] = []
                try a.readRows(firstRow: 0, rowCount: a.grid.rows, into: &x)
                try b.readRows(firstRow: 0, rowCount: b.grid.rows, into: &y)
                #expect(x.map(\.bitPattern) == y.map(\.bitPattern), "\(product.fileName(ecosystem.ecosystem)) differs from the single run")
            }
        }
        #expect(try String(contentsOfFile: plan.layout.path(.stocksTable), encoding: .utf8)
                == String(contentsOfFile: single.layout.path(.stocksTable), encoding: .utf8))
        #expect(FileManager.default.fileExists(atPath: plan.layout.path(.mapCube)), "the mosaic job wrote the NetCDF cube")
        #expect(FileManager.default.fileExists(atPath: plan.layout.path(.report)), "the mosaic job finished with the report")
    }

    /// A 4-tile array on a 1° grid, submitted with `soilbeta submit`, equals a single-machine run bit for bit.
    @Test func fourTileArrayEqualsTheSingleMachineRun() throws {
        let (folder, plan, single) = try Self.inputs("array", resolution: 1, trees: 40)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Self.withSlurm {
            let submitted = try Self.run(Self.soilbeta, ["submit", "--config", plan.path, "--engine", "slurm", "--tiles", "4", "--cpus", "1"])
            #expect(submitted.status == 0, "soilbeta submit:\n\(submitted.output)")
            let array = try Self.jobID("map job array", in: submitted.output), mosaic = try Self.jobID("mosaic job", in: submitted.output)
            let tasks = try Self.waitFor(job: array)
            #expect(tasks == [1: "COMPLETED", 2: "COMPLETED", 3: "COMPLETED", 4: "COMPLETED"], "array tasks: \(tasks)")
            let finished = try Self.waitFor(job: mosaic)
            let log = (try? String(contentsOfFile: plan.layout.path(.clusterLogsFolder) + "/mosaic-\(mosaic).out", encoding: .utf8)) ?? ""
            #expect(finished[0] == "COMPLETED", "mosaic job: \(finished)\n\(log)")
            try Self.expectSameOutputs(plan, single)
            let status = try Self.run(Self.soilbeta, ["status", "--run", plan.layout.folder])
            #expect(status.output.contains("tiles done: 4 of 4") && status.output.contains("mosaic: done"), "\(status.output)")
        }
    }

    /// One array task is cancelled (`scancel`) while it runs; `soilbeta status` names it, `soilbeta submit
    /// --only-missing` resubmits it alone and the result equals the single-machine run.
    @Test func cancelledTaskIsResubmittedAloneAndGivesTheSameResult() throws {
        let (folder, plan, single) = try Self.inputs("cancel", resolution: 0.25, trees: 60)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Self.withSlurm {
            let submitted = try Self.run(Self.soilbeta, ["submit", "--config", plan.path, "--engine", "slurm", "--tiles", "4", "--cpus", "1"])
            #expect(submitted.status == 0, "soilbeta submit:\n\(submitted.output)")
            let array = try Self.jobID("map job array", in: submitted.output), mosaic = try Self.jobID("mosaic job", in: submitted.output)
            // Cancel a task mid-run without racing its last write: suspend it (SIGSTOP through SLURM), look at its
            // shard, and cancel it only if the shard is still unfinished; a task caught after its shard landed is
            // resumed and another one is taken. Tiles 2–4: tile 1 may be done before the first look.
            let client = SlurmClient(), deadline = Date().addingTimeInterval(300)
            var cancelled: Int?, passedOver = Set<Int>()
            while cancelled == nil, Date() < deadline {
                let running = try client.states(of: array).filter { $0.key >= 2 && $0.value.state == "RUNNING" && !passedOver.contains($0.key) }
                if let task = running.keys.max() {
                    let suspended = try Self.run("/usr/bin/scontrol", ["suspend", "\(array)_\(task)"])
                    #expect(suspended.status == 0, "scontrol suspend: \(suspended.output)")
                    if try MapMosaic.shardStates(plan: plan, count: 4)[task - 1] == .done {
                        try Self.run("/usr/bin/scontrol", ["resume", "\(array)_\(task)"])
                        passedOver.insert(task)
                    } else {
                        let result = try Self.run("/usr/bin/scancel", ["\(array)_\(task)"])
                        #expect(result.status == 0, "scancel: \(result.output)")
                        cancelled = task
                    }
                }
                Thread.sleep(forTimeInterval: 0.05)
            }
            let task = try #require(cancelled, "no task of array \(array) was seen running")
            let tasks = try Self.waitFor(job: array)
            #expect(tasks[task] == "CANCELLED", "task \(task) was cancelled while running: \(tasks)")
            // The mosaic cannot run now (afterok failed): cancel it as a user would.
            try Self.run("/usr/bin/scancel", [mosaic])
            let status = try Self.run(Self.soilbeta, ["status", "--run", plan.layout.folder])
            #expect(status.output.contains("tile \(task)/4: failed (CANCELLED)"), "\(status.output)")
            #expect(status.output.contains("tiles done: 3 of 4"), "\(status.output)")
            #expect(!FileManager.default.fileExists(atPath: plan.layout.map(.cropland, .beta)), "no partial mosaic")

            let resubmitted = try Self.run(Self.soilbeta, ["submit", "--config", plan.path, "--engine", "slurm", "--tiles", "4",
                                                           "--cpus", "1", "--only-missing"])
            #expect(resubmitted.status == 0, "soilbeta submit --only-missing:\n\(resubmitted.output)")
            #expect(resubmitted.output.contains("tiles \(task) of 4"), "only the cancelled tile is resubmitted:\n\(resubmitted.output)")
            let second = try Self.jobID("mosaic job", in: resubmitted.output)
            let finished = try Self.waitFor(job: second)
            let log = (try? String(contentsOfFile: plan.layout.path(.clusterLogsFolder) + "/mosaic-\(second).out", encoding: .utf8)) ?? ""
            #expect(finished[0] == "COMPLETED", "mosaic job: \(finished)\n\(log)")
            try Self.expectSameOutputs(plan, single)
        }
    }
}
