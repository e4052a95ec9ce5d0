import Essentials
import Foundation
import Rasters
import RunModel

/// Step `sites-gpkg` of `soilbeta run`: the profiles as a GeoPackage (`sites.gpkg`) for GIS users. Layer
/// `sites`: one point per profile with β, id, ecosystem, study, fit RMSE, every covariate, the random-CV fold,
/// out-of-fold prediction and residual of its ecosystem's forest. Layer `layers`: the layer SOC densities
/// (Mg C ha⁻¹) of every profile with a location.
enum SitesPackageStep {
    static func run(_ steps: PipelineSteps) throws {
        let layout = steps.layout
        var inputs = [layout.path(.betaTable), layout.path(.sitesTable)]
        for ecosystem in Ecosystem.allCases where FileManager.default.fileExists(atPath: layout.path(.crossValidation(ecosystem, .random))) {
            inputs.append(layout.path(.crossValidation(ecosystem, .random)))
        }
        try steps.ledger.step("sites-gpkg", parameters: "features=\(steps.forest.features)", inputs: inputs) {
            let betaRows = try RunTable.read(BetaRow.self, from: layout.path(.betaTable))
            let sites = try SiteTable.read(path: layout.path(.sitesTable), features: steps.forest.features)
            var betaOf: [String: BetaRow] = [:]
            for row in betaRows { betaOf[row.id] = row }
            var cvOf: [String: CrossValidationRow] = [:]
            for ecosystem in Ecosystem.allCases where FileManager.default.fileExists(atPath: layout.path(.crossValidation(ecosystem, .random))) {
                for row in try RunTable.read(CrossValidationRow.self, from: layout.path(.crossValidation(ecosystem, .random))) { cvOf[row.id] = row }
            }
            let ids = sites.ids
            var columns: [PointLayer.Column] = [
                .text("id", ids), .text("ecosystem", sites.ecosystem.map { $0?.name ?? "" }),
                .text("study", ids.map { betaOf[$0]?.study ?? "" }), .number("beta", sites.beta),
                .number("fit_rmse", ids.map { betaOf[$0]?.rmse ?? .nan }),
            ]
            columns += steps.forest.features.map { .number($0, sites.values(of: $0)) }
            columns += [.integer("cv_fold", ids.map { cvOf[$0]?.fold ?? 0 }),
                        .number("cv_predicted", ids.map { cvOf[$0]?.predicted ?? .nan }),
                        .number("cv_residual", ids.map { id in cvOf[id].map { $0.observed - $0.predicted } ?? .nan })]
            let located = betaRows.filter { $0.longitude.isFinite && $0.latitude.isFinite }
            var layerColumns: [PointLayer.Column] = [.text("id", located.map(\.id))]
            for (k, label) in SOCLayer.labels.prefix(5).enumerated() {
                layerColumns.append(.number("socd_\(label.replacingOccurrences(of: "-", with: "_"))", located.map { $0.layerDensity[k] }))
            }
            layerColumns += [.number("socd_0_100", located.map(\.density0to100)), .number("beta", located.map(\.beta)),
                             .text("status", located.map(\.status))]
            try GeoPackageWriter.write([
                PointLayer(name: "sites", longitude: sites.longitude, latitude: sites.latitude, columns: columns),
                PointLayer(name: "layers", longitude: located.map(\.longitude), latitude: located.map(\.latitude), columns: layerColumns),
            ], to: layout.path(.sitesPackage))
            return ([layout.path(.sitesPackage)], "sites.gpkg: \(ids.count) sites, \(located.count) profiles with layer densities")
        }
    }
}
