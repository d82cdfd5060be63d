import Foundation
import Testing
@testable import EmoPipeFusion

/// `emopipe eval`'s metrics equal scikit-learn's on a committed random example
/// (scripts/reference/eval_metrics_reference.py).
@Suite struct ClassificationMetricsTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Reference")

    static func example(_ task: String) throws -> (truth: [String], predicted: [String], scores: [Double]) {
        let text = try String(contentsOf: folder.appendingPathComponent("eval_example.csv"), encoding: .utf8)
        // Python's csv module ends lines with CRLF.
        let rows = text.split(whereSeparator: \.isNewline).dropFirst()
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } }
            .filter { $0[0] == task }
        return (rows.map { $0[1] }, rows.map { $0[2] }, rows.map { Double($0[3]) ?? 0 })
    }

    static func reference() throws -> [String: Any] {
        let data = try Data(contentsOf: folder.appendingPathComponent("eval_metrics_reference.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func check(_ ours: ClassificationMetrics, against reference: [String: Any]) throws {
        func number(_ key: String) throws -> Double { try #require((reference[key] as? NSNumber)?.doubleValue) }
        #expect(abs(ours.accuracy - (try number("accuracy"))) < 1e-12)
        #expect(abs(ours.macroF1 - (try number("macro_f1"))) < 1e-12)
        #expect(abs(ours.weightedF1 - (try number("weighted_f1"))) < 1e-12)
        #expect(abs(ours.unweightedAverageRecall - (try number("uar"))) < 1e-12)
        let perClass = try #require(reference["per_class_f1"] as? [Double])
        #expect(zip(ours.f1, perClass).allSatisfy { abs($0 - $1) < 1e-12 })
        #expect(ours.confusion == (try #require(reference["confusion"] as? [[Int]])))
    }

    @Test func emotionMetricsEqualScikitLearn() throws {
        let (truth, predicted, _) = try Self.example("emotion")
        let classes = ["neutral", "anger", "disgust", "fear", "happiness", "sadness", "surprise"]
        let ours = ClassificationMetrics(truth: truth, predicted: predicted, classes: classes)
        try Self.check(ours, against: try #require(try Self.reference()["emotion"] as? [String: Any]))
    }

    @Test func ambivalenceMetricsAndAveragePrecisionEqualScikitLearn() throws {
        let (truth, predicted, scores) = try Self.example("ah")
        let ours = ClassificationMetrics(truth: truth, predicted: predicted, classes: ["0", "1"], scores: scores, positive: "1")
        let reference = try #require(try Self.reference()["ah"] as? [String: Any])
        try Self.check(ours, against: reference)
        let ap = try #require((reference["average_precision"] as? NSNumber)?.doubleValue)
        #expect(abs((ours.averagePrecision ?? -1) - ap) < 1e-12, "AP \(ours.averagePrecision ?? -1) vs \(ap)")
    }

    /// A NaN score (a model fed absurd settings) ranks lowest and never stalls the sweep.
    @Test func nanScoresRankLowestAndEndTheSweep() {
        let ap = ClassificationMetrics.averagePrecision(positives: [true, false, true, false], scores: [0.9, .nan, .nan, 0.1])
        // Ranked 0.9 (positive), 0.1 (negative), then the two NaN (one positive): AP = 1 * 0.5 + 0.5 * 0.5.
        #expect(abs(ap - 0.75) < 1e-12)
        #expect(ClassificationMetrics.averagePrecision(positives: [true, false], scores: [.nan, .nan]) == 0.5)
    }
}
