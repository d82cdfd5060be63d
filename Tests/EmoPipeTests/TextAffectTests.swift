@testable import EmoPipe
import EmoPipeCore
import EmoPipeFusion
import Foundation
import Testing

/// Transcripts as inputs of their own: text-affect on folders of .srt/.txt, the default for
/// transcript files, `emopipe train --task ah`, and `emopipe eval` on the results. Answers come
/// from ../shared/data/ah/bah at run time (never copied into the repository).
@Suite struct TextAffectTests {
    static let bah = URL(fileURLWithPath: repositoryRoot).deletingLastPathComponent().appendingPathComponent("shared/data/ah/bah").path

    /// BAH answers: (participant, label, transcript), the first `count` of `file`.
    static func answers(_ file: String, count: Int) throws -> [(person: String, label: String, text: String)] {
        let path = bah + "/" + file
        guard FileManager.default.fileExists(atPath: path) else {
            throw LabelError("\(path) is missing: these tests read BAH's labelled transcripts from ../shared/data/ah/bah")
        }
        let table = try LabelTable(path: path)
        let person = try table.column("participant"), label = try table.column("ah"), text = try table.column("transcript")
        return table.rows.prefix(count).map { ($0[person], $0[label], $0[text]) }
    }

    /// A folder of transcripts: even answers as one-cue SRT files, odd ones as plain text; and the labels CSV.
    static func transcriptFolder(_ answers: [(person: String, label: String, text: String)], in folder: String) throws -> String {
        try FileManager.default.createDirectory(atPath: folder + "/in/sub", withIntermediateDirectories: true)
        var labels = "file,label\n"
        for (index, answer) in answers.enumerated() {
            let name = String(format: "a%03d", index)
            if index % 2 == 0 {
                try "1\n00:00:00,000 --> 00:00:20,000\n\(answer.text)\n".write(toFile: folder + "/in/\(name).srt", atomically: true, encoding: .utf8)
                labels += "\(name),\(answer.label)\n"
            } else {
                try (answer.text + "\n").write(toFile: folder + "/in/sub/\(name).txt", atomically: true, encoding: .utf8)
                labels += "sub/\(name),\(answer.label)\n"
            }
        }
        try labels.write(toFile: folder + "/labels.csv", atomically: true, encoding: .utf8)
        return folder + "/in"
    }

    @Test func textAffectOnAFolderGivesOneScoredRecordingPerTranscript() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let answers = try Self.answers("val.csv", count: 16)
        let input = try Self.transcriptFolder(answers, in: folder)
        let run = try CLI.run(["run", "text-affect", input, "-o", folder + "/out"])
        #expect(run.status == 0, "\(run.standardError)")
        let model = AmbivalenceTextModel.Scorer(try AmbivalenceTextModel.resolve("ah-text"))
        for (index, answer) in answers.enumerated() {
            let name = index % 2 == 0 ? String(format: "a%03d", index) : String(format: "sub/a%03d", index)
            let records = try jsonLines(String(contentsOfFile: folder + "/out/\(name).jsonl", encoding: .utf8))
            let recordings = records.filter { $0["stream"] as? String == "recording" }
            #expect(recordings.count == 1)
            let recording = try #require(recordings.first)
            let ah = try #require(recording["ah"] as? Double)
            // Transcript only: the recording's A/H is the model's score of the whole answer.
            let expected = model.score(TextTally(text: answer.text)).score
            #expect(abs(ah - expected) < 1e-6, "\(name)")
            #expect((recording["ah_label"] as? Int) == (expected >= 0.5 ? 1 : 0))
            let cues = (recording["ah_cues"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(cues.first == "text_ah")
            #expect(recording["pipeline"] as? String == "text-affect")
        }
        let eval = try CLI.run(["eval", folder + "/out", "--labels", folder + "/labels.csv"])
        #expect(eval.status == 0, "\(eval.standardError)")
        #expect(eval.output.contains("recording level, 16 scored"))
        #expect(eval.output.contains("average precision of the positive class"))
        #expect(eval.output.contains("macro-F1") && eval.output.contains("weighted-F1"))
    }

    /// Without a pipeline, transcripts run text-affect; a transcript beside a recording of the same
    /// name is its sidecar, not an input; a lone .txt and a JSON file that is no transcript are
    /// passed over and listed (a text pipeline, or naming the file, reads a lone .txt).
    @Test func transcriptsAreInputsByDefaultUnlessTheyAreSidecars() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.copyItem(atPath: fixture("speech.wav"), toPath: folder + "/speech.wav")
        try FileManager.default.copyItem(atPath: fixture("speech.srt"), toPath: folder + "/speech.srt")
        try "Well, I guess I could, but I am not sure.\n".write(toFile: folder + "/note.txt", atomically: true, encoding: .utf8)
        try #"{"not": "a transcript"}"#.write(toFile: folder + "/meta.json", atomically: true, encoding: .utf8)
        try "1\n00:00:00,000 --> 00:00:02,000\nI suppose so, maybe.\n".write(toFile: folder + "/answer.srt", atomically: true, encoding: .utf8)
        let run = try CLI.run(["run", folder, "-o", folder + "/out"])
        #expect(run.status == 0, "\(run.standardError)")
        let outputs = try FileManager.default.contentsOfDirectory(atPath: folder + "/out").filter { $0.hasSuffix(".jsonl") }.sorted()
        #expect(outputs == ["answer.jsonl", "speech.jsonl"])
        #expect(run.standardError.contains("emopipe: 2 files in the folders passed over"))
        #expect(run.standardError.contains("  skipped: \(folder)/meta.json: not a transcript: JSON without \"segments\" or \"words\""))
        #expect(run.standardError.contains("  skipped: \(folder)/note.txt: a .txt file is a transcript beside a recording of the same name, when named, or with a text pipeline"))
        let answer = try jsonLines(String(contentsOfFile: folder + "/out/answer.jsonl", encoding: .utf8))
        #expect(answer.last?["pipeline"] as? String == "text-affect")
        let named = try CLI.run(["run", folder + "/note.txt"])
        #expect(named.status == 0)
        #expect(try jsonLines(named.output).last?["pipeline"] as? String == "text-affect")
        try FileManager.default.removeItem(atPath: folder + "/meta.json")
        let text = try CLI.run(["run", "text-affect", folder, "-o", folder + "/text"])
        #expect(text.status == 0, "\(text.standardError)")
        #expect(FileManager.default.fileExists(atPath: folder + "/text/note.jsonl"))
        // A transcript named on its own runs text-affect too.
        let one = try CLI.run(["run", fixture("speech.srt")])
        #expect(one.status == 0)
        #expect(try jsonLines(one.output).last?["pipeline"] as? String == "text-affect")
        // An unreadable transcript is one clear error naming the file.
        try "1\n00:00:05,000 --> 00:00:04,000\nx\n".write(toFile: folder + "/bad.srt", atomically: true, encoding: .utf8)
        let bad = try CLI.run(["run", "text-affect", folder + "/bad.srt"])
        #expect(bad.status == 1)
        #expect(bad.standardError.contains("bad.srt:2: bad cue timing"))
    }

