import EmoPipeCore
import Foundation

/// `aggregate.recording`: the recording-level record of an input from its frame records
/// (DESIGN.md section 5), written once, at the end.
///
/// A/H segments are the spans where the frame score stays at or above `threshold`, with gaps up
/// to `merge_gap_s` bridged and segments shorter than `min_duration_s` dropped: the shape of BAH's
/// annotations. The recording is labelled A/H when any segment remains (BAH labels a video A/H
/// when it holds an A/H segment); its score is the mean of the top tenth of frame scores.
public final class RecordingAggregateStage: Stage {
    public static let descriptor = StageDescriptor(
        name: "aggregate.recording", role: .transform,
        summary: "Recording-level record: coverage, dominant emotion, valence/arousal statistics, A/H score, label and segments.",
        inputs: [PortSpec("frames", [.prediction], "Frame records (fuse.ambivalence, or fuse.affect).")],
        outputs: [PortSpec("recording", [.recording], "One record at the end of the input, stamped with the last frame's time.")],
        parameters: [
            ParameterSpec("threshold", .number, default: .number(0.5), range: 0...1, "Frame A/H score that starts a segment."),
            ParameterSpec("min_duration_s", .number, default: .number(0.5), unit: "s", range: 0...600, "Shorter segments are dropped."),
            ParameterSpec("merge_gap_s", .number, default: .number(0.3), unit: "s", range: 0...600, "Segments this close are merged."),
        ],
        make: { .stage(RecordingAggregateStage(parameters: $0)) })

    private let threshold: Double
    private let minDuration: Double
    private let mergeGap: Double
    private var frames: [(time: Double, end: Double, prediction: Prediction)] = []
    private var lastTime = Timestamp.zero
    private var pipeline = ""
    private var configHash = ""
    private var calibration = Calibration.none

    init(parameters: Parameters) {
        threshold = parameters.number("threshold")
        minDuration = parameters.number("min_duration_s")
        mergeGap = parameters.number("merge_gap_s")
    }

    public func prepare(inputs: [StreamFormat], context: StageContext) throws -> [StreamFormat] {
        pipeline = context.pipelineName
        configHash = context.configHash
        calibration = context.calibration
        return [.recording]
    }

    public func process(_ packet: Packet, input: Int, output: Emitter) throws {
        guard case .prediction(let prediction) = packet.payload else { return }
        let time = Double(packet.timestamp.microseconds) / 1e6
        frames.append((time, time + Double(packet.duration.microseconds) / 1e6, prediction))
        lastTime = packet.timestamp
        // The record comes at the end, stamped with the last frame's time: promise nothing earlier,
        // so a sink joining it with the frames never has to hold them back.
        try output.advance(0, to: packet.timestamp)
    }

    public func finish(output: Emitter) throws {
        try output.emit(.recording(summarise()), at: lastTime)
    }

    /// Segments [start, end] where `scores` stay at or above the threshold, merged and filtered.
    static func segments(times: [Double], ends: [Double], scores: [Double], threshold: Double,
                         minDuration: Double, mergeGap: Double) -> [[Double]] {
        var raw: [[Double]] = []
        for (index, score) in scores.enumerated() where score >= threshold {
            let end = max(ends[index], index + 1 < times.count ? times[index + 1] : ends[index])
            if let last = raw.last, times[index] - last[1] <= mergeGap {
                raw[raw.count - 1][1] = max(last[1], end)
            } else {
                raw.append([times[index], end])
            }
        }
        return raw.filter { $0[1] - $0[0] >= minDuration }
    }

    func summarise() -> RecordingSummary {
        let count = frames.count
        let duration = count > 0 ? max(frames.last!.end, frames.last!.time) - frames.first!.time : 0
        var modalities: [ModalitySummary] = []
        for modality in Modality.allCases {
            let present = frames.filter { $0.prediction.present.contains(modality) }
            func mean(_ name: String) -> Float {
                let values = present.compactMap { frame in frame.prediction.cues.first { $0.name == name }?.value }.filter(\.isFinite)
                return values.isEmpty ? .nan : values.reduce(0, +) / Float(values.count)
            }
            modalities.append(ModalitySummary(coverage: count > 0 ? Float(present.count) / Float(count) : 0,
                                              valence: mean(modality.rawValue + "_valence"), arousal: mean(modality.rawValue + "_arousal")))
        }
        let estimated = frames.filter { $0.prediction.probabilities.allSatisfy(\.isFinite) && !$0.prediction.present.isEmpty }
        var shares = [Float](repeating: 0, count: EmotionCategory.allCases.count)
        for frame in estimated { shares[EmotionCategory.allCases.firstIndex(of: frame.prediction.emotion)!] += 1 }
        if !estimated.isEmpty { shares = shares.map { $0 / Float(estimated.count) } }
        var dominant = 0
        for index in shares.indices where shares[index] > shares[dominant] { dominant = index }
        func statistics(_ value: (Prediction) -> Float) -> (Float, Float) {
            let values = estimated.map { value($0.prediction) }.filter(\.isFinite)
            guard !values.isEmpty else { return (.nan, .nan) }
            let mean = values.reduce(0, +) / Float(values.count)
            let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(values.count)
            return (mean, variance.squareRoot())
        }
        let valence = statistics(\.valence), arousal = statistics(\.arousal), dominance = statistics(\.dominance)
        let scores = frames.map { Double($0.prediction.ambivalence) }.map { $0.isFinite ? $0 : 0 }
        let segments = Self.segments(times: frames.map(\.time), ends: frames.map(\.end), scores: scores,
                                     threshold: threshold, minDuration: minDuration, mergeGap: mergeGap)
        let top = scores.sorted(by: >).prefix(max(1, count / 10))
        let score = top.isEmpty ? 0 : top.reduce(0, +) / Double(top.count)
        var summary = RecordingSummary(
            duration: Float(duration), frames: count, modalities: modalities,
            dominantEmotion: EmotionCategory.allCases[dominant], dominantShare: shares[dominant], emotionShares: shares,
            valenceMean: valence.0, valenceSpread: valence.1, arousalMean: arousal.0, arousalSpread: arousal.1,
            dominanceMean: dominance.0, ambivalence: Float(score), ambivalent: !segments.isEmpty,
            ambivalenceSegments: segments.map { $0.map { Float($0) } }, pipeline: pipeline, configHash: configHash,
            version: EmoPipeVersion.current)
        if let profile = calibration.profile {
            summary.subject = profile.subject
            summary.calibration = profile.calibrationLabel
        }
        return summary
    }
}
