import EmoPipe
import EmoPipeCore
import EmoPipeFusion
import Foundation

/// Fits a per-modality estimator (`AffectModel`) from recordings and their labels: runs a feature
/// pipeline on every labelled file, takes one feature row per recording (the last row of a named
/// stream, e.g. the eGeMAPS functionals over the whole input), standardises, and fits a
/// class-weighted multinomial logistic regression. Grouped cross-validation (leave one speaker or
/// subject out) scores it first: UAR over the classes, and binary arousal accuracy.
///
/// When every recording's subject is known, the model is trained calibrated: each feature is
/// z-scored within its subject before fitting (as a calibrated run z-scores against the
/// subject's profile), the model file says `calibrated: true`, and the cross-validation is run
/// both ways, with and without the per-subject step, and both scores are recorded.
public struct ModelTrainer {
    /// One labelled recording.
    public struct Example: Sendable {
        public var path: String
        public var label: String
        /// The cross-validation group (held out together).
        public var group: String
        /// Who it records, when known: then features are calibrated per subject.
        public var subject: String?
        public init(path: String, label: String, group: String, subject: String? = nil) {
            self.path = path
            self.label = label
            self.group = group
            self.subject = subject
        }
    }

    /// A row for fitting: features, label, cross-validation group and subject.
    typealias Labelled = (row: [Double], label: String, group: String, subject: String)

    public struct Report: Sendable {
        public var model: AffectModel
        /// Cross-validation of the model as trained (calibrated when subjects are known).
        public var crossValidation: ClassificationMetrics?
        public var arousalAccuracy: Double?
        /// With subjects known: the same cross-validation without the per-subject step.
        public var uncalibratedCrossValidation: ClassificationMetrics?
        public var uncalibratedArousalAccuracy: Double?
        /// Per held-out group, when there are at most `perGroupLimit` groups (corpora held out
        /// whole): its metrics over the classes it has, and its binary arousal accuracy; calibrated
        /// (as trained) and uncalibrated.
        public var perGroup: [GroupScore] = []
        public var failed: [String]
    }

    /// One held-out group's cross-validated figures.
    public struct GroupScore: Sendable {
        public var group: String
        public var metrics: ClassificationMetrics
        public var arousal: Double
        /// The largest share of this group's predictions that went to one class.
        public var largestPredictedShare: Double
        public var calibrated: Bool
    }

    /// Groups reported one by one when there are at most this many (corpora, not speakers).
    public static let perGroupLimit = 12

    public var registry: StageRegistry
    public var graph: PipelineGraph
    public var stream: String
    public var jobs: Int
    public var l2: Double

    public init(registry: StageRegistry, graph: PipelineGraph, stream: String, jobs: Int, l2: Double = 0.01) {
        self.registry = registry
        self.graph = graph
        self.stream = stream
        self.jobs = jobs
        self.l2 = l2
    }

    /// Whether `examples` train a calibrated model: every one has a subject.
    static func calibrated(_ examples: [Example]) -> Bool { !examples.isEmpty && examples.allSatisfy { $0.subject != nil } }

    /// Rows z-scored within their subject (population SD; a constant feature becomes 0).
    static func normaliseWithinSubjects(_ rows: [Labelled]) -> [Labelled] {
        var result = rows
        for subject in Set(rows.map(\.subject)) {
            let members = rows.indices.filter { rows[$0].subject == subject }
            let standardiser = Standardiser(fitting: members.map { rows[$0].row })
            for index in members { result[index].row = standardiser.apply(rows[index].row) }
        }
        return result
    }

