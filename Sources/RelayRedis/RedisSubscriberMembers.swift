import NIOCore

/// Who listens on one channel or pattern of a ``RedisSubscriber``: subscriptions that get every message, those that
/// get only the messages addressed to them, and those that only keep the channel subscribed.
struct RedisSubscriberMembers: Sendable {
    typealias Continuation = RedisSubscriber.Continuation

    /// Subscriptions that get every message.
    var all: [UInt64: Continuation] = [:]
    /// Subscriptions that get only the messages addressed to them, by address.
    var addressed: [String: [UInt64: Continuation]] = [:]
    /// Subscriptions that only keep the channel subscribed.
    var holders: [UInt64: Continuation] = [:]

    var isEmpty: Bool { all.isEmpty && addressed.isEmpty && holders.isEmpty }

    var continuations: [Continuation] {
        Array(all.values) + addressed.values.flatMap(\.values) + Array(holders.values)
    }

    mutating func remove(_ id: UInt64, address: String?) {
        if let address {
            addressed[address]?[id] = nil
            if addressed[address]?.isEmpty == true { addressed[address] = nil }
        } else if all.removeValue(forKey: id) == nil {
            holders[id] = nil
        }
    }

    /// Who gets the message, and in what form: every plain subscription gets it whole; those of the address it
    /// begins with get it without its first line.
    func deliveries(of message: RedisPubSubMessage) -> [(RedisPubSubMessage, [UInt64: Continuation])] {
        var deliveries: [(RedisPubSubMessage, [UInt64: Continuation])] = []
        if !all.isEmpty { deliveries.append((message, all)) }
        if !addressed.isEmpty, let (address, rest) = Self.split(message), let listeners = addressed[address] {
            deliveries.append((rest, listeners))
        }
        return deliveries
    }

    /// The address a message begins with (up to its first newline), and the message without it.
    private static func split(_ message: RedisPubSubMessage) -> (address: String, message: RedisPubSubMessage)? {
        var payload = message.payload
        guard let newline = payload.readableBytesView.firstIndex(of: UInt8(ascii: "\n")),
            let address = payload.readString(length: newline - payload.readerIndex)
        else { return nil }
        payload.moveReaderIndex(forwardBy: 1)
        return (address, RedisPubSubMessage(channel: message.channel, pattern: message.pattern, payload: payload))
    }
}
