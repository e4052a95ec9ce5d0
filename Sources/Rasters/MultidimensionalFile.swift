// A netCDF-4 file written through GDAL's multidimensional API (the netCDF driver): dimensions, typed
// variables with deflate and chunking, attributes, hyperslab writes; published atomically.
import CGDAL
import Essentials
import Foundation

/// A netCDF-4 file being written with GDAL's multidimensional raster API (`GDALCreateMultiDimensional`
/// with the netCDF driver). The file is built under a hidden temporary name and renamed to its final
/// name by `finish()`; `abandon()` (or an error) removes it, so a failed run leaves nothing half written.
/// Not thread-safe.
public final class MultidimensionalFile {
    /// The final path.
    public let path: String
    private let temporary: String
    private var dataset: GDALDatasetH?
    private let root: GDALGroupH
    private var handles: [GDALDimensionH] = []
    private var arrays: [GDALMDArrayH] = []

    /// Element type of a variable or numeric attribute.
    public enum ElementType: Sendable {
        /// 32-bit IEEE float (`float`).
        case float32
        /// 64-bit IEEE float (`double`).
        case float64
        /// 32-bit signed integer (`int`).
        case int32

        var gdalType: GDALDataType {
            switch self {
            case .float32: GDT_Float32
            case .float64: GDT_Float64
            case .int32: GDT_Int32
            }
        }
    }

    /// A dimension of the file (index into the file's dimension list).
    public struct Dimension: Sendable, Equatable {
        let index: Int
        /// The dimension's name.
        public let name: String
        /// Its length.
        public let size: Int
    }

    /// A variable of the file (index into the file's variable list).
    public struct Variable: Sendable, Equatable {
        let index: Int
        /// The variable's name.
        public let name: String
        /// Its dimensions, slowest-varying first.
        public let dimensions: [Dimension]
        /// Its element type.
        public let type: ElementType
    }

    /// An attribute value: text, or one or several numbers of a given type.
    public enum AttributeValue: Sendable, Equatable {
        /// A character string.
        case text(String)
        /// Numbers stored as `type`.
        case numbers([Double], ElementType)
    }

    /// Creates `path` (netCDF-4, global attribute `Conventions` = `conventions`), writing to a temporary
    /// file beside it. Throws `RasterError.writeFailed` when the folder is not writable or GDAL fails.
    public init(path: String, conventions: String) throws {
        GDALEnvironment.ensureRegistered()
        GDALEnvironment.resetError()
        do { try AtomicFile.requireWritableFolder(for: path) } catch {
            throw RasterError.writeFailed(path: path, reason: userMessage(for: error))
        }
        guard let driver = GDALGetDriverByName("netCDF") else {
            throw RasterError.writeFailed(path: path, reason: "GDAL has no netCDF driver")
        }
        self.path = path
        temporary = AtomicFile.temporaryPath(besides: path, tag: "partial")
        let options = GDALStringList(["FORMAT=NC4", "CONVENTIONS=\(conventions)"])
        // Held until finish() or abandon(): libnetcdf is used by this file throughout (NetCDFAccess).
        NetCDFAccess.gate.wait()
        guard let dataset = GDALCreateMultiDimensional(driver, temporary, nil, options.pointer),
              let root = GDALDatasetGetRootGroup(dataset) else {
            NetCDFAccess.gate.signal()
            AtomicFile.removeQuietly(temporary)
            throw RasterError.writeFailed(path: path, reason: GDALEnvironment.lastErrorMessage(or: "cannot create the netCDF file"))
        }
        self.dataset = dataset
        self.root = root
    }

    deinit { abandon() }

    private func failure(_ what: String) -> RasterError {
        RasterError.writeFailed(path: path, reason: "\(what): \(GDALEnvironment.lastErrorMessage(or: "GDAL reported no reason"))")
    }

