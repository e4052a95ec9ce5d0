@testable import Forest
import Foundation
import Testing

/// Per row, the forest mean by the definition: each tree descended with its Double thresholds (x ≤ threshold goes
/// left), the leaf values summed in tree order and multiplied by 1/k as the kernels do. The reference the ranked
/// kernels are held to.
private func thresholdMeans(_ forest: RandomForest, columnMajor x: [Double], rowCount: Int) -> [Double] {
    let perTree = forest.treePredictions(columnMajor: x, rowCount: rowCount)
    return (0..<rowCount).map { row in
        var sum = 0.0
        for t in 0..<forest.treeCount { sum += perTree[row * forest.treeCount + t] }
        return sum * (1.0 / Double(forest.treeCount))
    }
}

/// Descending with threshold ranks (`RankedForest`) must reach the leaves the thresholds reach, for values equal to a
/// threshold, ±0, extremes, any row count and both node layouts.
@Suite struct RankedForestTests {
    @Test func rankCountsTheSmallerThresholds() {
        var random = UniformStream(state: 7)
        for n in [1, 2, 3, 7, 8, 9, 31, 64, 1000] {
            let thresholds = (0..<n).map { k in Double(k) + 0.25 * random.next() }.map { $0 * 2 - Double(n) }
            let probes = thresholds + thresholds.map { $0.nextUp } + thresholds.map { $0.nextDown }
                + [-Double.greatestFiniteMagnitude, Double.greatestFiniteMagnitude, 0, -0.0, -Double(n) - 1, Double(n) + 1]
            thresholds.withUnsafeBufferPointer { t in
                for x in probes {
                    let expected = thresholds.filter { $0 < x }.count
                    #expect(RankedForest<PackedRankedNode>.rank(x + 0, in: t.baseAddress!, count: n) == expected, "n \(n), x \(x)")
                }
            }
        }
    }

    @Test func rankTreatsSignedZerosAsEqual() {
        // Values from `distinctThresholds` and `rankRows` carry no −0 (x + 0 turns it into +0).
        let thresholds = [-1.0, 0.0, 1.0]
        thresholds.withUnsafeBufferPointer { t in
            #expect(RankedForest<PackedRankedNode>.rank(-0.0 + 0, in: t.baseAddress!, count: 3) == 1)
            #expect(RankedForest<PackedRankedNode>.rank(0.0, in: t.baseAddress!, count: 3) == 1)
            #expect(RankedForest<PackedRankedNode>.rank(5e-324, in: t.baseAddress!, count: 3) == 2)
        }
    }

