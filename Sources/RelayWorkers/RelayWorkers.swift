import BullQueue
import RelayLedger
import RelayProviders

/// Worker pools from `workers.yml` that take jobs from the queue and call the providers.
///
/// The pools arrive with the workers issue; a worker never talks to a client, only to Redis.
public enum RelayWorkers {}
