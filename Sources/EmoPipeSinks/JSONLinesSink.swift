import EmoPipeCore

/// `sink.jsonl`: one JSON object per packet, in timestamp order across its inputs (live runs: in
/// arrival order across inputs, each input's own records still in order), each line written
/// (and, on standard output, flushed) as soon as it is final.
///
/// Every record has `stream` (the producing stage, or `stage.port`), `frame` (the packet's index
/// in its stream, from 0) and `t` (start, seconds). Feature rows add one key per schema column;
/// predictions add the fields of DESIGN.md section 5; text adds `end`, `text`, `origin` and
/// `words` (each with `start`, `end`, `text` and, when recognised, `confidence`);
/// audio, video and EEG packets add their shape only. Under a batch on standard output,
/// `input` names the input first.
public final class JSONLinesSink: Stage {
    public static let descriptor = StageDescriptor(
        name: "sink.jsonl", role: .sink,
        summary: "Writes every input packet as one JSON line, merged in timestamp order (live: as each arrives).",
        inputs: [PortSpec("in", PayloadKind.allCases, variadic: true, "Streams to write; records interleave by timestamp.")],
        parameters: [
            ParameterSpec("path", .string, default: .string("-"),
                          "Output file; '-' is the run's output (stdout, or OUT/<input>.jsonl with -o). {stem} and {name} expand to the input's relative path or file name without extension."),
        ],
        // Live, a record is written as soon as it arrives: frame records do not wait for a
        // sparse stream (recognised words come seconds apart) to pass their time.
        liveArrivalOrder: true,
        make: { .stage(JSONLinesSink(parameters: $0)) })

    private let path: String
    private var writer: SinkWriter?
    private var streamNames: [String] = []
    private var schemas: [[String]?] = []
    private var frameCounts: [Int] = []

    init(parameters: Parameters) { path = parameters.string("path") }

    public func prepare(inputs: [StreamFormat], context: StageContext) throws -> [StreamFormat] {
        writer = try context.output.writer(sinkID: context.stageID, fileExtension: "jsonl", path: path)
        streamNames = context.inputNames
        schemas = inputs.map { format in
            if case .features(let schema) = format { return schema.names }
            return nil
        }
        frameCounts = Array(repeating: 0, count: inputs.count)
        return []
    }

    public func process(_ packet: Packet, input: Int, output: Emitter) throws {
        guard let writer else { return }
        var record = JSONObjectBuilder()
        if let tag = writer.inputTag { record.add("input", tag) }
        record.add("stream", streamNames[input])
        record.add("frame", frameCounts[input])
        record.add("t", packet.timestamp)
        frameCounts[input] += 1
        switch packet.payload {
        case .features(let row):
            for (name, value) in zip(schemas[input] ?? [], row.values) { record.add(name, value) }
        case .prediction(let prediction):
            Self.addPrediction(prediction, to: &record)
        case .recording(let summary):
            Self.addRecording(summary, to: &record)
        case .text(let segment):
            record.add("end", segment.end)
            record.add("text", segment.text)
            if !segment.origin.isEmpty { record.add("origin", segment.origin) }
            if !segment.words.isEmpty {
                let words = segment.words.map { word -> String in
                    var item = JSONObjectBuilder()
                    item.add("start", word.start)
                    item.add("end", word.end)
                    item.add("text", word.text)
                    if let confidence = word.confidence { item.add("confidence", confidence) }
                    return item.json
                }
                record.add("words", raw: "[" + words.joined(separator: ",") + "]")
            }
        case .audio(let chunk):
            record.add("duration", packet.duration)
            record.add("frames", chunk.frameCount)
            record.add("channels", chunk.channels)
            record.add("rate", chunk.sampleRate)
        case .video(let frame):
            record.add("width", frame.width)
            record.add("height", frame.height)
            record.add("format", frame.format.rawValue)
        case .eeg(let chunk):
            record.add("duration", packet.duration)
            record.add("frames", chunk.frameCount)
            record.add("channels", chunk.channels)
        }
        try writer.write(record.json + "\n")
        try writer.endRecord()
    }

