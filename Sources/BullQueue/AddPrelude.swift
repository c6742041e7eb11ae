import RelayRedis
import Synchronization

/// Lua that runs in the same script call as an add, just before the job is stored, with keys and arguments of its
/// own: it refuses the add by returning a table (which ``Queue/add(_:data:options:after:)`` hands back instead of
/// storing the job), or does what must happen with the add, atomically and without another round trip.
///
/// The source is the body of a function whose parameters are named `KEYS` and `ARGV`, so a script written to run on
/// its own runs unchanged as a prelude; returning nothing (or false) lets the add go on, and any other value that
/// is not a table is an error. What a prelude wrote stays when the add itself then stores nothing (a duplicate
/// custom id, a missing parent).
public struct AddPrelude: Sendable {
    /// A name for the composed script, in logs and errors.
    public let name: String
    /// The Lua body.
    public let source: String
    /// The keys the body sees as `KEYS`.
    public var keys: [any RedisArgumentConvertible]
    /// The arguments the body sees as `ARGV`.
    public var arguments: [any RedisArgumentConvertible]

    public init(
        name: String, source: String, keys: [any RedisArgumentConvertible] = [], arguments: [any RedisArgumentConvertible] = []
    ) {
        self.name = name
        self.source = source
        self.keys = keys
        self.arguments = arguments
    }
}

extension Queue {
    /// Runs `preludes` in order, then adds the job, in one script call; the first prelude that refuses stops it.
    public func add(
        _ name: String, data: JSONValue = .object([:]), options: JobOptions = JobOptions(), after preludes: [AddPrelude]
    ) async throws -> AddOutcome {
        guard !preludes.isEmpty else { return .added(try await add(name, data: data, options: options)) }
        var (keys, arguments) = try addArguments(name, data: data, options: options)
        for prelude in preludes { arguments += [prelude.keys.count, prelude.arguments.count] }
        for prelude in preludes {
            keys += prelude.keys
            arguments += prelude.arguments
        }
        let reply = try await redis.evaluate(Self.addJob(after: preludes), keys: keys, arguments: arguments)
        if case .array = reply { return .refused(reply) }
        return .added(try Self.addedID(reply))
    }

    /// Composed scripts by their preludes' names, with the sources they were made of.
    private static let composed = Mutex<[[String]: (sources: [String], script: RedisScript)]>([:])

    /// addJob with the preludes' functions before it: prelude i's key and argument counts follow addJob's own
    /// arguments (ARGV 17…), then come its keys (after addJob's 9) and its arguments.
    static func addJob(after preludes: [AddPrelude]) -> RedisScript {
        let names = preludes.map(\.name)
        let sources = preludes.map(\.source)
        if let cached = composed.withLock({ $0[names] }), cached.sources == sources { return cached.script }
        let addJob = QueueScripts.shared.addJob
        var source = "-- addJob after \(names.joined(separator: ", ")) (AddPrelude.swift)\n"
        for (index, prelude) in preludes.enumerated() {
            source += "local function prelude\(index + 1)(KEYS, ARGV)\n\(prelude.source)\nend\n"
        }
        source += """
            do
              local key, argument = \(Queue.addKeyCount + 1), \(Queue.addArgumentCount + 1 + 2 * preludes.count)
              local function slice(list, from, count)
                local part = {}
                for i = 1, count do part[i] = list[from + i - 1] end
                return part
              end
              local preludes = {\((1...preludes.count).map { "prelude\($0)" }.joined(separator: ", "))}
              for i, prelude in ipairs(preludes) do
                local keyCount = tonumber(ARGV[\(Queue.addArgumentCount - 1) + 2 * i])
                local argumentCount = tonumber(ARGV[\(Queue.addArgumentCount) + 2 * i])
                local refusal = prelude(slice(KEYS, key, keyCount), slice(ARGV, argument, argumentCount))
                if refusal then
                  if type(refusal) ~= "table" then error("an AddPrelude refuses an add with a table only") end
                  return refusal
                end
                key, argument = key + keyCount, argument + argumentCount
              end
            end

            """
        let script = RedisScript(name: "addJob+" + names.joined(separator: "+"), source: source + addJob.source)
        composed.withLock { $0[names] = (sources, script) }
        return script
    }
}
