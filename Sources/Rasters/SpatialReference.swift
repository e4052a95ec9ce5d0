import CGDAL

/// A coordinate reference system held as WKT (the form GDAL stores in a raster), with the
/// comparisons soilbeta needs: "is this the same CRS as the target grid's" (METHOD.md §8) and
/// "is it geographic on WGS84" (for cell areas and site coordinates).
public struct SpatialReference: Sendable, Equatable, CustomStringConvertible {
    /// The WKT definition (WKT2 or WKT1, whatever GDAL produced or the raster stored).
    public let wkt: String

    /// Geographic WGS84 (EPSG:4326), longitude/latitude in degrees — soilbeta's default grid CRS.
    public static let wgs84: SpatialReference = {
        // EPSG:4326 as GDAL's proj.db defines it; should proj.db be unreadable, its WKT1 definition (EPSG registry),
        // so that a broken PROJ installation gives a CRS comparison that fails later with a message, not a trap.
        (try? SpatialReference(userInput: "EPSG:4326")) ?? SpatialReference(wkt: wgs84WKT1)
    }()

    /// The EPSG:4326 definition in OGC WKT1 (EPSG registry values), the fallback of `wgs84`.
    static let wgs84WKT1 = "GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,298.257223563,AUTHORITY[\"EPSG\",\"7030\"]],"
        + "AUTHORITY[\"EPSG\",\"6326\"]],PRIMEM[\"Greenwich\",0,AUTHORITY[\"EPSG\",\"8901\"]],"
        + "UNIT[\"degree\",0.0174532925199433,AUTHORITY[\"EPSG\",\"9122\"]],AXIS[\"Latitude\",NORTH],AXIS[\"Longitude\",EAST],"
        + "AUTHORITY[\"EPSG\",\"4326\"]]"

    /// Wraps an existing WKT string without validation (used for what GDAL reports itself).
    public init(wkt: String) {
        self.wkt = wkt
    }

    /// Parses any definition GDAL understands: `EPSG:4326`, `WGS84`, a PROJ string, WKT, or a
    /// file holding one. Throws `RasterError.invalidCRS` naming the definition when GDAL cannot.
    public init(userInput: String) throws {
        GDALEnvironment.ensureRegistered()
        guard let handle = OSRNewSpatialReference(nil) else {
            throw RasterError.invalidCRS(definition: userInput, reason: "cannot allocate a spatial reference")
        }
        defer { OSRDestroySpatialReference(handle) }
        GDALEnvironment.resetError()
        guard OSRSetFromUserInput(handle, userInput) == OGRERR_NONE else {
            throw RasterError.invalidCRS(definition: userInput, reason: GDALEnvironment.lastErrorMessage())
        }
        var text: UnsafeMutablePointer<CChar>? = nil
        guard OSRExportToWkt(handle, &text) == OGRERR_NONE, let text else {
            throw RasterError.invalidCRS(definition: userInput, reason: "cannot export it as WKT")
        }
        defer { VSIFree(text) }
        self.wkt = String(cString: text)
    }

    /// Calls `body` with an OSR handle for this CRS (traditional lon/lat axis order), or nil if
    /// the WKT is empty or unparsable.
    func withHandle<T>(_ body: (OGRSpatialReferenceH?) throws -> T) rethrows -> T {
        GDALEnvironment.ensureRegistered()
        guard !wkt.isEmpty, let handle = OSRNewSpatialReference(nil) else { return try body(nil) }
        defer { OSRDestroySpatialReference(handle) }
        let parsed = wkt.withCString { text -> Bool in
            // OSRImportFromWkt only advances the pointer it is given; it never writes the text.
            var cursor: UnsafeMutablePointer<CChar>? = UnsafeMutablePointer(mutating: text)
            return OSRImportFromWkt(handle, &cursor) == OGRERR_NONE
        }
        guard parsed || OSRSetFromUserInput(handle, wkt) == OGRERR_NONE else { return try body(nil) }
        OSRSetAxisMappingStrategy(handle, OAMS_TRADITIONAL_GIS_ORDER)
        return try body(handle)
    }

    /// Whether both define the same CRS, ignoring axis-order conventions of geographic CRSs and
    /// names/metadata (GDAL `OSRIsSameEx`, criterion EQUIVALENT_EXCEPT_AXIS_ORDER_GEOGCRS).
    /// Two empty definitions are the same; an empty and a non-empty one are not.
    public func isSame(as other: SpatialReference) -> Bool {
        if wkt == other.wkt { return true }
        return withHandle { mine in
            other.withHandle { theirs in
                guard let mine, let theirs else { return false }
                let options = GDALStringList([
                    "IGNORE_DATA_AXIS_TO_SRS_AXIS_MAPPING=YES",
                    "CRITERION=EQUIVALENT_EXCEPT_AXIS_ORDER_GEOGCRS",
                ])
                return OSRIsSameEx(mine, theirs, options.constPointer) != 0
            }
        }
    }

    /// Whether this is a geographic (longitude/latitude) CRS.
    public var isGeographic: Bool {
        withHandle { handle in handle.map { OSRIsGeographic($0) != 0 } ?? false }
    }

    /// Whether this is geographic on the WGS84 ellipsoid (a = 6 378 137 m, 1/f = 298.257223563),
    /// the case for which `EllipsoidCellArea` gives exact cell areas.
    public var isGeographicWGS84: Bool {
        withHandle { handle in
            guard let handle, OSRIsGeographic(handle) != 0 else { return false }
            var error: OGRErr = OGRERR_NONE
            let semiMajor = OSRGetSemiMajor(handle, &error)
            let inverseFlattening = OSRGetInvFlattening(handle, &error)
            return abs(semiMajor - WGS84Ellipsoid.semiMajorAxisM) < 1e-3
                && abs(inverseFlattening - WGS84Ellipsoid.inverseFlattening) < 1e-6
        }
    }

    /// A short human name: `EPSG:4326` when an authority code is known, else the CRS name,
    /// else `"(no CRS)"` — for error messages.
    public var shortName: String {
        withHandle { handle in
            guard let handle else { return "(no CRS)" }
            OSRAutoIdentifyEPSG(handle)
            if let authority = OSRGetAuthorityName(handle, nil), let code = OSRGetAuthorityCode(handle, nil) {
                return "\(String(cString: authority)):\(String(cString: code))"
            }
            if let name = OSRGetName(handle) { return String(cString: name) }
            return "(unnamed CRS)"
        }
    }

    public var description: String { shortName }
}

