import EmoPipeCore
import EmoPipeVideo
import Testing

@Suite struct VideoMotionStageTests {
    private let format = StreamFormat.video(VideoFormat(width: 8, height: 4, pixelFormat: .gray8, frameRate: 25))

    private func frame(_ pixels: [UInt8], width: Int = 8, height: Int = 4, format: PixelFormat = .gray8, at index: Int) -> Packet {
        Packet(timestamp: Timestamp(microseconds: Int64(index) * 40_000), duration: Timestamp(microseconds: 40_000),
               payload: .video(VideoFrame(width: width, height: height, format: format, pixels: pixels)))
    }

    private func values(_ packets: [Packet]) -> [[Float]] {
        packets.map { packet in
            guard case .features(let row) = packet.payload else { return [] }
            return row.values
        }
    }

    @Test func aStillPictureHasNoMotionAndTheFirstFrameGivesNoRow() throws {
        let harness = try StageHarness(VideoMotionStage.descriptor, inputs: [format])
        let gray = [UInt8](repeating: 90, count: 32)
        #expect(try harness.push(frame(gray, at: 0)).isEmpty)
        let out = try harness.push(frame(gray, at: 1))
        #expect(values(out) == [[0, 0]])
        #expect(out[0].timestamp == Timestamp(microseconds: 40_000))
    }

    @Test func blackToWhiteIsFullMotion() throws {
        let harness = try StageHarness(VideoMotionStage.descriptor, inputs: [format])
        try harness.push(frame([UInt8](repeating: 0, count: 32), at: 0))
        #expect(values(try harness.push(frame([UInt8](repeating: 255, count: 32), at: 1))) == [[1, 1]])
    }

    @Test func halfThePixelsChangingByAQuarterGivesKnownValues() throws {
        let harness = try StageHarness(VideoMotionStage.descriptor, parameters: ["threshold": .integer(50)], inputs: [format])
        try harness.push(frame([UInt8](repeating: 100, count: 32), at: 0))
        let next = [UInt8](repeating: 100, count: 16) + [UInt8](repeating: 151, count: 16)
        let row = values(try harness.push(frame(next, at: 1)))[0]
        #expect(abs(row[0] - 0.1) < 1e-6, "16 of 32 bytes differ by 51: 51 * 16 / 32 / 255 = 0.1")
        #expect(row[1] == 0.5)
        let harness2 = try StageHarness(VideoMotionStage.descriptor, parameters: ["threshold": .integer(51)], inputs: [format])
        try harness2.push(frame([UInt8](repeating: 100, count: 32), at: 0))
        #expect(values(try harness2.push(frame(next, at: 1)))[0][1] == 0, "a difference equal to the threshold does not count")
    }

    @Test func rowPaddingIsIgnored() throws {
        // stride 10 > width 8: the two padding bytes per row differ but must not count.
        let harness = try StageHarness(VideoMotionStage.descriptor, inputs: [format])
        let a = VideoFrame(width: 8, height: 4, format: .gray8, stride: 10, pixels: (0..<40).map { $0 % 10 >= 8 ? 0 : 7 })
        let b = VideoFrame(width: 8, height: 4, format: .gray8, stride: 10, pixels: (0..<40).map { $0 % 10 >= 8 ? 255 : 7 })
        try harness.push(Packet(timestamp: .zero, payload: .video(a)))
        #expect(values(try harness.push(Packet(timestamp: Timestamp(microseconds: 1), payload: .video(b)))) == [[0, 0]])
    }

    @Test func aChangeOfFrameSizeIsAnError() throws {
        let harness = try StageHarness(VideoMotionStage.descriptor, inputs: [format])
        try harness.push(frame([UInt8](repeating: 0, count: 32), at: 0))
        #expect(throws: StageError("frame size changed from 8x4 to 4x4")) {
            try harness.push(frame([UInt8](repeating: 0, count: 16), width: 4, at: 1))
        }
    }
}
