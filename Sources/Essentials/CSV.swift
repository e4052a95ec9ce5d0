import Foundation

/// The one error type of file input and output: names the file, the 1-based line and, where known, the
/// field (column). Thrown by the CSV reader and writer, `AtomicFile`, `ContentHash` and the table readers.
///
/// Its `description` reads `FILE:LINE: field 'NAME': MESSAGE`, the form every soilbeta command prints
/// before exiting with a non-zero status.
public struct FileError: SoilBetaError, Sendable, Equatable {
    /// Path of the file as given by the user.
    public let file: String
    /// 1-based physical line number where the problem is, or `nil` for whole-file problems.
    public let line: Int?
    /// Column (header) name at fault, if any.
    public let field: String?
    /// What is wrong, in words a user can act on.
    public let message: String

    /// Creates an error for `file`, optionally pointing at a line and a field.
    public init(file: String, line: Int? = nil, field: String? = nil, message: String) {
        (self.file, self.line, self.field) = (file, line, field)
        self.message = message
    }

    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        text += ": "
        if let field { text += "field '\(field)': " }
        return text + message
    }
}

/// How a delimited text file is written when it is not soilbeta's own CSV: the field separator, and numbers
/// that stand for a missing value (e.g. `-9999` in the Africa Soil Profiles database).
public struct CSVFormat: Sendable, Equatable {
    /// The field separator.
    public enum Separator: Sendable, Equatable {
        /// `,` (RFC 4180; soilbeta's own files). A header holding only semicolons or tabs is refused.
        case comma
        /// `;`, as many European spreadsheet exports and the ISCN3 database.
        case semicolon
        /// A tab, as TSV exports (e.g. the WoSIS snapshots).
        case tab
        /// Whichever of `,` `;` and tab occurs most often in the header line (outside quotes); comma on a tie.
        case fromHeader
    }
    /// The field separator.
    public var separator: Separator
    /// Numbers read as a missing value wherever a number is expected (besides empty fields and `NA`).
    public var missingNumbers: [Double]

    /// A format; the default is soilbeta's CSV (comma, no missing-value numbers).
    public init(separator: Separator = .comma, missingNumbers: [Double] = []) {
        (self.separator, self.missingNumbers) = (separator, missingNumbers)
    }

    /// soilbeta's own CSV.
    public static let standard = CSVFormat()
}

/// A parsed CSV file: a header row and data rows of string fields, each row with the line it starts on.
///
/// Parsing follows RFC 4180 (comma separator, or `;` or tab when a `CSVFormat` says so; `"` quoting with `""`
/// escapes, LF or CRLF line ends, an optional UTF-8 byte-order mark). Structural faults — an empty file, an
/// empty or duplicate header name, a row with more or fewer fields than the header, a stray or unterminated quote, invalid UTF-8 — are
/// errors naming file and line. Values are kept as text; typed access (`number(row:column:)`) validates.
/// A missing value is an empty field or `NA` (METHOD.md §1), or a number the format names.
public struct CSVTable: Sendable {
    /// Path of the file as given by the user (used in messages).
    public let source: String
    /// Column names, in file order, with surrounding white space removed.
    public let header: [String]
    /// Data rows; every row has `header.count` fields.
    public internal(set) var rows: [[String]]
    /// 1-based line number on which each data row starts (parallel to `rows`).
    public internal(set) var lineOfRow: [Int]
    /// Numbers read as missing values (`CSVFormat.missingNumbers`).
    public let missingNumbers: [Double]
    private let indexOfColumn: [String: Int]

