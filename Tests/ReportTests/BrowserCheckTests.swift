import Foundation
import RunModel
import Testing
@testable import Report

/// Runs scripts/report-check.sh (headless Chromium) on an HTML file; returns exit code and output.
func runReportCheck(_ html: String, screenshot: String) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = [(packageRoot as NSString).appendingPathComponent("scripts/report-check.sh"), html, screenshot]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Where screenshots are kept for a person to look at: `.build/report-check/` of the package.
func screenshotPath(_ name: String) throws -> String {
    let folder = (packageRoot as NSString).appendingPathComponent(".build/report-check")
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    return (folder as NSString).appendingPathComponent(name)
}

/// Issue 5 item 4: the report opens in headless Chromium without errors, every image loads and
/// is not flat, every figure is drawn. `make test` installs chromium (scripts/ensure-deps.sh),
/// so a missing browser is a failure here, not a skip.
@Suite(.serialized) struct BrowserCheckTests {
    @Test func syntheticRunReportPassesInHeadlessChromium() throws {
        let folder = try TemporaryFolder()
        try makeSyntheticRun(at: folder.path)
        var report = RunReport(configuration: try syntheticRunConfiguration(folder.path), software: "soilbeta test")
        let output = folder.file("report.html")
        try report.write(to: output)
        let shot = try screenshotPath("synthetic-report.png")
        // Keep a copy beside the screenshot for a person to open.
        try? FileManager.default.removeItem(atPath: try screenshotPath("synthetic-report.html"))
        try FileManager.default.copyItem(atPath: output, toPath: try screenshotPath("synthetic-report.html"))
        let result = try runReportCheck(output, screenshot: shot)
        #expect(result.status != 2, "chromium is missing: run scripts/ensure-deps.sh build\n\(result.output)")
        #expect(result.status == 0, "browser check failed:\n\(result.output)")
        #expect(result.output.contains("data-result=\"ok\""))
        // Every required figure was present in the rendered DOM.
        if let range = result.output.range(of: "data-figures=\"") {
            let names = Set(result.output[range.upperBound...].prefix { $0 != "\"" }.split(separator: " ").map(String.init))
            for id in requiredFigures { #expect(names.contains(id), "figure \(id) not in the rendered page") }
        } else {
            Issue.record("no figure list in the self-check marker:\n\(result.output)")
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: shot)
        #expect((attributes[.size] as? Int ?? 0) > 10_000, "screenshot missing or tiny")
    }

    @Test func brokenImageAndBlankFigureAreCaught() throws {
        let folder = try TemporaryFolder()
        let png = try encodePNG(rgba: [UInt8](repeating: 90, count: 8 * 8 * 4), width: 8, height: 8)
        let body = """
        <figure data-figure="broken"><img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB" alt="broken map"></figure>
        <figure data-figure="flat"><img src="\(pngDataURI(png))" alt="flat map"></figure>
        <svg xmlns="http://www.w3.org/2000/svg" width="100" height="100" data-figure="empty"></svg>
        """
        let html = HTMLDocument(title: "negative check", subtitle: "", demoBanner: nil,
                                sections: [ReportSection(id: "x", title: "x", body: body)]).render()
        let file = folder.file("bad.html")
        try html.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try runReportCheck(file, screenshot: folder.file("bad.png"))
        #expect(result.status == 1, "the check must fail:\n\(result.output)")
        #expect(result.output.contains("image not loaded: broken map") || result.output.contains("failed to load img broken map"))
        #expect(result.output.contains("image is one flat colour: flat map"))
        #expect(result.output.contains("blank svg: empty"))
    }

    @Test func scriptErrorIsCaught() throws {
        let folder = try TemporaryFolder()
        let html = HTMLDocument(title: "script error", subtitle: "", demoBanner: nil,
                                sections: [ReportSection(id: "x", title: "x", body: "<p>text</p><script>undefinedFunction();</script>")]).render()
        let file = folder.file("error.html")
        try html.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try runReportCheck(file, screenshot: folder.file("error.png"))
        #expect(result.status == 1, "the check must fail:\n\(result.output)")
        #expect(result.output.contains("undefinedFunction"))
    }
}
