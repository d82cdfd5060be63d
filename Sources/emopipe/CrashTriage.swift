import EmoPipe
import EmoPipeCore
import Foundation

/// What a resumed batch does with the inputs an earlier process died with (rows still
/// `started`): runs them again last, one at a time (`serialTail`); fails one started twice
/// without finishing, with the reason and the signal `CrashNote` kept, and removes its
/// `.partial` files; and keeps failed one that did so before, unless `force` or its
/// configuration changed. The others pass through in their order.
struct CrashTriage {
    /// The inputs to run: the others first, then the suspects.
    let items: [InputItem]
    /// How many of `items`, at the end, are suspects.
    let serialTail: Int
    /// Results for the inputs failed here (they do not run).
    let failed: [InputResult]

    /// `configHash` gives the configuration an input would run with now (nil when none can be made).
    init(items: [InputItem], database: ResultsDatabase, output: String, force: Bool,
         configHash: (InputLocation) -> String?) throws {
        let previous = Dictionary(try database.rows().map { ($0.input, $0) }, uniquingKeysWith: { $1 })
        let signal = CrashNote.take(databasePath: database.path)
        var kept: [InputItem] = [], suspects: [InputItem] = [], failed: [InputResult] = []
        var stayFailed = 0
        for item in items {
            guard case .input(let location) = item, let row = previous[location.relativePath] else {
                kept.append(item)
                continue
            }
            if row.status == "failed", row.attempts >= 2, !force, configHash(location) == row.configHash {
                stayFailed += 1
                failed.append(.failed(input: location.path, relativePath: location.relativePath, pipeline: row.pipeline,
                                      error: row.error ?? "\(location.path): the process ended while processing it"))
            } else if row.status != "started" {
                kept.append(item)
            } else if row.attempts < 2 {
                suspects.append(item)
            } else {
                let reason = "\(location.path): the process ended while processing it (started \(row.attempts) times"
                    + (signal.map { "; the last run was killed by \($0)" } ?? "") + ")"
                try database.record(ResultsDatabase.Row(
                    input: location.relativePath, status: "failed", error: reason, pipeline: row.pipeline, configHash: row.configHash,
                    version: EmoPipeVersion.current, seconds: 0, mediaSeconds: 0, recording: nil,
                    finishedAt: ISO8601DateFormatter().string(from: Date()), attempts: row.attempts))
                PartialOutputs.remove(in: output, relativePath: location.relativePath)
                StandardError.write("error: \(reason)\n")
                failed.append(.failed(input: location.path, relativePath: location.relativePath, pipeline: row.pipeline, error: reason))
            }
        }
        if stayFailed > 0 {
            StandardError.write("emopipe: \(stayFailed) input\(stayFailed == 1 ? "" : "s") that killed the process twice stay failed (see the results database; --force tries again)\n")
        }
        if !suspects.isEmpty {
            StandardError.write("emopipe: \(suspects.count) input\(suspects.count == 1 ? "" : "s") an earlier run died with: run again last, one at a time\n")
        }
        self.items = kept + suspects
        serialTail = suspects.count
        self.failed = failed
    }
}
