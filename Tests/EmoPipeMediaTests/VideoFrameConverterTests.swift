import CFFmpeg
@testable import EmoPipeMedia
import EmoPipeCore
import Testing

@Suite struct VideoFrameConverterTests {
    @Test func theLumaFastPathMatchesSwscaleWithinOneLevel() throws {
        let reader = try MediaReader(path: fixture("clip.mp4"))
        let index = try #require(reader.bestStream(AVMEDIA_TYPE_VIDEO))
        let decoder = try reader.openDecoder(stream: index, threads: 1)
        let fast = VideoFrameConverter(width: 320, height: 240, format: .gray8)
        let reference = VideoFrameConverter(width: 320, height: 240, format: .gray8, allowsLumaCopy: false)
        var frames = 0
        var worst = 0
        try reader.decode([decoder], isCancelled: { false }) { frame, _ in
            let a = try fast.convert(frame), b = try reference.convert(frame)
            #expect(a.pixels.count == b.pixels.count)
            for (x, y) in zip(a.pixels, b.pixels) { worst = max(worst, abs(Int(x) - Int(y))) }
            frames += 1
        }
        #expect(frames == 75)
        #expect(worst <= 1, "largest difference \(worst) levels")
    }
}
