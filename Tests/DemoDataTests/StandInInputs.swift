import Foundation
import Rasters

/// Tiny stand-ins for the two real inputs, generated on the fly (no network, nothing committed):
/// a "MODIS" IGBP raster at 0.25° labelled with a Clarke 1866 geographic CRS (as the real
/// MCD12C1 file is) and a "Köppen–Geiger" raster at 0.1° on WGS84 with ocean = 0 = nodata.
///
/// Known regions (used by exact-area tests):
/// - lon 0…10, lat 30…40: all IGBP 12 (cropland).
/// - lon 20…30, lat 30…40: all IGBP 14 (mosaic → ½ cropland).
/// - lon 40…50, lat 30…40: all IGBP 10 (grassland).
/// - lon 60…70, lat 30…40: all IGBP 2 (evergreen broadleaf forest).
/// - lon −30…−20: all water (0) at every latitude.
enum StandInInputs {
    static func igbpClass(lon: Double, lat: Double) -> UInt8 {
        if lat >= 30 && lat < 40 {
            if lon >= 0 && lon < 10 { return 12 }
            if lon >= 20 && lon < 30 { return 14 }
            if lon >= 40 && lon < 50 { return 10 }
            if lon >= 60 && lon < 70 { return 2 }
        }
        if lon >= -30 && lon < -20 { return 0 }
        let continent = (lon > -130 && lon < -40 && lat > -50 && lat < 65) || (lon > -15 && lat > -35 && lat < 72)
        guard continent else { return lat < -62 ? 15 : 0 }
        let band = Int(((lon + 180) / 7).rounded(.down) + ((lat + 90) / 5).rounded(.down)) % 9
        return [1, 4, 5, 8, 9, 10, 12, 14, 7][band]
    }

    static func koppenGroup(lon: Double, lat: Double) -> UInt8 {
        guard igbpClass(lon: lon, lat: lat) != 0 || (lon > 100 && lat > 0 && lat < 10) else { return 0 }
        let absLat = abs(lat)
        return absLat < 15 ? 1 : absLat < 30 ? 2 : absLat < 45 ? 3 : absLat < 62 ? 4 : 5
    }

    /// Writes both stand-ins into `folder`; returns (modis, koppen) paths.
    static func write(into folder: String) throws -> (modis: String, koppen: String) {
        let clarke = try SpatialReference(userInput: "+proj=longlat +ellps=clrk66 +no_defs")
        let modisGrid = RasterGrid(west: -180, north: 90, cellWidth: 0.25, cellHeight: 0.25, columns: 1440, rows: 720, crs: clarke)
        let koppenGrid = RasterGrid(west: -180, north: 90, cellWidth: 0.1, cellHeight: 0.1, columns: 3600, rows: 1800, crs: .wgs84)
        let modisPath = "\(folder)/modis.tif", koppenPath = "\(folder)/kg.tif"
        for (path, grid, noData, classify) in [(modisPath, modisGrid, 255.0, igbpClass), (koppenPath, koppenGrid, 0.0, koppenGroup)] {
            let writer = try RasterWriter(path: path, grid: grid, options: RasterOutputOptions(
                dataType: .byte, noDataValue: noData, overviewResampling: "NEAREST", deflateLevel: 1))
            var values = [UInt8](repeating: 0, count: grid.columns * grid.rows)
            for row in 0..<grid.rows {
                for column in 0..<grid.columns {
                    let centre = grid.cellCenter(column: column, row: row)
                    values[row * grid.columns + column] = classify(centre.x, centre.y)
                }
            }
            try writer.writeRows(firstRow: 0, rowCount: grid.rows, from: values)
            try writer.finish()
        }
        return (modisPath, koppenPath)
    }

    /// A fresh temporary folder.
    static func temporaryFolder(_ tag: String) throws -> String {
        let path = NSTemporaryDirectory() + "soilbeta-demo-\(tag)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
