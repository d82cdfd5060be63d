/// BAH's metric set for a labelled prediction run, as scikit-learn computes it: accuracy,
/// per-class precision/recall/F1, macro and weighted F1, unweighted average recall (UAR, macro
/// recall), the confusion matrix, and average precision of the positive class when scores are given.
public struct ClassificationMetrics: Sendable, Equatable {
    public var classes: [String]
    public var accuracy: Double
    public var precision: [Double]
    public var recall: [Double]
    public var f1: [Double]
    public var support: [Int]
    public var macroF1: Double
    public var weightedF1: Double
    public var unweightedAverageRecall: Double
    /// confusion[true][predicted], in `classes` order.
    public var confusion: [[Int]]
    /// Average precision of `positive` from the scores (scikit-learn's step-wise definition), if scored.
    public var averagePrecision: Double?

    /// Metrics over `classes` (labels outside it count as misses of no class).
    public init(truth: [String], predicted: [String], classes: [String], scores: [Double]? = nil, positive: String? = nil) {
        self.classes = classes
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: classes.count), count: classes.count)
        var correct = 0
        for (t, p) in zip(truth, predicted) {
            if t == p { correct += 1 }
            if let i = index[t], let j = index[p] { confusion[i][j] += 1 }
        }
        self.confusion = confusion
        accuracy = truth.isEmpty ? 0 : Double(correct) / Double(truth.count)
        let predictedCounts = classes.map { c in predicted.filter { $0 == c }.count }
        let support = classes.map { c in truth.filter { $0 == c }.count }
        let precision = classes.indices.map { predictedCounts[$0] > 0 ? Double(confusion[$0][$0]) / Double(predictedCounts[$0]) : 0 }
        let recall = classes.indices.map { support[$0] > 0 ? Double(confusion[$0][$0]) / Double(support[$0]) : 0 }
        let f1 = classes.indices.map { i in
            precision[i] + recall[i] > 0 ? 2 * precision[i] * recall[i] / (precision[i] + recall[i]) : 0
        }
        self.support = support
        self.precision = precision
        self.recall = recall
        self.f1 = f1
        macroF1 = f1.reduce(0, +) / Double(max(classes.count, 1))
        let total = support.reduce(0, +)
        weightedF1 = total > 0 ? zip(f1, support).reduce(0) { $0 + $1.0 * Double($1.1) } / Double(total) : 0
        unweightedAverageRecall = recall.reduce(0, +) / Double(max(classes.count, 1))
        if let scores, let positive {
            averagePrecision = Self.averagePrecision(positives: truth.map { $0 == positive }, scores: scores)
        }
    }

    /// AP = sum over thresholds (distinct scores, high to low) of (R_n - R_{n-1}) P_n. A NaN
    /// score ranks lowest (it never stalls the sweep: NaN equals nothing, itself included).
    public static func averagePrecision(positives: [Bool], scores rawScores: [Double]) -> Double {
        let scores = rawScores.map { $0.isNaN ? -Double.infinity : $0 }
        let totalPositive = positives.filter { $0 }.count
        guard totalPositive > 0 else { return 0 }
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var truePositive = 0, seen = 0, previousRecall = 0.0, ap = 0.0
        var index = 0
        while index < order.count {
            let score = scores[order[index]]
            while index < order.count, scores[order[index]] == score {
                if positives[order[index]] { truePositive += 1 }
                seen += 1
                index += 1
            }
            let recall = Double(truePositive) / Double(totalPositive)
            ap += (recall - previousRecall) * Double(truePositive) / Double(seen)
            previousRecall = recall
        }
        return ap
    }
}
