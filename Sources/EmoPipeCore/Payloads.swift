/// A chunk of PCM audio: interleaved Float32 samples in [-1, 1].
public struct AudioChunk: Sendable, Equatable {
    /// Interleaved samples: frame `i`, channel `c` is at `i * channels + c`.
    public var samples: [Float]
    /// Channels per frame (1 for mono).
    public var channels: Int
    /// Sample frames per second (Hz).
    public var sampleRate: Int

    public init(samples: [Float], channels: Int, sampleRate: Int) {
        self.samples = samples
        self.channels = channels
        self.sampleRate = sampleRate
    }

    /// Number of sample frames (samples per channel) in the chunk.
    public var frameCount: Int { channels == 0 ? 0 : samples.count / channels }
}

/// Pixel layouts a video stream can carry.
public enum PixelFormat: String, Sendable, CaseIterable, Codable {
    /// One byte of luma per pixel.
    case gray8 = "gray"
    /// Three bytes per pixel, red, green, blue.
    case rgb24 = "rgb"

    /// Bytes per pixel.
    public var bytesPerPixel: Int { self == .gray8 ? 1 : 3 }
}

/// One decoded video frame, rows top to bottom, packed (`stride` bytes per row).
public struct VideoFrame: Sendable, Equatable {
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// Pixel layout of `pixels`.
    public var format: PixelFormat
    /// Bytes from the start of one row to the start of the next (>= width * bytes per pixel).
    public var stride: Int
    /// The pixel bytes, `stride * height` of them.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, format: PixelFormat, stride: Int? = nil, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.format = format
        self.stride = stride ?? width * format.bytesPerPixel
        self.pixels = pixels
    }
}

/// A chunk of EEG: interleaved Float32 samples in each channel's physical unit (usually µV).
public struct EEGChunk: Sendable, Equatable {
    /// Interleaved samples: frame `i`, channel `c` is at `i * channels + c`.
    public var samples: [Float]
    /// Channels per sample frame; labels and units are in the stream's `EEGFormat`.
    public var channels: Int

    public init(samples: [Float], channels: Int) {
        self.samples = samples
        self.channels = channels
    }

    /// Number of sample frames in the chunk.
    public var frameCount: Int { channels == 0 ? 0 : samples.count / channels }
}

/// A timed word inside a text segment.
public struct TimedWord: Sendable, Equatable {
    public var start: Timestamp
    public var end: Timestamp
    public var text: String
    /// The recogniser's confidence in the word, 0...1 (the mean probability of its tokens); nil
    /// for words from a transcript file.
    public var confidence: Float?

    public init(start: Timestamp, end: Timestamp, text: String, confidence: Float? = nil) {
        self.start = start
        self.end = end
        self.text = text
        self.confidence = confidence
    }
}

/// A transcript or annotation segment; the packet's timestamp is its start.
public struct TextSegment: Sendable, Equatable {
    /// End of the segment (start is the packet timestamp).
    public var end: Timestamp
    /// The segment's text (a sentence, or an annotation label).
    public var text: String
    /// Word timings when the transcript has them; empty otherwise.
    public var words: [TimedWord]
    /// Where the words came from: `transcript` (a file) or the recogniser's model
    /// (`whisper-tiny.en`); empty when unknown.
    public var origin: String

    public init(end: Timestamp, text: String, words: [TimedWord] = [], origin: String = "") {
        self.end = end
        self.text = text
        self.words = words
        self.origin = origin
    }
}

/// One row of feature values; the column names are the stream's `FeatureSchema`, announced once
/// when the graph is prepared, never repeated per packet.
public struct FeatureRow: Sendable, Equatable {
    /// One value per schema column; NaN means "not defined at this frame" (unvoiced F0, no face).
    public var values: [Float]

    public init(_ values: [Float]) { self.values = values }
}
