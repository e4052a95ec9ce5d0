import CGDAL
import Foundation

/// Values of one raster band at site coordinates (`soilbeta extract`, issue 4 item 3).
public struct SiteSamples: Sendable {
    /// One value per site, nil where the site is outside the raster, on nodata, or has no coordinates.
    public let values: [Double?]
    /// Sites whose coordinates fall outside the raster.
    public let outsideCount: Int
    /// Sites inside the raster on a nodata (or NaN) cell.
    public let noDataCount: Int
    /// Sites without usable coordinates (missing or not finite; not counted as outside).
    public let missingCoordinateCount: Int
}

/// Reads a raster band at longitude/latitude points (WGS84 degrees): the value of the cell that
/// contains the point (the "simple" rule of terra::extract), with points transformed to the
/// raster's CRS when it is not geographic WGS84. For geographic rasters stored 0…360°, points
/// at negative longitudes are also looked up 360° east (and vice versa).
public final class SiteSampler {
    /// The raster sampled.
    public let raster: Raster
    /// The band sampled (1-based).
    public let band: Int
    private let noData: Double?
    private let singlePrecision: Bool

    /// Opens `path` for sampling `band`. Throws `RasterError` naming the file.
    public init(path: String, band: Int = 1) throws {
        raster = try Raster(path: path)
        self.band = band
        noData = try raster.noDataValue(band: band)
        let type = try raster.dataType(band: band)
        singlePrecision = type != .float64
    }

    /// Samples the band at each (longitude, latitude) pair (WGS84 degrees; NaN = missing).
    /// Values of Float32 and integer bands are returned as the shortest decimal that reads back
    /// to the stored single-precision value (0.1, not 0.10000000149).
    public func sample(longitudes: [Double], latitudes: [Double]) throws -> SiteSamples {
        precondition(longitudes.count == latitudes.count, "one latitude per longitude")
        var x = longitudes, y = latitudes
        var usable = (0..<x.count).map { x[$0].isFinite && y[$0].isFinite }
        let missingCoordinates = usable.filter { !$0 }.count
        let grid = raster.grid
        let geographicWGS84 = grid.crs.isGeographicWGS84 && grid.crs.isSame(as: .wgs84)
        if !geographicWGS84 && !grid.crs.wkt.isEmpty {
            try transformToRaster(x: &x, y: &y, usable: &usable)
        }
        var values = [Double?](repeating: nil, count: x.count)
        var outside = 0, onNoData = 0
        var cellValue = [0.0]
        for site in 0..<x.count where usable[site] {
            var cell = grid.cell(containingX: x[site], y: y[site])
            if cell == nil && geographicWGS84 {
                cell = grid.cell(containingX: x[site] + 360, y: y[site]) ?? grid.cell(containingX: x[site] - 360, y: y[site])
            }
            guard let (column, row) = cell else { outside += 1; continue }
            try cellValue.withUnsafeMutableBufferPointer { pointer in
                try raster.readWindow(band: band, column: column, row: row, columnCount: 1, rowCount: 1, into: pointer)
            }
            let value = cellValue[0]
            if RasterNoData.isMissing(value, noData: noData) { onNoData += 1; continue }
            values[site] = singlePrecision ? Double("\(Float(value))") ?? value : value
        }
        return SiteSamples(values: values, outsideCount: outside, noDataCount: onNoData,
                           missingCoordinateCount: missingCoordinates)
    }

    private func transformToRaster(x: inout [Double], y: inout [Double], usable: inout [Bool]) throws {
        try SpatialReference.wgs84.withHandle { source in
            try raster.grid.crs.withHandle { target in
                guard let source, let target, let transform = OCTNewCoordinateTransformation(source, target) else {
                    throw RasterError.unsupportedLayout(path: raster.path,
                        reason: "cannot transform WGS84 coordinates to the raster's CRS (\(raster.grid.crs.shortName)): \(GDALEnvironment.lastErrorMessage())")
                }
                defer { OCTDestroyCoordinateTransformation(transform) }
                var z = [Double](repeating: 0, count: x.count)
                var success = [Int32](repeating: 0, count: x.count)
                _ = OCTTransformEx(transform, Int32(x.count), &x, &y, &z, &success)
                for site in 0..<x.count where success[site] == 0 { usable[site] = false; x[site] = .nan }
            }
        }
    }
}

/// Merging sampled values into a table column (`soilbeta extract`): only missing fields are
/// filled unless `overwrite`; fields the raster cannot supply stay as they were.
public enum SiteColumnFill {
    /// The merged column and what happened to it.
    public struct Outcome: Sendable, Equatable {
        /// The column's new fields.
        public let fields: [String]
        /// Missing fields that received a value.
        public let filled: Int
        /// Present fields replaced by a sampled value (only with `overwrite`).
        public let overwritten: Int
        /// Present fields kept (no `overwrite`, or no sampled value).
        public let kept: Int
        /// Fields still missing afterwards.
        public let stillMissing: Int
    }

    /// Merges `sampled` into `existing` (nil = the column is new). `isMissing` says which texts
    /// are missing values (soilbeta: empty or `NA`); `format` renders numbers.
    public static func merge(existing: [String]?, sampled: [Double?], overwrite: Bool,
                             isMissing: (String) -> Bool, format: (Double) -> String) -> Outcome {
        var fields: [String] = []
        fields.reserveCapacity(sampled.count)
        var filled = 0, overwritten = 0, kept = 0, stillMissing = 0
        for (index, value) in sampled.enumerated() {
            let old = existing?[index] ?? ""
            let oldMissing = isMissing(old)
            switch (oldMissing, value) {
            case (true, let value?):
                fields.append(format(value)); filled += 1
            case (true, nil):
                fields.append(old); stillMissing += 1
            case (false, let value?) where overwrite:
                fields.append(format(value)); overwritten += 1
            case (false, _):
                fields.append(old); kept += 1
            }
        }
        return Outcome(fields: fields, filled: filled, overwritten: overwritten, kept: kept, stillMissing: stillMissing)
    }
}
