import ArgumentParser

/// `relay queue …`: BullMQ-compatible queue administration and a worker with built-in handlers.
struct QueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "Add, work and administer BullMQ-compatible queues.",
        subcommands: [
            QueueAdd.self, QueueWork.self, QueueCounts.self, QueueGet.self, QueuePause.self, QueueResume.self,
            QueueDrain.self, QueueClean.self, QueueObliterate.self, QueueRetry.self, QueuePromote.self, QueueCancel.self,
        ]
    )
}
