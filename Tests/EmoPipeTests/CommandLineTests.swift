import Foundation
import Testing

@Suite(.timeLimit(.minutes(2))) struct CommandLineTests {
    @Test func aVideoGivesTimestampedRecordsForEveryStageAndTheSameBytesTwice() throws {
        let first = try CLI.run(["run", "Pipelines/av-basics.yaml", "Fixtures/clip.mp4"])
        #expect(first.status == 0 && first.standardError.isEmpty, "\(first.standardError)")
        let records = try jsonLines(first.output)
        #expect(records.filter { $0["stream"] as? String == "level" }.count >= 290)
        #expect(records.filter { $0["stream"] as? String == "motion" }.count == 74)
        let times = records.compactMap { ($0["t"] as? NSNumber)?.doubleValue }
        #expect(times.count == records.count && times == times.sorted(), "records are merged in time order")
        #expect(try CLI.run(["run", "Pipelines/av-basics.yaml", "Fixtures/clip.mp4"]).standardOutput == first.standardOutput)
    }

    @Test(arguments: ["Pipelines/audio-basics.yaml", "Pipelines/audio-level-csv.yaml"])
    func standardInputGivesTheSameRecordsAsTheFile(_ pipeline: String) throws {
        for name in ["Fixtures/speech.wav", "Fixtures/stereo.flac"] {
            let fromFile = try CLI.run(["run", pipeline, name])
            let fromPipe = try CLI.run(["run", pipeline, "-"], input: try Data(contentsOf: URL(fileURLWithPath: repositoryRoot + "/" + name)))
            #expect(fromFile.status == 0 && fromPipe.status == 0, "\(fromPipe.standardError)")
            #expect(fromFile.standardOutput.count > 1000)
            #expect(fromPipe.standardOutput == fromFile.standardOutput, "\(pipeline) on \(name)")
        }
    }

    @Test func aMatroskaStreamOnStandardInputIsDecoded() throws {
        let remux = Process()
        remux.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        remux.arguments = ["-nostdin", "-loglevel", "error", "-i", fixture("clip.mp4"), "-c", "copy", "-f", "matroska", "-"]
        let pipe = Pipe()
        remux.standardOutput = pipe
        try remux.run()
        let stream = pipe.fileHandleForReading.readDataToEndOfFile()
        remux.waitUntilExit()
        let result = try CLI.run(["run", "Pipelines/av-basics.yaml", "-"], input: stream)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(try jsonLines(result.output).filter { $0["stream"] as? String == "motion" }.count == 74)
    }

    @Test(arguments: ["broken/truncated.mp4", "broken/empty.wav", "broken/not-audio.wav", "no-such-file.mp4"])
    func aBrokenOrMissingInputGivesOneClearLineAndExit1(_ name: String) throws {
        let result = try CLI.run(["run", "Fixtures/" + name])
        #expect(result.status == 1)
        #expect(result.output.isEmpty)
        #expect(result.errorLines.count == 1, "\(result.standardError)")
        #expect(result.errorLines.first?.hasPrefix("error: Fixtures/\(name): ") == true, "\(result.standardError)")
    }

    /// The voice encoder's weights come from the install step (not git): a store without them
    /// names the file and the command that installs them, in one line, before any input is read.
    @Test func aVoiceEncoderWithoutItsInstalledWeightsNamesTheInstaller() throws {
        let store = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: store) }
        try FileManager.default.createDirectory(atPath: store + "/voice-encoder", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: repositoryRoot + "/Models/voice-encoder/encoder.json", toPath: store + "/voice-encoder/encoder.json")
        let result = try CLI.run(["run", "voice-affect", "Fixtures/speech.wav", "--set", "asr.recognise=never"],
                                 environment: ["EMOPIPE_MODELS": store])
        #expect(result.status == 1)
        #expect(result.errorLines.count == 1, "\(result.standardError)")
        #expect(result.standardError.contains(store + "/voice-encoder/weights.safetensors: weight file: no such file"), "\(result.standardError)")
        #expect(result.standardError.contains("installed by scripts/models/install_voice_encoder.py"), "\(result.standardError)")
    }

    @Test func aFolderRunProcessesEveryGoodFileAndListsTheBadOnes() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = try CLI.run(["run", "Pipelines/av-basics.yaml", "Fixtures", "-o", folder, "--jobs", "2"])
        #expect(result.status == 1)
        let written = try FileManager.default.subpathsOfDirectory(atPath: folder).sorted()
        #expect(written == ["clip.jsonl", "emopipe.sqlite", "face.jsonl", "speech.jsonl", "stereo.jsonl", "still.jsonl"])
        #expect(result.standardError.contains("emopipe: 8 inputs: 5 done, 3 failed, 0 interrupted"), "eeg.edf is not a media file")
        for name in ["truncated.mp4", "empty.wav", "not-audio.wav"] {
            #expect(result.errorLines.contains { $0.hasPrefix("  failed: Fixtures/broken/\(name): stage 'media' (source.media): cannot open") })
        }
        let clip = try String(contentsOfFile: folder + "/clip.jsonl", encoding: .utf8)
        #expect(clip == (try CLI.run(["run", "Pipelines/av-basics.yaml", "Fixtures/clip.mp4"]).output))
    }

    @Test func severalInputsOnStandardOutputNameTheirInput() throws {
        let result = try CLI.run(["run", "Pipelines/audio-basics.yaml", "Fixtures/speech.wav", "Fixtures/stereo.flac"])
        #expect(result.status == 0)
        let inputs = Set(try jsonLines(result.output).compactMap { $0["input"] as? String })
        #expect(inputs == ["speech.wav", "stereo.flac"])
    }

    /// Emotion and A/H by default for every type: each ends in a recording record.
    @Test func withoutAPipelineEachInputGetsTheDefaultForItsType() throws {
        let audio = try CLI.run(["run", "Fixtures/speech.wav"])
        #expect(audio.standardOutput == (try CLI.run(["run", "Pipelines/voice-affect.yaml", "Fixtures/speech.wav"]).standardOutput))
        let still = try CLI.run(["run", "Fixtures/still.png"])
        #expect(still.standardOutput == (try CLI.run(["run", "av-affect", "Fixtures/still.png"]).standardOutput))
        for result in [audio, still] {
            let last = try #require(try jsonLines(result.output).last)
            #expect(last["stream"] as? String == "recording" && last["ah"] != nil && last["emotion"] != nil)
        }
        let video = try CLI.run(["run", "Fixtures/clip.mp4"])
        #expect(video.standardOutput == (try CLI.run(["run", "av-affect", "Fixtures/clip.mp4"]).standardOutput))
        #expect(video.standardOutput == (try CLI.run(["run", "Pipelines/av-affect.yaml", "Fixtures/clip.mp4"]).standardOutput))
        let eeg = try CLI.run(["run", "Fixtures/eeg.edf"])
        let eegAffect = try CLI.run(["run", "Pipelines/eeg-affect.yaml", "Fixtures/eeg.edf"])
        #expect(eeg.status == 0 && eeg.standardOutput == eegAffect.standardOutput)
        #expect(try jsonLines(eeg.output).last?["stream"] as? String == "recording")
    }

    /// Each broken pipeline: exit 2, one line naming the file, line and column.
    @Test(arguments: [
        ("version: 1\nstages:\n  - id: m\n    use: [source.media\n", ":5:1: YAML syntax error"),
        ("version: 1\nstages:\n  - id: m\n    use: source.meda\n", ":4:10: unknown stage 'source.meda' in 'm'; did you mean 'source.media'?"),
        ("version: 1\nstages:\n  - id: m\n    use: source.media\n    with: {audio_rate: fast}\n", ":5:12: parameter 'audio_rate' of 'm' must be integer, not 'fast'"),
        ("version: 1\nstages:\n  - id: m\n    use: source.media\n    with: {video_fps: -1}\n", ":5:12: parameter 'video_fps' of 'm' is -1 frames/s, outside 0...1000 frames/s"),
        ("version: 1\nstages:\n  - id: m\n    use: source.media\n  - id: l\n    use: audio.level\n", ":5:5: input 'audio' (audio) of 'l' (audio.level) is not connected; add it to 'in:'"),
        ("version: 1\nstages:\n  - id: m\n    use: source.media\n  - id: m\n    use: audio.level\n    in: m\n", ":5:5: duplicate stage id 'm'"),
        ("version: 1\nstages:\n  - id: m\n    use: source.media\n  - id: l\n    use: audio.level\n    in: m.video\n", ":7:9: 'm.video' carries video, but input 'audio' of 'l' takes audio"),
        ("version: 1\nstages:\n  - id: m\n    use: source.media\n  - id: l\n    use: audio.level\n    in: media\n", ":7:9: 'l' reads from unknown stage 'media'; valid: m, l"),
        ("version: 1\nstages:\n  - id: m\n    use: source.media\n    with: {rate: 8000}\n", ":5:12: unknown parameter 'rate' for source.media in 'm'; valid: audio_rate,"),
    ])
    func aBrokenPipelineGivesOneLineWithItsLocationAndExit2(_ text: String, _ expected: String) throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/broken.yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        for arguments in [["run", path, "Fixtures/clip.mp4"], ["validate", path]] {
            let result = try CLI.run(arguments)
            #expect(result.status == 2)
            #expect(result.errorLines.count == 1, "\(result.standardError)")
            #expect(result.errorLines.first?.hasPrefix("error: \(path)") == true)
            #expect(result.standardError.contains(expected), "\(result.standardError)")
        }
    }

    @Test func anUnknownOverrideIsRefusedBeforeAnythingRuns() throws {
        let result = try CLI.run(["run", "Pipelines/av-basics.yaml", "Fixtures/clip.mp4", "--set", "level.hop=5"])
        #expect(result.status == 2)
        #expect(result.standardError == "error: --set level.hop=5: unknown parameter 'hop' for audio.level in 'level'; did you mean 'hop_ms'? valid: frame_ms, hop_ms, floor_db\n")
        let applied = try CLI.run(["run", "Pipelines/audio-basics.yaml", "Fixtures/speech.wav", "--set", "level.hop_ms=20"])
        let fine = try CLI.run(["run", "Pipelines/audio-basics.yaml", "Fixtures/speech.wav"])
        let ratio = Double(fine.output.split(separator: "\n").count) / Double(applied.output.split(separator: "\n").count)
        #expect(abs(ratio - 2) < 0.05, "hop 20 ms gives half the frames of 10 ms")
    }

    @Test func overridesWithoutAPipelineApplyToTheDefaultsThatHaveTheStage() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func flagged(_ text: String) throws -> Int {
            try jsonLines(text).filter { $0["stream"] as? String == "ah" }.compactMap { $0["ah_label"] as? Int }.reduce(0, +)
        }
        let result = try CLI.run(["run", "Fixtures/clip.mp4", "Fixtures/speech.wav", "--set", "ah.threshold=0", "-o", folder])
        #expect(result.status == 0, "\(result.standardError)")
        let all = try flagged(try String(contentsOfFile: folder + "/clip.jsonl", encoding: .utf8))
        let none = try flagged(try CLI.run(["run", "Fixtures/clip.mp4", "--set", "ah.threshold=1"]).output)
        #expect(all == 75 && none == 0, "threshold 0 flags every one of the 75 frames (\(all)); threshold 1 none (\(none))")
        #expect(FileManager.default.fileExists(atPath: folder + "/speech.jsonl"), "the audio default ran without the override")
        let wrong = try CLI.run(["run", "Fixtures/clip.mp4", "--set", "moton.threshold=0"])
        #expect(wrong.status == 2 && wrong.standardError.hasPrefix("error: --set moton.threshold=0: no named pipeline has a stage 'moton'"))
    }

    @Test func inputsWithTheSameNameDoNotOverwriteEachOther() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder + "/in", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixture("speech.wav"), toPath: folder + "/in/clip.wav")
        let result = try CLI.run(["run", "audio-basics", "Fixtures/clip.mp4", folder + "/in/clip.wav", "-o", folder + "/out"])
        #expect(result.status == 0, "\(result.standardError)")
        let written = try FileManager.default.subpathsOfDirectory(atPath: folder + "/out").filter { $0.hasSuffix(".jsonl") }
        #expect(written.count == 2, "\(written)")
    }

    @Test func rawFloatEEGFromStandardInputGivesBandFeatures() throws {
        // 4 s of two channels at 128 Hz: O1 a 10 Hz sine of 20 uV, O2 silent.
        var bytes = Data()
        for index in 0..<512 {
            let o1 = Float(20 * sin(2 * Double.pi * 10 * Double(index) / 128))
            for value in [o1, Float(0)] { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        }
        let result = try CLI.run(["run", "Pipelines/eeg-features.yaml", "-", "--set", "eeg.labels=O1,O2", "--set", "eeg.rate=128"],
                                 input: bytes)
        #expect(result.status == 0, "\(result.standardError)")
        let rows = try jsonLines(result.output).filter { $0["stream"] as? String == "bands" }
        #expect(rows.count == 7)
        for row in rows { #expect(abs((row["O1_alpha"] as? Double ?? 0) - 200) < 2) }
        let missing = try CLI.run(["run", "Pipelines/eeg-features.yaml", "-"], input: bytes)
        #expect(missing.status == 1 && missing.standardError.contains("raw EEG on standard input needs 'labels' (one per channel) and 'rate'"))
    }

    @Test func stagesListsEveryStageWithItsParametersAsTextAndJSON() throws {
        let list = try CLI.run(["stages"])
        for name in ["source.media", "source.audio", "source.pcm", "source.eeg", "audio.level", "audio.spectral", "video.motion", "eeg.filter", "eeg.bands",
                     "sink.jsonl", "sink.csv", "sink.null"] {
            #expect(list.output.contains(name))
        }
        let json = try CLI.run(["stages", "--json"])
        let stages = try #require(try JSONSerialization.jsonObject(with: json.standardOutput) as? [[String: Any]])
        #expect(stages.count == 30)
        let level = try #require(stages.first { $0["name"] as? String == "audio.level" })
        let parameters = try #require(level["parameters"] as? [[String: Any]])
        #expect(parameters.map { $0["name"] as? String } == ["frame_ms", "hop_ms", "floor_db"])
        #expect(parameters[0]["unit"] as? String == "ms" && parameters[0]["default"] as? String == "25.0")
        let one = try CLI.run(["stages", "audio.level"])
        #expect(one.output.contains("hop_ms (number, default 10.0 ms, 0.1...10000): Time between the starts of consecutive frames."))
        #expect(try CLI.run(["stages", "audio.levle"]).status == 2)
    }

    @Test func theStagePageIsWhatTheBinaryDescribes() throws {
        let page = try String(contentsOfFile: repositoryRoot + "/docs/stages.md", encoding: .utf8)
        let names = try CLI.run(["stages"]).output.split(separator: "\n").map { String($0.split(separator: " ")[0]) }
        #expect(names.count == 30)
        let generated = try CLI.run(["stages", "--markdown"]).output
        #expect(generated == page, "docs/stages.md is out of date: run make docs")
        for name in names { #expect(page.contains("\n## \(name)\n")) }
        #expect(page.contains("| `hop_ms` | number | 10.0 ms | 0.1 to 10000 | Time between the starts of consecutive frames. |"))
    }

    @Test func validatePrintsTheGraphAndDOT() throws {
        let text = try CLI.run(["validate", "Pipelines/av-basics.yaml"])
        #expect(text.status == 0)
        #expect(text.output.contains("  motion (video.motion) <- media.video"))
        let dot = try CLI.run(["validate", "av-basics", "--dot"])
        #expect(dot.output.hasPrefix("digraph \"av-basics\" {"))
        #expect(dot.output.contains("\"media\" -> \"level\" [label=\"audio (audio)\"];"))
    }

    @Test func versionAndUsageErrors() throws {
        #expect(try CLI.run(["--version"]).output == "0.1.0\n")
        let noInput = try CLI.run(["run", "Pipelines/av-basics.yaml"])
        #expect(noInput.status != 0 && noInput.standardError.contains("give at least one INPUT"))
    }

    @Test func interruptingALiveRunFlushesWhatWasReadAndExits130() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try CLI.binaryPath())
        process.arguments = ["run", "Pipelines/pcm-level.yaml", "-"]
        let feed = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = feed
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // One second of 16 kHz silence, and the pipe stays open like a microphone's.
        try feed.fileHandleForWriting.write(contentsOf: Data(count: 32_000))
        var received = Data()
        while received.split(separator: UInt8(ascii: "\n")).count < 98 {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            received.append(chunk)
        }
        #expect(received.split(separator: UInt8(ascii: "\n")).count == 98, "records are written while the input is still open")
        process.interrupt()
        received.append(output.fileHandleForReading.readDataToEndOfFile())
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        #expect(try jsonLines(String(decoding: received, as: UTF8.self)).count == 98, "the interrupted run ends cleanly, with no partial or repeated record")
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(message.contains("interrupted"))
    }
}
