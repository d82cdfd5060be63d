import EmoPipeCore
import Foundation

/// A fitted ambivalence/hesitancy model of a transcript (JSON model file, written by
/// `emopipe train --task ah`): binary logistic regression over
/// - a bag of words: uni- and bigram counts of `TextTally`, as sublinear TF-IDF
///   (`1 + ln(count)` times `idf`, the vector scaled to unit length), over a stored vocabulary;
/// - `TextTally`'s hesitation features (filled pauses, hedges, contrasts, tentative verbs,
///   negations, self-corrections, first-person rate, questions, length, valence shifts), z-scored.
///
/// `threshold` is the probability chosen for macro-F1 on held-out people; `score` re-centres the
/// probability on it (`sigmoid(logit(p) - logit(threshold))`), so an A/H score of 0.5 is the
/// model's decision point everywhere downstream.
public struct AmbivalenceTextModel: Codable, Sendable, Equatable {
    public static let formatName = "emopipe-ah-text-model/1"

    public var format: String
    public var name: String
    /// Terms ("word" or "word word"), their inverse document frequencies and coefficients.
    public var vocabulary: [String]
    public var idf: [Double]
    public var termWeights: [Double]
    /// `TextTally.featureNames` used, their standardisation and coefficients.
    public var features: [String]
    public var mean: [Double]
    public var scale: [Double]
    public var featureWeights: [Double]
    public var intercept: Double
    /// Probability at or above which a transcript is A/H (chosen for macro-F1 on held-out people).
    public var threshold: Double
    public var provenance: AffectModel.Provenance

    enum CodingKeys: String, CodingKey {
        case format, name, vocabulary, idf, features, mean, scale, intercept, threshold, provenance
        case termWeights = "term_weights", featureWeights = "feature_weights"
    }

    public init(name: String, vocabulary: [String], idf: [Double], termWeights: [Double], features: [String], mean: [Double],
                scale: [Double], featureWeights: [Double], intercept: Double, threshold: Double, provenance: AffectModel.Provenance) {
        format = Self.formatName
        self.name = name
        self.vocabulary = vocabulary
        self.idf = idf
        self.termWeights = termWeights
        self.features = features
        self.mean = mean
        self.scale = scale
        self.featureWeights = featureWeights
        self.intercept = intercept
        self.threshold = threshold
        self.provenance = provenance
    }

    /// One scored transcript.
    public struct Result: Sendable, Equatable {
        /// The model's probability of A/H.
        public var probability: Double
        /// The probability re-centred on the threshold: 0.5 is the decision point.
        public var score: Double
        /// Contributions to the logit: `words` (the bag of words) first, then each feature's.
        public var contributions: [(name: String, value: Double)]

        public static func == (a: Result, b: Result) -> Bool {
            a.probability == b.probability && a.score == b.score && a.contributions.map(\.name) == b.contributions.map(\.name)
                && a.contributions.map(\.value) == b.contributions.map(\.value)
        }
    }

    /// Names of `Result.contributions`, in order.
    public var contributionNames: [String] { ["words"] + features }

    private var termIndex: [String: Int] { Dictionary(vocabulary.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a }) }

    /// Scores a tally with a prepared term index (`Scorer` keeps one).
    func score(_ tally: TextTally, termIndex: [String: Int]) -> Result {
        var weighted = 0.0, norm = 0.0
        for (term, count) in tally.terms {
            guard let index = termIndex[term] else { continue }
            let value = (1 + log(Double(count))) * idf[index]
            norm += value * value
            weighted += value * termWeights[index]
        }
        let lexical = norm > 0 ? weighted / norm.squareRoot() : 0
        let all = TextTally.featureNames
        let values = tally.features()
        var contributions: [(String, Double)] = [("words", lexical)]
        var logit = intercept + lexical
        for (index, name) in features.enumerated() {
            let raw = values[all.firstIndex(of: name)!]
            let contribution = featureWeights[index] * (raw - mean[index]) / scale[index]
            contributions.append((name, contribution))
            logit += contribution
        }
        let probability = 1 / (1 + exp(-logit))
        let centred = logit - log(threshold / (1 - threshold))
        return Result(probability: probability, score: 1 / (1 + exp(-centred)), contributions: contributions)
    }

    /// Scores one tally (building the term index each call: `Scorer` keeps one, for many tallies).
    public func score(_ tally: TextTally) -> Result { score(tally, termIndex: termIndex) }

    /// A model with its term index built once, for scoring many tallies.
    public struct Scorer: Sendable {
        public let model: AmbivalenceTextModel
        private let termIndex: [String: Int]
        public init(_ model: AmbivalenceTextModel) {
            self.model = model
            termIndex = model.termIndex
        }
        public func score(_ tally: TextTally) -> Result { model.score(tally, termIndex: termIndex) }
    }

    /// Reads and checks a model file.
    public static func load(json data: Data, source: String) throws -> AmbivalenceTextModel {
        let model: AmbivalenceTextModel
        do {
            model = try JSONDecoder().decode(AmbivalenceTextModel.self, from: data)
        } catch {
            throw StageError("\(source): not an EmoPipe A/H text model (\(JSONErrorText.describe(error, in: data)))")
        }
        func fail(_ message: String) -> StageError { StageError("\(source): \(message)") }
        guard model.format == formatName else { throw fail("format '\(model.format)', expected '\(formatName)'") }
        guard model.idf.count == model.vocabulary.count, model.termWeights.count == model.vocabulary.count else {
            throw fail("idf and term_weights need one value per vocabulary term (\(model.vocabulary.count))")
        }
        let n = model.features.count
        guard model.mean.count == n, model.scale.count == n, model.featureWeights.count == n else {
            throw fail("mean, scale and feature_weights need one value per feature (\(n))")
        }
        for name in model.features where !TextTally.featureNames.contains(name) {
            throw fail("unknown feature '\(name)'; features are " + TextTally.featureNames.joined(separator: ", "))
        }
        guard model.scale.allSatisfy({ $0 > 0 }) else { throw fail("every scale must be positive") }
        guard model.threshold > 0, model.threshold < 1 else { throw fail("threshold must be in (0, 1)") }
        return model
    }

    /// The model a `model:` parameter names: a name in the model store, or a JSON file.
    public static func resolve(_ reference: String) throws -> AmbivalenceTextModel {
        let (data, source) = try StoredModels.contents(reference)
        return try load(json: data, source: source)
    }
}
