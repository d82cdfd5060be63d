import EmoPipeCore
import Foundation

/// `eeg.bands`: per window, Welch band power per channel and band, as MNE computes it.
///
/// Columns, per channel `C` and band `b`: `C_b` (absolute power, the channel's unit squared, e.g.
/// uV^2: the sum of PSD bins in [low, high) times the bin width), `C_b_rel` (that power over the
/// power of all bands together), `C_b_de` (differential entropy of a Gaussian of that power,
/// 0.5 ln(2 pi e P)), and `C_beta_alpha` when both bands exist. Frontal alpha asymmetry
/// `faa_F4_F3` and `faa_F8_F7` (ln right - ln left alpha power) when those channels exist (labels
/// are matched ignoring case, an `EEG` prefix, a reference suffix such as `-Ref`, and dots).
public final class EEGBandsStage: Stage {
    public static let descriptor = StageDescriptor(
        name: "eeg.bands", role: .transform,
        summary: "Welch band power, relative power, differential entropy, beta/alpha and frontal alpha asymmetry per window.",
        inputs: [PortSpec("eeg", [.eeg], "Multichannel EEG at one rate.")],
        outputs: [PortSpec("bands", [.features], "One row per window, stamped at the window's start (live runs: at its end).")],
        parameters: [
            ParameterSpec("window_s", .number, default: .number(1), unit: "s", range: 0.01...600,
                          "Window over which one row is computed."),
            ParameterSpec("hop_s", .number, default: .number(0.5), unit: "s", range: 0.001...600,
                          "Time between the starts of consecutive windows."),
            ParameterSpec("segment_s", .number, default: .number(0), unit: "s", range: 0...600,
                          "Welch segment length inside a window; 0 uses the whole window (one segment)."),
            ParameterSpec("segment_overlap", .number, default: .number(0), range: 0...0.95,
                          "Overlap of consecutive Welch segments, as a fraction of the segment."),
            ParameterSpec("nfft", .integer, default: .integer(0), unit: "samples", range: 0...1_048_576,
                          "FFT length (zero-padding); 0 uses the segment length."),
            ParameterSpec("bands", .string, default: .string("theta:4-8,alpha:8-14,beta:14-31,gamma:31-49"),
                          "Bands as name:low-high in Hz, comma-separated (TorchEEG's defaults; add delta:1-4 if wanted)."),
        ],
        make: { .stage(try EEGBandsStage(parameters: $0)) })

    private let windowSeconds: Double, hopSeconds: Double, segmentSeconds: Double, segmentOverlap: Double
    private let fftLength: Int
    private let bands: [FrequencyBand]
    private var estimator: WelchEstimator?
    private var channels = 0
    private var windowLength = 0, hop = 0
    private var bandBins: [Range<Int>] = []
    private var asymmetryPairs: [(right: Int, left: Int)] = []
    private var alpha: Int?, beta: Int?
    private var buffer: [[Float]] = []
    private var consumed: Int64 = 0
    private var windowIndex: Int64 = 0
    private var origin: Timestamp?
    private var rate: Double = 0

    init(parameters: Parameters) throws {
        windowSeconds = parameters.number("window_s")
        hopSeconds = parameters.number("hop_s")
        segmentSeconds = parameters.number("segment_s")
        segmentOverlap = parameters.number("segment_overlap")
        fftLength = parameters.integer("nfft")
        bands = try FrequencyBand.parseList(parameters.string("bands"))
        alpha = bands.firstIndex { $0.name == "alpha" }
        beta = bands.firstIndex { $0.name == "beta" }
    }

    /// `EEG F4-Ref`, `f4`, `F4..` all become `F4`.
    static func electrode(_ label: String) -> String {
        var name = label.uppercased()
        if name.hasPrefix("EEG ") { name.removeFirst(4) }
        if let dash = name.firstIndex(of: "-") { name = String(name[..<dash]) }
        return name.filter { $0.isLetter || $0.isNumber }
    }

