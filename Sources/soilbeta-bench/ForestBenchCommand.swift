// `soilbeta-bench forest-bench`: training and prediction times of the forest (scripts/bench-forest.sh).
import ArgumentParser
import Essentials
import Forest
import Foundation

/// Times training and in-memory prediction of a tiled copy of the training rows; prints one JSON
/// line (seconds, CPU seconds, OOB R², model bytes, nodes, mean prediction).
struct ForestBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "forest-bench",
                                                    abstract: "Time forest training and prediction (used by scripts/bench-forest.sh).")
    @Option(help: "Training table (CSV with header).") var table: String
    @Option(help: "Response column, e.g. beta.") var target: String
    @Option(help: "Comma-separated feature columns.") var features: String
    @Option(help: "Trees, features per split and minimum node size, as TREES,MTRY,MIN_NODE (ranger's settings of the peers).")
    var forest: String = "500,3,5"
    @Option(name: .customLong("run"), help: "Random seed and worker threads, as SEED,THREADS.") var seedAndThreads: String = "1,2"
    @Option(name: .customLong("predict-rows"), help: "Rows to predict: the training features tiled to this length.") var predictRows: Int = 4_000_000
    @Option(help: "Model file to write (its size is reported).") var out: String?

    func run() throws {
        let featureList = features.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let input = try ForestTableInput(table: try CSVTable.read(path: table), featureNames: featureList, target: target,
                                         dropMissing: false)
        guard let responses = input.responses else { throw ValidationError("\(table): no column '\(target)'") }
        let settings = forest.split(separator: ",").compactMap { Int($0) }, runSettings = seedAndThreads.split(separator: ",").compactMap { Int($0) }
        guard settings.count == 3, settings.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--forest must be TREES,MTRY,MIN_NODE") }
        guard runSettings.count == 2, runSettings[0] >= 0, runSettings[1] >= 1 else { throw ValidationError("--run must be SEED,THREADS") }
        let threads = runSettings[1]
        let parameters = ForestParameters(treeCount: settings[0], mtry: settings[1], minNodeSize: settings[2], seed: UInt64(runSettings[0]))
        let clock = ContinuousClock()
        var trained: RandomForest?
        let cpuStart = processCPUSeconds()
        let trainTime = try clock.measure {
            trained = try RandomForest.train(features: input.features, responses: responses, targetName: target,
                                             parameters: parameters, threads: threads)
        }
        guard let model = trained else { throw ValidationError("training returned no model") }
        let trainCPU = processCPUSeconds() - cpuStart
        let bytes = ForestModelFile.encode(model)
        if let out { try AtomicFile.write(Data(bytes), to: out) }
        let n = input.features.rowCount
        let tiled = try FeatureMatrix(featureNames: input.features.featureNames, rowCount: predictRows,
                                      columnMajorValues: (0..<input.features.featureCount).flatMap { f in
                                          (0..<predictRows).lazy.map { input.features.values[f * n + $0 % n] } })
        var predictions: [Double] = []
        let predictCPUStart = processCPUSeconds()
        let predictTime = try clock.measure { predictions = try model.predict(tiled, threads: threads) }
        let predictCPU = processCPUSeconds() - predictCPUStart
        func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
        print(String(format: "{\"train_s\": %.3f, \"predict_s\": %.3f, \"train_cpu_s\": %.3f, \"predict_cpu_s\": %.3f, \"oob_r2\": %.5f, \"model_bytes\": %d, \"nodes\": %d, \"mean_prediction\": %.6g}",
                     seconds(trainTime), seconds(predictTime), trainCPU, predictCPU, model.summary.oobR2, bytes.count, model.nodeCount,
                     predictions.reduce(0, +) / Double(predictions.count)))
    }
}
