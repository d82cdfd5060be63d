@testable import EmoPipe
import EmoPipeCore
import Foundation
import Testing

/// The emotion and A/H pipelines on real recordings.
@Suite struct AffectPipelineTests {
    static let sharedVideo = URL(fileURLWithPath: repositoryRoot).deletingLastPathComponent().appendingPathComponent("shared/data/video").path

    /// Frame fields DESIGN.md section 5 asks for, and the recording's.
    static let frameFields = ["t", "frame", "face", "voice", "eeg", "valence", "arousal", "dominance", "emotion", "probs", "ah", "ah_label", "cues"]
    static let recordingFields = ["duration", "coverage", "emotion", "emotion_share", "valence_mean", "valence_sd", "arousal_mean",
                                  "arousal_sd", "ah", "ah_label", "ah_segments", "modalities", "pipeline", "config_hash", "version"]

    static func run(_ pipeline: String, _ input: String) throws -> [[String: Any]] {
        let graph = try PipelineLoader(registry: BuiltinStages.registry).load(file: repositoryRoot + "/Pipelines/" + pipeline)
        let memory = MemoryOutput()
        let results = BatchRunner(registry: BuiltinStages.registry, pipeline: .graph(graph), jobs: 1, outputDirectory: nil)
            .run([.input(InputLocation(path: input))], memory: memory)
        #expect(results.map(\.status) == [.done], "\(results.map { $0.error ?? "" })")
        return try jsonLines(memory.text(input: (input as NSString).lastPathComponent, sink: "out"))
    }

