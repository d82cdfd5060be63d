import EmoPipeCore
import EmoPipeFusion
import Foundation

/// Fits the text A/H model (`AmbivalenceTextModel`) from labelled transcripts, validated the way
/// BAH reports it: folds of whole people (never answers), nested.
///
/// - Outer folds: the people are split into `folds` groups (GroupKFold's rule: largest first, each
///   to the fold with fewest answers so far). Each outer fold is scored by a model that never saw
///   its people: AP of the A/H class, macro-F1 at the threshold chosen without it, and more.
/// - Inside each outer training set, the same person folds choose the L2 penalty and the scale
///   of the hesitation features (by AP of the pooled held-out probabilities) and the decision
///   threshold (by macro-F1). The vocabulary and standardisation come from the training set only.
/// - The shipped model: the same choice by person folds over all the data, then one fit on all of it.
public struct AmbivalenceTrainer: Sendable {
    /// One labelled transcript.
    public struct Example: Sendable {
        public var tally: TextTally
        public var label: Bool
        /// Who speaks: the unit of the folds.
        public var group: String
        public init(tally: TextTally, label: Bool, group: String) {
            self.tally = tally
            self.label = label
            self.group = group
        }
    }

    /// Cross-validated figures of one outer fold.
    public struct Fold: Sendable {
        public var people: Int
        public var answers: Int
        public var averagePrecision: Double
        public var macroF1: Double
        public var l2: Double
        public var featureScale: Double
        public var threshold: Double
    }

    public struct Report: Sendable {
        public var model: AmbivalenceTextModel
        public var folds: [Fold]
        /// Over the pooled held-out answers (each predicted by its own fold's model and threshold).
        public var pooled: ClassificationMetrics
    }

    public var folds = 5
    /// Terms in fewer training transcripts than this are left out of the vocabulary.
    public var minimumDocumentFrequency = 2
    public var l2Grid: [Double] = [1e-4, 3e-4, 1e-3, 3e-3]
    /// Multipliers of the z-scored hesitation features relative to the unit-length bag of words.
    public var featureScaleGrid: [Double] = [0, 0.03, 0.1]
    public var iterations = 2000

    public init() {}

    /// Assigns each example a fold by its group: groups largest first, each to the lightest fold.
    public static func personFolds(_ groups: [String], folds: Int) -> [Int] {
        var members: [String: Int] = [:]
        for group in groups { members[group, default: 0] += 1 }
        let order = members.keys.sorted { members[$0]! != members[$1]! ? members[$0]! > members[$1]! : FNV1a.hex($0) < FNV1a.hex($1) }
        var load = [Int](repeating: 0, count: folds), foldOf: [String: Int] = [:]
        for group in order {
            let lightest = load.indices.min { (load[$0], $0) < (load[$1], $1) }!
            foldOf[group] = lightest
            load[lightest] += members[group]!
        }
        return groups.map { foldOf[$0]! }
    }

    /// A vocabulary, IDF and feature standardisation fitted on some examples.
    struct Encoding {
        var vocabulary: [String]
        var idf: [Double]
        var index: [String: Int]
        var mean: [Double]
        var sd: [Double]

