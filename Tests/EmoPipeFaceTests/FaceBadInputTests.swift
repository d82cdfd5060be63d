import EmoPipeCore
import Foundation
import Testing
@testable import EmoPipeFace

/// Wrong wiring and missing models give one clear message naming what is missing.
@Suite struct FaceBadInputTests {
    static let video = StreamFormat.video(VideoFormat(width: 320, height: 240, pixelFormat: .gray8, frameRate: 25))

    @Test func aMissingModelFileIsNamed() {
        #expect(throws: StageError("/no/such/model.dat: shape predictor file not found (Debian package libdlib-data installs the default)")) {
            _ = try StageHarness(FaceLandmarksStage.descriptor, parameters: ["model": .string("/no/such/model.dat")], inputs: [Self.video])
        }
    }

    @Test func aFileThatIsNotAModelIsNamed() throws {
        let path = FaceTestSupport.fixture("still.png")
        let error = try #require(throws: StageError.self) {
            _ = try StageHarness(FaceLandmarksStage.descriptor, parameters: ["model": .string(path)], inputs: [Self.video])
        }
        #expect(error.message.hasPrefix(path + ": not a dlib shape predictor"))
    }

    @Test func poseWithoutLandmarksSaysWhatItNeeds() {
        #expect(throws: StageError("face.pose needs the face_id, success and x_0..x_67, y_0..y_67 columns of face.landmarks")) {
            _ = try StageHarness(FacePoseStage.descriptor, inputs: [.features(FeatureSchema(["rms_dbfs"]))])
        }
    }

    @Test func actionsWithoutPoseSaysWhatItNeeds() {
        let landmarks = StreamFormat.features(FeatureSchema(FaceLandmarksStage.columns, attributes: ["image_width": 320, "image_height": 240]))
        #expect(throws: StageError("face.actions needs the pose_Tx, pose_Ty, pose_Tz, pose_Rx, pose_Ry, pose_Rz column(s) of face.pose")) {
            _ = try StageHarness(FaceActionsStage.descriptor, inputs: [landmarks])
        }
    }

    /// A picture with no face gives a row per frame saying so, never a crash or a gap.
    @Test func framesWithoutAFaceAreAccountedFor() throws {
        let frames = (0..<12).map { index in
            Packet(timestamp: Timestamp(microseconds: Int64(index) * 40_000),
                   payload: .video(VideoFrame(width: 320, height: 240, format: .gray8, pixels: [UInt8](repeating: UInt8(index * 20), count: 320 * 240))))
        }
        let rows = try FaceTestSupport.landmarkRows(frames)
        #expect(rows.map(\.frame) == Array(1...12))
        #expect(rows.allSatisfy { !$0.success && $0.confidence == 0 })
    }
}
