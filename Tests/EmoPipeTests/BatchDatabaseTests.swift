import CSQLite
@testable import EmoPipe
import Foundation
import Testing

/// Batches with a results database: every input gets a row, a killed run resumes without redoing
/// or losing anything, and shards cover each input once.
@Suite struct BatchDatabaseTests {
    /// 200 inputs in nested folders: 190 copies of Fixtures/speech.wav, 10 (5%) corrupt (text with a .wav name).
    static func makeBatch(in folder: String) throws {
        let speech = try Data(contentsOf: URL(fileURLWithPath: fixture("speech.wav")))
        for index in 0..<200 {
            let sub = folder + "/batch/group\(index % 4)"
            try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
            let data = index % 20 == 7 ? Data(String(repeating: "this is not a sound file. ", count: 40).utf8) : speech
            try data.write(to: URL(fileURLWithPath: sub + String(format: "/take%03d.wav", index)))
        }
    }

    static func rows(_ path: String) throws -> [String: ResultsDatabase.Row] {
        Dictionary(uniqueKeysWithValues: try ResultsDatabase(path: path).rows().map { ($0.input, $0) })
    }

    /// A public EEG data set's folder as it comes (EDF recordings beside a subject table, a
    /// record list and a checksum list): the default walk runs the recordings, lists what it
    /// passed over and why, and the batch succeeds.
    @Test func anEEGDataSetsFolderRunsItsRecordingsAndListsTheRest() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let data = folder + "/eeg-during-mental-arithmetic"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        for name in ["Subject00_1.edf", "Subject00_2.edf", "Subject01_1.edf"] {
            try FileManager.default.copyItem(atPath: fixture("eeg.edf"), toPath: data + "/" + name)
        }
        try "Subject,Age,Gender,Recording year,Number of subtractions,Count quality\nSubject00,21,F,2011,9.7,0\n"
            .write(toFile: data + "/subject-info.csv", atomically: true, encoding: .utf8)
        try "Subject00_1.edf\nSubject00_2.edf\nSubject01_1.edf\n".write(toFile: data + "/RECORDS", atomically: true, encoding: .utf8)
        try "0a1b  Subject00_1.edf\n".write(toFile: data + "/SHA256SUMS.txt", atomically: true, encoding: .utf8)
        let run = try CLI.run(["run", data, "-o", folder + "/out"])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardError.contains("emopipe: 3 inputs: 3 done, 0 failed"))
        #expect(run.standardError.contains("emopipe: 3 files in the folders passed over"))
        #expect(run.standardError.contains("skipped: \(data)/subject-info.csv: not an EEG table: row 2, column 'Subject': 'Subject00' is not a number"))
        #expect(run.standardError.contains("skipped: \(data)/RECORDS: a file without an extension"))
        #expect(run.standardError.contains("skipped: \(data)/SHA256SUMS.txt: a .txt file is a transcript beside a recording"))
        let rows = try Self.rows(folder + "/out/emopipe.sqlite")
        #expect(rows.keys.sorted() == ["Subject00_1.edf", "Subject00_2.edf", "Subject01_1.edf"])
        #expect(rows.values.allSatisfy { $0.status == "done" && $0.pipeline == "eeg-affect" })
    }

    /// An input that kills the process (here a trap injected by EMOPIPE_FAULT_CRASH, as a Swift
    /// runtime error would) never poisons the batch: the rerun does everything else first and
    /// retries it alone; after a second death it is failed with the reason and the signal, no
    /// `.partial` survives, and later runs finish at once.
    @Test func anInputThatKillsTheProcessIsRetriedOnceThenFailed() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder + "/in", withIntermediateDirectories: true)
        for name in ["a", "b", "c", "d"] {
            try "1\n00:00:00,000 --> 00:00:02,000\nWell, I am not sure about \(name).\n"
                .write(toFile: folder + "/in/\(name).srt", atomically: true, encoding: .utf8)
        }
        let out = folder + "/out", database = out + "/emopipe.sqlite"
        let arguments = ["run", folder + "/in", "-o", out, "--jobs", "1"]
        let crash = ["EMOPIPE_FAULT_CRASH": "/b.srt", "SWIFT_BACKTRACE": "enable=no"]
        // A partial output left by the dead process is not left behind.
        let first = try CLI.run(arguments, environment: crash)
        #expect(first.status == SIGILL, "\(first.status): \(first.standardError)")
        var rows = try Self.rows(database)
        #expect(rows["a.srt"]?.status == "done" && rows["b.srt"]?.status == "started" && rows["b.srt"]?.attempts == 1 && rows["c.srt"] == nil)
        try "half".write(toFile: out + "/b.jsonl.partial", atomically: true, encoding: .utf8)
        // The rerun runs c and d first, then b alone, which kills it again.
        let second = try CLI.run(arguments, environment: crash)
        #expect(second.status == SIGILL)
        #expect(second.standardError.contains("emopipe: 1 input an earlier run died with: run again last, one at a time"))
        rows = try Self.rows(database)
        #expect(rows["c.srt"]?.status == "done" && rows["d.srt"]?.status == "done" && rows["b.srt"]?.attempts == 2)
        // The third run fails it with the reason and the signal, and runs nothing else.
        let third = try CLI.run(arguments, environment: crash)
        #expect(third.status == 1, "\(third.standardError)")
        let reason = "\(folder)/in/b.srt: the process ended while processing it (started 2 times; the last run was killed by signal 4 (SIGILL, a runtime trap))"
        #expect(third.standardError.contains("failed: " + reason))
        rows = try Self.rows(database)
        #expect(rows["b.srt"]?.status == "failed" && rows["b.srt"]?.error == reason)
        let files = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        #expect(files == ["a.jsonl", "c.jsonl", "d.jsonl", "emopipe.sqlite"], "\(files)")
        // Later runs finish at once and keep saying why; --force tries it again (here it succeeds).
        let fourth = try CLI.run(arguments, environment: crash)
        #expect(fourth.status == 1 && fourth.standardError.contains("1 input that killed the process twice stay failed"))
        #expect(fourth.standardError.contains("3 skipped (already done)"))
        let forced = try CLI.run(arguments + ["--force"])
        #expect(forced.status == 0, "\(forced.standardError)")
        #expect(try Self.rows(database).values.allSatisfy { $0.status == "done" })
    }

    @Test func aKilledBatchResumesWithNothingDoneTwiceAndNothingMissing() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Self.makeBatch(in: folder)
        let out = folder + "/out", database = out + "/emopipe.sqlite"
        let arguments = ["run", "Pipelines/audio-basics.yaml", folder + "/batch", "-o", out, "--jobs", "2"]
        // Start, wait until some inputs are recorded, then kill -9.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try CLI.binaryPath())
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: repositoryRoot)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let count = try? Self.rows(database).count, count >= 40 { break }
            usleep(20_000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let before = try Self.rows(database)
        #expect(before.count >= 40 && before.count < 200, "killed mid-run: \(before.count) rows")

        let rerun = try CLI.run(arguments)
        #expect(rerun.status == 1, "the corrupt inputs fail: \(rerun.standardError.suffix(300))")
        let after = try Self.rows(database)
        #expect(after.count == 200, "every input has a row")
        let failed = after.values.filter { $0.status == "failed" }
        #expect(failed.count == 10)
        #expect(failed.allSatisfy { ($0.error ?? "").contains("cannot open") || ($0.error ?? "").contains("Invalid data") })
        // Inputs done before the kill were skipped, not redone: their rows are untouched.
        let doneBefore = before.values.filter { $0.status == "done" }
        #expect(doneBefore.allSatisfy { after[$0.input]?.finishedAt == $0.finishedAt })
        #expect(rerun.standardError.contains("\(doneBefore.count) skipped (already done)"))
        // Every done input has its output.
        for row in after.values where row.status == "done" {
            let stem = (row.input as NSString).deletingPathExtension
            #expect(FileManager.default.fileExists(atPath: out + "/" + stem + ".jsonl"), "\(row.input)")
        }
        // --force redoes them.
        let forced = try CLI.run(arguments + ["--force"])
        #expect(!forced.standardError.contains("skipped"))
    }

    @Test func fourShardsCoverEveryInputOnceAndMergeEqualsOneRun() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Self.makeBatch(in: folder)
        var seen: [String: Int] = [:]
        for k in 1...4 {
            let result = try CLI.run(["run", "Pipelines/audio-basics.yaml", folder + "/batch", "-o", folder + "/sharded", "--shard", "\(k)/4"])
            #expect(result.status == 1 || result.status == 0)
            for input in try Self.rows(folder + "/sharded/emopipe-shard-\(k)-of-4.sqlite").keys { seen[input, default: 0] += 1 }
        }
        #expect(seen.count == 200 && seen.values.allSatisfy { $0 == 1 }, "each input in exactly one shard")
        let shards = (1...4).map { folder + "/sharded/emopipe-shard-\($0)-of-4.sqlite" }
        let merge = try CLI.run(["merge"] + shards + ["-o", folder + "/merged.sqlite"])
        #expect(merge.status == 0, "\(merge.standardError)")
        _ = try CLI.run(["run", "Pipelines/audio-basics.yaml", folder + "/batch", "-o", folder + "/whole"])
        let merged = try Self.rows(folder + "/merged.sqlite"), whole = try Self.rows(folder + "/whole/emopipe.sqlite")
        #expect(merged.count == 200)
        #expect(merged.keys.sorted() == whole.keys.sorted())
        #expect(merged.values.allSatisfy { row in whole[row.input].map { $0.status == row.status && $0.configHash == row.configHash } ?? false })
    }

    @Test func shardsComeFromSlurmAndKubernetesEnvironments() throws {
        #expect(try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "0"]) == Shard(index: 4, count: 4))
        #expect(try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "1"]) == Shard(index: 1, count: 4))
        #expect(try Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "0"], count: 8) == Shard(index: 1, count: 8))
        #expect(throws: ShardError.self) { try Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "0"]) }
        #expect(try Shard.fromEnvironment([:]) == nil)
        #expect(throws: ShardError("--shard takes K/N, e.g. 2/8, not '5'")) { try Shard(parsing: "5") }
    }
}

