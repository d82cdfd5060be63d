import EmoPipeCore

/// `face.actions`: eye openness and blinks, mouth opening, brow raise, and action-unit intensity
/// estimates on OpenFace's 0-5 scale, from the landmarks undone of pose and face size
/// (`FrontalFace`) and compared with each face's running neutral (`ActionUnitEstimator`).
///
/// Passes every incoming column on and appends `AU01_r` ... `AU45_r`, `eye_openness` (eye aspect
/// ratio over the neutral's: 1 as usual, 0 shut), `blink` (1 while the eyes are shut),
/// `mouth_open_mm` (inner lip gap) and `brow_raise_mm` (mean brow height over the neutral's, both in
/// mean-face millimetres). The neutral starts afresh for every input, per face id.
///
/// Subject calibration: in a calibration pass the stage hands over its calm-frame and all-frame
/// histograms (`face.neutral.calm`, `face.neutral.all`); with a subject profile every face is
/// measured against the profile's neutral from the first frame (calibration assumes one person
/// per input). A profile without a face neutral leaves the running neutral in place, with a warning.
public final class FaceActionsStage: Stage {
    public static let descriptor = StageDescriptor(
        name: "face.actions", role: .transform,
        summary: "Action-unit intensities (0-5), eye openness, blinks, mouth opening and brow raise against a running neutral.",
        inputs: [PortSpec("pose", [.features], "Rows of face.pose (landmarks and pose columns).")],
        outputs: [PortSpec("actions", [.features],
                           "The input columns, then AU01_r..AU45_r (0-5), eye_openness (ratio), blink (0/1), mouth_open_mm, brow_raise_mm.")],
        parameters: [
            ParameterSpec("blink_ratio", .number, default: .number(0.5), unit: "fraction of neutral", range: 0.05...0.95,
                          "Eyes count as shut (blink = 1) when their aspect ratio falls below this fraction of the neutral's."),
        ],
        make: { .stage(FaceActionsStage(parameters: $0)) })

    public static let columns = ActionUnitEstimator.names + ["eye_openness", "blink", "mouth_open_mm", "brow_raise_mm"]

    private let blinkRatio: Double
    private var layout: LandmarkColumns?
    private var poseColumns: [Int] = []
    private var camera = CameraIntrinsics(fx: 1, fy: 1, cx: 0, cy: 0)
    private var estimators: [Int: ActionUnitEstimator] = [:]
    /// The subject's neutral, when calibrated.
    private var subjectNeutral: FacialMeasures?
    private var collector: CalibrationCollector?

    /// Profile keys of the face's neutral geometry.
    public static let calmKey = "face.neutral.calm", allKey = "face.neutral.all"

    init(parameters: Parameters) { blinkRatio = parameters.number("blink_ratio") }

    public func prepare(inputs: [StreamFormat], context: StageContext) throws -> [StreamFormat] {
        do {
            _ = try MeanFace.require()
        } catch let error as ModelStoreError {
            throw StageError(error.description)
        }
        guard case .features(let schema) = inputs[0] else { throw StageError("face.actions takes feature rows") }
        layout = try LandmarkColumns(schema, stage: "face.actions")
        poseColumns = try requireColumns(["pose_Tx", "pose_Ty", "pose_Tz", "pose_Rx", "pose_Ry", "pose_Rz"], in: schema,
                                         stage: "face.actions", from: "face.pose")
        guard let fx = schema.attributes["camera_fx"], let fy = schema.attributes["camera_fy"],
              let cx = schema.attributes["camera_cx"], let cy = schema.attributes["camera_cy"] else {
            throw StageError("face.actions needs the camera that face.pose used (its input must come from face.pose)")
        }
        camera = CameraIntrinsics(fx: fx, fy: fy, cx: cx, cy: cy)
        switch context.calibration {
        case .none: break
        case .collect(let collector): self.collector = collector
        case .apply(let profile):
            if let all = profile.baselines[Self.allKey], all.names == FacialMeasures.names {
                // The calm frames' median, as the running neutral would take it, unless too few were calm.
                let calm = profile.baselines[Self.calmKey].flatMap { $0.names == FacialMeasures.names ? $0 : nil }
                let chosen = calm.map { Double($0.count) >= ActionUnitEstimator.calmShare * Double(all.count) ? $0 : all } ?? all
                subjectNeutral = FacialMeasures(all: chosen.centre)
            } else {
                let reason = profile.omitted[Self.allKey] ?? "not in the profile"
                context.logger.warning("subject '\(profile.subject)': no face neutral (\(reason)); AUs are measured against this input's running neutral")
            }
        }
        return [.features(FeatureSchema(schema.names + Self.columns, attributes: schema.attributes))]
    }

    public func process(_ packet: Packet, input: Int, output: Emitter) throws {
        guard case .features(let row) = packet.payload, let layout else { return }
        var values = row.values
        values += measure(row, layout: layout) ?? [Float](repeating: .nan, count: Self.columns.count)
        try output.emit(.features(FeatureRow(values)), at: packet.timestamp, duration: packet.duration)
    }

    private func measure(_ row: FeatureRow, layout: LandmarkColumns) -> [Float]? {
        guard let landmarks = layout.landmarks(row) else { return nil }
        let p = poseColumns.map { Double(row.values[$0]) }
        guard p.allSatisfy(\.isFinite) else { return nil }
        let pose = HeadPose(rotation: HeadPose.rotation(pitch: p[3], yaw: p[4], roll: p[5]), translation: SIMD3(p[0], p[1], p[2]),
                            reprojectionError: 0)
        guard let frontal = FrontalFace(landmarks: landmarks, pose: pose, camera: camera) else { return nil }
        let measures = FacialMeasures(frontal)
        let id = layout.faceID(row)
        var estimator = estimators[id] ?? subjectNeutral.map { ActionUnitEstimator(neutral: $0) } ?? ActionUnitEstimator()
        let (intensities, openness) = estimator.update(measures)
        let neutral = estimator.neutralMeasures!
        estimators[id] = estimator
        let browRaise = (measures.innerBrowHeight - neutral.innerBrowHeight + measures.outerBrowHeight - neutral.outerBrowHeight) / 2
        return (intensities + [openness, openness < blinkRatio ? 1 : 0, measures.lipGap, browRaise]).map { Float($0) }
    }

    public func finish(output: Emitter) throws {
        guard let collector, !estimators.isEmpty else { return }
        var calm = ActionUnitEstimator.histograms(), every = ActionUnitEstimator.histograms()
        for estimator in estimators.values {
            for index in calm.indices {
                calm[index].merge(estimator.calm[index])
                every[index].merge(estimator.every[index])
            }
        }
        collector.deposit(.medians(names: FacialMeasures.names, calm), key: Self.calmKey)
        collector.deposit(.medians(names: FacialMeasures.names, every), key: Self.allKey)
    }
}
