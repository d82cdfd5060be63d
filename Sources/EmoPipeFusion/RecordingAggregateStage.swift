import EmoPipeCore
import Foundation

/// `aggregate.recording`: the recording-level record of an input from its frame records
/// (DESIGN.md section 5), written at the end, and every `summary_every_s` before it when asked
/// (interim records, `"interim": true`, for live dashboards).
///
/// It keeps running statistics and the open segment, not the frames: memory stays flat however
/// long a live run goes. (The top tenth of frame scores comes from a 10,000-bin histogram with
/// per-bin sums: exact but for the one bin the cut falls in.)
///
/// The recording's emotion pools the frames with an estimate: the category with the highest mean
/// log-probability (`emotion`, with the pooled `emotion_probabilities`), as `emopipe train` decides
/// a held-out recording from its windows; `emotion_shares` count how often each was on top.
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
        summary: "Recording-level record: coverage, emotion (pooled frame probabilities) and shares, valence/arousal statistics, A/H score, label and segments.",
        inputs: [
            PortSpec("frames", [.prediction], "Frame records (fuse.ambivalence, or fuse.affect)."),
            PortSpec("text", [.features], optional: true, "text.ambivalence rows: the fitted text A/H of the transcript so far."),
            PortSpec("words", [.text], optional: true, "The words (source.transcript or audio.transcribe): the record says where they came from, how many, and their mean confidence."),
        ],
        outputs: [PortSpec("recording", [.recording], "One record at the end of the input, stamped with the last frame's time.")],
        parameters: [
            ParameterSpec("threshold", .number, default: .number(0.5), range: 0...1, "Frame A/H score that starts a segment."),
            ParameterSpec("min_duration_s", .number, default: .number(0.5), unit: "s", range: 0...600, "Shorter segments are dropped."),
            ParameterSpec("merge_gap_s", .number, default: .number(0.3), unit: "s", range: 0...600, "Segments this close are merged."),
            ParameterSpec("summary_every_s", .number, default: .number(0), unit: "s", range: 0...86_400,
                          "Also emit an interim recording record whenever this much more input time has passed (0 = only the final one); `emopipe run --summary-every`."),
        ],
        liveArrivalOrder: true,
        make: { .stage(RecordingAggregateStage(parameters: $0)) })

    private let threshold: Double
    private let minDuration: Double
    private let mergeGap: Double
    private let summaryEvery: Double
    private var nextSummary: Double
    private var lastTime = Timestamp.zero
    private var pipeline = ""
    private var configHash = ""
    private var calibration = Calibration.none
    private var textColumns: (score: Int, parts: [(name: String, index: Int)])?
    /// The latest text row: score and contributions.
    private var text: (score: Double, parts: [(name: String, value: Double)])?
    /// The words: whether the stream is connected, their origin, count and confidences.
    private var wordsConnected = false
    private var wordOrigin = ""
    private var wordCount = 0
    private var confidenceSum = 0.0, confidenceCount = 0
    /// Sum and count of the frames' non-verbal shifts from the text score.
    private var shiftSum = 0.0, shiftCount = 0

    // Running statistics of the frames.
    private var count = 0
    private var firstTime: Double?
    private var lastEnd = 0.0
    private var present = [Int](repeating: 0, count: Modality.allCases.count)
    private var modalityValence = [RunningMean](repeating: RunningMean(), count: Modality.allCases.count)
    private var modalityArousal = [RunningMean](repeating: RunningMean(), count: Modality.allCases.count)
    private var estimated = 0
    private var shares = [Int](repeating: 0, count: EmotionCategory.allCases.count)
    /// Sum over the frames with an estimate of each category's log-probability (floored at 1e-6).
    private var logSums = [Double](repeating: 0, count: EmotionCategory.allCases.count)
    private var valence = RunningMean(), arousal = RunningMean(), dominance = RunningMean()
    private var scores = TopFractionMean()
    private var segments: SegmentTracker
    private var cueTally: [String: (count: Int, sum: Double)] = [:]

    init(parameters: Parameters) {
        threshold = parameters.number("threshold")
        minDuration = parameters.number("min_duration_s")
        mergeGap = parameters.number("merge_gap_s")
        summaryEvery = parameters.number("summary_every_s")
        nextSummary = summaryEvery
        segments = SegmentTracker(threshold: threshold, minDuration: minDuration, mergeGap: mergeGap)
    }

    public func prepare(inputs: [StreamFormat], context: StageContext) throws -> [StreamFormat] {
        pipeline = context.pipelineName
        configHash = context.configHash
        calibration = context.calibration
        if inputs.count > 1 {
            guard case .features(let schema) = inputs[1], let columns = TextAmbivalenceStage.locate(in: schema) else {
                throw StageError("aggregate.recording's second input must be text.ambivalence (a text_ah column)")
            }
            textColumns = columns
        }
        wordsConnected = inputs.count > 2
        return [.recording]
    }

    public func process(_ packet: Packet, input: Int, output: Emitter) throws {
        if input == 2, case .text(let segment) = packet.payload {
            if wordOrigin.isEmpty { wordOrigin = segment.origin }
            if segment.words.isEmpty {
                wordCount += segment.text.split(whereSeparator: \.isWhitespace).count
            } else {
                wordCount += segment.words.count
                for word in segment.words {
                    if let confidence = word.confidence { confidenceSum += Double(confidence); confidenceCount += 1 }
                }
            }
            return
        }
        if input == 1, case .features(let row) = packet.payload, let columns = textColumns {
            if let scored = TextAmbivalenceStage.read(row, at: columns) { text = scored }
            return
        }
        guard case .prediction(let prediction) = packet.payload else { return }
        if let text, prediction.ambivalence.isFinite {
            shiftSum += Self.logit(Double(prediction.ambivalence)) - Self.logit(text.score)
            shiftCount += 1
        }
        let time = Double(packet.timestamp.microseconds) / 1e6
        add(prediction, time: time, end: time + Double(packet.duration.microseconds) / 1e6)
        lastTime = max(lastTime, packet.timestamp)
        if summaryEvery > 0, let first = firstTime, time - first >= nextSummary {
            nextSummary += summaryEvery * ((time - first - nextSummary) / summaryEvery + 1).rounded(.down)
            var interim = summarise()
            interim.interim = true
            try output.emit(.recording(interim), at: lastTime)
        } else {
            // The record comes at the end, stamped with the last frame's time: promise nothing
            // earlier, so a sink joining it with the frames never has to hold them back.
            try output.advance(0, to: lastTime)
        }
    }

    public func finish(output: Emitter) throws {
        try output.emit(.recording(summarise()), at: lastTime)
    }

    private func add(_ prediction: Prediction, time: Double, end: Double) {
        count += 1
        if firstTime == nil { firstTime = time }
        lastEnd = max(lastEnd, max(end, time))
        for (index, modality) in Modality.allCases.enumerated() where prediction.present.contains(modality) {
            present[index] += 1
            if let value = prediction.cues.first(where: { $0.name == modality.rawValue + "_valence" })?.value, value.isFinite {
                modalityValence[index].add(Double(value))
            }
            if let value = prediction.cues.first(where: { $0.name == modality.rawValue + "_arousal" })?.value, value.isFinite {
                modalityArousal[index].add(Double(value))
            }
        }
        if prediction.probabilities.allSatisfy(\.isFinite) && !prediction.present.isEmpty {
            estimated += 1
            shares[EmotionCategory.allCases.firstIndex(of: prediction.emotion)!] += 1
            for (index, p) in prediction.probabilities.enumerated() { logSums[index] += log(max(Double(p), 1e-6)) }
            if prediction.valence.isFinite { valence.add(Double(prediction.valence)) }
            if prediction.arousal.isFinite { arousal.add(Double(prediction.arousal)) }
            if prediction.dominance.isFinite { dominance.add(Double(prediction.dominance)) }
        }
        let score = prediction.ambivalence.isFinite ? Double(prediction.ambivalence) : 0
        scores.add(score)
        segments.add(time: time, end: end, score: score)
        if prediction.ambivalent {
            if let cue = prediction.cues.first(where: { Self.cueNames.contains($0.name) || $0.name.hasPrefix("discord_") }) {
                cueTally[cue.name, default: (0, 0)].count += 1
                cueTally[cue.name, default: (0, 0)].sum += Double(cue.value)
            }
        }
    }

    /// The names of the A/H cues (`AmbivalenceCues`), to tell them from the affect cues of a frame.
    private static let cueNames = Set(AmbivalenceCues.weights.map(\.name))

    static func logit(_ p: Double) -> Double {
        let q = min(max(p, 1e-9), 1 - 1e-9)
        return log(q / (1 - q))
    }

    /// Segments [start, end] where `scores` stay at or above the threshold, merged and filtered.
    static func segments(times: [Double], ends: [Double], scores: [Double], threshold: Double,
                         minDuration: Double, mergeGap: Double) -> [[Double]] {
        var tracker = SegmentTracker(threshold: threshold, minDuration: minDuration, mergeGap: mergeGap)
        for index in times.indices { tracker.add(time: times[index], end: ends[index], score: scores[index]) }
        return tracker.segments()
    }

    func summarise() -> RecordingSummary {
        let duration = count > 0 ? lastEnd - firstTime! : 0
        let modalities = Modality.allCases.indices.map { index in
            ModalitySummary(coverage: count > 0 ? Float(present[index]) / Float(count) : 0,
                            valence: Float(modalityValence[index].mean), arousal: Float(modalityArousal[index].mean))
        }
        let fractions = shares.map { estimated > 0 ? Float($0) / Float(estimated) : 0 }
        // The recording's emotion pools the frames' probabilities (mean log-probability): a clip of
        // three windows that lean to anger is anger, even if one window's top class was fear.
        let pooled = estimated > 0 ? LogisticRegression.softmax(logSums.map { $0 / Double(estimated) }) : []
        var dominant = 0
        for index in pooled.indices where pooled[index] > pooled[dominant] { dominant = index }
        let segmentList = segments.segments()
        var score: Double, ambivalent: Bool, cues: [Cue]
        if let text {
            let shift = shiftCount > 0 ? shiftSum / Double(shiftCount) : 0
            score = 1 / (1 + exp(-(Self.logit(text.score) + shift)))
            ambivalent = score >= threshold
            let parts = text.parts.filter { $0.value > 0.05 }.sorted { $0.value > $1.value }.prefix(3)
            cues = [Cue(name: "text_ah", value: Float(text.score))] + parts.map { Cue(name: $0.name, value: Float($0.value)) }
            if shift > 0.05 { cues.append(Cue(name: "nonverbal_shift", value: Float(shift))) }
        } else {
            score = scores.topMean(max(1, count / 10))
            ambivalent = !segmentList.isEmpty
            cues = cueTally.sorted { $0.value.count > $1.value.count || ($0.value.count == $1.value.count && $0.key < $1.key) }
                .prefix(3).map { Cue(name: $0.key, value: Float($0.value.sum / Double($0.value.count))) }
        }
        var summary = RecordingSummary(
            duration: Float(duration), frames: count, modalities: modalities,
            dominantEmotion: EmotionCategory.allCases[dominant], dominantShare: fractions[dominant], emotionShares: fractions,
            valenceMean: Float(valence.mean), valenceSpread: Float(valence.standardDeviation), arousalMean: Float(arousal.mean),
            arousalSpread: Float(arousal.standardDeviation), dominanceMean: Float(dominance.mean), ambivalence: Float(score),
            ambivalent: ambivalent, ambivalenceSegments: segmentList.map { $0.map { Float($0) } }, pipeline: pipeline,
            configHash: configHash, version: EmoPipeVersion.current)
        summary.emotionProbabilities = pooled.map { Float($0) }
        summary.ambivalenceCues = cues
        if wordsConnected {
            summary.words = WordsSummary(source: wordCount > 0 ? (wordOrigin.isEmpty ? "transcript" : wordOrigin) : "none", count: wordCount,
                                         meanConfidence: confidenceCount > 0 ? Float(confidenceSum / Double(confidenceCount)) : nil)
        }
        if let profile = calibration.profile {
            summary.subject = profile.subject
            summary.calibration = profile.calibrationLabel
        }
        return summary
    }
}

