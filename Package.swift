// swift-tools-version:6.0
import PackageDescription

// Targets are listed in pipeline order: a target depends only on targets listed before it
// (checked by scripts/check-architecture.py in `make test`).
let package = Package(
    name: "SoilBeta",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "soilbeta", targets: ["soilbeta"]),
        .executable(name: "soilbeta-bench", targets: ["soilbeta-bench"]),
        .library(name: "Essentials", targets: ["Essentials"]),
        .library(name: "RunModel", targets: ["RunModel"]),
        .library(name: "SoilProfiles", targets: ["SoilProfiles"]),
        .library(name: "DepthFunctions", targets: ["DepthFunctions"]),
        .library(name: "Statistics", targets: ["Statistics"]),
        .library(name: "Forest", targets: ["Forest"]),
        .library(name: "Rasters", targets: ["Rasters"]),
        .library(name: "Mapping", targets: ["Mapping"]),
        .library(name: "Report", targets: ["Report"]),
        .library(name: "DemoData", targets: ["DemoData"]),
        .library(name: "Cluster", targets: ["Cluster"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // Foundation of every target: the Ecosystem type, CSV reading/writing, FileError, atomic files,
        // content hashes (swift-crypto), the seeded random stream, parallel helpers, the user-facing error protocol.
        .target(name: "Essentials", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        // The run model every stage shares: the run configuration (decoded once, TOMLKit), the run-folder
        // layout, the manifest and the typed rows of every output table.
        .target(name: "RunModel", dependencies: ["Essentials", .product(name: "TOMLKit", package: "TOMLKit")]),
        // Ingest, validation and units of horizon/site tables (METHOD.md §1).
        .target(name: "SoilProfiles", dependencies: ["Essentials"]),
        // Mass-preserving spline, SOC density and the β depth model (METHOD.md §2–§5).
        .target(name: "DepthFunctions", dependencies: ["Essentials", "RunModel", "SoilProfiles"]),
        // Descriptive statistics, distributions, ANOVA/Tukey, LOESS (METHOD.md §6).
        .target(name: "Statistics", dependencies: ["Essentials"]),
        // Hand-vectorised C kernels of the forest (AVX2 IJ quadratic form), chosen at run time, same bits as the Swift code.
        .target(name: "CForestKernels"),
        // Random forest regression, tuning, CV, importance, QRF, fused grid prediction (METHOD.md §7).
        .target(name: "Forest", dependencies: ["Essentials", "Statistics", "CForestKernels"]),
        // GDAL C API as a system library (Debian libgdal-dev).
        .systemLibrary(name: "CGDAL", pkgConfig: "gdal",
                       providers: [.apt(["libgdal-dev"])]),
        // Rasters: GDAL wrapper, grids, cell areas (METHOD.md §8).
        .target(name: "Rasters", dependencies: ["Essentials", "CGDAL"]),
        // Grid prediction of β with trained models, SOC density layers and stocks (METHOD.md §8–§9).
        .target(name: "Mapping", dependencies: ["Essentials", "RunModel", "DepthFunctions", "Forest", "Rasters", "Statistics"]),
        // Plots, maps and the HTML report, read through the run model.
        .target(name: "Report", dependencies: ["Essentials", "RunModel", "Statistics", "Rasters", "CGDAL"]),
        // DEMO inputs from real packaged land cover and climate zones (demo/README.md), synthetic profiles,
        // and synthetic map inputs with their trained models (benchmarks and tests).
        .target(name: "DemoData", dependencies: ["Essentials", "RunModel", "SoilProfiles", "DepthFunctions", "Statistics", "Forest", "Rasters"]),
        // The whole pipeline from a run configuration: steps, content-hash skipping, logs, provenance.
        .target(name: "Pipeline", dependencies: [
            "Essentials", "RunModel", "SoilProfiles", "DepthFunctions", "Statistics", "Forest", "Rasters", "Mapping", "Report",
        ]),
        // Cluster runs: the map step as a SLURM job array (submit, status), training before it, mosaic after it.
        .target(name: "Cluster", dependencies: ["Essentials", "RunModel", "Mapping"]),
        // The command-line program: parses arguments, calls the libraries.
        .executableTarget(name: "soilbeta", dependencies: [
            "Essentials", "RunModel", "SoilProfiles", "DepthFunctions", "Statistics", "Forest", "Rasters", "Mapping", "Report",
            "DemoData", "Pipeline", "Cluster",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Benchmark tooling (forest-bench, map-synthetic-inputs) for `make bench`, kept out of the product CLI.
        .executableTarget(name: "soilbeta-bench", dependencies: [
            "Essentials", "RunModel", "DepthFunctions", "Statistics", "Forest", "Rasters", "DemoData", "Pipeline",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "EssentialsTests", dependencies: ["Essentials"]),
        .testTarget(name: "RunModelTests", dependencies: ["Essentials", "RunModel"]),
        .testTarget(name: "SoilProfilesTests", dependencies: ["Essentials", "SoilProfiles", "DepthFunctions"], exclude: ["Fixtures"]),
        .testTarget(name: "DepthFunctionsTests", dependencies: ["Essentials", "RunModel", "DepthFunctions", "SoilProfiles"], exclude: ["Fixtures"]),
        .testTarget(name: "StatisticsTests", dependencies: ["Essentials", "Statistics"], exclude: ["Fixtures"]),
        .testTarget(name: "ForestTests", dependencies: ["Essentials", "SoilProfiles", "Statistics", "Forest"], exclude: ["Fixtures"]),
        .testTarget(name: "RastersTests", dependencies: ["Essentials", "CGDAL", "Rasters"]),
        .testTarget(name: "MappingTests", dependencies: ["Essentials", "RunModel", "Mapping", "Rasters", "Forest", "DemoData"],
                    exclude: ["Support"]),
        .testTarget(name: "ReportTests", dependencies: ["Essentials", "RunModel", "SoilProfiles", "Statistics", "CGDAL", "Rasters", "Report"],
                    exclude: ["Support"]),
        .testTarget(name: "DemoDataTests", dependencies: ["Essentials", "DemoData", "DepthFunctions", "Forest", "Rasters", "SoilProfiles"]),
        .testTarget(name: "PipelineTests", dependencies: ["Essentials", "RunModel", "Mapping", "Report", "Pipeline", "DemoData", "SoilProfiles"]),
        .testTarget(name: "ClusterTests", dependencies: ["Essentials", "RunModel", "Mapping", "Rasters", "DemoData", "Cluster"]),
        .testTarget(name: "EndToEndTests", dependencies: ["Essentials", "SoilProfiles", "CGDAL", "Rasters", "soilbeta"]),
    ],
    swiftLanguageModes: [.v6]
)
