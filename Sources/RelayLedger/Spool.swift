import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The append-only JSON-lines spool of writes that could not reach Postgres, shared safely by processes.
///
/// Writers append to `pending.jsonl` under an exclusive `flock` of `spool.lock`. A drain renames `pending.jsonl` to
/// `draining-UUID.jsonl` under the same lock, holds a `flock` on that file while replaying it, and deletes it when
/// done; a `draining-*` file nobody holds (its drainer died) is taken over by the next drain.
final class Spool: Sendable {
    let directory: String

    init(directory: String) {
        self.directory = directory
    }

    private var pendingPath: String { directory + "/pending.jsonl" }
    private var lockPath: String { directory + "/spool.lock" }
    var deadLetterPath: String { directory + "/dead.jsonl" }

    /// Whether a drain has anything to do.
    var hasPendingRecords: Bool {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.contains { $0 == "pending.jsonl" || ($0.hasPrefix("draining-") && $0.hasSuffix(".jsonl")) }
    }

    /// Appends records durably (written and fsynced before returning).
    func append(_ records: [SpoolRecord], to path: String? = nil) throws {
        guard !records.isEmpty else { return }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        var data = Data()
        for record in records {
            data.append(try encoder.encode(record))
            data.append(0x0A)
        }
        try withLock {
            let fd = open(path ?? pendingPath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw SpoolIOError(operation: "open", code: errno) }
            defer { close(fd) }
            try data.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                    guard written > 0 else { throw SpoolIOError(operation: "write", code: errno) }
                    offset += written
                }
            }
            guard fsync(fd) == 0 else { throw SpoolIOError(operation: "fsync", code: errno) }
        }
    }

    /// Claims the pending records for replay: each claimed file stays locked until `finish` is called on it.
    func claim() throws -> [ClaimedFile] {
        try withLock {
            if access(pendingPath, F_OK) == 0 {
                let target = directory + "/draining-\(UUID().uuidString).jsonl"
                guard rename(pendingPath, target) == 0 else { throw SpoolIOError(operation: "rename", code: errno) }
            }
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var claimed: [ClaimedFile] = []
        for name in names.sorted() where name.hasPrefix("draining-") && name.hasSuffix(".jsonl") {
            let path = directory + "/" + name
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            var status = stat()
            guard flock(fd, LOCK_EX | LOCK_NB) == 0, fstat(fd, &status) == 0, status.st_nlink > 0 else {
                close(fd)
                continue
            }
            claimed.append(ClaimedFile(path: path, descriptor: fd))
        }
        return claimed
    }

    /// The records of a claimed file; lines that cannot be read are moved to `dead.jsonl`.
    func records(of file: ClaimedFile) -> [SpoolRecord] {
        guard let data = FileManager.default.contents(atPath: file.path) else { return [] }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        var records: [SpoolRecord] = []
        for line in data.split(separator: 0x0A) where !line.isEmpty {
            if let record = try? decoder.decode(SpoolRecord.self, from: Data(line)) { records.append(record) }
        }
        return records
    }

    /// Deletes a replayed file and releases its lock.
    func finish(_ file: ClaimedFile) {
        unlink(file.path)
        close(file.descriptor)
    }

    /// Releases a claimed file without deleting it (it will be claimed again).
    func release(_ file: ClaimedFile) {
        close(file.descriptor)
    }

    private func withLock<T>(_ body: () throws -> T) throws -> T {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SpoolIOError(operation: "open lock", code: errno) }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { throw SpoolIOError(operation: "lock", code: errno) }
        return try body()
    }

    struct ClaimedFile: Sendable {
        let path: String
        let descriptor: Int32
    }
}

/// A failed system call on the spool's files.
struct SpoolIOError: Error, CustomStringConvertible {
    let operation: String
    let code: Int32

    var description: String { "spool \(operation) failed: \(String(cString: strerror(code)))" }
}
