import Foundation
import RelayRedis

/// The queue's Lua scripts, read from the package's `Scripts` folder with their `-- @include` lines expanded.
struct QueueScripts: Sendable {
    let addJob: RedisScript
    let moveToActive: RedisScript
    let moveToFinished: RedisScript
    let moveToDelayed: RedisScript
    let retryJob: RedisScript
    let extendLocks: RedisScript
    let moveStalledJobsToWait: RedisScript
    let updateProgress: RedisScript
    let addLog: RedisScript
    let pause: RedisScript
    let getState: RedisScript
    let drain: RedisScript
    let cleanJobsInSet: RedisScript
    let obliterate: RedisScript
    let moveJobsToWait: RedisScript
    let promote: RedisScript
    let removeJob: RedisScript
    let cancelJob: RedisScript
    let setGroupConcurrency: RedisScript
    let claimDeadLetters: RedisScript
    let settleDeadLetter: RedisScript
    let migrateGroupRing: RedisScript
    let migrateGroupLayout: RedisScript

    /// Every script, for loading them at start-up.
    var all: [RedisScript] {
        [addJob, moveToActive, moveToFinished, moveToDelayed, retryJob, extendLocks, moveStalledJobsToWait,
         updateProgress, addLog, pause, getState, drain, cleanJobsInSet, obliterate, moveJobsToWait, promote, removeJob, cancelJob,
         setGroupConcurrency, claimDeadLetters, settleDeadLetter, migrateGroupRing, migrateGroupLayout]
    }

    /// The scripts, read once per process.
    static let shared: QueueScripts = {
        do {
            return try QueueScripts(loader: ScriptLoader())
        } catch {
            fatalError("BullQueue's Lua scripts are missing from the package resources: \(error)")
        }
    }()

    private init(loader: ScriptLoader) throws {
        addJob = try loader.script("addJob")
        moveToActive = try loader.script("moveToActive")
        moveToFinished = try loader.script("moveToFinished")
        moveToDelayed = try loader.script("moveToDelayed")
        retryJob = try loader.script("retryJob")
        extendLocks = try loader.script("extendLocks")
        moveStalledJobsToWait = try loader.script("moveStalledJobsToWait")
        updateProgress = try loader.script("updateProgress")
        addLog = try loader.script("addLog")
        pause = try loader.script("pause")
        getState = try loader.script("getState")
        drain = try loader.script("drain")
        cleanJobsInSet = try loader.script("cleanJobsInSet")
        obliterate = try loader.script("obliterate")
        moveJobsToWait = try loader.script("moveJobsToWait")
        promote = try loader.script("promote")
        removeJob = try loader.script("removeJob")
        cancelJob = try loader.script("cancelJob")
        setGroupConcurrency = try loader.script("setGroupConcurrency")
        claimDeadLetters = try loader.script("claimDeadLetters")
        settleDeadLetter = try loader.script("settleDeadLetter")
        migrateGroupRing = try loader.script("migrateGroupRing")
        migrateGroupLayout = try loader.script("migrateGroupLayout")
    }
}

/// Reads `Scripts/NAME.lua` and replaces each `-- @include NAME` line with `Scripts/includes/NAME.lua`.
private struct ScriptLoader {
    func script(_ name: String) throws -> RedisScript {
        let source = try read(subdirectory: "Scripts", name: name)
        var expanded: [Substring] = []
        for line in source.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("-- @include ") {
                let include = line.dropFirst("-- @include ".count).trimmingCharacters(in: .whitespaces)
                expanded.append(Substring(try read(subdirectory: "Scripts/includes", name: include)))
            } else {
                expanded.append(line)
            }
        }
        return RedisScript(name: name, source: expanded.joined(separator: "\n"))
    }

    private func read(subdirectory: String, name: String) throws -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: "lua", subdirectory: subdirectory) else {
            throw QueueError(.scriptMissing, "\(subdirectory)/\(name).lua is not in the bundle")
        }
        return try String(contentsOf: url, encoding: .utf8)
    }
}
