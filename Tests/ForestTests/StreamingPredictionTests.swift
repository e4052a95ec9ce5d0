import Essentials
import Foundation
import Testing
@testable import Forest

/// `soilbeta forest predict` streams its table (issue 13 item 4): chunk by chunk, the output equals the
/// whole-table prediction byte for byte, errors name the line of the file, and nothing partial is left.
@Suite struct StreamingPredictionTests {
    /// A table of `rows` rows with the features of `forest`, an id column with quoted text (commas, quotes,
    /// line breaks) and, every 97th row, a missing value.
    static func writeTable(_ path: String, forest: RandomForest, rows: Int, missing: Bool, crlf: Bool = true) throws -> CSVTable {
        var random = SplitMix64(seed: 9)
        var text = (["id"] + forest.featureNames).joined(separator: ",") + (crlf ? "\r\n" : "\n")
        for row in 0..<rows {
            let id = row % 13 == 0 ? "\"site \(row), \"\"B\"\"\nline two\"" : "s\(row)"
            let values = forest.featureNames.indices.map { feature -> String in
                missing && row % 97 == 5 && feature == 2 ? "NA" : String(random.uniform(0, 1))
            }
            text += ([id] + values).joined(separator: ",") + (crlf && row % 2 == 0 ? "\r\n" : "\n")
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try CSVTable.read(path: path)
    }

    @Test func chunkedOutputEqualsTheWholeTablePrediction() throws {
        let forest = try ModelFileTests.smallForest(quantiles: true)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stream-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let table = try Self.writeTable(folder + "/new.csv", forest: forest, rows: 20_000, missing: true)
        // The reference: the whole table in memory.
        let input = try ForestTableInput(table: table, featureNames: forest.featureNames, target: nil, dropMissing: true)
        let whole = try forest.predictWithQuantiles(input.features, quantiles: [0.05, 0.95], threads: 2)
        let idColumn = try #require(table.column("id"))
        let expected = ForestOutputs.predictionCSV(predictions: whole.mean, quantiles: [(0.05, whole.quantiles[0]), (0.95, whole.quantiles[1])],
                                                   keep: [("id", input.keptRows.map { table.rows[$0][idColumn] })])
        // 64 KB chunks: the 20,000-row table (≈ 2.6 MB) is read in about 40 chunks, records cut anywhere.
        let summary = try StreamingPrediction.predict(forest: forest, table: folder + "/new.csv", quantiles: [0.05, 0.95], keep: ["id"],
                                                      threads: 2, dropMissing: true, output: folder + "/out.csv", chunkBytes: 1 << 16)
        #expect(summary == StreamingPrediction.Summary(rows: input.keptRows.count, dropped: input.droppedCount))
        #expect(summary.dropped == (0..<20_000).filter { $0 % 97 == 5 }.count)
        let written = try Data(contentsOf: URL(fileURLWithPath: folder + "/out.csv"))
        #expect(written == expected, "streamed output differs from the whole-table prediction")
    }

    @Test func badValueDeepInTheFileNamesItsLineAndLeavesNoOutput() throws {
        let forest = try ModelFileTests.smallForest(quantiles: false)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stream-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        _ = try Self.writeTable(folder + "/new.csv", forest: forest, rows: 5_000, missing: false, crlf: false)
        var lines = try String(contentsOfFile: folder + "/new.csv", encoding: .utf8).components(separatedBy: "\n")
        // Physical line 4,601 of the file (ids with line breaks take two lines) gets a decimal comma.
        let target = 4_600
        try #require(lines.count > target)
        lines[target] = lines[target].replacingOccurrences(of: "0.", with: "0,", options: [], range: lines[target].range(of: "0."))
        try lines.joined(separator: "\n").write(toFile: folder + "/bad.csv", atomically: true, encoding: .utf8)
        var wholeError = "", streamError = ""
        do { _ = try CSVTable.read(path: folder + "/bad.csv") } catch { wholeError = "\(error)" }
        do {
            _ = try StreamingPrediction.predict(forest: forest, table: folder + "/bad.csv", quantiles: [], keep: [], threads: 2,
                                                dropMissing: false, output: folder + "/out.csv", chunkBytes: 1 << 16)
        } catch { streamError = "\(error)" }
        #expect(!wholeError.isEmpty && streamError == wholeError, "stream: \(streamError)\nwhole file: \(wholeError)")
        #expect(streamError.contains("bad.csv:\(target + 1)"), "\(streamError)")
        let left = try FileManager.default.contentsOfDirectory(atPath: folder)
        #expect(!left.contains { $0.contains("out.csv") }, "no partial output: \(left)")
    }
}
