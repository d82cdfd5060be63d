import EmoPipe
import EmoPipeCore
import EmoPipeFusion
import Foundation

/// Fits a per-modality estimator (`AffectModel`) from recordings and their labels: runs a feature
/// pipeline on every labelled file, takes every row of a named stream (e.g. the eGeMAPS
/// functionals over the 3 s windows the run pipeline estimates from; one row when the stream is
/// over the whole input), standardises, and fits a class-weighted multinomial logistic regression
/// on the rows, each labelled with its recording's label. Grouped cross-validation (leave one
/// speaker, subject or corpus out) scores it first, per recording as a run decides it: the mean
/// log-probability over the recording's rows (`aggregate.recording` pools its frames the same
/// way): UAR over the classes, and binary arousal accuracy. With several L2 penalties, the one
/// with the best held-out UAR (mean over groups when the groups are corpora) is fitted.
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

    /// A row for fitting: features, label, cross-validation group, subject, and the index of the
    /// recording it comes from (a recording gives one row per window).
    typealias Labelled = (row: [Double], label: String, group: String, subject: String, recording: Int)

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
        /// Each L2 penalty tried and its held-out UAR (empty with one penalty).
        public var penalties: [(l2: Double, uar: Double)] = []
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
    /// L2 penalties to choose from by held-out groups (one value: no choice).
    public var l2: [Double]
    /// The parameter overrides the pipeline was loaded with (`stage.parameter=value`), recorded in
    /// the model's provenance.
    public var overrides: [String] = []

    public init(registry: StageRegistry, graph: PipelineGraph, stream: String, jobs: Int, l2: [Double] = [0.01]) {
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

    /// Runs the feature pipeline on every example; returns the feature names and the rows of each
    /// example (nil where the run failed or gave no row), and the errors.
    public func extract(_ examples: [Example]) throws -> (names: [String], rows: [[[Double]]?], errors: [String]) {
        // A stream no sink writes (a run pipeline's estimator input): run the part that computes it.
        var graph = self.graph
        if !graph.nodes.contains(where: { $0.descriptor.role == .sink && $0.inputs.map(graph.streamName).contains(stream) }) {
            guard let feeding = graph.feeding(stream, registry: registry) else {
                throw StageError("the pipeline '\(graph.name)' has no stream '\(stream)'")
            }
            graph = feeding
        }
        let sink = graph.nodes.first { $0.descriptor.role == .sink && $0.inputs.map(graph.streamName).contains(stream) }!
        let memory = MemoryOutput()
        let items = examples.map { InputItem.input(InputLocation(path: $0.path, relativePath: $0.path)) }
        let results = BatchRunner(registry: registry, pipeline: .graph(graph), jobs: jobs, outputDirectory: nil).run(items, memory: memory)
        var names: [String] = []
        var rows: [[[Double]]?] = []
        var errors: [String] = []
        for (example, result) in zip(examples, results) {
            guard result.status == .done else {
                errors.append(result.error ?? "\(example.path): \(result.status)")
                rows.append(nil)
                continue
            }
            let lines = memory.text(input: example.path, sink: sink.id).split(separator: "\n")
                .filter { $0.contains("\"stream\":\"\(stream)\"") }
            guard !lines.isEmpty else {
                errors.append("\(example.path): no '\(stream)' row")
                rows.append(nil)
                continue
            }
            var recording: [[Double]] = []
            for line in lines {
                let pairs = Self.numericFields(String(line)).filter { !["frame", "t"].contains($0.0) }
                if names.isEmpty { names = pairs.map(\.0) }
                guard pairs.map(\.0) == names else { throw StageError("\(example.path): '\(stream)' has different columns") }
                recording.append(pairs.map(\.1))
            }
            rows.append(recording)
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

    /// Trains on `examples`: cross-validates by group (when there are several), choosing the L2
    /// penalty, then fits on all.
    public func train(_ examples: [Example], name: String, modality: Modality, data: String, classes requested: [String]? = nil) throws -> Report {
        let (names, extracted, errors) = try extract(examples)
        let calibrated = Self.calibrated(examples)
        var raw: [Labelled] = []
        for (index, (example, rows)) in zip(examples, extracted).enumerated() {
            // Rows with a missing feature (a window without voice) give no estimate at run time either.
            for row in rows ?? [] where row.allSatisfy(\.isFinite) {
                raw.append((row, example.label, example.group, example.subject ?? "", index))
            }
        }
        let usable = calibrated ? Self.normaliseWithinSubjects(raw) : raw
        let recordings = Set(usable.map(\.recording)).count
        let classes = requested ?? EmotionCategory.allCases.map(\.rawValue).filter { c in usable.contains { $0.label == c } }
        for label in Set(usable.map(\.label)) where !classes.contains(label) {
            throw StageError("label '\(label)' is not one of the classes (" + classes.joined(separator: ", ") + "); map it with --map")
        }
        guard recordings >= 2 * classes.count else {
            throw StageError("only \(recordings) usable recordings for \(classes.count) classes" + (errors.isEmpty ? "" : "; first error: \(errors[0])"))
        }
        let groups = Array(Set(usable.map(\.group))).sorted()
        // The penalty: the best held-out UAR (the mean over groups when they are corpora, so each
        // corpus counts once), as trained (calibrated when subjects are known).
        var penaltyScores: [(l2: Double, uar: Double)] = []
        var validation: CrossValidation?
        for l2 in self.l2 {
            guard let result = crossValidate(usable, classes: classes, l2: l2, calibrated: calibrated) else { break }
            let uar = result.perGroup.isEmpty ? result.metrics.unweightedAverageRecall
                : result.perGroup.reduce(0) { $0 + $1.metrics.unweightedAverageRecall } / Double(result.perGroup.count)
            penaltyScores.append((l2, uar))
            if uar >= (penaltyScores.dropLast().map(\.uar).max() ?? -1) { validation = result }
        }
        let l2 = validation?.l2 ?? self.l2[0]
        let uncalibrated = calibrated ? crossValidate(raw, classes: classes, l2: l2) : nil
        let temperature = validation.map { Self.calibratedTemperature($0.heldOut) } ?? 1
        let final = fit(usable.map(\.row), usable.map { classes.firstIndex(of: $0.label)! }, classes: classes.count, l2: l2)
        // A calibrated model also carries the fit on raw features, for runs without subject information.
        let rawTemperature = uncalibrated.map { Self.calibratedTemperature($0.heldOut) }
        // Valence/arousal/dominance heads fitted to the features, shipped when the fitted arousal
        // head decides held-out binary arousal better than the class probabilities do.
        let fittedHeads = validation.map { $0.fittedArousal > $0.arousal } ?? false
        func dimensions(_ rows: [Labelled], _ standardiser: Standardiser) -> [String: AffectModel.Linear] {
            guard fittedHeads else { return [:] }
            let heads = Self.dimensionHeads(rows.map { standardiser.apply($0.row) }, labels: rows.map(\.label), l2: l2)
            return Dictionary(uniqueKeysWithValues: zip(["valence", "arousal", "dominance"], heads).map {
                ($0, AffectModel.Linear(coefficients: $1.coefficients, intercept: $1.intercept))
            })
        }
        var uncalibratedHeads: AffectModel.Heads?
        if calibrated {
            let rawFit = fit(raw.map(\.row), raw.map { classes.firstIndex(of: $0.label)! }, classes: classes.count, l2: l2)
            uncalibratedHeads = AffectModel.Heads(mean: rawFit.standardiser.mean, scale: rawFit.standardiser.scale,
                                                  classifier: Self.heads(rawFit.model, temperature: rawTemperature ?? 1),
                                                  regression: dimensions(raw, rawFit.standardiser))
        }
        var scores: [String: Double] = [:]
        for (suffix, result) in [("", validation), ("_uncalibrated", uncalibrated)] {
            guard let result else { continue }
            scores["cv_uar" + suffix] = result.metrics.unweightedAverageRecall
            scores["cv_accuracy" + suffix] = result.metrics.accuracy
            scores["cv_macro_f1" + suffix] = result.metrics.macroF1
            scores["cv_binary_arousal_accuracy" + suffix] = result.arousal
            scores["cv_binary_arousal_accuracy_fitted_head" + suffix] = result.fittedArousal
        }
        for score in (validation?.perGroup ?? []) + (uncalibrated?.perGroup ?? []) {
            let suffix = "_" + score.group + (score.calibrated || !calibrated ? "" : "_uncalibrated")
            scores["cv_uar" + suffix] = score.metrics.unweightedAverageRecall
            scores["cv_binary_arousal_accuracy" + suffix] = score.arousal
            scores["cv_largest_predicted_share" + suffix] = score.largestPredictedShare
        }
        if penaltyScores.count > 1 {
            for entry in penaltyScores { scores["cv_uar_l2_" + String(format: "%g", entry.l2)] = entry.uar }
        }
        scores["l2"] = l2
        scores["temperature"] = temperature
        if let rawTemperature { scores["temperature_uncalibrated"] = rawTemperature }
        let date = ISO8601DateFormatter().string(from: Date()).prefix(10)
        let subjects = Set(usable.map(\.subject)).count
        let perRecording = usable.count > recordings ? "each recording's rows ('\(stream)' windows, \(usable.count) rows) labelled with its label" : "one row per recording"
        let model = AffectModel(
            name: name, modality: modality, features: names, mean: final.standardiser.mean, scale: final.standardiser.scale,
            inputNormalisation: calibrated ? "running" : "none", classes: classes,
            classifier: Self.heads(final.model, temperature: temperature), regression: dimensions(usable, final.standardiser),
            weight: 1, calibrated: calibrated, uncalibrated: uncalibratedHeads,
            provenance: AffectModel.Provenance(
                data: data, date: String(date),
                method: "multinomial logistic regression (L2 \(String(format: "%g", l2))"
                    + (penaltyScores.count > 1 ? " chosen from " + penaltyScores.map { String(format: "%g", $0.l2) }.joined(separator: ", ") + " by held-out UAR" : "")
                    + ", balanced class weights) on standardised '\(stream)' features of pipeline '\(graph.name)'" + (overrides.isEmpty ? "" : " (" + overrides.joined(separator: ", ") + ")") + ", \(perRecording)"
                    + (calibrated ? ", each feature first z-scored within its subject (\(subjects) subjects; at run time: against the subject's profile); the uncalibrated heads are the same fit on the raw features, used without a subject profile" : "")
                    + "; cross-validation leaves one group out (\(groups.count) groups) and decides each recording by the mean log-probability of its rows"
                    + (calibrated ? ", with the per-subject step (cv_*) and without it (cv_*_uncalibrated)" : "")
                    + "; logits divided by the temperature that minimised held-out log loss"
                    + (fittedHeads ? "; valence, arousal and dominance from ridge heads fitted to each label's EmotionSpace coordinates (their held-out binary arousal beat the class probabilities')"
                        : "; valence, arousal and dominance from the class probabilities (fitted ridge heads decided held-out binary arousal no better: cv_binary_arousal_accuracy_fitted_head)"),
                scores: scores,
                notes: "\(recordings) recordings used of \(examples.count); binary arousal: high for anger, disgust, fear, happiness, surprise, low for neutral and sadness (EmotionSpace arousal >= 0.25), predicted from the probability-weighted arousal of the pooled probabilities"))
        return Report(model: model, crossValidation: validation?.metrics, arousalAccuracy: validation?.arousal,
                      uncalibratedCrossValidation: uncalibrated?.metrics, uncalibratedArousalAccuracy: uncalibrated?.arousal,
                      perGroup: (validation?.perGroup ?? []) + (uncalibrated?.perGroup ?? []), penalties: penaltyScores, failed: errors)
    }

    /// The result of one leave-one-group-out cross-validation.
    struct CrossValidation {
        var l2: Double
        var metrics: ClassificationMetrics
        var arousal: Double
        /// Binary arousal accuracy of the fitted arousal head (`dimensionHeads`), pooled the same way.
        var fittedArousal: Double
        /// Each held-out row's logits and label, for temperature scaling.
        var heldOut: [(logits: [Double], label: Int)]
        var perGroup: [GroupScore]
    }

    /// Leave-one-group-out cross-validation of the classifier on `rows` (nil with one group): each
    /// held-out recording is decided by the mean log-probability of its rows.
    func crossValidate(_ rows: [Labelled], classes: [String], l2: Double, calibrated: Bool = false) -> CrossValidation? {
        let groups = Array(Set(rows.map(\.group))).sorted()
        guard groups.count > 1 else { return nil }
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        var truth: [String] = [], predicted: [String] = [], arousalHits = 0, fittedArousalHits = 0
        var heldOut: [(logits: [Double], label: Int)] = []
        var perGroup: [GroupScore] = []
        for group in groups {
            let train = rows.filter { $0.group != group }, test = rows.filter { $0.group == group }
            let before = truth.count, hitsBefore = arousalHits
            let fitted = fit(train.map(\.row), train.map { index[$0.label]! }, classes: classes.count, l2: l2)
            let arousalHead = Self.dimensionHeads(train.map { fitted.standardiser.apply($0.row) }, labels: train.map(\.label), l2: l2, axes: [1])[0]
            var fittedArousal: [Int: Double] = [:]
            var pooled: [Int: (logProbabilities: [Double], rows: Int, label: String)] = [:]
            var order: [Int] = []
            for example in test {
                let x = fitted.standardiser.apply(example.row)
                heldOut.append(((0..<classes.count).map { k in zip(fitted.model.coefficients[k], x).reduce(fitted.model.intercepts[k]) { $0 + $1.0 * $1.1 } },
                                index[example.label]!))
                let logP = fitted.model.probabilities(x).map { log(max($0, 1e-300)) }
                fittedArousal[example.recording, default: 0] += tanh(arousalHead.predict(x))
                if let sum = pooled[example.recording] {
                    pooled[example.recording] = (zip(sum.logProbabilities, logP).map(+), sum.rows + 1, sum.label)
                } else {
                    pooled[example.recording] = (logP, 1, example.label)
                    order.append(example.recording)
                }
            }
            for recording in order {
                let (sum, count, label) = pooled[recording]!
                let p = LogisticRegression.softmax(sum.map { $0 / Double(count) })
                let best = p.indices.max { p[$0] < p[$1] }!
                truth.append(label)
                predicted.append(classes[best])
                if Self.highArousal(probabilities: p, classes: classes) == Self.highArousal(label: label) { arousalHits += 1 }
                if (fittedArousal[recording]! / Double(count) >= 0.25) == Self.highArousal(label: label) { fittedArousalHits += 1 }
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
        return CrossValidation(l2: l2, metrics: ClassificationMetrics(truth: truth, predicted: predicted, classes: classes),
                               arousal: Double(arousalHits) / Double(truth.count), fittedArousal: Double(fittedArousalHits) / Double(truth.count),
                               heldOut: heldOut, perGroup: perGroup)
    }

    /// Valence, arousal and dominance heads fitted directly to the features: ridge regressions of
    /// atanh of each label's `EmotionSpace` coordinate on standardised rows, with the penalty per
    /// row of the classifier (so the model's tanh gives the coordinate back); `axes` 0, 1, 2 are
    /// valence, arousal, dominance.
    static func dimensionHeads(_ x: [[Double]], labels: [String], l2: Double, axes: [Int] = [0, 1, 2]) -> [RidgeRegression] {
        axes.map { axis in
            let y = labels.map { atanh(max(-0.99, min(0.99, EmotionSpace.coordinates[EmotionCategory(rawValue: $0)!]![axis]))) }
            return RidgeRegression.fit(x: x, y: y, lambda: l2 * Double(x.count))
        }
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
        for (index, (example, rows)) in zip(examples, extracted).enumerated() {
            guard let value = Double(example.label), (-1...1).contains(value) else {
                throw StageError("\(example.path): label '\(example.label)' is not a number in [-1, 1] (--target \(target))")
            }
            for row in rows ?? [] where row.allSatisfy(\.isFinite) {
                usable.append((row, example.label, example.group, example.subject ?? "", index))
            }
        }
        let raw = usable
        if calibrated { usable = Self.normaliseWithinSubjects(raw) }
        let recordings = Set(usable.map(\.recording)).count
        guard recordings >= 5 else { throw StageError("only \(recordings) usable recordings") }
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
                // A recording's estimate is the mean over its rows.
                var sums: [Int: (sum: Double, rows: Int, label: Double)] = [:]
                for example in usable where example.group == group {
                    let estimate = tanh(ridge.predict(standardiser.apply(example.row)))
                    let sum = sums[example.recording] ?? (0, 0, Double(example.label)!)
                    sums[example.recording] = (sum.sum + estimate, sum.rows + 1, sum.label)
                }
                for recording in sums.keys.sorted() {
                    truth.append(sums[recording]!.label)
                    predicted.append(sums[recording]!.sum / Double(sums[recording]!.rows))
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
                scores: scores, notes: "\(recordings) recordings (\(usable.count) rows) used of \(examples.count)"))
        return (model, pearson, rmse, errors)
    }

    private func fit(_ rows: [[Double]], _ labels: [Int], classes: Int, l2: Double) -> (standardiser: Standardiser, model: LogisticRegression) {
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
