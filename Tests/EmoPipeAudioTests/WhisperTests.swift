@testable import EmoPipeAudio
import EmoPipeCore
@testable import EmoPipeNN
import Foundation
import Testing

/// Whisper run natively against faster-whisper / CTranslate2 running the same weights (float32)
/// on the same samples: Reference/whisper_reference.json, written by
/// scripts/reference/whisper_reference.py (its header names the command). The model is the one
/// scripts/speech/install_whisper.py installs into Models/ (make deps).
@Suite(.serialized) struct WhisperTests {
    struct Reference: Decodable {
        struct Segment: Decodable { var start: Double; var end: Double; var text: String }
        struct FirstStep: Decodable {
            var top_ids: [Int]
            var top_values: [Float]
            var no_speech_prob: Float
            var tokens: [Int]
        }
        struct Clip: Decodable {
            var file: String
            var segments: [Segment]
            var mel_frames: Int?
            var mel_rows: [String: [Float]]?
            var encoder_rows: [String: [Float]]?
            var encoder_mean: Float?
            var encoder_std: Float?
            var first_step: FirstStep?
        }
        var clips: [Clip]
    }

    static let reference: Reference = {
        let url = AudioTestSupport.testsFolder.appendingPathComponent("Reference/whisper_reference.json")
        return try! JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }()

    static let model: WhisperModel? = {
        guard let folder = ModelStore.models.locate("whisper-tiny.en") else { return nil }
        return try? WhisperModel(folder: folder.path)
    }()

    func requireModel() throws -> WhisperModel {
        try #require(Self.model, "Whisper is not installed: run scripts/speech/install_whisper.py (make deps does)")
    }

    func samples(_ file: String) throws -> [Float] {
        try AudioTestSupport.decode(AudioTestSupport.repositoryRoot.appendingPathComponent(file).path)
    }

    /// All frames of a clip (log10 mels, frame-major) and their count.
    func logMel(_ samples: [Float], chunk: Int = 1000) -> (values: [Float], frames: Int) {
        var front = WhisperLogMel()
        var values: [Float] = []
        var start = 0
        while start < samples.count {
            let end = min(samples.count, start + chunk)
            samples[start..<end].withUnsafeBufferPointer { front.append($0, into: &values) }
            start = end
        }
        front.finish(into: &values)
        return (values, values.count / 80)
    }

