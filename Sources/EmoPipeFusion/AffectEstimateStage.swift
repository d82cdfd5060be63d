import EmoPipeCore
import Foundation

/// `estimate.affect`: one modality's emotion estimate per input row, from a model file
/// (`AffectModel`): valence, arousal, dominance, probabilities over the seven categories and a
/// confidence. A row with a missing feature (no face, an unvoiced window) gives a row of NaN,
/// so the stream keeps its clock and fusion knows the modality is absent there.
///
/// Subject calibration, for models that z-score their features per person
/// (`input_normalisation: running`; such models must say `calibrated: true`): in a calibration
/// pass the stage hands over the moments of its input features (key `model:NAME`); with a
/// subject profile it z-scores against the profile's baseline from the first row. Without one
/// (an uncalibrated run, or a subject with too little data, which is logged) it uses the
/// model's uncalibrated heads (fitted on the raw features) when the model has them, else it
/// z-scores against the input's own running mean and SD.
public final class AffectEstimateStage: Stage {
    public static let descriptor = StageDescriptor(
        name: "estimate.affect", role: .transform,
        summary: "Per-modality emotion estimate (valence, arousal, dominance, category probabilities, confidence) from a model file.",
        inputs: [PortSpec("features", [.features], "The features the model names (face.actions, audio.functionals, eeg.bands, text.cues rows).")],
        outputs: [PortSpec("estimate", [.features], "valence, arousal, dominance (-1..1), p_neutral..p_surprise, confidence; NaN where there is no estimate. Attributes: the input's, plus modality.")],
        parameters: [
            ParameterSpec("model", .string, default: .string("face"),
                          "A name in the model store (face, voice, eeg, text: Models/NAME.json; emopipe models lists them) or the path of a model file (JSON) written by emopipe train."),
            ParameterSpec("au_weight", .number, default: .number(0.5), range: 0...4,
                          "Face models, when the rows carry face.expression's columns: the weight of the model's own (action-unit) log-probabilities against the network's, p ~ p_network * p_model^au_weight; 0 = the network alone. Where the model has no estimate the network answers alone."),
            ParameterSpec("expression_calibration", .boolean, default: .boolean(false),
                          "Face models with face.expression's columns, with a subject profile: map the person's mean network log-probabilities (recorded in the calibration pass) onto the network's mean over its training faces. Off by default: it assumes the person shows FER2013's mix of expressions, and on one person's two shared clips it fixed 3 of 36 smile frames in one and turned 73 of 175 frames of the other (an open jaw) into anger or sadness."),
            ParameterSpec("au_after_frames", .integer, default: .integer(50), unit: "rows", range: 0...100_000,
                          "Face models with face.expression's columns: the action units (measured against the person's running neutral) join only after this many rows with a face, once that neutral means something (a still, or a clip's first 2 s, has none: its AUs are measured against the face itself); from the first row with a subject profile."),
        ],
        make: { .stage(try AffectEstimateStage(parameters: $0)) })

    public let model: AffectModel
    private var selector: FeatureSelector?
    /// The input's own running baseline (models without a subject baseline or uncalibrated heads).
    private var running: FeatureMoments
    private var baseline: FeatureBaseline?
    /// The uncalibrated heads, used when there is no subject baseline.
    private let fallback: AffectModel?
    private var moments: FeatureMoments?
    private var collector: CalibrationCollector?
    /// face.expression's probability and confidence columns, when a face model's rows carry them.
    private var expressionColumns: (probabilities: [Int], confidence: Int)?
    private let auWeight: Double
    private let auAfterFrames: Int
    private let expressionCalibration: Bool
    /// Rows with action-unit evidence so far (the running neutral's frames).
    private var auFrames = 0
    /// The network's mean log-probabilities over its training faces (face.expression's attributes).
    private var expressionReference: [Double]?
    /// Calibration pass: the mean log-probabilities of the network over this input.
    private var expressionMoments: FeatureMoments?
    /// With a subject profile: per category, the subject's mean log-probability minus the
    /// reference, taken off the network's log-probabilities.
    private var expressionShift: [Double]?
    private var expressionCollector: CalibrationCollector?

