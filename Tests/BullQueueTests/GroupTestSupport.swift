import BullQueue
import Foundation
import RelayRedis
import Synchronization
import Testing

/// Counts the jobs of each group running at once, and the highest count seen.
final class RunningCounter: Sendable {
    private let state = Mutex<(running: [String: Int], peak: [String: Int], total: Int, peakTotal: Int)>(([:], [:], 0, 0))

    func enter(_ group: String) {
        state.withLock { state in
            state.running[group, default: 0] += 1
            state.peak[group] = max(state.peak[group] ?? 0, state.running[group]!)
            state.total += 1
            state.peakTotal = max(state.peakTotal, state.total)
        }
    }

    func leave(_ group: String) {
        state.withLock { state in
            state.running[group, default: 0] -= 1
            state.total -= 1
        }
    }

    func peak(_ group: String) -> Int { state.withLock { $0.peak[group] ?? 0 } }
    func running(_ group: String) -> Int { state.withLock { $0.running[group] ?? 0 } }
    var peakTotal: Int { state.withLock { $0.peakTotal } }
    func resetPeak(_ group: String) { state.withLock { $0.peak[group] = $0.running[group] ?? 0 } }
}

/// A processor that sleeps `data.ms` while counted under the job's group (or "-").
func countingProcessor(_ counter: RunningCounter) -> JobProcessor {
    { context in
        let group = context.job.options.group ?? "-"
        counter.enter(group)
        defer { counter.leave(group) }
        try await Task.sleep(for: .milliseconds(context.job.data["ms"]?.intValue ?? 20))
        return .null
    }
}

extension TestQueue {
    /// Runs a worker until `count` jobs have completed; the ids in the order they were processed.
    func processingOrder(count: Int, options: WorkerOptions = WorkerOptions(concurrency: 1)) async throws -> [String] {
        let order = Mutex<[String]>([])
        let (worker, task) = startWorker(options: options) { context in
            order.withLock { $0.append(context.job.id) }
            return .null
        }
        #expect(try await eventually { try await queue.getJobCounts()[.completed] == count })
        worker.shutdown()
        try await task.value
        return order.withLock { $0 }
    }
}