    /// Adds a dimension of `size` elements. `type`/`direction` are GDAL's hints (e.g. `HORIZONTAL_Y`,
    /// `NORTH`); empty when none apply.
    public func addDimension(_ name: String, size: Int, type: String = "", direction: String = "") throws -> Dimension {
        guard size > 0 else { throw RasterError.invalidArgument("\(path): dimension '\(name)' needs a positive size (got \(size))") }
        GDALEnvironment.resetError()
        guard let handle = GDALGroupCreateDimension(root, name, type, direction, UInt64(size), nil) else {
            throw failure("cannot create dimension '\(name)'")
        }
        handles.append(handle)
        return Dimension(index: handles.count - 1, name: name, size: size)
    }

    /// Adds a variable over `dimensions`. `chunks` (one per dimension) sets netCDF-4 chunking and
    /// `deflateLevel` (1–9) zlib compression; `fillValue` becomes `_FillValue`.
    public func addVariable(_ name: String, dimensions: [Dimension], type: ElementType, chunks: [Int]? = nil,
                            deflateLevel: Int? = nil, fillValue: Double? = nil) throws -> Variable {
        var optionItems: [String] = []
        if let chunks {
            guard chunks.count == dimensions.count, zip(chunks, dimensions).allSatisfy({ $0 >= 1 && $0 <= $1.size }) else {
                throw RasterError.invalidArgument("\(path): variable '\(name)': chunk sizes \(chunks) do not fit its dimensions")
            }
            optionItems.append("BLOCKSIZE=" + chunks.map(String.init).joined(separator: ","))
        }
        if let deflateLevel { optionItems += ["COMPRESS=DEFLATE", "ZLEVEL=\(min(9, max(1, deflateLevel)))"] }
        let options = GDALStringList(optionItems)
        GDALEnvironment.resetError()
        guard let elementType = GDALExtendedDataTypeCreate(type.gdalType) else { throw failure("cannot make the type of '\(name)'") }
        defer { GDALExtendedDataTypeRelease(elementType) }
        var dimensionHandles: [GDALDimensionH?] = dimensions.map { handles[$0.index] }
        let created = dimensionHandles.withUnsafeMutableBufferPointer { buffer in
            GDALGroupCreateMDArray(root, name, dimensions.count, buffer.baseAddress, elementType, options.pointer)
        }
        guard let array = created else { throw failure("cannot create variable '\(name)'") }
        arrays.append(array)
        if let fillValue, GDALMDArraySetNoDataValueAsDouble(array, fillValue) == 0 {
            throw failure("cannot set _FillValue of '\(name)'")
        }
        return Variable(index: arrays.count - 1, name: name, dimensions: dimensions, type: type)
    }

    /// Sets attribute `name` of `variable` (of the file when `variable` is nil).
    public func setAttribute(_ name: String, _ value: AttributeValue, of variable: Variable? = nil) throws {
        GDALEnvironment.resetError()
        let type: GDALExtendedDataTypeH?
        var length: [UInt64] = []
        switch value {
        case .text: type = GDALExtendedDataTypeCreateString(0)
        case let .numbers(values, elementType):
            type = GDALExtendedDataTypeCreate(elementType.gdalType)
            if values.count != 1 { length = [UInt64(values.count)] }
        }
        guard let type else { throw failure("cannot make the type of attribute '\(name)'") }
        defer { GDALExtendedDataTypeRelease(type) }
        let attribute = length.withUnsafeBufferPointer { sizes -> GDALAttributeH? in
            if let variable {
                return GDALMDArrayCreateAttribute(arrays[variable.index], name, sizes.count, sizes.baseAddress, type, nil)
            }
            return GDALGroupCreateAttribute(root, name, sizes.count, sizes.baseAddress, type, nil)
        }
        guard let attribute else { throw failure("cannot create attribute '\(name)'") }
        defer { GDALAttributeRelease(attribute) }
        let written: Int32
        switch value {
        case let .text(text): written = GDALAttributeWriteString(attribute, text)
        case let .numbers(values, _):
            written = values.count == 1 ? GDALAttributeWriteDouble(attribute, values[0])
                : values.withUnsafeBufferPointer { GDALAttributeWriteDoubleArray(attribute, $0.baseAddress, $0.count) }
        }
        guard written != 0 else { throw failure("cannot write attribute '\(name)'") }
    }