    /// The log-mel frames equal faster-whisper's FeatureExtractor within 2e-3 (normalised units;
    /// float32 FFTs differ in the last bits), however the samples are chunked.
    @Test func logMelMatchesTheReference() throws {
        let clip = Self.reference.clips[0]
        let audio = try samples(clip.file)
        let (values, frames) = logMel(audio)
        #expect(frames - 1 == clip.mel_frames)
        let normalised = WhisperLogMel.normalise(values[...])
        for (row, expected) in try #require(clip.mel_rows) {
            let t = Int(row)!
            for band in 0..<80 {
                #expect(abs(normalised[t * 80 + band] - expected[band]) < 2e-3, "frame \(t) band \(band)")
            }
        }
        let (chunked, _) = logMel(audio, chunk: 37)
        #expect(chunked == values)
        // A NaN or infinite sample is silence, never a NaN frame.
        var broken = audio
        broken[1000] = .nan
        broken[5000] = .infinity
        let finite = logMel(broken).values.allSatisfy { $0.isFinite }
        #expect(finite)
    }

    /// The encoder's output within 2e-2 of CTranslate2's (same float16 weights widened to float32;
    /// values of order 1), and its mean and spread within 1e-3.
    @Test func encoderMatchesTheReference() throws {
        let model = try requireModel()
        let clip = Self.reference.clips[0]
        let (values, frames) = logMel(try samples(clip.file))
        let content = frames - 1
        var window = [Float](repeating: 0, count: model.windowFrames * 80)
        let normalised = WhisperLogMel.normalise(values[...])
        window.replaceSubrange(0..<(content * 80), with: normalised[0..<(content * 80)])
        let encoded = model.encode(mel: window)
        let split = model.encode(mel: window, parts: 2)
        let largestDifference = zip(split, encoded).map { abs($0 - $1) }.max() ?? .infinity
        #expect(split.count == encoded.count && largestDifference < 2e-3, "the encoder split over two threads (float rounding only): \(largestDifference)")
        for (row, expected) in try #require(clip.encoder_rows) {
            let t = Int(row)!
            for column in expected.indices {
                #expect(abs(encoded[t * 384 + column] - expected[column]) < 2e-2, "row \(t) column \(column)")
            }
        }
        let mean = encoded.reduce(0, +) / Float(encoded.count)
        let spread = (encoded.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(encoded.count)).squareRoot()
        #expect(abs(mean - clip.encoder_mean!) < 1e-3)
        #expect(abs(spread - clip.encoder_std!) < 1e-3)

        // The first step after <|startoftranscript|>: the same ten likeliest tokens (timestamps
        // only, by the rules) within 0.05, the same no-speech probability, the same greedy tokens.
        let step = try #require(clip.first_step)
        let transcriber = WhisperTranscriber(model: model)
        let state = WhisperDecoderState(model: model, audio: encoded)
        var logits = state.forward([model.tokens.startOfTranscript], logitsAt: [0])[0]
        let noSpeech = WhisperTranscriber.softmax(logits, at: model.tokens.noSpeech)
        transcriber.applyRules(to: &logits, generated: [])
        let order = logits.indices.sorted { logits[$0] > logits[$1] }.prefix(10)
        #expect(Array(order.prefix(5)) == Array(step.top_ids.prefix(5)))
        for (id, value) in zip(step.top_ids, step.top_values) { #expect(abs(logits[id] - value) < 0.05, "token \(id)") }
        #expect(abs(noSpeech - step.no_speech_prob) < 0.01)
        let decoding = transcriber.decode(audio: encoded, prompt: [model.tokens.startOfTranscript])
        #expect(decoding.tokens == step.tokens)
    }

    /// Each clip's text through the stage equals faster-whisper's greedy transcription (the
    /// synthetic fixture and two real recordings read in place from ../shared).
    @Test func theStageWritesTheReferenceText() throws {
        _ = try requireModel()
        for clip in Self.reference.clips {
            let audio = try samples(clip.file)
            let harness = try StageHarness(AudioTranscribeStage.descriptor, parameters: ["recognise": .string("always")],
                                           inputs: [.audio(AudioFormat(sampleRate: 16000, channels: 1))])
            var start = 0
            while start < audio.count {
                let end = min(audio.count, start + 4000)
                _ = try harness.push(Packet(timestamp: Timestamp(seconds: Double(start) / 16000), duration: Timestamp(seconds: Double(end - start) / 16000),
                                            payload: .audio(AudioChunk(samples: Array(audio[start..<end]), channels: 1, sampleRate: 16000))))
                start = end
            }
            try harness.finish()
            let segments = harness.emitted(on: 0).compactMap { packet -> TextSegment? in
                if case .text(let segment) = packet.payload { return segment } else { return nil }
            }
            #expect(segments.map(\.text).joined(separator: " ") == clip.segments.map(\.text).joined(separator: " "), "\(clip.file)")
            #expect(segments.allSatisfy { $0.origin == "whisper-tiny.en" })
            let words = segments.flatMap(\.words)
            #expect(!words.isEmpty)
            #expect(words.allSatisfy { ($0.confidence ?? -1) > 0 && ($0.confidence ?? 2) <= 1 && $0.start <= $0.end })
            #expect(zip(words, words.dropFirst()).allSatisfy { $0.end <= $1.start })
        }
    }

    /// Live, fed at real-time pace: with audio.vad's frames, a segment's words come out while the
    /// stream goes on, at most 1.5 s after the pause that ends it (the pause, the VAD's hangover and
    /// the decoding on the stage's worker), not at the end of the stream; together they read as the whole clip. The
    /// fixture's espeak pauses are 0.21 s, so pause_s is 0.15 here.
    @Test func liveWordsFollowEachPause() throws {
        _ = try requireModel()
        let audio = try samples("Fixtures/speech.wav")
        let vad = try StageHarness(AudioVADStage.descriptor, inputs: [.audio(AudioFormat(sampleRate: 16000, channels: 1))])
        func chunk(_ start: Int, _ end: Int) -> Packet {
            Packet(timestamp: Timestamp(seconds: Double(start) / 16000), duration: Timestamp(seconds: Double(end - start) / 16000),
                   payload: .audio(AudioChunk(samples: Array(audio[start..<end]), channels: 1, sampleRate: 16000)))
        }
        var chunks: [Packet] = []
        var start = 0
        while start < audio.count {
            let end = min(audio.count, start + 1600)
            chunks.append(chunk(start, end))
            start = end
        }
        for packet in chunks { _ = try vad.push(packet) }
        _ = try vad.finish()
        let speechFrames = vad.emitted(on: 0)
        let stage = try StageHarness(AudioTranscribeStage.descriptor, parameters: ["recognise": .string("always"), "pause_s": .number(0.15)],
                                     inputs: [.audio(AudioFormat(sampleRate: 16000, channels: 1)),
                                              .features(FeatureSchema(["speech", "voiced", "level_db", "noise_floor_db", "voiced_segments_per_s", "speech_ratio"]))],
                                     live: true)
        var early: [(segment: TextSegment, start: Timestamp, at: Double)] = []
        var nextFrame = 0
        // At real-time pace, as a live pipe delivers it: the stage decodes on its worker while
        // audio keeps coming, and hands the words over at a later packet.
        let started = Date()
        for packet in chunks {
            let now = packet.timestamp + packet.duration
            Thread.sleep(until: started.addingTimeInterval(now.seconds))
            for emitted in try stage.push(packet, input: 0) {
                if case .text(let segment) = emitted.payload { early.append((segment, emitted.timestamp, now.seconds)) }
            }
            while nextFrame < speechFrames.count, speechFrames[nextFrame].timestamp <= now {
                for emitted in try stage.push(speechFrames[nextFrame], input: 1) {
                    if case .text(let segment) = emitted.payload { early.append((segment, emitted.timestamp, now.seconds)) }
                }
                nextFrame += 1
            }
        }
        let late = try stage.finish().compactMap { packet -> TextSegment? in if case .text(let s) = packet.payload { return s } else { return nil } }
        #expect(!early.isEmpty, "words came out before the end of the stream")
        // The pause that ends each early segment: the first run of 15 non-speech VAD frames at or
        // after the segment's end (a comma's 30 ms gap is no pause).
        let speech = speechFrames.map { packet -> (time: Double, speech: Bool) in
            guard case .features(let row) = packet.payload else { return (packet.timestamp.seconds, false) }
            return (packet.timestamp.seconds, row.values[0] > 0.5)
        }
        func pauseStart(after time: Double) -> Double {
            var run = 0
            for (index, frame) in speech.enumerated() where frame.time >= time - 0.05 {
                run = frame.speech ? 0 : run + 1
                if run == 15 { return speech[index - 14].time }
            }
            return speech.last?.time ?? time
        }
        for item in early {
            let pause = pauseStart(after: item.segment.end.seconds)
            #expect(item.at - pause <= 1.5, "'\(item.segment.text)' (ends \(item.segment.end.seconds) s, pause from \(pause) s) out at \(item.at) s")
        }
        let text = (early.map(\.segment) + late).map(\.text).joined(separator: " ").lowercased()
            .replacingOccurrences(of: "i'm", with: "i am").filter { $0.isLetter || $0 == " " }
        #expect(text.split(separator: " ") == "well i am not sure maybe we could try it but i really do not know".split(separator: " "))
    }

    /// Live without the VAD input, fed faster than real time (a backlog of more than 30 s while
    /// the worker decodes): one window at a time on the worker, nothing lost, every loop of the
    /// clip recognised by the end.
    @Test func aLiveBacklogIsDecodedOneWindowAtATime() throws {
        _ = try requireModel()
        let clip = try samples("Fixtures/speech.wav")
        let audio = Array(repeating: clip, count: 8).flatMap { $0 }
        let stage = try StageHarness(AudioTranscribeStage.descriptor, parameters: ["recognise": .string("always")],
                                     inputs: [.audio(AudioFormat(sampleRate: 16000, channels: 1))], live: true)
        var start = 0
        while start < audio.count {
            let end = min(audio.count, start + 4000)
            // Before the last chunk, let the worker finish its first window: the next packet then
            // finds more than 30 s waiting.
            if end == audio.count { Thread.sleep(forTimeInterval: 3) }
            _ = try stage.push(Packet(timestamp: Timestamp(seconds: Double(start) / 16000), duration: Timestamp(seconds: Double(end - start) / 16000),
                                      payload: .audio(AudioChunk(samples: Array(audio[start..<end]), channels: 1, sampleRate: 16000))))
            start = end
        }
        _ = try stage.finish()
        let text = stage.emitted(on: 0).compactMap { packet -> String? in if case .text(let s) = packet.payload { return s.text } else { return nil } }
            .joined(separator: " ").lowercased()
        #expect(text.components(separatedBy: "know").count - 1 >= 7, "\(text)")
        let starts = stage.emitted(on: 0).map(\.timestamp)
        #expect(zip(starts, starts.dropFirst()).allSatisfy { $0 <= $1 })
    }

    /// Byte-level BPE undone: a token of a space and letters, punctuation, multi-byte UTF-8
    /// split over two tokens.
    @Test func tokensDecodeToText() throws {
        let model = try requireModel()
        // " Well" = 3894, "," = 11 (the fixture's first tokens, from the reference).
        #expect(model.text(of: [3894, 11]) == " Well,")
        #expect(model.text(of: [model.tokens.timestampBegin, 3894, model.tokens.endOfText]) == " Well")
        let bytes = Array("é".utf8)
        let ids = model.vocabulary.indices.filter { model.vocabulary[$0] == [bytes[0]] || model.vocabulary[$0] == [bytes[1]] }
        #expect(ids.count == 2)
        let first = ids.first { model.vocabulary[$0] == [bytes[0]] }!, second = ids.first { model.vocabulary[$0] == [bytes[1]] }!
        #expect(model.text(of: [first, second]) == "é")
    }
}