    /// A forest on coarse (tied) features, predicted at its own thresholds and their neighbours, at −0/+0 and at
    /// values beyond the training range: `predict`, `predictCells` and both node layouts equal the definition.
    @Test func rankedDescentsEqualThresholdDescents() throws {
        var random = UniformStream(state: 99)
        let trainingRows = 300, features = 5
        let columns = (0..<features).map { f in
            (name: "x\(f)", values: (0..<trainingRows).map { _ in ((random.next() - 0.5) * 8).rounded() / 2 })
        }
        let responses = (0..<trainingRows).map { i in columns[0].values[i] - 0.5 * columns[2].values[i] + random.next() }
        let forest = try RandomForest.train(features: try FeatureMatrix(columns: columns), responses: responses,
                                            parameters: ForestParameters(treeCount: 30, computePermutationImportance: false,
                                                                         keepQuantileData: true), threads: 2)
        // Rows: every threshold of every feature, its neighbours, signed zeros, extremes; other features random.
        var probes: [[Double]] = []
        for i in 0..<forest.nodeCount where forest.nodeFeature[i] >= 0 {
            let f = Int(forest.nodeFeature[i]), threshold = forest.nodeValue[i]
            for value in [threshold, threshold.nextUp, threshold.nextDown] {
                var row = (0..<features).map { _ in ((random.next() - 0.5) * 8).rounded() / 2 }
                row[f] = value
                probes.append(row)
            }
        }
        for special in [-0.0, 0.0, -1e300, 1e300, 0.25, -0.25] { probes.append([Double](repeating: special, count: features)) }
        #expect(probes.count > 200)
        // Row counts around the eight-row groups.
        for rowCount in [1, 7, 8, 9, 17, probes.count] {
            let rows = Array(probes.prefix(rowCount))
            let x = (0..<features).flatMap { f in rows.map { $0[f] } }
            let expected = thresholdMeans(forest, columnMajor: x, rowCount: rowCount)
            let matrix = try FeatureMatrix(featureNames: forest.featureNames, rowCount: rowCount, columnMajorValues: x)
            for threads in [1, 2] {
                #expect(try forest.predict(matrix, threads: threads) == expected, "predict, \(rowCount) rows, \(threads) threads")
                let cells = try forest.predictCells(columnMajor: x, rowCount: rowCount, probabilities: [0.5], threads: threads)
                #expect(cells.mean == expected, "predictCells, \(rowCount) rows, \(threads) threads")
            }
            // Both layouts reach the same leaves tree by tree.
            guard case .packed(let packed) = forest.rankedNodes(threads: 1) else {
                Issue.record("5 features and few thresholds should take the packed layout"); return
            }
            let thresholds = RankedForest<WideRankedNode>.distinctThresholds(of: forest, threads: 1)
            let wide = RankedForest<WideRankedNode>(forest, thresholds: thresholds, threads: 2)
            let packedLeaves = try leaves(packed, forest, x, rowCount)
            #expect(try packedLeaves == leaves(wide, forest, x, rowCount))
            #expect(packedLeaves == thresholdLeaves(forest, x, rowCount))
        }
    }

    /// Every node's rank offset lies inside an eight-row group of the model's features, leaves included (a lane parked
    /// at a leaf still reads a rank): packed leaves had offset 255, past the ranks of the last group of a 5-feature
    /// model. The layouts' other invariants: leaves alone are negative, stay put for every rank, and point at themselves.
    @Test func everyNodeReadsInsideItsGroup() throws {
        var random = UniformStream(state: 5)
        let columns = (0..<5).map { f in (name: "x\(f)", values: (0..<200).map { _ in random.next() }) }
        let forest = try RandomForest.train(features: try FeatureMatrix(columns: columns), responses: columns[1].values,
                                            parameters: ForestParameters(treeCount: 10, computePermutationImportance: false),
                                            threads: 2)
        guard case .packed(let packed) = forest.rankedNodes(threads: 1) else { Issue.record("expected the packed layout"); return }
        let wide = RankedForest<WideRankedNode>(forest, thresholds: RankedForest<WideRankedNode>.distinctThresholds(of: forest, threads: 1),
                                                threads: 1)
        func check<Node: RankedNode>(_ nodes: [Node], _ layout: String) {
            let mostRank = Node.encodedRank(packed.thresholds.count)
            for (i, node) in nodes.enumerated() {
                let isLeaf = forest.nodeFeature[i] < 0
                #expect(node.column >= 0 && node.column + 7 < 8 * 5, "\(layout) node \(i): offset \(node.column)")
                #expect((node.leafBits < 0) == isLeaf, "\(layout) node \(i): leaf bits")
                if isLeaf {
                    #expect(node.next == Int32(i) && !node.goesRight(mostRank) && !node.goesRight(0), "\(layout) leaf \(i)")
                } else {
                    #expect(node.column == 8 * Int(forest.nodeFeature[i]), "\(layout) node \(i): feature offset")
                }
            }
        }
        check(packed.nodes, "packed")
        check(wide.nodes, "wide")
    }

    @Test func noRowsGiveNoPredictions() throws {
        let columns = (0..<3).map { f in (name: "x\(f)", values: (0..<50).map { Double(($0 * (f + 3)) % 17) }) }
        let forest = try RandomForest.train(features: try FeatureMatrix(columns: columns), responses: columns[0].values,
                                            parameters: ForestParameters(treeCount: 5, computePermutationImportance: false),
                                            threads: 1)
        let empty = try FeatureMatrix(featureNames: forest.featureNames, rowCount: 0, columnMajorValues: [])
        #expect(try forest.predict(empty, threads: 2) == [])
        #expect(try forest.predict(empty, threads: 1) == [])
    }