    /// `emopipe train --task ah` fits from labelled text (two tables), scores person folds, and
    /// the model it writes runs in text-affect.
    @Test func trainFitsTheTextModelByPersonFolds() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func table(_ rows: [(person: String, label: String, text: String)], _ name: String) throws -> String {
            func quoted(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
            let body = rows.map { "\($0.person),\($0.label),\(quoted($0.text))" }.joined(separator: "\n")
            try ("participant,ah,transcript\n" + body + "\n").write(toFile: folder + "/" + name, atomically: true, encoding: .utf8)
            return folder + "/" + name
        }
        let first = try table(Self.answers("train.csv", count: 40), "a.csv"), second = try table(Self.answers("val.csv", count: 20), "b.csv")
        let model = folder + "/ah.json"
        let train = try CLI.run(["train", "--task", "ah", "--labels", first, "--labels", second, "--label-column", "ah",
                                 "--text-column", "transcript", "--group-column", "participant", "--folds", "3",
                                 "--l2-grid", "0.001", "--feature-scales", "0.1", "--iterations", "150", "-o", model])
        #expect(train.status == 0, "\(train.standardError)")
        #expect(train.output.contains("fold 3:"))
        #expect(train.output.contains("person folds: AP"))
        let written = try AmbivalenceTextModel.load(json: Data(contentsOf: URL(fileURLWithPath: model)), source: model)
        #expect(written.provenance.data.hasPrefix("60 transcripts by"))
        #expect(written.features == TextTally.featureNames)
        let run = try CLI.run(["run", "text-affect", fixture("speech.srt"), "--set", "text_ah.model=\(model)"])
        #expect(run.status == 0, "\(run.standardError)")
        let bad = try CLI.run(["train", "--task", "ah", "--labels", first, "--label-column", "participant", "--text-column", "transcript",
                               "-o", folder + "/x.json"])
        #expect(bad.status == 2)
        #expect(bad.standardError.contains("a.csv:2: the A/H label must be 0 or 1"))
    }
}

/// Live timing end to end: a pipeline read from standard input runs live (causal windows, fusion
/// by arrival) and can write interim recording records; the same file runs deterministically.
@Suite struct LiveRunTests {
    @Test func standardInputRunsLiveWithInterimRecordingRecords() throws {
        let audio = try Data(contentsOf: URL(fileURLWithPath: fixture("speech.wav")))
        let live = try CLI.run(["run", "voice-affect", "-", "--summary-every", "1"], input: audio)
        #expect(live.status == 0, "\(live.standardError)")
        let records = try jsonLines(live.output)
        let recordings = records.filter { $0["stream"] as? String == "recording" }
        #expect(recordings.count >= 5, "an interim record per second of the 5.4 s, then the final one")
        #expect(recordings.dropLast().allSatisfy { $0["interim"] as? Bool == true })
        #expect(recordings.last?["interim"] == nil)
        let frames = records.filter { $0["stream"] as? String == "ah" }
        let times = frames.compactMap { ($0["t"] as? NSNumber)?.doubleValue }
        #expect(times == times.sorted() && frames.count >= 50)
        // The voice is there from 1 s in (live_min_s), not only from the first full 3 s window.
        #expect(frames.contains { ($0["t"] as? Double ?? 0) < 1.5 && $0["voice"] as? Bool == true })
        let file = try CLI.run(["run", "voice-affect", fixture("speech.wav")])
        #expect(try CLI.run(["run", "voice-affect", fixture("speech.wav")]).standardOutput == file.standardOutput)
        #expect(try jsonLines(file.output).filter { $0["interim"] != nil }.isEmpty)
        #expect(try CLI.run(["run", "voice-affect", "-", "--summary-every", "0"], input: audio).status == 2)
    }
}
