import DequeModule
import EmoPipeCore
import Foundation

/// `fuse.ambivalence`: an ambivalence/hesitancy score per fused frame, from cross-modal discord,
/// valence alternation and hesitation cues (`AmbivalenceCues`), with the cues that drove it.
///
/// Input 1 is `fuse.affect`; the others are any feature streams carrying the cue columns it knows
/// (found by name): `speech` and `voiced_segments_per_s` (audio.vad frames), `gaze_aversion`,
/// `head_shake`, `AU23_r`, `AU04_r` (face.cues), `filled_pauses`, `hedges`, `reversals`,
/// `self_corrections` (text.cues), `text_ah` and its contributions (text.ambivalence). Each record
/// is the affect record with `ah`, `ah_label` and the top cues (name and raw value) first, then the
/// affect's own cues.
///
/// Two rules, documented in `AmbivalenceCues`:
/// - with a fitted text score (`text.ambivalence`, the transcript so far), the score is
///   `sigmoid(logit(text_ah) + sum of weight x cue)` over the non-verbal cues only (discord,
///   pause, speech-rate drop, gaze aversion, head shake, lip press, brow lowering): the fitted
///   model already holds the words' hesitation, and with no non-verbal evidence the score is the
///   text model's own (0.5 = its fitted threshold). Its cues: `text_ah`, then the text parts and
///   non-verbal cues that raised it most (`text_*` values are contributions to the logit);
/// - without one, the design-weighted logistic of every cue, text counts included.
///
/// Files: a frame is scored once every input has passed its time. Live (`StageContext.live`):
/// cue rows are taken as they arrive and a frame is scored as soon as it comes, from the cues
/// that have arrived by then.
public final class AmbivalenceStage: Stage {
    public static let descriptor = StageDescriptor(
        name: "fuse.ambivalence", role: .transform,
        summary: "A/H score per frame from cross-modal discord, valence alternation and hesitation cues, with its top cues.",
        inputs: [
            PortSpec("affect", [.prediction], "fuse.affect records."),
            PortSpec("cues", [.features], optional: true, variadic: true, "Streams with cue columns: audio.vad frames, face.cues, text.cues."),
        ],
        outputs: [PortSpec("ah", [.prediction], "The affect records with ah, ah_label and their top cues.")],
        parameters: [
            ParameterSpec("threshold", .number, default: .number(0.5), range: 0...1, "Score at or above which ah_label is 1."),
            ParameterSpec("window_s", .number, default: .number(4), unit: "s", range: 0.5...120,
                          "Window for valence alternation and counted text cues."),
            ParameterSpec("discord_s", .number, default: .number(2), unit: "s", range: 0...60,
                          "Discord is the mean valence gap over this trailing window: only sustained disagreement counts (0 = this frame only)."),
            ParameterSpec("top_cues", .integer, default: .integer(3), range: 1...10, "How many contributing cues each record names."),
        ],
        liveArrivalOrder: true,
        make: { .stage(AmbivalenceStage(parameters: $0)) })

    /// Raw cue columns and where they are, per cue input.
    private struct CueColumns {
        var speech: Int?, rate: Int?, gaze: Int?, shake: Int?, lipPress: Int?, browLower: Int?
        var filled: Int?, hedges: Int?, reversals: Int?, corrections: Int?
        /// text.ambivalence: the score column and the contribution columns.
        var text: (score: Int, parts: [(name: String, index: Int)])?
    }

    private let threshold: Double
    private let window: Timestamp
    private let topCues: Int
    private let discordWindow: Timestamp
    private var gaps = Deque<(time: Timestamp, gap: Double, pair: String)>()
    private var columns: [CueColumns] = []
    private var pending = Deque<(Packet, Prediction)>()
    // Latest face and voice state.
    private var gaze = 0.0, shake = 0.0, lipPress = 0.0, browLower = 0.0
    private var faceSeen: Timestamp?
    private var lastSpeech: Timestamp?
    private var silenceStart: Timestamp?
    private var rateMedian = RunningMedianSmall()
    private var currentRate: Double?
    private var textEvents = Deque<(time: Timestamp, filled: Double, hedges: Double)>()
    private var valenceSigns = Deque<(time: Timestamp, sign: Int)>()
    /// The latest fitted text score and its contributions (the transcript so far: held to the end).
    private var text: (score: Double, parts: [(name: String, value: Double)])?
    private var live = false

    init(parameters: Parameters) {
        threshold = parameters.number("threshold")
        window = Timestamp(seconds: parameters.number("window_s"))
        topCues = parameters.integer("top_cues")
        discordWindow = Timestamp(seconds: parameters.number("discord_s"))
    }

