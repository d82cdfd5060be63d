import EmoPipeCore
import EmoPipeDSP
import Foundation

/// `audio.vad`: speech/non-speech per frame with hangover, pause and speech segments, and
/// speech-rate proxies.
///
/// Frames of `frame_ms` every `hop_ms`, frame k centred on k x hop. A frame's level is its RMS
/// in dBFS; the noise floor and the decision follow `VoiceActivityDetector`. A frame is voiced
/// when it is speech and its normalised autocorrelation peaks above `voicing_threshold` at a
/// lag within 60-500 Hz. Outputs:
/// - `frames`: speech (0/1), voiced (0/1), level_db, noise_floor_db, and over the last
///   `rate_window_s`: voiced_segments_per_s (a syllable-rate proxy) and speech_ratio.
/// - `pauses`: one row per pause between speech at least `min_pause_ms` long, stamped at its
///   start with its length as duration: start_s, end_s, duration_s.
/// - `speech`: one row per speech segment likewise (usable as `audio.functionals` segments).
public final class AudioVADStage: Stage {
    public static let descriptor = StageDescriptor(
        name: "audio.vad", role: .transform,
        summary: "Speech/non-speech per frame (adaptive floor, hangover), pauses, speech segments, speech-rate proxies.",
        inputs: [PortSpec("audio", [.audio], "PCM audio; several channels are averaged.")],
        outputs: [
            PortSpec("frames", [.features], "speech, voiced, level_db, noise_floor_db, voiced_segments_per_s, speech_ratio."),
            PortSpec("pauses", [.features], "start_s, end_s, duration_s of each pause between speech."),
            PortSpec("speech", [.features], "start_s, end_s, duration_s of each speech segment."),
        ],
        parameters: [
            ParameterSpec("frame_ms", .number, default: .number(30), unit: "ms", range: 5...200, "Analysis frame."),
            ParameterSpec("hop_ms", .number, default: .number(10), unit: "ms", range: 1...1000, "Time between frames."),
            ParameterSpec("threshold_db", .number, default: .number(12), unit: "dB", range: 0...60,
                          "How far above the noise floor speech must be."),
            ParameterSpec("min_level_db", .number, default: .number(-50), unit: "dBFS", range: -150...0,
                          "Frames quieter than this are never speech."),
            ParameterSpec("floor_rise_db_per_s", .number, default: .number(3), unit: "dB/s", range: 0...100,
                          "How fast the noise floor may rise (it falls at once)."),
            ParameterSpec("hangover_ms", .number, default: .number(150), unit: "ms", range: 0...5000,
                          "Speech continues this long after the last loud frame."),
            ParameterSpec("min_pause_ms", .number, default: .number(200), unit: "ms", range: 0...60_000,
                          "Shorter gaps between speech are not reported as pauses."),
            ParameterSpec("voicing_threshold", .number, default: .number(0.5), range: 0...1,
                          "Normalised autocorrelation peak above which a speech frame is voiced."),
            ParameterSpec("rate_window_s", .number, default: .number(5), unit: "s", range: 0.1...600,
                          "Window of the speech-rate proxies."),
        ],
        make: { .stage(AudioVADStage(parameters: $0)) })

    private let parameters: Parameters
    private var framer: CentredAudioFramer?
    private var detector: VoiceActivityDetector?
    private var correlator: Correlator?
    private var autocorrelation: [Float] = []
    private var lagRange = 1...2
    private var voicingThreshold: Float = 0.5
    private var window = SpeechRateWindow(length: 1)
    private var clock: FrameClock?
    private var previousVoiced = false
    private var lastIndex: Int64 = -1

    init(parameters: Parameters) { self.parameters = parameters }

