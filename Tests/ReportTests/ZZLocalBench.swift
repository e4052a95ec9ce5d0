import Foundation
import Testing

@Test func makeBenchRun() throws {
    guard let target = ProcessInfo.processInfo.environment["SOILBETA_MAKE_BENCH_RUN"] else { return }
    try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
    try makeSyntheticRun(at: target, cell: 1.0 / 12)
}
