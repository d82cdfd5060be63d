import EmoPipeCore

/// The framing the frame-wise audio analyses share (`audio.spectral`, `audio.pitch`,
/// `audio.vad`): chunks of any channel count are averaged to mono and cut into frames of
/// `frameLength` every `hop` samples; when `centred`, frameLength/2 zeros go before the first
/// chunk and after the last, so frame k is centred on sample k x hop (librosa's center=True).
/// Frame k is stamped at the first chunk's time stamp plus k x hop (`FrameClock`).
struct CentredAudioFramer {
    /// The body of `append` and `finish`: a frame, its index, and the clock that stamps it.
    typealias Body = (ArraySlice<Float>, Int64, FrameClock) throws -> Void

    let rate: Int
    let channels: Int
    let hop: Int
    let padding: Int
    private var framer: AudioFramer
    /// Stamps frames, once the first chunk came.
    private(set) var clock: FrameClock?

    init(frameLength: Int, hop: Int, rate: Int, channels: Int, centred: Bool) {
        self.rate = rate
        self.channels = channels
        self.hop = hop
        padding = centred ? frameLength / 2 : 0
        framer = AudioFramer(frameLength: frameLength, hop: hop, channels: 1)
    }

    /// Appends a chunk stamped `timestamp`; `body` gets every frame now complete and its index.
    mutating func append(_ chunk: AudioChunk, at timestamp: Timestamp, _ body: Body) rethrows {
        if clock == nil {
            let clock = FrameClock(origin: timestamp, hop: hop, rate: rate)
            self.clock = clock
            try framer.append([Float](repeating: 0, count: padding)) { try body($0, $1, clock) }
        }
        let clock = self.clock!
        try framer.append(downmixToMono(chunk.samples[...], channels: channels)) { try body($0, $1, clock) }
    }

    /// Ends the stream: the trailing padding completes the last centred frames. Returns false
    /// when no chunk ever came.
    @discardableResult
    mutating func finish(_ body: Body) rethrows -> Bool {
        guard let clock else { return false }
        try framer.append([Float](repeating: 0, count: padding)) { try body($0, $1, clock) }
        return true
    }
}

/// Time stamps of a frame sequence: frame k at `origin` + k x `hop` samples.
struct FrameClock {
    let origin: Timestamp
    let hop: Int
    let rate: Int

    /// The time stamp of frame `index`.
    func time(ofFrame index: Int64) -> Timestamp { origin + Timestamp(sample: index * Int64(hop), rate: rate) }

    /// The time between frames.
    var step: Timestamp { Timestamp(sample: Int64(hop), rate: rate) }
}
