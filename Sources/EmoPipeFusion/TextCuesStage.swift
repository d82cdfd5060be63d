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
        [.features(FeatureSchema(Self.columns))]
    }

    public func process(_ packet: Packet, input: Int, output: Emitter) throws {
        guard case .text(let segment) = packet.payload else { return }
        let text = segment.words.isEmpty ? segment.text : segment.words.map(\.text).joined(separator: " ")
        try output.emit(.features(FeatureRow(Self.cues(text).map { Float($0) })), at: packet.timestamp, duration: packet.duration)
    }

    public func finish(output: Emitter) throws {}

    /// Lower-cased words without surrounding punctuation (apostrophes kept).
    static func words(_ text: String) -> [String] {
        text.lowercased().split { $0.isWhitespace || $0 == "," || $0 == "." || $0 == "!" || $0 == "?" || $0 == ";" || $0 == ":" }
            .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"()[]-\u{2014}\u{2026}").union(.whitespaces)) }
            .map { $0.replacingOccurrences(of: "\u{2019}", with: "'") }
            .filter { !$0.isEmpty }
    }

    /// Occurrences of the phrases in `words`.
    static func count(_ phrases: [[String]], in words: [String]) -> Int {
        var total = 0
        for phrase in phrases where phrase.count <= words.count {
            for start in 0...(words.count - phrase.count) where Array(words[start..<(start + phrase.count)]) == phrase { total += 1 }
        }
        return total
    }

    /// The cue values of one segment's text, in `columns` order.
    static func cues(_ text: String) -> [Double] {
        let words = words(text)
        let lexicon = HesitationLexicon.self
        let filled = words.filter { lexicon.filledPauses.contains($0) }.count
        // A repeated word ("I I", "the the") is a restart too.
        let repeats = zip(words, words.dropFirst()).filter { $0 == $1 && !lexicon.filledPauses.contains($0) }.count
        let scorer = SentimentScorer.vader
        let scored = SentimentScorer.tokens(text).filter { scorer.lexicon[$0.lowercased()] != nil }.count
        return [Double(words.count), Double(filled), Double(count(lexicon.hedges, in: words)),
                Double(words.filter { lexicon.reversals.contains($0) }.count),
                Double(words.filter { lexicon.negations.contains($0) }.count),
                Double(count(lexicon.selfCorrections, in: words) + repeats),
                scored > 0 ? scorer.compound(text) : .nan, Double(scored)]
    }
}
