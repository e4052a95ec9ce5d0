// Tables and JSON documents written by the forest commands.
import Foundation
import Essentials

/// Builders of the files the `soilbeta forest` commands write (summary JSON, importance,
/// tuning and cross-validation tables, prediction tables).
/// The prediction table of `soilbeta forest predict` (the run's forest tables are typed rows in RunModel).
public enum ForestOutputs {
    /// Column name of a quantile: 0.05 → `q05`, 0.95 → `q95`, 0.5 → `q50`, 0.025 → `q02.5`.
    public static func quantileColumnName(_ probability: Double) -> String {
        let percent = probability * 100
        let rounded = percent.rounded()
        if abs(percent - rounded) < 1e-9 { return rounded < 10 ? "q0\(Int(rounded))" : "q\(Int(rounded))" }
        let text = String(format: "%g", percent)
        return percent < 10 ? "q0\(text)" : "q\(text)"
    }

    /// The prediction table as CSV bytes: `prediction`, one column per quantile, then the kept
    /// input columns (`keep` = (name, values per output row)).
    public static func predictionCSV(predictions: [Double], quantiles: [(probability: Double, values: [Double])],
                                     keep: [(name: String, values: [String])], header: Bool = true) -> Data {
        var text = header ? (["prediction"] + quantiles.map { quantileColumnName($0.probability) } + keep.map(\.name))
            .map(CSVWriter.quoted).joined(separator: ",") + "\n" : ""
        text.reserveCapacity(predictions.count * (24 * (1 + quantiles.count) + 12 * keep.count))
        for row in predictions.indices {
            text += CSVWriter.format(predictions[row])
            for q in quantiles { text += ","; text += CSVWriter.format(q.values[row]) }
            for column in keep { text += ","; text += CSVWriter.quoted(column.values[row]) }
            text += "\n"
        }
        return Data(text.utf8)
    }
}
