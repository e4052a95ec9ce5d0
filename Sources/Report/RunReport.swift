import Essentials
import Foundation
import RunModel
import Statistics


/// Builds the HTML report of a run (issue 5 item 3; METHOD.md §6–§9) from its configuration: every file it
/// reads comes from the run's `RunLayout` and is read as its typed table (`RunTable`, `SiteTable`,
/// `RunDocument`), so a renamed or missing column stops the report with an error naming the file and the
/// column. A piece of the run that is absent (a step not run) becomes a visible "not available" note.
public struct RunReport {
    /// The run's configuration.
    public let configuration: RunConfiguration
    /// The run folder's layout.
    public let layout: RunLayout
    /// The run folder.
    public var runFolder: String { layout.folder }
    /// Maximum width of a rendered map in pixels (maps are reduced by block means).
    public var maxMapColumns: Int
    /// Quantiles of the map values spanned by the colour scale (default 2 % – 98 %).
    public var colorScaleQuantiles: (low: Double, high: Double)
    /// Software name and version for the subtitle (e.g. "soilbeta 0.1.0").
    public var software: String

    /// A report of the run of `configuration` with the given rendering options.
    public init(configuration: RunConfiguration, maxMapColumns: Int = 1440,
                colorScaleQuantiles: (low: Double, high: Double) = (0.02, 0.98), software: String = SoilBetaVersion.software) {
        self.configuration = configuration
        layout = configuration.layout
        self.maxMapColumns = maxMapColumns
        self.colorScaleQuantiles = colorScaleQuantiles
        self.software = software
    }

    /// The three ecosystems (code, name) in the paper's order, from `Ecosystem`.
    public static var ecosystems: [(code: String, name: String)] { Ecosystem.allCases.map { ($0.code, $0.name) } }

    /// Units of the paper's covariates, by lower-case feature name, for axis titles.
    public static let featureUnits: [String: String] = [
        "soc": "g kg⁻¹", "tn": "g kg⁻¹", "cn": "–", "c_n": "–", "c:n": "–", "mat": "°C", "map": "mm yr⁻¹",
        "bd": "g cm⁻³", "mbc": "mg kg⁻¹", "mbn": "mg kg⁻¹", "clay": "%", "ph": "pH units",
        "mbc_mbn": "–", "mbc:mbn": "–", "mbcmbn": "–", "sand": "%", "silt": "%", "elevation": "m",
    ]

    /// The file(s) the land background came from, set by `html()`.
    public private(set) var landSource: String?

    /// Pieces of the run that were missing (relative paths), filled by `html()`.
    public private(set) var missing: [String] = []

    mutating func note(_ what: String, _ relative: String) -> String {
        if !missing.contains(relative) { missing.append(relative) }
        return missingNote(what, expected: relative)
    }

    /// Builds the HTML text of the report. Throws (naming file, line, field) only for files
    /// that exist but are malformed; missing files become notes.
    public mutating func html() throws -> String {
        missing = []
        let data = try RunData.load(configuration: configuration, maxMapColumns: maxMapColumns)
        let provenance = data.manifest, profiles = data.profiles, land = data.land?.grid
        landSource = data.land?.source
        var sections: [ReportSection] = []
        sections.append(ReportSection(id: "fig1", title: "Fig. 1 — Profile locations", body: try siteMapSection(profiles, land: land)))
        sections.append(ReportSection(id: "beta-summary", title: "β by ecosystem — summary, ANOVA and Tukey HSD", body: try betaTablesSection(data)))
        sections.append(ReportSection(id: "fig2", title: "Fig. 2 — Drivers of β", body: try driversSection(data)))
        sections.append(ReportSection(id: "fig3", title: "Fig. 3 — Random forest validation and β maps", body: try forestSection(data, land: land)))
        sections.append(ReportSection(id: "fig4", title: "Fig. 4 — Subsoil SOC density", body: try subsoilSection(data, land: land)))
        sections.append(ReportSection(id: "table1", title: "Table 1 — SOC stocks", body: try stocksSection(data)))
        sections.append(ReportSection(id: "tuning", title: "Random forest tuning grid", body: try tuningSection(data)))
        sections.append(ReportSection(id: "provenance", title: "Provenance", body: provenanceSection(provenance, filesRead: data.filesRead)))
        let banner = (provenance?.synthetic ?? configuration.run.synthetic)
            ? "DEMO — this run uses synthetic inputs; its numbers say nothing about real soils." : nil
        let subtitle = "Run folder: \(runFolder) · report by \(software) · " + (provenance.map { "run of \($0.date)" } ?? "run date unknown")
        return HTMLDocument(title: "Soil organic carbon depth distribution (β) and subsoil SOC — run report",
                            subtitle: subtitle, demoBanner: banner, sections: sections).render()
    }

    /// Builds the report and writes it to `outputPath` atomically (`AtomicFile`: a temporary
    /// file in the same folder, renamed when complete). Returns the number of bytes written.
    @discardableResult
    public mutating func write(to outputPath: String) throws -> Int {
        let data = Data(try html().utf8)
        try AtomicFile.write(data, to: outputPath)
        return data.count
    }

    /// Published SOC stocks compiled in Table 1 of the study (cited there): ecosystem, area (10⁹ ha), topsoil,
    /// subsoil and 0–100 cm stocks (Pg C), source. Facts quoted with their sources, for comparison only.
    static let publishedEstimates: [[String]] = [
        ["cropland", "—", "58", "69", "127", "Liu et al. (2021)"],
        ["cropland", "1.20", "58", "67", "125", "the study (0–20, 20–100 cm)"],
        ["forestland", "4.1", "359", "787", "1146", "Dixon et al. (1994)"],
        ["forestland", "5.64", "519", "644", "1164", "the study (0–20, 20–100 cm)"],
        ["grassland", "—", "—", "—", "343", "Conant (2010)"],
        ["grassland", "2.59", "170", "200", "370", "the study (0–20, 20–100 cm)"],
        ["all land", "—", "684–724", "778–824", "1462–1548", "Batjes (1996)"],
        ["all land", "—", "699", "718", "1417", "Hiederer & Köchy (2011)"],
        ["all land", "—", "699", "716", "1416", "Scharlemann et al. (2014)"],
        ["all land", "—", "863", "961", "1824", "Sanderman et al. (2017)"],
        ["all land", "—", "748", "912", "1659", "the study (0–20, 20–100 cm)"],
    ]

