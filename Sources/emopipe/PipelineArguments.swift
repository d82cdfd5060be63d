import ArgumentParser
import EmoPipe
import EmoPipeCore
import Foundation

/// `[PIPELINE] INPUT...` as `run` and `calibrate` take them: the first argument is the pipeline
/// when it ends in .yaml/.yml or names a stored pipeline (`Pipelines/`, `ModelStore.pipelines`);
/// otherwise each input gets the stored default for its type.
struct PipelineArguments {
    var pipeline: String?
    var inputs: [String]

    init(_ arguments: [String]) {
        guard let first = arguments.first else {
            pipeline = nil
            inputs = []
            return
        }
        let isFile = FileManager.default.fileExists(atPath: first)
        if first.hasSuffix(".yaml") || first.hasSuffix(".yml") || (!isFile && DefaultPipelines.file(named: first) != nil) {
            pipeline = first
            inputs = Array(arguments.dropFirst())
        } else {
            pipeline = nil
            inputs = arguments
        }
    }

    /// The pipeline a name gives: a `.yaml`/`.yml` file, or a stored pipeline.
    static func load(_ pipeline: String, registry: StageRegistry, overrides: [String] = []) throws -> PipelineGraph {
        pipeline.hasSuffix(".yaml") || pipeline.hasSuffix(".yml")
            ? try PipelineLoader(registry: registry).load(file: pipeline, overrides: overrides)
            : try DefaultPipelines.load(pipeline, registry: registry, overrides: overrides)
    }

    /// The pipeline choice and the file extensions its sources read; a broken pipeline file or
    /// override is reported and exits with status 2.
    func choice(registry: StageRegistry, overrides: [String]) throws -> (choice: PipelineChoice, extensions: Set<String>) {
        do {
            if let pipeline {
                let graph = try Self.load(pipeline, registry: registry, overrides: overrides)
                return (.graph(graph), Set(graph.fileExtensions))
            }
            // Check the overrides against the defaults once, before any input runs.
            try DefaultPipelines.validate(overrides: overrides, registry: registry)
            return (.automatic(overrides: overrides), Set(registry.descriptors.values.flatMap(\.fileExtensions)))
        } catch let error as PipelineError {
            StandardError.write("error: \(error)\n")
            throw ExitCode(2)
        }
    }
}
