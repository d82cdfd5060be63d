import EmoPipeCore
import Foundation
import Testing
@testable import EmoPipeFace

/// Detection and tracking on the real talking-head clips of ../shared/data/video.
@Suite struct FaceTrackingTests {
    /// A face in >= 95% of frames, and landmarks tracked between detections every 5th frame within
    /// 0.02 NME (mean over the clip) of detecting on every frame.
    @Test(arguments: ["lp_d0.mp4", "lp_d20.mp4", "st_WDA_KH.mp4", "vr_face1.mp4", "vr_face4.mp4"])
    func trackedLandmarksFollowEveryFrameDetection(_ clip: String) throws {
        let frames = try FaceTestSupport.frames(FaceTestSupport.video(clip))
        let everyFrame = try FaceTestSupport.landmarkRows(frames, parameters: ["detect_every": .integer(1)])
        let tracked = try FaceTestSupport.landmarkRows(frames, parameters: ["detect_every": .integer(5)])
        #expect(everyFrame.count == frames.count && tracked.count == frames.count)
        let foundEvery = Double(everyFrame.filter(\.success).count) / Double(frames.count)
        let foundTracked = Double(tracked.filter(\.success).count) / Double(frames.count)
        var errors: [Double] = []
        for (a, b) in zip(tracked, everyFrame) {
            if let a = a.landmarks, let b = b.landmarks { errors.append(a.normalisedMeanError(to: b)) }
        }
        let mean = errors.reduce(0, +) / Double(max(errors.count, 1))
        print("\(clip): \(frames.count) frames, face found \(foundEvery) (every frame) \(foundTracked) (tracked); tracked vs every-frame NME mean \(mean) max \(errors.max() ?? .nan)")
        #expect(foundEvery >= 0.95)
        #expect(foundTracked >= 0.95)
        #expect(mean <= 0.02)
        // Key frames are the detected ones; the others are tracked and keep the face's id.
        #expect(tracked.filter(\.detected).count <= frames.count / 5 + 5)
        #expect(Set(tracked.filter(\.success).map(\.faceID)).count <= 2)
        // Searching around the tracked face (full scans every 30 frames) finds it as often.
        let regional = try FaceTestSupport.landmarkRows(frames, parameters: ["full_scan_every": .integer(30)])
        #expect(regional.filter(\.success).count == tracked.filter(\.success).count)
    }
}
