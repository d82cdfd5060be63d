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
    private var framer: AudioFramer?
    private var detector: VoiceActivityDetector?
    private var correlator: Correlator?
    private var autocorrelation: [Float] = []
    private var channels = 1
    private var rate = 0
    private var hop = 1
    private var padding = 0
    private var origin: Timestamp?
    private var lagRange = 1...2
    private var voicingThreshold: Float = 0.5
    private var history: [(speech: Bool, voicedOnset: Bool)] = []
    private var historyLength = 1
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
        rate = format.sampleRate
        channels = format.channels
        let frame = max(2, Int((parameters.number("frame_ms") * Double(rate) / 1000).rounded()))
        hop = max(1, Int((parameters.number("hop_ms") * Double(rate) / 1000).rounded()))
        let hopSeconds = Double(hop) / Double(rate)
        detector = VoiceActivityDetector(
            thresholdDB: parameters.number("threshold_db"), minimumDB: parameters.number("min_level_db"),
            floorRiseDBPerFrame: parameters.number("floor_rise_db_per_s") * hopSeconds,
            hangoverFrames: Int((parameters.number("hangover_ms") / 1000 / hopSeconds).rounded()),
            minimumPauseFrames: Int((parameters.number("min_pause_ms") / 1000 / hopSeconds).rounded()))
        lagRange = max(1, rate / 500)...max(2, min(frame - 1, rate / 60))
        correlator = Correlator(size: Correlator.powerOfTwo(atLeast: 2 * frame))
        voicingThreshold = Float(parameters.number("voicing_threshold"))
        historyLength = max(1, Int((parameters.number("rate_window_s") / hopSeconds).rounded()))
        padding = frame / 2
        framer = AudioFramer(frameLength: frame, hop: hop, channels: 1)
        return schemas
    }

    public func process(_ packet: Packet, input: Int, output: Emitter) throws {
        guard case .audio(let chunk) = packet.payload, framer != nil else { return }
        if origin == nil {
            origin = packet.timestamp
            try push([Float](repeating: 0, count: padding), output: output)
        }
        try push(downmixToMono(chunk.samples[...], channels: channels), output: output)
    }

    public func finish(output: Emitter) throws {
        guard origin != nil, detector != nil else { return }
        try push([Float](repeating: 0, count: padding), output: output)
        var events: [VoiceActivityDetector.Event] = []
        detector!.finish(at: lastIndex + 1, events: &events)
        try emit(events, output: output)
    }

    private func push(_ samples: [Float], output: Emitter) throws {
        guard framer != nil, let origin else { return }
        try framer!.append(samples) { frame, index in
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
            history.append((decision.speech, voiced && !previousVoiced))
            previousVoiced = voiced
            if history.count > historyLength { history.removeFirst(history.count - historyLength) }
            let seconds = Double(history.count * hop) / Double(rate)
            let onsets = history.filter(\.voicedOnset).count, speechFrames = history.filter(\.speech).count
            let row: [Float] = [decision.speech ? 1 : 0, voiced ? 1 : 0, Float(levelDB), Float(decision.noiseFloorDB),
                                Float(Double(onsets) / seconds), Float(speechFrames) / Float(history.count)]
            try output.emit(.features(FeatureRow(row)), at: origin + Timestamp(sample: index * Int64(hop), rate: rate),
                            duration: Timestamp(sample: Int64(hop), rate: rate), on: 0)
            try emit(events, output: output)
            // Let consumers merging these segment streams go on without waiting for the next one.
            let earliest = detector!.earliestStarts(after: index)
            try output.advance(1, to: origin + Timestamp(sample: earliest.pause * Int64(hop), rate: rate))
            try output.advance(2, to: origin + Timestamp(sample: earliest.speech * Int64(hop), rate: rate))
        }
    }

    private func emit(_ events: [VoiceActivityDetector.Event], output: Emitter) throws {
        guard let origin else { return }
        for event in events {
            let (span, port): (Range<Int64>, Int) = switch event {
            case .pause(let span): (span, 1)
            case .speech(let span): (span, 2)
            }
            let start = Timestamp(sample: span.lowerBound * Int64(hop), rate: rate)
            let length = Timestamp(sample: Int64(span.count) * Int64(hop), rate: rate)
            let startSeconds = Double(start.microseconds) / 1_000_000, lengthSeconds = Double(length.microseconds) / 1_000_000
            try output.emit(.features(FeatureRow([Float(startSeconds), Float(startSeconds + lengthSeconds), Float(lengthSeconds)])),
                            at: origin + start, duration: length, on: port)
        }
    }
}