        init(_ examples: [Example], minimumDocumentFrequency: Int) {
            var frequency: [String: Int] = [:]
            for example in examples { for term in example.tally.terms.keys { frequency[term, default: 0] += 1 } }
            vocabulary = frequency.filter { $0.value >= minimumDocumentFrequency }.keys.sorted()
            let n = Double(examples.count)
            // scikit-learn's smoothed IDF.
            idf = vocabulary.map { log((1 + n) / (1 + Double(frequency[$0]!))) + 1 }
            index = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, $0) })
            let rows = examples.map { $0.tally.features() }
            let d = TextTally.featureNames.count
            mean = (0..<d).map { j in rows.reduce(0) { $0 + $1[j] } / n }
            sd = (0..<d).map { j in
                let m = rows.reduce(0) { $0 + $1[j] } / n
                let s = (rows.reduce(0) { $0 + ($1[j] - m) * ($1[j] - m) } / n).squareRoot()
                return s > 1e-12 ? s : 1
            }
        }

        var columns: Int { vocabulary.count + mean.count }

        /// The sparse row of a tally: unit-length sublinear TF-IDF, then the scaled z-scores.
        func row(_ tally: TextTally, featureScale: Double) -> SparseLogisticRegression.Row {
            var terms: [(index: Int, value: Double)] = []
            for (term, count) in tally.terms {
                guard let column = index[term] else { continue }
                terms.append((column, (1 + log(Double(count))) * idf[column]))
            }
            terms.sort { $0.index < $1.index }
            let norm = terms.reduce(0) { $0 + $1.value * $1.value }.squareRoot()
            if norm > 0 { terms = terms.map { ($0.index, $0.value / norm) } }
            let features = tally.features()
            if featureScale > 0 {
                for j in features.indices { terms.append((vocabulary.count + j, featureScale * (features[j] - mean[j]) / sd[j])) }
            }
            return terms
        }
    }

    /// The threshold (0.05 ... 0.95 by 0.01) with the best macro-F1 of `probabilities`.
    static func bestThreshold(_ probabilities: [Double], labels: [Bool]) -> Double {
        var best = (f1: -1.0, threshold: 0.5)
        for step in 5...95 {
            let threshold = Double(step) / 100
            let f1 = macroF1(probabilities.map { $0 >= threshold }, labels)
            if f1 > best.f1 + 1e-12 { best = (f1, threshold) }
        }
        return best.threshold
    }

    static func macroF1(_ predicted: [Bool], _ labels: [Bool]) -> Double {
        ClassificationMetrics(truth: labels.map { $0 ? "1" : "0" }, predicted: predicted.map { $0 ? "1" : "0" }, classes: ["0", "1"]).macroF1
    }

    /// Chooses L2, feature scale and threshold by person folds within `examples`.
    func choose(_ examples: [Example]) -> (l2: Double, featureScale: Double, threshold: Double) {
        let foldOf = Self.personFolds(examples.map(\.group), folds: folds)
        let encoding = Encoding(examples, minimumDocumentFrequency: minimumDocumentFrequency)
        let labels = examples.map(\.label)
        var best: (ap: Double, l2: Double, scale: Double, threshold: Double)?
        for featureScale in featureScaleGrid {
            let rows = examples.map { encoding.row($0.tally, featureScale: featureScale) }
            for l2 in l2Grid {
                var probabilities = [Double](repeating: 0, count: examples.count)
                for fold in 0..<folds {
                    let train = examples.indices.filter { foldOf[$0] != fold }, test = examples.indices.filter { foldOf[$0] == fold }
                    guard !train.isEmpty, !test.isEmpty else { continue }
                    let model = SparseLogisticRegression.fit(rows: train.map { rows[$0] }, labels: train.map { labels[$0] },
                                                             columns: encoding.columns, l2: l2, iterations: iterations)
                    for index in test { probabilities[index] = model.probability(rows[index]) }
                }
                let ap = ClassificationMetrics.averagePrecision(positives: labels, scores: probabilities)
                if best == nil || ap > best!.ap + 1e-12 {
                    best = (ap, l2, featureScale, Self.bestThreshold(probabilities, labels: labels))
                }
            }
        }
        return (best!.l2, best!.scale, best!.threshold)
    }

    /// Fits on `examples` with the chosen settings.
    func fit(_ examples: [Example], l2: Double, featureScale: Double, threshold: Double, name: String,
             provenance: AffectModel.Provenance) -> AmbivalenceTextModel {
        let encoding = Encoding(examples, minimumDocumentFrequency: minimumDocumentFrequency)
        let fitted = SparseLogisticRegression.fit(rows: examples.map { encoding.row($0.tally, featureScale: featureScale) },
                                                  labels: examples.map(\.label), columns: encoding.columns, l2: l2, iterations: iterations)
        let v = encoding.vocabulary.count
        // A feature scale of 0 leaves the hesitation features out.
        let kept = featureScale > 0
        return AmbivalenceTextModel(
            name: name, vocabulary: encoding.vocabulary, idf: encoding.idf, termWeights: Array(fitted.coefficients[..<v]),
            features: kept ? TextTally.featureNames : [], mean: kept ? encoding.mean : [],
            scale: kept ? encoding.sd.map { $0 / featureScale } : [],
            featureWeights: kept ? Array(fitted.coefficients[v...]) : [], intercept: fitted.intercept, threshold: threshold,
            provenance: provenance)
    }

    /// Nested person-fold validation, then the model fitted on everything.
    public func train(_ examples: [Example], name: String, data: String, progress: ((String) -> Void)? = nil) throws -> Report {
        let people = Set(examples.map(\.group))
        guard people.count >= folds else { throw StageError("A/H training needs at least \(folds) people for \(folds) person folds; got \(people.count)") }
        guard examples.contains(where: \.label), examples.contains(where: { !$0.label }) else {
            throw StageError("A/H training needs answers labelled 1 and answers labelled 0")
        }
        let foldOf = Self.personFolds(examples.map(\.group), folds: folds)
        var probabilities = [Double](repeating: 0, count: examples.count)
        var predicted = [Bool](repeating: false, count: examples.count)
        var report: [Fold] = []
        for fold in 0..<folds {
            let train = examples.indices.filter { foldOf[$0] != fold }.map { examples[$0] }
            let testIndices = examples.indices.filter { foldOf[$0] == fold }
            let choice = choose(train)
            let model = AmbivalenceTextModel.Scorer(fit(train, l2: choice.l2, featureScale: choice.featureScale, threshold: choice.threshold,
                                                        name: name, provenance: AffectModel.Provenance(data: "", date: "", method: "")))
            for index in testIndices {
                probabilities[index] = model.score(examples[index].tally).probability
                predicted[index] = probabilities[index] >= choice.threshold
            }
            let labels = testIndices.map { examples[$0].label }
            let foldReport = Fold(
                people: Set(testIndices.map { examples[$0].group }).count, answers: testIndices.count,
                averagePrecision: ClassificationMetrics.averagePrecision(positives: labels, scores: testIndices.map { probabilities[$0] }),
                macroF1: Self.macroF1(testIndices.map { predicted[$0] }, labels), l2: choice.l2, featureScale: choice.featureScale,
                threshold: choice.threshold)
            progress?(String(format: "fold %d: %d people, %d answers, AP %.3f, macro-F1 %.3f (l2 %g, feature scale %g, threshold %.2f)",
                             fold + 1, foldReport.people, foldReport.answers, foldReport.averagePrecision, foldReport.macroF1,
                             choice.l2, choice.featureScale, choice.threshold))
            report.append(foldReport)
        }
        let pooled = ClassificationMetrics(truth: examples.map { $0.label ? "1" : "0" }, predicted: predicted.map { $0 ? "1" : "0" },
                                           classes: ["0", "1"], scores: probabilities, positive: "1")
        let choice = choose(examples)
        let meanAP = report.map(\.averagePrecision).reduce(0, +) / Double(report.count)
        let meanF1 = report.map(\.macroF1).reduce(0, +) / Double(report.count)
        var scores: [String: Double] = [
            "person_cv_ap_pooled": pooled.averagePrecision ?? 0, "person_cv_macro_f1_pooled": pooled.macroF1,
            "person_cv_ap_fold_mean": meanAP, "person_cv_macro_f1_fold_mean": meanF1,
            "person_cv_f1_ah": pooled.f1[1], "person_cv_f1_no_ah": pooled.f1[0], "person_cv_weighted_f1": pooled.weightedF1,
            "person_cv_accuracy": pooled.accuracy,
        ]
        for (index, fold) in report.enumerated() {
            scores["fold\(index + 1)_ap"] = fold.averagePrecision
            scores["fold\(index + 1)_macro_f1"] = fold.macroF1
        }
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.locale = Locale(identifier: "en_US_POSIX")
        let provenance = AffectModel.Provenance(
            data: data, date: formatter.string(from: Date()),
            method: String(format: "binary logistic regression (L2 %g, balanced classes) over unit-length sublinear TF-IDF of uni- and bigrams (document frequency >= %d) and the z-scored hesitation features x %g; threshold %.2f for macro-F1; all chosen by %d person folds",
                           choice.l2, minimumDocumentFrequency, choice.featureScale, choice.threshold, folds),
            scores: scores,
            notes: "Scores: nested cross-validation over \(people.count) people in \(folds) person folds (no person in two folds); in each outer fold the penalty, feature scale and threshold were chosen by inner person folds of its training people. Pooled = every answer predicted by the model of the fold that held it out. Confusion (rows true 0/1, columns predicted 0/1): \(pooled.confusion).")
        let model = fit(examples, l2: choice.l2, featureScale: choice.featureScale, threshold: choice.threshold, name: name, provenance: provenance)
        return Report(model: model, folds: report, pooled: pooled)
    }
}
