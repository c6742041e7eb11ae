/// The messages of one subscription, as an async sequence.
///
/// The subscription ends, and its channels are unsubscribed when nobody else listens, when the iterating task
/// is cancelled, when the sequence is dropped, or on ``unsubscribe()``. Messages published while the
/// connection is down are lost, as with any Redis pub/sub; the subscription itself is restored on reconnect.
public struct RedisSubscription: AsyncSequence, Sendable {
    public typealias Element = RedisPubSubMessage

    let stream: AsyncThrowingStream<RedisPubSubMessage, any Error>
    let continuation: AsyncThrowingStream<RedisPubSubMessage, any Error>.Continuation

    public func makeAsyncIterator() -> AsyncThrowingStream<RedisPubSubMessage, any Error>.Iterator {
        stream.makeAsyncIterator()
    }

    /// Ends the subscription.
    public func unsubscribe() {
        continuation.finish()
    }
}
