import BullQueue
import Foundation
import RelayRedis
import Synchronization
import Testing

@Suite("Flows")
struct FlowTests {
    @Test("a parent waits for its children on another queue, then sees their values")
    func parentWaitsForChildren() async throws {
        try await TestQueue.with { parent in
            let children = try Queue(name: parent.queue.name + "-children", redis: parent.redis)
            defer { Task { try? await children.obliterate(force: true) } }
            let producer = FlowProducer(redis: parent.redis)
            let flow = try await producer.add(FlowJob(
                name: "render", queueName: parent.queue.name, data: ["video": "v1"],
                children: [
                    FlowJob(name: "frame", queueName: children.name, data: ["n": 1]),
                    FlowJob(name: "frame", queueName: children.name, data: ["n": 2]),
                ]
            ))
            #expect(try await parent.queue.getJobState(flow.id) == .waitingChildren)
            #expect(try await parent.redis.send("SCARD", parent.queue.keys.job(flow.id) + ":dependencies").int == 2)

            let seen = Mutex<[String: JSONValue]>([:])
            let parentWorker = Worker(queue: parent.queue) { context in
                let values = try await context.childrenValues()
                seen.withLock { $0 = values }
                return .int(values.count)
            }
            let childWorker = Worker(queue: children) { context in .int((context.job.data["n"]?.intValue ?? 0) * 10) }
            let parentTask = Task { try await parentWorker.run() }
            let childTask = Task { try await childWorker.run() }
            #expect(try await eventually { try await parent.queue.getJobState(flow.id) == .completed })
            parentWorker.shutdown()
            childWorker.shutdown()
            try await parentTask.value
            try await childTask.value
            let values = seen.withLock { $0 }
            #expect(Set(values.values) == [.int(10), .int(20)])
            #expect(values.keys.allSatisfy { $0.hasPrefix("bull:\(children.name):") })
            let events = try await parent.events().map { "\($0.name)/\($0.previous ?? "")" }
            #expect(events.prefix(2) == ["added/", "waiting-children/"])
            #expect(events.contains("waiting/waiting-children"))
        }
    }

    @Test("failParentOnFailure fails the parent without running it")
    func failParentOnFailure() async throws {
        try await TestQueue.with { t in
            let flow = try await FlowProducer(redis: t.redis).add(FlowJob(
                name: "parent", queueName: t.queue.name,
                children: [FlowJob(name: "child", queueName: t.queue.name,
                                   options: JobOptions(parentFailurePolicy: .failParentOnFailure))]
            ))
            let ran = Mutex<[String]>([])
            let (worker, task) = t.startWorker { context in
                ran.withLock { $0.append(context.job.name) }
                if context.job.name == "child" { throw UnrecoverableError("child broke") }
                return .null
            }
            #expect(try await eventually { try await t.queue.getJobState(flow.id) == .failed })
            worker.shutdown()
            try await task.value
            #expect(ran.withLock { $0 } == ["child"])
            #expect(try await t.queue.getJob(flow.id)?.failedReason?.hasPrefix("child bull:\(t.queue.name):") == true)
        }
    }

    @Test("adding a child of a parent that does not exist is refused")
    func missingParent() async throws {
        try await TestQueue.with { t in
            let options = JobOptions(parent: ParentReference(id: "nope", queueKey: "bull:\(t.queue.name)"))
            await #expect(throws: QueueError.self) { try await t.queue.add("orphan", options: options) }
        }
    }
}
