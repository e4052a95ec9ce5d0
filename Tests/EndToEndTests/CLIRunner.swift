import Foundation

/// Runs the built `soilbeta` executable (next to the test bundle, or `$SOILBETA_BIN`) for end-to-end tests.
enum CLI {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static var executable: URL {
        if let path = ProcessInfo.processInfo.environment["SOILBETA_BIN"] { return URL(fileURLWithPath: path) }
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // On Linux the runner is `<build>/debug/<Package>PackageTests.xctest`; on macOS inside a bundle.
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("soilbeta")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: packageRoot + "/.build/debug/soilbeta")
    }

    static let packageRoot: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static func run(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes fully before waiting, so a chatty child never blocks on a full pipe.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    /// A fresh temporary folder, removed by the caller.
    static func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("soilbeta-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// Path of a reference fixture (copied from shared/reference with its provenance).
    static func fixture(_ name: String) -> String {
        packageRoot + "/Tests/DepthFunctionsTests/Fixtures/" + name
    }
}

/// Small independent CSV reader for the files these tests write or compare with (RFC 4180 quoting,
/// LF or CRLF), so the end-to-end checks do not rely on the reader under test.
func readSimpleCSV(_ path: String) throws -> [[String: String]] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    var records: [[String]] = [], fields: [String] = [], field = ""
    var inQuotes = false
    var scalars = Array(text.unicodeScalars)[...]
    while let scalar = scalars.popFirst() {
        if inQuotes {
            if scalar == "\"" {
                if scalars.first == "\"" { field.unicodeScalars.append("\""); scalars.removeFirst() } else { inQuotes = false }
            } else { field.unicodeScalars.append(scalar) }
        } else if scalar == "\"" { inQuotes = true }
        else if scalar == "," { fields.append(field); field = "" }
        else if scalar == "\r" { continue }
        else if scalar == "\n" { fields.append(field); records.append(fields); fields = []; field = "" }
        else { field.unicodeScalars.append(scalar) }
    }
    if !field.isEmpty || !fields.isEmpty { fields.append(field); records.append(fields) }
    guard let header = records.first else { return [] }
    return records.dropFirst().map { record in
        var row: [String: String] = [:]
        for (name, value) in zip(header, record) { row[name] = value }
        return row
    }
}

/// |a − b| ≤ 1e-6 × max(1, |b|) — the parity tolerance of METHOD.md.
func closeRelative(_ a: Double, _ b: Double, tolerance: Double = 1e-6) -> Bool {
    if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
    return abs(a - b) <= tolerance * max(1, abs(b))
}
