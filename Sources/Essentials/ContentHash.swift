import Crypto
import Foundation

/// SHA-256 content hashes (swift-crypto, FIPS 180-4) of byte sequences and files: the provenance of
/// inputs in `run.json`, the keys of pipeline steps (unchanged inputs are recognised by content, not by
/// name or time) and the shard integrity records of the map step.
public struct ContentHash {
    private var hasher = Crypto.SHA256()

    /// A fresh hash state.
    public init() {}

    /// Adds bytes to the message.
    public mutating func update<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        let handled: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            hasher.update(bufferPointer: UnsafeRawBufferPointer(buffer))
        }
        if handled == nil { hasher.update(data: Array(bytes)) }
    }

    /// Adds the UTF-8 bytes of `text`.
    public mutating func update(text: String) { update(Array(text.utf8)) }

    /// The digest as 64 lower-case hexadecimal digits.
    public func finalizeHex() -> String {
        hasher.finalize().map { byte in
            let digits = Array("0123456789abcdef".utf8)
            return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 15)]], as: UTF8.self)
        }.joined()
    }

    /// SHA-256 of `bytes`, hexadecimal.
    public static func hex<Bytes: Sequence>(of bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var hash = ContentHash()
        hash.update(bytes)
        return hash.finalizeHex()
    }

    /// SHA-256 of a file's content, hexadecimal, read in 1 MiB pieces.
    /// - Throws: `FileError` naming the file when it is missing, a folder or unreadable.
    public static func hex(ofFile path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FileError(file: path, message: "no such file")
        }
        guard !isDirectory.boolValue else { throw FileError(file: path, message: "is a folder, not a file") }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw FileError(file: path, message: "cannot be read (permission denied?)")
        }
        defer { try? handle.close() }
        var hash = ContentHash()
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 1 << 20) ?? Data() } catch {
                throw FileError(file: path, message: "read failed: \(userMessage(for: error))")
            }
            if chunk.isEmpty { break }
            chunk.withUnsafeBytes { raw in hash.hasher.update(bufferPointer: raw) }
        }
        return hash.finalizeHex()
    }

    /// `hex(ofFile:)` of every path, in `paths` order, hashed on up to `threads` threads (nil: all processors).
    /// - Throws: the `FileError` of the first path, in `paths` order, that cannot be hashed.
    public static func hex(ofFiles paths: [String], threads: Int? = nil) throws -> [String] {
        let digests = ResultSlots<Result<String, any Error>>(count: paths.count)
        parallelForEach(itemCount: paths.count, threads: max(1, min(resolvedThreadCount(threads), paths.count))) { k in
            digests.set(k, Result { try hex(ofFile: paths[k]) })
        }
        return try digests.values().map { try $0.get() }
    }
}
