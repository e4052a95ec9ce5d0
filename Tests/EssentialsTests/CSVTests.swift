import Foundation
import Testing
@testable import Essentials

@Suite struct CSVTests {
    @Test func parsesQuotedFieldsCRLFAndBOM() throws {
        let text = "\u{FEFF}id,name,value\r\n\"a,1\",\"say \"\"hi\"\"\",1.5\r\nb,\"two\nlines\",NA\r\n"
        let table = try CSVTable.parse(text: text, source: "t.csv")
        #expect(table.header == ["id", "name", "value"])
        #expect(table.rows == [["a,1", "say \"hi\"", "1.5"], ["b", "two\nlines", "NA"]])
        #expect(table.lineOfRow == [2, 3])
        #expect(try table.number(row: 0, column: 2) == 1.5)
        #expect(try table.number(row: 1, column: 2) == nil)
    }

    /// Comment lines at the top (real exports such as the Dutch soil map carry them) were read as the header.
    @Test func commentHeaderLinesAreSkippedWithLineNumbersKept() throws {
        let table = try CSVTable.parse(text: "# exported 2024\n# units: cm, g/kg\nid,x\na,1\n", source: "c.csv")
        #expect(table.header == ["id", "x"] && table.rows == [["a", "1"]] && table.lineOfRow == [4])
    }

    /// A `;` or tab separated file gave a one-column table and baffling errors later.
    @Test(arguments: [("id;top;bottom\na;0;10\n", "semicolon"), ("id\ttop\tbottom\na\t0\t10\n", "tab")])
    func otherSeparatorsAreNamed(text: String, name: String) {
        #expect {
            try CSVTable.parse(text: text, source: "s.csv")
        } throws: { error in
            "\(error)".hasPrefix("s.csv:1: ") && "\(error)".contains("\(name)-separated")
        }
    }

    /// Database exports (`--preset`) come `;`- or tab-separated; the format states or detects the separator.
    @Test(arguments: [("id;name;v\na;\"x;y\";1,5\n", CSVFormat.Separator.semicolon), ("id\tname\tv\na\t\"x;y\"\t1,5\n", .tab),
                      ("id;name;v\na;\"x;y\";1,5\n", .fromHeader), ("id\tname\tv\na\t\"x;y\"\t1,5\n", .fromHeader)])
    func statedOrDetectedSeparatorsSplitFields(text: String, separator: CSVFormat.Separator) throws {
        let table = try CSVTable.parse(text: text, source: "s.csv", format: CSVFormat(separator: separator))
        #expect(table.header == ["id", "name", "v"] && table.rows == [["a", "x;y", "1,5"]])
    }

    @Test func detectionKeepsCommasWhenTheHeaderHasThem() throws {
        let table = try CSVTable.parse(text: "\"a;b\",c\n1,2\n", source: "d.csv", format: CSVFormat(separator: .fromHeader))
        #expect(table.header == ["a;b", "c"] && table.rows == [["1", "2"]])
    }

    @Test func missingValueNumbersReadAsMissing() throws {
        let table = try CSVTable.parse(text: "id,x\na,-9999\nb,-9999.0\nc,-99\n", source: "m.csv", format: CSVFormat(missingNumbers: [-9999]))
        #expect(try (0..<3).map { try table.number(row: $0, column: 1) } == [nil, nil, -99])
        #expect(table.isMissing(row: 1, column: 1) && !table.isMissing(row: 2, column: 1))
    }

    /// A NUL byte in a value was echoed raw into the message.
    @Test func controlCharactersInValuesAreEscapedInMessages() throws {
        let table = try CSVTable.parse(text: "id,x\na,1\u{0}2\n", source: "n.csv")
        #expect {
            try table.number(row: 0, column: 1)
        } throws: { error in
            let text = "\(error)"
            return text.contains("1\\u{0}2") && !text.unicodeScalars.contains { $0.value == 0 }
        }
    }

    @Test func raggedRowNamesFileAndLine() {
        let text = "id,top,bottom\nx,0,10\nx,10\n"
        #expect(throws: FileError(file: "h.csv", line: 3, field: nil, message: "row has 2 field(s) but the header has 3")) {
            try CSVTable.parse(text: text, source: "h.csv")
        }
    }

    @Test(arguments: [
        ("", "empty"),
        ("id,top,top\n1,2,3\n", "duplicate"),
        ("id,top\n\"x,1\n", "never closed"),
        ("id,top\nx\"y,1\n", "stray"),
        ("id,top\n\"x\"y,1\n", "after a closing quote"),
        ("id,,bottom\n1,2,3\n", "no name"),
    ])
    func malformedFilesAreErrors(text: String, expected: String) {
        do {
            _ = try CSVTable.parse(text: text, source: "bad.csv")
            Issue.record("accepted malformed input: \(text.debugDescription)")
        } catch let error as FileError {
            #expect(error.description.contains(expected), "\(error)")
            #expect(error.description.hasPrefix("bad.csv"))
        } catch {
            Issue.record("unexpected error type \(error)")
        }
    }

    @Test(arguments: ["1", "-2.5", ".5", "5.", "1e3", "1E-3", "+4", " 7 "])
    func acceptsDecimalNumbers(text: String) {
        #expect(CSVTable.parseDecimal(text) == Double(text.trimmingCharacters(in: .whitespaces)))
    }

    @Test(arguments: ["nan", "NaN", "inf", "-Infinity", "0x10", "1,5", "1e999", "e5", "1e", "--1", "1-2", "1.2.3", "", "abc", "١٢"])
    func rejectsNonDecimalNumbers(text: String) {
        #expect(CSVTable.parseDecimal(text) == nil)
    }

    @Test func badNumberNamesLineAndField() throws {
        let table = try CSVTable.parse(text: "id,soc\na,1\nb,1,5\n".replacingOccurrences(of: "1,5", with: "\"1,5\""), source: "s.csv")
        #expect(throws: FileError.self) { try table.numericColumn(1) }
        do { _ = try table.numericColumn(1) } catch let error as FileError {
            #expect(error.line == 3 && error.field == "soc")
        }
    }

    @Test func writerQuotesAndRoundTrips() throws {
        var writer = CSVWriter(header: ["id", "value"])
        writer.append(row: ["a \"b\", c", CSVWriter.format(0.1)])
        writer.append(row: ["d", CSVWriter.format(Double.nan)])
        let table = try CSVTable.parse(text: writer.csvText, source: "w")
        #expect(table.rows == [["a \"b\", c", "0.1"], ["d", ""]])
    }

    @Test func atomicWriteLeavesNoTemporaryAndRefusesMissingFolder() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("out.csv").path
        try AtomicFile.write(text: "one", to: path)
        try AtomicFile.write(text: "two", to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "two")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["out.csv"])
        #expect(throws: FileError.self) { try AtomicFile.write(text: "x", to: folder.path + "/missing/out.csv") }
    }
}

