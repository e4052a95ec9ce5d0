import Foundation

/// Temporary names beside a final output file, and the rename that publishes it. Outputs are
/// never visible under their final name until complete (project rule: no partial output).
enum AtomicOutput {
    /// A hidden temporary path in the same folder as `path` (so the final rename stays on one
    /// file system), tagged with the process id and a random suffix, keeping the extension.
    static func temporaryPath(besides path: String, tag: String) -> String {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let name = url.lastPathComponent
        let ext = url.pathExtension.isEmpty ? "" : ".\(url.pathExtension)"
        let random = UInt32.random(in: 0...UInt32.max)
        return (folder as NSString).appendingPathComponent(
            ".\(name).\(tag)-\(ProcessInfo.processInfo.processIdentifier)-\(String(random, radix: 16))\(ext)")
    }

    /// Atomically replaces `destination` by `source` (POSIX rename).
    static func publish(_ source: String, as destination: String) throws {
        guard rename(source, destination) == 0 else {
            let reason = String(cString: strerror(errno))
            removeQuietly(source)
            throw RasterError.writeFailed(path: destination, reason: "cannot rename the finished temporary file: \(reason)")
        }
    }

    /// Removes a file and GDAL's side-car files (`.aux.xml`, `.ovr`), ignoring errors.
    static func removeQuietly(_ path: String) {
        for candidate in [path, path + ".aux.xml", path + ".ovr", path + ".msk"] {
            unlink(candidate)
        }
    }

    /// Throws naming `path` unless its folder exists and is writable.
    static func requireWritableFolder(for path: String) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RasterError.writeFailed(path: path, reason: "folder \(folder) does not exist")
        }
        guard FileManager.default.isWritableFile(atPath: folder) else {
            throw RasterError.writeFailed(path: path, reason: "folder \(folder) is not writable")
        }
    }
}
