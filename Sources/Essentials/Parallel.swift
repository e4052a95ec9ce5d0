// Deterministic parallel helpers: static work partitions over Dispatch.concurrentPerform.
import Dispatch
import Foundation

/// A fixed-size set of result slots written by parallel workers, one slot per work item.
/// Each slot is written by exactly one worker, so no locking is needed. The slots live in a fixed
/// allocation: concurrent `Array.withUnsafeMutableBufferPointer` calls on one shared array race
/// (each moves the array's buffer out for the call), which crashed multi-threaded training.
public final class ResultSlots<Element>: @unchecked Sendable {
    private let storage: UnsafeMutablePointer<Element?>
    private let count: Int
    /// `count` empty slots.
    public init(count: Int) {
        self.count = max(0, count)
        storage = .allocate(capacity: max(1, count))
        storage.initialize(repeating: nil, count: self.count)
    }
    deinit {
        storage.deinitialize(count: count)
        storage.deallocate()
    }
    /// Stores the result of item `index` (each index from exactly one worker).
    public func set(_ index: Int, _ value: Element) {
        precondition(index >= 0 && index < count, "result slot \(index) outside 0..<\(count)")
        storage[index] = value
    }
    /// The results in item order; call after every worker has finished and filled its slots.
    public func values() -> [Element] { (0..<count).compactMap { storage[$0] } }
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
public func parallelForEach(itemCount: Int, threads: Int, _ work: (Int) -> Void) {
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
public func parallelForRanges(count: Int, threads: Int, _ work: (Range<Int>) -> Void) {
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

/// Hands a non-`Sendable` value (a closure, a pointer) to `concurrentPerform` workers that use it
/// without racing (disjoint writes, or reads only). The one such wrapper of the package.
public struct UncheckedBox<T>: @unchecked Sendable {
    /// The wrapped value.
    public let value: T
    /// Wraps `value`.
    public init(_ value: T) { self.value = value }
}

/// A mutable buffer shared with parallel workers that write disjoint elements of it.
public struct SharedBuffer<Element>: @unchecked Sendable {
    /// The buffer.
    public let pointer: UnsafeMutableBufferPointer<Element>
    /// Wraps `pointer`.
    public init(pointer: UnsafeMutableBufferPointer<Element>) { self.pointer = pointer }
}

/// A value guarded by a lock, for state several threads update (logs, caches, first-error slots).
public final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    /// Guards `value`.
    public init(_ value: Value) { self.value = value }
    /// Runs `body` with exclusive access to the value.
    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
