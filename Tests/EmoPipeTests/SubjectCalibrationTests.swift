import EmoPipe
import Foundation
import Testing

/// Subject calibration end to end with the `emopipe` binary: per-subject baselines gathered over a
/// batch, the same bytes whatever the input order and --jobs, a profile that calibrates a live run
/// exactly as the batch did, the face's neutral, and mismatches as clear errors.
@Suite struct SubjectCalibrationTests {
    static let ravdess = TrainCommandTests.ravdess
    /// Subject a: four clips of RAVDESS actor 01 (enough voiced windows for a baseline); subject
    /// b: one clip of actor 02 (too short: it stays on per-input baselines, and says so).
    static let subjectA = ["03-01-01-01-01-01-01", "03-01-03-02-01-01-01", "03-01-05-02-01-01-01", "03-01-08-02-01-01-01"]
        .map { "Actor_01/\($0).flac" }
    static let subjectB = ["Actor_02/03-01-04-02-01-01-02.flac"]

    static func files(in folder: String, tree: Bool) throws -> [String] {
        try (subjectA + subjectB).map { file in
            let target = folder + "/" + (tree ? file : String(file.split(separator: "/").last!))
            try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: ravdess + "/" + file, toPath: target)
            return target
        }
    }

    /// Every file under `folder` except the database (its timings differ), by relative path.
    static func outputs(_ folder: String) throws -> [String: Data] {
        var result: [String: Data] = [:]
        for case let file as String in FileManager.default.enumerator(atPath: folder)! where !file.contains("sqlite") {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder + "/" + file, isDirectory: &isFolder), !isFolder.boolValue {
                result[file] = FileManager.default.contents(atPath: folder + "/" + file)
            }
        }
        return result
    }

    static func records(_ path: String, stream: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
            .filter { $0.contains("\"stream\":\"\(stream)\"") }
    }

    @Test func calibratedOutputsDoNotDependOnInputOrderOrJobs() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let files = try Self.files(in: folder + "/in", tree: false)
        let table = ["file,subject"] + files.map { ($0 as NSString).lastPathComponent + "," + (files.firstIndex(of: $0)! < 4 ? "a" : "b") }
        try (table.joined(separator: "\n") + "\n").write(toFile: folder + "/subjects.csv", atomically: true, encoding: .utf8)
        let first = try CLI.run(["run", "voice-affect"] + files + ["--subjects", folder + "/subjects.csv", "--jobs", "1", "-o", folder + "/one"])
        #expect(first.status == 0, "\(first.standardError)")
        let shuffled = [files[3], files[4], files[1], files[0], files[2]]
        let second = try CLI.run(["run", "voice-affect"] + shuffled + ["--subjects", folder + "/subjects.csv", "--jobs", "2", "-o", folder + "/two"])
        #expect(second.status == 0, "\(second.standardError)")
        let one = try Self.outputs(folder + "/one"), two = try Self.outputs(folder + "/two")
        #expect(one.keys.sorted() == ["03-01-01-01-01-01-01.jsonl", "03-01-03-02-01-01-01.jsonl", "03-01-04-02-01-01-02.jsonl",
                                      "03-01-05-02-01-01-01.jsonl", "03-01-08-02-01-01-01.jsonl", "subjects/a.profile", "subjects/b.profile"])
        for key in one.keys.sorted() { #expect(one[key] == two[key], "\(key) differs between the runs") }
        // Subject a is calibrated; b has one short clip and says it stays on per-input baselines.
        let recordA = try #require(try Self.records(folder + "/one/03-01-05-02-01-01-01.jsonl", stream: "recording").first)
        #expect(recordA.contains("\"subject\":\"a\",\"calibration\":\"subject\""))
        let recordB = try #require(try Self.records(folder + "/one/03-01-04-02-01-01-02.jsonl", stream: "recording").first)
        #expect(recordB.contains("\"subject\":\"b\",\"calibration\":\"partial: model:voice-4corpora\""))
        #expect(first.standardError.contains("subject b stays uncalibrated for model:voice-4corpora: 3 feature rows over 1 input, fewer than 10"),
                "\(first.standardError)")
        // The database records the subject and the calibration.
        let rows = try ResultsDatabase(path: folder + "/one/emopipe.sqlite").rows()
        #expect(rows.map { "\($0.input) \($0.subject ?? "-") \($0.calibration ?? "-")" } == [
            "03-01-01-01-01-01-01.flac a subject", "03-01-03-02-01-01-01.flac a subject", "03-01-04-02-01-01-02.flac b partial: model:voice-4corpora",
            "03-01-05-02-01-01-01.flac a subject", "03-01-08-02-01-01-01.flac a subject",
        ])
        // The report's table has a subject column.
        let report = try CLI.run(["report", folder + "/one", "-o", folder + "/report.html"])
        let html = try String(contentsOfFile: folder + "/report.html", encoding: .utf8)
        #expect(report.status == 0 && html.contains("<th>subject</th>") && html.contains("<td>a</td>") && html.contains("<td>b</td>"))
        // Calibration changes the estimates: the uncalibrated run of the same clip differs.
        let plain = try CLI.run(["run", "voice-affect", files[2]])
        let calibratedFrames = try Self.records(folder + "/one/03-01-05-02-01-01-01.jsonl", stream: "ah")
        #expect(plain.status == 0 && plain.output.split(separator: "\n").filter { $0.contains("\"stream\":\"ah\"") }.map(String.init) != calibratedFrames)
        // A rerun reuses the kept profiles and skips every input.
        let rerun = try CLI.run(["run", "voice-affect"] + files + ["--subjects", folder + "/subjects.csv", "-o", folder + "/one"])
        #expect(rerun.status == 0 && rerun.standardError.contains("5 skipped (already done)"), "\(rerun.standardError)")
        #expect(!rerun.standardError.contains("calibration pass"))
    }

    /// `emopipe calibrate` writes the subject's profile, with the batch's baselines; a live run
    /// (standard input) applies it: its emotion estimates are those of the same recording run live
    /// from the file with the profile, and differ from an uncalibrated live run.
    @Test func aLiveRunWithTheSubjectsProfileGivesTheBatchFrames() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let files = try Self.files(in: folder + "/in", tree: true)
        let batch = try CLI.run(["run", "voice-affect", folder + "/in", "--subject-from", "Actor_(\\d+)", "-o", folder + "/out"])
        #expect(batch.status == 0, "\(batch.standardError)")
        let calibrate = try CLI.run(["calibrate", "voice-affect"] + Array(files.prefix(4)) + ["-o", folder + "/p01.profile", "--subject", "01"])
        #expect(calibrate.status == 0, "\(calibrate.standardError)")
        #expect(calibrate.output.contains("model:voice-4corpora:"))
        func baselines(_ path: String) throws -> NSDictionary? {
            (try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])?["baselines"] as? NSDictionary
        }
        #expect(try baselines(folder + "/out/subjects/01.profile") == baselines(folder + "/p01.profile"), "the same baselines")
        let live = try CLI.run(["run", "voice-affect", "-", "--profile", folder + "/p01.profile"],
                               input: try Data(contentsOf: URL(fileURLWithPath: files[2])))
        #expect(live.status == 0, "\(live.standardError)")
        // Live timing: compare the emotion part of the frames (one estimate stream: no arrival races).
        func emotions(_ output: String) throws -> [String] {
            try jsonLines(output).filter { $0["stream"] as? String == "ah" }.map { frame in
                let probabilities = (frame["probs"] as? [String: Any] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                return "\(frame["t"] ?? "") \(frame["valence"] ?? "") \(frame["arousal"] ?? "") " + probabilities.joined(separator: ",")
            }
        }
        let liveFrames = try emotions(live.output)
        let fromFile = try CLI.run(["run", "voice-affect", files[2], "--realtime", "--profile", folder + "/p01.profile"])
        let uncalibrated = try CLI.run(["run", "voice-affect", "-"], input: try Data(contentsOf: URL(fileURLWithPath: files[2])))
        let fileFrames = try emotions(fromFile.output), uncalibratedFrames = try emotions(uncalibrated.output)
        #expect(liveFrames.count > 20 && liveFrames == fileFrames)
        #expect(liveFrames != uncalibratedFrames)
        #expect(live.output.contains("\"subject\":\"01\",\"calibration\":\"subject\""))
        // Shards keep a subject's inputs together, so each subject is pooled whole, and the
        // shards' outputs are the unsharded run's.
        for shard in ["1/2", "2/2"] {
            let part = try CLI.run(["run", "voice-affect", folder + "/in", "--subject-from", "Actor_(\\d+)", "-o", folder + "/shards", "--shard", shard])
            #expect(part.status == 0, "\(part.standardError)")
        }
        let sharded = try Self.outputs(folder + "/shards")
        let whole = try Self.outputs(folder + "/out")
        #expect(sharded.keys.sorted() == whole.keys.sorted())
        for key in whole.keys where key.hasSuffix(".jsonl") { #expect(sharded[key] == whole[key], "\(key)") }
    }

    /// The face's neutral comes from the profile: AUs are measured against it from the first frame.
    /// The profile also holds the expression network's mean log-probabilities over the person's
    /// frames (`expression:MODEL`), which the run maps onto the network's training mean.
    @Test func theFaceNeutralComesFromTheProfile() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let calibrate = try CLI.run(["calibrate", "face-affect", fixture("face.mp4"), "-o", folder + "/p.profile"])
        #expect(calibrate.status == 0, "\(calibrate.standardError)")
        let profile = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/p.profile"))) as? [String: Any])
        let baselines = try #require(profile["baselines"] as? [String: [String: Any]])
        #expect(Set(baselines.keys) == ["face.neutral.calm", "face.neutral.all", "expression:face-emfacs"])
        #expect((baselines["face.neutral.all"]?["count"] as? Int ?? 0) >= 50)
        #expect((baselines["expression:face-emfacs"]?["centre"] as? [Double])?.count == 7)
        let calibrated = try CLI.run(["run", "face-affect", fixture("face.mp4"), "--profile", folder + "/p.profile"])
        let plain = try CLI.run(["run", "face-affect", fixture("face.mp4")])
        #expect(calibrated.status == 0 && plain.status == 0, "\(calibrated.standardError)")
        #expect(calibrated.output.contains("\"calibration\":\"subject\"") && plain.output.contains("\"calibration\":\"none\""))
        // Measured against another neutral, the frames' estimates differ.
        let a = calibrated.output.split(separator: "\n").filter { $0.contains("\"stream\":\"ah\"") }
        let b = plain.output.split(separator: "\n").filter { $0.contains("\"stream\":\"ah\"") }
        #expect(a.count == b.count && a != b)
    }

    @Test func mismatchesAndBadSubjectsAreClearErrors() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var model = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: repositoryRoot + "/Models/voice.json"))) as? [String: Any])
        model["calibrated"] = false
        model["uncalibrated"] = nil
        model["name"] = "voice-per-input"
        try JSONSerialization.data(withJSONObject: model).write(to: URL(fileURLWithPath: folder + "/uncalibrated.json"))
        let profile = try CLI.run(["calibrate", "voice-affect", fixture("speech.wav"), "-o", folder + "/s.profile"])
        #expect(profile.status == 0, "\(profile.standardError)")
        // A model trained without subjects cannot take subject baselines.
        let mismatch = try CLI.run(["run", "Pipelines/voice-affect.yaml", fixture("speech.wav"), "--profile", folder + "/s.profile",
                                    "--set", "voice.model=" + folder + "/uncalibrated.json"])
        #expect(mismatch.status == 2)
        #expect(mismatch.errorLines.first?.hasPrefix("error: Pipelines/voice-affect.yaml, stage 'voice': model 'voice-per-input' was trained without subject calibration") == true,
                "\(mismatch.standardError)")
        // calibrated: true needs per-person normalisation.
        model["input_normalisation"] = "none"
        model["calibrated"] = true
        try JSONSerialization.data(withJSONObject: model).write(to: URL(fileURLWithPath: folder + "/odd.json"))
        let odd = try CLI.run(["run", "Pipelines/voice-affect.yaml", fixture("speech.wav"), "--set", "voice.model=" + folder + "/odd.json"])
        #expect(odd.status != 0 && odd.standardError.contains("a calibrated model z-scores per person: input_normalisation must be running"))
        let noGroup = try CLI.run(["run", "voice-affect", fixture("speech.wav"), "--subject-from", "Actor_\\d+"])
        #expect(noGroup.status == 2 && noGroup.standardError.contains("needs a capture group"))
        let unmatched = try CLI.run(["run", "voice-affect", fixture("speech.wav"), "--subject-from", "Actor_(\\d+)"])
        #expect(unmatched.status == 1 && unmatched.standardError.contains("no subject: \(fixture("speech.wav")): --subject-from 'Actor_(\\d+)' does not match its path"),
                "\(unmatched.standardError)")
        let both = try CLI.run(["run", "voice-affect", fixture("speech.wav"), "--subject-from", "(a)", "--profile", folder + "/s.profile"])
        #expect(both.status == 2 && both.standardError.contains("give one of --subject-from, --subjects and --profile"))
        try Data("not json".utf8).write(to: URL(fileURLWithPath: folder + "/broken.profile"))
        let broken = try CLI.run(["run", "voice-affect", fixture("speech.wav"), "--profile", folder + "/broken.profile"])
        #expect(broken.status == 2 && broken.standardError.hasPrefix("error: \(folder)/broken.profile: not an EmoPipe subject profile"))
    }
}
