import DequeModule
import EmoPipeCore
import EmoPipeDSP
import Foundation

/// `audio.pitch`: fundamental frequency by probabilistic YIN with Viterbi smoothing (pYIN,
/// Mauch & Dixon 2014, with librosa's parameters), decoded online with a fixed lag, and the
/// voice-quality and formant descriptors of eGeMAPS for each frame.
///
/// Frames of `frame_ms` every `hop_ms`; with `center`, frame k is centred on k x hop (as
/// librosa and `audio.spectral`), so rows of both stages line up by time stamp. Per frame:
/// - `f0`: f0_hz (0 when unvoiced), f0_semitone (12 log2(F0 / 27.5 Hz), eGeMAPS's scale; 0
///   when unvoiced), voicing_prob (pYIN's total voiced probability), voiced (0 or 1).
/// - `voice`: jitter_local (fraction), shimmer_local_db, hnr_db (autocorrelation of the
///   Gaussian-windowed frame), h1_h2_db, h1_a3_db; 0 when unvoiced (openSMILE's convention).
/// - `formants`: f1_hz, f1_bandwidth_hz, f1_amplitude_db (strongest harmonic near F1
///   relative to H1), then F2 and F3 likewise; from LPC of a centred Hamming window of
///   `formant_frame_ms`; 0 where fewer formants are found, and all 0 when unvoiced (eGeMAPS
///   gates its formants on voicing too: they are `_sma3nz` descriptors).
///
/// Latency is `viterbi_lag_ms` plus half a frame: a frame's voicing and F0 are decided when
/// the frame that many milliseconds later is in; at the end of the stream the rest is decided
/// from the best final state. Live runs (`StageContext.live`) decide with `live_viterbi_lag_ms`.
public final class AudioPitchStage: Stage {
    public static let descriptor = StageDescriptor(
        name: "audio.pitch", role: .transform,
        summary: "F0 (pYIN with Viterbi), voicing, jitter, shimmer, HNR, H1-H2, H1-A3 and formants F1-F3.",
        inputs: [PortSpec("audio", [.audio], "PCM audio; several channels are averaged.")],
        outputs: [
            PortSpec("f0", [.features], "f0_hz, f0_semitone (from 27.5 Hz), voicing_prob, voiced."),
            PortSpec("voice", [.features], "jitter_local, shimmer_local_db, hnr_db, h1_h2_db, h1_a3_db (0 when unvoiced)."),
            PortSpec("formants", [.features], "f1_hz, f1_bandwidth_hz, f1_amplitude_db, f2_..., f3_... (amplitudes relative to H1; all 0 when unvoiced, as eGeMAPS)."),
        ],
        parameters: [
            ParameterSpec("fmin_hz", .number, default: .number(55), unit: "Hz", range: 20...2000, "Lowest F0 searched."),
            ParameterSpec("fmax_hz", .number, default: .number(600), unit: "Hz", range: 40...4000, "Highest F0 searched."),
            ParameterSpec("frame_ms", .number, default: .number(40), unit: "ms", range: 10...500,
                          "Analysis frame; must hold the longest period twice (40 ms suits fmin 55 Hz; longer frames smear voicing onsets)."),
            ParameterSpec("hop_ms", .number, default: .number(10), unit: "ms", range: 1...1000, "Time between frames."),
            ParameterSpec("center", .boolean, default: .boolean(true), "Centre frames on their time stamp."),
            ParameterSpec("resolution_semitones", .number, default: .number(0.1), unit: "semitones", range: 0.01...1,
                          "Pitch-state spacing of the Viterbi grid (the reported F0 is the refined candidate, not the grid value)."),
            ParameterSpec("max_transition_rate", .number, default: .number(35.92), unit: "octaves/s", range: 1...500,
                          "Fastest pitch change the smoother allows."),
            ParameterSpec("switch_prob", .number, default: .number(0.01), range: 0.0001...0.5,
                          "Probability of switching between voiced and unvoiced from one frame to the next."),
            ParameterSpec("viterbi_lag_ms", .number, default: .number(500), unit: "ms", range: 0...60_000,
                          "Decision delay of the online Viterbi decoder; longer is closer to offline decoding."),
            ParameterSpec("live_viterbi_lag_ms", .number, default: .number(150), unit: "ms", range: 0...60_000,
                          "The decision delay in live runs (standard input, pipes, --realtime), where latency counts."),
            ParameterSpec("silence_db", .number, default: .number(-60), unit: "dBFS", range: -200...0,
                          "Frames whose RMS is below this are unvoiced whatever YIN says."),
            ParameterSpec("voice_frame_ms", .number, default: .number(60), unit: "ms", range: 10...500,
                          "Gaussian window (sigma 0.4) for HNR, harmonics, jitter and shimmer, centred on the F0 frame (eGeMAPS's 60 ms)."),
            ParameterSpec("formant_frame_ms", .number, default: .number(20), unit: "ms", range: 5...100,
                          "Hamming window for the LPC formant analysis."),
            ParameterSpec("lpc_order", .integer, default: .integer(11), range: 4...40, "Order of the formant predictor."),
            ParameterSpec("formant_ceiling_hz", .number, default: .number(5500), unit: "Hz", range: 1000...20_000,
                          "Spectrum above this is ignored by the formant analysis (eGeMAPS resamples to 11 kHz)."),
        ],
        make: { .stage(AudioPitchStage(parameters: $0)) })

