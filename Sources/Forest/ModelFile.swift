// Versioned binary model files for trained forests (issue 3 item 8).
import Foundation
import Essentials

/// The binary model format: little-endian, header then a checksummed payload.
///
/// Header (32 bytes): magic `SBFOREST` (8), format version UInt32, flags UInt32 (bit 0 = quantile
/// data present, bit 1 = in-bag counts present), payload length UInt64, FNV-1a 64-bit checksum of
/// the payload UInt64.
/// Payload: feature names, target name, hyper-parameters, training summary (n, OOB MSE and R²,
/// observed and OOB-predicted responses, importances), flat tree arrays, optional quantile data,
/// optional in-bag counts (UInt64 length trees × n, then one byte per tree and training row,
/// tree-major; needed for infinitesimal-jackknife standard errors).
/// Files contain no timestamps, so the same forest always gives the same bytes.
///
/// Version history: 1 = without the in-bag section (still read; such models predict, but
/// standard-error calls throw and ask for retraining); 2 = adds flag bit 1 and the in-bag section.
public enum ForestModelFile {
    /// The 8-byte magic at the start of every model file.
    public static let magic: [UInt8] = Array("SBFOREST".utf8)
    /// The format version written by this build.
    public static let formatVersion: UInt32 = 2
    /// Versions this build reads (older ones lack optional sections); any other version is rejected.
    public static let readableVersions: ClosedRange<UInt32> = 1...2
    /// Header flag bits.
    static let quantileFlag: UInt32 = 1, inBagFlag: UInt32 = 2
    static let headerSize = 32

    /// Serialises `forest` to bytes (deterministic).
    public static func encode(_ forest: RandomForest) -> [UInt8] {
        var w = ByteWriter()
        w.u32(UInt32(forest.featureNames.count))
        for name in forest.featureNames { w.string(name) }
        w.string(forest.summary.targetName)
        let p = forest.parameters
        w.u64(UInt64(p.treeCount))
        w.u64(UInt64(p.resolvedMtry(featureCount: forest.featureNames.count)))
        w.u8(p.mtry == nil ? 0 : 1)
        w.u64(UInt64(p.minNodeSize))
        w.i64(Int64(p.maxDepth ?? -1))
        w.u8(p.sampleWithReplacement ? 1 : 0)
        w.f64(p.sampleFraction)
        w.u64(p.seed)
        w.u8(p.computePermutationImportance ? 1 : 0)
        w.u8(p.keepQuantileData ? 1 : 0)
        let s = forest.summary
        w.u64(UInt64(s.sampleCount))
        w.f64(s.oobMSE)
        w.f64(s.oobR2)
        w.f64s(s.observed)
        w.f64s(s.oobPredictions)
        w.f64s(s.impurityImportance)
        w.f64s(s.permutationImportance)
        w.f64s(s.permutationImportanceSD)
        w.i32s(forest.treeRoot)
        w.i32s(forest.nodeFeature)
        w.f64s(forest.nodeValue)
        w.i32s(forest.nodeLeft)
        if let q = forest.quantileData {
            w.f64s(q.sortedResponses)
            w.i32s(q.leafOffset)
            w.i32s(q.leafRanks)
        }
        if let inBag = forest.inBagCounts { w.u8s(inBag) }
        var header = ByteWriter()
        header.bytes.append(contentsOf: magic)
        header.u32(formatVersion)
        header.u32((forest.quantileData == nil ? 0 : quantileFlag) | (forest.inBagCounts == nil ? 0 : inBagFlag))
        header.u64(UInt64(w.bytes.count))
        header.u64(fnv1a64(w.bytes))
        return header.bytes + w.bytes
    }

