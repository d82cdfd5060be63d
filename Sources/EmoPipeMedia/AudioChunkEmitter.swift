import EmoPipeCore

/// Emits audio chunks stamped by sample count from an origin, so timestamps never drift
/// whatever the chunk sizes: chunk k starts at origin + (samples before it) / rate.
struct AudioChunkEmitter {
    let format: AudioFormat
    /// Output port of the audio stream.
    let port: Int
    var origin: Timestamp
    private(set) var framesEmitted: Int64 = 0

    init(format: AudioFormat, port: Int = 0, origin: Timestamp = .zero) {
        self.format = format
        self.port = port
        self.origin = origin
    }

    /// Emits interleaved samples in `format.channels` channels; empty input emits nothing.
    mutating func emit(_ samples: [Float], output: Emitter) throws {
        let frames = samples.count / max(1, format.channels)
        guard frames > 0 else { return }
        let start = origin + Timestamp(sample: framesEmitted, rate: format.sampleRate)
        framesEmitted += Int64(frames)
        let end = origin + Timestamp(sample: framesEmitted, rate: format.sampleRate)
        let chunk = AudioChunk(samples: samples, channels: format.channels, sampleRate: format.sampleRate)
        try output.emit(.audio(chunk), at: start, duration: end - start, on: port)
    }
}
