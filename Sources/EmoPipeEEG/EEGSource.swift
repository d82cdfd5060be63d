import EmoPipeCore
import Foundation

/// `source.eeg`: EDF, EDF+ (continuous or discontinuous), BDF and BDF+ files; CSV tables (a
/// header of channel names, an optional `time` column in seconds, else `rate`); and raw
/// little-endian float32 frames from standard input (`labels` and `rate` given), as an
/// amplifier's bridge writes them.
///
/// Samples are scaled to each channel's physical unit (as the header names it, usually uV).
/// Channels recorded at lower rates than the fastest selected one are brought to that rate by
/// linear interpolation within each record, or refused (`mixed_rates: reject`). Annotations
/// come on `annotations` (onset, end, text), in onset order; changes of a BDF `Status`
/// channel's trigger bits (the low 16) to a non-zero value come on `events` as "trigger N".
public final class EEGSource: SourceStage {
    public static let descriptor = StageDescriptor(
        name: "source.eeg", role: .source,
        summary: "Reads EEG from EDF/EDF+/BDF/BDF+ or CSV files, or raw float32 from standard input.",
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
            ParameterSpec("rate", .number, default: .number(0), unit: "Hz", range: 0...100_000,
                          "Sample rate of raw input, and of CSV tables without a time column."),
            ParameterSpec("labels", .string, default: .string(""),
                          "Raw input: comma-separated channel labels, one per float32 in a frame."),
            ParameterSpec("unit", .string, default: .string("uV"),
                          "Physical unit of CSV and raw samples (EDF/BDF headers give their own)."),
            ParameterSpec("chunk_s", .number, default: .number(0.25), unit: "s", range: 0.001...60,
                          "CSV and raw input: seconds of samples per output chunk (EDF/BDF: one per data record)."),
        ],
        fileExtensions: ["edf", "bdf", "csv"],
        make: { .source(try EEGSource(parameters: $0)) })

    private let selection: [String]
    private let renames: [String: String]
    private let rejectMixedRates: Bool
    private let rate: Double
    private let rawLabels: [String]
    private let unit: String
    private let chunkSeconds: Double
    private var reader: EDFReader?
    private var table: EEGTableReader?
    private var raw: CancellableInput?
    private var rawChannels = 0
    private var format = EEGFormat(labels: [], units: [], sampleRate: 0)
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
        rate = parameters.number("rate")
        rawLabels = parameters.string("labels").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        unit = parameters.string("unit")
        chunkSeconds = parameters.number("chunk_s")
    }

    /// Indices of the selected labels among `labels` (all when no selection), or an error
    /// listing the channels there are.
    private func select(from labels: [String]) throws -> [Int] {
        guard !selection.isEmpty else { return Array(labels.indices) }
        return try selection.map { label in
            guard let index = labels.firstIndex(of: label) else {
                throw StageError("\(name) has no channel '\(label)'; channels: " + labels.joined(separator: ", "))
            }
            return index
        }
    }

    /// Applies selection and renaming to a format whose samples come in `labels` order.
    private func selectedFormat(_ labels: [String], units: [String], rate: Double) throws -> EEGFormat {
        channels = try select(from: labels)
        return EEGFormat(labels: channels.map { renames[labels[$0]] ?? labels[$0] }, units: channels.map { units[$0] }, sampleRate: rate)
    }

    public func open(context: StageContext) throws -> [StreamFormat] {
        name = context.input.isStandardInput ? "standard input" : context.input.path
        if context.input.isStandardInput {
            guard !rawLabels.isEmpty, rate > 0 else {
                throw StageError("raw EEG on standard input needs 'labels' (one per channel) and 'rate'")
            }
            raw = CancellableInput()
            rawChannels = rawLabels.count
            format = try selectedFormat(rawLabels, units: rawLabels.map { _ in unit }, rate: rate)
            return [.eeg(format), .text, .text]
        }
        if context.input.fileExtension == "csv" {
            let table = try EEGTableReader(path: name, rate: rate, unit: unit)
            self.table = table
            format = try selectedFormat(table.format.labels, units: table.format.units, rate: table.format.sampleRate)
            return [.eeg(format), .text, .text]
        }
        let reader = try EDFReader(path: name)
        self.reader = reader
        let signals = reader.header.signals
        let dataSignals = signals.indices.filter { !signals[$0].isAnnotation }
        channels = try select(from: dataSignals.map { signals[$0].label }).map { dataSignals[$0] }
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
        if let table {
            let frames = table.columns.first?.count ?? 0
            try emitChunks(frames: frames, output: output, cancellation: cancellation) { start, count in
                (0..<count).flatMap { row in self.channels.map { table.columns[$0][start + row] } }
            }
            return
        }
        if let raw {
            raw.cancellation = cancellation
            try readRaw(raw, output: output, cancellation: cancellation)
            return
        }
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

    /// Emits `frames` samples in chunks of `chunk_s`, `samples(start, count)` giving each chunk.
    private func emitChunks(frames: Int, output: Emitter, cancellation: CancellationFlag,
                            samples: (Int, Int) -> [Float]) throws {
        let chunk = max(1, Int((chunkSeconds * format.sampleRate).rounded()))
        var start = 0
        while start < frames && !cancellation.isCancelled {
            let count = min(chunk, frames - start)
            try emitFrames(samples(start, count), first: start, count: count, output: output)
            start += count
        }
    }

    private func emitFrames(_ interleaved: [Float], first: Int, count: Int, output: Emitter) throws {
        let time = Timestamp(seconds: Double(first) / format.sampleRate)
        let end = Timestamp(seconds: Double(first + count) / format.sampleRate)
        try output.emit(.eeg(EEGChunk(samples: interleaved, channels: channels.count)), at: time, duration: end - time, on: 0)
    }

    /// Whole float32 frames from standard input, `chunk_s` at a time (a partial last frame is dropped).
    private func readRaw(_ input: CancellableInput, output: Emitter, cancellation: CancellationFlag) throws {
        let chunk = max(1, Int((chunkSeconds * format.sampleRate).rounded()))
        let frameBytes = 4 * rawChannels
        var buffer = [UInt8](repeating: 0, count: chunk * frameBytes)
        var first = 0
        while !cancellation.isCancelled {
            let got = buffer.withUnsafeMutableBytes { input.readFully(into: $0.baseAddress!, count: $0.count) }
            let count = got / frameBytes
            if count > 0 {
                let interleaved: [Float] = buffer.withUnsafeBytes { bytes in
                    (0..<count).flatMap { frame in
                        channels.map { channel in
                            Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: (frame * rawChannels + channel) * 4, as: UInt32.self)))
                        }
                    }
                }
                try emitFrames(interleaved, first: first, count: count, output: output)
                first += count
            }
            if got < buffer.count { break }
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
