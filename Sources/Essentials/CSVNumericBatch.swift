// Numeric batches of a CSV stream: the fast path of `soilbeta forest predict` on large tables (issue 13 item 4).
import Foundation

/// One batch of records of a `CSVStream`, read straight into numbers: the requested numeric columns as `Double`
/// (NaN where missing), the requested text columns as strings, and each record's line. Values, missing values,
/// skipped blank lines, line numbers and error messages are those of `CSVTable` on the same records.
public struct CSVNumericBatch: Sendable {
    /// `numbers[k][record]`: the k-th requested numeric column; NaN where the value is missing (empty, `NA`, or
    /// one of the format's missing numbers).
    public var numbers: [[Double]]
    /// `texts[k][record]`: the k-th requested text column, as `CSVTable.rows` holds it.
    public var texts: [[String]]
    /// 1-based file line of each record.
    public var lines: [Int]
    /// Number of records.
    public var count: Int { lines.count }
}

extension CSVStream {
    /// The next batch of records, parsed into the numeric columns `numeric` and the text columns `text` (indices
    /// into `header`), or nil at the end of the file.
    ///
    /// A batch without any `"` is split at line ends into `threads` slices parsed side by side, each field read
    /// from its bytes (no string per field): a number is trimmed of spaces and tabs, checked against the grammar
    /// of `CSVTable.parseDecimal` and converted by the C library's correctly rounded `strtod`, so it equals what
    /// `CSVTable.number(row:column:)` reads. A batch holding quotes goes through the general RFC 4180 reader.
    /// Results do not depend on `threads`.
    /// - Throws: `FileError` naming file, line and field: a value that is not a finite number, a row with the wrong
    ///   number of fields, a text field that is not UTF-8.
    public func nextNumericBatch(numeric: [Int], text: [Int], threads: Int) throws -> CSVNumericBatch? {
        guard headerTable != nil, let chunk = try nextChunk() else { return nil }
        if chunk.contains(RecordReader.quote) {
            let table = try records(of: chunk)
            return CSVNumericBatch(numbers: try numeric.map { try table.numericColumn($0) },
                                   texts: text.map { column in table.rows.map { $0[column] } }, lines: table.lineOfRow)
        }
        let slices = CSVStream.slices(of: chunk, count: max(1, threads))
        let layout = NumericRecordLayout(names: header, numeric: numeric, text: text, separator: separatorByte,
                                         missingNumbers: format.missingNumbers)
        let results = ResultSlots<Result<SliceRecords, FileError>>(count: slices.count)
        chunk.withUnsafeBufferPointer { bytes in
            let shared = UncheckedBox(bytes)
            parallelForEach(itemCount: slices.count, threads: slices.count) { index in
                let records = Result { () throws(FileError) in try layout.parse(shared.value, range: slices[index]) }
                results.set(index, records)
            }
        }
        // Relative lines become file lines: each slice starts where the previous one's line ends left off.
        var batch = CSVNumericBatch(numbers: Array(repeating: [], count: numeric.count),
                                    texts: Array(repeating: [], count: text.count), lines: [])
        var firstLine = nextLine
        for result in results.values() {
            switch result {
            case let .failure(error):
                throw FileError(file: source, line: (error.line ?? 0) + firstLine, field: error.field, message: error.message)
            case let .success(slice):
                for k in numeric.indices { batch.numbers[k] += slice.numbers[k] }
                for k in text.indices { batch.texts[k] += slice.texts[k] }
                batch.lines += slice.lines.map { $0 + firstLine }
                firstLine += slice.lineEnds
            }
        }
        nextLine = firstLine
        return batch
    }

    /// `count` byte ranges covering `chunk`, each ending just after a line end (the last at the end).
    static func slices(of chunk: [UInt8], count: Int) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0
        for k in 1...count {
            var end = k == count ? chunk.count : max(start, chunk.count * k / count)
            while end < chunk.count && end > 0 && chunk[end - 1] != RecordReader.newline { end += 1 }
            if end > start { ranges.append(start..<end) }
            start = end
        }
        return ranges
    }
}

/// Records of one slice, lines relative to the slice's first line (0).
struct SliceRecords: Sendable {
    var numbers: [[Double]]
    var texts: [[String]]
    var lines: [Int]
    /// Line ends consumed by the slice.
    var lineEnds: Int
}

/// Which fields of a record are read, and how: the byte-level record reader of `CSVStream.nextNumericBatch`.
struct NumericRecordLayout: Sendable {
    /// Per field of the header: the numeric column it feeds (−1: none).
    let numericSlot: [Int]
    /// Per field of the header: the text column it feeds (−1: none); a field may feed both.
    let textSlot: [Int]
    let numericCount: Int
    let textCount: Int
    let separator: UInt8
    let missingNumbers: [Double]
    let columnCount: Int
    /// Header names (for messages).
    let names: [String]

