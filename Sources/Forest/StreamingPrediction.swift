// `soilbeta forest predict` on a table of any size: read in chunks, predicted and written chunk by chunk.
import Essentials
import Foundation

/// Predicts a CSV table with a forest in bounded memory: the table is read in chunks of whole records
/// (`CSVStream.nextNumericBatch`, parsed with all threads), each chunk's features are predicted (mean, and QRF quantiles when asked) with all threads,
/// and its rows are appended to the output, which is written under a temporary name and renamed when
/// complete (an error leaves no partial output). Rows and values are those of `ForestTableInput` and
/// `ForestOutputs.predictionCSV` on the whole table.
public enum StreamingPrediction {
    /// What was predicted.
    public struct Summary: Sendable, Equatable {
        /// Rows written.
        public var rows: Int
        /// Rows dropped for a missing feature value (with `dropMissing`).
        public var dropped: Int
    }

    /// Predicts `table` with `forest` into `output`.
    /// - Parameters:
    ///   - quantiles: probabilities of the QRF quantiles to add (the model must hold quantile data).
    ///   - keep: input columns carried into the output.
    ///   - chunkBytes: approximate bytes of input per chunk.
    /// - Throws: `FileError` naming file, line and field for bad input; `ForestError` for a model without
    ///   quantile data or a missing value without `dropMissing`.
    public static func predict(forest: RandomForest, table: String, quantiles: [Double], keep: [String], threads: Int?,
                               dropMissing: Bool, output: String, chunkBytes: Int = 8 << 20) throws -> Summary {
        let stream = try CSVStream(path: table, chunkBytes: chunkBytes)
        for name in forest.featureNames + keep where !stream.header.contains(name) {
            let purpose = keep.contains(name) && !forest.featureNames.contains(name) ? "--keep" : "model feature"
            throw FileError(file: table, line: 1, field: name,
                            message: "required column is missing (\(purpose)); columns present: \(stream.header.joined(separator: ", "))")
        }
        try AtomicFile.requireWritableFolder(for: output)
        let temporary = AtomicFile.temporaryPath(besides: output, tag: "partial")
        guard FileManager.default.createFile(atPath: temporary, contents: nil), let handle = FileHandle(forWritingAtPath: temporary) else {
            throw FileError(file: output, message: "cannot create the output file")
        }
        var published = false
        defer {
            try? handle.close()
            if !published { AtomicFile.removeQuietly(temporary) }
        }
        var summary = Summary(rows: 0, dropped: 0)
        var first = true
        let columnOf = Dictionary(stream.header.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let featureColumns = forest.featureNames.compactMap { columnOf[$0] }
        let keptColumns = keep.compactMap { columnOf[$0] }
        while let batch = try stream.nextNumericBatch(numeric: featureColumns, text: keptColumns,
                                                      threads: resolvedThreadCount(threads)) {
            if batch.count == 0 { continue }
            let input = try ForestTableInput(columns: batch.numbers, response: nil, lines: batch.lines, source: table,
                                             featureNames: forest.featureNames, target: nil, dropMissing: dropMissing)
            let keepColumns = keep.indices.map { k in (name: keep[k], values: input.keptRows.map { batch.texts[k][$0] }) }
            var mean: [Double] = [], quantileColumns: [(probability: Double, values: [Double])] = []
            if input.features.rowCount > 0 {
                if quantiles.isEmpty {
                    mean = try forest.predict(input.features, threads: threads)
                } else {
                    let result = try forest.predictWithQuantiles(input.features, quantiles: quantiles, threads: threads)
                    mean = result.mean
                    quantileColumns = zip(quantiles, result.quantiles).map { ($0, $1) }
                }
            } else {
                quantileColumns = quantiles.map { ($0, []) }
            }
            let bytes = ForestOutputs.predictionCSV(predictions: mean, quantiles: quantileColumns, keep: keepColumns, header: first)
            do { try handle.write(contentsOf: bytes) } catch {
                throw FileError(file: output, message: "cannot write: \(userMessage(for: error))")
            }
            first = false
            summary.rows += mean.count
            summary.dropped += input.droppedCount
        }
        if first {
            try handle.write(contentsOf: ForestOutputs.predictionCSV(predictions: [], quantiles: quantiles.map { ($0, []) },
                                                                     keep: keep.map { ($0, []) }, header: true))
        }
        try handle.close()
        try AtomicFile.publish(temporary, as: output)
        published = true
        return summary
    }
}
