import EmoPipeCore
import Foundation

/// `source.pcm`: headerless PCM (signed 16-bit or 32-bit float, little-endian) from standard
/// input or a file, with the rate and channel count given as parameters, as `ffmpeg -f s16le`
/// or `arecord -t raw` produce it.
public final class RawPCMSource: SourceStage {
    public static let descriptor = StageDescriptor(
        name: "source.pcm", role: .source,
        summary: "Reads raw little-endian PCM (s16le or f32le) from standard input or a file.",
        outputs: [PortSpec("audio", [.audio], "Float32 PCM chunks of chunk_frames frames.")],
        parameters: [
            ParameterSpec("sample_format", .choice(["s16le", "f32le"]), default: .string("s16le"),
                          "Encoding of each sample."),
            ParameterSpec("rate", .integer, default: .integer(16000), unit: "Hz", range: 1...384_000,
                          "Sample frames per second of the input."),
            ParameterSpec("channels", .integer, default: .integer(1), range: 1...64,
                          "Interleaved channels in the input."),
            ParameterSpec("chunk_frames", .integer, default: .integer(1024), unit: "frames", range: 16...1_048_576,
                          "Sample frames per output chunk; smaller chunks mean lower live latency."),
            ParameterSpec("audio_channels", .choice(["mono", "all"]), default: .string("mono"),
                          "'mono' averages the channels; 'all' keeps them interleaved."),
        ],
        fileExtensions: ["pcm", "raw", "s16", "f32"],
        make: { .source(RawPCMSource(parameters: $0)) })

    private let isFloat: Bool
    private let rate: Int
    private let channels: Int
    private let chunkFrames: Int
    private let downmix: Bool
    private var input: CancellableInput?
    private var file: FileHandle?

    init(parameters: Parameters) {
        isFloat = parameters.string("sample_format") == "f32le"
        rate = parameters.integer("rate")
        channels = parameters.integer("channels")
        chunkFrames = parameters.integer("chunk_frames")
        downmix = parameters.string("audio_channels") == "mono"
    }

    public func open(context: StageContext) throws -> [StreamFormat] {
        if context.input.isStandardInput {
            input = CancellableInput()
        } else {
            guard let file = FileHandle(forReadingAtPath: context.input.path) else {
                throw StageError("cannot open \(context.input.path): no such file or no permission")
            }
            self.file = file
            input = CancellableInput(descriptor: file.fileDescriptor)
        }
        return [.audio(AudioFormat(sampleRate: rate, channels: downmix ? 1 : channels))]
    }

    public func run(output: Emitter, cancellation: CancellationFlag) throws {
        guard let input else { return }
        input.cancellation = cancellation
        let frameBytes = (isFloat ? 4 : 2) * channels
        var chunks = AudioChunkEmitter(format: AudioFormat(sampleRate: rate, channels: downmix ? 1 : channels))
        var buffer = Data(count: chunkFrames * frameBytes)
        while true {
            // Whole chunks only (a pipe delivers whatever is ready), so chunking is the same
            // whatever the pipe's timing; the last chunk may be shorter.
            let got = buffer.withUnsafeMutableBytes { input.readFully(into: $0.baseAddress!, count: $0.count) }
            let whole = got / frameBytes * frameBytes
            if whole > 0 { try emit(buffer.prefix(whole), chunks: &chunks, output: output) }
            if got < buffer.count { break }
        }
    }

    private func emit(_ bytes: Data, chunks: inout AudioChunkEmitter, output: Emitter) throws {
        let samples: [Float] = bytes.withUnsafeBytes { raw in
            if isFloat {
                return (0..<raw.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
            }
            return (0..<raw.count / 2).map { Float(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: Int16.self))) / 32768 }
        }
        try chunks.emit(downmix ? downmixToMono(samples[...], channels: channels) : samples, output: output)
    }
}
