import Foundation

/// Every error soilbeta shows a user conforms to this protocol: its `description` is one line that
/// names the place at fault first — `FILE:LINE: field 'NAME': what is wrong` for data,
/// `FILE: key 'section.key': what is wrong` for a configuration — so that the command-line program has a
/// single top-level handler that prints it and sets the exit status.
public protocol SoilBetaError: Error, CustomStringConvertible {}

extension SoilBetaError {
    /// The text shown to the user (same as `description`).
    public var userMessage: String { description }
}

/// The version of soilbeta, written into provenance (`run.json`), raster metadata and `--version`.
public enum SoilBetaVersion {
    /// Semantic version of this build.
    public static let string = "0.2.0"
    /// `soilbeta <version>`, the software field of provenance records.
    public static var software: String { "soilbeta \(string)" }
}

/// `text` with control characters (a NUL byte, escape sequences, line breaks) shown as `\u{…}`, so a
/// message that quotes user data stays one readable line on a terminal.
public func printable(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return text }
    return text.unicodeScalars.map { scalar in
        scalar.properties.generalCategory == .control ? "\\u{\(String(scalar.value, radix: 16))}" : String(scalar)
    }.joined()
}

/// Renders any error for the user: a `SoilBetaError`'s own one-line description; for an error from
/// elsewhere (Foundation, the system) its localized description, never a type name and error code.
public func userMessage(for error: Error) -> String {
    if let error = error as? SoilBetaError { return error.description }
    let bridged = error as NSError
    if [NSCocoaErrorDomain, NSPOSIXErrorDomain, NSURLErrorDomain].contains(bridged.domain) {
        var text = bridged.localizedDescription
        if let underlying = bridged.userInfo[NSUnderlyingErrorKey] as? NSError { text += " (\(underlying.localizedDescription))" }
        return text
    }
    return String(describing: error)
}