/// A running mean and population standard deviation (Welford); NaN before any value.
struct RunningMean: Sendable {
    private var n = 0
    private var m = 0.0
    private var s = 0.0

    mutating func add(_ x: Double) {
        n += 1
        let delta = x - m
        m += delta / Double(n)
        s += delta * (x - m)
    }

    var mean: Double { n > 0 ? m : .nan }
    var standardDeviation: Double { n > 0 ? (s / Double(n)).squareRoot() : .nan }
}

/// The mean of the largest k of many scores in [0, 1], from a histogram of 10,000 bins with each
/// bin's sum: exact except inside the bin where the k-th largest falls (taken at its bin's mean).
struct TopFractionMean: Sendable {
    private var counts = [Int](repeating: 0, count: 10_000)
    private var sums = [Double](repeating: 0, count: 10_000)

    mutating func add(_ score: Double) {
        let bin = min(max(Int(score * 10_000), 0), counts.count - 1)
        counts[bin] += 1
        sums[bin] += score
    }

    func topMean(_ k: Int) -> Double {
        var remaining = k, total = 0.0
        for bin in counts.indices.reversed() where counts[bin] > 0 {
            let take = min(remaining, counts[bin])
            total += take == counts[bin] ? sums[bin] : Double(take) * sums[bin] / Double(counts[bin])
            remaining -= take
            if remaining == 0 { break }
        }
        let taken = k - remaining
        return taken > 0 ? total / Double(taken) : 0
    }
}

