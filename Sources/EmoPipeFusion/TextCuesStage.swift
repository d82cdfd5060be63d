import EmoPipeCore
import Foundation

/// `text.cues`: hesitation markers and lexicon valence per transcript segment: counts of filled
/// pauses, hedges, "but" reversals, negations and self-corrections (`HesitationLexicon`), the
/// number of words, the segment's VADER compound valence (`SentimentScorer`: lexicon, boosters,
/// negation, "but") and how many of its words VADER's lexicon rates; NaN valence when none is.
public final class TextCuesStage: Stage {
    public static let descriptor = StageDescriptor(
        name: "text.cues", role: .transform,
        summary: "Filled pauses, hedges, reversals, negations, self-corrections and lexicon valence per transcript segment.",
        inputs: [PortSpec("text", [.text], "Transcript segments (source.transcript).")],
        outputs: [PortSpec("cues", [.features],
                           "words, filled_pauses, hedges, reversals, negations, self_corrections, lexicon_valence (VADER compound, -1..1), scored_words; one row per segment.")],
        make: { _ in .stage(TextCuesStage()) })

    public static let columns = ["words", "filled_pauses", "hedges", "reversals", "negations", "self_corrections",
                                 "lexicon_valence", "scored_words"]

    public func prepare(inputs: [StreamFormat], context: StageContext) throws -> [StreamFormat] {
        do {
            _ = try SentimentScorer.requireDefault()
        } catch let error as ModelStoreError {
            throw StageError(error.description)
        }
        return [.features(FeatureSchema(Self.columns))]
    }

    public func process(_ packet: Packet, input: Int, output: Emitter) throws {
        guard case .text(let segment) = packet.payload else { return }
        let text = segment.words.isEmpty ? segment.text : segment.words.map(\.text).joined(separator: " ")
        try output.emit(.features(FeatureRow(Self.cues(text).map { Float($0) })), at: packet.timestamp, duration: packet.duration)
    }

    public func finish(output: Emitter) throws {}

    /// The cue values of one segment's text, in `columns` order: the counts of `TextTally` (the
    /// tokeniser and word lists the text A/H model uses too) and VADER's valence.
    static func cues(_ text: String) -> [Double] {
        let tally = TextTally(text: text)
        let scorer = SentimentScorer.vader
        let scored = SentimentScorer.tokens(text).filter { scorer.lexicon[$0.lowercased()] != nil }.count
        return [Double(tally.words), Double(tally.filledPauses), Double(tally.hedges), Double(tally.contrasts),
                Double(tally.negations), Double(tally.selfCorrections), scored > 0 ? scorer.compound(text) : .nan, Double(scored)]
    }
}