    /// Words for recordings without a transcript: av-affect on clip.mp4 (speech, no sidecar)
    /// recognises it, and its text cues, the fitted text A/H and the record follow; speech.wav's
    /// sidecar transcript wins over recognition.
    @Test func theRecordSaysWhereItsWordsCameFrom() throws {
        func words(_ pipeline: String, _ input: String) throws -> (record: [String: Any], words: [String: Any]) {
            let records = try Self.run(pipeline, repositoryRoot + "/Fixtures/" + input)
            let record = try #require(records.last { $0["stream"] as? String == "recording" })
            return (record, try #require(record["words"] as? [String: Any]))
        }
        let recognised = try words("av-affect.yaml", "clip.mp4")
        #expect(recognised.words["source"] as? String == "whisper-tiny.en")
        #expect(recognised.words["count"] as? Int == 8, "Well, I'm not sure. Maybe we could try.")
        let confidence = try #require(recognised.words["mean_confidence"] as? Double)
        #expect(confidence > 0.5 && confidence <= 1)
        let cues = (recognised.record["ah_cues"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(cues.first == "text_ah", "the fitted text A/H leads the record's A/H: \(cues)")
        let transcript = try words("voice-affect.yaml", "speech.wav")
        #expect(transcript.words["source"] as? String == "transcript")
        #expect(transcript.words["count"] as? Int == 16)
        #expect(transcript.words["mean_confidence"] == nil)
    }

    /// lp_d0.mp4 (posed expressions, no audio): the broad smile of frames 25-60 (chosen by eye) is
    /// happiness-dominant with positive valence, frame by frame; the neutral start is not.
    @Test func theFaceEstimatorReadsTheSmileOfLpD0() throws {
        let records = try Self.run("face-affect.yaml", Self.sharedVideo + "/lp_d0.mp4")
        let frames = records.filter { $0["stream"] as? String == "ah" }
        #expect(frames.count == 78)
        let smile = frames[25...60], neutral = frames[2...12]
        let happy = smile.filter { $0["emotion"] as? String == "happiness" }.count
        #expect(Double(happy) >= 0.9 * Double(smile.count), "\(happy) of \(smile.count) smile frames are happiness")
        #expect(smile.allSatisfy { ($0["valence"] as? Double ?? -1) > 0 })
        #expect(neutral.filter { $0["emotion"] as? String == "happiness" }.isEmpty)
        #expect(neutral.filter { $0["emotion"] as? String == "neutral" }.count >= 9)
    }

    /// `emopipe run FOLDER` on a folder of stills (FER2013 PublicTest faces, linked in a temporary
    /// folder, read in place): one recording record per image; an emotion other than neutral
    /// wherever the expression network is confident of one; the same bytes on a rerun.
    @Test func aFolderOfStillsGivesOneRecordPerImage() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let faces = repositoryRoot + "/../shared/data/faces/fer2013/publictest"
        try FileManager.default.createDirectory(atPath: folder + "/stills", withIntermediateDirectories: true)
        for kind in ["happy", "surprise", "angry", "neutral"] {
            for file in try FileManager.default.contentsOfDirectory(atPath: faces + "/" + kind).sorted().prefix(2) {
                try FileManager.default.createSymbolicLink(atPath: folder + "/stills/\(kind)-\(file)", withDestinationPath: faces + "/" + kind + "/" + file)
            }
        }
        let first = try CLI.run(["run", folder + "/stills", "-o", folder + "/a"])
        #expect(first.status == 0, "\(first.standardError)")
        let second = try CLI.run(["run", folder + "/stills", "-o", folder + "/b"])
        #expect(second.status == 0)
        let outputs = try FileManager.default.contentsOfDirectory(atPath: folder + "/a").filter { $0.hasSuffix(".jsonl") }.sorted()
        #expect(outputs.count == 8)
        var emotions: [String] = []
        for name in outputs {
            let a = try String(contentsOfFile: folder + "/a/" + name, encoding: .utf8)
            #expect(a == (try String(contentsOfFile: folder + "/b/" + name, encoding: .utf8)), "\(name): a rerun gives the same bytes")
            let records = try jsonLines(a)
            let recordings = records.filter { $0["stream"] as? String == "recording" }
            #expect(recordings.count == 1)
            let frame = try #require(records.first { $0["stream"] as? String == "ah" })
            let probabilities = try #require(frame["probs"] as? [String: Double])
            let top = try #require(probabilities.max { $0.value < $1.value })
            let emotion = try #require(recordings.first?["emotion"] as? String)
            if top.value >= 0.5 { #expect(emotion == top.key, "\(name): confident \(top) but \(emotion)") }
            emotions.append(emotion)
        }
        #expect(emotions.filter { $0 != "neutral" }.count >= 4, "\(emotions)")
    }

    /// `emopipe run clip.mp4` with no pipeline: av-affect; frame records and one recording record
    /// with every field, the same bytes twice.
    @Test(arguments: ["lp_d0.mp4", "lp_d20.mp4", "st_WDA_KH.mp4", "vr_face1.mp4", "vr_face4.mp4"])
    func theDefaultRunOnEveryClipGivesFramesAndARecording(_ clip: String) throws {
        let first = try CLI.run(["run", Self.sharedVideo + "/" + clip])
        #expect(first.status == 0, "\(first.standardError)")
        let records = try jsonLines(first.output)
        let frames = records.filter { $0["stream"] as? String == "ah" }
        let recordings = records.filter { $0["stream"] as? String == "recording" }
        #expect(frames.count > 50)
        #expect(recordings.count == 1 && records.last?["stream"] as? String == "recording")
        #expect(frames.allSatisfy { frame in Self.frameFields.allSatisfy { frame[$0] != nil } })
        let recording = try #require(recordings.first)
        #expect(Self.recordingFields.allSatisfy { recording[$0] != nil }, "\(recording.keys.sorted())")
        #expect(recording["pipeline"] as? String == "av-affect")
        #expect(((recording["coverage"] as? [String: Any])?["face"] as? Double ?? 0) >= 0.95)
        #expect(try CLI.run(["run", Self.sharedVideo + "/" + clip]).standardOutput == first.standardOutput, "a rerun gives the same bytes")
    }

    /// A sidecar transcript joins av-affect: the fitted text A/H reaches the frames' explanation,
    /// and the recording's A/H starts from the whole transcript's text score. The words' valence
    /// stays out of the emotion fusion (text false on every frame).
    @Test func aSidecarTranscriptAddsTheWords() throws {
        let records = try Self.run("av-affect.yaml", fixture("speech.wav"))
        let frames = records.filter { $0["stream"] as? String == "ah" }
        #expect(frames.count == 54, "10 per second without video, over the 5.36 s of speech")
        #expect(frames.allSatisfy { $0["text"] as? Bool == false })
        let cues = frames.flatMap { ($0["cues"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String } }
        #expect(cues.contains("text_ah"))
        let recording = try #require(records.last { $0["stream"] as? String == "recording" })
        let recordingCues = (recording["ah_cues"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(recordingCues.first == "text_ah")
        #expect((recording["words"] as? [String: Any])?["source"] as? String == "transcript")
        // The last frame carries the whole transcript's text score.
        let lastText = (frames.last?["cues"] as? [[String: Any]])?.first { $0["name"] as? String == "text_ah" }?["value"] as? Double
        #expect(lastText == ((recording["ah_cues"] as? [[String: Any]])?.first?["value"] as? Double))
    }

    @Test func evalScoresRunOutputsAgainstLabels() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = try CLI.run(["run", "Pipelines/face-affect.yaml", Self.sharedVideo + "/lp_d0.mp4", "-o", folder])
        #expect(run.status == 0, "\(run.standardError)")
        let labels = folder + "/labels.csv"
        try "file,label\nlp_d0.mp4,happiness\n".write(toFile: labels, atomically: true, encoding: .utf8)
        let result = try CLI.run(["eval", folder, "--labels", labels, "--json", folder + "/metrics.json"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.output.contains("recording level, 1 scored"))
        let metrics = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/metrics.json"))) as? [String: Any])
        #expect(metrics["accuracy"] as? Double == 1)
        // Frame level: the smile segment labelled happiness.
        let segments = folder + "/segments.csv"
        try "file,start,end,label\nlp_d0,1.0,2.4,happiness\n".write(toFile: segments, atomically: true, encoding: .utf8)
        let frame = try CLI.run(["eval", folder, "--labels", segments, "--level", "frame"])
        #expect(frame.status == 0 && frame.output.contains("frame level, 35 scored"), "\(frame.output)\(frame.standardError)")
        let bad = try CLI.run(["eval", folder, "--labels", folder + "/nope.csv"])
        #expect(bad.status == 2 && bad.standardError.hasPrefix("error: \(folder)/nope.csv: cannot read"))
    }
}

/// `emopipe train` end to end on a few RAVDESS files: classes and a ridge head, both with
/// leave-one-actor-out scores in the model file, which then loads as a model.
@Suite struct TrainCommandTests {
    static let ravdess = URL(fileURLWithPath: repositoryRoot).deletingLastPathComponent().appendingPathComponent("shared/data/speech/ravdess").path

    @Test func trainsClassesAndARegressionHeadFromALabelTable() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var rows = ["file,actor,emotion,valence"]
        for actor in ["01", "02", "03"] {
            rows.append("Actor_\(actor)/03-01-03-02-01-01-\(actor).flac,\(actor),happiness,0.81")
            rows.append("Actor_\(actor)/03-01-04-02-01-01-\(actor).flac,\(actor),sadness,-0.63")
        }
        try (rows.joined(separator: "\n") + "\n").write(toFile: folder + "/labels.csv", atomically: true, encoding: .utf8)
        let common = ["train", "--labels", folder + "/labels.csv", "--root", Self.ravdess, "--group-column", "actor", "--jobs", "2"]
        let classes = try CLI.run(common + ["--label-column", "emotion", "-o", folder + "/classes.json"])
        #expect(classes.status == 0, "\(classes.standardError)")
        #expect(classes.output.contains("leave-one-group-out: UAR"))
        let model = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/classes.json"))) as? [String: Any])
        #expect(model["classes"] as? [String] == ["happiness", "sadness"])
        #expect(((model["provenance"] as? [String: Any])?["scores"] as? [String: Double])?["cv_uar"] != nil)
        let ridge = try CLI.run(common + ["--label-column", "valence", "--target", "valence", "-o", folder + "/valence.json"])
        #expect(ridge.status == 0 && ridge.output.contains("Pearson r"), "\(ridge.output)\(ridge.standardError)")
        // The written model runs in a pipeline.
        let run = try CLI.run(["run", "Pipelines/voice-affect.yaml", fixture("speech.wav"), "--set", "voice.model=" + folder + "/valence.json"])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(model["calibrated"] as? Bool == false)
        // With subjects known, the model is trained calibrated and scored both ways.
        let calibrated = try CLI.run(["train", "--labels", folder + "/labels.csv", "--root", Self.ravdess, "--subject-from", "Actor_(\\d+)",
                                      "--jobs", "2", "--label-column", "emotion", "-o", folder + "/calibrated.json"])
        #expect(calibrated.status == 0 && calibrated.output.contains("without calibration: UAR"), "\(calibrated.output)\(calibrated.standardError)")
        let calibratedModel = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/calibrated.json"))) as? [String: Any])
        #expect(calibratedModel["calibrated"] as? Bool == true && calibratedModel["input_normalisation"] as? String == "running")
        let scores = ((calibratedModel["provenance"] as? [String: Any])?["scores"] as? [String: Double]) ?? [:]
        #expect(Set(["cv_uar", "cv_uar_uncalibrated", "cv_binary_arousal_accuracy", "cv_binary_arousal_accuracy_uncalibrated"]).isSubset(of: scores.keys))
        let missing = try CLI.run(common + ["--label-column", "mood", "-o", folder + "/x.json"])
        #expect(missing.status == 2 && missing.standardError.hasPrefix("error: \(folder)/labels.csv: no column 'mood'"))
    }

    /// Several label tables joined, corpora held out whole: each held-out corpus is reported
    /// (UAR over its classes, arousal, largest share, confusion) and stored in the provenance.
    @Test func severalTablesAndCorporaHeldOutWhole() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for (corpus, actors) in [("one", ["01", "02"]), ("two", ["03", "04"])] {
            try FileManager.default.createDirectory(atPath: folder + "/" + corpus, withIntermediateDirectories: true)
            var rows = ["file,speaker,corpus,emotion"]
            for actor in actors {
                // Paths relative to each table's own folder (symbolic links into RAVDESS).
                for (code, emotion) in [("03", "happiness"), ("04", "sadness")] {
                    let name = "03-01-\(code)-02-01-01-\(actor).flac"
                    try FileManager.default.createSymbolicLink(atPath: folder + "/\(corpus)/\(name)",
                                                               withDestinationPath: Self.ravdess + "/Actor_\(actor)/" + name)
                    rows.append("\(name),\(actor),\(corpus),\(emotion)")
                }
            }
            try (rows.joined(separator: "\n") + "\n").write(toFile: folder + "/\(corpus)/labels.csv", atomically: true, encoding: .utf8)
        }
        let result = try CLI.run(["train", "--labels", folder + "/one/labels.csv", "--labels", folder + "/two/labels.csv",
                                  "--label-column", "emotion", "--group-column", "corpus", "--subject-column", "speaker", "--jobs", "2",
                                  "--set", "functionals.window_s=1", "--set", "functionals.step_s=0.5", "--l2", "0.01,0.1",
                                  "-o", folder + "/model.json"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.output.contains("held out one (calibrated): UAR") && result.output.contains("held out two (uncalibrated): UAR"))
        #expect(result.output.contains("L2 penalty by held-out UAR: 0.01 "), "\(result.output)")
        let model = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/model.json"))) as? [String: Any])
        let provenance = try #require(model["provenance"] as? [String: Any])
        #expect((provenance["data"] as? String)?.hasPrefix("8 recordings listed in one/labels.csv, two/labels.csv") == true)
        let scores = (provenance["scores"] as? [String: Double]) ?? [:]
        #expect(Set(["cv_uar_one", "cv_uar_two_uncalibrated", "cv_largest_predicted_share_two"]).isSubset(of: scores.keys))
        #expect(Set(["cv_uar_l2_0.01", "cv_uar_l2_0.1", "cv_binary_arousal_accuracy_fitted_head"]).isSubset(of: scores.keys))
        #expect([0.01, 0.1].contains(scores["l2"] ?? 0))
        // Trained on the 1 s windows (several rows per 3-4 s clip), each labelled with its clip's label.
        let method = (provenance["method"] as? String) ?? ""
        #expect(method.contains("functionals.window_s=1") && method.contains("'functionals' windows"), "\(method)")
        let rows = Int(method.split(separator: "'functionals' windows, ").last?.split(separator: " ").first ?? "") ?? 0
        #expect(rows > 16, "\(method)")
        #expect(model["name"] as? String == "voice-4corpora")
    }
}

/// `--calibrate batch`: every input of the run is one subject, `batch`, calibrated in two passes.
@Suite struct BatchCalibrationTests {
    @Test func everyInputOfTheRunIsOneSubject() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let ravdess = TrainCommandTests.ravdess
        for actor in ["01", "02"] {
            for code in ["03", "04", "05"] {
                let name = "03-01-\(code)-02-01-01-\(actor).flac"
                try FileManager.default.copyItem(atPath: ravdess + "/Actor_\(actor)/" + name, toPath: folder + "/" + name)
            }
        }
        let run = try CLI.run(["run", "voice-affect", folder, "-o", folder + "/out", "--calibrate", "batch"])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardError.contains("calibration pass"))
        let rows = try ResultsDatabase(path: folder + "/out/emopipe.sqlite").rows()
        #expect(rows.count == 6 && rows.allSatisfy { $0.subject == "batch" })
        // The batch's baseline changes the estimates themselves, not only the configuration hash.
        func valences(_ text: String) throws -> [Double] {
            try jsonLines(text).filter { $0["stream"] as? String == "ah" }.compactMap { ($0["valence"] as? NSNumber)?.doubleValue }
        }
        let plain = try valences(CLI.run(["run", "voice-affect", folder + "/03-01-03-02-01-01-01.flac"]).output)
        let calibrated = try valences(String(contentsOfFile: folder + "/out/03-01-03-02-01-01-01.jsonl", encoding: .utf8))
        #expect(plain.count == calibrated.count && plain.count > 20)
        #expect(calibrated != plain)
        #expect(try CLI.run(["run", "voice-affect", folder, "--calibrate", "speaker"]).status == 2)
        #expect(try CLI.run(["run", "voice-affect", folder, "--calibrate", "batch", "--subject-from", "(x)"]).status == 2)
    }
}

@Suite struct ReportCommandTests {
    /// One self-contained file: a timeline per recording, the batch table, nothing fetched.
    @Test func theReportIsOneSelfContainedHTMLFile() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = try CLI.run(["run", "Pipelines/face-affect.yaml", fixture("face.mp4"), fixture("clip.mp4"), "-o", folder + "/out"])
        #expect(run.status == 0, "\(run.standardError)")
        let result = try CLI.run(["report", folder + "/out", "-o", folder + "/report.html"])
        #expect(result.status == 0, "\(result.standardError)")
        let html = try String(contentsOfFile: folder + "/report.html", encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.components(separatedBy: "<svg").count - 1 == 2, "a timeline per recording")
        #expect(html.contains(">face</a>") && html.contains(">clip</a>"))
        #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("src="), "nothing loaded from elsewhere")
        let empty = try CLI.run(["report", folder + "/nothing-here", "-o", folder + "/r2.html"])
        #expect(empty.status == 1 && empty.standardError.hasPrefix("error: \(folder)/nothing-here: not found"))
    }
}