@Suite struct LatencyTests {
    /// A run from standard input reports its input-to-record latency at exit.
    @Test func aPipedRunReportsLatencyPercentiles() throws {
        let wav = try Data(contentsOf: URL(fileURLWithPath: fixture("speech.wav")))
        let result = try CLI.run(["run", "Pipelines/audio-basics.yaml", "-", "--latency"], input: wav)
        #expect(result.status == 0, "\(result.standardError)")
        let line = try #require(result.errorLines.first { $0.hasPrefix("emopipe: latency stdin: p50 ") })
        #expect(line.hasSuffix("over \(try jsonLines(result.output).count) records"), "\(line)")
    }
}

@Suite struct RealtimeTests {
    /// A deliberately slow plug-in stage (50 ms per row) behind a video source: with --realtime the
    /// video edge before it sheds frames (counted, the oldest first), so the run keeps pace; rows
    /// already computed are never shed; without --realtime every row arrives.
    @Test func aSlowStageShedsFramesInRealtimeMode() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try """
            import json, sys, time
            sys.stdin.readline()
            print(json.dumps({"columns": ["mad"]}), flush=True)
            for line in sys.stdin:
                time.sleep(0.05)
                print(json.dumps({"values": [json.loads(line)["values"][0]]}), flush=True)
            """.write(toFile: folder + "/slow.py", atomically: true, encoding: .utf8)
        try """
            version: 1
            stages:
              - id: media
                use: source.media
              - id: motion
                use: video.motion
                in: media.video
              - id: slow
                use: exec
                in: motion
                buffer: 4
                with: {command: python3 \(folder)/slow.py}
            """.write(toFile: folder + "/slow.yaml", atomically: true, encoding: .utf8)
        let live = try CLI.run(["run", folder + "/slow.yaml", fixture("clip.mp4"), "--realtime"])
        #expect(live.status == 0, "\(live.standardError)")
        let line = try #require(live.errorLines.first { $0.hasPrefix("emopipe: realtime clip.mp4: dropped ") })
        let dropped = Int(line.split(separator: " ")[4]) ?? 0
        let rows = try jsonLines(live.output).count
        #expect(dropped > 20, "\(line)")
        #expect(rows < 74 && rows > 0)
        let blocking = try CLI.run(["run", folder + "/slow.yaml", fixture("clip.mp4")])
        #expect(try jsonLines(blocking.output).count == 74, "without --realtime every frame after the first gets its row")
    }
}