    private struct Pending {
        var samples: [Float]
        var candidates: [YINCandidates.Candidate]
        var voicingProbability: Double
        var time: Timestamp
        var duration: Timestamp
    }

    private let parameters: Parameters
    private var framer: CentredAudioFramer?
    private var yin: YINCandidates?
    private var viterbi: PitchViterbi?
    private var pending = Deque<Pending>()
    private var rate = 0
    private var silence: Float = 0
    private var gaussian: [Float] = []
    /// Where the F0 (YIN) and the voice windows sit in each frame.
    private var yinSpan = 0..<0
    private var voiceSpan = 0..<0
    private var hamming: [Float] = []
    private var formantFFT: RealFFT?
    private var harmonicFFT: RealFFT?
    private var formantEstimator: FormantEstimator?
    /// Scratch: the Gaussian-windowed voice span, and the Hamming-windowed formant frame.
    private var scratch: [Float] = []
    private var formantScratch: [Float] = []
    /// The power spectrum of the Gaussian-windowed voice span.
    private var harmonicPower: [Float] = []
    private var formantPower: [Float] = []
    private let perturbation = PeriodPerturbation()
    /// Whether `voice` or `formants` has a consumer (else only F0 is computed).
    private var describesVoice = true

    init(parameters: Parameters) { self.parameters = parameters }