    /// A covariate's name for panel titles: `pH`, `MBC:MBN`, `C:N`, `SOC`, `Clay` … (else the name in capitals).
    static func featureDisplayName(_ feature: String) -> String {
        let names = ["ph": "pH", "mbc_mbn": "MBC:MBN", "mbc:mbn": "MBC:MBN", "cn": "C:N", "c_n": "C:N", "c:n": "C:N",
                     "clay": "Clay", "sand": "Sand", "silt": "Silt", "elevation": "Elevation"]
        return names[feature.lowercased()] ?? feature.uppercased()
    }

    static func ecosystemName(_ text: String) -> String { Ecosystem(parsing: text)?.name ?? text.lowercased() }

    /// Graticule spacing in degrees: 30° for global maps, nice steps for regional ones.
    static func graticuleStep(width: Double, height: Double) -> Double {
        let ticks = Ticks.pretty(0, min(width, height), count: 4)
        return width >= 90 && height >= 60 ? 30 : max(ticks.count > 1 ? ticks[1] - ticks[0] : width, 1e-6)
    }

    /// Opens a map with longitude labels below and latitude labels left of it (HTML spans placed
    /// in % of the frame, so they stay readable at any width); close with `</div></div>`.
    static func mapAxesOpen(west: Double, north: Double, width: Double, height: Double, aspect: String) -> String {
        let step = graticuleStep(width: width, height: height)
        func label(_ value: Double, positive: String, negative: String) -> String {
            let magnitude = Ticks.label(abs(value), decimals: Ticks.decimals(forStep: step))
            return value == 0 ? "0°" : magnitude + "°" + (value > 0 ? positive : negative)
        }
        var h = "<div class=\"mapaxes\">"
        // Every other meridian is labelled when there are many, so labels never collide.
        let lonStep = width / step > 8 ? 2 * step : step
        var lon = (west / lonStep).rounded(.up) * lonStep
        while lon <= west + width + 1e-9 {
            let f = (lon - west) / width
            defer { lon += lonStep }
            h += "<span class=\"lonlabel\" style=\"left: calc(38px + (100% - 38px) * \(String(format: "%.4f", f)))\">\(label(lon, positive: "E", negative: "W"))</span>"
        }
        var lat = ((north - height) / step).rounded(.up) * step
        while lat <= north + 1e-9 {
            let f = (north - lat) / height
            h += "<span class=\"latlabel\" style=\"top: calc((100% - 18px) * \(String(format: "%.4f", f)))\">\(label(lat, positive: "N", negative: "S"))</span>"
            lat += step
        }
        return h + "<div class=\"mapframe\" style=\"aspect-ratio: \(aspect)\">"
    }

    /// An SVG overlay (for a `.mapframe`) with a frame and a graticule (every 30° on global maps);
    /// `content` is drawn on top (in lon/−lat coordinates).
    static func mapOverlay(west: Double, north: Double, width: Double, height: Double,
                           title: String, figureID: String?, content: String = "") -> String {
        let step = graticuleStep(width: width, height: height)
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"\(svgNumber(west)) \(svgNumber(-north)) \(svgNumber(width)) \(svgNumber(height))\" preserveAspectRatio=\"none\" role=\"img\""
        if let figureID { s += " data-figure=\"\(figureID)\"" }
        s += "><title>\(xmlEscaped(title))</title><g stroke=\"#8a96a3\" stroke-opacity=\"0.45\" stroke-width=\"0.6\" vector-effect=\"non-scaling-stroke\" fill=\"none\">"
        var lon = (west / step).rounded(.up) * step
        while lon <= west + width + 1e-9 {
            s += "<line x1=\"\(svgNumber(lon))\" y1=\"\(svgNumber(-north))\" x2=\"\(svgNumber(lon))\" y2=\"\(svgNumber(-north + height))\" vector-effect=\"non-scaling-stroke\"/>"
            lon += step
        }
        var lat = ((north - height) / step).rounded(.up) * step
        while lat <= north + 1e-9 {
            s += "<line x1=\"\(svgNumber(west))\" y1=\"\(svgNumber(-lat))\" x2=\"\(svgNumber(west + width))\" y2=\"\(svgNumber(-lat))\" vector-effect=\"non-scaling-stroke\"/>"
            lat += step
        }
        s += "<rect x=\"\(svgNumber(west))\" y=\"\(svgNumber(-north))\" width=\"\(svgNumber(width))\" height=\"\(svgNumber(height))\" vector-effect=\"non-scaling-stroke\"/>"
        return s + "</g>" + content + "</svg>"
    }

    // MARK: - Fig. 1

    mutating func siteMapSection(_ profiles: RunData.Profiles?, land: GeoGrid?) throws -> String {
        guard let profiles else { return note("profile locations (Fig. 1)", "sites.csv or beta.csv with lon, lat, ecosystem, beta") }
        var body = ""
        let west = land?.west ?? -180, east = land?.east ?? 180, north = land?.north ?? 90, south = land?.south ?? -90
        let width = east - west, height = north - south
        body += "<figure class=\"map\" data-figure=\"fig1-sites\">"
        body += RunReport.mapAxesOpen(west: west, north: north, width: width, height: height, aspect: "\(svgNumber(width)) / \(svgNumber(height))")
        if let land {
            let background = land.blockMean(maxColumns: maxMapColumns)
            let png = try encodeIndexedPNG(indices: landIndices(background), width: background.columns, height: background.rows,
                                           palette: [MapBackground.siteMapLand, MapBackground.ocean])
            body += "<img src=\"\(pngDataURI(png))\" alt=\"land background\" width=\"\(background.columns)\" height=\"\(background.rows)\">"
        } else {
            if !missing.contains("land.tif") { missing.append("land.tif") }
        }
        let radius = max(width / 360, 0.01) * 1.15 * max(1, width / height / 2)
        var points = ""
        if land == nil {
            let o = MapBackground.ocean
            points += "<rect x=\"\(svgNumber(west))\" y=\"\(svgNumber(-north))\" width=\"\(svgNumber(width))\" height=\"\(svgNumber(height))\" fill=\"rgb(\(o.red),\(o.green),\(o.blue))\"/>"
        }
        var counts: [String: Int] = [:]
        for (_, name) in RunReport.ecosystems {
            let color = EcosystemColors.color(for: name)
            points += "<g fill=\"\(color)\" stroke=\"#fff\" stroke-width=\"\(svgNumber(radius * 0.25))\">"
            for i in profiles.lon.indices where RunReport.ecosystemName(profiles.ecosystem[i]) == name
                && profiles.lon[i].isFinite && profiles.lat[i].isFinite && profiles.beta[i].isFinite {
                counts[name, default: 0] += 1
                points += "<circle cx=\"\(svgNumber(profiles.lon[i]))\" cy=\"\(svgNumber(-profiles.lat[i]))\" r=\"\(svgNumber(radius))\"/>"
            }
            points += "</g>"
        }
        body += RunReport.mapOverlay(west: west, north: north, width: width, height: height, title: "Profile locations by ecosystem",
                                     figureID: "fig1-points", content: points)
        body += "</div></div>"
        body += "<div class=\"legend-row\">"
        for (_, name) in RunReport.ecosystems {
            body += "<span><span class=\"swatch\" style=\"background:\(EcosystemColors.color(for: name))\"></span>\(name) (n = \(counts[name] ?? 0))</span>"
        }
        if land != nil {
            let l = MapBackground.siteMapLand, o = MapBackground.ocean
            body += "<span><span class=\"swatch box\" style=\"background:rgb(\(l.red),\(l.green),\(l.blue))\"></span>land</span>"
            body += "<span><span class=\"swatch box\" style=\"background:rgb(\(o.red),\(o.green),\(o.blue))\"></span>ocean</span>"
        }
        body += "</div><figcaption>Locations of the \(counts.values.reduce(0, +)) soil profiles with β by ecosystem (\(profiles.source); WGS84, equirectangular)."
        body += land == nil ? " No land raster in this run (land.tif): drawn without a land background." : " Land from \(xmlEscaped(landSource ?? "land.tif"))."
        body += " Thin lines: graticule.</figcaption></figure>"
        return body
    }

