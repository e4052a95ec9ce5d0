import Essentials
import Foundation
@testable import RunModel
import Testing

/// A seeded property test of the configuration decoder (bounded: a few thousand inputs, about a second):
/// whatever the text, decoding returns a configuration or throws a `ConfigError` naming a key — never a
/// crash, never another error type. For longer runs by hand: `FUZZ_SEED=n FUZZ_COUNT=20000`; with
/// `FUZZ_TRACE=file` every input is written to `file` first, so a crash leaves its input there.
@Suite struct ConfigurationFuzzTests {
    static let valid = """
    [run]
    folder = "run"
    seed = 7
    threads = 2
    synthetic = true
    [profiles]
    horizons = "h.csv"
    sites = "s.csv"
    columns = { soc = "ORCDRC" }
    bd_fill = 1.3
    [forest]
    features = ["mat", "clay"]
    trees = 100
    tune_trees = [50, 100]
    quantiles = [0.05, 0.95]
    block_deg = 5
    [grid]
    resolution = 1.0
    extent = [-180, -90, 180, 90]
    [map]
    tile_rows = 8
    [topsoil]
    soc = "soc.tif"
    bd = "bd.tif"
    [covariates]
    mat = "mat.tif"
    [ecosystems.cropland]
    area = "cl.tif"
    area_unit = "ha"
    [report]
    land = "land.tif"

    """

    /// Pieces spliced into the text: TOML syntax, wrong types, extreme numbers, odd characters.
    static let pieces = ["=", "[", "]", "{", "}", "\"", "'", ",", "\n", "#", ".", "-1", "1e400", "9223372036854775808",
                         "nan", "inf", "true", "\"\u{0}\"", "[[x]]", "[ecosystems.shrubland]", "tress = 3", "x.y.z = 1",
                         "\"\\u00e9\"", "0x10", "1979-05-27", "🌱", " ", "\t"]

    func decode(_ text: String) {
        if let path = ProcessInfo.processInfo.environment["FUZZ_TRACE"] { try? text.write(toFile: path, atomically: false, encoding: .utf8) }
        do {
            _ = try RunConfiguration.decode(text: text, path: "/tmp/fuzz/run.toml")
        } catch let error as ConfigError {
            #expect(error.file == "/tmp/fuzz/run.toml" && !error.key.isEmpty, "\(error)")
        } catch {
            Issue.record("unexpected error type \(type(of: error)): \(error) for \(text.debugDescription)")
        }
    }

    @Test func mutatedConfigurationsDecodeOrNameAKey() {
        var random = SplitMix64(seed: UInt64(ProcessInfo.processInfo.environment["FUZZ_SEED"] ?? "42") ?? 42)
        let base = Array(Self.valid)
        for _ in 0..<(Int(ProcessInfo.processInfo.environment["FUZZ_COUNT"] ?? "2000") ?? 2000) {
            var text = base
            for _ in 0..<(1 + Int(random.next() % 4)) {
                let position = Int(random.next() % UInt64(text.count + 1))
                switch random.next() % 3 {
                case 0: if position < text.count { text.remove(at: position) }
                case 1: text.insert(contentsOf: Self.pieces[Int(random.next() % UInt64(Self.pieces.count))], at: position)
                default:
                    let end = min(text.count, position + Int(random.next() % 12))
                    text.removeSubrange(position..<end)
                }
            }
            decode(String(text))
        }
    }

    @Test func everyTruncationDecodesOrNamesAKey() {
        let text = Array(Self.valid)
        for cut in stride(from: 0, through: text.count, by: 3) { decode(String(text[..<cut])) }
    }
}
