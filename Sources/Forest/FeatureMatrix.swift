// Column-major feature matrices used for training and prediction (METHOD.md §7).

/// A dense matrix of numeric features, stored column by column (`values[feature * rowCount + row]`),
/// with one name per column. Units are whatever the covariates carry; the forest is unit-free.
public struct FeatureMatrix: Sendable, Equatable {
    /// Names of the features (columns), in column order.
    public let featureNames: [String]
    /// Number of rows (observations or grid cells).
    public let rowCount: Int
    /// The values, column-major: `values[feature * rowCount + row]`.
    public let values: [Double]

    /// Creates a matrix from column-major values; `values.count` must be `rowCount * featureNames.count`.
    public init(featureNames: [String], rowCount: Int, columnMajorValues: [Double]) throws {
        guard columnMajorValues.count == rowCount * featureNames.count else {
            throw ForestError.invalidInput("matrix has \(columnMajorValues.count) values, expected \(rowCount) rows × \(featureNames.count) features")
        }
        guard Set(featureNames).count == featureNames.count else {
            throw ForestError.invalidInput("duplicate feature names in \(featureNames)")
        }
        self.featureNames = featureNames
        self.rowCount = rowCount
        self.values = columnMajorValues
    }

    /// A matrix whose names and value count are already known to be valid (a row selection of one).
    init(checkedNames featureNames: [String], rowCount: Int, columnMajorValues: [Double]) {
        (self.featureNames, self.rowCount, self.values) = (featureNames, rowCount, columnMajorValues)
    }

    /// Creates a matrix from one array per feature (all of equal length).
    public init(columns: [(name: String, values: [Double])]) throws {
        let rows = columns.first?.values.count ?? 0
        var flat: [Double] = []
        flat.reserveCapacity(rows * columns.count)
        for column in columns {
            guard column.values.count == rows else {
                throw ForestError.invalidInput("feature '\(column.name)' has \(column.values.count) values, expected \(rows)")
            }
            flat.append(contentsOf: column.values)
        }
        try self.init(featureNames: columns.map(\.name), rowCount: rows, columnMajorValues: flat)
    }

    /// Number of features (columns).
    public var featureCount: Int { featureNames.count }

    /// The value of `feature` in `row`.
    @inline(__always)
    public func value(row: Int, feature: Int) -> Double { values[feature * rowCount + row] }

    /// A matrix holding only the given rows, in the given order.
    public func selectingRows(_ rows: [Int]) -> FeatureMatrix {
        var flat = [Double](repeating: 0, count: rows.count * featureCount)
        for feature in 0..<featureCount {
            let source = feature * rowCount
            let target = feature * rows.count
            for (k, row) in rows.enumerated() { flat[target + k] = values[source + row] }
        }
        // The same names and a value count of rows × features: the initialiser's checks cannot fail.
        return FeatureMatrix(checkedNames: featureNames, rowCount: rows.count, columnMajorValues: flat)
    }

    /// The first row (0-based) and feature name holding a NaN or infinite value, if any.
    public func firstNonFiniteValue() -> (row: Int, feature: String)? {
        var best: (row: Int, feature: String)? = nil
        for feature in 0..<featureCount {
            let base = feature * rowCount
            for row in 0..<rowCount where !values[base + row].isFinite {
                if best == nil || row < best!.row { best = (row, featureNames[feature]) }
                break
            }
        }
        return best
    }

    /// Rows (0-based) that have at least one NaN or infinite feature value.
    public func rowsWithNonFiniteValues() -> [Int] {
        var bad = [Bool](repeating: false, count: rowCount)
        for feature in 0..<featureCount {
            let base = feature * rowCount
            for row in 0..<rowCount where !values[base + row].isFinite { bad[row] = true }
        }
        return bad.indices.filter { bad[$0] }
    }
}