    // MARK: - Tables of β

    /// A typed table of the run shown as HTML, or a note when the run has not written it.
    mutating func typedTable<Row: TableRow>(_ rows: [Row]?, _ file: RunFile, what: String) throws -> String {
        guard let rows else { return note(what, file.relativePath) }
        let fields = try CSVTable.parse(text: RunTable.csv(rows), source: file.relativePath)
        return htmlTable(header: Row.columns.map(\.name), rows: fields.rows, numberFormat: formatTableNumber,
                         id: (file.relativePath as NSString).lastPathComponent)
    }

    mutating func betaTablesSection(_ data: RunData) throws -> String {
        var body = "<h3>Summary of β by ecosystem</h3>"
        if let rows = data.betaRows {
            let fitted = rows.filter { !$0.beta.isNaN }
            let flagged = fitted.filter { $0.status.contains("flagged:") }
            let kinds: [(String, String)] = [("beta fit RMSE", "fit RMSE above 0.15"), ("increases with depth", "SOC density increasing with depth"),
                                             ("clamped to 0", "spline clamped to 0"), ("far above", "spline far above the horizon values")]
            var parts: [String] = []
            for (needle, label) in kinds {
                let count = flagged.filter { $0.status.contains(needle) }.count
                if count > 0 { parts.append("\(count) \(label)") }
            }
            body += "<p class=\"note\" data-figure=\"fit-flags\">\(fitted.count) of \(rows.count) profiles have a β; "
                + (flagged.isEmpty ? "none is flagged." : "\(flagged.count) are flagged (\(parts.joined(separator: ", "))): "
                    + "they keep their β, the status column of beta.csv says why, and <code>exclude_flagged = true</code> leaves them out of the forests.")
                + "</p>"
        }
        body += try typedTable(data.betaSummary, .betaSummary, what: "β summary")
        body += "<p class=\"note\">Percentiles are R type 7; CV = SD / mean × 100 %.</p>"
        body += "<h3>One-way ANOVA of β among ecosystems</h3>"
        body += try typedTable(data.anova, .anova, what: "ANOVA table")
        body += "<h3>Tukey HSD (95 % family-wise confidence)</h3>"
        body += try typedTable(data.tukey, .tukey, what: "Tukey HSD table")
        return body
    }

    // MARK: - Fig. 2

