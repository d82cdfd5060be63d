import EmoPipeCore
import Foundation

/// `aggregate.recording`: the recording-level record of an input from its frame records
/// (DESIGN.md section 5), written once, at the end.
///
/// A/H segments are the spans where the frame score stays at or above `threshold`, with gaps up
/// to `merge_gap_s` bridged and segments shorter than `min_duration_s` dropped: the shape of BAH's
/// annotations. The recording's A/H score and label:
/// - with the fitted text score (`text.ambivalence` on the second input) of a transcript that has
///   words: `sigmoid(logit(text score of the whole transcript) + mean non-verbal shift)`, where a
///   frame's shift is how far the non-verbal cues moved its score from the text score it was given
///   (`logit(frame ah) - logit(text_ah then)`); labelled A/H at `threshold`. This is the text
///   model's own answer when no face or voice cue speaks (the transcript-only case);
/// - otherwise the mean of the top tenth of frame scores, labelled A/H when any segment remains
///   (BAH labels a video A/H when it holds an A/H segment).
/// `ah_cues` name what drove it: the text score and its strongest parts, the non-verbal shift, or
/// the cues most often on top in A/H frames.
public final class RecordingAggregateStage: Stage {
    public static let descriptor = StageDescriptor(
        name: "aggregate.recording", role: .transform,
        summary: "Recording-level record: coverage, dominant emotion, valence/arousal statistics, A/H score, label and segments.",
        inputs: [
            PortSpec("frames", [.prediction], "Frame records (fuse.ambivalence, or fuse.affect)."),
            PortSpec("text", [.features], optional: true, "text.ambivalence rows: the fitted text A/H of the transcript so far."),
        ],
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
    private var textColumns: (score: Int, parts: [(name: String, index: Int)])?
    /// The latest text row: score and contributions.
    private var text: (score: Double, parts: [(name: String, value: Double)])?
    /// Sum and count of the frames' non-verbal shifts from the text score.
    private var shiftSum = 0.0, shiftCount = 0

    init(parameters: Parameters) {
        threshold = parameters.number("threshold")
        minDuration = parameters.number("min_duration_s")
        mergeGap = parameters.number("merge_gap_s")
    }

    public func prepare(inputs: [StreamFormat], context: StageContext) throws -> [StreamFormat] {
        pipeline = context.pipelineName
        configHash = context.configHash
        calibration = context.calibration
        if inputs.count > 1 {
            guard case .features(let schema) = inputs[1], let score = schema.index(of: "text_ah") else {
                throw StageError("aggregate.recording's second input must be text.ambivalence (a text_ah column)")
            }
            textColumns = (score, schema.names.enumerated().filter { $0.element.hasPrefix("text_") && !$0.element.hasPrefix("text_ah") }
                .map { ($0.element, $0.offset) })
        }
        return [.recording]
    }

    public func process(_ packet: Packet, input: Int, output: Emitter) throws {
        if input == 1, case .features(let row) = packet.payload, let columns = textColumns {
            let score = Double(row.values[columns.score])
            if score.isFinite { text = (score, columns.parts.map { ($0.name, Double(row.values[$0.index])) }) }
            return
        }
        guard case .prediction(let prediction) = packet.payload else { return }
        if let text, prediction.ambivalence.isFinite {
            shiftSum += Self.logit(Double(prediction.ambivalence)) - Self.logit(text.score)
            shiftCount += 1
        }
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

    static func logit(_ p: Double) -> Double {
        let q = min(max(p, 1e-9), 1 - 1e-9)
        return log(q / (1 - q))
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
        var score: Double, ambivalent: Bool, cues: [Cue]
        if let text {
            let shift = shiftCount > 0 ? shiftSum / Double(shiftCount) : 0
            score = 1 / (1 + exp(-(Self.logit(text.score) + shift)))
            ambivalent = score >= threshold
            let parts = text.parts.filter { $0.value > 0.05 }.sorted { $0.value > $1.value }.prefix(3)
            cues = [Cue(name: "text_ah", value: Float(text.score))] + parts.map { Cue(name: $0.name, value: Float($0.value)) }
            if shift > 0.05 { cues.append(Cue(name: "nonverbal_shift", value: Float(shift))) }
        } else {
            let top = scores.sorted(by: >).prefix(max(1, count / 10))
            score = top.isEmpty ? 0 : top.reduce(0, +) / Double(top.count)
            ambivalent = !segments.isEmpty
            cues = Self.frequentCues(frames.filter { $0.prediction.ambivalent }.map(\.prediction))
        }
        var summary = RecordingSummary(
            duration: Float(duration), frames: count, modalities: modalities,
            dominantEmotion: EmotionCategory.allCases[dominant], dominantShare: shares[dominant], emotionShares: shares,
            valenceMean: valence.0, valenceSpread: valence.1, arousalMean: arousal.0, arousalSpread: arousal.1,
            dominanceMean: dominance.0, ambivalence: Float(score), ambivalent: ambivalent,
            ambivalenceSegments: segments.map { $0.map { Float($0) } }, pipeline: pipeline, configHash: configHash,
            version: EmoPipeVersion.current)
        summary.ambivalenceCues = cues
        if let profile = calibration.profile {
            summary.subject = profile.subject
            summary.calibration = profile.calibrationLabel
        }
        return summary
    }

    /// The A/H cues most often strongest in A/H frames (each frame's first cue that is an A/H cue),
    /// up to three, most frequent first, with their mean values.
    static func frequentCues(_ frames: [Prediction]) -> [Cue] {
        let names = Set(AmbivalenceCues.weights.map(\.name))
        var tally: [String: (count: Int, sum: Double)] = [:]
        for frame in frames {
            guard let cue = frame.cues.first(where: { names.contains($0.name) || $0.name.hasPrefix("discord_") }) else { continue }
            tally[cue.name, default: (0, 0)].count += 1
            tally[cue.name, default: (0, 0)].sum += Double(cue.value)
        }
        return tally.sorted { $0.value.count > $1.value.count || ($0.value.count == $1.value.count && $0.key < $1.key) }
            .prefix(3).map { Cue(name: $0.key, value: Float($0.value.sum / Double($0.value.count))) }
    }
}
