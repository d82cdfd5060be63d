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

    /// Checks that a profile given with `--profile` holds a baseline for at least one estimator
    /// of each input's pipeline (a profile from another pipeline with other estimators would
    /// silently calibrate nothing).
    public static func check(_ profile: SubjectProfile, path: String, choice: PipelineChoice, inputs: [InputLocation],
                             registry: StageRegistry) throws {
        let runner = BatchRunner(registry: registry, pipeline: choice, jobs: 1, outputDirectory: nil)
        var checked: Set<String> = []
        for input in inputs {
            guard let graph = try? runner.graph(for: input), checked.insert(graph.configHash).inserted else { continue }
            let keys = graph.nodes.filter { $0.descriptor.name == AffectEstimateStage.descriptor.name }
                .compactMap { try? StoredModels.resolve($0.parameters.string("model")) }.filter(\.calibrated).map(AffectEstimateStage.calibrationKey)
            guard !keys.isEmpty, !keys.contains(where: { profile.baselines[$0] != nil }) else { continue }
            throw StageError("\(path): the profile (gathered with pipeline '\(profile.pipeline)') has no baseline for the estimators of '\(graph.name)' ("
                             + keys.joined(separator: ", ") + "); gather one with emopipe calibrate \(graph.name) ...")
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
