import ArgumentParser
import BullQueue
import RelayRedis

/// `QUEUE`, `--redis` and `--prefix`, shared by every `relay queue` command.
struct QueueOptions: ParsableArguments {
    @Argument(help: "The queue's name.")
    var queue: String

    @OptionGroup var redis: RedisOptions

    @Option(help: "Key prefix, as BullMQ's `prefix`.")
    var prefix: String = "bull"

    /// Runs `body` with the queue and closes the Redis client afterwards; a ``QueueError`` becomes a usage error.
    func withQueue<T: Sendable>(_ body: (Queue) async throws -> T) async throws -> T {
        let client = try redis.makeClient()
        do {
            let result = try await body(try Queue(name: self.queue, prefix: prefix, redis: client))
            await client.close()
            return result
        } catch let error as QueueError {
            await client.close()
            throw ValidationError(error.detail)
        } catch {
            await client.close()
            throw error
        }
    }
}

/// Reads a JSON argument, answering bad JSON with a usage error.
func parseJSON(_ text: String, option: String) throws -> JSONValue {
    do {
        return try JSONValue(json: text)
    } catch {
        throw ValidationError("\(option) is not valid JSON")
    }
}

/// Prints a JSON object as one line.
func printJSON(_ value: JSONValue) {
    print(value.json)
}
