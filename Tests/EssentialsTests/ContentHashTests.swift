
import Foundation
import Testing
@testable import Essentials

/// Test vectors of FIPS 180-4 / NIST CSRC examples for SHA-256.
@Suite struct ContentHashTests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ])
    func matchesPublishedVectors(message: String, digest: String) {
        #expect(ContentHash.hex(of: Array(message.utf8)) == digest)
    }

    @Test func millionAs() {
        #expect(ContentHash.hex(of: [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func fileDigestEqualsInMemoryDigest() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sha-\(UUID().uuidString)").path
        // 1.2 MB: spans two 1 MiB reads and ends mid-block.
        let pattern = (0..<251).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let bytes = Array([[UInt8]](repeating: pattern, count: 4_800).joined()) + [1, 2, 3]
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try ContentHash.hex(ofFile: path) == ContentHash.hex(of: bytes))
    }
}