    /// The subject-profile key of the expression network's output baseline.
    public static func expressionKey(_ model: AffectModel) -> String { "expression:" + model.name }

    /// The subject-profile key of this model's input-feature baseline.
    public static func calibrationKey(_ model: AffectModel) -> String { "model:" + model.name }

    /// Why `model` cannot run calibrated, or nil when it can: a model that z-scores its features
    /// per person but was trained on uncalibrated features expects another scale.
    public static func calibrationMismatch(_ model: AffectModel) -> String? {
        guard model.inputNormalisation == "running", !model.calibrated else { return nil }
        return "model '\(model.name)' was trained without subject calibration (calibrated: false) but normalises per person; "
            + "retrain it with subjects (emopipe train --subject-from REGEX or --subjects FILE), or run without --subject-from/--subjects/--profile"
    }

    init(parameters: Parameters) throws {
        model = try StoredModels.resolve(parameters.string("model"))
        fallback = model.uncalibratedModel
        running = FeatureMoments(names: model.features)
        auWeight = parameters.number("au_weight")
        auAfterFrames = parameters.integer("au_after_frames")
        expressionCalibration = parameters.boolean("expression_calibration")
    }

    public func prepare(inputs: [StreamFormat], context: StageContext) throws -> [StreamFormat] {
        guard case .features(let schema) = inputs[0] else { throw StageError("estimate.affect takes feature rows") }
        selector = try FeatureSelector(features: model.features, schema: schema, model: model.name)
        let probabilities = EmotionCategory.allCases.compactMap { schema.index(of: "expression_p_" + $0.rawValue) }
        if model.modality == .face, probabilities.count == EmotionCategory.allCases.count, let confidence = schema.index(of: "expression_confidence") {
            expressionColumns = (probabilities, confidence)
            let reference = EmotionCategory.allCases.compactMap { schema.attributes["expression_reference_" + $0.rawValue] }
            expressionReference = reference.count == EmotionCategory.allCases.count ? reference : nil
            prepareExpressionCalibration(context)
        }
        try prepareCalibration(context)
        var attributes = schema.attributes
        attributes["modality"] = Double(Modality.allCases.firstIndex(of: model.modality)!)
        return [.features(FeatureSchema(AffectEstimate.columns, attributes: attributes))]
    }

    /// Subject calibration of the expression network (`expression_calibration`): its output is
    /// mapped so that the person's mean log-probabilities (over their inputs) land on the
    /// network's mean over its training faces, taking out a person's constant lean (a resting face
    /// that reads as sad), but also any difference between their mix of expressions and FER2013's.
    private func prepareExpressionCalibration(_ context: StageContext) {
        let names = EmotionCategory.allCases.map { "log_p_" + $0.rawValue }
        switch context.calibration {
        case .none: return
        case .collect(let collector):
            expressionCollector = collector
            expressionMoments = FeatureMoments(names: names)
        case .apply(let profile):
            // The profile holds the person's neutral geometry: the AUs mean something from the start.
            if profile.baselines.keys.contains(where: { $0.hasPrefix("face.neutral") }) { auFrames = auAfterFrames }
            guard expressionCalibration else { return }
            let key = Self.expressionKey(model)
            guard let reference = expressionReference else {
                context.logger.warning("the expression network gives no calibration reference; its output is used uncalibrated")
                return
            }
            guard let found = profile.baselines[key], found.names == names else {
                let reason = profile.omitted[key] ?? "not in the profile"
                context.logger.warning("subject '\(profile.subject)': no expression baseline (\(reason)); the network's output is used uncalibrated")
                return
            }
            expressionShift = zip(found.centre, reference).map { $0 - $1 }
        }
    }

    private func prepareCalibration(_ context: StageContext) throws {
        guard model.inputNormalisation == "running" else { return }
        switch context.calibration {
        case .none: return
        case .collect(let collector):
            if let problem = Self.calibrationMismatch(model) { throw StageError(problem) }
            self.collector = collector
            moments = FeatureMoments(names: model.features)
        case .apply(let profile):
            if let problem = Self.calibrationMismatch(model) { throw StageError(problem) }
            let key = Self.calibrationKey(model)
            guard let found = profile.baselines[key] else {
                let reason = profile.omitted[key] ?? "not in the profile"
                let instead = fallback != nil ? "its uncalibrated heads estimate instead" : "features are z-scored against this input's running baseline"
                context.logger.warning("subject '\(profile.subject)': no baseline for model '\(model.name)' (\(reason)); \(instead)")
                return
            }
            guard found.names == model.features, found.spread != nil else {
                throw StageError("the profile of subject '\(profile.subject)' has a baseline for model '\(model.name)' over other features; "
                    + "make the profile again with this model (emopipe calibrate)")
            }
            baseline = found
        }
    }

