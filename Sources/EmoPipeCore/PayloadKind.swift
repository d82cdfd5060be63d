/// The closed set of payload kinds a stream can carry. Ports declare kinds; the graph checks them
/// before anything runs, as GStreamer checks caps.
public enum PayloadKind: String, CaseIterable, Sendable, Codable, CustomStringConvertible {
    /// Chunks of Float32 PCM samples.
    case audio
    /// Single decoded video frames.
    case video
    /// Chunks of multichannel EEG samples in physical units.
    case eeg
    /// Transcript or annotation segments.
    case text
    /// Rows of named Float values (the names are the stream's schema).
    case features
    /// Frame-level emotion and A/H estimates.
    case prediction
    /// Recording-level summaries (one per input, at its end).
    case recording

    public var description: String { rawValue }
}