    public func prepare(inputs: [StreamFormat], context: StageContext) throws -> [StreamFormat] {
        guard case .prediction = inputs[0] else { throw StageError("fuse.ambivalence's first input must be fuse.affect") }
        live = context.live
        for format in inputs.dropFirst() {
            guard case .features(let schema) = format else { throw StageError("fuse.ambivalence cue inputs must be feature streams") }
            columns.append(CueColumns(
                speech: schema.index(of: "speech"), rate: schema.index(of: "voiced_segments_per_s"),
                gaze: schema.index(of: "gaze_aversion"), shake: schema.index(of: "head_shake"),
                lipPress: schema.index(of: "AU23_r"), browLower: schema.index(of: "AU04_r"),
                filled: schema.index(of: "filled_pauses"), hedges: schema.index(of: "hedges"),
                reversals: schema.index(of: "reversals"), corrections: schema.index(of: "self_corrections"),
                text: TextAmbivalenceStage.locate(in: schema)))
        }
        return [.prediction]
    }

    public func process(_ packet: Packet, input: Int, output: Emitter) throws {
        if live {
            // Live: score a frame as it comes, from the cues that have arrived.
            switch packet.payload {
            case .features(let row) where input > 0: absorb(row, columns: columns[input - 1], at: packet.timestamp)
            case .prediction(let affect) where input == 0:
                try output.emit(.prediction(score(affect, at: packet.timestamp)), at: packet.timestamp, duration: packet.duration)
            default: break
            }
            return
        }
        // A frame is scored once every input has passed its time, so cue rows stamped at the same
        // time (which arrive after it: ties go to the lower input) count for it.
        try scorePending(before: packet.timestamp, output: output)
        switch packet.payload {
        case .features(let row) where input > 0:
            absorb(row, columns: columns[input - 1], at: packet.timestamp)
        case .prediction(let affect) where input == 0:
            pending.append((packet, affect))
        default:
            break
        }
    }

    public func finish(output: Emitter) throws { try scorePending(before: nil, output: output) }

    private func scorePending(before time: Timestamp?, output: Emitter) throws {
        while let (packet, affect) = pending.first, time.map({ packet.timestamp < $0 }) ?? true {
            pending.removeFirst()
            try output.emit(.prediction(score(affect, at: packet.timestamp)), at: packet.timestamp, duration: packet.duration)
        }
    }

    private func absorb(_ row: FeatureRow, columns c: CueColumns, at time: Timestamp) {
        func value(_ index: Int?) -> Double? {
            guard let index, row.values[index].isFinite else { return nil }
            return Double(row.values[index])
        }
        if let speech = value(c.speech) {
            if speech >= 0.5 {
                lastSpeech = time
                silenceStart = nil
            } else if silenceStart == nil {
                silenceStart = time
            }
        }
        if let rate = value(c.rate), let speech = value(c.speech), speech >= 0.5 {
            rateMedian.add(rate)
            currentRate = rate
        }
        if c.gaze != nil || c.shake != nil {
            gaze = value(c.gaze) ?? 0
            shake = value(c.shake) ?? 0
            lipPress = value(c.lipPress) ?? 0
            browLower = value(c.browLower) ?? 0
            faceSeen = time
        }
        if let columns = c.text, let scored = TextAmbivalenceStage.read(row, at: columns) { text = scored }
        if c.filled != nil || c.hedges != nil {
            let filled = value(c.filled) ?? 0
            let hedges = (value(c.hedges) ?? 0) + (value(c.reversals) ?? 0) + (value(c.corrections) ?? 0)
            if filled > 0 || hedges > 0 { textEvents.append((time, filled, hedges)) }
        }
    }