/// `CSVStream` reads a file in chunks of whole records: its batches together are the whole-file table.
@Suite struct CSVStreamTests {
    @Test func batchesTogetherEqualTheWholeFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("stream-\(UUID().uuidString).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var text = "\u{FEFF}# a comment line\nid,value,note\r\n"
        for row in 0..<30_000 {
            let note = row % 7 == 0 ? "\"multi\nline, \"\"quoted\"\"\"" : (row % 11 == 0 ? "" : "plain \(row)")
            text += "p\(row),\(Double(row) / 8),\(note)" + (row % 3 == 0 ? "\r\n" : "\n")
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let whole = try CSVTable.read(path: path)
        let stream = try CSVStream(path: path, chunkBytes: 1 << 16)
        #expect(stream.header == whole.header)
        var rows: [[String]] = [], lines: [Int] = [], batches = 0
        while let batch = try stream.nextBatch() {
            rows += batch.rows
            lines += batch.lineOfRow
            batches += 1
        }
        #expect(batches > 5, "the file was read in several chunks (\(batches))")
        #expect(rows == whole.rows)
        #expect(lines == whole.lineOfRow)
    }

    /// Numeric batches (the byte-level, multi-threaded reader of `forest predict`) read exactly what the table reader
    /// reads: values to the bit, NaN for empty/NA/missing-number fields, skipped blank lines, LF/CRLF/CR line ends,
    /// a last line without a line end, text columns (one also read as numbers), and file line numbers, for any thread count and chunking.
    @Test(arguments: [1, 2, 3])
    func numericBatchesEqualTheTableReading(threads: Int) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("numeric-\(UUID().uuidString).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var text = "# exported\nid,a,skip,b,c\n"
        var state: UInt64 = 99
        for row in 0..<20_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let x = Double(Int64(bitPattern: state >> 1) % 2_000_000_000) / 7.0e5
            let b = row % 13 == 0 ? " NA" : (row % 17 == 0 ? "" : (row % 19 == 0 ? "-9999" : " \(x * 1e-12)\t"))
            let c = row % 23 == 0 ? "1e-310" : (row % 29 == 0 ? "+.5E+3" : "\(-x)")
            let end = row % 5 == 0 ? "\r\n" : (row % 31 == 0 ? "\r" : "\n")
            text += "p\(row),\(x),zz \(row),\(b),\(c)" + end + (row % 1000 == 0 ? "\n" : "")
        }
        text += "last,1,2,3,4"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let format = CSVFormat(missingNumbers: [-9999])
        let whole = try CSVTable.read(path: path, format: format)
        let stream = try CSVStream(path: path, format: format, chunkBytes: 1 << 16)
        var numbers: [[Double]] = [[], [], []], texts: [String] = [], aTexts: [String] = [], lines: [Int] = [], batches = 0
        while let batch = try stream.nextNumericBatch(numeric: [1, 3, 4], text: [0, 1], threads: threads) {
            for k in 0..<3 { numbers[k] += batch.numbers[k] }
            texts += batch.texts[0]
            aTexts += batch.texts[1]
            lines += batch.lines
            batches += 1
        }
        #expect(batches > 5)
        #expect(lines == whole.lineOfRow)
        #expect(texts == whole.rows.map { $0[0] })
        #expect(aTexts == whole.rows.map { $0[1] }, "a column read both as number and as text")
        for (k, column) in [1, 3, 4].enumerated() {
            #expect(try whole.numericColumn(column).map(\.bitPattern) == numbers[k].map(\.bitPattern))
        }
    }

