import Foundation
import Statistics

/// Escapes text for XML/HTML content and attribute values.
public func xmlEscaped(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.count)
    for ch in text {
        switch ch {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.append(ch)
        }
    }
    return out
}

/// A coordinate for SVG output: two decimals, no "-0.00".
@inline(__always) func svgNumber(_ value: Double) -> String {
    let text = String(format: "%.2f", value)
    return text == "-0.00" ? "0.00" : text
}

/// The colours of the three ecosystems, as in the paper's figures (cropland red, grassland
/// yellow/amber, forestland blue), and a neutral colour for anything else.
public enum EcosystemColors {
    /// Cropland: red.
    public static let cropland = "#d62728"
    /// Grassland: amber (a yellow that stays visible on white).
    public static let grassland = "#e6a100"
    /// Forestland: blue.
    public static let forestland = "#1f5fbf"
    /// Any other group (e.g. "all").
    public static let other = "#555555"

    /// The colour of an ecosystem given by name (`cropland`, `grassland`, `forestland`) or
    /// code (`CL`, `GL`, `FL`), case-insensitive.
    public static func color(for ecosystem: String) -> String {
        switch ecosystem.lowercased() {
        case "cropland", "cl": return cropland
        case "grassland", "gl": return grassland
        case "forestland", "forest", "fl": return forestland
        default: return other
        }
    }
}

/// One drawable layer of an `XYPlot`, in data coordinates.
public enum PlotLayer: Sendable {
    /// Scatter points (circles of `radius` px), e.g. β against a covariate, coloured by group.
    case points(x: [Double], y: [Double], color: String, label: String?, radius: Double = 2.5, opacity: Double = 0.75)
    /// A polyline through (x, y) in the given order; NaN values break the line.
    case line(x: [Double], y: [Double], color: String, label: String?, width: Double = 2, dash: String? = nil)
    /// A filled band between `lower` and `upper` along `x` (e.g. a 95 % confidence band).
    case band(x: [Double], lower: [Double], upper: [Double], color: String, label: String?, opacity: Double = 0.25)
    /// A horizontal reference line across the whole plot at `y` (e.g. mean β).
    case horizontalLine(y: Double, color: String, label: String?, dash: String? = "6 4")
    /// The 1:1 line y = x across the plot (observed-vs-predicted panels).
    case identityLine(color: String, label: String?)
    /// A text note placed at a fraction (0…1 from the left, 0…1 from the top) of the plot area.
    case note(text: String, fractionX: Double, fractionY: Double, anchor: String = "start")

    /// The data values that should be inside the axis range.
    var extent: (x: [Double], y: [Double]) {
        switch self {
        case let .points(x, y, _, _, _, _): return (x, y)
        case let .line(x, y, _, _, _, _): return (x, y)
        case let .band(x, lower, upper, _, _, _): return (x, lower + upper)
        case let .horizontalLine(y, _, _, _): return ([], [y])
        case .identityLine, .note: return ([], [])
        }
    }
}

/// An x–y plot rendered as standalone inline SVG: axes with R-style "nice" ticks and labels,
/// axis titles with units, a title, a legend, and layers (scatter, line, band, reference
/// lines, 1:1 line, notes). Used for Fig. 2 (driver panels), Fig. 3 (observed vs predicted)
/// and Fig. 4 (depth profile, with `yReversed` so depth increases downwards).
public struct XYPlot: Sendable {
    /// Title above the plot.
    public var title: String
    /// X-axis title including units, e.g. "MAT (°C)".
    public var xLabel: String
    /// Y-axis title including units, e.g. "β (–)".
    public var yLabel: String
    /// Layers, drawn in order (first is at the back).
    public var layers: [PlotLayer]
    /// Total width and height in CSS pixels.
    public var width: Double
    /// Total height in CSS pixels.
    public var height: Double
    /// Fixed x range, or nil to fit the data (extended to nice ticks).
    public var xRange: ClosedRange<Double>?
    /// Fixed y range, or nil to fit the data.
    public var yRange: ClosedRange<Double>?
    /// Whether y grows downwards (depth profiles).
    public var yReversed: Bool
    /// Whether the x and y axes share one range (observed vs predicted).
    public var equalAxes: Bool
    /// Whether to draw the legend (layers with a label).
    public var showLegend: Bool
    /// Legend corner: "top-left", "top-right", "bottom-left", "bottom-right".
    public var legendCorner: String
    /// Value of the `data-figure` attribute (used by the browser check), or nil.
    public var figureID: String?