    init(names: [String], numeric: [Int], text: [Int], separator: UInt8, missingNumbers: [Double]) {
        let columnCount = names.count
        self.names = names
        var numericSlot = [Int](repeating: -1, count: columnCount), textSlot = numericSlot
        for (k, column) in numeric.enumerated() { numericSlot[column] = k }
        for (k, column) in text.enumerated() { textSlot[column] = k }
        (self.numericSlot, self.textSlot, self.numericCount, self.textCount) = (numericSlot, textSlot, numeric.count, text.count)
        (self.separator, self.missingNumbers, self.columnCount) = (separator, missingNumbers, columnCount)
    }

    /// Parses the unquoted records in `range` (a line end terminates a record: LF, CRLF or a lone CR, as
    /// `RecordReader` reads them). Errors carry the line relative to the slice.
    func parse(_ bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>) throws(FileError) -> SliceRecords {
        var records = SliceRecords(numbers: Array(repeating: [], count: numericCount),
                                   texts: Array(repeating: [], count: textCount), lines: [], lineEnds: 0)
        var values = [Double](repeating: .nan, count: numericCount)
        var strings = [String](repeating: "", count: textCount)
        let newline = RecordReader.newline, carriageReturn = UInt8(ascii: "\r")
        var position = range.lowerBound
        let end = range.upperBound
        while position < end {
            let line = records.lineEnds
            var field = 0
            var firstFieldEmpty = false
            while true {
                let start = position
                while position < end {
                    let byte = bytes[position]
                    if byte == separator || byte == newline || byte == carriageReturn { break }
                    position += 1
                }
                if field == 0 { firstFieldEmpty = position == start }
                if field < columnCount {
                    let numericSlot = self.numericSlot[field], textSlot = self.textSlot[field]
                    if numericSlot >= 0 {
                        values[numericSlot] = try number(bytes, start..<position, line: line, field: field)
                    }
                    if textSlot >= 0 {
                        guard let string = String(validating: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self) else {
                            throw FileError(file: "", line: line, message: "field \(field + 1) is not valid UTF-8 text")
                        }
                        strings[textSlot] = string
                    }
                }
                field += 1
                if position >= end { break }
                let byte = bytes[position]
                position += 1
                if byte == separator { continue }
                if byte == carriageReturn && position < end && bytes[position] == newline { position += 1 }
                records.lineEnds += 1
                break
            }
            if field == 1 && firstFieldEmpty && columnCount > 1 { continue }
            if field != columnCount {
                throw FileError(file: "", line: line, message: "row has \(field) field(s) but the header has \(columnCount)")
            }
            for k in 0..<numericCount { records.numbers[k].append(values[k]) }
            for k in 0..<textCount { records.texts[k].append(strings[k]) }
            records.lines.append(line)
        }
        return records
    }

    /// The number in `bytes[range]`, NaN when missing, as `CSVTable.number(row:column:)` reads it.
    @inline(__always)
    private func number(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, line: Int, field: Int) throws(FileError) -> Double {
        var first = range.lowerBound, last = range.upperBound
        while first < last && (bytes[first] == 0x20 || bytes[first] == 0x09) { first += 1 }
        while last > first && (bytes[last - 1] == 0x20 || bytes[last - 1] == 0x09) { last -= 1 }
        let length = last - first
        if length == 0 || (length == 2 && bytes[first] == UInt8(ascii: "N") && bytes[first + 1] == UInt8(ascii: "A")) { return .nan }
        if length < 64 && CSVTable.isDecimalGrammar(UnsafeBufferPointer(rebasing: bytes[first..<last])) {
            // strtod on a NUL-terminated copy; its end pointer confirms it read every byte (a locale with
            // another decimal mark would stop early, and then the general parser decides).
            var buffer: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
            let value: Double? = withUnsafeMutableBytes(of: &buffer) { raw -> Double? in
                guard let base = raw.baseAddress?.assumingMemoryBound(to: CChar.self),
                      let source = bytes.baseAddress else { return nil }
                memcpy(base, source + first, length)
                base[length] = 0
                var stop: UnsafeMutablePointer<CChar>? = nil
                let value = strtod(base, &stop)
                return stop == base + length ? value : nil
            }
            if let value, value.isFinite { return missingNumbers.contains(value) ? .nan : value }
        }
        // The general path (and its message) for everything else.
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        guard let value = CSVTable.parseDecimal(text) else {
            throw FileError(file: "", line: line, field: names[field],
                            message: "'\(CSVTable.abbreviated(text))' is not a finite number (use '.' as decimal mark; empty or NA for missing)")
        }
        return missingNumbers.contains(value) ? .nan : value
    }

}