    mutating func driversSection(_ data: RunData) throws -> String {
        let profiles = data.profiles
        var body = ""

        let meanBeta: Double? = profiles.flatMap { p in
            let finite = p.beta.filter { $0.isFinite }
            return finite.isEmpty ? nil : finite.reduce(0, +) / Double(finite.count)
        }
        if data.smooth.isEmpty {
            body += note("driver curves (LOESS of β on each covariate)", "drivers/smooth_<feature>.csv")
        } else {
            body += "<div class=\"grid\" data-figure=\"fig2-drivers\">"
            // One β axis for every panel, so the panels compare: the 1–99 % range of the profiles' β, widened
            // to hold the curves and bands.
            var shared: [Double] = profiles.map { finiteQuantilesType7($0.beta, [0.01, 0.99]).compactMap { $0 } } ?? []
            for (_, table) in data.smooth { for row in table where row.group.lowercased() == "all" { shared += [row.lower95, row.upper95].filter(\.isFinite) } }
            let sharedRange: ClosedRange<Double>? = (shared.min().flatMap { low in shared.max().map { low...$0 } }).flatMap { $0.upperBound > $0.lowerBound ? $0 : nil }
            for (feature, rawTable) in data.smooth {
                // Curves are drawn only where the data are: between the 2.5 % and 97.5 % quantiles of the
                // covariate at the profiles (LOESS far from data is extrapolation).
                let covariate = profiles?.covariate(feature)
                let support = covariate.map { finiteQuantilesType7($0, [0.025, 0.975]) }
                let table = rawTable.filter { row in
                    guard let low = support?[0], let high = support?[1] else { return true }
                    return row.x >= low && row.x <= high
                }
                let allX = table.map(\.x), allFit = table.map(\.fit)
                // The band and black line are the "all" curve, ecosystems thin lines.
                let groups: [String]? = table.map { $0.group.lowercased() }
                let overall = allX.indices.filter { groups == nil || groups![$0] == "all" }
                let x = overall.map { allX[$0] }, fit = overall.map { allFit[$0] }
                let lower = overall.map { table[$0].lower95 }, upper = overall.map { table[$0].upper95 }
                let fileMeanBeta: Double? = overall.map { table[$0].meanBeta }.first { $0.isFinite }
                var layers: [PlotLayer] = []
                if let profiles, let values = profiles.covariate(feature) {
                    for (_, name) in RunReport.ecosystems {
                        let idx = values.indices.filter { RunReport.ecosystemName(profiles.ecosystem[$0]) == name }
                        if idx.isEmpty { continue }
                        layers.append(.points(x: idx.map { values[$0] }, y: idx.map { profiles.beta[$0] },
                                              color: EcosystemColors.color(for: name), label: name, radius: 2.2, opacity: 0.55))
                    }
                }
                layers.append(.band(x: x, lower: lower, upper: upper, color: "#333333", label: "95 % CI", opacity: 0.2))
                if let groups {
                    for (_, name) in RunReport.ecosystems {
                        let rows = allX.indices.filter { RunReport.ecosystemName(groups[$0]) == name }
                        if rows.isEmpty { continue }
                        layers.append(.line(x: rows.map { allX[$0] }, y: rows.map { allFit[$0] },
                                            color: EcosystemColors.color(for: name), label: nil, width: 1.4, dash: "4 2"))
                    }
                }
                layers.append(.line(x: x, y: fit, color: "#111111", label: "LOESS", width: 2))
                if let mean = fileMeanBeta ?? meanBeta { layers.append(.horizontalLine(y: mean, color: "#7a1fa2", label: "mean β")) }
                let name = RunReport.featureDisplayName(feature)
                let unit = RunReport.featureUnits[feature.lowercased()]
                let label = name + (unit.map { $0 == "–" ? "" : " (\($0))" } ?? "")
                body += XYPlot(title: name, xLabel: label, yLabel: "β (–)", layers: layers, width: 380, height: 290,
                               yRange: sharedRange, showLegend: false, figureID: "fig2-\(feature)").svg()
            }
            body += "</div><div class=\"legend-row\">"
            for (_, name) in RunReport.ecosystems {
                body += "<span><span class=\"swatch\" style=\"background:\(EcosystemColors.color(for: name))\"></span>\(name)</span>"
            }
            body += "<span><span class=\"swatch box\" style=\"background:rgba(51,51,51,0.25)\"></span>95 % confidence band</span>"
            body += "<span><svg width=\"22\" height=\"10\" role=\"img\"><title>LOESS line</title><line x1=\"0\" y1=\"5\" x2=\"22\" y2=\"5\" stroke=\"#111\" stroke-width=\"2\"/></svg> LOESS fit</span>"
            body += "<span><svg width=\"22\" height=\"10\" role=\"img\"><title>mean line</title><line x1=\"0\" y1=\"5\" x2=\"22\" y2=\"5\" stroke=\"#7a1fa2\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/></svg> mean β</span></div>"
            body += "<p class=\"note\">One panel per covariate, all on the same β axis. Points: profiles; black line: LOESS of β on the covariate over all profiles (degree 2, span 0.75) with its pointwise 95 % confidence band; thin dashed coloured lines: LOESS per ecosystem; dashed purple line: mean β of all profiles. Curves are drawn between the 2.5 % and 97.5 % quantiles of the covariate at the profiles, where the data are (docs/METHOD.md §6).</p>"
            if profiles == nil, !missing.contains("sites.csv (points of Fig. 2)") { missing.append("sites.csv (points of Fig. 2)") }
        }
        body += "<h3>Relative contributions of the covariates</h3>"
        if let table = data.contributions {
            let names = table.map(\.feature)
            let values = table.map(\.percent)
            let order = values.indices.sorted { (values[$0].isFinite ? values[$0] : -1) > (values[$1].isFinite ? values[$1] : -1) }
            body += BarChart(title: "Relative contribution to β (permutation importance)",
                             categories: order.map { names[$0] }, values: order.map { values[$0] },
                             valueLabel: "Relative contribution (%)", width: 460, figureID: "fig2-contributions").svg()
            let forest = configuration.forest
            body += "<p class=\"note\">Share of the positive permutation importance (%IncMSE) of one random forest of β on "
                + "\(forest.map { "\($0.features.count) covariates, \($0.trees) trees" } ?? "the covariates") trained on the profiles of all "
                + "ecosystems together (drivers/importance_all.csv); the per-ecosystem forests' importances are in forest/XX/importance.csv (docs/METHOD.md §6).</p>"
        } else {
            body += note("relative contributions", "drivers/contributions.csv")
        }
        return body
    }

    // MARK: - Fig. 3

    /// One observed-vs-predicted panel from `forest/XX/cv_<scheme>.csv`.
    mutating func cvPlot(_ rows: [CrossValidationRow]?, ecosystem: Ecosystem, scheme: ValidationScheme, title: String, color: String,
                         figureID: String) -> String {
        guard let rows else { return note(title, RunFile.crossValidation(ecosystem, scheme).relativePath) }
        return observedVersusPredictedPlot(title: title, observed: rows.map(\.observed), predicted: rows.map(\.predicted),
                                           color: color, figureID: figureID).svg()
    }