    /// Reads and parses the CSV file at `path`, written in `format` (soilbeta's CSV by default).
    /// - Throws: `FileError` when the file cannot be read or is malformed.
    public static func read(path: String, format: CSVFormat = .standard) throws -> CSVTable {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            let why = !exists ? "no such file" : (isDirectory.boolValue ? "is a directory" : "cannot be read")
            throw FileError(file: path, message: why)
        }
        return try parse(bytes: [UInt8](data), source: path, format: format)
    }

    /// Parses CSV text held in memory; `source` names it in messages.
    public static func parse(text: String, source: String, format: CSVFormat = .standard) throws -> CSVTable {
        try parse(bytes: Array(text.utf8), source: source, format: format)
    }

    /// Parses CSV bytes (UTF-8) held in memory; `source` names them in messages.
    public static func parse(bytes: [UInt8], source: String, format: CSVFormat = .standard) throws -> CSVTable {
        var records: [[String]] = []
        var recordLines: [Int] = []
        try bytes.withUnsafeBufferPointer { buffer in
            var reader = RecordReader(bytes: buffer, source: source, separator: format.separator)
            while let (fields, line) = try reader.next() {
                records.append(fields)
                recordLines.append(line)
            }
        }
        guard let headerRecord = records.first else {
            throw FileError(file: source, message: "the file is empty: expected a header row")
        }
        let header = headerRecord.map { $0.trimmingCharacters(in: .whitespaces) }
        if format.separator == .comma, header.count == 1, let separator = [(";", "semicolon"), ("\t", "tab")].first(where: { header[0].contains($0.0) }) {
            throw FileError(file: source, line: recordLines[0],
                            message: "the header is one column holding \(separator.1)s: the file looks \(separator.1)-separated; "
                                + "soilbeta reads comma-separated files (save it as CSV with commas)")
        }
        var index: [String: Int] = [:]
        for (position, name) in header.enumerated() {
            if name.isEmpty {
                throw FileError(file: source, line: recordLines[0],
                               message: "header column \(position + 1) has no name")
            }
            if index[name] != nil {
                throw FileError(file: source, line: recordLines[0], field: name,
                               message: "duplicate column name in the header")
            }
            index[name] = position
        }
        var rows: [[String]] = []
        var lines: [Int] = []
        rows.reserveCapacity(records.count - 1)
        lines.reserveCapacity(records.count - 1)
        for recordIndex in 1..<records.count {
            let record = records[recordIndex]
            // A line holding nothing at all (e.g. a trailing blank line) is not a record.
            if record.count == 1 && record[0].isEmpty && header.count > 1 { continue }
            if record.count != header.count {
                throw FileError(file: source, line: recordLines[recordIndex],
                               message: "row has \(record.count) field(s) but the header has \(header.count)")
            }
            rows.append(record)
            lines.append(recordLines[recordIndex])
        }
        return CSVTable(source: source, header: header, rows: rows, lineOfRow: lines, missingNumbers: format.missingNumbers,
                        indexOfColumn: index)
    }

    /// Position of the column called `name`, or `nil` when the file has no such column.
    public func column(_ name: String) -> Int? { indexOfColumn[name] }

    /// Position of the column called `name`.
    /// - Throws: `FileError` naming the file and the missing column.
    public func requireColumn(_ name: String, purpose: String? = nil) throws -> Int {
        if let position = indexOfColumn[name] { return position }
        let why = purpose.map { " (\($0))" } ?? ""
        throw FileError(file: source, line: lineOfHeader, field: name,
                       message: "required column is missing\(why); columns present: \(header.joined(separator: ", "))")
    }

    /// Line of the header row (1 unless blank lines precede it).
    public var lineOfHeader: Int { 1 }

    /// `true` when the field is a missing value: empty (after trimming), `NA`, or one of `missingNumbers`.
    public func isMissing(row: Int, column: Int) -> Bool {
        let text = rows[row][column]
        if CSVTable.isMissingText(text) { return true }
        return !missingNumbers.isEmpty && CSVTable.parseDecimal(text).map(missingNumbers.contains) == true
    }

    /// `true` for the texts soilbeta reads as a missing value: empty (after trimming) or `NA`.
    public static func isMissingText(_ text: String) -> Bool {
        let trimmed = trimmedASCII(text)
        return trimmed.isEmpty || trimmed == "NA"
    }

    /// `text` without leading and trailing spaces and tabs (a byte-level trim; no Foundation bridging).
    @inline(__always)
    /// A profile or site identifier as every table reads it: without surrounding white space, ASCII or
    /// Unicode (a trailing non-breaking space from a spreadsheet does not make a second profile).
    public static func identifier(_ text: String) -> String {
        if let first = text.utf8.first, let last = text.utf8.last, first > 0x20, first < 0x80, last > 0x20, last < 0x80 {
            return text
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public static func trimmedASCII(_ text: String) -> Substring {
        let utf8 = text.utf8
        guard let first = utf8.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }) else { return text[text.endIndex...] }
        let last = utf8.lastIndex(where: { $0 != 0x20 && $0 != 0x09 })!
        return text[first...last]
    }

    /// The field as a finite number, `nil` when missing (empty, `NA`, or one of `missingNumbers`).
    /// - Throws: `FileError` naming file, line and column when the text is not a finite decimal number.
    public func number(row: Int, column: Int) throws -> Double? {
        let text = rows[row][column]
        if CSVTable.isMissingText(text) { return nil }
        guard let value = CSVTable.parseDecimal(text) else {
            throw FileError(file: source, line: lineOfRow[row], field: header[column],
                           message: "'\(CSVTable.abbreviated(text))' is not a finite number (use '.' as decimal mark; empty or NA for missing)")
        }
        return missingNumbers.contains(value) ? nil : value
    }

    /// The whole column as numbers, NaN where missing.
    /// - Throws: `FileError` at the first value that is not a finite decimal number.
    public func numericColumn(_ column: Int) throws -> [Double] {
        var values = [Double](repeating: .nan, count: rows.count)
        for row in 0..<rows.count {
            if let value = try number(row: row, column: column) { values[row] = value }
        }
        return values
    }

    /// Parses a plain decimal number (`-12`, `3.5`, `.5`, `1e-3`); rejects hexadecimal, `inf`, `nan`,
    /// thousands separators, decimal commas and values that overflow to infinity.
    public static func parseDecimal(_ text: String) -> Double? {
        var trimmed = String(trimmedASCII(text))
        guard trimmed.withUTF8({ isDecimalGrammar($0) }) else { return nil }
        guard let value = Double(trimmed), value.isFinite else { return nil }
        return value
    }

    /// Whether `bytes` (trimmed) are a plain decimal number: an optional sign, digits with at most one `.`, and an
    /// optional exponent with its own sign; at least one digit before any exponent; nothing else.
    @inline(__always)
    static func isDecimalGrammar(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var sawDigit = false, sawDot = false, sawExponent = false
        var previous: UInt8 = 0
        for (offset, byte) in bytes.enumerated() {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): sawDigit = true
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                if offset != 0 && previous != UInt8(ascii: "e") && previous != UInt8(ascii: "E") { return false }
            case UInt8(ascii: "."):
                if sawDot || sawExponent { return false }
                sawDot = true
            case UInt8(ascii: "e"), UInt8(ascii: "E"):
                if sawExponent || !sawDigit { return false }
                sawExponent = true
            default: return false
            }
            previous = byte
        }
        return sawDigit && previous != UInt8(ascii: "e") && previous != UInt8(ascii: "E")
            && previous != UInt8(ascii: "+") && previous != UInt8(ascii: "-")
    }

    /// A field shortened for messages.
    public static func abbreviated(_ text: String) -> String {
        // Control characters (a NUL byte, an escape sequence) are shown escaped, never echoed raw.
        printable(text.count > 40 ? String(text.prefix(37)) + "..." : text)
    }

    private init(source: String, header: [String], rows: [[String]], lineOfRow: [Int], missingNumbers: [Double],
                 indexOfColumn: [String: Int]) {
        (self.source, self.header, self.rows) = (source, header, rows)
        (self.lineOfRow, self.missingNumbers, self.indexOfColumn) = (lineOfRow, missingNumbers, indexOfColumn)
    }
}

