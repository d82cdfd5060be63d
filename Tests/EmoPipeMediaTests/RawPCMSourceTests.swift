import EmoPipeCore
import EmoPipeMedia
import Foundation
import Testing

@Suite struct RawPCMSourceTests {
    @Test func decodesLittleEndianS16AndDropsATrailingPartialFrame() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("emopipe-\(UUID()).pcm").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Stereo s16: frames (16384, -16384), (32767, -32768), then one stray byte.
        let values: [Int16] = [16384, -16384, 32767, -32768]
        var bytes = values.flatMap { value -> [UInt8] in [UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8)] }
        bytes.append(7)
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        let (formats, packets) = try SourceHarness.run(
            RawPCMSource.descriptor,
            parameters: ["channels": .integer(2), "rate": .integer(8000), "audio_channels": .string("all"), "chunk_frames": .integer(16)],
            input: InputLocation(path: path))
        #expect(formats == [.audio(AudioFormat(sampleRate: 8000, channels: 2))])
        guard case .audio(let chunk) = packets[0].first?.payload else { Issue.record("no audio"); return }
        #expect(chunk.samples == [0.5, -0.5, 32767.0 / 32768, -1])
        #expect(packets[0][0].duration == Timestamp(microseconds: 250))
    }

    @Test func cutsFloatInputIntoChunksOfTheRequestedSize() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("emopipe-\(UUID()).f32").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let samples = (0..<1000).map { Float($0) / 1000 }
        _ = FileManager.default.createFile(atPath: path, contents: samples.withUnsafeBytes { Data($0) })
        let (_, packets) = try SourceHarness.run(RawPCMSource.descriptor,
                                                 parameters: ["sample_format": .string("f32le"), "chunk_frames": .integer(300)],
                                                 input: InputLocation(path: path))
        #expect(packets[0].map(\.timestamp.microseconds) == [0, 18_750, 37_500, 56_250])
        let decoded = packets[0].flatMap { packet -> [Float] in if case .audio(let chunk) = packet.payload { chunk.samples } else { [] } }
        #expect(decoded == samples)
    }
}
