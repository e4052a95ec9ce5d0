// Reading forest training/prediction tables from CSV (issue 3 item 9: missing-value handling).
import Essentials

/// Features (and optionally the response) taken from a CSV table, with rows holding a missing
/// value either rejected (error naming the first rows and fields) or dropped and counted.
public struct ForestTableInput: Sendable {
    /// The feature matrix of the kept rows.
    public var features: FeatureMatrix
    /// The response of the kept rows, if a target column was requested.
    public var responses: [Double]?
    /// Indices (0-based data rows of the CSV) of the kept rows.
    public var keptRows: [Int]
    /// Number of rows dropped for a missing value (only with `dropMissing`).
    public var droppedCount: Int

    /// Extracts `featureNames` (and `target`, if given) from `table`. A non-numeric value is an
    /// error naming file, line and field; a missing value (empty or NA) is an error listing up to
    /// five offending lines, unless `dropMissing` is set, in which case those rows are dropped.
    public init(table: CSVTable, featureNames: [String], target: String?, dropMissing: Bool) throws {
        guard !featureNames.isEmpty else { throw ForestError.invalidParameter("no features given") }
        if let target, featureNames.contains(target) {
            throw ForestError.invalidParameter("target '\(target)' is also listed as a feature")
        }
        let featureColumns = try featureNames.map { try table.requireColumn($0, purpose: "model feature") }
        let targetColumn = try target.map { try table.requireColumn($0, purpose: "target") }
        try self.init(columns: try featureColumns.map { try table.numericColumn($0) },
                      response: try targetColumn.map { try table.numericColumn($0) },
                      lines: table.lineOfRow, source: table.source, featureNames: featureNames, target: target,
                      dropMissing: dropMissing)
    }

    /// The same from columns already read as numbers (NaN where missing), e.g. a `CSVNumericBatch`:
    /// `columns[f][row]` for `featureNames[f]`, the response (if any), and each row's file line for messages.
    public init(columns: [[Double]], response: [Double]?, lines: [Int], source: String, featureNames: [String],
                target: String?, dropMissing: Bool) throws {
        guard !featureNames.isEmpty, columns.count == featureNames.count else {
            throw ForestError.invalidParameter("no features given")
        }
        var columns = columns
        var response = response
        let rowCount = lines.count
        guard columns.allSatisfy({ $0.count == rowCount }), response.map({ $0.count == rowCount }) ?? true else {
            throw ForestError.invalidInput("\(source): columns of unequal length")
        }
        var isMissing = [Bool](repeating: false, count: rowCount)
        for column in columns + (response.map { [$0] } ?? []) {
            for row in 0..<rowCount where column[row].isNaN { isMissing[row] = true }
        }
        let missingRows = isMissing.indices.filter { isMissing[$0] }
        if !missingRows.isEmpty && !dropMissing {
            let shown = missingRows.prefix(5).map { row -> String in
                var fields = zip(featureNames, columns).filter { $0.1[row].isNaN }.map(\.0)
                if let target, response?[row].isNaN ?? false { fields.append(target) }
                return "line \(lines[row]) (\(fields.joined(separator: ", ")))"
            }
            throw ForestError.invalidInput("\(source): \(missingRows.count) row(s) have missing values: "
                + shown.joined(separator: "; ") + (missingRows.count > 5 ? "; …" : "")
                + " — fill them or pass --drop-missing")
        }
        var kept = Array(0..<rowCount)
        if !missingRows.isEmpty {
            let missing = Set(missingRows)
            kept = kept.filter { !missing.contains($0) }
            columns = columns.map { column in kept.map { column[$0] } }
            response = response.map { values in kept.map { values[$0] } }
        }
        features = try FeatureMatrix(columns: Array(zip(featureNames, columns)).map { (name: $0.0, values: $0.1) })
        responses = response
        keptRows = kept
        droppedCount = missingRows.count
    }
}
