import Foundation

/// One spooled write: a line of the spool's JSON-lines files.
struct SpoolRecord: Sendable, Hashable, Codable {
    enum Operation: String, Sendable, Hashable, Codable {
        case settle, refund, usage
    }

    var operation: Operation
    var usage: Usage?
    var refund: RefundRequest?
    var spooledAt: Date

    init(settle usage: Usage) {
        self.operation = .settle
        self.usage = usage
        self.spooledAt = Date()
    }

    init(usage: Usage) {
        self.operation = .usage
        self.usage = usage
        self.spooledAt = Date()
    }

    init(refund: RefundRequest) {
        self.operation = .refund
        self.refund = refund
        self.spooledAt = Date()
    }

    var jobId: String { usage?.jobId ?? refund?.jobId ?? "" }
}
