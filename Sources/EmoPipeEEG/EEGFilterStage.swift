import EmoPipeCore
import Foundation

/// `eeg.filter`: band-pass and notch filtering of EEG.
///
/// `zero-phase` (files): one linear-phase FIR (Hamming window method), applied while streaming.
/// Its delay is compensated, so every output sample keeps its input's time: there is no phase
/// shift. The edges are set as MNE sets them by default: each cutoff sits in the middle of a
/// transition band of min(max(f/4, 2 Hz), f) (high-pass) or min(max(f/4, 2 Hz), Nyquist - f)
/// (low-pass), and each transition gets 3.3 / (width / rate) taps, built as MNE's
/// `create_filter` builds it (its kernel is checked against MNE's). The notch is a band-stop
/// `notch_width_hz` wide with 1 Hz transitions, in series with the band-pass. The ends are padded with the first and last
/// sample.
/// `causal` (live): second-order Butterworth high-pass and low-pass and an RBJ notch (biquads).
/// Each output depends only on the past, at the price of a frequency-dependent phase lag.
public final class EEGFilterStage: Stage {
    public static let descriptor = StageDescriptor(
        name: "eeg.filter", role: .transform,
        summary: "Band-pass and notch filtering of EEG, zero-phase (FIR) for files or causal (IIR) for live streams.",
        inputs: [PortSpec("eeg", [.eeg], "Multichannel EEG.")],
        outputs: [PortSpec("eeg", [.eeg], "The filtered EEG, same channels, rate and times.")],
        parameters: [
            ParameterSpec("mode", .choice(["zero-phase", "causal"]), default: .string("zero-phase"),
                          "zero-phase: linear-phase FIR, delay compensated (files); causal: IIR biquads (live)."),
            ParameterSpec("low_hz", .number, default: .number(1), unit: "Hz", range: 0...10_000,
                          "High-pass edge; 0 leaves low frequencies in."),
            ParameterSpec("high_hz", .number, default: .number(45), unit: "Hz", range: 0...10_000,
                          "Low-pass edge; 0 leaves high frequencies in."),
            ParameterSpec("notch_hz", .number, default: .number(0), unit: "Hz", range: 0...10_000,
                          "Mains frequency to remove (50 or 60); 0 for none."),
            ParameterSpec("notch_width_hz", .number, default: .number(2), unit: "Hz", range: 0.1...100,
                          "Width of the notch's stop band (zero-phase) or its -3 dB width (causal)."),
        ],
        make: { .stage(EEGFilterStage(parameters: $0)) })

    private let causal: Bool
    private let low: Double, high: Double, notch: Double, notchWidth: Double
    private var channels = 0
    private var rate = 0.0
    // Zero-phase state.
    private var taps: [Float] = []
    private var padded: [[Float]] = []
    private var dropped = 0
    private var emitted: Int64 = 0
    private var origin: Timestamp?
    // Causal state: one chain of sections per channel.
    private var sections: [[Biquad]] = []

    init(parameters: Parameters) {
        causal = parameters.string("mode") == "causal"
        low = parameters.number("low_hz")
        high = parameters.number("high_hz")
        notch = parameters.number("notch_hz")
        notchWidth = parameters.number("notch_width_hz")
    }

    /// The filter's delay in samples (zero-phase mode), compensated in the output times.
    var delay: Int { (taps.count - 1) / 2 }

    public func prepare(inputs: [StreamFormat], context: StageContext) throws -> [StreamFormat] {
        guard case .eeg(let format) = inputs[0] else { throw StageError("eeg.filter takes EEG") }
        rate = format.sampleRate
        channels = format.labels.count
        guard rate > 0, channels > 0 else { return inputs }
        let nyquist = rate / 2
        for (name, value) in [("low_hz", low), ("high_hz", high), ("notch_hz", notch)] where value >= nyquist {
            throw StageError("\(name) \(value) Hz is not below the Nyquist frequency (\(nyquist) Hz at \(rate) Hz)")
        }
        if low > 0 && high > 0 && low >= high { throw StageError("low_hz (\(low)) must be below high_hz (\(high))") }
        if causal {
            var chain: [Biquad] = []
            if low > 0 { chain.append(.highPass(cutoff: low, rate: rate)) }
            if high > 0 { chain.append(.lowPass(cutoff: high, rate: rate)) }
            if notch > 0 { chain.append(.notch(center: notch, width: notchWidth, rate: rate)) }
            sections = Array(repeating: chain, count: channels)
            return inputs
        }
        taps = zeroPhaseKernel().map(Float.init)
        padded = Array(repeating: [], count: channels)
        return inputs
    }

