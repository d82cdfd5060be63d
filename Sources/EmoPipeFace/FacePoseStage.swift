import EmoPipeCore

/// `face.pose`: head rotation and translation from the 68 landmarks, by fitting EmoPipe's 3D mean
/// face (`MeanFace`) with perspective-n-point (`HeadPoseSolver`).
///
/// Passes every incoming column on and appends OpenFace's `pose_Tx`, `pose_Ty`, `pose_Tz`
/// (millimetres, camera coordinates: x right, y down, z away from the camera) and `pose_Rx`,
/// `pose_Ry`, `pose_Rz` (radians, R = Rx Ry Rz: pitch > 0 looks down, yaw > 0 turns towards the
/// image's left, roll > 0 is clockwise in the image), plus `pose_error_px`, the RMS reprojection
/// error. Rows without a face get NaN. The mean face is not fitted to the person, so translation
/// scales with how far their face differs from an average adult's.
public final class FacePoseStage: Stage {
    public static let descriptor = StageDescriptor(
        name: "face.pose", role: .transform,
        summary: "Head pose (rotation in radians, translation in mm) from the 68 landmarks by PnP on a 3D mean face.",
        inputs: [PortSpec("landmarks", [.features], "Rows of face.landmarks (or a later face stage).")],
        outputs: [PortSpec("pose", [.features], "The input columns, then pose_Tx/Ty/Tz (mm), pose_Rx/Ry/Rz (rad), pose_error_px; attributes camera_fx/fy/cx/cy (px).")],
        parameters: [
            ParameterSpec("fx", .number, default: .number(0), unit: "px", range: 0...100_000,
                          "Horizontal focal length; 0 = 500 px per 640 px of image width (OpenFace's default)."),
            ParameterSpec("fy", .number, default: .number(0), unit: "px", range: 0...100_000, "Vertical focal length; 0 = fx."),
            ParameterSpec("cx", .number, default: .number(-1), unit: "px", range: -1...100_000,
                          "Principal point, x; -1 = the image centre."),
            ParameterSpec("cy", .number, default: .number(-1), unit: "px", range: -1...100_000,
                          "Principal point, y; -1 = the image centre."),
        ],
        make: { .stage(FacePoseStage(parameters: $0)) })

    public static let columns = ["pose_Tx", "pose_Ty", "pose_Tz", "pose_Rx", "pose_Ry", "pose_Rz", "pose_error_px"]

    private let fx: Double, fy: Double, cx: Double, cy: Double
    private var layout: LandmarkColumns?
    private var solver: HeadPoseSolver?

    init(parameters: Parameters) {
        fx = parameters.number("fx")
        fy = parameters.number("fy")
        cx = parameters.number("cx")
        cy = parameters.number("cy")
    }

    public func prepare(inputs: [StreamFormat], context: StageContext) throws -> [StreamFormat] {
        do {
            _ = try MeanFace.require()
        } catch let error as ModelStoreError {
            throw StageError(error.description)
        }
        guard case .features(let schema) = inputs[0] else { throw StageError("face.pose takes feature rows") }
        layout = try LandmarkColumns(schema, stage: "face.pose")
        guard fx > 0 || schema.attributes["image_width"] != nil else {
            throw StageError("face.pose needs fx (the input does not say its image size)")
        }
        // An input without video (image size 0) brings no rows: any camera will do.
        var width = schema.attributes["image_width"] ?? 0, height = schema.attributes["image_height"] ?? 0
        if width <= 0 || height <= 0 { (width, height) = (640, 480) }
        var camera = CameraIntrinsics(width: Int(width), height: Int(height))
        if fx > 0 { camera.fx = fx; camera.fy = fx }
        if fy > 0 { camera.fy = fy }
        if cx >= 0 { camera.cx = cx }
        if cy >= 0 { camera.cy = cy }
        solver = HeadPoseSolver(camera: camera)
        var attributes = schema.attributes
        attributes["camera_fx"] = camera.fx
        attributes["camera_fy"] = camera.fy
        attributes["camera_cx"] = camera.cx
        attributes["camera_cy"] = camera.cy
        return [.features(FeatureSchema(schema.names + Self.columns, attributes: attributes))]
    }

    public func process(_ packet: Packet, input: Int, output: Emitter) throws {
        guard case .features(let row) = packet.payload, let layout, let solver else { return }
        var values = row.values
        if let landmarks = layout.landmarks(row) {
            let pose = solver.solve(landmarks)
            let angles = pose.euler
            values += [pose.translation.x, pose.translation.y, pose.translation.z,
                       angles.x, angles.y, angles.z, pose.reprojectionError].map { Float($0) }
        } else {
            values += [Float](repeating: .nan, count: Self.columns.count)
        }
        try output.emit(.features(FeatureRow(values)), at: packet.timestamp, duration: packet.duration)
    }

    public func finish(output: Emitter) throws {}
}