    public func process(_ packet: Packet, input: Int, output: Emitter) throws {
        guard case .features(let row) = packet.payload, let selector else { return }
        let values = selector.values(row)
        if moments != nil, values.allSatisfy(\.isFinite) { moments!.add(values) }
        var result = [Float](repeating: .nan, count: AffectEstimate.columns.count)
        var own = values.allSatisfy(\.isFinite) ? estimate(values) : nil
        if let expressionColumns, var network = Self.expression(row, columns: expressionColumns) {
            if expressionMoments != nil { expressionMoments!.add(network.probabilities.map { log(max($0, 1e-6)) }) }
            if let expressionShift { network = Self.shifted(network, by: expressionShift) }
            if own != nil { auFrames += 1 }
            own = Self.combine(network: network, model: auFrames > auAfterFrames ? own : nil, weight: auWeight)
        }
        if let own { result = own.row }
        try output.emit(.features(FeatureRow(result)), at: packet.timestamp, duration: packet.duration)
    }

    /// face.expression's answer in a row (probabilities in EmotionCategory order, confidence), or nil.
    static func expression(_ row: FeatureRow, columns: (probabilities: [Int], confidence: Int)) -> AffectEstimate? {
        let probabilities = columns.probabilities.map { Double(row.values[$0]) }
        let confidence = Double(row.values[columns.confidence])
        guard probabilities.allSatisfy(\.isFinite), confidence.isFinite else { return nil }
        return AffectEstimate(probabilities: probabilities, confidence: confidence)
    }

    /// `estimate` with `shift` taken off its log-probabilities, renormalised (confidence kept).
    static func shifted(_ estimate: AffectEstimate, by shift: [Double]) -> AffectEstimate {
        let probabilities = zip(estimate.probabilities, shift).map { max($0, 1e-6) * exp(-$1) }
        let total = probabilities.reduce(0, +)
        return AffectEstimate(probabilities: probabilities.map { $0 / total }, confidence: estimate.confidence)
    }

    /// The network's estimate with the model's (action-unit) evidence: a weighted product of the
    /// two distributions, p ~ p_network * p_model^weight, renormalised; valence, arousal and
    /// dominance the point of the result; the network's confidence.
    static func combine(network: AffectEstimate, model: AffectEstimate?, weight: Double) -> AffectEstimate {
        guard let model, weight > 0 else { return network }
        let probabilities = zip(network.probabilities, model.probabilities).map { $0 * pow(max($1, 1e-6), weight) }
        let total = probabilities.reduce(0, +)
        guard total > 0, total.isFinite else { return network }
        return AffectEstimate(probabilities: probabilities.map { $0 / total }, confidence: network.confidence)
    }

    /// The estimate for one feature vector (updating the per-input baseline when the model uses one).
    func estimate(_ values: [Double]) -> AffectEstimate? {
        var x = values
        if let baseline {
            x = baseline.zScores(values)
        } else if let fallback {
            for index in x.indices { x[index] = (x[index] - fallback.mean[index]) / fallback.scale[index] }
            return fallback.estimate(normalised: x)
        } else if model.inputNormalisation == "running" {
            running.add(values)
            x = CalibrationStatistic.moments(running).baseline.zScores(values)
        }
        for index in x.indices { x[index] = (x[index] - model.mean[index]) / model.scale[index] }
        return model.estimate(normalised: x)
    }

    public func finish(output: Emitter) throws {
        if let collector, let moments { collector.deposit(.moments(moments), key: Self.calibrationKey(model)) }
        if let expressionCollector, let expressionMoments {
            expressionCollector.deposit(.moments(expressionMoments), key: Self.expressionKey(model))
        }
    }
}
