import DequeModule
import EmoPipeCore
import Foundation

/// `face.cues`: behavioural cues over time from pose and action units, per face, causal (each
/// row uses only the frames up to it, so it works live).
///
/// Passes every incoming column on and appends:
/// - `gaze_offset_deg`: the angle between the head's direction and the person's usual direction
///   (running median of pitch and yaw) - a proxy for gaze aversion, since dlib gives no eye gaze;
/// - `gaze_aversion`: 1 when that offset exceeds `aversion_deg`;
/// - `head_shake`, `head_nod`: swings of yaw / pitch of at least `oscillation_deg` within the last
///   `window_s` (2 or more is a shake or a nod; the 6 degree default ignores the smaller head
///   movements of talking);
/// - `expression_change`: mean absolute change of the AU intensities per second over the window.
public final class FaceCuesStage: Stage {
    public static let descriptor = StageDescriptor(
        name: "face.cues", role: .transform,
        summary: "Gaze-aversion proxy, head shakes and nods, expression change rate, from pose and AUs over a trailing window.",
        inputs: [PortSpec("actions", [.features], "Rows of face.actions (pose and AU columns).")],
        outputs: [PortSpec("cues", [.features],
                           "The input columns, then gaze_offset_deg, gaze_aversion (0/1), head_shake, head_nod (swings), expression_change (AU/s).")],
        parameters: [
            ParameterSpec("window_s", .number, default: .number(1.5), unit: "s", range: 0.2...30,
                          "Trailing window for swings and expression change."),
            ParameterSpec("aversion_deg", .number, default: .number(15), unit: "degrees", range: 1...90,
                          "Head direction this far from the person's median counts as looking away."),
            ParameterSpec("oscillation_deg", .number, default: .number(6), unit: "degrees", range: 0.5...45,
                          "Smallest yaw/pitch excursion that counts as one swing of a shake or nod."),
        ],
        make: { .stage(FaceCuesStage(parameters: $0)) })

    public static let columns = ["gaze_offset_deg", "gaze_aversion", "head_shake", "head_nod", "expression_change"]

    private struct FaceState {
        var pitch = RunningMedian(lower: -90, upper: 90, bins: 1800)
        var yaw = RunningMedian(lower: -90, upper: 90, bins: 1800)
        var shake: OscillationCounter
        var nod: OscillationCounter
        /// (time, AU intensities) within the window.
        var history = Deque<(Double, [Double])>()
    }

    private let window: Double
    private let aversion: Double
    private let oscillation: Double
    private var layout: LandmarkColumns?
    private var pose: [Int] = []
    private var units: [Int] = []
    private var faces: [Int: FaceState] = [:]

    init(parameters: Parameters) {
        window = parameters.number("window_s")
        aversion = parameters.number("aversion_deg")
        oscillation = parameters.number("oscillation_deg")
    }

    public func prepare(inputs: [StreamFormat], context: StageContext) throws -> [StreamFormat] {
        guard case .features(let schema) = inputs[0] else { throw StageError("face.cues takes feature rows") }
        layout = try LandmarkColumns(schema, stage: "face.cues")
        pose = try requireColumns(["pose_Rx", "pose_Ry"], in: schema, stage: "face.cues", from: "face.pose")
        units = try requireColumns(ActionUnitEstimator.names, in: schema, stage: "face.cues", from: "face.actions")
        return [.features(FeatureSchema(schema.names + Self.columns, attributes: schema.attributes))]
    }

    public func process(_ packet: Packet, input: Int, output: Emitter) throws {
        guard case .features(let row) = packet.payload, let layout else { return }
        var values = row.values
        values += cues(row, time: Double(packet.timestamp.microseconds) / 1e6, layout: layout)
            ?? [Float](repeating: .nan, count: Self.columns.count)
        try output.emit(.features(FeatureRow(values)), at: packet.timestamp, duration: packet.duration)
    }

    private func cues(_ row: FeatureRow, time: Double, layout: LandmarkColumns) -> [Float]? {
        let pitch = Double(row.values[pose[0]]) * 180 / .pi, yaw = Double(row.values[pose[1]]) * 180 / .pi
        guard layout.landmarks(row) != nil, pitch.isFinite, yaw.isFinite else { return nil }
        let id = layout.faceID(row)
        var state = faces[id] ?? FaceState(shake: OscillationCounter(amplitude: oscillation, window: window),
                                           nod: OscillationCounter(amplitude: oscillation, window: window))
        state.pitch.add(pitch)
        state.yaw.add(yaw)
        let offset = hypot(pitch - state.pitch.median!, yaw - state.yaw.median!)
        let shakes = state.shake.add(yaw, at: time)
        let nods = state.nod.add(pitch, at: time)
        let intensities = units.map { Double(row.values[$0]) }
        var change = Double.nan
        if intensities.allSatisfy(\.isFinite) {
            state.history.append((time, intensities))
            while let first = state.history.first, first.0 < time - window { state.history.removeFirst() }
            if let first = state.history.first, time > first.0 {
                var total = 0.0
                for (previous, next) in zip(state.history, state.history.dropFirst()) {
                    total += zip(previous.1, next.1).reduce(0) { $0 + abs($1.1 - $1.0) }
                }
                change = total / Double(intensities.count) / (time - first.0)
            } else {
                change = 0
            }
        }
        faces[id] = state
        return [offset, offset > aversion ? 1 : 0, Double(shakes), Double(nods), change].map { Float($0) }
    }

    public func finish(output: Emitter) throws {}
}
