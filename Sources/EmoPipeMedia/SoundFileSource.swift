import CSndfile
import EmoPipeCore
import Foundation

/// `source.audio`: reads WAV, FLAC, OGG/Vorbis, Opus, AIFF, AU, CAF, W64, RF64 and MP3 with
/// libsndfile, from a file or standard input, in chunks (never the whole file at once). Samples
/// come at the file's own rate; no resampling.
public final class SoundFileSource: SourceStage {
    public static let descriptor = StageDescriptor(
        name: "source.audio", role: .source,
        summary: "Reads audio files (WAV, FLAC, OGG, AIFF, ...) with libsndfile, from a file or standard input.",
        outputs: [PortSpec("audio", [.audio], "Float32 PCM chunks of chunk_frames frames at the file's rate.")],
        parameters: [
            ParameterSpec("chunk_frames", .integer, default: .integer(4096), unit: "frames", range: 16...1_048_576,
                          "Sample frames per output chunk (the last one may be shorter)."),
            ParameterSpec("audio_channels", .choice(["mono", "all"]), default: .string("mono"),
                          "'mono' averages the channels; 'all' keeps them interleaved."),
        ],
        fileExtensions: ["wav", "flac", "ogg", "oga", "opus", "aif", "aiff", "aifc", "au", "snd", "caf", "w64", "rf64", "mp3"],
        make: { .source(SoundFileSource(parameters: $0)) })

    private let chunkFrames: Int
    private let downmix: Bool
    private var file: OpaquePointer?
    /// Standard input, kept alive while libsndfile reads it.
    private var pipe: ForwardInputStream?
    private var pipeCallbacks = ForwardInputStream.callbacks
    private var fileChannels = 0
    private var format = AudioFormat(sampleRate: 0, channels: 0)
    private var inputName = ""

    init(parameters: Parameters) {
        chunkFrames = parameters.integer("chunk_frames")
        downmix = parameters.string("audio_channels") == "mono"
    }

    deinit { sf_close(file) }

    public func open(context: StageContext) throws -> [StreamFormat] {
        inputName = context.input.isStandardInput ? "standard input" : context.input.path
        var info = SF_INFO()
        // From a pipe libsndfile cannot know the length (frames == SF_COUNT_MAX); we never use it.
        if context.input.isStandardInput {
            let pipe = ForwardInputStream()
            self.pipe = pipe
            file = sf_open_virtual(&pipeCallbacks, Int32(SFM_READ), &info, Unmanaged.passUnretained(pipe).toOpaque())
        } else {
            file = sf_open(context.input.path, Int32(SFM_READ), &info)
        }
        guard file != nil else {
            let reason = sf_strerror(nil).map { String(cString: $0) } ?? "unknown error"
            throw StageError("cannot open \(inputName): \(reason)")
        }
        guard info.channels > 0, info.samplerate > 0 else {
            throw StageError("\(inputName) declares \(info.channels) channels at \(info.samplerate) Hz")
        }
        fileChannels = Int(info.channels)
        format = AudioFormat(sampleRate: Int(info.samplerate), channels: downmix ? 1 : fileChannels)
        return [.audio(format)]
    }

    public func run(output: Emitter, cancellation: CancellationFlag) throws {
        pipe?.input.cancellation = cancellation
        var chunks = AudioChunkEmitter(format: format)
        var buffer = [Float](repeating: 0, count: chunkFrames * fileChannels)
        while !cancellation.isCancelled {
            let frames = Int(buffer.withUnsafeMutableBufferPointer { sf_readf_float(file, $0.baseAddress, sf_count_t(chunkFrames)) })
            if frames <= 0 { break }
            let samples = buffer[..<(frames * fileChannels)]
            try chunks.emit(downmix ? downmixToMono(samples, channels: fileChannels) : Array(samples), output: output)
        }
        let status = sf_error(file)
        if status != 0 {
            let reason = sf_strerror(file).map { String(cString: $0) } ?? "error \(status)"
            throw StageError("\(inputName): read error: \(reason)")
        }
    }
}