    public func prepare(inputs: [StreamFormat], context: StageContext) throws -> [StreamFormat] {
        guard case .audio(let format) = inputs[0] else { throw StageError("audio.pitch takes audio") }
        let schemas: [StreamFormat] = [
            .features(FeatureSchema(["f0_hz", "f0_semitone", "voicing_prob", "voiced"])),
            .features(FeatureSchema(["jitter_local", "shimmer_local_db", "hnr_db", "h1_h2_db", "h1_a3_db"])),
            .features(FeatureSchema((1...3).flatMap { ["f\($0)_hz", "f\($0)_bandwidth_hz", "f\($0)_amplitude_db"] })),
        ]
        guard format.sampleRate > 0, format.channels > 0 else { return schemas }
        rate = format.sampleRate
        describesVoice = context.isConnected(output: 1) || context.isConnected(output: 2)
        let fmin = parameters.number("fmin_hz"), fmax = parameters.number("fmax_hz")
        guard fmin < fmax, fmax < Double(rate) / 2 else {
            throw StageError("F0 range \(fmin)-\(fmax) Hz does not fit below \(Double(rate) / 2) Hz")
        }
        let frame = Int((parameters.number("frame_ms") * Double(rate) / 1000).rounded())
        let hop = max(1, Int((parameters.number("hop_ms") * Double(rate) / 1000).rounded()))
        let longest = Int((Double(rate) / fmin).rounded(.up))
        guard frame >= 2 * longest + 2 else {
            throw StageError("frame_ms \(parameters.number("frame_ms")) holds \(frame) samples at \(rate) Hz; fmin_hz \(fmin) needs at least \(2 * longest + 2) (\(String(format: "%.1f", Double(2 * longest + 2) * 1000 / Double(rate))) ms)")
        }
        yin = YINCandidates(sampleRate: Double(rate), frameLength: frame, fmin: fmin, fmax: fmax)
        let perSemitone = max(1, Int((1 / parameters.number("resolution_semitones")).rounded(.up)))
        let semitonesPerFrame = (parameters.number("max_transition_rate") * 12 * Double(hop) / Double(rate)).rounded()
        let lagMilliseconds = parameters.number(context.live ? "live_viterbi_lag_ms" : "viterbi_lag_ms")
        let lag = Int((lagMilliseconds / 1000 * Double(rate) / Double(hop)).rounded())
        viterbi = PitchViterbi(fmin: fmin, fmax: fmax, binsPerSemitone: perSemitone,
                               transitionWidth: Int(semitonesPerFrame) * perSemitone + 1,
                               switchProbability: parameters.number("switch_prob"), lag: lag)
        silence = Float(pow(10, parameters.number("silence_db") / 20))
        // Frames hold the longer of the F0 and voice windows; each analysis takes its centre.
        let voiceFrame = Int((parameters.number("voice_frame_ms") * Double(rate) / 1000).rounded())
        let span = max(frame, voiceFrame)
        yinSpan = (span - frame) / 2..<((span - frame) / 2 + frame)
        voiceSpan = (span - voiceFrame) / 2..<((span - voiceFrame) / 2 + voiceFrame)
        gaussian = Window.gaussian(length: voiceFrame, sigma: 0.4)
        harmonicFFT = RealFFT(size: Correlator.powerOfTwo(atLeast: voiceFrame))
        harmonicPower = [Float](repeating: 0, count: harmonicFFT!.size / 2 + 1)
        let formantFrame = min(span, Int((parameters.number("formant_frame_ms") * Double(rate) / 1000).rounded()))
        hamming = Window.hamming(length: formantFrame)
        let formantSize = Correlator.powerOfTwo(atLeast: formantFrame)
        formantFFT = RealFFT(size: formantSize)
        formantEstimator = FormantEstimator(sampleRate: Double(rate), fftSize: formantSize,
                                            order: parameters.integer("lpc_order"),
                                            ceilingHz: parameters.number("formant_ceiling_hz"))
        formantPower = [Float](repeating: 0, count: formantSize / 2 + 1)
        framer = CentredAudioFramer(frameLength: span, hop: hop, rate: rate, channels: format.channels,
                                    centred: parameters.boolean("center"))
        return schemas
    }

    public func process(_ packet: Packet, input: Int, output: Emitter) throws {
        guard case .audio(let chunk) = packet.payload, framer != nil else { return }
        try framer!.append(chunk, at: packet.timestamp) { try analyse($0, index: $1, clock: $2, output: output) }
    }

    public func finish(output: Emitter) throws {
        guard framer != nil, try framer!.finish({ try analyse($0, index: $1, clock: $2, output: output) }) else { return }
        for state in viterbi!.flush() { try emit(state: state, output: output) }
    }

    /// YIN candidates of a frame into the decoder; emits the frame the decoder decides, if any.
    private func analyse(_ frame: ArraySlice<Float>, index: Int64, clock: FrameClock, output: Emitter) throws {
        let copy = Array(frame)
        let candidates: [YINCandidates.Candidate] = copy.withUnsafeBufferPointer { all in
            let centre = UnsafeBufferPointer(rebasing: all[yinSpan])
            var energy: Float = 0
            for sample in centre { energy += sample * sample }
            let rms = (energy / Float(centre.count)).squareRoot()
            return rms >= silence && rms > 0 ? yin!.candidates(centre) : []
        }
        let total = min(1, candidates.reduce(0) { $0 + $1.probability })
        pending.append(Pending(samples: copy, candidates: candidates, voicingProbability: total,
                               time: clock.time(ofFrame: index), duration: clock.step))
        let observation = candidates.map { (bin: viterbi!.bin(of: $0.frequency), probability: $0.probability) }
        if let state = viterbi!.push(voiced: observation, voicedProbability: total) {
            try emit(state: state, output: output)
        }
    }

