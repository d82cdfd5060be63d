import EmoPipeCore
import EmoPipeFusion

/// Checks before a calibrated run that every estimator of a pipeline can use subject baselines:
/// one clear error naming the stage and model instead of a failure per input.
public enum CalibrationCheck {
    public static func check(_ graph: PipelineGraph) throws {
        for node in graph.nodes where node.descriptor.name == AffectEstimateStage.descriptor.name {
            let model = try EmbeddedModels.resolve(node.parameters.string("model"))
            if let problem = AffectEstimateStage.calibrationMismatch(model) {
                throw StageError("\(graph.file), stage '\(node.id)': \(problem)")
            }
        }
    }
}
