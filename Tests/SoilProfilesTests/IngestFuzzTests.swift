import Essentials
import Foundation
import Testing
@testable import SoilProfiles

extension SplitMix64 {
    /// Uniform integer in 0..<n.
    fileprivate mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

@Suite struct IngestFuzzTests {
    private let validText = """
    id,top,bottom,soc,bd,lon,lat,ecosystem
    p1,0,10,20.5,1.21,5.1,52.0,cropland
    p1,10,30,12.0,1.35,5.1,52.0,cropland
    "p,2",0,25,30,1.1,-60.2,-3.5,forestland
    "p,2",25,60,8,1.4,-60.2,-3.5,forestland
    ü-漢字-🌱,0,40,15,1.3,120,30,grassland
    """

    /// Reads `text`; returns the error if any. Fails the test on a crash-like outcome (wrong error type).
    private func ingest(_ text: [UInt8]) -> FileError? {
        do {
            let csv = try CSVTable.parse(bytes: text, source: "fuzz.csv")
            _ = try HorizonTable(csv: csv, options: HorizonReadOptions(variables: ["soc", "bd"]))
            return nil
        } catch let error as FileError {
            return error
        } catch {
            Issue.record("unexpected error type: \(error)")
            return nil
        }
    }

    private func expectLocated(_ error: FileError?, _ input: [UInt8]) {
        guard let error else { return }
        #expect(error.file == "fuzz.csv")
        let wholeFile = error.message.contains("empty")
        #expect(wholeFile || error.line != nil, "no line in \(error) for \(input.prefix(80))")
        if error.message.contains("not a finite number") || error.message.contains("required column") {
            #expect(error.field != nil, "no field in \(error)")
        }
    }

    @Test func randomBytesNeverCrash() {
        var random = SplitMix64(seed: 1)
        let alphabet = Array("id,top,bottom,soc,bd\"\n\r0123456789.-eNA xé".utf8)
        for _ in 0..<2_000 {
            let length = random.below(200)
            var bytes: [UInt8] = []
            for _ in 0..<length {
                bytes.append(random.below(4) == 0 ? UInt8(truncatingIfNeeded: random.next()) : alphabet[random.below(alphabet.count)])
            }
            expectLocated(ingest(bytes), bytes)
        }
    }

    @Test func everyTruncationIsReadOrRejectedWithALine() {
        let bytes = Array(validText.utf8)
        for cut in 0...bytes.count {
            let prefix = Array(bytes[..<cut])
            expectLocated(ingest(prefix), prefix)
        }
    }

    @Test func shuffledColumnsGiveTheSameTable() throws {
        let csv = try CSVTable.parse(text: validText, source: "fuzz.csv")
        let reference = try HorizonTable(csv: csv, options: HorizonReadOptions(variables: ["soc", "bd"]))
        var random = SplitMix64(seed: 7)
        for _ in 0..<20 {
            var order = Array(0..<csv.header.count)
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, random.below(i + 1)) }
            var writer = CSVWriter(header: order.map { csv.header[$0] })
            for row in csv.rows { writer.append(row: order.map { row[$0] }) }
            let shuffled = try HorizonTable(csv: CSVTable.parse(text: writer.csvText, source: "fuzz.csv"),
                                            options: HorizonReadOptions(variables: ["soc", "bd"]))
            #expect(shuffled.profileIDs == reference.profileIDs)
            #expect(shuffled.values == reference.values && shuffled.topCm == reference.topCm)
            #expect(shuffled.sites == reference.sites)
        }
        #expect(reference.profileIDs == ["p1", "p,2", "ü-漢字-🌱"])
    }

    @Test(arguments: ["nan", "NaN", "inf", "-inf", "Infinity", "1e400", "-1e309", "0x1p3"])
    func nonFiniteNumbersAreRejectedWithLineAndField(value: String) {
        let text = "id,top,bottom,soc,bd\np,0,10,\(value),1.2\n"
        let error = ingest(Array(text.utf8))
        #expect(error?.line == 2 && error?.field == "soc", "\(String(describing: error))")
    }

    @Test func hugeFiniteNumbersAreOutOfRangeNotCrashes() throws {
        let horizons = try HorizonTable(csv: CSVTable.parse(text: "id,top,bottom,soc,bd\np,0,1e300,1e300,1e-300\n", source: "fuzz.csv"),
                                        options: HorizonReadOptions(variables: ["soc", "bd"]))
        #expect(horizons.values[0][0].isNaN)  // soc above 1000 g/kg
        #expect(horizons.issues.count == 1)
        #expect(horizons.bottomCm == [1e300])  // geometry is judged later by the spline's checks
    }
}
