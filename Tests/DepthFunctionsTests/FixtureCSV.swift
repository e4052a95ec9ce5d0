// Test-only reader for the reference fixtures in Fixtures/ (see Fixtures/PROVENANCE.md).
import Foundation

/// A parsed fixture: header and rows of fields (quotes removed; `NA` and empty kept as text).
struct FixtureTable {
    let header: [String]
    let rows: [[String]]

    /// Loads `Fixtures/<name>` next to this source file.
    init(_ name: String, filePath: String = #filePath) throws {
        let folder = URL(fileURLWithPath: filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
        var lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map(String.init)
        lines.removeAll { $0.trimmingCharacters(in: .whitespaces).isEmpty }
        header = FixtureTable.split(lines.removeFirst())
        rows = lines.map(FixtureTable.split)
    }

    /// Splits one CSV line; handles double-quoted fields (with "" escapes) holding commas.
    static func split(_ line: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var inQuotes = false
        var chars = Array(line)
        if chars.last == "\r" { chars.removeLast() }
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if inQuotes {
                if c == "\"" {
                    if i + 1 < chars.count && chars[i + 1] == "\"" { current.append("\""); i += 1 } else { inQuotes = false }
                } else { current.append(c) }
            } else if c == "\"" {
                inQuotes = true
            } else if c == "," {
                fields.append(current); current = ""
            } else {
                current.append(c)
            }
            i += 1
        }
        fields.append(current)
        return fields
    }

    /// Column index by name.
    func column(_ name: String) -> Int {
        guard let i = header.firstIndex(of: name) else { fatalError("fixture has no column \(name)") }
        return i
    }

    /// Numeric value of a field; `NA` / empty → NaN.
    static func number(_ field: String) -> Double {
        if field == "NA" || field.isEmpty { return .nan }
        guard let v = Double(field) else { fatalError("not a number: \(field)") }
        return v
    }
}

/// Horizons of one profile from an input fixture.
struct FixtureProfile {
    let id: String
    var top: [Double] = []
    var bottom: [Double] = []
    var values: [String: [Double]] = [:]
}

/// Groups an input fixture (`id,top,bottom,<vars…>`) into profiles in order of first appearance.
func loadProfiles(_ name: String) throws -> [FixtureProfile] {
    let table = try FixtureTable(name)
    let idC = table.column("id"), topC = table.column("top"), bottomC = table.column("bottom")
    let varColumns = table.header.enumerated().filter { ![idC, topC, bottomC].contains($0.offset) }
    var order: [String] = []
    var byID: [String: FixtureProfile] = [:]
    for row in table.rows {
        let id = row[idC]
        if byID[id] == nil { order.append(id); byID[id] = FixtureProfile(id: id) }
        byID[id]!.top.append(FixtureTable.number(row[topC]))
        byID[id]!.bottom.append(FixtureTable.number(row[bottomC]))
        for (c, name) in varColumns { byID[id]!.values[name, default: []].append(FixtureTable.number(row[c])) }
    }
    return order.map { byID[$0]! }
}

/// |actual − expected| ≤ 1e-6·|expected| (+1e-12 absolute for zeros); NaN matches NaN only.
func matchesReference(_ actual: Double, _ expected: Double, relative: Double = 1e-6) -> Bool {
    if expected.isNaN || actual.isNaN { return expected.isNaN && actual.isNaN }
    return abs(actual - expected) <= relative * abs(expected) + 1e-12
}
