import EmoPipeCore
import EmoPipeMedia
import Testing

@Suite struct MediaSourceTests {
    private func decode(_ name: String, _ parameters: [String: ParameterValue] = [:], connected: [Bool]? = nil) throws
        -> (formats: [StreamFormat], packets: [[Packet]]) {
        try SourceHarness.run(MediaSource.descriptor, parameters: parameters, input: InputLocation(path: fixture(name)),
                              connected: connected)
    }

    private func frames(_ packets: [Packet]) -> [VideoFrame] {
        packets.compactMap { if case .video(let frame) = $0.payload { frame } else { nil } }
    }

    private func samples(_ packets: [Packet]) -> [Float] {
        packets.flatMap { packet -> [Float] in if case .audio(let chunk) = packet.payload { chunk.samples } else { [] } }
    }

    @Test func decodesEveryVideoFrameAtItsOwnTime() throws {
        let (formats, packets) = try decode("clip.mp4")
        #expect(formats[1] == .video(VideoFormat(width: 320, height: 240, pixelFormat: .gray8, frameRate: 25)))
        let video = packets[1]
        #expect(video.count == 75)
        #expect(video.map(\.timestamp.microseconds) == (0..<75).map { Int64($0) * 40_000 })
        #expect(frames(video).allSatisfy { $0.width == 320 && $0.height == 240 && $0.pixels.count == 320 * 240 })
    }

    @Test func resamplesAudioTo16kHzMonoWithContiguousTimestamps() throws {
        let (formats, packets) = try decode("clip.mp4")
        #expect(formats[0] == .audio(AudioFormat(sampleRate: 16_000, channels: 1)))
        let audio = packets[0]
        var expected = audio[0].timestamp
        for packet in audio {
            #expect(packet.timestamp == expected)
            expected = packet.timestamp + packet.duration
        }
        let seconds = Double(samples(audio).count) / 16_000
        #expect(abs(seconds - 3) < 0.1, "3 s of audio, got \(seconds) s")
    }

    @Test func aChosenFrameRateAndSizeAreHonoured() throws {
        let (formats, packets) = try decode("clip.mp4", ["video_fps": .number(10), "width": .integer(160), "pixel_format": .string("rgb")],
                                            connected: [false, true])
        #expect(formats[1] == .video(VideoFormat(width: 160, height: 120, pixelFormat: .rgb24, frameRate: 10)))
        #expect(packets[0].isEmpty, "an unconnected output is not decoded")
        #expect(packets[1].map(\.timestamp.microseconds) == (0..<30).map { Int64($0) * 100_000 })
        #expect(frames(packets[1]).allSatisfy { $0.stride == 480 && $0.pixels.count == 480 * 120 })
    }

    @Test func aStillImageIsAOneFrameVideo() throws {
        let (formats, packets) = try decode("still.png")
        guard case .video(let format) = formats[1] else { Issue.record("no video format"); return }
        #expect(format.width == 320 && format.height == 240)
        #expect(packets[1].count == 1 && packets[1][0].timestamp == .zero)
        #expect(packets[0].isEmpty)
    }

    @Test func stereoIsDownmixedToTheChannelMeanOrKept() throws {
        let mono = samples(try decode("stereo.flac", ["audio_rate": .integer(0)]).packets[0])
        let both = try decode("stereo.flac", ["audio_rate": .integer(0), "audio_channels": .string("all")])
        #expect(both.formats[0] == .audio(AudioFormat(sampleRate: 16_000, channels: 2)))
        let stereo = samples(both.packets[0])
        #expect(mono.count == 32_000 && stereo.count == 64_000)
        // Left: 440 Hz at 0.501 peak; right: 1 kHz at 0.251 peak.
        let leftPeak = stride(from: 0, to: stereo.count, by: 2).map { abs(stereo[$0]) }.max()!
        let rightPeak = stride(from: 1, to: stereo.count, by: 2).map { abs(stereo[$0]) }.max()!
        #expect(abs(leftPeak - 0.501) < 0.002 && abs(rightPeak - 0.251) < 0.002)
        for index in stride(from: 0, to: 32_000, by: 997) {
            #expect(abs(mono[index] - (stereo[2 * index] + stereo[2 * index + 1]) / 2) < 1e-6)
        }
    }

    @Test(arguments: ["broken/truncated.mp4", "broken/empty.wav", "broken/not-audio.wav"])
    func brokenFilesAreRefusedWithTheirName(_ name: String) {
        do {
            _ = try decode(name)
            Issue.record("\(name) was accepted")
        } catch let error as StageError {
            #expect(error.message.hasPrefix("cannot open \(fixture(name)): "))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func aMissingFileIsRefused() {
        #expect(throws: StageError("cannot open /no/such.mp4: No such file or directory")) {
            try SourceHarness.run(MediaSource.descriptor, input: InputLocation(path: "/no/such.mp4"))
        }
    }

    @Test func anAudioOnlyFileNeedsAnAudioConsumer() {
        #expect(throws: StageError("\(fixture("speech.wav")) has no video stream")) {
            try decode("speech.wav", connected: [false, true])
        }
    }
}

@Suite struct SoundFileSourceTests {
    @Test func readsStereoFLACInChunksAtItsOwnRate() throws {
        let (formats, packets) = try SourceHarness.run(SoundFileSource.descriptor,
                                                       parameters: ["audio_channels": .string("all"), "chunk_frames": .integer(1000)],
                                                       input: InputLocation(path: fixture("stereo.flac")))
        #expect(formats == [.audio(AudioFormat(sampleRate: 16_000, channels: 2))])
        #expect(packets[0].count == 32)
        #expect(packets[0].map(\.timestamp.microseconds) == (0..<32).map { Int64($0) * 62_500 })
    }

    @Test func refusesWhatLibsndfileCannotRead() {
        for name in ["broken/empty.wav", "broken/not-audio.wav"] {
            do {
                _ = try SourceHarness.run(SoundFileSource.descriptor, input: InputLocation(path: fixture(name)))
                Issue.record("\(name) was accepted")
            } catch let error as StageError {
                #expect(error.message.hasPrefix("cannot open \(fixture(name)): "))
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }
}