@Suite struct LivePipeTests {
    /// `ffmpeg -re` plays a 3 s clip into a pipe: records come out while it plays (the first well
    /// before the end), and the p99 latency is reported.
    @Test func recordsArriveWhileAPacedClipPlays() throws {
        let binary = try CLI.binaryPath()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "ffmpeg -nostdin -loglevel error -re -i '\(fixture("face.mp4"))' -an -f nut - | '\(binary)' run Pipelines/face-affect.yaml - --latency"]
        process.currentDirectoryURL = URL(fileURLWithPath: repositoryRoot)
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let started = Date()
        try process.run()
        var firstRecord: TimeInterval?
        var text = Data()
        while true {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            if firstRecord == nil { firstRecord = Date().timeIntervalSince(started) }
            text.append(chunk)
        }
        process.waitUntilExit()
        let total = Date().timeIntervalSince(started)
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(stderr)")
        let first = try #require(firstRecord)
        #expect(total >= 2.9, "the clip plays in real time (\(total) s)")
        #expect(first < total - 1, "first record after \(first) s of a \(total) s run")
        #expect(stderr.contains("emopipe: latency stdin: p50 ") && stderr.contains(" p99 "), "\(stderr)")
        #expect(try jsonLines(String(decoding: text, as: UTF8.self)).count == 76)
    }
}