    /// Runs the feature pipeline on every example; returns the feature names and one row per
    /// example (nil where the run failed or gave no row), and the errors.
    public func extract(_ examples: [Example]) throws -> (names: [String], rows: [[Double]?], errors: [String]) {
        guard let sink = graph.nodes.first(where: { $0.descriptor.role == .sink && $0.inputs.map(graph.streamName).contains(stream) }) else {
            throw StageError("the pipeline '\(graph.name)' writes no stream '\(stream)' to a sink")
        }
        let memory = MemoryOutput()
        let items = examples.map { InputItem.input(InputLocation(path: $0.path, relativePath: $0.path)) }
        let results = BatchRunner(registry: registry, pipeline: .graph(graph), jobs: jobs, outputDirectory: nil).run(items, memory: memory)
        var names: [String] = []
        var rows: [[Double]?] = []
        var errors: [String] = []
        for (example, result) in zip(examples, results) {
            guard result.status == .done else {
                errors.append(result.error ?? "\(example.path): \(result.status)")
                rows.append(nil)
                continue
            }
            let lines = memory.text(input: example.path, sink: sink.id).split(separator: "\n")
            guard let line = lines.last(where: { $0.contains("\"stream\":\"\(stream)\"") }) else {
                errors.append("\(example.path): no '\(stream)' row")
                rows.append(nil)
                continue
            }
            let pairs = Self.numericFields(String(line)).filter { !["frame", "t"].contains($0.0) }
            if names.isEmpty { names = pairs.map(\.0) }
            guard pairs.map(\.0) == names else { throw StageError("\(example.path): '\(stream)' has different columns") }
            rows.append(pairs.map(\.1))
        }
        return (names, rows, errors)
    }

