import EmoPipeCore
import Foundation

/// `audio.functionals`: statistics of frame-level descriptors (LLDs) over the whole input,
/// over fixed windows, or over segments given by another stream, as openSMILE's functionals.
///
/// Rows of every `lld` input are put on one frame grid (`hop_ms`; rows with the same time
/// stamp form one frame; `audio.spectral` and `audio.pitch` with `center` stamp frame k at
/// k x hop). With `set: egemaps` the inputs must supply eGeMAPS's LLDs (the columns of
/// `audio.spectral`'s descriptors and mfcc, and of `audio.pitch`'s f0, voice and formants) and
/// the output is the 88 eGeMAPS v02 functionals with openSMILE's names; the columns of the inputs
/// named in `statistics_of` (e.g. `encoder`, from `audio.encoder`) are not LLDs of the set but
/// get the generic statistics after the 88. With `set: generic`, every input column gets the
/// generic `statistics` (by default mean, stddev, min, max and the 20th, 50th and 80th
/// percentiles), named `<column>_<statistic>`.
/// Each output row is stamped at the start of its span, with the span as duration.
///
/// Live (`StageContext.live`), sliding windows are causal instead: every `live_step_s` a row over
/// the trailing window (shorter at the start), stamped at the window's end with `live_step_s` as
/// duration, so an estimate is current when it is stamped. Until `live_min_s` of input is in, the
/// rows are NaN (too little to say anything), so downstream clocks still advance.
public final class AudioFunctionalsStage: Stage {
    public static let descriptor = StageDescriptor(
        name: "audio.functionals", role: .transform,
        summary: "Functionals of LLDs (eGeMAPS v02's 88, or generic statistics) per input, window or segment.",
        inputs: [PortSpec("lld", [.features], variadic: true, "Frame-level descriptors on a common hop; list every stream.")],
        outputs: [PortSpec("functionals", [.features], "One row per span: the 88 eGeMAPS names, or <column>_<statistic>.")],
        parameters: [
            ParameterSpec("set", .choice(["egemaps", "generic"]), default: .string("egemaps"),
                          "Which functionals: eGeMAPS v02 (needs its LLDs) or generic statistics of every column."),
            ParameterSpec("statistics", .string, default: .string("mean,stddev,min,max,p20,p50,p80"),
                          "The generic statistics, comma-separated, of mean, stddev, min, max, p20, p50, p80."),
            ParameterSpec("statistics_of", .string, default: .string(""),
                          "With set egemaps: input streams (as listed in 'in:', comma-separated) whose columns get the generic statistics after the 88 eGeMAPS functionals."),
            ParameterSpec("window_s", .number, default: .number(0), unit: "s", range: 0...86_400,
                          "Window length; 0 takes the whole input (one row at the end). Sliding windows end with one full window ending at the input's last frame (or, for an input shorter than a window, one row over all of it)."),
            ParameterSpec("step_s", .number, default: .number(0), unit: "s", range: 0...86_400,
                          "Time between window starts; 0 is the window length."),
            ParameterSpec("segments_from", .string, default: .string(""),
                          "Name of an input stream (as listed in 'in:', e.g. vad.speech) whose rows give the spans (start, duration) instead of windows; its rows are not LLDs."),
            ParameterSpec("hop_ms", .number, default: .number(10), unit: "ms", range: 0.1...10_000,
                          "Frame grid of the LLDs."),
            ParameterSpec("live_step_s", .number, default: .number(0.25), unit: "s", range: 0.01...86_400,
                          "Live runs with a window: time between trailing windows, each stamped at its end."),
            ParameterSpec("live_min_s", .number, default: .number(1), unit: "s", range: 0.01...86_400,
                          "Live runs with a window: input needed before the first (shorter) trailing window."),
        ],
        make: { .stage(AudioFunctionalsStage(parameters: $0)) })

    private let parameters: Parameters
    private var egemaps = true
    /// Columns that get the generic statistics (every column with set generic), and which ones.
    private var genericColumns: [Int] = [] {
        didSet { genericSet = Set(genericColumns) }
    }
    private var genericSet: Set<Int> = []
    private var statistics: [String] = []
    static let statisticNames = ["mean", "stddev", "min", "max", "p20", "p50", "p80"]
    private var hop: Int64 = 10_000
    /// Column of the frame table fed by each input column (nil for the segments input).
    private var columnMap: [[Int]?] = []
    private var columnNames: [String] = []
    private var frames: [Int64: [Float]] = [:]
    private var firstIndex: Int64?
    private var lastIndex: Int64 = 0
    private var windowFrames: Int64 = 0
    private var stepFrames: Int64 = 0
    private var nextWindow: Int64 = 0
    /// End (exclusive frame index) of the furthest span emitted so far.
    private var emittedEnd: Int64 = .min
    private var segmentInput: Int?
    private var segments: [Range<Int64>] = []
    /// Live sliding windows: step and first-window frames, and the end of the next trailing window.
    private var live = false
    private var liveStepFrames: Int64 = 0
    private var liveMinFrames: Int64 = 0
    private var nextLiveEnd: Int64 = 0
    /// Columns of an output row.
    private var outputWidth = 0

