import DequeModule
import EmoPipeCore
import Foundation

/// `fuse.affect`: the per-modality estimates on one clock, combined by confidence, smoothed.
///
/// The clock is the first input's timestamps (`rate_hz: 0`, e.g. the face estimates of a video:
/// one record per video frame) or a fixed rate, which runs to the end of the last estimate's span. At each tick every modality whose latest estimate
/// is still valid (within its span, or `hold_s` after it) contributes: valence, arousal and
/// dominance are confidence-weighted means over the modalities that give them, and the category
/// probabilities likewise. An exponential smoother (`smooth_s`) follows. The record's cues carry
/// each modality's own valence and arousal (`face_valence`, `voice_arousal`, ...).
///
/// A fixed-rate clock is not filled through a gap: when no estimate arrives for more than
/// `max_gap_s` (from the start, or from the last one), the ticks stop there and resume at the
/// next estimate (two transcript cues hours
/// apart give no records in between, and the work and memory stay linear in the estimates).
///
/// Two timings:
/// - files: a tick is emitted only once every input has passed it, so the result never depends
///   on thread timing and reruns are byte-identical;
/// - live (`StageContext.live`): estimates are taken as they arrive and a tick is fused as soon
///   as its clock reaches it (a packet of the first input with `rate_hz` 0, or any input passing
///   the grid time), from what has arrived by then. A modality whose estimate has not come or
///   has run out is missing from `present`; one that has run out is named stale in the cues
///   (`voice_stale_s`: seconds since its last estimate ended). An estimate that arrives after
///   ticks were emitted never changes them: it counts from the next tick on, and only when it is
///   newer than the one held.
public final class AffectFusionStage: Stage {
    public static let descriptor = StageDescriptor(
        name: "fuse.affect", role: .transform,
        summary: "Confidence-weighted fusion of per-modality estimates on one clock, with temporal smoothing.",
        inputs: [PortSpec("estimates", [.features], variadic: true, "estimate.affect streams, one per modality; the first sets the clock when rate_hz is 0.")],
        outputs: [PortSpec("affect", [.prediction], "One prediction per tick: presence, valence/arousal/dominance, category probabilities, per-modality cues.")],
        parameters: [
            ParameterSpec("rate_hz", .number, default: .number(0), unit: "Hz", range: 0...1000,
                          "Output rate; 0 = one record per timestamp of the first input (the video frame rate when it is the face)."),
            ParameterSpec("fallback_rate_hz", .number, default: .number(10), unit: "Hz", range: 0.1...1000,
                          "With rate_hz 0, the rate used when the first input has no frames to follow (a video clock without video: audio-only input)."),
            ParameterSpec("hold_s", .number, default: .number(1.0), unit: "s", range: 0...60,
                          "How long an estimate stays usable after its own span when no newer one comes (voice between windows, text between segments)."),
            ParameterSpec("smooth_s", .number, default: .number(0.4), unit: "s", range: 0...60,
                          "Time constant of the exponential smoothing of the fused values; 0 = none."),
            ParameterSpec("max_gap_s", .number, default: .number(600), unit: "s", range: 1...86400,
                          "With a fixed rate: ticks stop when no estimate has arrived for this long, and resume at the next one (a long gap is not filled)."),
        ],
        liveArrivalOrder: true,
        make: { .stage(AffectFusionStage(parameters: $0)) })

    private struct Latest {
        var estimate: AffectEstimate?
        var time: Timestamp
        var end: Timestamp
        var validUntil: Timestamp
    }

    private var rate: Double
    private let fallbackRate: Double
    private let hold: Timestamp
    private let smoothing: Double
    private let maxGap: Timestamp
    private var modalities: [Modality] = []
    private var latest: [Latest?] = []
    /// Ticks of the first input's clock (rate 0) waiting for every input to pass them.
    private var pendingTicks = Deque<Timestamp>()
    /// Fixed rate: the grid ticks `nextEmitted..<nextGridTick` wait for every input to pass them
    /// (kept as a range: a long span is not materialised).
    private var nextEmitted = 0
    private var nextGridTick = 0
    private var lastSeen: Timestamp?
    /// The end of the furthest estimate span seen: a fixed-rate clock runs until there.
    private var lastEnd: Timestamp?
    private var smoothed: (time: Timestamp, values: [Double])?
    private var live = false
    /// Live: the last tick emitted (ticks never go back).
    private var lastTick: Timestamp?

    init(parameters: Parameters) {
        rate = parameters.number("rate_hz")
        fallbackRate = parameters.number("fallback_rate_hz")
        hold = Timestamp(seconds: parameters.number("hold_s"))
        smoothing = parameters.number("smooth_s")
        maxGap = Timestamp(seconds: parameters.number("max_gap_s"))
    }

