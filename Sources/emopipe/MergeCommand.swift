import ArgumentParser
import EmoPipe
import Foundation

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combines the results databases of several shards into one.",
        discussion: """
            Each shard of a batch (run --shard K/N -o OUT) writes OUT/emopipe-shard-K-of-N.sqlite. merge copies \
            every row into one database; when an input appears in more than one, a done row wins over others, \
            then the latest.
            """)

    @Argument(help: "Shard databases.")
    var databases: [String]

    @Option(name: .shortAndLong, help: ArgumentHelp("The merged database (created or added to).", valueName: "file.sqlite"))
    var output: String

    func run() throws {
        do {
            var merged: [String: ResultsDatabase.Row] = [:]
            for path in databases {
                guard FileManager.default.fileExists(atPath: path) else { throw DatabaseError("\(path): not found") }
                for row in try ResultsDatabase(path: path).rows() {
                    if let existing = merged[row.input] {
                        let better = (row.status == "done") != (existing.status == "done")
                            ? row.status == "done" : row.finishedAt > existing.finishedAt
                        if !better { continue }
                    }
                    merged[row.input] = row
                }
            }
            let target = try ResultsDatabase(path: output)
            for row in merged.values.sorted(by: { $0.input < $1.input }) { try target.record(row) }
            let done = merged.values.filter { $0.status == "done" }.count
            print("emopipe merge: \(merged.count) inputs (\(done) done) from \(databases.count) databases into \(output)")
        } catch let error as DatabaseError {
            StandardError.write("error: \(error)\n")
            throw ExitCode(1)
        }
    }
}
