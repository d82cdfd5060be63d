import EmoPipeAudio
import EmoPipeCore
import EmoPipeMedia
import Foundation

/// Signals with known answers, and a way to run audio stages over them.
enum AudioTestSupport {
    static let testsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let repositoryRoot = testsFolder.deletingLastPathComponent().deletingLastPathComponent()
    static let sharedData = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data")

    /// A sine of `hertz` at `amplitude` (full scale 1).
    static func sine(_ hertz: Double, seconds: Double, rate: Int = 16000, amplitude: Double = 0.5) -> [Float] {
        (0..<Int(seconds * Double(rate))).map { Float(amplitude * sin(2 * Double.pi * hertz * Double($0) / Double(rate))) }
    }

    /// An exponential chirp from `start` to `end` Hz, and its instantaneous frequency at time t.
    static func chirp(from start: Double, to end: Double, seconds: Double, rate: Int = 16000) -> (samples: [Float], frequency: (Double) -> Double) {
        let k = log(end / start) / seconds
        let samples = (0..<Int(seconds * Double(rate))).map { index -> Float in
            let t = Double(index) / Double(rate)
            return Float(0.5 * sin(2 * Double.pi * start * (exp(k * t) - 1) / k))
        }
        return (samples, { t in start * exp(k * t) })
    }

    /// Uniform white noise from a fixed-seed generator (reproducible).
    static func whiteNoise(seconds: Double, rate: Int = 16000, amplitude: Float = 0.3, seed: UInt64 = 1) -> [Float] {
        var state = seed
        return (0..<Int(seconds * Double(rate))).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return amplitude * (Float(state >> 40) / Float(1 << 24) * 2 - 1)
        }
    }

    /// A vowel-like signal: a 1/k-weighted harmonic series at `f0`, optionally through formant
    /// resonators (two-pole filters at `formants`, Hz, with bandwidth 80 Hz).
    static func vowel(f0: Double, formants: [Double] = [], seconds: Double, rate: Int = 16000) -> [Float] {
        var signal = (0..<Int(seconds * Double(rate))).map { index -> Double in
            let t = Double(index) / Double(rate)
            var value = 0.0
            var k = 1
            while Double(k) * f0 < Double(rate) / 2 { value += sin(2 * Double.pi * Double(k) * f0 * t) / Double(k); k += 1 }
            return value
        }
        for formant in formants {
            let r = exp(-Double.pi * 80 / Double(rate)), theta = 2 * Double.pi * formant / Double(rate)
            var y1 = 0.0, y2 = 0.0
            signal = signal.map { x in
                let y = x + 2 * r * cos(theta) * y1 - r * r * y2
                y2 = y1; y1 = y
                return y
            }
        }
        let peak = signal.map(abs).max() ?? 1
        return signal.map { Float(0.5 * $0 / peak) }
    }

    /// Runs a transform stage over mono `samples` pushed in chunks (`connected`: which outputs
    /// have consumers, all by default); returns each output port's feature rows and time stamps.
    static func run(_ descriptor: StageDescriptor, _ parameters: [String: ParameterValue] = [:], samples: [Float],
                    rate: Int = 16000, chunk: Int = 1000, connected: [Bool] = []) throws -> [(rows: [[Float]], times: [Double])] {
        let harness = try StageHarness(descriptor, parameters: parameters, inputs: [.audio(AudioFormat(sampleRate: rate, channels: 1))],
                                       connected: connected)
        var start = 0
        while start < samples.count {
            let end = min(samples.count, start + chunk)
            _ = try harness.push(Packet(timestamp: Timestamp(sample: Int64(start), rate: rate),
                                        payload: .audio(AudioChunk(samples: Array(samples[start..<end]), channels: 1, sampleRate: rate))))
            start = end
        }
        try harness.finish()
        return (0..<descriptor.outputs.count).map { port in
            let packets = harness.emitted(on: port)
            return (packets.map { packet in if case .features(let row) = packet.payload { row.values } else { [] } },
                    packets.map { Double($0.timestamp.microseconds) / 1_000_000 })
        }
    }

    /// Decodes `path` to mono at `rate` through source.media.
    static func decode(_ path: String, rate: Int = 16000) throws -> [Float] {
        let (_, packets) = try SourceHarness.run(MediaSource.descriptor,
                                                 parameters: ["audio_rate": .integer(rate), "audio_channels": .string("mono")],
                                                 input: InputLocation(path: path))
        return packets[0].flatMap { packet -> [Float] in if case .audio(let chunk) = packet.payload { chunk.samples } else { [] } }
    }

    /// Pearson correlation.
    static func pearson(_ a: [Double], _ b: [Double]) -> Double {
        let n = Double(a.count), ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for (x, y) in zip(a, b) { sab += (x - ma) * (y - mb); saa += (x - ma) * (x - ma); sbb += (y - mb) * (y - mb) }
        return sab / (saa * sbb).squareRoot()
    }
}

/// SplitMix64: a small seeded generator, so randomised tests draw the same inputs on every run.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