    /// Emits the oldest pending frame, decided as `state`.
    private func emit(state: Int, output: Emitter) throws {
        guard !pending.isEmpty, let viterbi else { return }
        let frame = pending.removeFirst()
        let time = frame.time, duration = frame.duration
        let voiced = state < viterbi.bins
        var f0 = 0.0
        if voiced {
            // The refined candidate nearest the decoded bin, else the bin's own frequency.
            let grid = viterbi.frequency(ofBin: state)
            f0 = grid
            var nearest = Double.infinity
            for candidate in frame.candidates {
                let distance = abs(12 * log2(candidate.frequency / grid))
                if distance < nearest, distance <= 0.5 { nearest = distance; f0 = candidate.frequency }
            }
        }
        let semitone = voiced ? 12 * log2(f0 / 27.5) : 0
        try output.emit(.features(FeatureRow([Float(f0), Float(semitone), Float(frame.voicingProbability), voiced ? 1 : 0])),
                        at: time, duration: duration, on: 0)
        guard describesVoice else { return }
        let (voice, formantRow) = voiceAndFormants(frame.samples, f0: voiced ? f0 : nil)
        try output.emit(.features(FeatureRow(voice)), at: time, duration: duration, on: 1)
        try output.emit(.features(FeatureRow(formantRow)), at: time, duration: duration, on: 2)
    }

    /// The `voice` and `formants` rows of a frame; both all 0 when unvoiced (`f0` nil), as
    /// eGeMAPS gates its voice-quality and formant descriptors on voicing.
    private func voiceAndFormants(_ frame: [Float], f0: Double?) -> (voice: [Float], formants: [Float]) {
        guard let f0, let harmonicFFT, let formantFFT else { return ([Float](repeating: 0, count: 5), [Float](repeating: 0, count: 9)) }
        // The centred Hamming window (formants) and the Gaussian-windowed voice span (HNR,
        // harmonics).
        let offset = (frame.count - hamming.count) / 2
        frame.withUnsafeBufferPointer { frame in
            Self.multiply(UnsafeBufferPointer(rebasing: frame[offset..<(offset + hamming.count)]), by: hamming, into: &formantScratch)
            Self.multiply(UnsafeBufferPointer(rebasing: frame[voiceSpan]), by: gaussian, into: &scratch)
        }
        formantScratch.withUnsafeBufferPointer { formantFFT.power(of: $0, into: &formantPower) }
        let formants = formantEstimator!.formants(formantPower)
        scratch.withUnsafeBufferPointer { harmonicFFT.power(of: $0, into: &harmonicPower) }
        var voice = [Float](repeating: 0, count: 5)
        var formantRow = [Float](repeating: 0, count: 9)
        for (number, formant) in formants.prefix(3).enumerated() {
            formantRow[3 * number] = Float(formant.frequency)
            formantRow[3 * number + 1] = Float(formant.bandwidth)
        }
        let binHz = Double(rate) / Double(harmonicFFT.size)
        let measured = frame.withUnsafeBufferPointer {
            perturbation.measure(UnsafeBufferPointer(rebasing: $0[voiceSpan]), sampleRate: Double(rate), frequency: f0)
        }
        if let measured {
            voice[0] = Float(measured.jitter)
            voice[1] = Float(measured.shimmerDB)
        }
        voice[2] = Float(scratch.withUnsafeBufferPointer { HarmonicAnalysis.harmonicsToNoise($0, period: Double(rate) / f0) })
        let h1 = HarmonicAnalysis.harmonicPower(harmonicPower, binHz: binHz, f0: f0, number: 1)
        let h2 = HarmonicAnalysis.harmonicPower(harmonicPower, binHz: binHz, f0: f0, number: 2)
        voice[3] = Float(HarmonicAnalysis.ratioDB(h1, h2))
        for (number, formant) in formants.prefix(3).enumerated() {
            let amplitude = HarmonicAnalysis.formantPower(harmonicPower, binHz: binHz, f0: f0, formant: formant.frequency)
            formantRow[3 * number + 2] = Float(HarmonicAnalysis.ratioDB(amplitude, h1))
            if number == 2 { voice[4] = Float(HarmonicAnalysis.ratioDB(h1, amplitude)) }
        }
        return (voice, formantRow)
    }

    /// samples[i] x window[i] into `product` (resized to the window).
    private static func multiply(_ samples: UnsafeBufferPointer<Float>, by window: [Float], into product: inout [Float]) {
        precondition(samples.count == window.count)
        if product.count != window.count { product = [Float](repeating: 0, count: window.count) }
        window.withUnsafeBufferPointer { window in
            product.withUnsafeMutableBufferPointer { product in
                for index in 0..<window.count { product[index] = samples[index] * window[index] }
            }
        }
    }
}
