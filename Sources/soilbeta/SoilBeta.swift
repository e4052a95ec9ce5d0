import ArgumentParser

/// The `soilbeta` command-line program: parses arguments and calls the library targets.
@main
struct SoilBeta: AsyncParsableCommand {
    static let version = "0.1.0"
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
        ]
    )
}