    public func prepare(inputs: [StreamFormat], context: StageContext) throws -> [StreamFormat] {
        for (index, format) in inputs.enumerated() {
            guard case .features(let schema) = format, schema.names == AffectEstimate.columns,
                  let code = schema.attributes["modality"], Modality.allCases.indices.contains(Int(code)) else {
                throw StageError("fuse.affect input \(index + 1) (\(context.inputNames[index])) is not an estimate.affect stream")
            }
            modalities.append(Modality.allCases[Int(code)])
        }
        latest = Array(repeating: nil, count: inputs.count)
        live = context.live
        // Following a video clock that has no video (image_width 0): fall back to a fixed rate.
        if rate == 0, case .features(let first) = inputs[0], first.attributes["image_width"] == 0 { rate = fallbackRate }
        return [.prediction]
    }

    public func process(_ packet: Packet, input: Int, output: Emitter) throws {
        guard case .features(let row) = packet.payload else { return }
        if live { return try processLive(row, packet: packet, input: input, output: output) }
        // The clock starts at 0, as if an estimate had come then.
        if rate > 0, packet.timestamp - (lastSeen ?? .zero) > maxGap {
            // A long gap: the ticks up to maxGap after the last arrival, then on from this packet.
            advanceGrid(through: (lastSeen ?? .zero) + maxGap, inclusive: true)
            try emitTicks(before: nil, output: output)
            skipGrid(before: packet.timestamp)
        }
        try emitTicks(before: packet.timestamp, output: output)
        if rate > 0 {
            advanceGrid(through: packet.timestamp, inclusive: true)
        } else if input == 0, pendingTicks.last != packet.timestamp {
            pendingTicks.append(packet.timestamp)
        }
        update(input, row: row, packet: packet)
    }

    /// Holds input `input`'s estimate from `packet`; a row without one (no face in the frame)
    /// still records when the modality was last heard of, for its staleness.
    private func update(_ input: Int, row: FeatureRow, packet: Packet) {
        let end = packet.timestamp + max(packet.duration, .zero)
        if let estimate = AffectEstimate(row: row.values) {
            latest[input] = Latest(estimate: estimate, time: packet.timestamp, end: end, validUntil: end + hold)
        } else {
            latest[input] = Latest(estimate: nil, time: packet.timestamp, end: packet.timestamp, validUntil: packet.timestamp)
        }
        lastSeen = max(lastSeen ?? packet.timestamp, packet.timestamp)
        lastEnd = max(lastEnd ?? end, end)
    }

    /// The time of grid tick `index`.
    private func gridTime(_ index: Int) -> Timestamp { Timestamp(seconds: Double(index) / rate) }

    /// The first grid index whose tick is after `time` (at or after it when not `inclusive`),
    /// from an estimate corrected for rounding: no loop over a long span.
    private func gridIndex(after time: Timestamp, inclusive: Bool) -> Int {
        // Timestamps hold at most 9.2e12 s and the rate 1000 Hz: the product fits, clamped anyway.
        var index = max(0, Int(min(max(time.seconds * rate, 0), 4e18).rounded(.down)) - 1)
        while inclusive ? gridTime(index) <= time : gridTime(index) < time { index += 1 }
        return index
    }

    /// Makes the grid ticks up to `time` (including it when `inclusive`) pending.
    private func advanceGrid(through time: Timestamp, inclusive: Bool) {
        nextGridTick = max(nextGridTick, gridIndex(after: time, inclusive: inclusive))
    }

    /// Drops the grid ticks before `time` that are not yet pending (the inside of a long gap).
    private func skipGrid(before time: Timestamp) {
        let first = gridIndex(after: time, inclusive: false)
        if first > nextGridTick { nextGridTick = first }
        nextEmitted = max(nextEmitted, min(nextGridTick, first))
    }

    /// Live: the grid ticks up to `time` not yet due, skipping the inside of a gap longer than
    /// `maxGap` after `lastArrival`.
    private func dueGridTicks(through time: Timestamp, lastArrival: Timestamp) -> [Timestamp] {
        var due: [Timestamp] = []
        if time - lastArrival > maxGap {
            advanceGrid(through: lastArrival + maxGap, inclusive: true)
            due += (nextEmitted..<nextGridTick).map(gridTime)
            nextEmitted = nextGridTick
            skipGrid(before: time)
        }
        advanceGrid(through: time, inclusive: true)
        due += (nextEmitted..<nextGridTick).map(gridTime)
        nextEmitted = nextGridTick
        return due
    }

    /// Live: take the estimate if it is newer than the one held, then fuse every tick its clock
    /// has reached, from what has arrived.
    private func processLive(_ row: FeatureRow, packet: Packet, input: Int, output: Emitter) throws {
        let lastArrival = lastSeen ?? .zero
        if latest[input].map({ packet.timestamp >= $0.time }) ?? true { update(input, row: row, packet: packet) }
        let due = rate > 0 ? dueGridTicks(through: packet.timestamp, lastArrival: lastArrival) : input == 0 ? [packet.timestamp] : []
        try emitLive(due, output: output)
    }