    /// Over 31 features the packed key cannot hold the feature: the wide layout is used, with the same predictions.
    @Test func manyFeaturesTakeTheWideLayout() throws {
        var random = UniformStream(state: 3)
        let trainingRows = 120, features = 40
        let columns = (0..<features).map { f in (name: "f\(f)", values: (0..<trainingRows).map { _ in random.next() }) }
        let responses = (0..<trainingRows).map { i in columns[33].values[i] * 3 + columns[1].values[i] }
        let forest = try RandomForest.train(features: try FeatureMatrix(columns: columns), responses: responses,
                                            parameters: ForestParameters(treeCount: 20, mtry: 20, computePermutationImportance: false),
                                            threads: 2)
        guard case .wide = forest.rankedNodes(threads: 2) else { Issue.record("40 features need the wide layout"); return }
        let rowCount = 45
        let x = (0..<(features * rowCount)).map { _ in random.next() }
        let matrix = try FeatureMatrix(featureNames: forest.featureNames, rowCount: rowCount, columnMajorValues: x)
        #expect(try forest.predict(matrix, threads: 2) == thresholdMeans(forest, columnMajor: x, rowCount: rowCount))
    }
}

/// `count` values that end exactly where an inaccessible page begins, so a kernel reading past them faults at once
/// (a few bytes past an ordinary allocation usually read without a trace; the leaves' rank offset of 255 did so).
private final class GuardedRanks {
    private let mapping: UnsafeMutableRawPointer
    private let length: Int
    /// The first of the `count` values.
    let pointer: UnsafeMutablePointer<UInt32>

    init(count: Int) throws {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let dataPages = (count * MemoryLayout<UInt32>.stride + page - 1) / page
        length = (dataPages + 1) * page
        let mapped = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        mapping = try #require(mapped == MAP_FAILED ? nil : mapped)
        try #require(mprotect(mapping + dataPages * page, page, PROT_NONE) == 0)
        pointer = (mapping + dataPages * page - count * MemoryLayout<UInt32>.stride).assumingMemoryBound(to: UInt32.self)
    }
    deinit { munmap(mapping, length) }
}

/// Leaves reached per tree and row with the ranked nodes: `[tree][row]`. The ranks end at a guard page.
private func leaves<Node>(_ ranked: RankedForest<Node>, _ forest: RandomForest, _ x: [Double], _ rowCount: Int) throws -> [[Int32]] {
    let p = forest.featureNames.count
    let ranks = try GuardedRanks(count: RankedForest<Node>.rankCapacity(rows: rowCount, featureCount: p))
    var result: [[Int32]] = []
    try x.withUnsafeBufferPointer { values in
        ranked.rankRows(values: try #require(values.baseAddress), columnOffset: (0..<p).map { $0 * rowCount }, count: rowCount,
                        into: ranks.pointer)
        try ranked.nodes.withUnsafeBufferPointer { nodes in
            let nodes = try #require(nodes.baseAddress)
            for t in 0..<forest.treeCount {
                var out = [Int32](repeating: -1, count: rowCount)
                try out.withUnsafeMutableBufferPointer { o in
                    RankedForest<Node>.descend(nodes: nodes, root: Int(forest.treeRoot[t]), ranks: ranks.pointer,
                                               featureCount: p, count: rowCount, leaves: try #require(o.baseAddress))
                }
                result.append(out)
            }
        }
    }
    return result
}

/// Leaves reached per tree and row with the Double thresholds: `[tree][row]`.
private func thresholdLeaves(_ forest: RandomForest, _ x: [Double], _ rowCount: Int) -> [[Int32]] {
    (0..<forest.treeCount).map { t in
        (0..<rowCount).map { row in
            var node = Int(forest.treeRoot[t])
            while forest.nodeFeature[node] >= 0 {
                node = Int(forest.nodeLeft[node]) + (x[Int(forest.nodeFeature[node]) * rowCount + row] <= forest.nodeValue[node] ? 0 : 1)
            }
            return Int32(node)
        }
    }
}