    public func finish(output: Emitter) throws {}

    static func addRecording(_ summary: RecordingSummary, to record: inout JSONObjectBuilder) {
        if summary.interim { record.add("interim", true) }
        record.add("duration", summary.duration)
        record.add("frames", summary.frames)
        var coverage = JSONObjectBuilder(), modalities = JSONObjectBuilder()
        for (modality, part) in zip(Modality.allCases, summary.modalities) {
            coverage.add(modality.rawValue, part.coverage)
            var item = JSONObjectBuilder()
            item.add("coverage", part.coverage)
            item.add("valence", part.valence)
            item.add("arousal", part.arousal)
            modalities.add(modality.rawValue, raw: item.json)
        }
        record.add("coverage", raw: coverage.json)
        record.add("emotion", summary.dominantEmotion.rawValue)
        record.add("emotion_share", summary.dominantShare)
        var shares = JSONObjectBuilder()
        for (category, value) in zip(EmotionCategory.allCases, summary.emotionShares) { shares.add(category.rawValue, value) }
        record.add("emotion_shares", raw: shares.json)
        if !summary.emotionProbabilities.isEmpty {
            var pooled = JSONObjectBuilder()
            for (category, value) in zip(EmotionCategory.allCases, summary.emotionProbabilities) { pooled.add(category.rawValue, value) }
            record.add("emotion_probabilities", raw: pooled.json)
        }
        record.add("valence_mean", summary.valenceMean)
        record.add("valence_sd", summary.valenceSpread)
        record.add("arousal_mean", summary.arousalMean)
        record.add("arousal_sd", summary.arousalSpread)
        record.add("dominance_mean", summary.dominanceMean)
        record.add("ah", summary.ambivalence)
        record.add("ah_label", summary.ambivalent ? 1 : 0)
        let segments = summary.ambivalenceSegments.map { "[" + $0.map { JSONObjectBuilder.number($0) }.joined(separator: ",") + "]" }
        record.add("ah_segments", raw: "[" + segments.joined(separator: ",") + "]")
        record.add("ah_cues", raw: cuesJSON(summary.ambivalenceCues))
        record.add("modalities", raw: modalities.json)
        if let words = summary.words {
            var item = JSONObjectBuilder()
            item.add("source", words.source)
            item.add("count", words.count)
            if let confidence = words.meanConfidence { item.add("mean_confidence", confidence) }
            record.add("words", raw: item.json)
        }
        if !summary.subject.isEmpty { record.add("subject", summary.subject) }
        record.add("calibration", summary.calibration)
        record.add("pipeline", summary.pipeline)
        record.add("config_hash", summary.configHash)
        record.add("version", summary.version)
    }

    static func addPrediction(_ prediction: Prediction, to record: inout JSONObjectBuilder) {
        for modality in Modality.allCases { record.add(modality.rawValue, prediction.present.contains(modality)) }
        record.add("valence", prediction.valence)
        record.add("arousal", prediction.arousal)
        record.add("dominance", prediction.dominance)
        if prediction.probabilities.allSatisfy(\.isFinite) {
            record.add("emotion", prediction.emotion.rawValue)
        } else {
            record.add("emotion", raw: "null")
        }
        var probabilities = JSONObjectBuilder()
        for (category, value) in zip(EmotionCategory.allCases, prediction.probabilities) {
            probabilities.add(category.rawValue, value)
        }
        record.add("probs", raw: probabilities.json)
        record.add("ah", prediction.ambivalence)
        record.add("ah_label", prediction.ambivalent ? 1 : 0)
        record.add("cues", raw: cuesJSON(prediction.cues))
    }

    /// Cues as a JSON array of {name, value} objects.
    static func cuesJSON(_ cues: [Cue]) -> String {
        let items = cues.map { cue -> String in
            var item = JSONObjectBuilder()
            item.add("name", cue.name)
            item.add("value", cue.value)
            return item.json
        }
        return "[" + items.joined(separator: ",") + "]"
    }
}
