// The interactive map page of a run (`map.html` with its assets in `map/`; docs/METHOD.md §9c): Leaflet
// (Debian libjs-leaflet) over the run's GeoTIFFs at full grid resolution, drawn in the browser from
// quantised data blocks, with a layer switcher, a legend, the profile sites and a click read-out.
import CGDAL
import Essentials
import Foundation
import Rasters
import RunModel

/// Writes `map.html` and its folder `map/` for the run of a configuration: every map product of every
/// mapped ecosystem, quantised to 16 bits per cell (offset + q × quantum, quantum = range / 65534; the
/// read-out shows values to within half a quantum of the GeoTIFF) in deflated blocks of 128 × 128 cells
/// that the page loads as it needs them (full resolution, plus overview levels taking every 4th, 16th …
/// cell for small scales). Opens from the file system with no network: Leaflet is copied from Debian's
/// libjs-leaflet. The folder is built under a temporary name and swapped in whole.
public struct MapPage {
    /// The run's configuration.
    public let configuration: RunConfiguration
    /// Where Debian's libjs-leaflet installs Leaflet.
    public var leafletFolder = "/usr/share/javascript/leaflet"
    /// Cells per block edge.
    static let blockEdge = 128
    /// The nodata code of the 16-bit values.
    static let noData: UInt16 = 65_535

    /// The page of the run of `configuration`.
    public init(configuration: RunConfiguration) { self.configuration = configuration }

    /// What the page shows of one map product.
    struct Layer: Codable {
        var key, label, unit, file: String
        var decimals: Int
        var offset, quantum, low, high: Double
    }
    /// One ecosystem and its layers (in block order).
    struct EcosystemEntry: Codable {
        var code, name: String
        var layers: [Layer]
    }
    /// One resolution level: every `factor`-th cell of the grid.
    struct Level: Codable {
        var factor, rows, columns: Int
        /// Blocks that hold data, as `"row_column"`.
        var blocks: [String]
    }
    /// A profile site.
    struct Site: Codable {
        var id, ecosystem: String
        var lon, lat, beta: Double
    }
    /// The grid of the maps.
    struct Grid: Codable {
        var west, north, cellWidth, cellHeight: Double
        var rows, columns: Int
    }
    /// Everything `map/index.js` hands to the page script.
    struct Index: Codable {
        var title, software, report: String
        var demo: Bool
        var grid: Grid
        var blockEdge: Int
        var levels: [Level]
        var ecosystems: [EcosystemEntry]
        var sites: [Site]
        /// 256 colours (`#rrggbb`) from the low to the high end of the display range.
        var palette: [String]
    }

    /// Label, unit and decimals of the read-out of each product.
    static func describe(_ product: MapProduct) -> (key: String, label: String, unit: String, decimals: Int) {
        switch product {
        case .beta: ("beta", "β (forest mean)", "1", 4)
        case .betaQ05: ("beta_q05", "β 5 % quantile", "1", 4)
        case .betaQ95: ("beta_q95", "β 95 % quantile", "1", 4)
        case .areaHa: ("area", "area of the ecosystem", "ha", 0)
        case let .socDensity(layer): ("socd_\(SOCLayer.labels[layer])", "SOC density \(SOCLayer.labels[layer]) cm", "Mg C ha⁻¹", 1)
        case .dissimilarity: ("di", "dissimilarity index (DI)", "1", 3)
        case .applicability: ("aoa", "inside the area of applicability (1 yes, 0 no)", "1", 0)
        case .betaStandardError: ("beta_se", "standard error of the forest mean β", "1", 4)
        case let .socDensityQuantile(layer, high):
            ("socd_\(SOCLayer.labels[layer])_\(high ? "q95" : "q05")", "SOC density \(SOCLayer.labels[layer]) cm, \(high ? "95" : "5") % (mean field)", "Mg C ha⁻¹", 1)
        }
    }

