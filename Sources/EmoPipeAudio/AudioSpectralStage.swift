import EmoPipeCore
import EmoPipeDSP
import Foundation

/// `audio.spectral`: short-time spectra of mono audio as log-mel energies and MFCCs, computed
/// as librosa computes them (checked against it within 1e-3), and eGeMAPS's spectral
/// descriptors (centroid, roll-off, flux, band slopes, alpha ratio, Hammarberg index, loudness).
///
/// Frames of `frame_ms` every `hop_ms`, periodic Hann window, FFT of `n_fft` points (FFTW),
/// power spectrum, mel filterbank; `logmel_i` = 10·log10(max(mel energy, 1e-10)) dB (librosa's
/// `power_to_db` without the `top_db` clip, which needs the whole recording); `mfcc_i` =
/// orthonormal DCT-II of the log-mel vector, optionally liftered. With `center`, frame k is
/// centred on sample k·hop (zero padding at both ends, as librosa) and stamped there; without,
/// it starts there. Several channels are averaged to mono first. With `window: hamming`,
/// `frame_ms: 20`, `n_fft` a power of two, `mel_scale: htk`, `mel_norm: none`, 26 mels over
/// 20-8000 Hz and `lifter: 22`, the MFCCs 1-4 and the descriptors are eGeMAPS's (openSMILE
/// uses ln and HTK's DCT scale, so its MFCCs differ from these by a constant factor).
public final class AudioSpectralStage: Stage {
    public static let descriptor = StageDescriptor(
        name: "audio.spectral", role: .transform,
        summary: "Log-mel energies and MFCCs per frame (librosa-compatible).",
        inputs: [PortSpec("audio", [.audio], "PCM audio; several channels are averaged.")],
        outputs: [
            PortSpec("logmel", [.features], "logmel_0 ... logmel_{n_mels-1}, dB."),
            PortSpec("mfcc", [.features], "mfcc_0 ... mfcc_{n_mfcc-1}."),
            PortSpec("descriptors", [.features],
                     "centroid_hz, rolloff_hz (85%), flux, slope_0_500 and slope_500_1500 (dB/Hz), alpha_ratio_db, hammarberg_db, loudness (sone-like, eGeMAPS), power (mean square of the frame, unwindowed)."),
        ],
        parameters: [
            ParameterSpec("frame_ms", .number, default: .number(32), unit: "ms", range: 1...1000,
                          "Window length (32 ms is 512 samples at 16 kHz)."),
            ParameterSpec("hop_ms", .number, default: .number(10), unit: "ms", range: 0.1...1000,
                          "Time between frames."),
            ParameterSpec("window", .choice(["hann", "hamming"]), default: .string("hann"),
                          "Analysis window: periodic Hann (librosa) or symmetric Hamming (openSMILE, eGeMAPS)."),
            ParameterSpec("n_fft", .integer, default: .integer(0), unit: "samples", range: 0...65536,
                          "FFT length; 0 uses the window length."),
            ParameterSpec("n_mels", .integer, default: .integer(64), range: 1...512, "Number of mel filters."),
            ParameterSpec("mel_scale", .choice(["slaney", "htk"]), default: .string("slaney"),
                          "Mel scale: Slaney's (librosa's default) or HTK's."),
            ParameterSpec("mel_norm", .choice(["slaney", "none"]), default: .string("slaney"),
                          "Filter normalisation: Slaney's equal area, or peak 1."),
            ParameterSpec("fmin_hz", .number, default: .number(0), unit: "Hz", range: 0...100_000, "Lowest mel edge."),
            ParameterSpec("fmax_hz", .number, default: .number(0), unit: "Hz", range: 0...100_000,
                          "Highest mel edge; 0 is half the sample rate."),
            ParameterSpec("n_mfcc", .integer, default: .integer(13), range: 1...512, "Number of cepstral coefficients."),
            ParameterSpec("lifter", .number, default: .number(0), range: 0...1000,
                          "Cepstral liftering 1 + (L/2)·sin(pi·(k+1)/L), as librosa; 0 for none."),
            ParameterSpec("center", .boolean, default: .boolean(true),
                          "Centre frames on their time stamp (librosa's center=True)."),
        ],
        make: { .stage(AudioSpectralStage(parameters: $0)) })

    private let parameters: Parameters
    private var framer: CentredAudioFramer?
    private var fft: RealFFT?
    private var dct: DCT?
    private var filterbank: MelFilterbank?
    private var window: [Float] = []
    /// Scratch: the windowed frame, and its power spectrum.
    private var windowed: [Float] = []
    private var power: [Float] = []
    private var melEnergies: [Float] = []
    /// Which outputs have consumers (the others are not computed).
    private var wanted = (logmel: true, mfcc: true, descriptors: true)
    private var mfccCount = 0
    private var lifter: [Float] = []
    private var descriptors: SpectralDescriptors?
    private var loudness: AuditoryLoudness?
    /// Whether loudness's auditory bands are the mel filterbank (eGeMAPS's 26 HTK bands), so
    /// its band energies are computed once.
    private var loudnessSharesBands = false
    /// Window length in samples, and where it sits in the FFT frame.
    private var windowSpan = 0..<0

    init(parameters: Parameters) { self.parameters = parameters }

