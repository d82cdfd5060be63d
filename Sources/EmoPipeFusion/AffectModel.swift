import EmoPipeCore
import Foundation

/// A per-modality estimator as a model file (JSON): which features it reads, how it normalises
/// them, its coefficients, and where they came from. `emopipe train` writes these; the defaults
/// are files in the model store (`ModelStore.models`, `Models/NAME.json`).
///
/// A model has a classifier head (multinomial logistic regression over `classes`), regression
/// heads for valence/arousal/dominance (tanh of a linear function), or both. Without regression
/// heads the valence/arousal/dominance point is the class probabilities' mean of the categories'
/// coordinates (`EmotionSpace`); without a classifier the probabilities come from that point.
public struct AffectModel: Codable, Sendable, Equatable {
    /// A linear head: coefficients over the (normalised) features and an intercept.
    public struct Linear: Codable, Sendable, Equatable {
        public var coefficients: [Double]
        public var intercept: Double
        public init(coefficients: [Double], intercept: Double) {
            self.coefficients = coefficients
            self.intercept = intercept
        }
    }

    /// Where the coefficients came from and how well they did.
    public struct Provenance: Codable, Sendable, Equatable {
        public var data: String
        public var date: String
        public var method: String
        /// Named scores (cross-validated UAR, accuracy, ...), each in [0, 1].
        public var scores: [String: Double]
        public var notes: String?
        public init(data: String, date: String, method: String, scores: [String: Double] = [:], notes: String? = nil) {
            self.data = data
            self.date = date
            self.method = method
            self.scores = scores
            self.notes = notes
        }
    }

    public static let formatName = "emopipe-affect-model/1"

    public var format: String
    public var name: String
    /// The modality the estimates belong to.
    public var modality: Modality
    /// Input features, by column name, or `mean(glob)` / `logmean(glob)` over the columns that
    /// match a pattern with one `*` (for EEG channel sets that differ between recordings).
    public var features: [String]
    /// Standardisation: (x - mean) / scale, after the per-input step.
    public var mean: [Double]
    public var scale: [Double]
    /// `none`, or `running`: features first become z-scores against the input's own running mean
    /// and standard deviation (a per-input baseline).
    public var inputNormalisation: String
    /// Category names (a subset of `EmotionCategory`) and the classifier head per class.
    public var classes: [String]
    public var classifier: [Linear]
    /// Optional regression heads, keyed `valence`, `arousal`, `dominance`.
    public var regression: [String: Linear]
    /// How much fusion trusts this modality relative to the others (multiplies confidence).
    public var weight: Double
    /// True when trained on subject-calibrated features (each feature z-scored within its
    /// subject): the model then z-scores per person at run time, against the subject's profile
    /// when there is one. Without one it uses its `uncalibrated` heads when it has them, else
    /// the input's running baseline. Requires `input_normalisation: running`.
    public var calibrated: Bool
    /// For a calibrated model, the same model fitted on the raw features (no per-subject step):
    /// what runs without subject information, for a person nobody calibrated.
    public var uncalibrated: Heads?
    public var provenance: Provenance

    /// Standardisation and heads of an alternative fit over the same features and classes.
    public struct Heads: Codable, Sendable, Equatable {
        public var mean: [Double]
        public var scale: [Double]
        public var classifier: [Linear]
        public var regression: [String: Linear]
        public init(mean: [Double], scale: [Double], classifier: [Linear], regression: [String: Linear] = [:]) {
            self.mean = mean
            self.scale = scale
            self.classifier = classifier
            self.regression = regression
        }
    }

    /// The model that estimates without subject information: the `uncalibrated` heads on the raw
    /// features; nil when the model has none.
    public var uncalibratedModel: AffectModel? {
        guard let uncalibrated else { return nil }
        var model = self
        model.mean = uncalibrated.mean
        model.scale = uncalibrated.scale
        model.classifier = uncalibrated.classifier
        model.regression = uncalibrated.regression
        model.inputNormalisation = "none"
        model.calibrated = false
        model.uncalibrated = nil
        return model
    }

    public init(name: String, modality: Modality, features: [String], mean: [Double], scale: [Double],
                inputNormalisation: String = "none", classes: [String], classifier: [Linear],
                regression: [String: Linear] = [:], weight: Double = 1, calibrated: Bool = false, uncalibrated: Heads? = nil,
                provenance: Provenance) {
        format = Self.formatName
        self.name = name
        self.modality = modality
        self.features = features
        self.mean = mean
        self.scale = scale
        self.inputNormalisation = inputNormalisation
        self.classes = classes
        self.classifier = classifier
        self.regression = regression
        self.weight = weight
        self.calibrated = calibrated
        self.uncalibrated = uncalibrated
        self.provenance = provenance
    }

    enum CodingKeys: String, CodingKey {
        case format, name, modality, features, mean, scale, classes, classifier, regression, weight, calibrated, uncalibrated, provenance
        case inputNormalisation = "input_normalisation"
    }

    /// Reads and checks a model file.
    public static func load(json data: Data, source: String) throws -> AffectModel {
        let model: AffectModel
        do {
            model = try JSONDecoder().decode(AffectModel.self, from: data)
        } catch {
            throw StageError("\(source): not an EmoPipe model file (\(JSONErrorText.describe(error, in: data)))")
        }
        try model.validate(source: source)
        return model
    }

