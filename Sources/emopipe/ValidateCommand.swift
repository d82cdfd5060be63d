import ArgumentParser
import EmoPipe
import EmoPipeCore

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Checks a pipeline file without running it and prints its graph.")

    @Argument(help: "A pipeline file, or the name of a stored pipeline (emopipe run --help lists them).")
    var pipeline: String

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a parameter: stage_id.parameter=value.", valueName: "id.param=value"))
    var overrides: [String] = []

    @Flag(help: "Print the graph in Graphviz DOT.")
    var dot = false

    func run() throws {
        let registry = BuiltinStages.registry
        let graph: PipelineGraph
        do {
            graph = pipeline.hasSuffix(".yaml") || pipeline.hasSuffix(".yml") || DefaultPipelines.file(named: pipeline) == nil
                ? try PipelineLoader(registry: registry).load(file: pipeline, overrides: overrides)
                : try DefaultPipelines.load(pipeline, registry: registry, overrides: overrides)
        } catch let error as PipelineError {
            StandardError.write("error: \(error)\n")
            throw ExitCode(2)
        }
        if dot {
            print(graph.dot())
            return
        }
        print("\(graph.file): ok: pipeline '\(graph.name)', \(graph.nodes.count) stages")
        for node in graph.nodes {
            let inputs = node.inputs.map { graph.streamName($0) }
            let wiring = inputs.isEmpty ? "" : " <- " + inputs.joined(separator: ", ")
            print("  \(node.id) (\(node.descriptor.name))\(wiring)")
        }
    }
}
