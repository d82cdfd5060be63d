import EmoPipeCore
import Foundation

/// `audio.level`: RMS and peak level of each frame in dB relative to full scale.
///
/// `rms_dbfs` = 20·log10(RMS) over every sample of the frame (all channels), so a full-scale sine
/// reads −3.01 dBFS and a full-scale square wave 0 dBFS (not the AES17 convention, which adds
/// 3.01 dB to sines). `peak_dbfs` = 20·log10(max |sample|). Levels below `floor_db` (digital
/// silence) read `floor_db`.
public final class AudioLevelStage: Stage {
    public static let descriptor = StageDescriptor(
        name: "audio.level", role: .transform,
        summary: "RMS and peak level (dBFS) per frame.",
        inputs: [PortSpec("audio", [.audio], "PCM audio, any rate and channel count.")],
        outputs: [PortSpec("level", [.features], "rms_dbfs, peak_dbfs per frame, stamped at the frame's start.")],
        parameters: [
            ParameterSpec("frame_ms", .number, default: .number(25), unit: "ms", range: 0.1...10_000,
                          "Frame length over which RMS and peak are taken."),
            ParameterSpec("hop_ms", .number, default: .number(10), unit: "ms", range: 0.1...10_000,
                          "Time between the starts of consecutive frames."),
            ParameterSpec("floor_db", .number, default: .number(-120), unit: "dBFS", range: -400...0,
                          "Lowest level reported; silence reads this instead of minus infinity."),
        ],
        make: { .stage(AudioLevelStage(parameters: $0)) })

    private let frameSeconds: Double
    private let hopSeconds: Double
    private let floor: Float
    private var framer: AudioFramer?
    private var origin: Timestamp?
    private var sampleRate = 0

    init(parameters: Parameters) {
        frameSeconds = parameters.number("frame_ms") / 1000
        hopSeconds = parameters.number("hop_ms") / 1000
        floor = Float(parameters.number("floor_db"))
    }

    public func prepare(inputs: [StreamFormat], context: StageContext) throws -> [StreamFormat] {
        guard case .audio(let format) = inputs[0] else { throw StageError("audio.level takes audio") }
        sampleRate = format.sampleRate
        let frameLength = Int((frameSeconds * Double(format.sampleRate)).rounded())
        let hop = Int((hopSeconds * Double(format.sampleRate)).rounded())
        guard format.sampleRate > 0, format.channels > 0 else {
            // An input without audio (a silent video) yields an empty level stream.
            return [.features(FeatureSchema(["rms_dbfs", "peak_dbfs"]))]
        }
        guard frameLength >= 1, hop >= 1 else {
            throw StageError("frame_ms and hop_ms must span at least one sample at \(format.sampleRate) Hz")
        }
        framer = AudioFramer(frameLength: frameLength, hop: hop, channels: format.channels)
        return [.features(FeatureSchema(["rms_dbfs", "peak_dbfs"]))]
    }

    public func process(_ packet: Packet, input: Int, output: Emitter) throws {
        guard case .audio(let chunk) = packet.payload, let hop = framer?.hop else { return }
        if origin == nil { origin = packet.timestamp }
        let origin = self.origin!, rate = sampleRate, floor = self.floor
        let hopDuration = Timestamp(sample: Int64(hop), rate: rate)
        try framer!.append(chunk.samples) { frame, index in
            var sumOfSquares: Double = 0
            var peak: Float = 0
            for sample in frame {
                sumOfSquares += Double(sample * sample)
                peak = max(peak, abs(sample))
            }
            let rms = (sumOfSquares / Double(frame.count)).squareRoot()
            let row = FeatureRow([Self.decibels(Float(rms), floor: floor), Self.decibels(peak, floor: floor)])
            let time = origin + Timestamp(sample: index * Int64(hop), rate: rate)
            try output.emit(.features(row), at: time, duration: hopDuration)
        }
    }

    public func finish(output: Emitter) throws {}

    private static func decibels(_ amplitude: Float, floor: Float) -> Float {
        guard amplitude > 0 else { return floor }
        return max(floor, 20 * log10(amplitude))
    }
}
