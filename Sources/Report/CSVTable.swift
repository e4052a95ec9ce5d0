import Foundation

/// Errors while reading a run folder, each naming the file and, where it applies, the line
/// and field.
public enum ReportError: Error, CustomStringConvertible, Equatable {
    /// A file could not be read.
    case unreadable(path: String, reason: String)
    /// A CSV or JSON file is malformed.
    case malformed(path: String, line: Int, field: String, reason: String)
    /// The run folder does not exist or is not a folder.
    case noRunFolder(path: String)
    /// The output could not be written.
    case cannotWrite(path: String, reason: String)

    /// A one-line message for the command line.
    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "\(path): cannot read: \(reason)"
        case let .malformed(path, line, field, reason):
            return "\(path), line \(line)" + (field.isEmpty ? "" : ", field '\(field)'") + ": \(reason)"
        case let .noRunFolder(path): return "\(path): no such run folder"
        case let .cannotWrite(path, reason): return "\(path): cannot write: \(reason)"
        }
    }
}

/// A small CSV table (RFC 4180: comma separated, double-quoted fields with `""` escapes,
/// LF or CRLF line ends) as read from a run folder; values stay text until a column is asked
/// for as numbers.
public struct CSVTable: Sendable {
    /// The file it was read from (for error messages).
    public let path: String
    /// Column names of the header line.
    public let header: [String]
    /// Data rows (each padded/truncated to the header's width).
    public let rows: [[String]]
    /// The 1-based line number of each data row in the file.
    public let lineNumbers: [Int]

    /// Parses CSV `text`; `path` is used in error messages only.
    public init(text: String, path: String) throws {
        self.path = path
        var records: [[String]] = []
        var starts: [Int] = []
        var field = ""
        var record: [String] = []
        var inQuotes = false
        var line = 1
        var recordLine = 1
        var fieldWasQuoted = false
        var iterator = Array(text.unicodeScalars)[...]
        func endRecord() {
            record.append(field)
            if !(record.count == 1 && record[0].isEmpty && !fieldWasQuoted) {
                records.append(record)
                starts.append(recordLine)
            }
            record = []
            field = ""
            fieldWasQuoted = false
        }
        while let c = iterator.popFirst() {
            if inQuotes {
                if c == "\"" {
                    if iterator.first == "\"" {
                        field.unicodeScalars.append("\"")
                        iterator.removeFirst()
                    } else {
                        inQuotes = false
                    }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"":
                guard field.isEmpty else {
                    throw ReportError.malformed(path: path, line: line, field: "", reason: "quote inside an unquoted field")
                }
                inQuotes = true
                fieldWasQuoted = true
            case ",":
                record.append(field)
                field = ""
                fieldWasQuoted = false
            case "\r":
                if iterator.first == "\n" { continue }
                endRecord()
                line += 1
                recordLine = line
            case "\n":
                endRecord()
                line += 1
                recordLine = line
            default:
                field.unicodeScalars.append(c)
            }
        }
        if inQuotes {
            throw ReportError.malformed(path: path, line: recordLine, field: "", reason: "unterminated quoted field")
        }
        if !field.isEmpty || !record.isEmpty { endRecord() }
        guard let first = records.first else {
            throw ReportError.malformed(path: path, line: 1, field: "", reason: "empty file (a header line is required)")
        }
        var head = first.map { $0.trimmingCharacters(in: .whitespaces) }
        if let bomless = head.first?.unicodeScalars.first, bomless == "\u{FEFF}" {
            head[0] = String(head[0].unicodeScalars.dropFirst())
        }
        header = head
        var body: [[String]] = []
        for (k, r) in records.dropFirst().enumerated() {
            if r.count > head.count {
                throw ReportError.malformed(path: path, line: starts[k + 1], field: "",
                                            reason: "\(r.count) fields but the header has \(head.count)")
            }
            body.append(r + Array(repeating: "", count: head.count - r.count))
        }
        rows = body
        lineNumbers = Array(starts.dropFirst())
    }

    /// Reads and parses a CSV file.
    public static func read(path: String) throws -> CSVTable {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ReportError.unreadable(path: path, reason: error.localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ReportError.malformed(path: path, line: 1, field: "", reason: "not UTF-8 text")
        }
        return try CSVTable(text: text, path: path)
    }

    /// The index of the first column whose name equals one of `names` (case-insensitive).
    public func column(_ names: String...) -> Int? {
        column(names)
    }

    /// The index of the first column whose name equals one of `names` (case-insensitive).
    public func column(_ names: [String]) -> Int? {
        for name in names {
            if let i = header.firstIndex(where: { $0.caseInsensitiveCompare(name) == .orderedSame }) { return i }
        }
        return nil
    }

    /// Whether a text is a missing value (empty or `NA`, as METHOD.md §1).
    static func isMissing(_ text: String) -> Bool {
        let t = text.trimmingCharacters(in: .whitespaces)
        return t.isEmpty || t == "NA" || t == "NaN" || t == "nan"
    }

    /// The values of a column as numbers; missing values (empty, `NA`) become NaN, anything
    /// else that is not a decimal number is an error naming file, line and field.
    public func numbers(_ column: Int) throws -> [Double] {
        try rows.enumerated().map { k, row in
            let text = row[column].trimmingCharacters(in: .whitespaces)
            if CSVTable.isMissing(text) { return .nan }
            guard let value = Double(text), !text.hasPrefix("0x"), !text.hasPrefix("-0x") else {
                throw ReportError.malformed(path: path, line: lineNumbers[k], field: header[column],
                                            reason: "'\(text)' is not a number")
            }
            return value
        }
    }

    /// The values of a column as trimmed text.
    public func strings(_ column: Int) -> [String] {
        rows.map { $0[column].trimmingCharacters(in: .whitespaces) }
    }

    /// Throws naming the file when any of the required columns is absent.
    public func require(_ names: [String]) throws -> [Int] {
        try names.map { name in
            guard let i = column(name) else {
                throw ReportError.malformed(path: path, line: 1, field: name,
                                            reason: "missing column '\(name)' (header: \(header.joined(separator: ",")))")
            }
            return i
        }
    }
}
