/// Format of an audio stream.
public struct AudioFormat: Sendable, Equatable {
    /// Sample frames per second (Hz).
    public var sampleRate: Int
    /// Channels per frame.
    public var channels: Int

    public init(sampleRate: Int, channels: Int) {
        self.sampleRate = sampleRate
        self.channels = channels
    }
}

/// Format of a video stream.
public struct VideoFormat: Sendable, Equatable {
    /// Frame width in pixels.
    public var width: Int
    /// Frame height in pixels.
    public var height: Int
    public var pixelFormat: PixelFormat
    /// Nominal frames per second; 0 when unknown (variable frame rate, still image).
    public var frameRate: Double
    /// True for a still image (a photograph opened as a one-frame video): face stages search it
    /// thoroughly (every face, small faces) since there is no next frame to find them in.
    public var isStill: Bool

    public init(width: Int, height: Int, pixelFormat: PixelFormat, frameRate: Double, isStill: Bool = false) {
        self.width = width
        self.height = height
        self.pixelFormat = pixelFormat
        self.frameRate = frameRate
        self.isStill = isStill
    }
}

/// Format of an EEG stream.
public struct EEGFormat: Sendable, Equatable {
    /// Channel labels, in sample order.
    public var labels: [String]
    /// Physical unit per channel (e.g. "uV").
    public var units: [String]
    /// Sample frames per second (Hz).
    public var sampleRate: Double

    public init(labels: [String], units: [String], sampleRate: Double) {
        self.labels = labels
        self.units = units
        self.sampleRate = sampleRate
    }
}

/// Column names of a feature stream, fixed for the stream's lifetime.
public struct FeatureSchema: Sendable, Equatable {
    public var names: [String]
    /// Constants of the stream that downstream stages may need, announced once with the names
    /// (for example `image_width` and `image_height` in pixels for face landmarks).
    public var attributes: [String: Double]

    public init(_ names: [String], attributes: [String: Double] = [:]) {
        self.names = names
        self.attributes = attributes
    }

    /// The position of column `name`, if the stream has it.
    public func index(of name: String) -> Int? { names.firstIndex(of: name) }
}

/// What a stream carries, known once its producer is prepared for an input: the payload kind
/// plus the details downstream stages need (sample rate, frame size, feature names).
public enum StreamFormat: Sendable, Equatable {
    case audio(AudioFormat)
    case video(VideoFormat)
    case eeg(EEGFormat)
    case text
    case features(FeatureSchema)
    case prediction
    case recording

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
