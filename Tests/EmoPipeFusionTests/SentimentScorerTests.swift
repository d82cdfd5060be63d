import EmoPipeCore
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

    /// A broken lexicon in the store is an error naming the file, which the text stages throw
    /// when they are prepared (no trap, no silent empty lexicon).
    @Test func aBrokenLexiconIsNamed() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lexicon-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("lexicons"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let file = root.appendingPathComponent("lexicons/vader.tsv")
        try "# nothing here\n".write(to: file, atomically: true, encoding: .utf8)
        let store = ModelStore(folder: "Models", environmentVariable: "EMOPIPE_MODELS", noun: "model", environment: ["EMOPIPE_MODELS": root.path])
        #expect(throws: ModelStoreError(description: "\(file.path): no `token<TAB>valence` lines (a broken VADER lexicon)")) {
            _ = try SentimentScorer.load(from: store).get()
        }
        #expect(try SentimentScorer.requireDefault().lexicon.count == 7506)
    }
}