    /// The FIR kernel: band-pass (MNE's default transitions), in series with the band-stop notch.
    func zeroPhaseKernel() -> [Double] {
        let nyquist = rate / 2
        var kernel = FIRDesign.identity(length: 1)
        if low > 0 || high > 0 {
            var frequencies: [Double] = [0], gains: [Double] = [low > 0 ? 0 : 1]
            if low > 0 {
                let transition = min(max(low / 4, 2), low)
                frequencies += [low - transition, low]
                gains += [0, 1]
            }
            if high > 0 {
                let transition = min(max(high / 4, 2), nyquist - high)
                frequencies += [high, high + transition]
                gains += [1, 0]
            }
            frequencies.append(nyquist)
            gains.append(gains.last!)
            kernel = FIRDesign.piecewise(frequencies: frequencies, gains: gains, rate: rate)
        }
        if notch > 0 {
            let edges = [notch - notchWidth / 2, notch + notchWidth / 2]
            let stop = FIRDesign.piecewise(frequencies: [0, edges[0] - 1, edges[0], edges[1], edges[1] + 1, nyquist],
                                           gains: [1, 1, 0, 0, 1, 1], rate: rate)
            kernel = FIRDesign.cascade(kernel, stop)
        }
        return kernel
    }

    public func process(_ packet: Packet, input: Int, output: Emitter) throws {
        guard case .eeg(let chunk) = packet.payload, chunk.channels == channels, channels > 0 else { return }
        if causal {
            var samples = chunk.samples
            for index in samples.indices {
                samples[index] = Float(sections[index % channels].indices.reduce(Double(samples[index])) { value, section in
                    sections[index % channels][section].process(value)
                })
            }
            try output.emit(.eeg(EEGChunk(samples: samples, channels: channels)), at: packet.timestamp, duration: packet.duration)
            return
        }
        if origin == nil {
            origin = packet.timestamp
            // Pad the start with the first sample so the first outputs have a full kernel.
            for channel in 0..<channels { padded[channel] = Array(repeating: chunk.samples[channel], count: delay) }
        }
        chunk.samples.withUnsafeBufferPointer { samples in
            for channel in 0..<channels {
                padded[channel].append(contentsOf: (0..<chunk.frameCount).lazy.map { samples[$0 * self.channels + channel] })
            }
        }
        try emitAvailable(output: output)
    }

    /// Emits every output whose kernel window is complete.
    private func emitAvailable(output: Emitter) throws {
        let available = padded[0].count - taps.count + 1 - (Int(emitted) - dropped)
        guard available > 0 else { return }
        var samples = [Float](repeating: 0, count: available * channels)
        taps.withUnsafeBufferPointer { kernel in
            for channel in 0..<channels {
                padded[channel].withUnsafeBufferPointer { input in
                    for frame in 0..<available {
                        let start = input.baseAddress! + (Int(emitted) - dropped + frame)
                        var sum: Float = 0
                        for tap in 0..<kernel.count { sum += kernel[tap] * start[tap] }
                        samples[frame * channels + channel] = sum
                    }
                }
            }
        }
        let time = origin! + Timestamp(seconds: Double(emitted) / rate)
        emitted += Int64(available)
        let end = origin! + Timestamp(seconds: Double(emitted) / rate)
        try output.emit(.eeg(EEGChunk(samples: samples, channels: channels)), at: time, duration: end - time)
        // Keep only what later outputs still need.
        let consumed = Int(emitted) - dropped
        if consumed > 4 * taps.count {
            for channel in 0..<channels { padded[channel].removeFirst(consumed) }
            dropped += consumed
        }
    }

    public func finish(output: Emitter) throws {
        guard !causal, origin != nil, channels > 0 else { return }
        // Pad the end with the last sample so every input sample gets its output.
        for channel in 0..<channels { padded[channel] += Array(repeating: padded[channel].last!, count: delay) }
        try emitAvailable(output: output)
    }
}