    private static let fieldPattern = try! NSRegularExpression(pattern: #""((?:[^"\\]|\\.)*)":(-?[0-9][0-9.eE+-]*|null)(?=[,}])"#)

    /// The numeric (or null) fields of one JSON-lines record, in order.
    static func numericFields(_ line: String) -> [(String, Double)] {
        var fields: [(String, Double)] = []
        for match in fieldPattern.matches(in: line, range: NSRange(line.startIndex..., in: line)) {
            let name = String(line[Range(match.range(at: 1), in: line)!])
            let value = String(line[Range(match.range(at: 2), in: line)!])
            fields.append((name, Double(value) ?? .nan))
        }
        return fields
    }

    /// Trains on `examples`: cross-validates by group (when there are several), then fits on all.
    public func train(_ examples: [Example], name: String, modality: Modality, data: String, classes requested: [String]? = nil) throws -> Report {
        let (names, extracted, errors) = try extract(examples)
        let calibrated = Self.calibrated(examples)
        var raw: [Labelled] = []
        for (example, row) in zip(examples, extracted) {
            guard let row else { continue }
            guard row.allSatisfy(\.isFinite) else { continue }
            raw.append((row, example.label, example.group, example.subject ?? ""))
        }
        let usable = calibrated ? Self.normaliseWithinSubjects(raw) : raw
        let classes = requested ?? EmotionCategory.allCases.map(\.rawValue).filter { c in usable.contains { $0.label == c } }
        for label in Set(usable.map(\.label)) where !classes.contains(label) {
            throw StageError("label '\(label)' is not one of the classes (" + classes.joined(separator: ", ") + "); map it with --map")
        }
        guard usable.count >= 2 * classes.count else {
            throw StageError("only \(usable.count) usable recordings for \(classes.count) classes" + (errors.isEmpty ? "" : "; first error: \(errors[0])"))
        }
        let groups = Array(Set(usable.map(\.group))).sorted()
        let validation = crossValidate(usable, classes: classes, calibrated: calibrated)
        let uncalibrated = calibrated ? crossValidate(raw, classes: classes) : nil
        let temperature = validation.map { Self.calibratedTemperature($0.heldOut) } ?? 1
        let final = fit(usable.map(\.row), usable.map { classes.firstIndex(of: $0.label)! }, classes: classes.count)
        // A calibrated model also carries the fit on raw features, for runs without subject information.
        let rawTemperature = uncalibrated.map { Self.calibratedTemperature($0.heldOut) }
        var uncalibratedHeads: AffectModel.Heads?
        if calibrated {
            let rawFit = fit(raw.map(\.row), raw.map { classes.firstIndex(of: $0.label)! }, classes: classes.count)
            uncalibratedHeads = AffectModel.Heads(mean: rawFit.standardiser.mean, scale: rawFit.standardiser.scale,
                                                  classifier: Self.heads(rawFit.model, temperature: rawTemperature ?? 1))
        }
        var scores: [String: Double] = [:]
        for (suffix, result) in [("", validation), ("_uncalibrated", uncalibrated)] {
            guard let result else { continue }
            scores["cv_uar" + suffix] = result.metrics.unweightedAverageRecall
            scores["cv_accuracy" + suffix] = result.metrics.accuracy
            scores["cv_macro_f1" + suffix] = result.metrics.macroF1
            scores["cv_binary_arousal_accuracy" + suffix] = result.arousal
        }
        for score in (validation?.perGroup ?? []) + (uncalibrated?.perGroup ?? []) {
            let suffix = "_" + score.group + (score.calibrated || !calibrated ? "" : "_uncalibrated")
            scores["cv_uar" + suffix] = score.metrics.unweightedAverageRecall
            scores["cv_binary_arousal_accuracy" + suffix] = score.arousal
            scores["cv_largest_predicted_share" + suffix] = score.largestPredictedShare
        }
        scores["temperature"] = temperature
        if let rawTemperature { scores["temperature_uncalibrated"] = rawTemperature }
        let date = ISO8601DateFormatter().string(from: Date()).prefix(10)
        let subjects = Set(usable.map(\.subject)).count
        let model = AffectModel(
            name: name, modality: modality, features: names, mean: final.standardiser.mean, scale: final.standardiser.scale,
            inputNormalisation: calibrated ? "running" : "none", classes: classes,
            classifier: Self.heads(final.model, temperature: temperature),
            weight: 1, calibrated: calibrated, uncalibrated: uncalibratedHeads,
            provenance: AffectModel.Provenance(
                data: data, date: String(date),
                method: "multinomial logistic regression (L2 \(l2), balanced class weights) on standardised '\(stream)' features of pipeline '\(graph.name)'"
                    + (calibrated ? ", each feature first z-scored within its subject (\(subjects) subjects; at run time: against the subject's profile); the uncalibrated heads are the same fit on the raw features, used without a subject profile" : "")
                    + "; cross-validation leaves one group out (\(groups.count) groups)"
                    + (calibrated ? ", with the per-subject step (cv_*) and without it (cv_*_uncalibrated)" : "")
                    + "; logits divided by the temperature that minimised held-out log loss",
                scores: scores,
                notes: "\(usable.count) recordings used of \(examples.count); binary arousal: high for anger, disgust, fear, happiness, surprise, low for neutral and sadness (EmotionSpace arousal >= 0.25), predicted from the probability-weighted arousal"))
        return Report(model: model, crossValidation: validation?.metrics, arousalAccuracy: validation?.arousal,
                      uncalibratedCrossValidation: uncalibrated?.metrics, uncalibratedArousalAccuracy: uncalibrated?.arousal, perGroup: (validation?.perGroup ?? []) + (uncalibrated?.perGroup ?? []), failed: errors)
    }

    /// Leave-one-group-out cross-validation of the classifier on `rows` (nil with one group):
    /// the metrics, the binary arousal accuracy, and the held-out logits for temperature scaling.
    func crossValidate(_ rows: [Labelled], classes: [String], calibrated: Bool = false)
        -> (metrics: ClassificationMetrics, arousal: Double, heldOut: [(logits: [Double], label: Int)], perGroup: [GroupScore])? {
        let groups = Array(Set(rows.map(\.group))).sorted()
        guard groups.count > 1 else { return nil }
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        var truth: [String] = [], predicted: [String] = [], arousalHits = 0
        var heldOut: [(logits: [Double], label: Int)] = []
        var perGroup: [GroupScore] = []
        for group in groups {
            let train = rows.filter { $0.group != group }, test = rows.filter { $0.group == group }
            let before = truth.count, hitsBefore = arousalHits
            let fitted = fit(train.map(\.row), train.map { index[$0.label]! }, classes: classes.count)
            for example in test {
                let x = fitted.standardiser.apply(example.row)
                heldOut.append(((0..<classes.count).map { k in zip(fitted.model.coefficients[k], x).reduce(fitted.model.intercepts[k]) { $0 + $1.0 * $1.1 } },
                                index[example.label]!))
                let p = fitted.model.probabilities(x)
                let best = p.indices.max { p[$0] < p[$1] }!
                truth.append(example.label)
                predicted.append(classes[best])
                if Self.highArousal(probabilities: p, classes: classes) == Self.highArousal(label: example.label) { arousalHits += 1 }
            }
            if groups.count <= Self.perGroupLimit {
                let groupTruth = Array(truth[before...]), groupPredicted = Array(predicted[before...])
                // Scored over the classes the group has; a prediction of another class is a miss.
                let present = classes.filter { Set(groupTruth).contains($0) }
                let largest = classes.map { c in Double(groupPredicted.filter { $0 == c }.count) }.max() ?? 0
                perGroup.append(GroupScore(group: group, metrics: ClassificationMetrics(truth: groupTruth, predicted: groupPredicted, classes: present),
                                           arousal: Double(arousalHits - hitsBefore) / Double(max(groupTruth.count, 1)),
                                           largestPredictedShare: largest / Double(max(groupTruth.count, 1)), calibrated: calibrated))
            }
        }
        return (ClassificationMetrics(truth: truth, predicted: predicted, classes: classes), Double(arousalHits) / Double(truth.count), heldOut,
                perGroup)
    }

    /// The classifier heads of a fit with its logits divided by `temperature` (Guo et al. 2017's
    /// temperature scaling, chosen on held-out log loss): the probabilities, and the confidence
    /// fusion uses, are then not overconfident on people the model has not heard. The predicted
    /// classes do not change.
    static func heads(_ model: LogisticRegression, temperature: Double) -> [AffectModel.Linear] {
        zip(model.coefficients, model.intercepts).map { coefficients, intercept in
            AffectModel.Linear(coefficients: coefficients.map { $0 / temperature }, intercept: intercept / temperature)
        }
    }

    /// The temperature in 1...20 that minimises the mean negative log-likelihood of held-out logits.
    static func calibratedTemperature(_ heldOut: [(logits: [Double], label: Int)]) -> Double {
        func loss(_ t: Double) -> Double {
            heldOut.reduce(0) { total, item in
                let scaled = item.logits.map { $0 / t }
                let top = scaled.max()!
                let logSum = log(scaled.reduce(0) { $0 + exp($1 - top) }) + top
                return total + logSum - scaled[item.label]
            } / Double(heldOut.count)
        }
        var best = 1.0, bestLoss = loss(1)
        var t = 1.0
        while t <= 20 {
            let l = loss(t)
            if l < bestLoss { best = t; bestLoss = l }
            t += 0.25
        }
        return best
    }

    /// Trains a regression head for a continuous target (`valence`, `arousal` or `dominance`, labels
    /// in [-1, 1]): ridge regression of atanh(label) on the standardised features, so the model's
    /// tanh gives the label back; leave-one-group-out Pearson r and RMSE are recorded.
    public func trainRegression(_ examples: [Example], target: String, name: String, modality: Modality, data: String,
                                lambda: Double = 10) throws -> (model: AffectModel, pearson: Double?, rmse: Double?, failed: [String]) {
        let (names, extracted, errors) = try extract(examples)
        let calibrated = Self.calibrated(examples)
        var usable: [Labelled] = []
        for (example, row) in zip(examples, extracted) {
            guard let row, row.allSatisfy(\.isFinite) else { continue }
            guard let value = Double(example.label), (-1...1).contains(value) else {
                throw StageError("\(example.path): label '\(example.label)' is not a number in [-1, 1] (--target \(target))")
            }
            usable.append((row, example.label, example.group, example.subject ?? ""))
        }
        let raw = usable
        if calibrated { usable = Self.normaliseWithinSubjects(raw) }
        guard usable.count >= 5 else { throw StageError("only \(usable.count) usable recordings") }
        func transformed(_ label: String) -> Double { atanh(max(-0.99, min(0.99, Double(label)!))) }
        func fitRidge(_ rows: [Labelled]) -> (Standardiser, RidgeRegression) {
            let standardiser = Standardiser(fitting: rows.map(\.row))
            return (standardiser, RidgeRegression.fit(x: rows.map { standardiser.apply($0.row) }, y: rows.map { transformed($0.label) }, lambda: lambda))
        }
        let groups = Array(Set(usable.map(\.group))).sorted()
        var pearson: Double?, rmse: Double?
        if groups.count > 1 {
            var truth: [Double] = [], predicted: [Double] = []
            for group in groups {
                let (standardiser, ridge) = fitRidge(usable.filter { $0.group != group })
                for example in usable where example.group == group {
                    truth.append(Double(example.label)!)
                    predicted.append(tanh(ridge.predict(standardiser.apply(example.row))))
                }
            }
            let n = Double(truth.count), mt = truth.reduce(0, +) / n, mp = predicted.reduce(0, +) / n
            let cov = zip(truth, predicted).reduce(0) { $0 + ($1.0 - mt) * ($1.1 - mp) }
            let vt = truth.reduce(0) { $0 + ($1 - mt) * ($1 - mt) }, vp = predicted.reduce(0) { $0 + ($1 - mp) * ($1 - mp) }
            pearson = vt > 0 && vp > 0 ? cov / (vt * vp).squareRoot() : 0
            rmse = (zip(truth, predicted).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / n).squareRoot()
        }
        let (standardiser, ridge) = fitRidge(usable)
        var uncalibratedHeads: AffectModel.Heads?
        if calibrated {
            let (rawStandardiser, rawRidge) = fitRidge(raw)
            uncalibratedHeads = AffectModel.Heads(mean: rawStandardiser.mean, scale: rawStandardiser.scale, classifier: [],
                                                  regression: [target: AffectModel.Linear(coefficients: rawRidge.coefficients, intercept: rawRidge.intercept)])
        }
        var scores: [String: Double] = [:]
        if let pearson { scores["cv_pearson_r"] = pearson }
        if let rmse { scores["cv_rmse"] = rmse }
        let date = ISO8601DateFormatter().string(from: Date()).prefix(10)
        let model = AffectModel(
            name: name, modality: modality, features: names, mean: standardiser.mean, scale: standardiser.scale,
            inputNormalisation: calibrated ? "running" : "none", classes: [], classifier: [],
            regression: [target: AffectModel.Linear(coefficients: ridge.coefficients, intercept: ridge.intercept)], calibrated: calibrated,
            uncalibrated: uncalibratedHeads,
            provenance: AffectModel.Provenance(
                data: data, date: String(date),
                method: "ridge regression (lambda \(lambda)) of atanh(\(target)) on standardised '\(stream)' features of pipeline '\(graph.name)'"
                    + (calibrated ? ", each feature first z-scored within its subject" : "") + "; leave-one-group-out cross-validation (\(groups.count) groups)",
                scores: scores, notes: "\(usable.count) recordings used of \(examples.count)"))
        return (model, pearson, rmse, errors)
    }

    private func fit(_ rows: [[Double]], _ labels: [Int], classes: Int) -> (standardiser: Standardiser, model: LogisticRegression) {
        let standardiser = Standardiser(fitting: rows)
        let model = LogisticRegression.fit(x: rows.map(standardiser.apply), y: labels, classes: classes, l2: l2)
        return (standardiser, model)
    }

    static func highArousal(label: String) -> Bool {
        guard let category = EmotionCategory(rawValue: label) else { return false }
        return EmotionSpace.coordinates[category]!.y >= 0.25
    }

    static func highArousal(probabilities: [Double], classes: [String]) -> Bool {
        var full = [Double](repeating: 0, count: EmotionCategory.allCases.count)
        for (name, p) in zip(classes, probabilities) { full[EmotionCategory.allCases.firstIndex(of: EmotionCategory(rawValue: name)!)!] = p }
        return EmotionSpace.point(of: full).y >= 0.25
    }
}