    /// Reads a forest from bytes; `path` only labels errors. Throws `ForestError.invalidModelFile`
    /// for a wrong magic, another format version, truncation, checksum mismatch or inconsistent arrays.
    public static func decode(_ data: [UInt8], path: String = "<memory>") throws -> RandomForest {
        func fail(_ reason: String) -> ForestError { .invalidModelFile(path: path, reason: reason) }
        guard data.count >= magic.count, Array(data[0..<magic.count]) == magic else {
            throw fail("wrong magic (not a soilbeta forest model file)")
        }
        guard data.count >= headerSize else { throw fail("truncated header (\(data.count) bytes)") }
        var h = ByteReader(bytes: data, position: magic.count, path: path)
        let version = try h.u32()
        guard readableVersions.contains(version) else {
            throw fail("format version \(version) is not supported by this build (expects \(readableVersions.lowerBound)…\(formatVersion))")
        }
        let flags = try h.u32()
        guard flags & ~(quantileFlag | inBagFlag) == 0, version >= 2 || flags & inBagFlag == 0 else {
            throw fail("unknown header flags \(flags) for format version \(version)")
        }
        let payloadLength = try h.u64()
        let checksum = try h.u64()
        guard UInt64(data.count - headerSize) == payloadLength else {
            throw fail(UInt64(data.count - headerSize) < payloadLength
                       ? "truncated: payload has \(data.count - headerSize) of \(payloadLength) bytes"
                       : "\(UInt64(data.count - headerSize) - payloadLength) unexpected trailing bytes")
        }
        let payload = Array(data[headerSize...])
        guard fnv1a64(payload) == checksum else { throw fail("checksum mismatch (file corrupted)") }
        var r = ByteReader(bytes: payload, position: 0, path: path)
        let featureCount = Int(try r.u32())
        guard featureCount >= 1 && featureCount < 1_000_000 else { throw fail("implausible feature count \(featureCount)") }
        var names: [String] = []
        for _ in 0..<featureCount { names.append(try r.string()) }
        let target = try r.string()
        let treeCount = Int(try r.u64())
        let mtry = Int(try r.u64())
        let mtryGiven = try r.u8() == 1
        let minNode = Int(try r.u64())
        let maxDepth = try r.i64()
        let replace = try r.u8() == 1
        let fraction = try r.f64()
        let seed = try r.u64()
        let permutation = try r.u8() == 1
        let keepQuantiles = try r.u8() == 1
        let parameters = ForestParameters(treeCount: treeCount, mtry: mtryGiven ? mtry : nil, minNodeSize: minNode,
                                          maxDepth: maxDepth < 0 ? nil : Int(maxDepth), sampleWithReplacement: replace,
                                          sampleFraction: fraction, seed: seed,
                                          computePermutationImportance: permutation, keepQuantileData: keepQuantiles)
        let n = Int(try r.u64())
        let mse = try r.f64()
        let r2 = try r.f64()
        let observed = try r.f64s()
        let oob = try r.f64s()
        let impurity = try r.f64s()
        let permutationImportance = try r.f64s()
        let permutationSD = try r.f64s()
        guard observed.count == n, oob.count == n, impurity.count == featureCount,
              permutationImportance.count == featureCount, permutationSD.count == featureCount else {
            throw fail("inconsistent training summary")
        }
        let summary = TrainingSummary(sampleCount: n, targetName: target, observed: observed, oobPredictions: oob,
                                      oobMSE: mse, oobR2: r2, impurityImportance: impurity,
                                      permutationImportance: permutationImportance, permutationImportanceSD: permutationSD)
        let roots = try r.i32s()
        let feature = try r.i32s()
        let value = try r.f64s()
        let left = try r.i32s()
        let nodes = feature.count
        guard roots.count == treeCount, value.count == nodes, left.count == nodes,
              roots.allSatisfy({ $0 >= 0 && Int($0) < nodes }) else { throw fail("inconsistent tree arrays") }
        for i in 0..<nodes where feature[i] >= 0 {
            // Children come after their parent, so every descent terminates.
            guard Int(feature[i]) < featureCount, Int(left[i]) > i, Int(left[i]) + 1 < nodes else {
                throw fail("inconsistent node \(i)")
            }
        }
        var quantileData: QuantileLeafData? = nil
        if flags & quantileFlag != 0 {
            let sorted = try r.f64s()
            let offsets = try r.i32s()
            let ranks = try r.i32s()
            guard sorted.count == n, offsets.count == nodes + 1, offsets.first == 0, offsets.last.map({ Int($0) }) == ranks.count,
                  zip(offsets, offsets.dropFirst()).allSatisfy({ $0 <= $1 }),
                  ranks.allSatisfy({ $0 >= 0 && Int($0) < n }) else { throw fail("inconsistent quantile data") }
            quantileData = QuantileLeafData(sortedResponses: sorted, leafOffset: offsets, leafRanks: ranks)
        }
        var inBag: [UInt8]? = nil
        if flags & inBagFlag != 0 {
            let counts = try r.u8s()
            guard counts.count == treeCount * n else { throw fail("inconsistent in-bag counts") }
            inBag = counts
        }
        guard r.position == payload.count else { throw fail("unexpected bytes after the model data") }
        return RandomForest(featureNames: names, parameters: parameters, summary: summary, treeRoot: roots,
                            nodeFeature: feature, nodeValue: value, nodeLeft: left, quantileData: quantileData,
                            inBagCounts: inBag)
    }

