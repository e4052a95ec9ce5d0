import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The one way soilbeta publishes a file: the bytes go to a hidden temporary file in the same folder,
/// which is renamed over the destination (POSIX `rename`, one step) only once fully written, so a failed
/// or killed run never leaves a partial or corrupted output under a final name.
public enum AtomicFile {
    /// Writes `data` to `path` atomically.
    /// - Throws: `FileError` naming the path when the folder is missing or not writable, or the disk is full.
    public static func write(_ data: Data, to path: String) throws {
        try requireWritableFolder(for: path)
        let temporary = temporaryPath(besides: path, tag: "tmp")
        do {
            try data.write(to: URL(fileURLWithPath: temporary))
        } catch {
            removeQuietly(temporary)
            throw FileError(file: path, message: "cannot write: \(userMessage(for: error))")
        }
        try publish(temporary, as: path)
    }

    /// Writes UTF-8 `text` to `path` atomically.
    public static func write(text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }

    /// A hidden temporary path in the same folder as `path` (so the final rename stays on one file
    /// system), tagged with `tag`, the process id and a random suffix, keeping the extension (GDAL picks
    /// drivers by extension).
    public static func temporaryPath(besides path: String, tag: String) -> String {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let name = url.lastPathComponent
        let ext = url.pathExtension.isEmpty ? "" : ".\(url.pathExtension)"
        let random = UInt32.random(in: 0...UInt32.max)
        return (folder as NSString).appendingPathComponent(
            ".\(name).\(tag)-\(ProcessInfo.processInfo.processIdentifier)-\(String(random, radix: 16))\(ext)")
    }

    /// Atomically replaces `destination` by the finished file `source` (POSIX rename); removes
    /// `source` when the rename fails.
    /// - Throws: `FileError` naming `destination`.
    public static func publish(_ source: String, as destination: String) throws {
        guard rename(source, destination) == 0 else {
            let reason = String(cString: strerror(errno))
            removeQuietly(source)
            throw FileError(file: destination, message: "cannot move the finished temporary file into place: \(reason)")
        }
    }

    /// Removes a file and GDAL's side-car files (`.aux.xml`, `.ovr`, `.msk`), ignoring errors.
    public static func removeQuietly(_ path: String) {
        for candidate in [path, path + ".aux.xml", path + ".ovr", path + ".msk"] {
            unlink(candidate)
        }
    }

    /// Throws naming `path` unless its folder exists, is a folder and is writable.
    public static func requireWritableFolder(for path: String) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) else {
            throw FileError(file: path, message: "output folder '\(folder)' does not exist")
        }
        guard isDirectory.boolValue else {
            throw FileError(file: path, message: "'\(folder)' is a file, not a folder")
        }
        guard FileManager.default.isWritableFile(atPath: folder) else {
            throw FileError(file: path, message: "output folder '\(folder)' is not writable")
        }
        var isOutputDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isOutputDirectory), isOutputDirectory.boolValue {
            throw FileError(file: path, message: "is a folder; give a file name")
        }
    }
}