    mutating func forestSection(_ data: RunData, land: GeoGrid?) throws -> String {
        var body = "<h3>Observed vs predicted β (random 10-fold and spatial block cross-validation)</h3>"
        for ecosystem in Ecosystem.allCases {
            let code = ecosystem.code, name = ecosystem.name
            let color = EcosystemColors.color(for: name)
            body += "<h3>\(name.capitalized)</h3><div class=\"grid\">"
            let forest = data.forests[ecosystem] ?? RunData.ForestData()
            if let text = forest.notModelled {
                body += "<div class=\"missing\"><strong>Not modelled in this run:</strong> \(xmlEscaped(text.trimmingCharacters(in: .whitespacesAndNewlines)))</div>"
            } else if forest.present {
                body += cvPlot(forest.crossValidation[.random] ?? nil, ecosystem: ecosystem, scheme: .random, title: "\(code): random CV",
                               color: color, figureID: "fig3-cv-random-\(code)")
                body += cvPlot(forest.crossValidation[.spatial] ?? nil, ecosystem: ecosystem, scheme: .spatial, title: "\(code): spatial CV",
                               color: color, figureID: "fig3-cv-spatial-\(code)")
                if let rows = forest.crossValidation[.knndm] ?? nil {
                    body += cvPlot(rows, ecosystem: ecosystem, scheme: .knndm, title: "\(code): kNNDM CV", color: color, figureID: "fig3-cv-knndm-\(code)")
                }
                body += distancePanel(forest, code: code)
                for scheme in ValidationScheme.allCases {
                    guard let rows = forest.baseline[scheme] ?? nil else { continue }
                    body += observedVersusPredictedPlot(title: "\(code): mixed model, \(scheme.rawValue) CV", observed: rows.map(\.observed),
                                                        predicted: rows.map(\.predicted), color: "#6b6b6b",
                                                        figureID: "fig3-baseline-\(scheme.rawValue)-\(code)").svg()
                }
                if let model = forest.baselineModel {
                    var rows: [[String]] = []
                    for scheme in ValidationScheme.allCases {
                        let forestRows = forest.crossValidation[scheme] ?? nil
                        let skill = forestRows.map { PredictionSkill(observed: $0.map(\.observed), predicted: $0.map(\.predicted)) }
                        guard let mixed = model.skill(scheme) else { continue }
                        rows.append([scheme.rawValue, skill.map { String(format: "%.3f", $0.r2) } ?? "—", String(format: "%.3f", mixed.r2),
                                     skill.map { String(format: "%.5f", $0.rmse) } ?? "—", String(format: "%.5f", mixed.rmse)])
                    }
                    body += "<div data-figure=\"fig3-baseline-table-\(code)\">" + htmlTable(
                        header: ["CV", "R² forest", "R² mixed model", "RMSE forest", "RMSE mixed model"], rows: rows, id: "baseline-\(code)")
                        + "<p class=\"note\">Mixed model: β ~ covariates + (1 | study) by REML (\(model.n) profiles, \(model.studies) studies; "
                        + String(format: "study SD %.4f, residual SD %.4f", model.studyVariance.squareRoot(), model.residualVariance.squareRoot())
                        + "), on the forest's folds; a held-out profile of a study seen in training gets its study's intercept (docs/METHOD.md §8c).</p></div>"
                }
            } else {
                body += note("\(name) forest validation", "forest/\(code)/cv_random.csv")
            }
            body += "</div>"
        }
        body += "<p class=\"note\">R² and RMSE pooled over all folds (paper Eqs. 5–6); dashed line 1:1.</p>"
        body += "<h3>Global β maps</h3>"
        if FileManager.default.fileExists(atPath: layout.path(.mapPage)) {
            body += "<p data-figure=\"fig3-map-page\"><a href=\"\(xmlEscaped(layout.relative(layout.path(.mapPage))))\">Interactive map</a>: "
                + "pan and zoom over every β, SOC density and interval layer of every ecosystem at full grid resolution, "
                + "with the profile sites, and click a cell to read its values (docs/METHOD.md §9c).</p>"
        }
        body += try mapGroup(data, product: .beta, figurePrefix: "fig3-map", quantity: "β", unit: "–", land: land)
        body += try applicabilitySection(data, land: land)
        body += "<h3>Uncertainty of β: width of the 5–95 % prediction interval</h3>"
        body += try mapGroup(data.betaIntervalWidth, source: { [layout] in
            "\(layout.relative(layout.map($0, .betaQ95))) − \((MapProduct.betaQ05.fileName($0)))"
        }, figurePrefix: "fig3-interval", quantity: "β q95 − q05", unit: "–", land: land)
        body += "<p class=\"note\">The quantile regression forest's 90 % prediction interval of β for a profile dug in the cell "
            + "(Meinshausen 2006; docs/METHOD.md §7): wide where the training profiles disagree or are few. It is not the "
            + "uncertainty of the cell mean or of the stocks.</p>"
        if let standardErrors = data.maps[.betaStandardError], !standardErrors.isEmpty {
            body += "<h3>Uncertainty of the forest mean: standard error of β</h3>"
            body += try mapGroup(data, product: .betaStandardError, figurePrefix: "fig3-se", quantity: "SE of mean β", unit: "–", land: land)
            body += "<p class=\"note\">Infinitesimal-jackknife standard error of the forest's mean prediction (Wager, Hastie &amp; Efron 2014; "
                + "docs/METHOD.md §7): how much the mapped mean would move with another sample of profiles. With the spatially correlated "
                + "residual of the variogram it drives the simulated stock intervals (§8d); XX_20-100_SOCD_q05/q95.tif hold each cell's "
                + "5–95 % subsoil density under that model.</p>"
        }
        return body
    }

    // MARK: - Validation distances

    /// Empirical distribution functions of the nearest-neighbour distances (prediction-to-training and per CV
    /// scheme), with each scheme's Wasserstein distance to the prediction distribution (METHOD.md §7b).
    func distancePanel(_ forest: RunData.ForestData, code: String) -> String {
        guard let rows = forest.distances, !rows.isEmpty else { return "" }
        let colors = ["prediction": "#000000", "random": "#1b9e77", "spatial": "#d95f02", "knndm": "#7570b3"]
        var layers: [PlotLayer] = []
        for name in ["prediction", "random", "spatial", "knndm"] {
            let values = rows.filter { $0.distribution == name }.map(\.distanceKm).filter(\.isFinite).sorted()
            guard !values.isEmpty else { continue }
            var x: [Double] = [], y: [Double] = []
            for (k, value) in values.enumerated() {
                x += [value, value]
                y += [Double(k) / Double(values.count), Double(k + 1) / Double(values.count)]
            }
            let w = forest.summary?.wasserstein[name].map { String(format: " (W %.0f km)", $0) } ?? ""
            let label = name == "prediction" ? "cells → sites" : "\(name) CV\(w)"
            layers.append(.line(x: x, y: y, color: colors[name] ?? "#888", label: label, width: name == "prediction" ? 2.5 : 1.5,
                                dash: name == "prediction" ? nil : "5 3"))
        }
        let plot = XYPlot(title: "\(code): nearest-neighbour distances", xLabel: "Distance (km)", yLabel: "Cumulative share", layers: layers,
                          width: 340, height: 290, yRange: 0...1, legendCorner: "bottom-right", figureID: "fig3-distances-\(code)")
        var caption = "Black: each sampled mapped cell to its nearest training site; dashed: each held-out site to the nearest site of the "
            + "other folds. The CV whose curve follows the black one tests at the distances the map is used at (W: area between the curves)."
        if let summary = forest.summary, summary.knndm != nil {
            caption += summary.knndmClusters.map { " kNNDM dealt \($0) Ward clusters into the folds." } ?? " kNNDM kept the random folds (they matched best)."
        }
        return "<figure>" + plot.svg() + "<figcaption>\(xmlEscaped(caption))</figcaption></figure>"
    }

    // MARK: - Area of applicability

