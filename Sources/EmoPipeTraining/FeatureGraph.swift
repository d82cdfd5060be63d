import EmoPipeCore

extension PipelineGraph {
    /// The part of the pipeline that computes `stream` (its producer and everything upstream),
    /// with one JSON-lines sink reading it: what `emopipe train` runs to get the rows a run
    /// pipeline's estimator sees (e.g. voice-affect's `functionals`), without the estimator and
    /// fusion stages after it. Nil when no stage output is called `stream`.
    func feeding(_ stream: String, registry: StageRegistry) -> PipelineGraph? {
        var endpoint: Endpoint?
        for (index, node) in nodes.enumerated() where node.descriptor.role != .sink {
            for port in node.descriptor.outputs.indices where streamName(Endpoint(node: index, port: port)) == stream {
                endpoint = Endpoint(node: index, port: port)
            }
        }
        guard let endpoint, let sink = registry["sink.jsonl"] else { return nil }
        // Ancestors of the producer; nodes are in topological order, so one backward pass finds them.
        var keep = Set([endpoint.node])
        for index in nodes.indices.reversed() where keep.contains(index) { keep.formUnion(nodes[index].inputs.map(\.node)) }
        let kept = nodes.indices.filter { keep.contains($0) }
        let newIndex = Dictionary(uniqueKeysWithValues: kept.enumerated().map { ($1, $0) })
        var graph = self
        graph.nodes = kept.map { index in
            var node = nodes[index]
            node.inputs = node.inputs.map { Endpoint(node: newIndex[$0.node]!, port: $0.port) }
            return node
        }
        let input = Endpoint(node: newIndex[endpoint.node]!, port: endpoint.port)
        graph.nodes.append(Node(id: "training_rows", descriptor: sink, parameters: Parameters(specs: sink.parameters), inputs: [input],
                                inputPorts: [0], bufferCapacity: nil, location: nodes[endpoint.node].location))
        return graph
    }
}