    /// Live: fuses and emits each of `ticks` after the last one emitted (ticks never go back).
    private func emitLive(_ ticks: [Timestamp], output: Emitter) throws {
        for tick in ticks where lastTick.map({ tick > $0 }) ?? true {
            lastTick = tick
            try output.emit(.prediction(fuse(at: tick)), at: tick, duration: rate > 0 ? Timestamp(seconds: 1 / rate) : .zero)
        }
    }

    public func finish(output: Emitter) throws {
        if live {
            // The grid runs on through the last estimate's span, as for files.
            guard rate > 0, let lastEnd, let lastSeen else { return }
            advanceGrid(through: min(lastEnd, lastSeen + maxGap), inclusive: lastEnd > lastSeen + maxGap)
            let due = (nextEmitted..<nextGridTick).map(gridTime)
            nextEmitted = nextGridTick
            return try emitLive(due, output: output)
        }
        if rate > 0, let lastSeen, let lastEnd {
            // Ticks up to the last estimate's time, and on through its span (at most maxGap on).
            advanceGrid(through: lastSeen, inclusive: true)
            advanceGrid(through: min(lastEnd, lastSeen + maxGap), inclusive: lastEnd > lastSeen + maxGap)
        }
        try emitTicks(before: nil, output: output)
    }

    /// Emits the ticks before `time` (all of them when nil): every input has passed them.
    private func emitTicks(before time: Timestamp?, output: Emitter) throws {
        while let tick = pendingTicks.first, time.map({ tick < $0 }) ?? true {
            pendingTicks.removeFirst()
            try output.emit(.prediction(fuse(at: tick)), at: tick, duration: .zero)
        }
        while nextEmitted < nextGridTick, time.map({ gridTime(nextEmitted) < $0 }) ?? true {
            let tick = gridTime(nextEmitted)
            nextEmitted += 1
            try output.emit(.prediction(fuse(at: tick)), at: tick, duration: Timestamp(seconds: 1 / rate))
        }
    }

    /// The fused prediction at `tick` from the estimates valid then.
    func fuse(at tick: Timestamp) -> Prediction {
        var present = Set<Modality>()
        var sums = [Double](repeating: 0, count: 3), weights = [Double](repeating: 0, count: 3)
        var probabilities = [Double](repeating: 0, count: EmotionCategory.allCases.count)
        var probabilityWeight = 0.0
        var cues: [(Cue, Double)] = []
        var stale: [Cue] = []
        for (index, entry) in latest.enumerated() {
            guard let entry else { continue }
            if live, entry.validUntil < tick, entry.estimate != nil {
                stale.append(Cue(name: modalities[index].rawValue + "_stale_s", value: Float(Double((tick - entry.end).microseconds) / 1e6)))
            }
            guard let estimate = entry.estimate, entry.validUntil >= tick, estimate.confidence > 0 else { continue }
            let modality = modalities[index]
            present.insert(modality)
            let weight = estimate.confidence
            for (axis, value) in [estimate.valence, estimate.arousal, estimate.dominance].enumerated() where value.isFinite {
                sums[axis] += weight * value
                weights[axis] += weight
            }
            for (category, p) in estimate.probabilities.enumerated() { probabilities[category] += weight * p }
            probabilityWeight += weight
            if estimate.valence.isFinite {
                cues.append((Cue(name: modality.rawValue + "_valence", value: Float(estimate.valence)), weight * abs(estimate.valence)))
            }
            if estimate.arousal.isFinite {
                cues.append((Cue(name: modality.rawValue + "_arousal", value: Float(estimate.arousal)), weight * abs(estimate.arousal)))
            }
        }
        var values = (0..<3).map { weights[$0] > 0 ? sums[$0] / weights[$0] : .nan }
        values += probabilities.map { probabilityWeight > 0 ? $0 / probabilityWeight : .nan }
        values = smooth(values, at: tick, present: !present.isEmpty)
        let ordered = cues.sorted { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0.name < $1.0.name) }.map(\.0) + stale
        return Prediction(present: present, valence: Float(values[0]), arousal: Float(values[1]), dominance: Float(values[2]),
                          probabilities: values[3...].map { Float($0) }, ambivalence: .nan, ambivalent: false, cues: ordered)
    }

    private func smooth(_ values: [Double], at tick: Timestamp, present: Bool) -> [Double] {
        guard smoothing > 0, present else {
            smoothed = present ? (tick, values) : nil
            return values
        }
        guard let previous = smoothed else {
            smoothed = (tick, values)
            return values
        }
        let dt = Double((tick - previous.time).microseconds) / 1e6
        let alpha = 1 - exp(-dt / smoothing)
        let next = zip(previous.values, values).map { old, new in
            guard new.isFinite else { return new }
            return old.isFinite ? old + alpha * (new - old) : new
        }
        smoothed = (tick, next)
        return next
    }
}
