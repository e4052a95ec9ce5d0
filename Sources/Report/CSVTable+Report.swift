import Essentials
import Foundation


/// Column look-ups the report needs on top of the project's one CSV reader
/// (`SoilProfiles.CSVTable`): run-folder tables are matched by column name regardless of case,
/// and text columns are read trimmed. Problems surface as `FileError` (file, line, field).
extension CSVTable {
    /// The index of the first column whose name equals one of `names`, ignoring case; nil when
    /// none is present.
    func column(named names: String...) -> Int? {
        for name in names {
            if let index = header.firstIndex(where: { $0.caseInsensitiveCompare(name) == .orderedSame }) { return index }
        }
        return nil
    }

    /// The indices of the columns `names` (matched ignoring case), in the given order.
    /// - Throws: `FileError` naming the file, the header line and the first missing column.
    func requireColumns(_ names: [String]) throws -> [Int] {
        try names.map { name in
            if let index = column(named: name) { return index }
            return try requireColumn(name)
        }
    }

    /// The values of a column as text without surrounding white space.
    func strings(_ column: Int) -> [String] {
        rows.map { $0[column].trimmingCharacters(in: .whitespaces) }
    }
}