    /// Sets several text attributes of `variable` (of the file when nil), in order.
    public func setAttributes(_ attributes: KeyValuePairs<String, String>, of variable: Variable? = nil) throws {
        for (name, text) in attributes { try setAttribute(name, .text(text), of: variable) }
    }

    /// Writes the hyperslab of `variable` that starts at `start` and spans `count` elements per dimension
    /// from `values` (row-major, last dimension fastest; converted to the variable's type by GDAL).
    public func write<T: RasterElement>(_ variable: Variable, start: [Int], count: [Int], values: UnsafeBufferPointer<T>) throws {
        guard start.count == variable.dimensions.count, count.count == start.count,
              zip(zip(start, count), variable.dimensions).allSatisfy({ $0.0 >= 0 && $0.1 >= 1 && $0.0 + $0.1 <= $1.size }),
              values.count == count.reduce(1, *), let base = values.baseAddress else {
            throw RasterError.invalidArgument("\(path): write of \(count) values at \(start) does not fit variable '\(variable.name)' (\(variable.dimensions.map(\.size)), buffer \(values.count))")
        }
        GDALEnvironment.resetError()
        guard let bufferType = GDALExtendedDataTypeCreate(T.gdalType) else { throw failure("cannot make the buffer type") }
        defer { GDALExtendedDataTypeRelease(bufferType) }
        let startIndex = start.map { UInt64($0) }
        let counts = count.map { Int($0) }
        let ok = startIndex.withUnsafeBufferPointer { s in
            counts.withUnsafeBufferPointer { c in
                GDALMDArrayWrite(arrays[variable.index], s.baseAddress, c.baseAddress, nil, nil, bufferType, base,
                                 base, values.count * MemoryLayout<T>.stride)
            }
        }
        guard ok != 0 else { throw failure("cannot write variable '\(variable.name)'") }
    }

    /// Writes all of a one-dimensional (or any) `variable` from `values`.
    public func write<T: RasterElement>(_ variable: Variable, values: [T]) throws {
        try values.withUnsafeBufferPointer {
            try write(variable, start: variable.dimensions.map { _ in 0 }, count: variable.dimensions.map(\.size), values: $0)
        }
    }

    private func releaseHandles() {
        for array in arrays { GDALMDArrayRelease(array) }
        for handle in handles { GDALDimensionRelease(handle) }
        arrays = []
        handles = []
    }

    /// Closes the file (GDAL flushes it) and renames it to `path`.
    /// - Throws: `RasterError.writeFailed` when closing fails; `FileError` when the rename fails.
    public func finish() throws {
        guard let dataset else { throw RasterError.writeFailed(path: path, reason: "the file was already closed") }
        releaseHandles()
        GDALGroupRelease(root)
        self.dataset = nil
        GDALEnvironment.resetError()
        GDALClose(dataset)
        NetCDFAccess.gate.signal()
        if CPLGetLastErrorType() == CE_Failure || CPLGetLastErrorType() == CE_Fatal {
            let message = GDALEnvironment.lastErrorMessage()
            AtomicFile.removeQuietly(temporary)
            throw RasterError.writeFailed(path: path, reason: "closing the netCDF file: \(message)")
        }
        try AtomicFile.publish(temporary, as: path)
    }

    /// Closes and deletes the unfinished file (no effect after `finish()`).
    public func abandon() {
        guard let dataset else { return }
        releaseHandles()
        GDALGroupRelease(root)
        self.dataset = nil
        GDALClose(dataset)
        NetCDFAccess.gate.signal()
        AtomicFile.removeQuietly(temporary)
    }
}
