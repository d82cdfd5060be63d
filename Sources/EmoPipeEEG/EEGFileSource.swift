import EmoPipeCore
import Foundation

/// `source.eeg`: EDF, EDF+ (continuous or discontinuous), BDF and BDF+ files.
///
/// Samples are scaled to each channel's physical unit (as the header names it, usually uV).
/// Channels recorded at lower rates than the fastest selected one are brought to that rate by
/// linear interpolation within each record, or refused (`mixed_rates: reject`). Annotations
/// come on `annotations` (onset, end, text), in onset order; changes of a BDF `Status`
/// channel's trigger bits (the low 16) to a non-zero value come on `events` as "trigger N".
public final class EEGFileSource: SourceStage {
    public static let descriptor = StageDescriptor(
        name: "source.eeg", role: .source,
        summary: "Reads EEG from EDF, EDF+, BDF and BDF+ files, with annotations and trigger events.",
        outputs: [
            PortSpec("eeg", [.eeg], "One chunk per data record, all selected channels at one rate, physical units."),
            PortSpec("annotations", [.text], "EDF+/BDF+ annotations: start, end (start + duration) and text."),
            PortSpec("events", [.text], "BDF Status trigger changes, 'trigger N', at the sample where they happen."),
        ],
        parameters: [
            ParameterSpec("channels", .string, default: .string(""),
                          "Comma-separated channel labels to keep, in this order; empty keeps every signal."),
            ParameterSpec("rename", .string, default: .string(""),
                          "Comma-separated old=new label pairs applied after selection (e.g. 'EEG Fp1-Ref=Fp1')."),
            ParameterSpec("mixed_rates", .choice(["resample", "reject"]), default: .string("resample"),
                          "Channels slower than the fastest: interpolate them to its rate, or refuse the file."),
        ],
        fileExtensions: ["edf", "bdf"],
        make: { .source(try EEGFileSource(parameters: $0)) })

    private let selection: [String]
    private let renames: [String: String]
    private let rejectMixedRates: Bool
    private var reader: EDFReader?
    private var channels: [Int] = []
    private var samplesPerRecord = 0
    private var name = ""

    init(parameters: Parameters) throws {
        selection = parameters.string("channels").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        var renames: [String: String] = [:]
        for pair in parameters.string("rename").split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw StageError("rename takes old=new pairs separated by commas, not '\(pair)'")
            }
            renames[parts[0]] = parts[1]
        }
        self.renames = renames
        rejectMixedRates = parameters.string("mixed_rates") == "reject"
    }

    public func open(context: StageContext, connected: [Bool]) throws -> [StreamFormat] {
        guard !context.input.isStandardInput else {
            throw StageError("source.eeg reads EDF/BDF files, not standard input")
        }
        name = context.input.path
        let reader = try EDFReader(path: name)
        self.reader = reader
        let signals = reader.header.signals
        let dataSignals = signals.indices.filter { !signals[$0].isAnnotation }
        if selection.isEmpty {
            channels = dataSignals
        } else {
            channels = try selection.map { label in
                guard let index = dataSignals.first(where: { signals[$0].label == label }) else {
                    throw StageError("\(name) has no channel '\(label)'; channels: " + dataSignals.map { signals[$0].label }.joined(separator: ", "))
                }
                return index
            }
        }
        samplesPerRecord = channels.map { signals[$0].samplesPerRecord }.max() ?? 0
        let slower = channels.filter { signals[$0].samplesPerRecord != samplesPerRecord }
        if rejectMixedRates && !slower.isEmpty {
            let rate = { (index: Int) in Double(signals[index].samplesPerRecord) / reader.header.recordDuration }
            throw StageError("\(name) mixes sample rates (\(slower.map { "\(signals[$0].label) \(rate($0)) Hz" }.joined(separator: ", ")) "
                             + "below \(Double(samplesPerRecord) / reader.header.recordDuration) Hz); select channels or set mixed_rates: resample")
        }
        let rate = reader.header.recordDuration > 0 ? Double(samplesPerRecord) / reader.header.recordDuration : 0
        let format = EEGFormat(labels: channels.map { renames[signals[$0].label] ?? signals[$0].label },
                               units: channels.map { signals[$0].physicalDimension }, sampleRate: rate)
        return [.eeg(format), .text, .text]
    }

    public func run(output: Emitter, cancellation: CancellationFlag) throws {
        guard let reader else { return }
        let header = reader.header
        let (starts, annotations) = try reader.timeline()
        let status = header.isBDF ? channels.firstIndex { header.signals[$0].label == "Status" } : nil
        var nextAnnotation = 0
        var lastTrigger: Int32 = 0
        for index in 0..<header.recordCount where !cancellation.isCancelled {
            let start = Timestamp(seconds: starts[index])
            let end = index + 1 < starts.count ? Timestamp(seconds: starts[index + 1]) : start + Timestamp(seconds: header.recordDuration)
            while nextAnnotation < annotations.count, Timestamp(seconds: annotations[nextAnnotation].onset) < end {
                try emitAnnotation(annotations[nextAnnotation], output: output)
                nextAnnotation += 1
            }
            guard !channels.isEmpty, samplesPerRecord > 0 else { continue }
            let bytes = try reader.record(index)
            var interleaved = [Float](repeating: 0, count: samplesPerRecord * channels.count)
            for (column, signal) in channels.enumerated() {
                let digital = reader.digitalSamples(of: signal, in: bytes)
                let gain = header.signals[signal].gain, offset = header.signals[signal].offset
                let physical = digital.map { Double($0) * gain + offset }
                let resampled = Self.stretch(physical, to: samplesPerRecord)
                for row in 0..<samplesPerRecord { interleaved[row * channels.count + column] = Float(resampled[row]) }
                if column == status {
                    for (row, value) in digital.enumerated() {
                        let trigger = value & 0xFFFF
                        if trigger != lastTrigger && trigger != 0 {
                            let time = start + Timestamp(seconds: Double(row) * header.recordDuration / Double(digital.count))
                            try output.emit(.text(TextSegment(end: time, text: "trigger \(trigger)")), at: time, on: 2)
                        }
                        lastTrigger = trigger
                    }
                }
            }
            try output.emit(.eeg(EEGChunk(samples: interleaved, channels: channels.count)), at: start, duration: end - start, on: 0)
        }
        while nextAnnotation < annotations.count, !cancellation.isCancelled {
            try emitAnnotation(annotations[nextAnnotation], output: output)
            nextAnnotation += 1
        }
    }

    private func emitAnnotation(_ annotation: EDFAnnotationParser.Annotation, output: Emitter) throws {
        let onset = Timestamp(seconds: annotation.onset)
        try output.emit(.text(TextSegment(end: onset + Timestamp(seconds: annotation.duration), text: annotation.text)),
                        at: onset, duration: Timestamp(seconds: annotation.duration), on: 1)
    }

    /// `samples` (one record of a slower channel) linearly interpolated to `count` samples over
    /// the same time span; the last interval holds the final value.
    static func stretch(_ samples: [Double], to count: Int) -> [Double] {
        guard samples.count != count, !samples.isEmpty else { return samples }
        let step = Double(samples.count) / Double(count)
        return (0..<count).map { index in
            let position = Double(index) * step
            let lower = min(Int(position), samples.count - 1)
            let upper = min(lower + 1, samples.count - 1)
            let fraction = position - Double(lower)
            return samples[lower] * (1 - fraction) + samples[upper] * fraction
        }
    }
}