    /// β hatched outside the area of applicability, and stocks and area inside and outside it (Table 1 split).
    mutating func applicabilitySection(_ data: RunData, land: GeoGrid?) throws -> String {
        guard let inside = data.maps[.applicability], !inside.isEmpty else { return "" }
        var body = "<h3>Where the model applies: β with the area of applicability</h3>"
        body += try mapGroup(data.maps[.beta] ?? [:], source: { [layout] in
            "\(layout.relative(layout.map($0, .beta))), hatched where \(MapProduct.applicability.fileName($0)) = 0"
        }, figurePrefix: "fig3-aoa", quantity: "β", unit: "–", land: land, hatch: inside)
        body += "<p class=\"note\">Hatched: outside the area of applicability (AOA), where the cell's covariates are farther from every "
            + "training site than the cross-validated training sites are from each other (dissimilarity index above the threshold; "
            + "Meyer &amp; Pebesma 2021; docs/METHOD.md §8b). There the forest extrapolates and β is not supported by data. "
            + "XX_DI.tif and XX_AOA.tif hold the index and the mask at full resolution.</p>"
        if let stocks = data.stocks {
            var rows: [[String]] = []
            for row in stocks where row.layer == SOCLayer.labels[SOCLayer.subsoil] && row.area1e9HaInsideAOA.isFinite {
                let share = row.area1e9Ha > 0 ? 100 * row.area1e9HaInsideAOA / row.area1e9Ha : .nan
                rows.append([RunReport.ecosystemName(row.ecosystem), String(format: "%.3f", row.area1e9HaInsideAOA),
                             String(format: "%.3f", row.area1e9Ha - row.area1e9HaInsideAOA), String(format: "%.1f", share),
                             String(format: "%.1f", row.stockPgInsideAOA), String(format: "%.1f", row.stockPg - row.stockPgInsideAOA)])
            }
            if !rows.isEmpty {
                body += "<div data-figure=\"table1-aoa\">" + htmlTable(header: ["Ecosystem", "Area inside AOA (10⁹ ha)", "Area outside (10⁹ ha)",
                                                                          "Inside (% of area)", "Subsoil stock inside (Pg C)", "Subsoil stock outside (Pg C)"],
                                                                 rows: rows, id: "table1-aoa") + "</div>"
                body += "<p class=\"note\">Subsoil (20–100 cm) stock of Table 1 split by the area of applicability (maps/stocks.csv columns "
                    + "area_1e9_ha_inside_aoa, stock_pg_inside_aoa).</p>"
            }
        }
        return body
    }

    // MARK: - Maps

    /// The maps of one product (the map step's raster of every ecosystem).
    mutating func mapGroup(_ data: RunData, product: MapProduct, figurePrefix: String, quantity: String, unit: String, land: GeoGrid?,
                           compact: Bool = false) throws -> String {
        try mapGroup(data.maps[product] ?? [:], source: { [layout] in layout.relative(layout.map($0, product)) },
                     figurePrefix: figurePrefix, quantity: quantity, unit: unit, land: land, compact: compact)
    }

    /// Maps of one quantity per ecosystem on one colour scale; `source` names each map's file(s).
    /// `hatch` gives, per ecosystem, a grid whose cells < 0.5 are hatched (outside the area of applicability).
    mutating func mapGroup(_ gridOfEcosystem: [Ecosystem: GeoGrid], source: (Ecosystem) -> String, figurePrefix: String, quantity: String,
                           unit: String, land: GeoGrid?, compact: Bool = false, hatch: [Ecosystem: GeoGrid] = [:]) throws -> String {
        var grids: [(code: String, name: String, grid: GeoGrid, source: String)] = []
        var body = ""
        for ecosystem in Ecosystem.allCases {
            let code = ecosystem.code, name = ecosystem.name
            let relative = source(ecosystem)
            if let grid = gridOfEcosystem[ecosystem] {
                grids.append((code, name, grid, relative))
            } else {
                body += note("\(name) \(quantity) map", relative)
            }
        }
        guard !grids.isEmpty else { return body }
        // One colour scale for the group so that ecosystems compare directly.
        var pooled: [Double] = []
        for g in grids { for v in g.grid.values where !v.isNaN { pooled.append(Double(v)) } }
        let q = finiteQuantilesType7(pooled, [colorScaleQuantiles.low, colorScaleQuantiles.high])
        var low = q[0] ?? 0, high = q[1] ?? 1
        if !(high > low) { let mid = low; low = mid - 0.5 * max(abs(mid) * 1e-3, 1e-9); high = mid + 0.5 * max(abs(mid) * 1e-3, 1e-9) }
        let bar = colorBarSVG(range: low...high, title: "\(quantity) (\(unit))", width: 380)
        body += compact ? "<div class=\"maps compact\">" : "<div class=\"maps\">"
        for (code, name, grid, relative) in grids {
            let indices = renderMapIndexed(grid, range: low...high, land: land,
                                           hatchWhereBelowHalf: Ecosystem(parsing: code).flatMap { hatch[$0] })
            let png = try encodeIndexedPNG(indices: indices, width: grid.columns, height: grid.rows, palette: MapPalette.colors)
            let valid = grid.values.filter { !$0.isNaN }
            let mean = valid.isEmpty ? Double.nan : valid.reduce(0.0) { $0 + Double($1) } / Double(valid.count)
            body += "<figure class=\"map\" data-figure=\"\(figurePrefix)-\(code)\"><h3>\(name.capitalized): \(xmlEscaped(quantity))</h3>"
            body += RunReport.mapAxesOpen(west: grid.west, north: grid.north, width: grid.east - grid.west,
                                          height: grid.north - grid.south, aspect: "\(grid.columns) / \(grid.rows)")
            body += "<img src=\"\(pngDataURI(png))\" alt=\"\(code) \(xmlEscaped(quantity)) map\" width=\"\(grid.columns)\" height=\"\(grid.rows)\">"
            body += RunReport.mapOverlay(west: grid.west, north: grid.north, width: grid.east - grid.west, height: grid.north - grid.south,
                                         title: "graticule", figureID: nil) + "</div></div>"
            body += bar
            body += "<figcaption>\(xmlEscaped(relative)): \(grid.columns) × \(grid.rows) cells shown; unweighted mean of shown cells \(formatTableNumber(mean))\(unit == "–" ? "" : " " + unit)."
            body += land == nil ? " Cells without a value are transparent (no land raster in this run)." : " Grey: land without \(name); light blue-grey: ocean."
            body += " Equirectangular; thin lines: graticule."
            body += "</figcaption></figure>"
        }
        body += "</div><p class=\"note\">Colour scale: viridis, spanning the \(Int(colorScaleQuantiles.low * 100))–\(Int(colorScaleQuantiles.high * 100)) % quantiles of all shown cells of the group (values beyond are clamped).</p>"
        return body
    }

