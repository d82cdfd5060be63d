import CSQLite
import EmoPipeCore
import Foundation

/// The results database of a batch run (SQLite): one row per input with its status, error,
/// timings, recording-level result, subject and calibration, and the configuration hash it ran with. A rerun skips the
/// inputs already done with the same configuration (resume); `emopipe merge` joins the
/// databases of several shards.
public final class ResultsDatabase: @unchecked Sendable {
    /// One input's row.
    public struct Row: Sendable, Equatable {
        public var input: String
        public var status: String
        public var error: String?
        public var pipeline: String
        public var configHash: String
        public var version: String
        public var seconds: Double
        public var mediaSeconds: Double
        /// The recording record (JSON), when the pipeline writes one.
        public var recording: String?
        public var finishedAt: String
        /// The input's subject (subject calibration), when known.
        public var subject: String?
        /// `none`, `subject` or `partial: KEY, ...` (`RecordingSummary.calibration`).
        public var calibration: String?
        /// With status `started`: how many runs in a row started this input and died before it
        /// ended (0 on finished rows).
        public var attempts: Int

        public init(input: String, status: String, error: String?, pipeline: String, configHash: String, version: String,
                    seconds: Double, mediaSeconds: Double, recording: String?, finishedAt: String, subject: String? = nil,
                    calibration: String? = nil, attempts: Int = 0) {
            self.attempts = attempts
            self.subject = subject
            self.calibration = calibration
            self.input = input
            self.status = status
            self.error = error
            self.pipeline = pipeline
            self.configHash = configHash
            self.version = version
            self.seconds = seconds
            self.mediaSeconds = mediaSeconds
            self.recording = recording
            self.finishedAt = finishedAt
        }
    }

    // One connection, used under this lock (workers finish inputs concurrently).
    private let lock = NSLock()
    private var handle: OpaquePointer?
    public let path: String