/// Splits CSV bytes into records of fields (RFC 4180), tracking line numbers.
struct RecordReader {
    let bytes: UnsafeBufferPointer<UInt8>
    let source: String
    var position = 0
    var line = 1
    /// The field separator byte.
    var separatorByte = UInt8(ascii: ",")

    /// A reader of `bytes` from the start of a file (byte-order mark, `#` comment lines, separator detection).
    init(bytes: UnsafeBufferPointer<UInt8>, source: String, separator: CSVFormat.Separator) {
        self.bytes = bytes
        self.source = source
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { position = 3 }
        // A block of comment lines (`# …`) before the header, as exports such as the Dutch soil map carry.
        while position < bytes.count && bytes[position] == UInt8(ascii: "#") {
            while position < bytes.count && bytes[position] != RecordReader.newline { position += 1 }
            if position < bytes.count { position += 1 }
            line += 1
        }
        switch separator {
        case .comma: separatorByte = UInt8(ascii: ",")
        case .semicolon: separatorByte = UInt8(ascii: ";")
        case .tab: separatorByte = RecordReader.tab
        case .fromHeader: separatorByte = RecordReader.likeliestSeparator(bytes, from: position)
        }
    }

    /// A reader of whole records from the middle of a file: `bytes` start at a record on line `line`.
    init(continuing bytes: UnsafeBufferPointer<UInt8>, source: String, line: Int, separatorByte: UInt8) {
        (self.bytes, self.source, self.line, self.separatorByte) = (bytes, source, line, separatorByte)
    }

