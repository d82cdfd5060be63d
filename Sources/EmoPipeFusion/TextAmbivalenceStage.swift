import EmoPipeCore
import Foundation

/// `text.ambivalence`: the fitted text A/H model (`AmbivalenceTextModel`) over the transcript so
/// far. Each segment updates a running `TextTally` of every segment up to it and emits one row at
/// the segment's time: the A/H score of all the words until then (so the last row scores the whole
/// transcript, as the model was trained), the model's probability, and each part's contribution to
/// the logit (`text_words` for the bag of words, `text_<feature>` for the hesitation features).
/// Segments before the first word (empty cues) give no row.
/// Causal: a row never depends on later words.
public final class TextAmbivalenceStage: Stage {
    public static let descriptor = StageDescriptor(
        name: "text.ambivalence", role: .transform,
        summary: "Fitted A/H score of the transcript so far (bag of words and hesitation features), with each part's contribution.",
        inputs: [PortSpec("text", [.text], "Transcript segments (source.transcript).")],
        outputs: [PortSpec("ah", [.features],
                           "text_ah (score in [0, 1], 0.5 = the model's threshold), text_ah_probability, then text_words and text_<feature>: contributions to the logit; one row per segment.")],
        parameters: [
            ParameterSpec("model", .string, default: .string("ah-text"),
                          "The A/H text model: a name in the model store (ah-text) or a model file (emopipe train --task ah)."),
        ],
        make: { .stage(try TextAmbivalenceStage(parameters: $0)) })

    private let scorer: AmbivalenceTextModel.Scorer
    private var tally = TextTally()

    init(parameters: Parameters) throws {
        do {
            _ = try SentimentScorer.requireDefault()
        } catch let error as ModelStoreError {
            throw StageError(error.description)
        }
        scorer = AmbivalenceTextModel.Scorer(try AmbivalenceTextModel.resolve(parameters.string("model")))
    }

    /// The stream's columns for a model.
    static func columns(_ model: AmbivalenceTextModel) -> [String] {
        ["text_ah", "text_ah_probability"] + model.contributionNames.map { "text_" + $0 }
    }

    /// Where a stream of this stage keeps its score and its contributions (`text_words`,
    /// `text_<feature>`), found by name; nil when it has no `text_ah` column.
    public static func locate(in schema: FeatureSchema) -> (score: Int, parts: [(name: String, index: Int)])? {
        guard let score = schema.index(of: "text_ah") else { return nil }
        return (score, schema.names.enumerated().filter { $0.element.hasPrefix("text_") && !$0.element.hasPrefix("text_ah") }
            .map { ($0.element, $0.offset) })
    }

    /// The score and the contributions of one row of such a stream; nil when the score is not finite.
    static func read(_ row: FeatureRow, at columns: (score: Int, parts: [(name: String, index: Int)])) -> (score: Double, parts: [(name: String, value: Double)])? {
        let score = Double(row.values[columns.score])
        guard score.isFinite else { return nil }
        return (score, columns.parts.map { ($0.name, Double(row.values[$0.index])) })
    }

    public func prepare(inputs: [StreamFormat], context: StageContext) throws -> [StreamFormat] {
        [.features(FeatureSchema(Self.columns(scorer.model)))]
    }

    public func process(_ packet: Packet, input: Int, output: Emitter) throws {
        guard case .text(let segment) = packet.payload else { return }
        let text = segment.words.isEmpty ? segment.text : segment.words.map(\.text).joined(separator: " ")
        tally.add(text, seconds: Double(packet.duration.microseconds) / 1e6)
        // No words yet (empty cues, music notes): nothing to score.
        guard tally.words > 0 else { return }
        let result = scorer.score(tally)
        let values = [result.score, result.probability] + result.contributions.map(\.value)
        try output.emit(.features(FeatureRow(values.map { Float($0) })), at: packet.timestamp, duration: packet.duration)
    }

    public func finish(output: Emitter) throws {}
}
