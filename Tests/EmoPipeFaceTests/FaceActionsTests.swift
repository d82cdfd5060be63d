import EmoPipeCore
import Foundation
import Testing
@testable import EmoPipeFace

/// Action units on posed expressions, and the geometry they are read from.
@Suite struct FaceActionsTests {
    static func chain(_ clip: String, size: Int) throws -> (column: (String) throws -> [Float], count: Int) {
        let frames = try FaceTestSupport.frames(FaceTestSupport.video(clip))
        let format = VideoFormat(width: size, height: size, pixelFormat: .gray8, frameRate: 25)
        let chain = try FaceTestSupport.runChain(frames, format: format, stages: [FacePoseStage.descriptor, FaceActionsStage.descriptor])
        let column = { (name: String) throws -> [Float] in
            let index = try #require(chain.schema.index(of: name))
            return chain.rows.map { $0[index] }
        }
        return (column, chain.rows.count)
    }

    static func mean(_ values: [Float], _ frames: [Int]) -> Float { frames.map { values[$0] }.reduce(0, +) / Float(frames.count) }

    /// lp_d0.mp4 (0-based frames, chosen by eye from a contact sheet): neutral face in 0-15, a
    /// broad smile with lips parted over the teeth in 20-63 (teeth together: no jaw drop), eyes
    /// shut in 65-67, neutral again from 69.
    @Test func smileRaisesAU12AndAU25AndEyesShutRaiseAU45() throws {
        let (column, count) = try Self.chain("lp_d0.mp4", size: 512)
        #expect(count == 78)
        let au12 = try column("AU12_r"), au25 = try column("AU25_r"), au45 = try column("AU45_r"), blink = try column("blink")
        let neutral = Array(2...14) + Array(70...77), smile = Array(25...60)
        print("lp_d0: AU12 smile \(Self.mean(au12, smile)) neutral \(Self.mean(au12, neutral)); AU25 smile \(Self.mean(au25, smile)) neutral \(Self.mean(au25, neutral)); AU45 64-68 \(Array(au45[64...68]))")
        #expect(Self.mean(au12, smile) > 3 && Self.mean(au12, neutral) < 0.5)
        #expect(Self.mean(au25, smile) > 3 && Self.mean(au25, neutral) < 0.5)
        #expect(au45[64...68].max()! > 3)
        #expect(blink[64...68].contains(1))
        #expect(neutral.allSatisfy { blink[$0] == 0 } && smile.allSatisfy { blink[$0] == 0 })
    }

    /// lp_d20.mp4 (speech; frames chosen by eye): the jaw drops wide open at 39-41, 65-67 and 78-79,
    /// the mouth is closed at 48-56.
    @Test func openMouthRaisesAU25AndAU26() throws {
        let (column, _) = try Self.chain("lp_d20.mp4", size: 480)
        let au25 = try column("AU25_r"), au26 = try column("AU26_r"), gap = try column("mouth_open_mm")
        let open = [39, 40, 41, 65, 66, 67, 78, 79], closed = Array(48...56)
        print("lp_d20: AU25 open \(Self.mean(au25, open)) closed \(Self.mean(au25, closed)); AU26 open \(Self.mean(au26, open)) closed \(Self.mean(au26, closed)); gap open \(Self.mean(gap, open)) closed \(Self.mean(gap, closed)) mm")
        #expect(Self.mean(au25, open) > Self.mean(au25, closed) + 1.5)
        #expect(Self.mean(au26, open) > Self.mean(au26, closed) + 1)
        #expect(Self.mean(gap, open) > Self.mean(gap, closed) + 5)
    }

    /// Frontalising undoes pose: the posed mean face reads as the mean face itself.
    @Test func frontalisingAPosedMeanFaceGivesTheMeanFace() throws {
        let camera = CameraIntrinsics(width: 640, height: 480)
        let pose = HeadPose(rotation: HeadPose.rotation(pitch: 0.2, yaw: -0.4, roll: 0.1), translation: SIMD3(10, 5, 700),
                            reprojectionError: 0)
        let landmarks = FaceLandmarks(points: MeanFace.points.map { camera.project(pose.transform($0)) })
        let frontal = try #require(FrontalFace(landmarks: landmarks, pose: pose, camera: camera))
        for (a, b) in zip(frontal.points, MeanFace.points) { #expect(abs(a.x - b.x) < 1e-6 && abs(a.y - b.y) < 1e-6) }
        // A 10 mm mouth opening (lower lip down in the face plane) reads as about 10 mm when turned.
        var moved = MeanFace.points
        for index in [56, 57, 58, 65, 66, 67] { moved[index].y += 10 }
        let opened = FaceLandmarks(points: moved.map { camera.project(pose.transform($0)) })
        let measured = try #require(FrontalFace(landmarks: opened, pose: pose, camera: camera))
        let gap = FacialMeasures(measured).lipGap - FacialMeasures(frontal).lipGap
        #expect(abs(gap - 10) < 1, "gap \(gap)")
        // The same opening on a face twice as far gives the same millimetres.
        let far = HeadPose(rotation: pose.rotation, translation: SIMD3(20, 10, 1400), reprojectionError: 0)
        let farOpened = FaceLandmarks(points: moved.map { camera.project(far.transform($0)) })
        let farGap = try #require(FrontalFace(landmarks: farOpened, pose: far, camera: camera)).distance(62, 66)
        #expect(abs(farGap - measured.distance(62, 66)) < 0.5)
    }

    @Test func runningMedianIsTheMedian() {
        var median = RunningMedian(lower: 0, upper: 10, bins: 1000)
        #expect(median.median == nil)
        for value in [5.0, 1, 9, 3, 7] { median.add(value) }
        #expect(abs(median.median! - 5) <= 0.01)
        median.add(.nan)
        #expect(median.count == 5)
    }

    /// With a subject's neutral (calibration), the very first frame is measured against it; the
    /// running estimator takes its first frame as neutral and sees nothing.
    @Test func aFixedNeutralMeasuresTheFirstFrame() {
        let neutral = FacialMeasures(all: [20, 22, 18, 9, 0.3, 50, 30, 14, 0, 45, 25, 16, 30])
        var smiling = neutral
        smiling.mouthWidth += ActionUnitEstimator.FullScale.mouthWiden
        smiling.cornerDrop -= ActionUnitEstimator.FullScale.cornerRaise
        var calibrated = ActionUnitEstimator(neutral: neutral)
        let au12 = ActionUnitEstimator.names.firstIndex(of: "AU12_r")!
        #expect(calibrated.update(smiling).intensities[au12] == 5)
        #expect(calibrated.neutralMeasures == neutral)
        var running = ActionUnitEstimator()
        #expect(running.update(smiling).intensities[au12] < 0.1, "its own first frame is its neutral (to within a histogram bin)")
    }
}
