import EmoPipeCore

/// Cuts a stream of audio chunks into overlapping frames of `frameLength` sample frames every
/// `hop` sample frames, whatever the chunk sizes. Frame k starts at sample k * hop after the
/// first chunk's timestamp. Only complete frames come out (openSMILE's convention).
struct AudioFramer {
    let frameLength: Int
    let hop: Int
    let channels: Int
    private var buffer: [Float] = []
    /// Index in `buffer` (in sample frames) where the next frame starts.
    private var start = 0
    private(set) var framesCut: Int64 = 0

    init(frameLength: Int, hop: Int, channels: Int) {
        self.frameLength = frameLength
        self.hop = hop
        self.channels = channels
    }

    /// Appends a chunk and calls `body` with each frame (interleaved samples) now complete, and
    /// the frame's index.
    mutating func append(_ samples: [Float], _ body: (ArraySlice<Float>, Int64) throws -> Void) rethrows {
        buffer.append(contentsOf: samples)
        while (buffer.count / channels) - start >= frameLength {
            try body(buffer[(start * channels)..<((start + frameLength) * channels)], framesCut)
            framesCut += 1
            start += hop
        }
        // Drop consumed samples now and then, not on every frame.
        let consumed = min(start, buffer.count / channels)
        if consumed > 4 * frameLength {
            buffer.removeFirst(consumed * channels)
            start -= consumed
        }
    }
}