    /// Writes `forest` to `path` atomically (temporary file in the same folder, then rename).
    public static func write(_ forest: RandomForest, to path: String) throws {
        try AtomicFile.write(Data(encode(forest)), to: path)
    }

    /// Reads a model file; errors name the file.
    public static func read(from path: String) throws -> RandomForest {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ForestError.io(path: path, reason: "cannot read model file")
        }
        return try decode([UInt8](data), path: path)
    }
}

/// FNV-1a 64-bit hash, used as the payload checksum.
func fnv1a64(_ bytes: [UInt8]) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    bytes.withUnsafeBufferPointer { buffer in
        for byte in buffer {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
    }
    return hash
}

struct ByteWriter {
    var bytes: [UInt8] = []
    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
    mutating func f64(_ v: Double) { u64(v.bitPattern) }
    mutating func string(_ s: String) { let utf8 = Array(s.utf8); u32(UInt32(utf8.count)); bytes.append(contentsOf: utf8) }
    mutating func f64s(_ values: [Double]) {
        u64(UInt64(values.count))
        bytes.reserveCapacity(bytes.count + values.count * 8)
        for v in values { f64(v) }
    }
    mutating func u8s(_ values: [UInt8]) {
        u64(UInt64(values.count))
        bytes.append(contentsOf: values)
    }
    mutating func i32s(_ values: [Int32]) {
        u64(UInt64(values.count))
        bytes.reserveCapacity(bytes.count + values.count * 4)
        for v in values { u32(UInt32(bitPattern: v)) }
    }
}

struct ByteReader {
    let bytes: [UInt8]
    var position: Int
    let path: String

    private mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, count <= bytes.count - position else {
            throw ForestError.invalidModelFile(path: path, reason: "truncated at byte \(position)")
        }
        defer { position += count }
        return bytes[position..<(position + count)]
    }
    mutating func u8() throws -> UInt8 { try take(1).first! }
    mutating func u32() throws -> UInt32 {
        try take(4).reversed().reduce(UInt32(0)) { ($0 << 8) | UInt32($1) }
    }
    mutating func u64() throws -> UInt64 {
        try take(8).reversed().reduce(UInt64(0)) { ($0 << 8) | UInt64($1) }
    }
    mutating func i64() throws -> Int64 { Int64(bitPattern: try u64()) }
    mutating func f64() throws -> Double { Double(bitPattern: try u64()) }
    mutating func string() throws -> String {
        let count = Int(try u32())
        guard let s = String(bytes: try take(count), encoding: .utf8) else {
            throw ForestError.invalidModelFile(path: path, reason: "invalid text at byte \(position)")
        }
        return s
    }
    mutating func count(elementSize: Int) throws -> Int {
        let count = try u64()
        guard count <= UInt64((bytes.count - position) / elementSize) else {
            throw ForestError.invalidModelFile(path: path, reason: "truncated array at byte \(position)")
        }
        return Int(count)
    }
    /// A length-prefixed array of little-endian `Stored` words, each converted by `convert`.
    mutating func array<Stored: FixedWidthInteger, Element>(of _: Stored.Type, _ convert: (Stored) -> Element) throws -> [Element] {
        let size = MemoryLayout<Stored>.size
        let count = try count(elementSize: size)
        let start = position
        position += count * size
        return bytes.withUnsafeBytes { raw in
            (0..<count).map { convert(Stored(littleEndian: raw.loadUnaligned(fromByteOffset: start + $0 * size, as: Stored.self))) }
        }
    }
    mutating func u8s() throws -> [UInt8] { Array(try take(try count(elementSize: 1))) }
    mutating func f64s() throws -> [Double] { try array(of: UInt64.self) { Double(bitPattern: $0) } }
    mutating func i32s() throws -> [Int32] { try array(of: UInt32.self) { Int32(bitPattern: $0) } }
}
