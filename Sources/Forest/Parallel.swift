// Deterministic parallel helpers: static work partitions over Dispatch.concurrentPerform.
import Dispatch

/// A fixed-size set of result slots written by parallel workers, one slot per work item.
/// Each slot is written by exactly one worker, so no locking is needed.
final class ResultSlots<Element>: @unchecked Sendable {
    private var storage: [Element?]
    init(count: Int) { storage = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: Element) {
        storage.withUnsafeMutableBufferPointer { $0[index] = value }
    }
    func values() -> [Element] { storage.map { $0! } }
}

/// The number of worker threads to use: `requested` if given (≥ 1), otherwise the active processor count.
public func resolvedThreadCount(_ requested: Int?) -> Int {
    if let requested, requested >= 1 { return requested }
    return max(1, ProcessInfoShim.activeProcessorCount)
}

enum ProcessInfoShim {
    static var activeProcessorCount: Int {
        #if canImport(Glibc)
        return Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #else
        return 1
        #endif
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Runs `work(item)` for every item in `0..<itemCount` on `threads` workers; worker w takes items
/// w, w + threads, … The caller must make results independent of which worker ran an item.
func parallelForEach(itemCount: Int, threads: Int, _ work: (Int) -> Void) {
    let workers = max(1, min(threads, itemCount))
    if workers == 1 {
        for item in 0..<itemCount { work(item) }
        return
    }
    withoutActuallyEscaping(work) { body in
        let box = UncheckedBox(body)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var item = worker
            while item < itemCount {
                box.value(item)
                item += workers
            }
        }
    }
}

/// Runs `work(range)` over `threads` contiguous, nearly equal ranges of `0..<count`.
func parallelForRanges(count: Int, threads: Int, _ work: (Range<Int>) -> Void) {
    let workers = max(1, min(threads, count))
    if workers == 1 { work(0..<count); return }
    withoutActuallyEscaping(work) { body in
        let box = UncheckedBox(body)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let start = count * worker / workers
            let end = count * (worker + 1) / workers
            box.value(start..<end)
        }
    }
}

struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