/// Subjects in the results database, including one written before the subject columns existed.
@Suite struct ResultsDatabaseSubjectTests {
    @Test func subjectsAreRecordedAndAnOlderDatabaseGainsTheColumns() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/old.sqlite"
        // The schema of EmoPipe 0.1 databases, without subject and calibration.
        try runSQL("""
            CREATE TABLE results (input TEXT PRIMARY KEY, status TEXT NOT NULL, error TEXT, pipeline TEXT NOT NULL,
              config_hash TEXT NOT NULL, version TEXT NOT NULL, seconds REAL NOT NULL, media_seconds REAL NOT NULL,
              recording TEXT, finished_at TEXT NOT NULL);
            INSERT INTO results VALUES ('a.wav', 'done', NULL, 'voice-affect', '0123', '0.1.0', 1.5, 3.0, NULL, 'then');
            """, database: path)
        let database = try ResultsDatabase(path: path)
        try database.record(ResultsDatabase.Row(input: "b.wav", status: "done", error: nil, pipeline: "voice-affect", configHash: "4567",
                                                version: "0.1.0", seconds: 1, mediaSeconds: 2, recording: nil, finishedAt: "now",
                                                subject: "p01", calibration: "subject"))
        let rows = try database.rows()
        #expect(rows.map(\.input) == ["a.wav", "b.wav"])
        #expect(rows[0].subject == nil && rows[0].status == "done" && rows[0].seconds == 1.5)
        #expect(rows[1].subject == "p01" && rows[1].calibration == "subject")
    }
}

/// Runs SQL on a database file with SQLite directly (to build an older schema).
private func runSQL(_ sql: String, database path: String) throws {
    var handle: OpaquePointer?
    guard sqlite3_open(path, &handle) == SQLITE_OK else { throw DatabaseError("cannot open \(path)") }
    defer { sqlite3_close(handle) }
    guard sqlite3_exec(handle, sql, nil, nil, nil) == SQLITE_OK else { throw DatabaseError(String(cString: sqlite3_errmsg(handle))) }
}

/// A results database is not reused after a model file changes in place, and label and subject
/// tables can come from a pipe (`--subjects <(...)`).
@Suite struct ModelChangeAndPipeTests {
    @Test func aModelChangedInPlaceIsANewConfiguration() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let model = folder + "/voice.json"
        try FileManager.default.copyItem(atPath: repositoryRoot + "/Models/voice.json", toPath: model)
        let override = "voice.model=\(model)"
        let load = { try DefaultPipelines.load("voice-affect", registry: BuiltinStages.registry, overrides: [override]).configHash }
        let first = try load()
        let again = try load()
        #expect(again == first, "same contents, same hash")
        var text = try String(contentsOfFile: model, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"weight\" : 1", with: "\"weight\" : 0.9")
        try text.write(toFile: model, atomically: true, encoding: .utf8)
        let changed = try load()
        #expect(changed != first, "the model's contents count, not only its path")
        // End to end: the rerun redoes the input instead of resuming past it.
        let run = { try CLI.run(["run", "voice-affect", fixture("speech.wav"), "-o", folder + "/out", "--set", override]) }
        #expect(try run().status == 0)
        let resumed = try run()
        #expect(resumed.standardError.contains("1 skipped (already done)"), "\(resumed.standardError)")
        try text.replacingOccurrences(of: "\"weight\" : 0.9", with: "\"weight\" : 0.8").write(toFile: model, atomically: true, encoding: .utf8)
        let redone = try run()
        #expect(redone.status == 0 && !redone.standardError.contains("skipped"), "\(redone.standardError)")
        let rows = try ResultsDatabase(path: folder + "/out/emopipe.sqlite").rows()
        let current = try load()
        #expect(rows.count == 1 && rows[0].configHash == current, "the database row carries the new configuration")
    }

    @Test func labelAndSubjectTablesReadFromAPipe() throws {
        let pipe = Pipe()
        try pipe.fileHandleForWriting.write(contentsOf: Data("file,subject\na.wav,p01\n".utf8))
        try pipe.fileHandleForWriting.close()
        let table = try LabelTable(path: "/dev/fd/\(pipe.fileHandleForReading.fileDescriptor)")
        #expect(table.header == ["file", "subject"] && table.rows == [["a.wav", "p01"]])
        // As a shell gives it: --subjects <(...).
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.copyItem(atPath: fixture("speech.wav"), toPath: folder + "/speech.wav")
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/bash")
        shell.arguments = ["-c", "'\(try CLI.binaryPath())' run voice-affect '\(folder)/speech.wav' -o '\(folder)/out' --subjects <(printf 'file,subject\\nspeech.wav,p01\\n')"]
        let errors = Pipe()
        shell.standardError = errors
        shell.standardOutput = FileHandle.nullDevice
        try shell.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        shell.waitUntilExit()
        #expect(shell.terminationStatus == 0, "\(message)")
        #expect(!message.contains("cannot read the label file"))
        let rows = try ResultsDatabase(path: folder + "/out/emopipe.sqlite").rows()
        #expect(rows.first?.subject == "p01")
    }
}
