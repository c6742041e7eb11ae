import ArgumentParser

/// `relay dlq …`: a pool's dead letters (its failed jobs), safe to run from cron.
struct DlqCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "List, show, retry and drain a pool's dead letters (jobs that failed for good).",
        discussion: """
            drain and retry claim jobs atomically, so two runs at once never process a job twice, and a second run \
            over the same jobs does nothing. They print one summary line and exit non-zero only on an error.
            """,
        subcommands: [DlqList.self, DlqShow.self, DlqRetry.self, DlqDrain.self]
    )
}