    /// A plot with the given texts and layers; see the properties for the options.
    public init(title: String, xLabel: String, yLabel: String, layers: [PlotLayer],
                width: Double = 360, height: Double = 280, xRange: ClosedRange<Double>? = nil,
                yRange: ClosedRange<Double>? = nil, yReversed: Bool = false, equalAxes: Bool = false,
                showLegend: Bool = true, legendCorner: String = "top-right", figureID: String? = nil) {
        (self.title, self.xLabel, self.yLabel) = (title, xLabel, yLabel)
        (self.layers, self.width, self.height) = (layers, width, height)
        (self.xRange, self.yRange, self.yReversed) = (xRange, yRange, yReversed)
        (self.equalAxes, self.showLegend, self.legendCorner) = (equalAxes, showLegend, legendCorner)
        self.figureID = figureID
    }

    static func finiteRange(_ values: [Double]) -> (Double, Double)? {
        var lo = Double.infinity, hi = -Double.infinity
        for v in values where v.isFinite {
            lo = min(lo, v)
            hi = max(hi, v)
        }
        return lo <= hi ? (lo, hi) : nil
    }

    /// Font size of tick labels, px.
    static let tickFontSize = 11.0
    /// Estimated advance of one tick-label character in em (digits of common sans-serif fonts
    /// are about 0.55 em wide; the estimate errs on the wide side).
    static let tickCharacterWidthEm = 0.6
    /// Smallest free space between two neighbouring tick labels, px.
    static let tickLabelGap = 4.0

    /// Space one x-axis tick needs so that its centred label does not touch its neighbours:
    /// the widest label (characters × font size × `tickCharacterWidthEm`) plus a gap, px.
    static func horizontalLabelExtent(_ labels: [String]) -> Double {
        Double(labels.map { $0.count }.max() ?? 0) * tickFontSize * tickCharacterWidthEm + tickLabelGap
    }

    /// Space one y-axis tick needs: a line of text plus a gap, px.
    static func verticalLabelExtent(_ labels: [String]) -> Double { tickFontSize + 2 }

    /// The ticks of one axis for about `count` intervals: from the fixed range, or nice ticks
    /// around the data.
    static func axisTicks(fixed: ClosedRange<Double>?, data: [Double], count: Int = 5) -> (ticks: [Double], low: Double, high: Double) {
        if let fixed {
            let ticks = Ticks.pretty(fixed.lowerBound, fixed.upperBound, count: count).filter {
                $0 >= fixed.lowerBound - 1e-9 * abs(fixed.upperBound - fixed.lowerBound)
                    && $0 <= fixed.upperBound + 1e-9 * abs(fixed.upperBound - fixed.lowerBound)
            }
            return (ticks, fixed.lowerBound, fixed.upperBound)
        }
        let (lo, hi) = finiteRange(data) ?? (0, 1)
        var ticks = Ticks.pretty(lo, hi, count: count)
        if ticks.count < 2 { ticks = [lo - 0.5, lo + 0.5] }
        return (ticks, ticks.first!, ticks.last!)
    }