    init(parameters: Parameters) { self.parameters = parameters }

    public func prepare(inputs: [StreamFormat], context: StageContext) throws -> [StreamFormat] {
        egemaps = parameters.string("set") == "egemaps"
        hop = Int64((parameters.number("hop_ms") * 1000).rounded())
        let segmentsName = parameters.string("segments_from")
        if !segmentsName.isEmpty {
            guard let index = context.inputNames.firstIndex(of: segmentsName) else {
                throw StageError("segments_from '\(segmentsName)' is not one of the inputs (\(context.inputNames.joined(separator: ", ")))")
            }
            segmentInput = index
        }
        statistics = parameters.string("statistics").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        for name in statistics where !Self.statisticNames.contains(name) {
            throw StageError("statistics: '\(name)' is not one of " + Self.statisticNames.joined(separator: ", "))
        }
        let statisticsOf = Set(parameters.string("statistics_of").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        for name in statisticsOf where !context.inputNames.contains(name) {
            throw StageError("statistics_of '\(name)' is not one of the inputs (\(context.inputNames.joined(separator: ", ")))")
        }
        var indexByName: [String: Int] = [:]
        genericColumns = []
        columnMap = []
        for (input, format) in inputs.enumerated() {
            guard input != segmentInput, case .features(let schema) = format else { columnMap.append(nil); continue }
            let generic = !egemaps || statisticsOf.contains(context.inputNames[input])
            columnMap.append(schema.names.map { name in
                var key = name
                if indexByName[key] != nil { key = "\(context.inputNames[input]).\(name)" }
                if let existing = indexByName[key] { return existing }
                indexByName[key] = columnNames.count
                columnNames.append(key)
                if generic { genericColumns.append(columnNames.count - 1) }
                return columnNames.count - 1
            })
        }
        if egemaps {
            let missing = EGeMAPSFunctionals.requiredColumns.filter { indexByName[$0] == nil }
            guard missing.isEmpty else {
                throw StageError("set egemaps needs the LLD columns \(missing.joined(separator: ", ")) (from audio.spectral's descriptors and mfcc with n_mfcc >= 5, and audio.pitch's f0, voice and formants)")
            }
        }
        let window = parameters.number("window_s"), step = parameters.number("step_s")
        windowFrames = Int64((window * 1_000_000 / Double(hop)).rounded())
        stepFrames = step > 0 ? Int64((step * 1_000_000 / Double(hop)).rounded()) : windowFrames
        if window > 0, windowFrames < 1 || stepFrames < 1 {
            throw StageError("window_s \(window) and step_s \(step) must each hold at least one \(parameters.number("hop_ms")) ms frame")
        }
        live = context.live && window > 0 && segmentInput == nil
        liveStepFrames = max(1, Int64((parameters.number("live_step_s") * 1_000_000 / Double(hop)).rounded()))
        liveMinFrames = max(1, min(windowFrames, Int64((parameters.number("live_min_s") * 1_000_000 / Double(hop)).rounded())))
        let names = (egemaps ? EGeMAPSFunctionals.names : [])
            + genericColumns.flatMap { column in statistics.map { "\(columnNames[column])_\($0)" } }
        outputWidth = names.count
        return [.features(FeatureSchema(names))]
    }

    public func process(_ packet: Packet, input: Int, output: Emitter) throws {
        guard case .features(let row) = packet.payload else { return }
        let index = (packet.timestamp.microseconds + hop / 2).floorDivided(by: hop)
        if input == segmentInput {
            let end = (packet.timestamp.microseconds + packet.duration.microseconds + hop / 2).floorDivided(by: hop)
            if end > index { segments.append(index..<end) }
            try emitReady(before: index, output: output)
            return
        }
        guard let map = columnMap[input] else { return }
        if firstIndex == nil { firstIndex = index; nextWindow = index; nextLiveEnd = index + min(liveStepFrames, liveMinFrames) }
        lastIndex = max(lastIndex, index)
        var frame = frames[index] ?? [Float](repeating: 0, count: columnNames.count)
        for (column, value) in zip(map, row.values) { frame[column] = value }
        frames[index] = frame
        try emitReady(before: index, output: output)
    }

    public func finish(output: Emitter) throws {
        guard let first = firstIndex else { return }
        if live {
            // A last trailing window over what came after the last one (however short the input).
            if emittedEnd < lastIndex + 1 {
                try emit(max(first, lastIndex + 1 - windowFrames)..<(lastIndex + 1), output: output, stampedAt: lastIndex + 1,
                         duration: liveStepFrames)
            }
            return
        }
        if segmentInput != nil {
            try emitReady(before: .max, output: output)
        } else if windowFrames == 0 {
            try emit(first..<(lastIndex + 1), output: output)
        } else {
            // The windows that fit, then one window ending at the last frame (the whole input when
            // it is shorter than a window): the tail is covered once by a full window, not by ever
            // shorter windows of the last seconds (which on a 3 s clip outnumbered the full ones).
            while nextWindow + windowFrames <= lastIndex + 1 {
                try emit(nextWindow..<(nextWindow + windowFrames), output: output)
                nextWindow += stepFrames
            }
            if emittedEnd < lastIndex + 1 { try emit(max(first, lastIndex + 1 - windowFrames)..<(lastIndex + 1), output: output) }
        }
    }

    /// Live: the trailing window ending (exclusive) at frame `end`, stamped at its end.
    private func emitLive(endingAt end: Int64, output: Emitter) throws {
        let first = firstIndex ?? end
        if end - first < liveMinFrames {
            try output.emit(.features(FeatureRow([Float](repeating: .nan, count: outputWidth))), at: Timestamp(microseconds: end * hop),
                            duration: Timestamp(microseconds: liveStepFrames * hop), on: 0)
            return
        }
        let start = max(first, end - windowFrames)
        try emit(start..<end, output: output, stampedAt: end, duration: liveStepFrames)
        frames = frames.filter { $0.key >= end - windowFrames }
    }

    /// Emits the spans that end at or before frame `index` (all frames before it are in).
    private func emitReady(before index: Int64, output: Emitter) throws {
        if live {
            while nextLiveEnd <= index {
                try emitLive(endingAt: nextLiveEnd, output: output)
                nextLiveEnd += liveStepFrames
            }
            return
        }
        if segmentInput != nil {
            while let span = segments.first, span.upperBound <= index {
                segments.removeFirst()
                try emit(span, output: output)
            }
            let keep = segments.first?.lowerBound ?? index
            frames = frames.filter { $0.key >= keep }
        } else if windowFrames > 0, firstIndex != nil {
            while nextWindow + windowFrames <= index {
                try emit(nextWindow..<(nextWindow + windowFrames), output: output)
                nextWindow += stepFrames
            }
            // Keep the last window's frames too: the final window at the end may start inside it.
            if frames.count > 4 * Int(windowFrames) + 16 { frames = frames.filter { $0.key >= nextWindow - stepFrames } }
        }
    }

    private func emit(_ span: Range<Int64>, output: Emitter, stampedAt stamp: Int64? = nil, duration: Int64? = nil) throws {
        emittedEnd = max(emittedEnd, span.upperBound)
        let present = span.filter { frames[$0] != nil }
        guard let firstPresent = present.first, let lastPresent = present.last else { return }
        // Dense over the frames the span holds data for; gaps count as zeros.
        let indices = firstPresent...lastPresent
        // Columns as arrays where a statistic needs them (the eGeMAPS LLDs, percentiles); the
        // generic columns with only mean and stddev are summed in place (hundreds of encoder
        // columns per window).
        let summedOnly = statistics.allSatisfy { $0 == "mean" || $0 == "stddev" }
        let arrayed = columnNames.indices.filter { !(summedOnly && genericSet.contains($0)) }
        var columns = [[Double]](repeating: [], count: columnNames.count)
        for column in arrayed { columns[column].reserveCapacity(indices.count) }
        var sums = [Double](repeating: 0, count: columnNames.count), squares = sums
        for index in indices {
            guard let frame = frames[index] else {
                for column in arrayed { columns[column].append(0) }
                continue
            }
            for column in arrayed { columns[column].append(Double(frame[column])) }
            if summedOnly {
                for column in genericColumns {
                    let value = Double(frame[column])
                    sums[column] += value
                    squares[column] += value * value
                }
            }
        }
        let count = Double(indices.count)
        let frameSeconds = Double(hop) / 1_000_000
        var values: [Double] = []
        if egemaps {
            values = EGeMAPSFunctionals.compute(Dictionary(uniqueKeysWithValues: zip(columnNames, columns)), frameSeconds: frameSeconds)
        }
        for column in genericColumns where summedOnly {
            let mean = sums[column] / count
            for statistic in statistics {
                values.append(statistic == "mean" ? mean : (indices.count > 1 ? max(0, squares[column] / count - mean * mean).squareRoot() : 0))
            }
        }
        for column in genericColumns where !summedOnly {
            let x = columns[column]
            let sorted = statistics.contains { ["min", "max", "p20", "p50", "p80"].contains($0) } ? x.sorted() : []
            for statistic in statistics {
                switch statistic {
                case "mean": values.append(ContourFunctionals.mean(x))
                case "stddev": values.append(ContourFunctionals.standardDeviation(x))
                case "min": values.append(sorted.first ?? 0)
                case "max": values.append(sorted.last ?? 0)
                case "p20": values.append(ContourFunctionals.percentile(sorted: sorted, 0.2))
                case "p50": values.append(ContourFunctionals.percentile(sorted: sorted, 0.5))
                default: values.append(ContourFunctionals.percentile(sorted: sorted, 0.8))
                }
            }
        }
        let frameCount = duration ?? (span.count == 0 ? 1 : Int64(span.count))
        try output.emit(.features(FeatureRow(values.map(Float.init))), at: Timestamp(microseconds: (stamp ?? span.lowerBound) * hop),
                        duration: Timestamp(microseconds: frameCount * hop), on: 0)
    }
}

private extension Int64 {
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