    public func prepare(inputs: [StreamFormat], context: StageContext) throws -> [StreamFormat] {
        stampAtEnd = context.live
        guard case .eeg(let format) = inputs[0] else { throw StageError("eeg.bands takes EEG") }
        rate = format.sampleRate
        channels = format.labels.count
        var columns: [String] = []
        for label in format.labels {
            for band in bands { columns += [label + "_" + band.name, label + "_" + band.name + "_rel", label + "_" + band.name + "_de"] }
            if alpha != nil && beta != nil { columns.append(label + "_beta_alpha") }
        }
        let electrodes = format.labels.map(Self.electrode)
        if alpha != nil {
            for (right, left) in [("F4", "F3"), ("F8", "F7")] {
                if let r = electrodes.firstIndex(of: right), let l = electrodes.firstIndex(of: left) {
                    asymmetryPairs.append((r, l))
                    columns.append("faa_\(right)_\(left)")
                }
            }
        }
        guard channels > 0, rate > 0 else { return [.features(FeatureSchema(columns))] }
        guard rate.isFinite, windowSeconds * rate <= 1e8, hopSeconds * rate <= 1e8, segmentSeconds * rate <= 1e8 else {
            throw StageError("at \(rate) Hz, a window of \(windowSeconds) s is more samples than eeg.bands holds (1e8)")
        }
        windowLength = Int((windowSeconds * rate).rounded())
        hop = Int((hopSeconds * rate).rounded())
        let segment = segmentSeconds > 0 ? Int((segmentSeconds * rate).rounded()) : windowLength
        guard windowLength >= 2, hop >= 1, segment >= 2, segment <= windowLength else {
            throw StageError("at \(rate) Hz, window_s, hop_s and segment_s give \(windowLength), \(hop) and \(segment) samples: need a window of 2 or more, a hop of 1 or more, and a segment within the window")
        }
        let nfft = fftLength > 0 ? fftLength : segment
        guard nfft >= segment else { throw StageError("nfft (\(nfft)) must be at least the segment length (\(segment) samples)") }
        let welch = WelchEstimator(sampleRate: rate, segmentLength: segment,
                                   overlap: Int((Double(segment) * segmentOverlap).rounded(.down)), fftLength: nfft)
        estimator = welch
        let binCount = nfft / 2 + 1
        bandBins = try bands.map { band in
            // Bins whose frequency lies in [low, high).
            let first = Int((band.low / welch.binWidth).rounded(.up))
            var end = Int((band.high / welch.binWidth).rounded(.up))
            if Double(end) * welch.binWidth < band.high { end += 1 }
            guard first < min(end, binCount) else {
                throw StageError("band \(band.name) (\(band.low)-\(band.high) Hz) holds no frequency bin at \(rate) Hz with nfft \(nfft)")
            }
            return first..<min(end, binCount)
        }
        buffer = Array(repeating: [], count: channels)
        return [.features(FeatureSchema(columns))]
    }

    /// Live runs stamp each window at its end (the estimate is current when stamped); files at its start.
    private var stampAtEnd = false

    public func process(_ packet: Packet, input: Int, output: Emitter) throws {
        guard case .eeg(let chunk) = packet.payload, let estimator, chunk.channels == channels else { return }
        if origin == nil { origin = packet.timestamp }
        chunk.samples.withUnsafeBufferPointer { samples in
            for channel in 0..<channels {
                buffer[channel].append(contentsOf: (0..<chunk.frameCount).lazy.map { samples[$0 * self.channels + channel] })
            }
        }
        // Window k starts at sample k * hop of the stream; `consumed` samples were dropped.
        while true {
            let start = Int(windowIndex * Int64(hop) - consumed)
            guard start + windowLength <= buffer[0].count else { break }
            try output.emit(.features(FeatureRow(row(at: start, estimator: estimator))),
                            at: origin! + Timestamp(seconds: Double(windowIndex * Int64(hop) + (stampAtEnd ? Int64(windowLength) : 0)) / rate),
                            duration: Timestamp(seconds: Double(hop) / rate))
            windowIndex += 1
        }
        let keepFrom = Int(windowIndex * Int64(hop) - consumed)
        if keepFrom > 4 * windowLength {
            for channel in 0..<channels { buffer[channel].removeFirst(keepFrom) }
            consumed += Int64(keepFrom)
        }
    }

    private func row(at start: Int, estimator: WelchEstimator) -> [Float] {
        var values: [Float] = []
        var alphaPower = [Double](repeating: 0, count: channels)
        for channel in 0..<channels {
            let psd = estimator.psd(buffer[channel][start..<(start + windowLength)])
            let powers = bandBins.map { bins in psd[bins].reduce(0, +) * estimator.binWidth }
            let total = powers.reduce(0, +)
            for power in powers {
                values += [Float(power), Float(total > 0 ? power / total : .nan), Float(0.5 * log(2 * Double.pi * M_E * power))]
            }
            if let alpha, let beta { values.append(Float(powers[beta] / powers[alpha])) }
            if let alpha { alphaPower[channel] = powers[alpha] }
        }
        for pair in asymmetryPairs { values.append(Float(log(alphaPower[pair.right]) - log(alphaPower[pair.left]))) }
        return values
    }

    public func finish(output: Emitter) throws {}
}