    /// The ticks of an axis `length` px long whose labels do not overlap: R's `pretty()` with
    /// 5 intervals, or with fewer (4, 3, 2, 1) while the tick spacing in px is below
    /// `labelExtent` of the labels (e.g. β from 0.950 to 0.985 on a 164-px axis gets 0.01 steps
    /// instead of 0.005).
    static func axisTicks(fixed: ClosedRange<Double>?, data: [Double], length: Double,
                          labelExtent: ([String]) -> Double) -> (ticks: [Double], low: Double, high: Double) {
        let standard = axisTicks(fixed: fixed, data: data)
        guard standard.ticks.count > 1, standard.high > standard.low else { return standard }
        // The candidate with the fewest (but at least two) ticks, used when none fits.
        var fewest = standard
        for count in stride(from: 5, through: 1, by: -1) {
            let axis = count == 5 ? standard : axisTicks(fixed: fixed, data: data, count: count)
            guard axis.ticks.count > 1 else { continue }
            fewest = axis
            let spacing = length * abs(axis.ticks[1] - axis.ticks[0]) / (axis.high - axis.low)
            if spacing >= labelExtent(Ticks.labels(axis.ticks)) { return axis }
        }
        return fewest
    }

    /// Vertical grid lines, tick marks and centred labels below a plot area (`top`,
    /// `plotHeight` px) at the x positions `px(tick)`; shared by `XYPlot` and `BarChart`.
    static func xTicksSVG(_ ticks: [Double], px: (Double) -> Double, top: Double, plotHeight: Double) -> String {
        var s = ""
        for (tick, label) in zip(ticks, Ticks.labels(ticks)) {
            let x = px(tick)
            s += "<line x1=\"\(svgNumber(x))\" y1=\"\(svgNumber(top))\" x2=\"\(svgNumber(x))\" y2=\"\(svgNumber(top + plotHeight))\" stroke=\"#e6e6e6\"/>"
            s += "<line x1=\"\(svgNumber(x))\" y1=\"\(svgNumber(top + plotHeight))\" x2=\"\(svgNumber(x))\" y2=\"\(svgNumber(top + plotHeight + 5))\" stroke=\"#333\"/>"
            s += "<text x=\"\(svgNumber(x))\" y=\"\(svgNumber(top + plotHeight + 17))\" text-anchor=\"middle\" font-size=\"\(Int(tickFontSize))\">\(xmlEscaped(label))</text>"
        }
        return s
    }

