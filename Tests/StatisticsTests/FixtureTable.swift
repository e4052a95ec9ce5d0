import Foundation

/// A fixture CSV made by Fixtures/make_fixtures.R (no quoting; "NA" for missing values).
struct FixtureTable {
    let header: [String]
    let rows: [[String]]

    init(_ name: String) throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures").appendingPathComponent(name)
        let text = try String(contentsOf: url, encoding: .utf8)
        var lines = text.split(whereSeparator: \.isNewline).map(String.init)
        header = lines.removeFirst().split(separator: ",").map(String.init)
        rows = lines.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    func column(_ name: String) -> Int {
        guard let index = header.firstIndex(of: name) else { fatalError("no column \(name)") }
        return index
    }

    func string(_ row: [String], _ name: String) -> String { row[column(name)] }

    func double(_ row: [String], _ name: String) -> Double {
        let text = row[column(name)]
        return text == "NA" ? .nan : Double(text)!
    }

    func rows(where name: String, is value: String) -> [[String]] {
        let index = column(name)
        return rows.filter { $0[index] == value }
    }
}

/// |actual − expected| ≤ absolute + relative · |expected|.
func close(_ actual: Double, _ expected: Double, absolute: Double, relative: Double = 0) -> Bool {
    if actual.isNaN && expected.isNaN { return true }
    return abs(actual - expected) <= absolute + relative * abs(expected)
}
