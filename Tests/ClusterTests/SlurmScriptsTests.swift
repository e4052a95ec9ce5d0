import Cluster
import DemoData
import Essentials
import Foundation
import Rasters
import RunModel
import Testing

/// The batch scripts and the sbatch commands of `soilbeta submit --dry-run` (no scheduler needed).
@Suite struct SlurmScriptsTests {
    @Test func dryRunWritesTheArrayAndMosaicScriptsWithTheirDependencies() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("soilbeta-submit-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let written = try SyntheticMapInputs.write(folder: folder, grid: RasterGrid.covering(.global, resolution: 5), trainingRows: 60,
                                                   modelTrees: 5, modelSeed: 3, threads: 2, tileRows: 8)
        let configuration = try RunConfiguration.load(path: written.configPath)
        var options = SubmitOptions(tiles: 3, resources: SlurmResources(partition: "long", time: "01:00:00", memory: "4G", cpus: 2),
                                    executable: "/opt/soil beta/soilbeta")
        options.dryRun = true
        let summary = try ClusterSubmit.submit(configuration: configuration, options: options)
        let layout = configuration.layout
        #expect(summary.scripts == [layout.path(.clusterScript("map-array.sh")), layout.path(.clusterScript("mosaic.sh"))],
                "a map-only configuration has no training job")
        #expect(summary.commands == ["sbatch --array=1-3 \(layout.path(.clusterScript("map-array.sh")))",
                                     "sbatch --dependency=afterok:<array job> \(layout.path(.clusterScript("mosaic.sh")))"])
        let array = try String(contentsOfFile: layout.path(.clusterScript("map-array.sh")), encoding: .utf8)
        for line in ["#SBATCH --cpus-per-task=2", "#SBATCH --partition=long", "#SBATCH --time=01:00:00", "#SBATCH --mem=4G",
                     "exec '/opt/soil beta/soilbeta' map --config '\(configuration.file)' --tile \"${SLURM_ARRAY_TASK_ID}/3\""] {
            #expect(array.contains(line), "map-array.sh lacks \(line)\n\(array)")
        }
        let mosaic = try String(contentsOfFile: layout.path(.clusterScript("mosaic.sh")), encoding: .utf8)
        #expect(mosaic.contains("mosaic --config '\(configuration.file)' --tiles 3") && mosaic.contains("report --config"))
        #expect(!FileManager.default.fileExists(atPath: layout.path(.submission)), "a dry run submits and records nothing")
        let attributes = try FileManager.default.attributesOfItem(atPath: layout.path(.clusterScript("map-array.sh")))
        #expect((attributes[.posixPermissions] as? Int ?? 0) & 0o100 != 0, "scripts are executable")
    }

    @Test func tooManyTilesAreRefused() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("soilbeta-submit-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let written = try SyntheticMapInputs.write(folder: folder, grid: RasterGrid.covering(.global, resolution: 10), trainingRows: 60,
                                                   modelTrees: 5, modelSeed: 3, threads: 2, tileRows: 8)
        var options = SubmitOptions(tiles: 19, resources: SlurmResources(), executable: "/usr/bin/true")
        options.dryRun = true
        #expect(throws: ClusterError.invalidOption("--tiles 19 is more than the grid's 18 rows")) {
            try ClusterSubmit.submit(configuration: RunConfiguration.load(path: written.configPath), options: options)
        }
    }
}