    /// Writes the page; returns its size in bytes (`map.html` plus `map/`).
    /// - Throws: `ReportError` when the run has no maps or Leaflet is missing, `RasterError` for unreadable
    ///   or mismatched rasters, `FileError` when writing fails.
    @discardableResult
    public func write() throws -> Int {
        let layout = configuration.layout
        // The maps folder is the truth: the map step removes the maps of ecosystems it no longer maps.
        let ecosystems = Ecosystem.allCases.filter {
            FileManager.default.fileExists(atPath: layout.map($0, .beta))
        }
        guard !ecosystems.isEmpty else { throw ReportError.noMaps(folder: layout.mapsFolder) }
        let leafletFiles = ["leaflet.js", "leaflet.css"] + ["layers.png", "layers-2x.png", "marker-icon.png", "marker-icon-2x.png", "marker-shadow.png"].map { "images/" + $0 }
        for file in leafletFiles where !FileManager.default.fileExists(atPath: (leafletFolder as NSString).appendingPathComponent(file)) {
            throw ReportError.missingAsset(path: (leafletFolder as NSString).appendingPathComponent(file),
                                           package: "libjs-leaflet (make demo and make test install it)")
        }
        // Open every product and check the grid.
        var rasters: [[Raster]] = []
        var products: [[MapProduct]] = []
        var grid: RasterGrid?
        for ecosystem in ecosystems {
            var list: [MapProduct] = [], opened: [Raster] = []
            for product in MapProduct.all where FileManager.default.fileExists(atPath: layout.map(ecosystem, product)) {
                let raster = try Raster(path: layout.map(ecosystem, product))
                if let grid, raster.grid != grid {
                    throw RasterError.unsupportedLayout(path: raster.path, reason: "not on the grid of the other maps (\(grid))")
                }
                grid = raster.grid
                list.append(product)
                opened.append(raster)
            }
            products.append(list)
            rasters.append(opened)
        }
        guard let grid else { throw ReportError.noMaps(folder: layout.mapsFolder) }
        // Pass 1: quantisation range and display range (2nd–98th percentile) of every layer, one layer per worker.
        let threads = resolvedThreadCount(configuration.run.threads)
        let paths = rasters.map { $0.map(\.path) }
        let items = paths.indices.flatMap { e in paths[e].indices.map { (e, $0) } }
        let layerSlots = ResultSlots<Result<Layer, any Error>>(count: items.count)
        parallelForEach(itemCount: items.count, threads: threads) { n in
            let (e, k) = items[n]
            layerSlots.set(n, Result {
                var buffer: [Float] = []
                try Raster(path: paths[e][k]).readRows(firstRow: 0, rowCount: grid.rows, into: &buffer)
                let range = Self.ranges(buffer)
                let description = Self.describe(products[e][k])
                return Layer(key: description.key, label: description.label, unit: description.unit,
                             file: layout.relative(paths[e][k]), decimals: description.decimals,
                             offset: range.minimum, quantum: range.maximum > range.minimum ? (range.maximum - range.minimum) / 65_534 : 1,
                             low: range.low, high: range.high)
            })
        }
        let layers = try layerSlots.values().map { try $0.get() }
        var entries: [EcosystemEntry] = []
        for (e, ecosystem) in ecosystems.enumerated() {
            entries.append(EcosystemEntry(code: ecosystem.code, name: ecosystem.name,
                                          layers: zip(items, layers).filter { $0.0.0 == e }.map(\.1)))
        }
        // Stage the folder, then swap it in.
        let target = layout.path(.mapPageFolder)
        let staging = AtomicFile.temporaryPath(besides: target, tag: "staging")
        let fm = FileManager.default
        defer { try? fm.removeItem(atPath: staging) }
        do {
            try fm.createDirectory(atPath: staging + "/data", withIntermediateDirectories: true)
            try fm.createDirectory(atPath: staging + "/leaflet/images", withIntermediateDirectories: true)
            for file in leafletFiles {
                try fm.copyItem(atPath: (leafletFolder as NSString).appendingPathComponent(file), toPath: staging + "/leaflet/" + file)
            }
        } catch {
            throw FileError(file: staging, message: "cannot prepare the map page folder: \(userMessage(for: error))")
        }
        var levels: [Level] = []
        var factor = 1
        while levels.isEmpty || grid.columns / factor >= 256 {
            levels.append(try writeLevel(index: levels.count, factor: factor, grid: grid, paths: paths, entries: entries,
                                         folder: staging + "/data", threads: threads))
            factor *= 4
        }
        let sites = try loadSites()
        let palette = (0..<256).map { Viridis.hex(at: Double($0) / 255) }
        let index = Index(title: (configuration.run.synthetic ? "DEMO — " : "") + "soilbeta maps",
                          software: SoilBetaVersion.software, report: layout.relative(layout.path(.report)), demo: configuration.run.synthetic,
                          grid: Grid(west: grid.west, north: grid.north, cellWidth: grid.cellWidth, cellHeight: grid.cellHeight,
                                     rows: grid.rows, columns: grid.columns),
                          blockEdge: Self.blockEdge, levels: levels, ecosystems: entries, sites: sites, palette: palette)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(index), as: UTF8.self)
        try AtomicFile.write(text: "soilbetaMap.init(\(json));\n", to: staging + "/index.js")
        try AtomicFile.write(text: MapPageAssets.script, to: staging + "/map-page.js")
        try AtomicFile.write(text: MapPageAssets.style, to: staging + "/map-page.css")
        // Swap: the old folder moves aside, the new one takes its name, the page is written last.
        let old = AtomicFile.temporaryPath(besides: target, tag: "old")
        if fm.fileExists(atPath: target) {
            guard rename(target, old) == 0 else { throw FileError(file: target, message: "cannot replace the map page folder: \(String(cString: strerror(errno)))") }
        }
        try AtomicFile.publish(staging, as: target)
        try? fm.removeItem(atPath: old)
        try AtomicFile.write(text: MapPageAssets.html(title: index.title, demo: index.demo), to: layout.path(.mapPage))
        return Self.size(of: target) + Self.size(of: layout.path(.mapPage))
    }

    /// Minimum, maximum and 2nd/98th percentiles (from a 4096-bin histogram) of the finite values.
    static func ranges(_ values: [Float]) -> (minimum: Double, maximum: Double, low: Double, high: Double) {
        var minimum = Float.infinity, maximum = -Float.infinity, count = 0
        for v in values where v.isFinite {
            minimum = min(minimum, v)
            maximum = max(maximum, v)
            count += 1
        }
        guard count > 0 else { return (0, 1, 0, 1) }
        guard maximum > minimum else { return (Double(minimum), Double(maximum), Double(minimum), Double(minimum) + 1) }
        let bins = 4096
        var histogram = [Int](repeating: 0, count: bins)
        let scale = Double(bins) / Double(maximum - minimum)
        for v in values where v.isFinite { histogram[min(bins - 1, Int(Double(v - minimum) * scale))] += 1 }
        func percentile(_ p: Double) -> Double {
            let wanted = Int((p * Double(count)).rounded(.down))
            var seen = 0
            for (bin, n) in histogram.enumerated() {
                seen += n
                if seen > wanted { return Double(minimum) + Double(bin) / scale }
            }
            return Double(maximum)
        }
        let low = percentile(0.02), high = max(percentile(0.98) + 1 / scale, low + 1 / scale)
        return (Double(minimum), Double(maximum), low, high)
    }

    /// Writes the data blocks of one level (every `factor`-th cell, centred) and lists those with data. Rows
    /// of blocks are independent: each worker reads its band of rows through its own raster handles.
    func writeLevel(index: Int, factor: Int, grid: RasterGrid, paths: [[String]], entries: [EcosystemEntry], folder: String,
                    threads: Int) throws -> Level {
        let edge = Self.blockEdge
        let rows = (grid.rows + factor - 1) / factor, columns = (grid.columns + factor - 1) / factor
        let levelFolder = folder + "/L\(index)"
        do { try FileManager.default.createDirectory(atPath: levelFolder, withIntermediateDirectories: true) } catch {
            throw FileError(file: levelFolder, message: "cannot create: \(userMessage(for: error))")
        }
        // Groups of block rows spanning about 512 grid rows (a COG tile row), so each worker decodes a raster
        // tile once.
        let blockRows = (rows + edge - 1) / edge, perGroup = max(1, 512 / (edge * factor))
        let groups = stride(from: 0, to: blockRows, by: perGroup).map { $0..<min($0 + perGroup, blockRows) }
        let slots = ResultSlots<Result<[String], any Error>>(count: groups.count)
        parallelForEach(itemCount: groups.count, threads: threads) { g in
            slots.set(g, Result {
                try writeBlockRows(groups[g], level: index, factor: factor, grid: grid, paths: paths, entries: entries, folder: levelFolder)
            })
        }
        let blocks = try slots.values().flatMap { try $0.get() }
        return Level(factor: factor, rows: rows, columns: columns, blocks: blocks)
    }

    /// Writes the blocks of the block rows `blockRows` of a level; returns the names of those with data.
    func writeBlockRows(_ blockRows: Range<Int>, level index: Int, factor: Int, grid: RasterGrid, paths: [[String]], entries: [EcosystemEntry],
                        folder levelFolder: String) throws -> [String] {
        let edge = Self.blockEdge
        let rows = (grid.rows + factor - 1) / factor, columns = (grid.columns + factor - 1) / factor
        let rasters = try paths.map { try $0.map { try Raster(path: $0) } }
        var blocks: [String] = []
        var row: [Float] = []
        for blockRow in blockRows {
            let bandRows = min(edge, rows - blockRow * edge)
            // band[e][k]: bandRows × columns quantised values.
            var band: [[[UInt16]]] = entries.map { $0.layers.map { _ in [UInt16](repeating: Self.noData, count: bandRows * columns) } }
            for (e, entry) in entries.enumerated() {
                for (k, layer) in entry.layers.enumerated() {
                    // Full resolution: the band in one read; overviews: the centre row of each group of rows.
                    if factor == 1 { try rasters[e][k].readRows(firstRow: blockRow * edge, rowCount: bandRows, into: &row) }
                    for r in 0..<bandRows {
                        let gridRow = min((blockRow * edge + r) * factor + factor / 2, grid.rows - 1)
                        if factor != 1 { try rasters[e][k].readRows(firstRow: gridRow, rowCount: 1, into: &row) }
                        let rowStart = factor == 1 ? r * grid.columns : 0
                        band[e][k].withUnsafeMutableBufferPointer { out in
                            for c in 0..<columns {
                                let v = row[rowStart + min(c * factor + factor / 2, grid.columns - 1)]
                                guard v.isFinite else { continue }
                                let q = ((Double(v) - layer.offset) / layer.quantum).rounded()
                                out[r * columns + c] = UInt16(max(0, min(65_534, q)))
                            }
                        }
                    }
                }
            }
            for blockColumn in 0..<((columns + edge - 1) / edge) {
                var payload: [UInt16] = []
                var included: [String] = []
                for (e, entry) in entries.enumerated() {
                    var block = [UInt16](repeating: Self.noData, count: entry.layers.count * edge * edge)
                    var any = false
                    for k in entry.layers.indices {
                        for r in 0..<bandRows {
                            for c in 0..<min(edge, columns - blockColumn * edge) {
                                let q = band[e][k][r * columns + blockColumn * edge + c]
                                if q != Self.noData { any = true }
                                block[k * edge * edge + r * edge + c] = q
                            }
                        }
                    }
                    if any {
                        included.append(entry.code)
                        payload += block
                    }
                }
                guard !included.isEmpty else { continue }
                let name = "\(blockRow)_\(blockColumn)"
                let bytes = try Self.deflate(payload.map(\.littleEndian).withUnsafeBytes { [UInt8]($0) })
                let codes = included.map { "\"\($0)\"" }.joined(separator: ",")
                try AtomicFile.write(text: "soilbetaMap.block(\"\(index)/\(name)\",[\(codes)],\"\(Data(bytes).base64EncodedString())\");\n",
                                     to: "\(levelFolder)/\(name).js")
                blocks.append(name)
            }
        }
        return blocks
    }

    /// zlib-format deflate (RFC 1950) through GDAL's CPLZLibDeflate, as the browser's
    /// `DecompressionStream('deflate')` reads it.
    static func deflate(_ bytes: [UInt8]) throws -> [UInt8] {
        var capacity = bytes.count + bytes.count / 100 + 1024
        var output = [UInt8](repeating: 0, count: capacity)
        var written = 0
        let ok = bytes.withUnsafeBytes { input in
            output.withUnsafeMutableBytes { out in
                CPLZLibDeflate(input.baseAddress, input.count, 6, out.baseAddress, capacity, &written) != nil
            }
        }
        guard ok else { throw ReportError.unreadable(path: "map data block", reason: "zlib deflate failed") }
        capacity = written
        return Array(output.prefix(capacity))
    }

    /// The profile sites of the run (sites.csv), or none.
    func loadSites() throws -> [Site] {
        let layout = configuration.layout
        guard FileManager.default.fileExists(atPath: layout.path(.sitesTable)) else { return [] }
        let table = try SiteTable.read(path: layout.path(.sitesTable), features: [])
        return table.ids.indices.compactMap { i in
            guard table.longitude[i].isFinite, table.latitude[i].isFinite else { return nil }
            return Site(id: table.ids[i], ecosystem: table.ecosystem[i]?.code ?? "", lon: table.longitude[i], lat: table.latitude[i],
                        beta: table.beta[i].isFinite ? table.beta[i] : -1)
        }
    }

    /// Bytes of a file or of every file under a folder.
    static func size(of path: String) -> Int {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else { return 0 }
        guard isDirectory.boolValue else { return (try? fm.attributesOfItem(atPath: path)[.size] as? Int) ?? 0 }
        var total = 0
        let entries = fm.enumerator(atPath: path)
        while let entry = entries?.nextObject() as? String {
            total += (try? fm.attributesOfItem(atPath: (path as NSString).appendingPathComponent(entry))[.size] as? Int) ?? 0
        }
        return total
    }
}