    /// The SVG document (an `<svg>` element with a `viewBox`, fixed width/height and a
    /// `role="img"` title for accessibility).
    public func svg() -> String {
        let left = 62.0, right = 14.0, top = title.isEmpty ? 12.0 : 30.0, bottom = 46.0
        let plotWidth = max(10, width - left - right), plotHeight = max(10, height - top - bottom)
        var xs: [Double] = [], ys: [Double] = []
        for layer in layers {
            let e = layer.extent
            xs += e.x
            ys += e.y
        }
        var xAxis = XYPlot.axisTicks(fixed: xRange, data: equalAxes ? xs + ys : xs,
                                     length: plotWidth, labelExtent: XYPlot.horizontalLabelExtent)
        var yAxis = XYPlot.axisTicks(fixed: yRange, data: equalAxes ? xs + ys : ys,
                                     length: plotHeight, labelExtent: XYPlot.verticalLabelExtent)
        if equalAxes && xRange == nil && yRange == nil {
            yAxis = xAxis
        } else if equalAxes, let xRange, yRange == nil {
            yAxis = XYPlot.axisTicks(fixed: xRange, data: [], length: plotWidth, labelExtent: XYPlot.horizontalLabelExtent)
        }
        if xAxis.high == xAxis.low { xAxis.high = xAxis.low + 1 }
        if yAxis.high == yAxis.low { yAxis.high = yAxis.low + 1 }
        let xLow = xAxis.low, xSpan = xAxis.high - xAxis.low
        let yLow = yAxis.low, ySpan = yAxis.high - yAxis.low
        let reversed = yReversed
        func px(_ x: Double) -> Double { left + (x - xLow) / xSpan * plotWidth }
        func py(_ y: Double) -> Double {
            let f = (y - yLow) / ySpan
            return reversed ? top + f * plotHeight : top + (1 - f) * plotHeight
        }

        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" width=\"\(svgNumber(width))\" height=\"\(svgNumber(height))\" viewBox=\"0 0 \(svgNumber(width)) \(svgNumber(height))\" role=\"img\""
        if let figureID { s += " data-figure=\"\(xmlEscaped(figureID))\"" }
        s += "><title>\(xmlEscaped(title.isEmpty ? yLabel + " vs " + xLabel : title))</title>"
        // The clip rectangle depends only on these numbers, so equal ids always mean equal clips.
        let clipID = "clip-\(Int(left))-\(Int(top))-\(Int(plotWidth))-\(Int(plotHeight))"
        s += "<defs><clipPath id=\"\(clipID)\"><rect x=\"\(svgNumber(left))\" y=\"\(svgNumber(top))\" width=\"\(svgNumber(plotWidth))\" height=\"\(svgNumber(plotHeight))\"/></clipPath></defs>"
        s += "<rect x=\"\(svgNumber(left))\" y=\"\(svgNumber(top))\" width=\"\(svgNumber(plotWidth))\" height=\"\(svgNumber(plotHeight))\" fill=\"#ffffff\" stroke=\"#999\" stroke-width=\"1\"/>"
        if !title.isEmpty {
            s += "<text x=\"\(svgNumber(left + plotWidth / 2))\" y=\"19\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"600\">\(xmlEscaped(title))</text>"
        }
        // Grid lines and ticks.
        s += XYPlot.xTicksSVG(xAxis.ticks, px: px, top: top, plotHeight: plotHeight)
        let yLabels = Ticks.labels(yAxis.ticks)
        for (tick, label) in zip(yAxis.ticks, yLabels) {
            let y = py(tick)
            s += "<line x1=\"\(svgNumber(left))\" y1=\"\(svgNumber(y))\" x2=\"\(svgNumber(left + plotWidth))\" y2=\"\(svgNumber(y))\" stroke=\"#e6e6e6\"/>"
            s += "<line x1=\"\(svgNumber(left - 5))\" y1=\"\(svgNumber(y))\" x2=\"\(svgNumber(left))\" y2=\"\(svgNumber(y))\" stroke=\"#333\"/>"
            s += "<text x=\"\(svgNumber(left - 8))\" y=\"\(svgNumber(y + 4))\" text-anchor=\"end\" font-size=\"11\">\(xmlEscaped(label))</text>"
        }
        s += "<text x=\"\(svgNumber(left + plotWidth / 2))\" y=\"\(svgNumber(height - 8))\" text-anchor=\"middle\" font-size=\"12\">\(xmlEscaped(xLabel))</text>"
        s += "<text transform=\"translate(14 \(svgNumber(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">\(xmlEscaped(yLabel))</text>"

        // Layers.
        s += "<g clip-path=\"url(#\(clipID))\">"
        var legend: [(label: String, color: String, kind: String)] = []
        for layer in layers {
            switch layer {
            case let .points(x, y, color, label, radius, opacity):
                s += "<g fill=\"\(color)\" fill-opacity=\"\(svgNumber(opacity))\" stroke=\"none\">"
                for i in 0..<min(x.count, y.count) where x[i].isFinite && y[i].isFinite {
                    s += "<circle cx=\"\(svgNumber(px(x[i])))\" cy=\"\(svgNumber(py(y[i])))\" r=\"\(svgNumber(radius))\"/>"
                }
                s += "</g>"
                if let label { legend.append((label, color, "point")) }
            case let .line(x, y, color, label, lineWidth, dash):
                var path = ""
                var penDown = false
                for i in 0..<min(x.count, y.count) {
                    guard x[i].isFinite && y[i].isFinite else { penDown = false; continue }
                    path += (penDown ? "L" : "M") + svgNumber(px(x[i])) + " " + svgNumber(py(y[i]))
                    penDown = true
                }
                if !path.isEmpty {
                    s += "<path d=\"\(path)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"\(svgNumber(lineWidth))\""
                    if let dash { s += " stroke-dasharray=\"\(dash)\"" }
                    s += "/>"
                }
                if let label { legend.append((label, color, dash == nil ? "line" : "dash")) }
            case let .band(x, lower, upper, color, label, opacity):
                let n = min(x.count, lower.count, upper.count)
                let valid = (0..<n).filter { x[$0].isFinite && lower[$0].isFinite && upper[$0].isFinite }
                if valid.count >= 2 {
                    var path = ""
                    for (k, i) in valid.enumerated() { path += (k == 0 ? "M" : "L") + svgNumber(px(x[i])) + " " + svgNumber(py(upper[i])) }
                    for i in valid.reversed() { path += "L" + svgNumber(px(x[i])) + " " + svgNumber(py(lower[i])) }
                    s += "<path d=\"\(path)Z\" fill=\"\(color)\" fill-opacity=\"\(svgNumber(opacity))\" stroke=\"none\"/>"
                }
                if let label { legend.append((label, color, "band")) }
            case let .horizontalLine(y, color, label, dash):
                guard y.isFinite else { continue }
                s += "<line x1=\"\(svgNumber(left))\" y1=\"\(svgNumber(py(y)))\" x2=\"\(svgNumber(left + plotWidth))\" y2=\"\(svgNumber(py(y)))\" stroke=\"\(color)\" stroke-width=\"1.5\""
                if let dash { s += " stroke-dasharray=\"\(dash)\"" }
                s += "/>"
                if let label { legend.append((label, color, dash == nil ? "line" : "dash")) }
            case let .identityLine(color, label):
                let lo = max(xAxis.low, yAxis.low), hi = min(xAxis.high, yAxis.high)
                if lo < hi {
                    s += "<line x1=\"\(svgNumber(px(lo)))\" y1=\"\(svgNumber(py(lo)))\" x2=\"\(svgNumber(px(hi)))\" y2=\"\(svgNumber(py(hi)))\" stroke=\"\(color)\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/>"
                }
                if let label { legend.append((label, color, "dash")) }
            case let .note(text, fx, fy, anchor):
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                for (k, line) in lines.enumerated() {
                    s += "<text x=\"\(svgNumber(left + fx * plotWidth))\" y=\"\(svgNumber(top + fy * plotHeight + Double(k) * 14))\" text-anchor=\"\(anchor)\" font-size=\"11\" fill=\"#222\">\(xmlEscaped(String(line)))</text>"
                }
            }
        }
        s += "</g>"

        // Legend.
        if showLegend && !legend.isEmpty {
            let rowHeight = 15.0
            let boxWidth = min(plotWidth - 8, 26 + Double(legend.map { $0.label.count }.max() ?? 0) * 6.3)
            let boxHeight = Double(legend.count) * rowHeight + 6
            let boxX = legendCorner.hasSuffix("left") ? left + 6 : left + plotWidth - boxWidth - 6
            let boxY = legendCorner.hasPrefix("bottom") ? top + plotHeight - boxHeight - 6 : top + 6
            s += "<g class=\"legend\"><rect x=\"\(svgNumber(boxX))\" y=\"\(svgNumber(boxY))\" width=\"\(svgNumber(boxWidth))\" height=\"\(svgNumber(boxHeight))\" fill=\"#fff\" fill-opacity=\"0.85\" stroke=\"#ccc\"/>"
            for (k, entry) in legend.enumerated() {
                let cy = boxY + 3 + rowHeight * (Double(k) + 0.5)
                switch entry.kind {
                case "point":
                    s += "<circle cx=\"\(svgNumber(boxX + 11))\" cy=\"\(svgNumber(cy))\" r=\"3.5\" fill=\"\(entry.color)\"/>"
                case "band":
                    s += "<rect x=\"\(svgNumber(boxX + 4))\" y=\"\(svgNumber(cy - 5))\" width=\"14\" height=\"10\" fill=\"\(entry.color)\" fill-opacity=\"0.3\"/>"
                default:
                    s += "<line x1=\"\(svgNumber(boxX + 4))\" y1=\"\(svgNumber(cy))\" x2=\"\(svgNumber(boxX + 18))\" y2=\"\(svgNumber(cy))\" stroke=\"\(entry.color)\" stroke-width=\"2\"\(entry.kind == "dash" ? " stroke-dasharray=\"4 2\"" : "")/>"
                }
                s += "<text x=\"\(svgNumber(boxX + 23))\" y=\"\(svgNumber(cy + 4))\" font-size=\"11\">\(xmlEscaped(entry.label))</text>"
            }
            s += "</g>"
        }
        s += "</svg>"
        return s
    }
}