    public func prepare(inputs: [StreamFormat], context: StageContext) throws -> [StreamFormat] {
        guard case .audio(let format) = inputs[0] else { throw StageError("audio.spectral takes audio") }
        let melCount = parameters.integer("n_mels")
        mfccCount = parameters.integer("n_mfcc")
        guard mfccCount <= melCount else { throw StageError("n_mfcc (\(mfccCount)) cannot exceed n_mels (\(melCount))") }
        let schemas: [StreamFormat] = [.features(FeatureSchema((0..<melCount).map { "logmel_\($0)" })),
                                       .features(FeatureSchema((0..<mfccCount).map { "mfcc_\($0)" })),
                                       .features(FeatureSchema(SpectralDescriptors.names + ["loudness", "power"]))]
        guard format.sampleRate > 0, format.channels > 0 else { return schemas }
        let rate = format.sampleRate
        wanted = (context.isConnected(output: 0), context.isConnected(output: 1), context.isConnected(output: 2))
        let frame = Int((parameters.number("frame_ms") * Double(rate) / 1000).rounded())
        let hop = Int((parameters.number("hop_ms") * Double(rate) / 1000).rounded())
        let fftSize = parameters.integer("n_fft") > 0 ? parameters.integer("n_fft") : frame
        guard frame >= 2, hop >= 1, fftSize >= frame else {
            throw StageError("at \(rate) Hz: a window of \(frame), a hop of \(hop) and an FFT of \(fftSize) samples do not fit (FFT >= window >= 2)")
        }
        let nyquist = Double(rate) / 2
        let highest = parameters.number("fmax_hz") > 0 ? parameters.number("fmax_hz") : nyquist
        let lowest = parameters.number("fmin_hz")
        guard lowest < highest, highest <= nyquist else {
            throw StageError("mel range \(lowest)-\(highest) Hz does not fit below \(nyquist) Hz")
        }
        filterbank = MelFilterbank(sampleRate: Double(rate), fftSize: fftSize, count: melCount, lowest: lowest, highest: highest,
                                   scale: parameters.string("mel_scale") == "htk" ? .htk : .slaney,
                                   normalise: parameters.string("mel_norm") == "slaney")
        fft = RealFFT(size: fftSize)
        dct = DCT(size: melCount)
        // A window shorter than the FFT is centred in it, as librosa pads it.
        let offset = (fftSize - frame) / 2
        let shape = parameters.string("window") == "hamming" ? Window.hamming(length: frame) : Window.periodicHann(length: frame)
        window = [Float](repeating: 0, count: offset) + shape + [Float](repeating: 0, count: fftSize - frame - offset)
        windowSpan = offset..<(offset + frame)
        descriptors = SpectralDescriptors(sampleRate: Double(rate), fftSize: fftSize)
        loudness = AuditoryLoudness(sampleRate: Double(rate), fftSize: fftSize)
        loudnessSharesBands = loudness!.filterbank == filterbank
        power = [Float](repeating: 0, count: fftSize / 2 + 1)
        windowed = [Float](repeating: 0, count: fftSize)
        let liftering = parameters.number("lifter")
        lifter = (0..<mfccCount).map { k in
            liftering > 0 ? Float(1 + liftering / 2 * sin(Double.pi * Double(k + 1) / liftering)) : 1
        }
        framer = CentredAudioFramer(frameLength: fftSize, hop: hop, rate: rate, channels: format.channels,
                                    centred: parameters.boolean("center"))
        return schemas
    }

    public func process(_ packet: Packet, input: Int, output: Emitter) throws {
        guard case .audio(let chunk) = packet.payload, framer != nil else { return }
        try framer!.append(chunk, at: packet.timestamp) { try analyse($0, index: $1, clock: $2, output: output) }
    }

    public func finish(output: Emitter) throws {
        try framer?.finish { try analyse($0, index: $1, clock: $2, output: output) }
    }

    private func analyse(_ frame: ArraySlice<Float>, index: Int64, clock: FrameClock, output: Emitter) throws {
        guard let fft, let dct, let filterbank, loudness != nil else { return }
        frame.withUnsafeBufferPointer { samples in
            window.withUnsafeBufferPointer { window in
                windowed.withUnsafeMutableBufferPointer { windowed in
                    for position in 0..<samples.count { windowed[position] = samples[position] * window[position] }
                }
            }
        }
        windowed.withUnsafeBufferPointer { fft.power(of: $0, into: &power) }
        let time = clock.time(ofFrame: index), duration = clock.step
        if wanted.logmel || wanted.mfcc || (wanted.descriptors && loudnessSharesBands) {
            filterbank.apply(power, into: &melEnergies)
        }
        if wanted.logmel || wanted.mfcc {
            let logmel = melEnergies.map { 10 * log10(max($0, 1e-10)) }
            try output.emit(.features(FeatureRow(logmel)), at: time, duration: duration, on: 0)
            if wanted.mfcc {
                let mfcc = zip(dct.transform(logmel, count: mfccCount), lifter).map { $0 * $1 }
                try output.emit(.features(FeatureRow(mfcc)), at: time, duration: duration, on: 1)
            }
        }
        guard wanted.descriptors else { return }
        var meanSquare: Float = frame.withUnsafeBufferPointer { samples in
            var sum: Float = 0
            for position in windowSpan { sum += samples[position] * samples[position] }
            return sum
        }
        meanSquare /= Float(max(1, windowSpan.count))
        let loud = loudnessSharesBands ? loudness!.loudness(bandEnergies: melEnergies) : loudness!.loudness(power)
        let row = descriptors!.compute(power) + [loud, meanSquare]
        try output.emit(.features(FeatureRow(row)), at: time, duration: duration, on: 2)
    }
}