    func score(_ affect: Prediction, at time: Timestamp) -> Prediction {
        var values: [String: Double] = [:]
        var raw: [String: Double] = [:]
        // Discord: the largest valence gap between two present modalities.
        let valences = affect.cues.filter { $0.name.hasSuffix("_valence") && $0.value.isFinite }
        var gap = 0.0, pair = ""
        for (i, a) in valences.enumerated() {
            for b in valences[(i + 1)...] where abs(Double(a.value - b.value)) > gap {
                gap = abs(Double(a.value - b.value))
                pair = a.name.replacingOccurrences(of: "_valence", with: "") + "_" + b.name.replacingOccurrences(of: "_valence", with: "")
            }
        }
        // Sustained: the mean gap over the discord window (frames without two modalities count 0).
        gaps.append((time, gap, pair))
        while let first = gaps.first, first.time < time - discordWindow { gaps.removeFirst() }
        let meanGap = gaps.reduce(0) { $0 + $1.gap } / Double(gaps.count)
        if pair.isEmpty { pair = gaps.last { !$0.pair.isEmpty }?.pair ?? "" }
        values["discord"] = meanGap / 1.2
        raw["discord"] = meanGap
        // Alternation of the fused valence's sign within the window (|v| > 0.2 counts).
        while let first = valenceSigns.first, first.time < time - window { valenceSigns.removeFirst() }
        if affect.valence.isFinite, abs(affect.valence) > 0.2 {
            let sign = affect.valence > 0 ? 1 : -1
            if valenceSigns.last?.sign != sign { valenceSigns.append((time, sign)) }
        }
        let changes = Double(max(0, valenceSigns.count - 1))
        values["valence_alternation"] = changes / 3
        raw["valence_alternation"] = changes
        // A pause: silence since speech that came within the last 5 s.
        if let start = silenceStart, let speech = lastSpeech, time - speech <= Timestamp(seconds: 5) {
            let pause = Double((time - start).microseconds) / 1e6
            values["pause"] = pause / 2
            raw["pause"] = pause
        }
        while let first = textEvents.first, first.time < time - window { textEvents.removeFirst() }
        let filled = textEvents.reduce(0) { $0 + $1.filled }, hedges = textEvents.reduce(0) { $0 + $1.hedges }
        values["filled_pauses"] = filled / 2
        raw["filled_pauses"] = filled
        values["hedges"] = hedges / 3
        raw["hedges"] = hedges
        if let rate = currentRate, let median = rateMedian.median, median > 0, rate < median {
            values["speech_rate_drop"] = 1 - rate / median
            raw["speech_rate_drop"] = 1 - rate / median
        }
        if let seen = faceSeen, time - seen <= Timestamp(seconds: 1) {
            values["gaze_aversion"] = gaze
            raw["gaze_aversion"] = gaze
            values["head_shake"] = shake / 4
            raw["head_shake"] = shake
            values["lip_press"] = lipPress / 5
            raw["lip_press"] = lipPress
            values["brow_lowering"] = browLower / 5
            raw["brow_lowering"] = browLower
        }
        if let text {
            // The fitted text score carries the words' hesitation: add only the non-verbal cues.
            for name in ["valence_alternation", "filled_pauses", "hedges"] { values[name] = nil }
            let (score, contributions) = AmbivalenceCues.score(values, base: text.score)
            let parts = text.parts.map { (name: $0.name, contribution: $0.value, value: $0.value) }
                + contributions.map { (name: $0.0, contribution: $0.1, value: raw[$0.0] ?? 0) }
            let top = [Cue(name: "text_ah", value: Float(text.score))] + Self.strongest(parts, count: topCues, discordPair: pair)
            return record(affect, score: score, cues: top)
        }
        let (score, contributions) = AmbivalenceCues.score(values)
        let top = Self.strongest(contributions.map { (name: $0.0, contribution: $0.1, value: raw[$0.0] ?? 0) }, count: topCues, discordPair: pair)
        return record(affect, score: score, cues: top)
    }

    /// The `count` cues with the largest contributions above 0.05 (earlier ones first on ties).
    static func strongest(_ parts: [(name: String, contribution: Double, value: Double)], count: Int, discordPair: String) -> [Cue] {
        parts.enumerated().filter { $0.element.contribution > 0.05 }
            .sorted { $0.element.contribution > $1.element.contribution || ($0.element.contribution == $1.element.contribution && $0.offset < $1.offset) }
            .prefix(count)
            .map { item in
                let name = item.element.name
                return Cue(name: name == "discord" && !discordPair.isEmpty ? "discord_" + discordPair : name, value: Float(item.element.value))
            }
    }

    private func record(_ affect: Prediction, score: Double, cues top: [Cue]) -> Prediction {
        var result = affect
        result.ambivalence = Float(score)
        result.ambivalent = score >= threshold
        result.cues = top + affect.cues
        return result
    }
}

/// The running median of speech rates (0-20 voiced segments per second), from a histogram of
/// 0.01 bins: constant memory and time however long the input.
struct RunningMedianSmall {
    private var counts = [Int](repeating: 0, count: 2000)
    private var total = 0

    mutating func add(_ value: Double) {
        counts[min(max(Int(value * 100), 0), counts.count - 1)] += 1
        total += 1
    }

    var median: Double? {
        guard total > 0 else { return nil }
        var seen = 0
        for (bin, count) in counts.enumerated() {
            seen += count
            if 2 * seen >= total { return (Double(bin) + 0.5) / 100 }
        }
        return nil
    }
}