/// A/H segments built frame by frame: runs of frames at or above the threshold (a frame lasts to
/// the next frame's start, or its own end if later), joined across gaps up to `mergeGap`, kept
/// when at least `minDuration` long. Holds only the open segment and the finished ones.
struct SegmentTracker: Sendable {
    let threshold: Double, minDuration: Double, mergeGap: Double
    private var finished: [[Double]] = []
    private var open: [Double]?
    /// The last frame, when it was at or above the threshold: its end waits for the next start.
    private var pending: (time: Double, end: Double)?

    init(threshold: Double, minDuration: Double, mergeGap: Double) {
        self.threshold = threshold
        self.minDuration = minDuration
        self.mergeGap = mergeGap
    }

    mutating func add(time: Double, end: Double, score: Double) {
        if let pending { close(pending.time, max(pending.end, time)) }
        pending = score >= threshold ? (time, end) : nil
    }

    private mutating func close(_ start: Double, _ end: Double) {
        if let current = open, start - current[1] <= mergeGap {
            open![1] = max(current[1], end)
        } else {
            if let current = open, current[1] - current[0] >= minDuration { finished.append(current) }
            open = [start, end]
        }
    }

    /// The segments so far, counting the open one and the last frame as they stand.
    func segments() -> [[Double]] {
        var copy = self
        if let pending = copy.pending { copy.close(pending.time, pending.end) }
        var result = copy.finished
        if let current = copy.open, current[1] - current[0] >= minDuration { result.append(current) }
        return result
    }
}
