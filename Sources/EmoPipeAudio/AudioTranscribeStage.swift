import EmoPipeCore
import EmoPipeNN
import Foundation

/// `audio.transcribe`: speech recognition (Whisper, run natively) into the `text` stream that
/// `source.transcript` gives, so `text.cues`, `text.ambivalence`, `fuse.ambivalence` and the
/// recording record read recognised words exactly as a transcript file's.
///
/// Input: 16 kHz mono audio; optionally `audio.vad`'s frames (where the speech is) and
/// `source.transcript`'s stream. With `recognise: auto` a recording that has a transcript (its
/// sidecar `clip.srt/.vtt/.json/.txt`, or the input itself) keeps it: the transcript passes
/// through and nothing is recognised; otherwise speech is recognised. `always` recognises and
/// drops the transcript; `never` only passes the transcript through.
///
/// Recognition follows Whisper's own long-form procedure with greedy decoding (see
/// `WhisperTranscriber`): windows of up to 30 s of 80-band log-mel frames (`WhisperLogMel`),
/// each decoded after the text of the windows before, advancing past the last complete segment.
/// With the VAD input, stretches with no speech for `skip_silence_s` are skipped (Whisper makes
/// words up in long silences, and skipping saves the encoder's time). In live runs a window is
/// also decoded `pause_s` after speech stops (the whole window, its last segment included), or
/// every `live_window_s` of unbroken speech (its unfinished tail decoded again with what
/// follows), so a segment's words arrive about a second after its end.
///
/// One packet per recognised segment, at its start, with its end, text and words (each with its
/// start, end and confidence: the mean probability of its tokens; word times are the segment's
/// span shared by characters), `origin` the model's name.
public final class AudioTranscribeStage: Stage {
    public static let descriptor = StageDescriptor(
        name: "audio.transcribe", role: .transform,
        summary: "Speech recognition (Whisper tiny.en, native): timed words with confidences as a transcript stream; a sidecar transcript wins.",
        inputs: [
            PortSpec("audio", [.audio], "16 kHz mono audio (source.media with audio_rate 16000, audio_channels mono)."),
            PortSpec("speech", [.features], optional: true, "audio.vad frames (a speech column): where the speech is."),
            PortSpec("transcript", [.text], optional: true, "source.transcript: passed through when the recording has one."),
        ],
        outputs: [PortSpec("text", [.text], "One packet per segment (recognised or from the transcript), at its start, with its end and words.")],
        parameters: [
            ParameterSpec("model", .string, default: .string("whisper-tiny.en"),
                          "A Whisper folder written by scripts/speech/install_whisper.py: a name in the model store (emopipe models) or a path."),
            ParameterSpec("recognise", .choice(["auto", "always", "never"]), default: .string("auto"),
                          "auto: recognise unless the recording has a transcript; always: recognise and drop the transcript; never: the transcript only."),
            ParameterSpec("condition_on_previous_text", .boolean, default: .boolean(true),
                          "Decode each window after the text of the windows before (Whisper's default)."),
            ParameterSpec("no_speech_threshold", .number, default: .number(0.6), range: 0...1,
                          "A window whose no-speech probability is above this (and whose mean log probability is at most log_prob_threshold) is silence."),
            ParameterSpec("log_prob_threshold", .number, default: .number(-1), range: -100...0,
                          "See no_speech_threshold."),
            ParameterSpec("skip_silence_s", .number, default: .number(2), unit: "s", range: 0.1...3600,
                          "With the VAD input: no speech for this long is skipped, up to 0.5 s before the next speech."),
            ParameterSpec("pause_s", .number, default: .number(0.15), unit: "s", range: 0.05...30,
                          "Live: a window is decoded once speech has stopped this long."),
            ParameterSpec("live_window_s", .number, default: .number(8), unit: "s", range: 1...30,
                          "Live: unbroken speech is decoded at least this often."),
        ],
        make: { .stage(AudioTranscribeStage(parameters: $0)) })

    private enum Mode { case recognise, passThrough }

    private let parameters: Parameters
    private var mode = Mode.recognise
    private var transcriber: WhisperTranscriber?
    /// Live runs decode on this worker, so the stage keeps taking audio (and its source keeps
    /// feeding the other stages) while a window is decoded.
    private var worker: TranscriptionWorker?
    private var modelName = ""
    private var logMel = WhisperLogMel()
    /// Log10 mel frames from absolute frame `seek` on, frame-major.
    private var frames: [Float] = []
    /// The next window's first frame (10 ms each, from the start of the stream).
    private var seek = 0
    /// Frames computed so far (absolute).
    private var frameCount: Int { seek + frames.count / logMel.mels }
    private var hasSpeechInput = false
    private var speechColumn = 0
    /// The last frame the VAD called speech (absolute; -1 before any) and how far the VAD has got.
    private var lastSpeech = -1
    private var speechFrontier = 0
    private var live = false
    private var lastAttempt = 0
    private var lastEmitted = Timestamp.zero
    private var skipSilenceFrames = 200
    private var pauseFrames = 30
    private var liveWindowFrames = 800
    /// Whether any audio arrived.
    private var sawAudio = false