/// A horizontal bar chart, e.g. the relative contributions (%) of the covariates to the
/// forest's permutation importance (Fig. 2, METHOD.md §6). Bars are drawn in the given order,
/// each labelled with its value.
public struct BarChart: Sendable {
    /// Title above the chart.
    public var title: String
    /// Category names (one per bar).
    public var categories: [String]
    /// Bar lengths (same order as `categories`).
    public var values: [Double]
    /// Title of the value axis with units, e.g. "Relative contribution (%)".
    public var valueLabel: String
    /// Bar colours (one per bar, or one for all).
    public var colors: [String]
    /// Total width in CSS pixels.
    public var width: Double
    /// Value of the `data-figure` attribute, or nil.
    public var figureID: String?

    /// A chart of `values` per category; see the properties.
    public init(title: String, categories: [String], values: [Double], valueLabel: String,
                colors: [String] = ["#3b6ea5"], width: Double = 420, figureID: String? = nil) {
        (self.title, self.categories, self.values) = (title, categories, values)
        (self.valueLabel, self.colors, self.width) = (valueLabel, colors, width)
        self.figureID = figureID
    }

    /// The SVG document.
    public func svg() -> String {
        let n = min(categories.count, values.count)
        let barHeight = 18.0, gap = 6.0
        let left = 14 + Double(categories.prefix(n).map { $0.count }.max() ?? 4) * 6.8
        let right = 48.0, top = title.isEmpty ? 10.0 : 30.0, bottom = 44.0
        let plotWidth = max(40, width - left - right)
        let plotHeight = Double(max(n, 1)) * (barHeight + gap) + gap
        let height = top + plotHeight + bottom
        let finite = values.prefix(n).filter { $0.isFinite }
        let (ticks, low, high) = XYPlot.axisTicks(fixed: nil, data: [min(0, finite.min() ?? 0), max(finite.max() ?? 1, 1e-12)],
                                                  length: plotWidth, labelExtent: XYPlot.horizontalLabelExtent)
        func px(_ v: Double) -> Double { left + (v - low) / (high - low) * plotWidth }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" width=\"\(svgNumber(width))\" height=\"\(svgNumber(height))\" viewBox=\"0 0 \(svgNumber(width)) \(svgNumber(height))\" role=\"img\""
        if let figureID { s += " data-figure=\"\(xmlEscaped(figureID))\"" }
        s += "><title>\(xmlEscaped(title.isEmpty ? valueLabel : title))</title>"
        if !title.isEmpty {
            s += "<text x=\"\(svgNumber(left + plotWidth / 2))\" y=\"19\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"600\">\(xmlEscaped(title))</text>"
        }
        s += XYPlot.xTicksSVG(ticks, px: px, top: top, plotHeight: plotHeight)
        s += "<line x1=\"\(svgNumber(px(0)))\" y1=\"\(svgNumber(top))\" x2=\"\(svgNumber(px(0)))\" y2=\"\(svgNumber(top + plotHeight))\" stroke=\"#333\"/>"
        s += "<line x1=\"\(svgNumber(left))\" y1=\"\(svgNumber(top + plotHeight))\" x2=\"\(svgNumber(left + plotWidth))\" y2=\"\(svgNumber(top + plotHeight))\" stroke=\"#333\"/>"
        for i in 0..<n {
            let y = top + gap + Double(i) * (barHeight + gap)
            let value = values[i].isFinite ? values[i] : 0
            let x0 = px(min(0, value)), x1 = px(max(0, value))
            let color = colors.isEmpty ? "#3b6ea5" : colors[i % colors.count]
            s += "<rect x=\"\(svgNumber(x0))\" y=\"\(svgNumber(y))\" width=\"\(svgNumber(max(x1 - x0, 0.5)))\" height=\"\(svgNumber(barHeight))\" fill=\"\(color)\"/>"
            s += "<text x=\"\(svgNumber(left - 6))\" y=\"\(svgNumber(y + barHeight / 2 + 4))\" text-anchor=\"end\" font-size=\"11\">\(xmlEscaped(categories[i]))</text>"
            s += "<text x=\"\(svgNumber(x1 + 4))\" y=\"\(svgNumber(y + barHeight / 2 + 4))\" font-size=\"11\" fill=\"#333\">\(values[i].isFinite ? String(format: "%.1f", values[i]) : "NA")</text>"
        }
        s += "<text x=\"\(svgNumber(left + plotWidth / 2))\" y=\"\(svgNumber(height - 8))\" text-anchor=\"middle\" font-size=\"12\">\(xmlEscaped(valueLabel))</text>"
        s += "</svg>"
        return s
    }
}

