import Foundation

/// Prints `relay bench queue`'s figures beside the Python peer's, with ratios.
struct QueueBenchReport {
    let ours: [String: Double]
    let theirs: [String: Double]
    let jobs: Int

    private static let rows: [(key: String, label: String, unit: String, higherIsBetter: Bool)] = [
        ("add_single", "add, one at a time", "jobs/s", true),
        ("add_bulk", "add, bulk of 100", "jobs/s", true),
        ("process_c1", "process no-op, concurrency 1", "jobs/s", true),
        ("process_c10", "process no-op, concurrency 10", "jobs/s", true),
        ("process_c100", "process no-op, concurrency 100", "jobs/s", true),
        ("redis_cpu_us_c1", "Redis CPU per job, concurrency 1", "µs", false),
        ("redis_cpu_us_c10", "Redis CPU per job, concurrency 10", "µs", false),
        ("redis_cpu_us_c100", "Redis CPU per job, concurrency 100", "µs", false),
        ("redis_cmd_us_c1", "Redis command time per job, c 1", "µs", false),
        ("redis_cmd_us_c10", "Redis command time per job, c 10", "µs", false),
        ("redis_cmd_us_c100", "Redis command time per job, c 100", "µs", false),
        ("latency_p50_ms", "add→completed p50 at 100 jobs/s", "ms", false),
        ("latency_p99_ms", "add→completed p99 at 100 jobs/s", "ms", false),
        ("delay_late_p50_ms", "delayed job start lateness p50", "ms", false),
        ("delay_late_p99_ms", "delayed job start lateness p99", "ms", false),
    ]

    func print() {
        Swift.print("BullQueue vs Python bullmq 3.4.4, \(jobs) jobs per processing run, same Redis")
        Swift.print(pad("measurement", 40) + pad("relay", 14) + pad("python bullmq", 16) + "ratio")
        for row in Self.rows {
            guard let mine = ours[row.key] else { continue }
            let peer = theirs[row.key]
            var ratio = "-"
            if let peer, peer > 0, mine > 0 {
                ratio = String(format: "%.2f", row.higherIsBetter ? mine / peer : peer / mine) + "x"
            }
            Swift.print(
                pad(row.label, 40) + pad(format(mine) + " " + row.unit, 14)
                    + pad(peer.map { format($0) + " " + row.unit } ?? "-", 16) + ratio
            )
        }
        Swift.print("ratio: how many times better Relay is (rate ÷ peer's rate, or peer's time ÷ Relay's time)")
    }

    private func format(_ value: Double) -> String {
        value >= 100 ? String(format: "%.0f", value) : String(format: "%.2f", value)
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