    init(parameters: Parameters) { self.parameters = parameters }

    public func prepare(inputs: [StreamFormat], context: StageContext) throws -> [StreamFormat] {
        guard case .audio(let format) = inputs[0], format.sampleRate == WhisperLogMel.sampleRate, format.channels == 1 else {
            throw StageError("audio.transcribe needs 16 kHz mono audio: set source.media's audio_rate: 16000 and audio_channels: mono")
        }
        for (index, name) in context.inputNames.enumerated().dropFirst() {
            if case .features(let schema) = inputs[index] {
                guard let column = schema.index(of: "speech") else {
                    throw StageError("audio.transcribe's second input (\(name)) must be audio.vad frames (a speech column)")
                }
                hasSpeechInput = true
                speechColumn = column
            }
        }
        let hasTranscript = TranscriptSidecar().find(for: context.input) != nil
        switch parameters.string("recognise") {
        case "never": mode = .passThrough
        case "always": mode = .recognise
        default: mode = hasTranscript ? .passThrough : .recognise
        }
        live = context.live
        skipSilenceFrames = Int((parameters.number("skip_silence_s") * 100).rounded())
        pauseFrames = Int((parameters.number("pause_s") * 100).rounded())
        liveWindowFrames = Int((parameters.number("live_window_s") * 100).rounded())
        if mode == .recognise {
            let reference = parameters.string("model")
            let model: WhisperModel
            do {
                model = try Self.cachedModel(try ModelStore.models.resolve(reference).path)
            } catch let error as ModelStoreError {
                throw StageError("\(error.description). Whisper is installed by scripts/speech/install_whisper.py (make deps runs it); "
                                 + "or run without recognition: --set \(context.stageID).recognise=never")
            } catch let error as NetworkError {
                throw StageError("\(error.description) (reinstall with scripts/speech/install_whisper.py --force)")
            }
            let transcriber = WhisperTranscriber(model: model)
            transcriber.conditionOnPreviousText = parameters.boolean("condition_on_previous_text")
            transcriber.noSpeechThreshold = Float(parameters.number("no_speech_threshold"))
            transcriber.logProbabilityThreshold = parameters.number("log_prob_threshold")
            self.transcriber = transcriber
            if context.live {
                // A live window's words wait on its encoder: let it use a second core.
                transcriber.encoderParts = min(2, ProcessInfo.processInfo.activeProcessorCount)
                worker = TranscriptionWorker(transcriber)
            }
            modelName = URL(fileURLWithPath: model.folder).lastPathComponent
            logMel = WhisperLogMel(mels: model.dimensions.mels)
        }
        return [.text]
    }

    public func process(_ packet: Packet, input: Int, output: Emitter) throws {
        switch (input, packet.payload) {
        case (2, .text(let segment)):
            if mode == .passThrough { try emit(segment, at: packet.timestamp, duration: packet.duration, output: output) }
        case (0, .audio(let chunk)):
            guard mode == .recognise else { return }
            sawAudio = true
            chunk.samples.withUnsafeBufferPointer { logMel.append($0, into: &frames) }
            try decodeReady(final: false, output: output)
        case (1, .features(let row)):
            guard mode == .recognise else { return }
            let frame = Int((packet.timestamp.seconds * 100).rounded())
            if speechColumn < row.values.count, row.values[speechColumn] > 0.5 { lastSpeech = max(lastSpeech, frame) }
            speechFrontier = max(speechFrontier, frame + 1)
            try decodeReady(final: false, output: output)
        default:
            break
        }
    }

    public func finish(output: Emitter) throws {
        guard mode == .recognise, sawAudio else { return }
        if let worker {
            worker.wait()
            try collect(output: output)
            self.worker = nil
        }
        logMel.finish(into: &frames)
        try decodeReady(final: true, output: output)
    }

    /// Decodes every window that is ready: full 30 s windows, live windows at pauses, and at the
    /// end of the stream everything left.
    private func decodeReady(final: Bool, output: Emitter) throws {
        guard let transcriber else { return }
        if worker != nil {
            try collect(output: output)
            if worker?.busy == true { return }
        }
        let windowFrames = transcriber.model.windowFrames
        // The last frame is padding only (faster-whisper's content_frames).
        let end = final ? max(seek, frameCount - 1) : frameCount
        while true {
            if hasSpeechInput { skipSilence(upTo: final ? end : min(end, speechFrontier)) }
            let available = end - seek
            guard available > 0 else { return }
            let window: Int
            var complete = false
            if available >= windowFrames {
                window = windowFrames
            } else if final {
                window = available
            } else if live, let trigger = liveTrigger(available: available) {
                window = available
                complete = trigger == .pause
                lastAttempt = frameCount
            } else {
                return
            }
            try decode(frames: window, complete: complete, output: output)
            // A live window is now on the worker: the next one waits for its result.
            if worker != nil || (!final && window < windowFrames) { return }
        }
    }

    private enum LiveTrigger { case pause, longSpeech }