    // MARK: - Fig. 4

    mutating func subsoilSection(_ data: RunData, land: GeoGrid?) throws -> String {
        var body = "<h3>Subsoil (20–100 cm) SOC density</h3>"
        body += try mapGroup(data, product: .socDensity(layer: SOCLayer.subsoil), figurePrefix: "fig4-map", quantity: "SOCD 20–100 cm", unit: "Mg C ha⁻¹", land: land)
        body += "<h3>SOC density of every layer</h3>"
        for layer in 0..<SOCLayer.count where layer != SOCLayer.subsoil {
            let label = SOCLayer.labels[layer].replacingOccurrences(of: "-", with: "–")
            body += "<h4>\(label) cm</h4>"
            body += try mapGroup(data, product: .socDensity(layer: layer), figurePrefix: "fig4-layer-\(SOCLayer.labels[layer])",
                                 quantity: "SOCD \(label) cm", unit: "Mg C ha⁻¹", land: land, compact: true)
        }
        body += "<h3>Mean SOC density profile</h3>"
        guard let table = data.stocks else {
            if let fromProfiles = data.layerMeansFromProfiles {
                body += depthProfilePlot(layerDensities: fromProfiles, figureID: "fig4-profile").svg()
                body += "<p class=\"note\">Mean SOC density of each 20-cm layer over the profiles with all five layers (beta.csv), drawn at the layer mid-depth; maps/stocks.csv (area-weighted means of the maps) is not in this run.</p>"
                return body
            }
            return body + note("mean SOC density by layer", "maps/stocks.csv")
        }
        let ecosystems = table.map { RunReport.ecosystemName($0.ecosystem) }
        let wanted = Array(SOCLayer.labels.prefix(5))
        var profiles: [(ecosystem: String, meansMgPerHa: [Double])] = []
        for (_, name) in RunReport.ecosystems {
            let values = wanted.map { layer in
                table.indices.first { ecosystems[$0] == name && table[$0].layer == layer }.map { table[$0].socdMeanMgPerHa } ?? .nan
            }
            if values.contains(where: { $0.isFinite }) { profiles.append((name, values)) }
        }
        if profiles.isEmpty {
            return body + note("20-cm layers 0-20 … 80-100 in stocks.csv", "maps/stocks.csv")
        }
        body += depthProfilePlot(layerDensities: profiles, figureID: "fig4-profile").svg()
        body += "<p class=\"note\">Area-weighted mean SOC density of each 20-cm layer (from maps/stocks.csv), drawn at the layer mid-depth.</p>"
        return body
    }

    /// Mean SOC density per 20-cm layer and ecosystem over the profiles of `beta.csv` (columns
    /// `socd_0_20` … `socd_80_100`; ecosystem from beta.csv or joined from sites.csv on id),
    /// using only profiles with all five layers; nil when beta.csv lacks these columns.
    // MARK: - Table 1

    mutating func stocksSection(_ data: RunData) throws -> String {
        guard let stockRows = data.stocks else { return note("SOC stocks (Table 1)", RunFile.stocksTable.relativePath) }
        let table = (rows: stockRows, header: StockRow.columns.map(\.name))
        let ecosystems = stockRows.map { RunReport.ecosystemName($0.ecosystem) }
        let layers = stockRows.map(\.layer)
        let area = stockRows.map(\.area1e9Ha), stock = stockRows.map(\.stockPg)
        let simulated = stockRows.contains { $0.stockPgLow95.isFinite }
        // The simulated 95 % interval when the run has one, else the bounds (labelled as such below).
        let low: [Double]? = stockRows.map { simulated ? $0.stockPgLow95 : $0.stockPgBoundLow }
        let high: [Double]? = stockRows.map { simulated ? $0.stockPgHigh95 : $0.stockPgBoundHigh }
        let socd: [Double]? = stockRows.map(\.socdMeanMgPerHa)
        func cell(_ name: String, _ layer: String) -> String {
            guard let i = table.rows.indices.first(where: { ecosystems[$0] == name && layers[$0] == layer }) else { return "—" }
            var text = String(format: "%.1f", stock[i])
            if let low, let high, low[i].isFinite, high[i].isFinite, String(format: "%.1f", low[i]) != String(format: "%.1f", high[i]) {
                text += String(format: " (%.1f–%.1f)", low[i], high[i])
            }
            return text
        }
        var rows: [[String]] = []
        // The three ecosystems, then any other named group, then the mapping's "all" row.
        var names = RunReport.ecosystems.map { $0.name }
        for extra in Set(ecosystems).sorted() where !names.contains(extra) && extra != "all" { names.append(extra) }
        names.append("all")
        for name in names where ecosystems.contains(name) {
            let areaValue = table.rows.indices.first { ecosystems[$0] == name && area[$0].isFinite }.map { area[$0] }
            let subsoilSOCD = table.rows.indices.first { ecosystems[$0] == name && layers[$0] == "20-100" }.flatMap { i in socd.map { $0[i] } }
            rows.append([name, areaValue.map { String(format: "%.3f", $0) } ?? "—", cell(name, "0-20"), cell(name, "20-100"),
                         cell(name, "0-100"), subsoilSOCD.map { String(format: "%.1f", $0) } ?? "—"])
        }
        var body = "<div data-figure=\"table1\">" + htmlTable(header: ["Ecosystem", "Area (10⁹ ha)", "Topsoil 0–20 (Pg C)", "Subsoil 20–100 (Pg C)",
                                                                  "Total 0–100 (Pg C)", "Subsoil SOCD (Mg C ha⁻¹)"], rows: rows, id: "table1") + "</div>"
        if simulated {
            body += "<p class=\"note\">Stocks = Σ cells SOCD × ecosystem area / 10⁹ (docs/METHOD.md §8). In brackets: the 95 % confidence interval of the "
                + "total, from \(configuration.uncertainty.realisations) simulated realisations of the mean field — the forest's standard error (correlated "
                + "over the range of its own infinitesimal-jackknife correlations, forest/XX/se_correlation.json) and the "
                + "spatially correlated residual of β (variogram of the cross-validation residuals) and, where given, the topsoil density's "
                + "standard deviation (docs/METHOD.md §8d; maps/stocks.csv columns stock_pg_lo95, stock_pg_hi95, and stock_pg_sim_mean, the mean of the "
                + "realisations, which carries the convexity of the layer densities in β and lies slightly above the plug-in stock shown). The columns stock_pg_bound_lo/hi "
                + "keep the old bound, every cell at its β 5 % (95 %) quantile at once: much wider, not a confidence interval.</p>"
        } else {
            body += "<p class=\"note\">Stocks = Σ cells SOCD × ecosystem area / 10⁹ (docs/METHOD.md §8). In brackets: bounds, every cell at its β 5 % (95 %) quantile at once — the spread if all cells erred together, not a confidence interval of the total.</p>"
        }
        body += "<h3>Published estimates, for comparison</h3>"
        body += "<div data-figure=\"table1-comparison\">" + htmlTable(
            header: ["Ecosystem", "Area (10⁹ ha)", "Topsoil (Pg C)", "Subsoil (Pg C)", "Total 0–100 (Pg C)", "Source"],
            rows: RunReport.publishedEstimates, id: "table1-comparison") + "</div>"
        body += "<p class=\"note\">As compiled in Table 1 of the study soilbeta implements (docs/METHOD.md §10): other studies split the profile at 30 cm (0–30, 30–100 cm), the study at 20 cm; its forestland area exceeds the world's forests (docs/METHOD.md §8), so compare densities rather than areas.</p>"
        if !ecosystems.contains("all") {
            // No "all" row in the file: sum the point estimates (intervals do not add).
            let total = { (layer: String) -> String in
                let values = table.rows.indices.filter { layers[$0] == layer }.map { stock[$0] }.filter { $0.isFinite }
                return values.isEmpty ? "—" : String(format: "%.1f", values.reduce(0, +))
            }
            body += "<p>All ecosystems (sum of the rows; intervals do not add): topsoil \(total("0-20")) Pg C, subsoil \(total("20-100")) Pg C, 0–100 cm \(total("0-100")) Pg C.</p>"
        }
        body += "<details><summary>All rows of maps/stocks.csv</summary>"
        let stockFields = try CSVTable.parse(text: RunTable.csv(stockRows), source: layout.path(.stocksTable))
        body += htmlTable(header: table.header, rows: stockFields.rows, numberFormat: formatTableNumber, id: "stocks.csv") + "</details>"
        return body
    }