    public init(path: String) throws {
        self.path = path
        guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nil) == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            throw DatabaseError("\(path): \(message)")
        }
        sqlite3_busy_timeout(handle, 10_000)
        try execute("""
            PRAGMA journal_mode=WAL;
            PRAGMA synchronous=NORMAL;
            CREATE TABLE IF NOT EXISTS results (
                input TEXT PRIMARY KEY, status TEXT NOT NULL, error TEXT, pipeline TEXT NOT NULL, config_hash TEXT NOT NULL,
                version TEXT NOT NULL, seconds REAL NOT NULL, media_seconds REAL NOT NULL, recording TEXT, finished_at TEXT NOT NULL,
                subject TEXT, calibration TEXT, attempts INTEGER NOT NULL DEFAULT 0);
            """)
        // Databases written before subjects were recorded gain the two columns.
        let existing = try columnNames()
        for column in ["subject", "calibration"] where !existing.contains(column) {
            try execute("ALTER TABLE results ADD COLUMN \(column) TEXT")
        }
        // And the count of starts a process did not live to finish.
        if !existing.contains("attempts") { try execute("ALTER TABLE results ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0") }
    }

    private static let columns = "input, status, error, pipeline, config_hash, version, seconds, media_seconds, recording, finished_at, subject, calibration, attempts"

    private func columnNames() throws -> Set<String> {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, "PRAGMA table_info(results)", -1, &statement, nil) == SQLITE_OK else {
            throw DatabaseError("\(path): not an EmoPipe results database")
        }
        defer { sqlite3_finalize(statement) }
        var names: Set<String> = []
        while sqlite3_step(statement) == SQLITE_ROW { names.insert(String(cString: sqlite3_column_text(statement, 1))) }
        return names
    }

    deinit { sqlite3_close(handle) }

    private func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(handle, sql, nil, nil, &message) == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? "error"
            sqlite3_free(message)
            throw DatabaseError("\(path): \(text)")
        }
    }

    /// Inserts or replaces an input's row (committed before returning).
    public func record(_ row: Row) throws {
        try lock.withLock {
            var statement: OpaquePointer?
            let sql = "INSERT OR REPLACE INTO results (\(Self.columns)) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
            guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK else { throw DatabaseError("\(path): cannot prepare") }
            defer { sqlite3_finalize(statement) }
            let transient = emopipe_sqlite_transient()
            func text(_ index: Int32, _ value: String?) {
                if let value { sqlite3_bind_text(statement, index, value, -1, transient) } else { sqlite3_bind_null(statement, index) }
            }
            text(1, row.input)
            text(2, row.status)
            text(3, row.error)
            text(4, row.pipeline)
            text(5, row.configHash)
            text(6, row.version)
            sqlite3_bind_double(statement, 7, row.seconds)
            sqlite3_bind_double(statement, 8, row.mediaSeconds)
            text(9, row.recording)
            text(10, row.finishedAt)
            text(11, row.subject)
            text(12, row.calibration)
            sqlite3_bind_int64(statement, 13, Int64(row.attempts))
            guard sqlite3_step(statement) == SQLITE_DONE else {
                throw DatabaseError("\(path): \(String(cString: sqlite3_errmsg(handle)))")
            }
        }
    }

    /// Marks `input` as started (status `started`, committed before it runs): a process that dies
    /// with it leaves that row, which the next run finds. `attempts` counts the starts in a row
    /// that ended that way.
    public func markStarted(input: String, pipeline: String, configHash: String, at time: String) throws {
        try lock.withLock {
            var statement: OpaquePointer?
            let sql = """
                INSERT INTO results (input, status, error, pipeline, config_hash, version, seconds, media_seconds, finished_at, attempts)
                VALUES (?, 'started', NULL, ?, ?, ?, 0, 0, ?, 1)
                ON CONFLICT(input) DO UPDATE SET status = 'started', error = NULL, pipeline = excluded.pipeline,
                    config_hash = excluded.config_hash, version = excluded.version, finished_at = excluded.finished_at,
                    attempts = CASE WHEN results.status = 'started' THEN results.attempts + 1 ELSE 1 END
                """
            guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK else {
                throw DatabaseError("\(path): cannot prepare (\(String(cString: sqlite3_errmsg(handle))))")
            }
            defer { sqlite3_finalize(statement) }
            let transient = emopipe_sqlite_transient()
            for (index, value) in [input, pipeline, configHash, EmoPipeVersion.current, time].enumerated() {
                sqlite3_bind_text(statement, Int32(index + 1), value, -1, transient)
            }
            guard sqlite3_step(statement) == SQLITE_DONE else {
                throw DatabaseError("\(path): \(String(cString: sqlite3_errmsg(handle)))")
            }
        }
    }

    /// Every row, by input.
    public func rows() throws -> [Row] {
        try lock.withLock {
            var statement: OpaquePointer?
            guard sqlite3_prepare_v2(handle, "SELECT \(Self.columns) FROM results ORDER BY input", -1, &statement, nil) == SQLITE_OK else {
                throw DatabaseError("\(path): not an EmoPipe results database")
            }
            defer { sqlite3_finalize(statement) }
            var rows: [Row] = []
            func text(_ column: Int32) -> String? {
                sqlite3_column_type(statement, column) == SQLITE_NULL ? nil : String(cString: sqlite3_column_text(statement, column))
            }
            while sqlite3_step(statement) == SQLITE_ROW {
                rows.append(Row(input: text(0)!, status: text(1)!, error: text(2), pipeline: text(3) ?? "", configHash: text(4) ?? "",
                                version: text(5) ?? "", seconds: sqlite3_column_double(statement, 6),
                                mediaSeconds: sqlite3_column_double(statement, 7), recording: text(8), finishedAt: text(9) ?? "",
                                subject: text(10), calibration: text(11), attempts: Int(sqlite3_column_int64(statement, 12))))
            }
            return rows
        }
    }
}

/// A results database that cannot be opened, read or written.
public struct DatabaseError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
