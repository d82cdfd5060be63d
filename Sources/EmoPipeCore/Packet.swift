/// The data a packet carries; its case is the stream's `PayloadKind`.
public enum Payload: Sendable, Equatable {
    case audio(AudioChunk)
    case video(VideoFrame)
    case eeg(EEGChunk)
    case text(TextSegment)
    case features(FeatureRow)
    case prediction(Prediction)
    /// Boxed: a summary is large (160 bytes) and rare, and would otherwise size every packet.
    indirect case recording(RecordingSummary)

    /// The kind of this payload.
    public var kind: PayloadKind {
        switch self {
        case .audio: .audio
        case .video: .video
        case .eeg: .eeg
        case .text: .text
        case .features: .features
        case .prediction: .prediction
        case .recording: .recording
        }
    }
}

/// One timestamped payload on a stream. Streams are ordered by timestamp (non-decreasing); the
/// engine checks this at every edge and names the stage that breaks it.
public struct Packet: Sendable, Equatable {
    /// Start of the data, microseconds since the start of the input.
    public var timestamp: Timestamp
    /// How long the data lasts (a frame's hop, a chunk's length); zero for instants.
    public var duration: Timestamp
    public var payload: Payload

    public init(timestamp: Timestamp, duration: Timestamp = .zero, payload: Payload) {
        self.timestamp = timestamp
        self.duration = duration
        self.payload = payload
    }
}