    // MARK: - Tuning

    mutating func tuningSection(_ data: RunData) throws -> String {
        var body = ""
        for ecosystem in Ecosystem.allCases {
            let code = ecosystem.code, name = ecosystem.name
            body += "<h3>\(name.capitalized)</h3>"
            guard let rows = data.forests[ecosystem]?.tuning else {
                body += note("\(name) tuning grid", RunFile.tuning(ecosystem).relativePath)
                continue
            }
            let path = layout.path(.tuning(ecosystem))
            // The forest marks the chosen (lowest OOB error) cell.
            let chosen = Set(rows.indices.filter { rows[$0].chosen })
            if let best = rows.first(where: \.chosen) {
                body += "<p data-figure=\"tuning-chosen-\(code)\">Chosen: mtry \(best.mtry), \(best.trees) trees — OOB MSE \(formatTableNumber(best.oobMSE)), "
                    + "OOB R² \(formatTableNumber(best.oobR2)), best of \(rows.count) cells.</p>"
            }
            let fields = try CSVTable.parse(text: RunTable.csv(rows), source: path)
            body += "<details><summary>All \(rows.count) cells of the tuning grid</summary>"
            body += htmlTable(header: TuningRow.columns.map(\.name), rows: fields.rows, numberFormat: formatTableNumber, id: "tuning-\(code)", highlightedRows: chosen)
            body += "</details>"
        }
        return body + "<p class=\"note\">Grid over mtry and number of trees scored by out-of-bag error (docs/METHOD.md §7); bold in the table: the chosen cell.</p>"
    }

    // MARK: - Provenance

    /// The run-folder files this rendering read, relative paths in sorted order.
    /// The report's own provenance: software, time of rendering and the SHA-256 of every file read.
    func renderedFromTable(_ filesRead: [String]) -> String {
        let formatter = ISO8601DateFormatter()
        var body = "<h3>This report</h3>"
        body += htmlTable(header: ["Item", "Value"], rows: [["software", software], ["rendered (UTC)", formatter.string(from: Date())],
                                                           ["run folder", runFolder]], id: "report")
        body += "<h3>Files of the run folder this report was rendered from</h3>"
        let rows = filesRead.map { relative -> [String] in
            let path = layout.path(relative)
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
            return [relative, size.map(String.init) ?? "", (try? ContentHash.hex(ofFile: path)) ?? "unreadable"]
        }
        body += htmlTable(header: ["File", "Bytes", "SHA-256"], rows: rows, id: "files")
        return body
    }

    mutating func provenanceSection(_ provenance: RunManifest?, filesRead: [String]) -> String {
        guard let provenance else {
            return note("provenance of the run (inputs, checksums, parameters, version, date)", "run.json") + renderedFromTable(filesRead)
        }
        var body = "<h3>Run</h3>"
        body += htmlTable(header: ["Item", "Value"], rows: [
            ["software", provenance.software], ["configuration", provenance.configFile], ["configuration hash", provenance.configHash],
            ["date", provenance.date], ["synthetic (DEMO)", provenance.synthetic ? "yes" : "no"],
            ["seed", String(provenance.configuration.run.seed)]], id: "run")
        body += "<h3>Inputs</h3>"
        body += htmlTable(header: ["path", "sha256"], rows: provenance.inputs.map { [$0.path, $0.sha256] }, id: "inputs")
        if let forest = provenance.configuration.forest {
            body += "<h3>Forest parameters</h3>"
            body += htmlTable(header: ["Parameter", "Value"], rows: [
                ["features", forest.features.joined(separator: ", ")], ["trees", String(forest.trees)],
                ["tune_trees", forest.tuneTrees.map(String.init).joined(separator: ", ")],
                ["tune_mtry", forest.tuneMtry.map(String.init).joined(separator: ", ")], ["min_node", String(forest.minNode)],
                ["folds", String(forest.folds)], ["block_deg", formatTableNumber(forest.blockDegrees)],
                ["quantiles", forest.quantiles.map(formatTableNumber).joined(separator: ", ")],
                ["min_profiles", String(forest.minProfiles)]], id: "parameters")
        }
        body += "<h3>Steps</h3>"
        body += htmlTable(header: ["name", "status", "seconds", "summary"],
                          rows: provenance.steps.map { [$0.name, $0.status, String(format: "%.1f", $0.seconds), $0.summary] }, id: "steps")
        return body + renderedFromTable(filesRead)
    }

}
