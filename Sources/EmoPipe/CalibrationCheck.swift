import EmoPipeCore
import EmoPipeFusion

/// Checks before a calibrated run that every estimator of a pipeline can use subject baselines:
/// one clear error naming the stage and model instead of a failure per input.
public enum CalibrationCheck {
    /// Checks the pipeline of every input (each distinct configuration once). An input whose
    /// pipeline cannot be made is left for its run to report.
    public static func check(_ choice: PipelineChoice, inputs: [InputLocation], registry: StageRegistry) throws {
        let runner = BatchRunner(registry: registry, pipeline: choice, jobs: 1, outputDirectory: nil)
        var checked: Set<String> = []
        for input in inputs {
            guard let graph = try? runner.graph(for: input), checked.insert(graph.configHash).inserted else { continue }
            try check(graph)
        }
    }

    public static func check(_ graph: PipelineGraph) throws {
        for node in graph.nodes where node.descriptor.name == AffectEstimateStage.descriptor.name {
            let model = try StoredModels.resolve(node.parameters.string("model"))
            if let problem = AffectEstimateStage.calibrationMismatch(model) {
                throw StageError("\(graph.file), stage '\(node.id)': \(problem)")
            }
        }
    }
}