    /// The most frequent of `,` `;` and tab on the line starting at `start`, outside quotes (comma on a tie).
    private static func likeliestSeparator(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> UInt8 {
        var (commas, semicolons, tabs) = (0, 0, 0)
        var quoted = false
        var index = start
        while index < bytes.count, quoted || bytes[index] != newline {
            switch bytes[index] {
            case quote: quoted.toggle()
            case UInt8(ascii: ",") where !quoted: commas += 1
            case UInt8(ascii: ";") where !quoted: semicolons += 1
            case tab where !quoted: tabs += 1
            default: break
            }
            index += 1
        }
        if semicolons > commas && semicolons >= tabs { return UInt8(ascii: ";") }
        if tabs > commas && tabs > semicolons { return tab }
        return UInt8(ascii: ",")
    }

    static let quote = UInt8(ascii: "\"")
    private static let tab: UInt8 = 0x09
    static let newline = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")

    /// The next record and the line it starts on, or `nil` at the end of the input.
    mutating func next() throws -> ([String], Int)? {
        guard position < bytes.count else { return nil }
        let startLine = line
        var fields: [String] = []
        var field: [UInt8] = []
        while true {
            // Start of a field.
            field.removeAll(keepingCapacity: true)
            if position < bytes.count && bytes[position] == RecordReader.quote {
                position += 1
                var closed = false
                while position < bytes.count {
                    let byte = bytes[position]
                    if byte == RecordReader.quote {
                        if position + 1 < bytes.count && bytes[position + 1] == RecordReader.quote {
                            field.append(RecordReader.quote)
                            position += 2
                            continue
                        }
                        position += 1
                        closed = true
                        break
                    }
                    if byte == RecordReader.newline { line += 1 }
                    field.append(byte)
                    position += 1
                }
                if !closed {
                    throw FileError(file: source, line: startLine,
                                   message: "a quoted field is never closed (unterminated '\"')")
                }
                // After a closing quote only a separator or the end of the record may follow.
                if position < bytes.count {
                    let byte = bytes[position]
                    if byte != separatorByte && byte != RecordReader.newline && byte != RecordReader.carriageReturn {
                        throw FileError(file: source, line: line,
                                       message: "unexpected character after a closing quote in field \(fields.count + 1)")
                    }
                }
            } else {
                while position < bytes.count {
                    let byte = bytes[position]
                    if byte == separatorByte || byte == RecordReader.newline || byte == RecordReader.carriageReturn { break }
                    if byte == RecordReader.quote {
                        throw FileError(file: source, line: line,
                                       message: "stray '\"' inside unquoted field \(fields.count + 1) (quote the whole field and double inner quotes)")
                    }
                    field.append(byte)
                    position += 1
                }
            }
            guard let text = String(validating: field, as: UTF8.self) else {
                throw FileError(file: source, line: line, message: "field \(fields.count + 1) is not valid UTF-8 text")
            }
            fields.append(text)
            if position >= bytes.count { return (fields, startLine) }
            let separator = bytes[position]
            position += 1
            if separator == separatorByte { continue }
            if separator == RecordReader.carriageReturn {
                if position < bytes.count && bytes[position] == RecordReader.newline { position += 1 }
            }
            line += 1
            return (fields, startLine)
        }
    }
}

/// Builds CSV text: header row, `.` decimal mark, missing values as empty fields, RFC 4180 quoting.
public struct CSVWriter: Sendable {
    private var text: String

    /// Starts a table with the given column names.
    public init(header: [String]) {
        text = ""
        append(row: header)
    }

    /// Appends one row of already formatted fields (quoted where needed).
    public mutating func append(row fields: [String]) {
        var first = true
        for field in fields {
            if !first { text.append(",") }
            first = false
            text.append(CSVWriter.quoted(field))
        }
        text.append("\n")
    }

    /// The table as CSV text.
    public var csvText: String { text }

    /// Writes the table to `path` atomically (see `AtomicFile`).
    public func write(to path: String) throws {
        try AtomicFile.write(text: text, to: path)
    }

    /// A field, quoted when it holds a comma, quote or line break.
    public static func quoted(_ field: String) -> String {
        if field.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }) {
            return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return field
    }

    /// A number as the shortest text that reads back to the same `Double`; empty for NaN (missing).
    public static func format(_ value: Double) -> String {
        value.isNaN ? "" : "\(value)"
    }

    /// An optional number: empty when `nil` or NaN.
    public static func format(_ value: Double?) -> String {
        guard let value else { return "" }
        return format(value)
    }
}

