import Essentials
import Foundation

/// A row type of one of the run folder's CSV tables. Its `columns` are the table's contract: the step
/// that writes the table and the report that reads it both go through `RunTable.write` / `RunTable.read`
/// with this list, so a column is named in exactly one place.
public protocol TableRow: Sendable {
    /// An empty row (every field at its missing value) that reading fills column by column.
    init()
    /// The columns, in file order.
    static var columns: [TableColumn<Self>] { get }
}

/// One column of a `TableRow`: its header name and how a field is written and read.
public struct TableColumn<Row> {
    /// Header name.
    public let name: String
    /// A missing column is tolerated on reading (the field keeps its empty value).
    public let optional: Bool
    let write: (Row) -> String
    let read: (inout Row, String, _ context: FieldContext) throws -> Void

    /// Text column.
    public static func text(_ name: String, _ keyPath: WritableKeyPath<Row, String>, optional: Bool = false) -> TableColumn {
        TableColumn(name: name, optional: optional, write: { $0[keyPath: keyPath] }, read: { row, field, _ in row[keyPath: keyPath] = field })
    }

    /// Number column; NaN is written as an empty field (missing) and read back as NaN. `format` chooses
    /// the shortest round-trip text (default) or `%.17g`.
    public static func number(_ name: String, _ keyPath: WritableKeyPath<Row, Double>, format: NumberFormat = .shortest,
                              optional: Bool = false, range: ClosedRange<Double>? = nil) -> TableColumn {
        TableColumn(name: name, optional: optional, write: { format.text($0[keyPath: keyPath]) }, read: { row, field, context in
            row[keyPath: keyPath] = try context.number(field, range: range)
        })
    }

    /// Whole-number column.
    public static func integer(_ name: String, _ keyPath: WritableKeyPath<Row, Int>, optional: Bool = false) -> TableColumn {
        TableColumn(name: name, optional: optional, write: { String($0[keyPath: keyPath]) }, read: { row, field, context in
            row[keyPath: keyPath] = try context.integer(field)
        })
    }

    /// Ecosystem column (written as the name, read in any accepted spelling; empty = none).
    public static func ecosystem(_ name: String, _ keyPath: WritableKeyPath<Row, Ecosystem?>, optional: Bool = false) -> TableColumn {
        TableColumn(name: name, optional: optional, write: { $0[keyPath: keyPath]?.name ?? "" }, read: { row, field, context in
            row[keyPath: keyPath] = try context.ecosystem(field)
        })
    }

    /// Flag column written `1`/`0`.
    public static func flag(_ name: String, _ keyPath: WritableKeyPath<Row, Bool>) -> TableColumn {
        TableColumn(name: name, optional: false, write: { $0[keyPath: keyPath] ? "1" : "0" }, read: { row, field, context in
            row[keyPath: keyPath] = try context.integer(field) != 0
        })
    }
}

/// How numbers are written.
public enum NumberFormat: Sendable {
    /// The shortest text that reads back to the same `Double` (`CSVWriter.format`).
    case shortest
    /// `%.17g`.
    case digits17

    /// `value` as text; empty for NaN.
    public func text(_ value: Double) -> String {
        guard !value.isNaN else { return "" }
        switch self {
        case .shortest: return CSVWriter.format(value)
        case .digits17: return String(format: "%.17g", value)
        }
    }
}

/// Where a field is, for error messages while reading.
public struct FieldContext {
    /// The file.
    public let file: String
    /// 1-based line.
    public let line: Int
    /// Column name.
    public let column: String

    func fail(_ message: String) -> FileError { FileError(file: file, line: line, field: column, message: message) }

    /// A number; empty or `NA` → NaN. A value outside `range` is an error.
    public func number(_ field: String, range: ClosedRange<Double>? = nil) throws -> Double {
        if CSVTable.isMissingText(field) { return .nan }
        guard let value = CSVTable.parseDecimal(field) else { throw fail("'\(CSVTable.abbreviated(field))' is not a number") }
        if let range, !range.contains(value) { throw fail("\(value) is outside \(range.lowerBound)…\(range.upperBound)") }
        return value
    }