    public func prepare(inputs: [StreamFormat], context: StageContext) throws -> [StreamFormat] {
        guard case .audio(let format) = inputs[0] else { throw StageError("audio.vad takes audio") }
        let segment = FeatureSchema(["start_s", "end_s", "duration_s"])
        let schemas: [StreamFormat] = [
            .features(FeatureSchema(["speech", "voiced", "level_db", "noise_floor_db", "voiced_segments_per_s", "speech_ratio"])),
            .features(segment), .features(segment),
        ]
        guard format.sampleRate > 0, format.channels > 0 else { return schemas }
        let rate = format.sampleRate
        let frame = max(2, Int((parameters.number("frame_ms") * Double(rate) / 1000).rounded()))
        let hop = max(1, Int((parameters.number("hop_ms") * Double(rate) / 1000).rounded()))
        let hopSeconds = Double(hop) / Double(rate)
        detector = VoiceActivityDetector(
            thresholdDB: parameters.number("threshold_db"), minimumDB: parameters.number("min_level_db"),
            floorRiseDBPerFrame: parameters.number("floor_rise_db_per_s") * hopSeconds,
            hangoverFrames: Int((parameters.number("hangover_ms") / 1000 / hopSeconds).rounded()),
            minimumPauseFrames: Int((parameters.number("min_pause_ms") / 1000 / hopSeconds).rounded()))
        lagRange = max(1, rate / 500)...max(2, min(frame - 1, rate / 60))
        correlator = Correlator(size: Correlator.minimumSize(count: frame, lags: lagRange.upperBound + 1))
        voicingThreshold = Float(parameters.number("voicing_threshold"))
        window = SpeechRateWindow(length: max(1, Int((parameters.number("rate_window_s") / hopSeconds).rounded())))
        framer = CentredAudioFramer(frameLength: frame, hop: hop, rate: rate, channels: format.channels, centred: true)
        return schemas
    }

    public func process(_ packet: Packet, input: Int, output: Emitter) throws {
        guard case .audio(let chunk) = packet.payload, framer != nil else { return }
        try framer!.append(chunk, at: packet.timestamp) { try analyse($0, index: $1, clock: $2, output: output) }
    }

    public func finish(output: Emitter) throws {
        guard framer != nil, try framer!.finish({ try analyse($0, index: $1, clock: $2, output: output) }) else { return }
        var events: [VoiceActivityDetector.Event] = []
        detector!.finish(at: lastIndex + 1, events: &events)
        try emit(events, output: output)
    }

    private func analyse(_ frame: ArraySlice<Float>, index: Int64, clock: FrameClock, output: Emitter) throws {
        self.clock = clock
        lastIndex = index
        let samples = Array(frame)
        var energy: Float = 0
        for sample in samples { energy += sample * sample }
        let levelDB = 10 * log10(max(Double(energy) / Double(samples.count), 1e-15))
        var events: [VoiceActivityDetector.Event] = []
        let decision = detector!.push(levelDB: levelDB, index: index, events: &events)
        var voiced = false
        if decision.speech, energy > 0 {
            samples.withUnsafeBufferPointer { correlator!.autocorrelate($0, lags: lagRange.upperBound + 1, into: &autocorrelation) }
            let peak = lagRange.map { autocorrelation[$0] }.max() ?? 0
            voiced = peak / autocorrelation[0] >= voicingThreshold
        }
        window.push(speech: decision.speech, voicedOnset: voiced && !previousVoiced)
        previousVoiced = voiced
        let row: [Float] = [decision.speech ? 1 : 0, voiced ? 1 : 0, Float(levelDB), Float(decision.noiseFloorDB),
                            Float(Double(window.onsets) / (Double(window.count) * Double(clock.step.microseconds) / 1_000_000)),
                            Float(window.speechFrames) / Float(window.count)]
        try output.emit(.features(FeatureRow(row)), at: clock.time(ofFrame: index), duration: clock.step, on: 0)
        try emit(events, output: output)
        // Let consumers merging these segment streams go on without waiting for the next one.
        let earliest = detector!.earliestStarts(after: index)
        try output.advance(1, to: clock.time(ofFrame: earliest.pause))
        try output.advance(2, to: clock.time(ofFrame: earliest.speech))
    }

    private func emit(_ events: [VoiceActivityDetector.Event], output: Emitter) throws {
        guard let clock else { return }
        for event in events {
            let (span, port): (Range<Int64>, Int) = switch event {
            case .pause(let span): (span, 1)
            case .speech(let span): (span, 2)
            }
            let start = clock.time(ofFrame: span.lowerBound), end = clock.time(ofFrame: span.upperBound)
            let startSeconds = Double(start.microseconds) / 1_000_000, endSeconds = Double(end.microseconds) / 1_000_000
            try output.emit(.features(FeatureRow([Float(startSeconds), Float(endSeconds), Float(endSeconds - startSeconds)])),
                            at: start, duration: end - start, on: port)
        }
    }
}
