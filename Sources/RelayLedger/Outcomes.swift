/// The result of ``Ledger/reserve(userId:jobId:amount:)``.
public struct Reservation: Sendable, Hashable {
    public enum Outcome: String, Sendable, Hashable {
        /// The amount was moved from available to reserved.
        case reserved
        /// The job already holds an open reservation (a retry or duplicate delivery): nothing changed.
        case duplicate
        /// The job was already settled or refunded: nothing changed, and it should not run again.
        case closed
    }

    public let outcome: Outcome
    public let jobId: String
    /// The job's reservation (the existing one for `duplicate` and `closed`).
    public let amount: Credits
    /// The account's available balance afterwards.
    public let available: Credits
}

/// The result of ``Ledger/settle(_:)``.
public struct Settlement: Sendable, Hashable {
    public enum Outcome: String, Sendable, Hashable {
        /// The reservation was released and the usage charged.
        case settled
        /// The job was settled before (retry, duplicate delivery, spool replay): nothing changed.
        case duplicate
        /// The job was refunded before: nothing is charged.
        case refunded
        /// Postgres was unreachable: the settle is in the spool and will be replayed by ``Ledger/drainSpool()``.
        case spooled
    }

    public let outcome: Outcome
    public let jobId: String
    /// What the job is charged (for `duplicate`, what it was charged the first time).
    public let charged: Credits
    /// The account's available balance afterwards (`nil` when spooled).
    public let available: Credits?
}

/// The result of ``Ledger/refund(jobId:userId:status:usage:)``.
public struct Refund: Sendable, Hashable {
    public enum Outcome: String, Sendable, Hashable {
        case refunded
        /// Refunded before: nothing changed.
        case duplicate
        /// The job was settled before: a refund after a settle changes nothing.
        case settled
        /// The job never reserved credits; the failed request is logged.
        case noReservation = "no_reservation"
        /// Postgres was unreachable: the refund is in the spool.
        case spooled
    }

    public let outcome: Outcome
    public let jobId: String
    public let refunded: Credits
}

/// A user's balance: the cached figures and the ones recomputed from the ledger's entries.
public struct Balance: Sendable, Hashable {
    public let userId: String
    /// What new reservations can use.
    public let available: Credits
    /// Held by open reservations.
    public let reserved: Credits
    /// available and reserved summed over every ledger entry; equal to the cached figures unless something is wrong.
    public let recomputedAvailable: Credits
    public let recomputedReserved: Credits

    public var isConsistent: Bool { available == recomputedAvailable && reserved == recomputedReserved }
}
