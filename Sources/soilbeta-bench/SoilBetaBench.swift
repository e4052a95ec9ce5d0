// The benchmark tool: timing and synthetic-input commands used by scripts/bench-*.sh, kept out
// of the `soilbeta` product.
import ArgumentParser
import Foundation

/// `soilbeta-bench`: the commands the benchmark scripts call (`forest-bench`, `map-synthetic-inputs`).
@main
struct SoilBetaBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soilbeta-bench",
        abstract: "Benchmark tooling for soilbeta (used by scripts/bench-forest.sh and scripts/bench-map.sh).",
        subcommands: [ForestBenchCommand.self, MapSyntheticInputsCommand.self, IntervalCalibrationCommand.self]
    )
}

/// Writes `message` and a newline to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Runs `body`, turning library errors into a message on stderr and exit status 1.
func runReportingErrors(_ body: () throws -> Void) throws {
    do { try body() } catch let error as ExitCode { throw error } catch {
        printError("error: \(error)")
        throw ExitCode(1)
    }
}

/// CPU seconds used so far by this process (all threads, user + system).
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6
}
