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
                          "An embedded default (" + EmbeddedModels.names.joined(separator: ", ") + ") or the path of a model file (JSON) written by emopipe train."),
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
        model = try EmbeddedModels.resolve(parameters.string("model"))
        fallback = model.uncalibratedModel
        running = FeatureMoments(names: model.features)
    }

    public func prepare(inputs: [StreamFormat], context: StageContext) throws -> [StreamFormat] {
        guard case .features(let schema) = inputs[0] else { throw StageError("estimate.affect takes feature rows") }
        selector = try FeatureSelector(features: model.features, schema: schema, model: model.name)
        try prepareCalibration(context)
        var attributes = schema.attributes
        attributes["modality"] = Double(Modality.allCases.firstIndex(of: model.modality)!)
        return [.features(FeatureSchema(AffectEstimate.columns, attributes: attributes))]
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
        if values.allSatisfy(\.isFinite), let estimate = estimate(values) { result = estimate.row }
        try output.emit(.features(FeatureRow(result)), at: packet.timestamp, duration: packet.duration)
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
    }
}