    func validate(source: String) throws {
        func fail(_ message: String) -> StageError { StageError("\(source): \(message)") }
        guard format == Self.formatName else { throw fail("format '\(format)', expected '\(Self.formatName)'") }
        let n = features.count
        guard mean.count == n, scale.count == n else { throw fail("mean and scale need one value per feature (\(n))") }
        guard scale.allSatisfy({ $0 > 0 }) else { throw fail("every scale must be positive") }
        guard ["none", "running"].contains(inputNormalisation) else { throw fail("input_normalisation must be none or running") }
        guard !calibrated || inputNormalisation == "running" else {
            throw fail("a calibrated model z-scores per person: input_normalisation must be running")
        }
        guard classes.count == classifier.count else { throw fail("one classifier head per class") }
        for name in classes where EmotionCategory(rawValue: name) == nil {
            throw fail("unknown class '\(name)'; classes are " + EmotionCategory.allCases.map(\.rawValue).joined(separator: ", "))
        }
        for head in classifier + regression.values where head.coefficients.count != n {
            throw fail("every head needs \(n) coefficients")
        }
        for key in regression.keys where !["valence", "arousal", "dominance"].contains(key) {
            throw fail("unknown regression head '\(key)'")
        }
        guard !classes.isEmpty || !regression.isEmpty else { throw fail("a model needs classes or regression heads") }
        if let uncalibrated {
            guard calibrated else { throw fail("uncalibrated heads belong to a calibrated model") }
            guard uncalibrated.mean.count == n, uncalibrated.scale.count == n, uncalibrated.scale.allSatisfy({ $0 > 0 }) else {
                throw fail("uncalibrated: mean and scale need one positive value per feature (\(n))")
            }
            guard uncalibrated.classifier.count == classes.count,
                  Set(uncalibrated.regression.keys) == Set(regression.keys),
                  (uncalibrated.classifier + uncalibrated.regression.values).allSatisfy({ $0.coefficients.count == n }) else {
                throw fail("uncalibrated: the same heads as the model, with \(n) coefficients each")
            }
        }
    }

    /// One estimate from already normalised features.
    public func estimate(normalised x: [Double]) -> AffectEstimate {
        func linear(_ head: Linear) -> Double { zip(head.coefficients, x).reduce(head.intercept) { $0 + $1.0 * $1.1 } }
        var probabilities = [Double](repeating: 0, count: EmotionCategory.allCases.count)
        var confidence = 1.0
        if !classes.isEmpty {
            let logits = classifier.map(linear)
            let top = logits.max()!
            let exps = logits.map { exp($0 - top) }
            let total = exps.reduce(0, +)
            for (name, value) in zip(classes, exps) {
                probabilities[EmotionCategory.allCases.firstIndex(of: EmotionCategory(rawValue: name)!)!] = value / total
            }
            // 1 - normalised entropy: 1 when sure of one class, 0 when uniform.
            let entropy = exps.map { $0 / total }.reduce(0) { $0 - ($1 > 0 ? $1 * log($1) : 0) }
            confidence = classes.count > 1 ? 1 - entropy / log(Double(classes.count)) : 1
        }
        var point = classes.isEmpty ? SIMD3<Double>(repeating: .nan) : EmotionSpace.point(of: probabilities)
        for (axis, key) in ["valence", "arousal", "dominance"].enumerated() {
            if let head = regression[key] { point[axis] = tanh(linear(head)) }
        }
        if classes.isEmpty { probabilities = EmotionSpace.probabilities(near: point) }
        return AffectEstimate(valence: point.x, arousal: point.y, dominance: point.z, probabilities: probabilities,
                              confidence: confidence * weight)
    }
}

/// One modality's estimate at one time.
public struct AffectEstimate: Sendable, Equatable {
    /// Each in [-1, 1]; NaN when the modality says nothing about that dimension.
    public var valence: Double
    public var arousal: Double
    public var dominance: Double
    /// Over `EmotionCategory.allCases`, summing to 1.
    public var probabilities: [Double]
    /// How much to trust it, >= 0 (the model's certainty times its modality weight).
    public var confidence: Double

    /// The columns an estimate stream carries.
    public static let columns = ["valence", "arousal", "dominance"] + EmotionCategory.allCases.map { "p_" + $0.rawValue } + ["confidence"]

    var row: [Float] { ([valence, arousal, dominance] + probabilities + [confidence]).map { Float($0) } }

    init(valence: Double, arousal: Double, dominance: Double, probabilities: [Double], confidence: Double) {
        self.valence = valence
        self.arousal = arousal
        self.dominance = dominance
        self.probabilities = probabilities
        self.confidence = confidence
    }

    /// A categorical estimate: valence, arousal and dominance are the point of `probabilities`
    /// (over `EmotionCategory.allCases`) in `EmotionSpace`.
    init(probabilities: [Double], confidence: Double) {
        let point = EmotionSpace.point(of: probabilities)
        self.init(valence: point.x, arousal: point.y, dominance: point.z, probabilities: probabilities, confidence: confidence)
    }

    /// Decodes a row of an estimate stream; nil when the row holds no estimate.
    init?(row values: [Float]) {
        guard values.count == Self.columns.count, values[values.count - 1].isFinite else { return nil }
        valence = Double(values[0])
        arousal = Double(values[1])
        dominance = Double(values[2])
        probabilities = values[3..<(3 + EmotionCategory.allCases.count)].map(Double.init)
        confidence = Double(values[values.count - 1])
    }
}