/// Fig. 3 panel: observed against predicted β with the 1:1 line and an R²/RMSE note.
public func observedVersusPredictedPlot(title: String, observed: [Double], predicted: [Double], color: String,
                                        quantity: String = "β", unit: String = "–", figureID: String? = nil) -> XYPlot {
    let fit = PredictionSkill(observed: observed, predicted: predicted)
    let note = String(format: "R² = %.3f\nRMSE = %.4f\nn = %d", fit.r2, fit.rmse, fit.count)
    return XYPlot(title: title, xLabel: "Observed \(quantity) (\(unit))", yLabel: "Predicted \(quantity) (\(unit))",
                  layers: [.identityLine(color: "#444", label: "1:1"),
                           .points(x: observed, y: predicted, color: color, label: nil, radius: 2.5, opacity: 0.6),
                           .note(text: note, fractionX: 0.04, fractionY: 0.09)],
                  width: 300, height: 290, equalAxes: true, showLegend: true, legendCorner: "bottom-right",
                  figureID: figureID)
}

/// Fig. 4 panel: mean SOC density per 20-cm layer against depth (depth increasing downwards),
/// one line per ecosystem. `layerDensities[eco]` holds the five layer means (Mg C ha⁻¹) of
/// 0–20 … 80–100 cm in order; points are drawn at the layer mid-depths.
public func depthProfilePlot(layerDensities: [(ecosystem: String, meansMgPerHa: [Double])], figureID: String? = nil) -> XYPlot {
    let midDepths: [Double] = [10, 30, 50, 70, 90]
    var layers: [PlotLayer] = []
    for (ecosystem, means) in layerDensities {
        let color = EcosystemColors.color(for: ecosystem)
        let y = Array(midDepths.prefix(means.count))
        layers.append(.line(x: Array(means.prefix(y.count)), y: y, color: color, label: ecosystem, width: 2))
        layers.append(.points(x: Array(means.prefix(y.count)), y: y, color: color, label: nil, radius: 3.5, opacity: 1))
    }
    let all = layerDensities.flatMap { $0.meansMgPerHa }.filter { $0.isFinite }
    let xHigh = Ticks.pretty(0, max(all.max() ?? 1, 1e-9)).last ?? 1
    return XYPlot(title: "Mean SOC density by depth", xLabel: "SOCD (Mg C ha⁻¹ per 20 cm layer)", yLabel: "Depth (cm)",
                  layers: layers, width: 380, height: 320, xRange: 0...xHigh, yRange: 0...100, yReversed: true,
                  legendCorner: "bottom-right", figureID: figureID)
}
