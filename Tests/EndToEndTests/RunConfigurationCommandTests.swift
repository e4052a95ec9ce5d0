import Foundation
import Testing

/// One configuration, one error path: every command that takes a run configuration refuses a misspelt
/// or mistyped key before doing anything, with `FILE: key 'PATH': …` on stderr and exit status 1.
@Suite struct RunConfigurationCommandTests {
    static let valid = """
    [run]
    folder = "out"
    [profiles]
    horizons = "h.csv"
    [forest]
    features = ["mat"]

    """

    @Test(arguments: [
        (valid.replacingOccurrences(of: "[forest]\n", with: "[forest]\ntress = 10\n"), "key 'forest.tress': unknown key"),
        (valid + "[topsoill]\nsoc = \"s.tif\"\n", "key 'topsoill': unknown key"),
        (valid + "[grid]\nresolution = \"fine\"\n", "key 'grid.resolution': has the wrong type"),
        (valid + "[ecosystems.shrubland]\narea = \"a.tif\"\n[topsoil]\nsocd = \"x.tif\"\n", "key 'ecosystems.shrubland'"),
        ("[run\n", "key '(syntax)'"),
    ])
    func badConfigurationIsRefusedByEveryCommandNamingTheKey(text: String, expected: String) throws {
        let folder = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("run.toml").path
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        for arguments in [["run", "--config", config], ["map", "--config", config], ["report", "--config", config],
                          ["mosaic", "--config", config, "--tiles", "2"]] {
            let result = try CLI.run(arguments)
            #expect(result.status == 1, "\(arguments[0]): \(result.stderr)")
            #expect(result.stderr.hasPrefix("soilbeta: error: \(config): \(expected)"), "\(arguments[0]): \(result.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["run.toml"], "\(arguments[0]) wrote something")
        }
    }
}
