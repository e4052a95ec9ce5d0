import CGDAL
import Essentials
import Foundation

/// A point layer to write into a GeoPackage: WGS84 points with text and number attributes.
public struct PointLayer: Sendable {
    /// A column of the layer.
    public enum Column: Sendable {
        /// Text values, one per point.
        case text(String, [String])
        /// Numbers, one per point (NaN = null).
        case number(String, [Double])
        /// Whole numbers, one per point.
        case integer(String, [Int])
    }
    /// Layer name.
    public var name: String
    /// Longitudes and latitudes, WGS84 degrees.
    public var longitude: [Double], latitude: [Double]
    /// Attribute columns.
    public var columns: [Column]

    /// A layer.
    public init(name: String, longitude: [Double], latitude: [Double], columns: [Column]) {
        (self.name, self.longitude, self.latitude, self.columns) = (name, longitude, latitude, columns)
    }
}

/// Writes point layers as one GeoPackage through GDAL/OGR (the format QGIS and `ogrinfo` read), atomically:
/// built under a temporary name, renamed when complete.
public enum GeoPackageWriter {
    /// Writes `layers` to `path`.
    /// - Throws: `RasterError.writeFailed` naming the file and GDAL's message.
    public static func write(_ layers: [PointLayer], to path: String) throws {
        GDALEnvironment.ensureRegistered()
        try AtomicFile.requireWritableFolder(for: path)
        guard let driver = GDALGetDriverByName("GPKG") else {
            throw RasterError.writeFailed(path: path, reason: "the GDAL build has no GeoPackage driver")
        }
        let temporary = AtomicFile.temporaryPath(besides: path, tag: "partial")
        guard let dataset = GDALCreate(driver, temporary, 0, 0, 0, GDT_Unknown, nil) else {
            throw RasterError.writeFailed(path: path, reason: GDALEnvironment.lastErrorMessage())
        }
        var closed = false
        defer { if !closed { GDALClose(dataset); AtomicFile.removeQuietly(temporary) } }
        let srs = OSRNewSpatialReference(nil)
        defer { OSRDestroySpatialReference(srs) }
        OSRSetWellKnownGeogCS(srs, "WGS84")
        OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER)
        for layer in layers {
            guard let handle = GDALDatasetCreateLayer(dataset, layer.name, srs, wkbPoint, nil) else {
                throw RasterError.writeFailed(path: path, reason: "cannot create layer \(layer.name): \(GDALEnvironment.lastErrorMessage())")
            }
            for column in layer.columns {
                let (name, type): (String, OGRFieldType) = switch column {
                case let .text(name, _): (name, OFTString)
                case let .number(name, _): (name, OFTReal)
                case let .integer(name, _): (name, OFTInteger64)
                }
                let field = OGR_Fld_Create(name, type)
                defer { OGR_Fld_Destroy(field) }
                guard OGR_L_CreateField(handle, field, 1) == OGRERR_NONE else {
                    throw RasterError.writeFailed(path: path, reason: "cannot create field \(name) of \(layer.name)")
                }
            }
            guard OGR_L_StartTransaction(handle) == OGRERR_NONE else {
                throw RasterError.writeFailed(path: path, reason: "cannot start a transaction on \(layer.name)")
            }
            let definition = OGR_L_GetLayerDefn(handle)
            for row in layer.longitude.indices {
                guard let feature = OGR_F_Create(definition) else { throw RasterError.writeFailed(path: path, reason: "cannot create a feature") }
                defer { OGR_F_Destroy(feature) }
                for (k, column) in layer.columns.enumerated() {
                    switch column {
                    case let .text(_, values): OGR_F_SetFieldString(feature, Int32(k), values[row])
                    case let .number(_, values):
                        if values[row].isNaN { OGR_F_SetFieldNull(feature, Int32(k)) } else { OGR_F_SetFieldDouble(feature, Int32(k), values[row]) }
                    case let .integer(_, values): OGR_F_SetFieldInteger64(feature, Int32(k), GIntBig(values[row]))
                    }
                }
                if layer.longitude[row].isFinite && layer.latitude[row].isFinite {
                    let point = OGR_G_CreateGeometry(wkbPoint)
                    OGR_G_SetPoint_2D(point, 0, layer.longitude[row], layer.latitude[row])
                    OGR_F_SetGeometryDirectly(feature, point)
                }
                guard OGR_L_CreateFeature(handle, feature) == OGRERR_NONE else {
                    throw RasterError.writeFailed(path: path, reason: "cannot write feature \(row + 1) of \(layer.name): \(GDALEnvironment.lastErrorMessage())")
                }
            }
            guard OGR_L_CommitTransaction(handle) == OGRERR_NONE else {
                throw RasterError.writeFailed(path: path, reason: "cannot commit \(layer.name)")
            }
        }
        GDALClose(dataset)
        closed = true
        try AtomicFile.publish(temporary, as: path)
    }
}