    /// A whole number.
    public func integer(_ field: String) throws -> Int {
        guard let value = Int(field.trimmingCharacters(in: .whitespaces)) else {
            throw fail("'\(CSVTable.abbreviated(field))' is not a whole number")
        }
        return value
    }

    /// An ecosystem, or nil for an empty field.
    public func ecosystem(_ field: String) throws -> Ecosystem? {
        if CSVTable.isMissingText(field) { return nil }
        guard let value = Ecosystem(parsing: field) else {
            throw fail("'\(CSVTable.abbreviated(field))' is not an ecosystem (\(Ecosystem.acceptedSpellings))")
        }
        return value
    }
}

/// The one writer and reader of the run folder's typed tables.
public enum RunTable {
    /// CSV text of `rows` with the columns of `Row`, leaving out `omitting` (optional columns a table does
    /// not have, e.g. site columns of a β table without sites).
    public static func csv<Row: TableRow>(_ rows: [Row], omitting: Set<String> = []) -> String {
        let columns = Row.columns.filter { !omitting.contains($0.name) }
        var writer = CSVWriter(header: columns.map(\.name))
        for row in rows { writer.append(row: columns.map { $0.write(row) }) }
        return writer.csvText
    }

    /// Writes `rows` to `path` atomically.
    public static func write<Row: TableRow>(_ rows: [Row], to path: String, omitting: Set<String> = []) throws {
        try AtomicFile.write(text: csv(rows, omitting: omitting), to: path)
    }

    /// Reads the table at `path` into rows. Every non-optional column of `Row` must be in the header.
    /// - Throws: `FileError` naming the file and the missing column, or file, line and field of a bad value.
    public static func read<Row: TableRow>(_ type: Row.Type, from path: String) throws -> [Row] {
        try rows(Row.self, of: CSVTable.read(path: path))
    }

    /// Rows of a parsed table (see `read`).
    public static func rows<Row: TableRow>(_ type: Row.Type, of table: CSVTable) throws -> [Row] {
        var present: [(TableColumn<Row>, Int)] = []
        for column in Row.columns {
            if let index = table.column(column.name) {
                present.append((column, index))
            } else if !column.optional {
                throw FileError(file: table.source, line: 1, field: column.name,
                                message: "required column is missing (columns: \(Row.columns.map(\.name).joined(separator: ", ")))")
            }
        }
        var rows: [Row] = []
        rows.reserveCapacity(table.rows.count)
        for (r, fields) in table.rows.enumerated() {
            var row = Row()
            for (column, index) in present {
                try column.read(&row, fields[index], FieldContext(file: table.source, line: table.lineOfRow[r], column: column.name))
            }
            rows.append(row)
        }
        return rows
    }
}

/// JSON documents of the run folder (manifest, summaries): one encoder and decoder, errors naming the file.
public enum RunDocument {
    /// Writes `value` as pretty, key-sorted JSON to `path` atomically (non-finite numbers as strings).
    public static func write<Value: Encodable>(_ value: Value, to path: String) throws {
        try AtomicFile.write(try encode(value, for: path), to: path)
    }

    /// `value` as pretty, key-sorted JSON; `path` names the document in errors.
    public static func encode<Value: Encodable>(_ value: Value, for path: String) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do { return try encoder.encode(value) } catch {
            throw FileError(file: path, message: "cannot encode: \(userMessage(for: error))")
        }
    }

    /// Reads a JSON document written by `write`.
    /// - Throws: `FileError` naming the file (and the key path of a missing or mistyped field).
    public static func read<Value: Decodable>(_ type: Value.Type, from path: String) throws -> Value {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileError(file: path, message: FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file")
        }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do { return try decoder.decode(type, from: data) } catch let error as DecodingError {
            switch error {
            case let .keyNotFound(key, context):
                let keyPath = (context.codingPath + [key]).map(\.stringValue).joined(separator: ".")
                throw FileError(file: path, field: keyPath, message: "required field is missing")
            case let .typeMismatch(_, context), let .valueNotFound(_, context), let .dataCorrupted(context):
                let keyPath = context.codingPath.map(\.stringValue).joined(separator: ".")
                throw FileError(file: path, field: keyPath.isEmpty ? nil : keyPath, message: context.debugDescription)
            @unknown default:
                throw FileError(file: path, message: "\(error)")
            }
        }
    }
}
