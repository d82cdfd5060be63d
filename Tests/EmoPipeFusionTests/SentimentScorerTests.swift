import Foundation
import Testing
@testable import EmoPipeFusion

/// EmoPipe's VADER port against vaderSentiment 3.3.2 (scripts/reference/vader_reference.py).
@Suite struct SentimentScorerTests {
    struct Case: Decodable {
        var text: String
        var compound: Double
    }

    @Test func compoundScoresEqualVaderSentiment() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Reference/vader.json")
        let cases = try JSONDecoder().decode([Case].self, from: Data(contentsOf: url))
        #expect(cases.count >= 30)
        for item in cases {
            // VADER rounds its compound to 4 decimals.
            let ours = SentimentScorer.vader.compound(item.text)
            #expect(abs(ours - item.compound) <= 0.5e-4 + 1e-9, "\(item.text): \(ours) against \(item.compound)")
        }
    }

    @Test func lexiconIsTheWholeVaderLexicon() {
        #expect(SentimentScorer.vader.lexicon.count == 7506)
        #expect(SentimentScorer.vader.lexicon["good"] == 1.9)
        #expect(SentimentScorer.vader.lexicon["hate"] == -2.7)
    }
}
