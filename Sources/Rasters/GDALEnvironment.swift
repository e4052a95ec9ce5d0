import Essentials
import CGDAL
import Dispatch
import Foundation

/// Process-wide GDAL set-up, performed once and thread-safely (Swift global `let`s are lazily
/// initialised exactly once). All drivers are registered and GDAL's default error printer is
/// replaced by a quiet one: every failure soilbeta reports carries GDAL's own message, taken
/// from `CPLGetLastErrorMsg`, inside a `RasterError` naming the file concerned.
private let gdalIsRegistered: Bool = {
    GDALAllRegister()
    CPLSetErrorHandler(CPLQuietErrorHandler)
    return true
}()

/// Facts about the GDAL library soilbeta is linked against.
public enum GDALEnvironment {
    /// Registers all GDAL drivers (idempotent, thread-safe). Every entry point of this target
    /// calls it; callers never need to.
    public static func ensureRegistered() {
        _ = gdalIsRegistered
    }

    /// The GDAL release, e.g. `"3.6.2"`.
    public static var version: String {
        ensureRegistered()
        return String(cString: GDALVersionInfo("RELEASE_NAME"))
    }

    /// Whether the GDAL build has the driver of this short name (`"COG"`, `"netCDF"`, `"GTiff"`).
    public static func hasDriver(_ shortName: String) -> Bool {
        ensureRegistered()
        return GDALGetDriverByName(shortName) != nil
    }

    /// The last GDAL error message of this thread, or `fallback` when GDAL left none.
    static func lastErrorMessage(or fallback: String = "GDAL reported no further detail") -> String {
        guard let message = CPLGetLastErrorMsg() else { return fallback }
        let text = String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? fallback : text
    }

    /// Clears this thread's last GDAL error, so a later message belongs to the next call.
    static func resetError() {
        CPLErrorReset()
    }
}

/// The one gate to libnetcdf: the netCDF-C library (and the serial HDF5 under it) keeps global state and is
/// not thread-safe, and GDAL's multidimensional netCDF writer does not serialise its calls with the classic
/// driver's. Every netCDF open, read, copy and write in soilbeta passes through this semaphore (a concurrent
/// NetCDF copy and cube write once produced a file without georeferencing). A semaphore, not a lock: a cube
/// writer holds it from creation to `finish`, which may end on another thread.
enum NetCDFAccess {
    static let gate = DispatchSemaphore(value: 1)

    /// Whether `path` is read by GDAL's netCDF driver (extension `.nc`/`.nc4`, or a `NETCDF:` subdataset).
    static func isNetCDF(_ path: String) -> Bool {
        let lower = path.lowercased()
        return lower.hasSuffix(".nc") || lower.hasSuffix(".nc4") || lower.hasPrefix("netcdf:")
    }

    /// Runs `body` with the gate held when `needed`.
    static func exclusive<T>(_ needed: Bool = true, _ body: () throws -> T) rethrows -> T {
        guard needed else { return try body() }
        gate.wait()
        defer { gate.signal() }
        return try body()
    }
}

/// A GDAL string list (`char **`) built from Swift strings, released with `CSLDestroy`.
/// Used for the argument vectors of `GDALTranslate`/`GDALWarp` and for creation options.
extension GDALEnvironment {
    /// The options object of a GDAL utility (gdalwarp, gdalbuildvrt, gdal_translate) parsed from its
    /// command-line `arguments` by `make` (e.g. `{ GDALTranslateOptionsNew($0, nil) }`); the caller frees it.
    /// - Throws: `RasterError.writeFailed` naming `path` when GDAL refuses the arguments.
    static func utilityOptions<Options>(_ arguments: [String], for path: String,
                                        _ make: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Options?) throws -> Options {
        let list = GDALStringList(arguments)
        resetError()
        guard let options = make(list.pointer) else {
            throw RasterError.writeFailed(path: path, reason: "invalid options \(arguments.joined(separator: " ")): \(lastErrorMessage())")
        }
        return options
    }
}

final class GDALStringList {
    private(set) var pointer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = nil

    init(_ items: [String] = []) {
        for item in items { append(item) }
    }

    /// The same list as `const char * const *`, for APIs that only read it.
    var constPointer: UnsafePointer<UnsafePointer<CChar>?>? {
        UnsafeRawPointer(pointer)?.assumingMemoryBound(to: UnsafePointer<CChar>?.self)
    }

    func append(_ item: String) {
        pointer = CSLAddString(pointer, item)
    }

    deinit {
        CSLDestroy(pointer)
    }
}

/// Everything that can go wrong in the Rasters target. Every case names the file concerned and,
/// where GDAL failed, GDAL's own message.
public enum RasterError: SoilBetaError, Equatable {
    /// The file could not be opened as a raster.
    case cannotOpen(path: String, reason: String)
    /// The raster's layout is not usable (rotated, south-up, missing band …).
    case unsupportedLayout(path: String, reason: String)
    /// Reading pixels failed or the request was outside the raster.
    case readFailed(path: String, reason: String)
    /// Creating, writing or finishing an output failed.
    case writeFailed(path: String, reason: String)
    /// A CRS definition could not be understood.
    case invalidCRS(definition: String, reason: String)
    /// An argument (grid, extent, class list, resampling …) is invalid.
    case invalidArgument(String)
    /// A raster does not match the target grid (see `GridMismatch`).
    case gridMismatch(GridMismatch)
    /// Several rasters do not match the target grid (all are listed, so one run finds them all).
    case gridMismatches([GridMismatch])

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): return "\(path): cannot open raster: \(reason)"
        case let .unsupportedLayout(path, reason): return "\(path): unsupported raster layout: \(reason)"
        case let .readFailed(path, reason): return "\(path): read failed: \(reason)"
        case let .writeFailed(path, reason): return "\(path): write failed: \(reason)"
        case let .invalidCRS(definition, reason): return "invalid CRS '\(definition)': \(reason)"
        case let .invalidArgument(message): return message
        case let .gridMismatch(mismatch): return mismatch.description
        case let .gridMismatches(mismatches):
            return "\(mismatches.count) rasters do not match the target grid:\n"
                + mismatches.map(\.description).joined(separator: "\n")
        }
    }
}