/// A CSV file read in chunks of records, so a table of any size is processed in bounded memory (e.g.
/// `soilbeta forest predict` on millions of rows). Records are parsed exactly as `CSVTable` parses a whole
/// file (same quoting, missing values, errors naming file, line and field); each batch is a `CSVTable` of
/// whole records whose line numbers are those of the file.
public final class CSVStream {
    /// The file.
    public let source: String
    /// The header of the file (first record).
    public private(set) var header: [String] = []
    private let handle: FileHandle
    let format: CSVFormat
    private let chunkBytes: Int
    private var pending: [UInt8] = []
    private var atEnd = false
    var nextLine = 1
    var separatorByte = UInt8(ascii: ",")
    var headerTable: CSVTable?

    /// Opens `path` and reads its header; batches hold about `chunkBytes` bytes of records.
    /// - Throws: `FileError` for a missing or unreadable file, or a malformed header.
    public init(path: String, format: CSVFormat = .standard, chunkBytes: Int = 8 << 20) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
              let handle = FileHandle(forReadingAtPath: path) else {
            throw FileError(file: path, message: FileManager.default.fileExists(atPath: path) ? "is a directory or cannot be read" : "no such file")
        }
        (self.source, self.handle, self.format, self.chunkBytes) = (path, handle, format, max(1 << 16, chunkBytes))
        // The header: the first chunk's first record, parsed (and checked) as CSVTable parses a file.
        guard let first = try nextChunk() else { throw FileError(file: path, message: "the file is empty: expected a header row") }
        let table = try first.withUnsafeBufferPointer { bytes -> CSVTable in
            var reader = RecordReader(bytes: bytes, source: path, separator: format.separator)
            guard let (fields, _) = try reader.next() else { throw FileError(file: path, message: "the file is empty: expected a header row") }
            separatorByte = reader.separatorByte
            nextLine = reader.line
            pending = Array(bytes[reader.position...]) + pending
            return try CSVTable.parse(bytes: Array(fields.map { CSVWriter.quoted($0) }.joined(separator: ",").utf8), source: path,
                                      format: CSVFormat(separator: .comma, missingNumbers: format.missingNumbers))
        }
        header = table.header
        headerTable = table
    }

    deinit { try? handle.close() }

    /// Reads until the buffered bytes end with a complete record (a newline outside quotes) or the file
    /// ends; returns the complete records' bytes (nil at the end of the file).
    func nextChunk() throws -> [UInt8]? {
        while true {
            // The last newline outside quotes (quote parity from the start of a record).
            var quoted = false, cut = -1
            pending.withUnsafeBufferPointer { bytes in
                for (index, byte) in bytes.enumerated() {
                    if byte == RecordReader.quote { quoted.toggle() } else if byte == RecordReader.newline, !quoted { cut = index }
                }
            }
            if (cut >= 0 && pending.count >= chunkBytes) || (atEnd && !pending.isEmpty) {
                let end = atEnd && cut < pending.count - 1 ? pending.count : cut + 1
                let chunk = Array(pending[..<end])
                pending.removeFirst(end)
                return chunk
            }
            if atEnd { return nil }
            let data: Data
            do { data = try handle.read(upToCount: chunkBytes) ?? Data() } catch {
                throw FileError(file: source, message: "cannot read: \(userMessage(for: error))")
            }
            if data.isEmpty { atEnd = true } else { pending.append(contentsOf: data) }
        }
    }

    /// The next batch of records as a table with the file's header, or nil at the end of the file.
    /// - Throws: `FileError` naming file, line and field for a malformed record.
    public func nextBatch() throws -> CSVTable? {
        guard headerTable != nil, let chunk = try nextChunk() else { return nil }
        return try records(of: chunk)
    }

    /// The records of `chunk` (whole records following those already read) as a table with the file's header;
    /// advances the line count.
    func records(of chunk: [UInt8]) throws -> CSVTable {
        guard var table = headerTable else { throw FileError(file: source, message: "the header was not read") }
        var rows: [[String]] = [], lines: [Int] = []
        try chunk.withUnsafeBufferPointer { bytes in
            var reader = RecordReader(continuing: bytes, source: source, line: nextLine, separatorByte: separatorByte)
            while let (fields, line) = try reader.next() {
                if fields.count == 1 && fields[0].isEmpty && header.count > 1 { continue }
                if fields.count != header.count {
                    throw FileError(file: source, line: line, message: "row has \(fields.count) field(s) but the header has \(header.count)")
                }
                rows.append(fields)
                lines.append(line)
            }
            nextLine = reader.line
        }
        table.rows = rows
        table.lineOfRow = lines
        return table
    }
}
