import EmoPipeDSP
import Foundation

/// Whisper's log-mel front end, streamed: 16 kHz mono samples in, one frame of 80 log10 mel
/// powers every 10 ms out, equal to faster-whisper's `FeatureExtractor` (and openai-whisper's
/// `log_mel_spectrogram`): 400-sample periodic Hann frames centred on multiples of 160 samples
/// (reflect padding at the edges), power spectrum, 80 Slaney mels with Slaney area normalisation
/// from 0 to 8 kHz, log10 of at least 1e-10. The stream is padded with 160 zeros at its end and
/// the last frame is dropped, so N samples give floor((N + 160) / 160) frames.
///
/// `normalise` then applies Whisper's scaling to a window: values floored at the window's
/// largest minus 8, mapped by (x + 4) / 4.
struct WhisperLogMel {
    static let sampleRate = 16_000
    static let hop = 160
    static let fftSize = 400
    let mels: Int
    private let filterbank: MelFilterbank
    private let fft = RealFFT(size: fftSize)
    private let window: [Float]
    /// Samples from `base` on (absolute sample index of `samples[0]`).
    private var samples: [Float] = []
    private var base = 0
    /// The first 200 samples of the stream, for the reflect padding of the first frames.
    private var head: [Float] = []
    /// The next frame to produce.
    private(set) var nextFrame = 0
    private var power = [Float](repeating: 0, count: fftSize / 2 + 1)
    private var frame = [Float](repeating: 0, count: fftSize)
    private var energies: [Float] = []

    init(mels: Int = 80) {
        self.mels = mels
        filterbank = MelFilterbank(sampleRate: Double(Self.sampleRate), fftSize: Self.fftSize, count: mels, lowest: 0, highest: 8000,
                                   scale: .slaney, normalise: true)
        window = (0..<Self.fftSize).map { 0.5 - 0.5 * cos(2 * Float.pi * Float($0) / Float(Self.fftSize)) }
    }

    /// Adds samples (a NaN or infinite one counts as silence); appends each frame now complete
    /// (mels values) to `frames`.
    mutating func append(_ new: UnsafeBufferPointer<Float>, into frames: inout [Float]) {
        let start = samples.count
        samples.append(contentsOf: new)
        for index in start..<samples.count where !samples[index].isFinite { samples[index] = 0 }
        if head.count < Self.fftSize / 2 + 1 {
            head.append(contentsOf: samples[start...].prefix(Self.fftSize / 2 + 1 - head.count))
        }
        let half = Self.fftSize / 2
        while nextFrame * Self.hop + half <= base + samples.count, head.count > half {
            compute(frame: nextFrame, total: nil, into: &frames)
            nextFrame += 1
        }
        trim()
    }

    /// Ends the stream: the frames left, with the end padding.
    mutating func finish(into frames: inout [Float]) {
        let total = base + samples.count
        samples.append(contentsOf: repeatElement(0, count: Self.hop))
        if head.count < Self.fftSize / 2 + 1 { head = Array(samples.prefix(Self.fftSize / 2 + 1)) }
        let padded = total + Self.hop
        let count = padded / Self.hop
        while nextFrame < count {
            compute(frame: nextFrame, total: padded, into: &frames)
            nextFrame += 1
        }
    }

    /// The sample at absolute index `index` of the stream (padded: zeros then reflection at the
    /// end once `total` is known, reflection at the start).
    private func sample(_ index: Int, total: Int?) -> Float {
        var index = index
        if index < 0 { index = -index; return index < head.count ? head[index] : 0 }
        if let total, index >= total { index = 2 * total - 2 - index }
        if index < 0 { return 0 }
        if index < base { return index < head.count ? head[index] : 0 }
        let offset = index - base
        return offset < samples.count ? samples[offset] : 0
    }

    private mutating func compute(frame index: Int, total: Int?, into frames: inout [Float]) {
        let start = index * Self.hop - Self.fftSize / 2
        if start >= base, start + Self.fftSize <= base + samples.count, total == nil {
            for offset in 0..<Self.fftSize { frame[offset] = samples[start - base + offset] * window[offset] }
        } else {
            for offset in 0..<Self.fftSize { frame[offset] = sample(start + offset, total: total) * window[offset] }
        }
        frame.withUnsafeBufferPointer { fft.power(of: $0, into: &power) }
        filterbank.apply(power, into: &energies)
        for value in energies { frames.append(log10(max(value, 1e-10))) }
    }

    /// Drops samples no later frame needs.
    private mutating func trim() {
        let needed = nextFrame * Self.hop - Self.fftSize / 2
        let drop = needed - base
        if drop > 4 * Self.fftSize {
            samples.removeFirst(drop)
            base += drop
        }
    }

    /// Whisper's scaling of a window of log10 frames: floor at the largest value minus 8, then
    /// (x + 4) / 4.
    static func normalise(_ frames: ArraySlice<Float>) -> [Float] {
        let largest = frames.max() ?? 0
        return frames.map { (max($0, largest - 8) + 4) / 4 }
    }
}
