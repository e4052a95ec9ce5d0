import Testing
import Foundation
@testable import Forest

@Suite struct ModelFileTests {
    static func smallForest(quantiles: Bool = true) throws -> RandomForest {
        let (matrix, y, _) = TestData.friedman1(rows: 120, features: 6, seed: 3)
        return try RandomForest.train(features: matrix, responses: y, targetName: "beta",
                                      parameters: ForestParameters(treeCount: 10, seed: 5, keepQuantileData: quantiles), threads: 1)
    }

    @Test func roundTripPreservesTheModel() throws {
        for quantiles in [false, true] {
            let forest = try Self.smallForest(quantiles: quantiles)
            let bytes = ForestModelFile.encode(forest)
            #expect(Array(bytes[0..<8]) == Array("SBFOREST".utf8))
            let decoded = try ForestModelFile.decode(bytes)
            // OOB predictions may hold NaN (never out of bag), so compare the re-encoded bytes
            // and the parts used for prediction.
            #expect(ForestModelFile.encode(decoded) == bytes)
            #expect(decoded.featureNames == forest.featureNames && decoded.parameters == forest.parameters)
            #expect(decoded.nodeValue == forest.nodeValue && decoded.nodeLeft == forest.nodeLeft)
            #expect(decoded.quantileData == forest.quantileData)
            #expect(decoded.summary.oobR2 == forest.summary.oobR2)
        }
    }

    @Test func writeIsAtomicAndReadBack() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("forest-model-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("m.sbrf").path
        let forest = try Self.smallForest()
        try ForestModelFile.write(forest, to: path)
        #expect(ForestModelFile.encode(try ForestModelFile.read(from: path)) == ForestModelFile.encode(forest))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["m.sbrf"])
        #expect(throws: (any Error).self) { try ForestModelFile.write(forest, to: folder.path + "/missing-dir/m.sbrf") }
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/missing-dir/m.sbrf"))
    }

    @Test func truncatedFileIsRejected() throws {
        let bytes = ForestModelFile.encode(try Self.smallForest())
        for length in [0, 5, 20, 40, bytes.count / 2, bytes.count - 1] {
            #expect(throws: ForestError.self) { try ForestModelFile.decode(Array(bytes[0..<length]), path: "m") }
        }
        do {
            _ = try ForestModelFile.decode(Array(bytes[0..<(bytes.count - 1)]), path: "m.sbrf")
            Issue.record("truncated file accepted")
        } catch let error as ForestError {
            #expect(error.description.contains("m.sbrf"))
            #expect(error.description.contains("truncated"))
        }
    }

    @Test func corruptedFileIsRejected() throws {
        var bytes = ForestModelFile.encode(try Self.smallForest())
        bytes[bytes.count - 100] ^= 0x40
        #expect(throws: ForestError.invalidModelFile(path: "m", reason: "checksum mismatch (file corrupted)")) {
            try ForestModelFile.decode(bytes, path: "m")
        }
    }

    @Test func otherVersionAndWrongMagicAreRejected() throws {
        var bytes = ForestModelFile.encode(try Self.smallForest())
        bytes[8] = 3
        #expect(throws: ForestError.invalidModelFile(path: "m", reason: "format version 3 is not supported by this build (expects 1…2)")) {
            try ForestModelFile.decode(bytes, path: "m")
        }
        #expect(throws: ForestError.invalidModelFile(path: "m", reason: "wrong magic (not a soilbeta forest model file)")) {
            try ForestModelFile.decode(Array("id,beta\n1,0.97\n".utf8), path: "m")
        }
    }
}
