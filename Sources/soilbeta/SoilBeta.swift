import ArgumentParser
import Essentials
import Foundation

/// The program's entry point and its one error handler: every library error conforms to `SoilBetaError` and
/// is printed as `soilbeta: error: FILE:LINE: field 'NAME': what is wrong` (or `FILE: key 'a.b': …` for the
/// configuration) with exit status 1; argument errors are ArgumentParser's usage messages.
@main
enum SoilBetaMain {
    static func main() async {
        do {
            var command = try SoilBeta.parseAsRoot()
            if var asynchronous = command as? AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch let failure as SoilBetaError {
            FileHandle.standardError.write(Data("soilbeta: error: \(printable(failure.description))\n".utf8))
            exit(1)
        } catch {
            SoilBeta.exit(withError: error)
        }
    }
}

/// The `soilbeta` command-line program: parses arguments and calls the library targets.
struct SoilBeta: AsyncParsableCommand {
    static let version = SoilBetaVersion.string
    static let configuration = CommandConfiguration(
        commandName: "soilbeta",
        abstract: "Soil-profile SOC depth parameter β, subsoil SOC density and stocks (global maps).",
        version: version,
        subcommands: [
            HarmonizeCommand.self,
            BetaCommand.self,
            SimulateProfilesCommand.self,
            ForestCommand.self,
            PrepareCommand.self,
            ExtractCommand.self,
            RunCommand.self,
            DriversCommand.self,
            DemoDataCommand.self,
            MapCommand.self,
            MosaicCommand.self,
            ReportCommand.self,
            SubmitCommand.self,
            StatusCommand.self,
        ]
    )
}