    /// A bad value deep in a file read in numeric batches names file, line and field, as the table reader does;
    /// a file with quoted fields goes through the general reader and gives the same numbers.
    @Test func numericBatchErrorsNameLineAndField() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("numeric-bad-\(UUID().uuidString).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var text = "id,a,b\n"
        for row in 0..<5_000 { text += "r\(row),\(row),\(row == 4_321 ? "<BAD>" : "\(Double(row) / 3)")\n" }
        try text.replacingOccurrences(of: "<BAD>", with: "1,5").write(toFile: path, atomically: true, encoding: .utf8)
        for threads in [1, 2] {
            let stream = try CSVStream(path: path, chunkBytes: 1 << 16)
            do {
                while try stream.nextNumericBatch(numeric: [1, 2], text: [], threads: threads) != nil {}
                Issue.record("no error for a row with too many fields")
            } catch let error as FileError {
                #expect(error.line == 4_323)
                #expect(error.message.contains("row has 4 field(s)"))
            }
        }
        try text.replacingOccurrences(of: "<BAD>", with: "1x5").write(toFile: path, atomically: true, encoding: .utf8)
        let stream = try CSVStream(path: path, chunkBytes: 1 << 16)
        do {
            while try stream.nextNumericBatch(numeric: [1, 2], text: [], threads: 2) != nil {}
            Issue.record("no error for a bad number")
        } catch let error as FileError {
            #expect(error.file == path && error.line == 4_323 && error.field == "b")
            #expect(error.message.contains("'1x5' is not a finite number"))
        }
        try "id,a\n\"q, 1\",2.5\nr,NA\n".write(toFile: path, atomically: true, encoding: .utf8)
        let quoted = try CSVStream(path: path)
        let batch = try #require(try quoted.nextNumericBatch(numeric: [1], text: [0], threads: 2))
        #expect(batch.texts[0] == ["q, 1", "r"] && batch.numbers[0][0] == 2.5 && batch.numbers[0][1].isNaN && batch.lines == [2, 3])
    }
}