    /// Live: speech has stopped for `pause_s`, or unbroken speech has gone on for `live_window_s`.
    private func liveTrigger(available: Int) -> LiveTrigger? {
        guard frameCount > lastAttempt else { return nil }
        if hasSpeechInput {
            guard lastSpeech >= seek else { return nil }
            if speechFrontier - lastSpeech >= pauseFrames, lastAttempt <= lastSpeech { return .pause }
        }
        return available >= liveWindowFrames && frameCount - lastAttempt >= liveWindowFrames / 2 ? .longSpeech : nil
    }

    /// Moves `seek` over silence the VAD has seen: when there has been no speech from `seek` for
    /// `skip_silence_s`, up to 0.5 s before the VAD's frontier (or the next speech).
    private func skipSilence(upTo frontier: Int) {
        let margin = 50
        guard lastSpeech < seek, frontier - seek >= skipSilenceFrames else { return }
        let target = min(frontier - margin, frameCount)
        if target > seek { advance(by: target - seek) }
    }

    private func advance(by count: Int) {
        let mels = logMel.mels
        let drop = min(count, frames.count / mels)
        frames.removeFirst(drop * mels)
        seek += drop
    }

    private func decode(frames count: Int, complete: Bool, output: Emitter) throws {
        guard let transcriber else { return }
        let window = WhisperLogMel.normalise(frames[0..<(count * logMel.mels)])
        let offset = Double(seek) * WhisperTranscriber.frameSeconds
        if let worker {
            worker.start(window: window, frames: count, offset: offset, complete: complete)
            return
        }
        try deliver(Self.transcribe(transcriber, window: window, frames: count, offset: offset, complete: complete), output: output)
    }

    /// Emits what the live worker finished, if it has.
    private func collect(output: Emitter) throws {
        if let done = worker?.take() { try deliver(done, output: output) }
    }

    /// One window's recognition: its segments with their words, and how far it reached.
    struct Decoded: Sendable {
        var segments: [(segment: WhisperTranscriber.Segment, words: [WhisperTranscriber.Word])]
        var advance: Int
        var frames: Int
        var offset: Double
    }

    static func transcribe(_ transcriber: WhisperTranscriber, window: [Float], frames: Int, offset: Double, complete: Bool) -> Decoded {
        let result = transcriber.transcribe(window: window, frames: frames, offset: offset, complete: complete)
        return Decoded(segments: result.segments.map { ($0, transcriber.words(of: $0)) },
                       advance: result.advance > 0 ? result.advance : frames, frames: frames, offset: offset)
    }

    private func deliver(_ decoded: Decoded, output: Emitter) throws {
        let windowEnd = decoded.offset + Double(decoded.frames) * WhisperTranscriber.frameSeconds
        for (segment, words) in decoded.segments {
            let timed = words.map {
                TimedWord(start: Timestamp(seconds: min($0.start, windowEnd)), end: Timestamp(seconds: min($0.end, windowEnd)),
                          text: $0.text, confidence: $0.confidence)
            }
            let start = Timestamp(seconds: min(segment.start, windowEnd)), end = Timestamp(seconds: min(segment.end, windowEnd))
            try emit(TextSegment(end: end, text: segment.text.trimmingCharacters(in: .whitespaces), words: timed, origin: modelName),
                     at: start, duration: end - start, output: output)
        }
        advance(by: decoded.advance)
        try output.advance(0, to: max(lastEmitted, Timestamp(seconds: Double(seek) * WhisperTranscriber.frameSeconds)))
    }

    private func emit(_ segment: TextSegment, at timestamp: Timestamp, duration: Timestamp, output: Emitter) throws {
        let start = max(timestamp, lastEmitted)
        lastEmitted = start
        try output.emit(.text(segment), at: start, duration: duration)
    }

    /// Whisper models already read (immutable: shared by every input).
    private static let models = ModelCache<WhisperModel>()

    private static func cachedModel(_ folder: String) throws -> WhisperModel {
        try models.model(in: folder, load: WhisperModel.init(folder:))
    }
}

/// The live recogniser's worker thread: one window at a time, decoded off the stage's queue; the
/// stage takes the result at its next packet.
final class TranscriptionWorker: @unchecked Sendable {
    private let transcriber: WhisperTranscriber
    private let queue = DispatchQueue(label: "emopipe.audio.transcribe")
    private let lock = NSLock()
    private var result: AudioTranscribeStage.Decoded?
    /// A window is being decoded or its result not yet taken (only the stage's queue reads it).
    private(set) var busy = false

    init(_ transcriber: WhisperTranscriber) { self.transcriber = transcriber }

    func start(window: [Float], frames: Int, offset: Double, complete: Bool) {
        precondition(!busy, "one window at a time")
        busy = true
        queue.async { [self] in
            let decoded = AudioTranscribeStage.transcribe(transcriber, window: window, frames: frames, offset: offset, complete: complete)
            lock.withLock { result = decoded }
        }
    }

    /// The finished window's result, once (nil while it is being decoded).
    func take() -> AudioTranscribeStage.Decoded? {
        let taken: AudioTranscribeStage.Decoded? = lock.withLock {
            defer { result = nil }
            return result
        }
        if taken != nil { busy = false }
        return taken
    }

    /// Blocks until the window in progress is decoded.
    func wait() { queue.sync {} }
}
