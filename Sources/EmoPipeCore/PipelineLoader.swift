import Foundation
import Yams

/// Reads pipeline files (DESIGN.md section 4) into a validated `PipelineGraph`.
///
/// Every mistake is reported before anything runs, with file, line and column and the valid
/// choices: YAML syntax, unknown keys, unknown stages, unknown, mistyped or out-of-range
/// parameters, unknown `in:` references, unconnected inputs, kind mismatches, duplicate ids,
/// cycles, and include loops.
public struct PipelineLoader: Sendable {
    public var registry: StageRegistry
    /// Capacity of every edge into a stage that does not set `buffer:`, in packets; nil leaves
    /// it to each edge's payload (`PipelineGraph.Node.defaultBufferCapacity(for:batchedWakes:)`).
    public var defaultBufferCapacity: Int?

    public init(registry: StageRegistry) { self.registry = registry }

    /// Loads the pipeline file at `path`, applying `overrides` (`id.param=value`, from `--set`).
    public func load(file path: String, overrides: [String] = []) throws -> PipelineGraph {
        let text = try readText(path, location: SourceLocation(file: path))
        return try load(text: text, file: path, overrides: overrides)
    }

    /// Loads pipeline text; `file` names it in messages and anchors relative `include:` paths.
    public func load(text: String, file: String, overrides: [String] = []) throws -> PipelineGraph {
        let document = try parseDocument(text: text, file: file, includeStack: [])
        var stages = document.stages
        try checkUniqueIDs(stages)
        var nodes: [PipelineGraph.Node] = []
        for stage in stages { nodes.append(try makeNode(stage)) }
        try applyOverrides(overrides, to: &nodes)
        try resolveInputs(&stages, nodes: &nodes)
        try addImplicitSink(&nodes, file: file)
        nodes = try topologicallySorted(nodes)
        return PipelineGraph(name: document.name ?? (file as NSString).lastPathComponent,
                             summary: document.summary ?? "", file: file, nodes: nodes)
    }

    // MARK: - Reading

    private struct RawInput {
        var reference: String
        var portName: String?
        var location: SourceLocation
    }

    private struct RawStage {
        var id: String
        var use: String
        var useLocation: SourceLocation
        var with: [(name: String, node: Node, location: SourceLocation)]
        var inputs: [RawInput]
        var buffer: Int?
        var location: SourceLocation
    }

    private struct Document {
        var name: String?
        var summary: String?
        var stages: [RawStage]
    }

    private func readText(_ path: String, location: SourceLocation) throws -> String {
        guard let data = FileContents.read(path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot read file" : "no such file"
            throw PipelineError(.unreadable, at: location, "\(reason): \(path)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PipelineError(.unreadable, at: location, "\(path) is not UTF-8 text")
        }
        return text
    }

    private func parseDocument(text: String, file: String, includeStack: [String]) throws -> Document {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw syntaxError(error, file: file)
        }
        let top = SourceLocation(file: file, line: 1, column: 1)
        guard let root else { throw PipelineError(.structure, at: top, "the pipeline file is empty") }
        guard let mapping = root.mapping else {
            throw PipelineError(.structure, at: location(root, file), "a pipeline file is a mapping with 'version' and 'stages'")
        }
        let keys = ["version", "name", "description", "include", "stages"]
        try checkKeys(mapping, allowed: keys, what: "pipeline", file: file)
        guard let version = mapping["version"] else {
            throw PipelineError(.structure, at: top, "missing 'version: 1'")
        }
        guard version.int == 1 else {
            throw PipelineError(.structure, at: location(version, file), "unsupported version '\(version.string ?? "?")'; this EmoPipe reads version 1")
        }
        var document = Document(name: try optionalString(mapping["name"], key: "name", file: file),
                                 summary: try optionalString(mapping["description"], key: "description", file: file),
                                 stages: [])
        if let include = mapping["include"] {
            let paths = include.sequence.map { Array($0) } ?? [include]
            for pathNode in paths {
                guard let relative = pathNode.scalar?.string else {
                    throw PipelineError(.structure, at: location(pathNode, file), "'include' takes a file path or a list of them")
                }
                let base = PathText.parent(file)
                let path = relative.hasPrefix("/") || base.isEmpty ? relative : base + "/" + relative
                let canonical = (path as NSString).standardizingPath
                if includeStack.contains(canonical) || canonical == (file as NSString).standardizingPath {
                    throw PipelineError(.include, at: location(pathNode, file), "include loop: \(relative) includes itself")
                }
                let text = try readText(path, location: location(pathNode, file))
                let included = try parseDocument(text: text, file: path,
                                                 includeStack: includeStack + [(file as NSString).standardizingPath])
                document.stages += included.stages
            }
        }
        guard let stagesNode = mapping["stages"] else {
            if !document.stages.isEmpty { return document }
            throw PipelineError(.structure, at: top, "missing 'stages:' (a list of stages)")
        }
        guard let sequence = stagesNode.sequence else {
            throw PipelineError(.structure, at: location(stagesNode, file), "'stages' must be a list of stages")
        }
        for stageNode in sequence { document.stages.append(try parseStage(stageNode, file: file)) }
        return document
    }

    private func parseStage(_ node: Node, file: String) throws -> RawStage {
        let here = location(node, file)
        guard let mapping = node.mapping else {
            throw PipelineError(.structure, at: here, "a stage is a mapping with 'id', 'use', 'in' and 'with'")
        }
        try checkKeys(mapping, allowed: ["id", "use", "in", "with", "buffer"], what: "stage", file: file)
        guard let idNode = mapping["id"], let id = idNode.scalar?.string else {
            throw PipelineError(.structure, at: here, "stage without 'id'")
        }
        guard id.first.map({ $0.isLetter || $0 == "_" }) == true,
              id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
            throw PipelineError(.structure, at: location(idNode, file), "stage id '\(id)' must start with a letter and hold only letters, digits, '_' and '-'")
        }
        guard let useNode = mapping["use"], let use = useNode.scalar?.string else {
            throw PipelineError(.structure, at: here, "stage '\(id)' has no 'use' (the stage to run; see 'emopipe stages')")
        }
        var stage = RawStage(id: id, use: use, useLocation: location(useNode, file), with: [], inputs: [],
                             buffer: nil, location: here)
        if let withNode = mapping["with"] {
            guard let parameters = withNode.mapping else {
                throw PipelineError(.structure, at: location(withNode, file), "'with' of stage '\(id)' must be a mapping of parameter: value")
            }
            for (key, value) in parameters {
                guard let name = key.scalar?.string else {
                    throw PipelineError(.structure, at: location(key, file), "parameter names are words")
                }
                stage.with.append((name, value, location(key, file)))
            }
        }
        if let inNode = mapping["in"] {
            stage.inputs = try parseInputs(inNode, stageID: id, file: file)
        }
        if let bufferNode = mapping["buffer"] {
            guard let buffer = bufferNode.int, buffer >= 1, buffer <= 1_000_000 else {
                throw PipelineError(.parameterType, at: location(bufferNode, file), "'buffer' of stage '\(id)' must be an integer from 1 to 1000000 (packets per input edge)")
            }
            stage.buffer = buffer
        }
        return stage
    }

    private func parseInputs(_ node: Node, stageID: String, file: String) throws -> [RawInput] {
        if let scalar = node.scalar {
            return [RawInput(reference: scalar.string, portName: nil, location: location(node, file))]
        }
        if let sequence = node.sequence {
            return try sequence.map { item in
                guard let reference = item.scalar?.string else {
                    throw PipelineError(.structure, at: location(item, file), "each 'in' item of stage '\(stageID)' is 'stage' or 'stage.port'")
                }
                return RawInput(reference: reference, portName: nil, location: location(item, file))
            }
        }
        if let mapping = node.mapping {
            return try mapping.map { key, value in
                guard let port = key.scalar?.string, let reference = value.scalar?.string else {
                    throw PipelineError(.structure, at: location(key, file), "'in' as a mapping is 'input_port: stage.port'")
                }
                return RawInput(reference: reference, portName: port, location: location(value, file))
            }
        }
        throw PipelineError(.structure, at: location(node, file), "'in' of stage '\(stageID)' is 'stage', 'stage.port', or a list of them")
    }

    // MARK: - Validation

    private func checkUniqueIDs(_ stages: [RawStage]) throws {
        var seen: [String: SourceLocation] = [:]
        for stage in stages {
            if let first = seen[stage.id] {
                throw PipelineError(.duplicateID, at: stage.location, "duplicate stage id '\(stage.id)' (first defined at \(first))")
            }
            seen[stage.id] = stage.location
        }
    }

    private func makeNode(_ stage: RawStage) throws -> PipelineGraph.Node {
        guard let descriptor = registry[stage.use] else {
            throw PipelineError(.unknownStage, at: stage.useLocation,
                                "unknown stage '\(stage.use)' in '\(stage.id)'; " + choicesHint(for: stage.use, in: registry.names))
        }
        var values: [String: ParameterValue] = [:]
        for spec in descriptor.parameters { values[spec.name] = spec.defaultValue }
        for (name, node, location) in stage.with {
            guard let spec = descriptor.parameter(name) else {
                throw PipelineError(.unknownParameter, at: location,
                                    "unknown parameter '\(name)' for \(descriptor.name) in '\(stage.id)'; "
                                        + choicesHint(for: name, in: descriptor.parameters.map(\.name)))
            }
            values[name] = try coerce(node, to: spec, stageID: stage.id, location: location)
        }
        return PipelineGraph.Node(id: stage.id, descriptor: descriptor, parameters: Parameters(values),
                                  inputs: [], inputPorts: [], bufferCapacity: stage.buffer ?? defaultBufferCapacity,
                                  location: stage.location)
    }

    /// Checks a YAML value against a parameter declaration.
    private func coerce(_ node: Node, to spec: ParameterSpec, stageID: String, location: SourceLocation) throws -> ParameterValue {
        let shown = node.scalar?.string ?? (node.sequence != nil ? "a list" : "a mapping")
        func mistyped() -> PipelineError {
            PipelineError(.parameterType, at: location,
                          "parameter '\(spec.name)' of '\(stageID)' must be \(spec.type), not '\(shown)'")
        }
        func checkRange(_ value: Double) throws {
            guard value.isFinite else {
                throw PipelineError(.parameterRange, at: location, "parameter '\(spec.name)' of '\(stageID)' is \(shown), not a finite number")
            }
            guard let range = spec.range, !range.contains(value) else { return }
            let unit = spec.unit.map { " " + $0 } ?? ""
            throw PipelineError(.parameterRange, at: location,
                                "parameter '\(spec.name)' of '\(stageID)' is \(shown)\(unit), outside \(format(range.lowerBound))...\(format(range.upperBound))\(unit)")
        }
        switch spec.type {
        case .integer:
            guard node.scalar != nil, node.tag.description == Tag.Name.int.rawValue, let value = node.int else { throw mistyped() }
            try checkRange(Double(value))
            return .integer(value)
        case .number:
            guard node.scalar != nil, let value = number(node) else { throw mistyped() }
            try checkRange(value)
            return .number(value)
        case .boolean:
            guard node.scalar != nil, node.tag.description == Tag.Name.bool.rawValue, let value = node.bool else { throw mistyped() }
            return .boolean(value)
        case .string:
            guard let scalar = node.scalar else { throw mistyped() }
            return .string(scalar.string)
        case .choice(let words):
            guard let word = node.scalar?.string else { throw mistyped() }
            guard words.contains(word) else {
                throw PipelineError(.parameterRange, at: location,
                                    "parameter '\(spec.name)' of '\(stageID)' is '\(word)'; " + choicesHint(for: word, in: words))
            }
            return .string(word)
        case .numberList:
            let items = node.sequence.map(Array.init) ?? [node]
            var values: [Double] = []
            for item in items {
                guard item.scalar != nil, let value = number(item) else { throw mistyped() }
                try checkRange(value)
                values.append(value)
            }
            return .numberList(values)
        }
    }

    private func number(_ node: Node) -> Double? {
        let tag = node.tag.description
        if tag == Tag.Name.int.rawValue, let value = node.int { return Double(value) }
        if tag == Tag.Name.float.rawValue, let value = node.float { return value }
        return nil
    }

    private func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    private func applyOverrides(_ overrides: [String], to nodes: inout [PipelineGraph.Node]) throws {
        for override in overrides {
            let location = SourceLocation(file: "--set \(override)")
            guard let equals = override.firstIndex(of: "="),
                  let dot = override[..<equals].firstIndex(of: ".") else {
                throw PipelineError(.structure, at: location, "expected --set stage_id.parameter=value")
            }
            let id = String(override[..<dot])
            let name = String(override[override.index(after: dot)..<equals])
            let valueText = String(override[override.index(after: equals)...])
            guard let index = nodes.firstIndex(where: { $0.id == id }) else {
                throw PipelineError(.unknownReference, at: location,
                                    "no stage '\(id)' in this pipeline; " + choicesHint(for: id, in: nodes.map(\.id)))
            }
            let descriptor = nodes[index].descriptor
            guard let spec = descriptor.parameter(name) else {
                throw PipelineError(.unknownParameter, at: location,
                                    "unknown parameter '\(name)' for \(descriptor.name) in '\(id)'; "
                                        + choicesHint(for: name, in: descriptor.parameters.map(\.name)))
            }
            let node: Node
            do {
                node = try Yams.compose(yaml: valueText) ?? Node("")
            } catch {
                node = Node(valueText)
            }
            var values = nodes[index].parameters.values
            values[name] = try coerce(node, to: spec, stageID: id, location: location)
            nodes[index].parameters = Parameters(values)
        }
    }

    private func resolveInputs(_ stages: inout [RawStage], nodes: inout [PipelineGraph.Node]) throws {
        let indexByID = Dictionary(uniqueKeysWithValues: nodes.enumerated().map { ($1.id, $0) })
        for (index, stage) in stages.enumerated() {
            let descriptor = nodes[index].descriptor
            if descriptor.role == .source, let first = stage.inputs.first {
                throw PipelineError(.structure, at: first.location, "'\(stage.id)' is a source (\(descriptor.name)) and takes no 'in'")
            }
            var nextPort = 0
            for input in stage.inputs {
                // Which declared input port this connection feeds.
                let portIndex: Int
                if let name = input.portName {
                    guard let found = descriptor.inputs.firstIndex(where: { $0.name == name }) else {
                        throw PipelineError(.unknownReference, at: input.location,
                                            "\(descriptor.name) has no input '\(name)'; " + choicesHint(for: name, in: descriptor.inputs.map(\.name)))
                    }
                    portIndex = found
                } else {
                    guard !descriptor.inputs.isEmpty else {
                        throw PipelineError(.structure, at: input.location, "\(descriptor.name) takes no inputs")
                    }
                    if nextPort >= descriptor.inputs.count {
                        guard descriptor.inputs.last!.variadic else {
                            throw PipelineError(.structure, at: input.location,
                                                "too many inputs for \(descriptor.name) in '\(stage.id)': it takes "
                                                    + descriptor.inputs.map(\.name).joined(separator: ", "))
                        }
                        portIndex = descriptor.inputs.count - 1
                    } else {
                        portIndex = nextPort
                        nextPort += 1
                    }
                }
                let port = descriptor.inputs[portIndex]
                let endpoint = try resolveReference(input, accepting: port, consumer: stage.id,
                                                    indexByID: indexByID, nodes: nodes)
                nodes[index].inputs.append(endpoint)
                nodes[index].inputPorts.append(portIndex)
            }
            for (portIndex, port) in descriptor.inputs.enumerated()
            where !port.optional && !nodes[index].inputPorts.contains(portIndex) {
                throw PipelineError(.unconnectedInput, at: stage.location,
                                    "input '\(port.name)' (\(port.kinds.map(\.rawValue).joined(separator: "/"))) of '\(stage.id)' (\(descriptor.name)) is not connected; add it to 'in:'")
            }
        }
    }

    private func resolveReference(_ input: RawInput, accepting port: PortSpec, consumer: String,
                                  indexByID: [String: Int], nodes: [PipelineGraph.Node]) throws -> PipelineGraph.Endpoint {
        let parts = input.reference.split(separator: ".", maxSplits: 1).map(String.init)
        let producerID = parts.first ?? ""
        guard let producerIndex = indexByID[producerID] else {
            throw PipelineError(.unknownReference, at: input.location,
                                "'\(consumer)' reads from unknown stage '\(producerID)'; " + choicesHint(for: producerID, in: nodes.map(\.id)))
        }
        let producer = nodes[producerIndex].descriptor
        let accepted = port.kinds.map(\.rawValue).joined(separator: "/")
        if parts.count == 2 {
            guard let outputIndex = producer.outputs.firstIndex(where: { $0.name == parts[1] }) else {
                throw PipelineError(.unknownReference, at: input.location,
                                    "stage '\(producerID)' (\(producer.name)) has no output '\(parts[1])'; " + choicesHint(for: parts[1], in: producer.outputs.map(\.name)))
            }
            let kind = producer.outputs[outputIndex].kinds[0]
            guard port.kinds.contains(kind) else {
                throw PipelineError(.kindMismatch, at: input.location,
                                    "'\(input.reference)' carries \(kind), but input '\(port.name)' of '\(consumer)' takes \(accepted)")
            }
            return PipelineGraph.Endpoint(node: producerIndex, port: outputIndex)
        }
        guard !producer.outputs.isEmpty else {
            throw PipelineError(.kindMismatch, at: input.location, "stage '\(producerID)' (\(producer.name)) has no outputs")
        }
        // `stage` alone: its only output, or the one output whose kind the input accepts.
        let fitting = producer.outputs.indices.filter { port.kinds.contains(producer.outputs[$0].kinds[0]) }
        if fitting.count == 1 { return PipelineGraph.Endpoint(node: producerIndex, port: fitting[0]) }
        let offered = producer.outputs.map { "\($0.name) (\($0.kinds[0]))" }.joined(separator: ", ")
        if fitting.isEmpty {
            throw PipelineError(.kindMismatch, at: input.location,
                                "'\(producerID)' offers \(offered), but input '\(port.name)' of '\(consumer)' takes \(accepted)")
        }
        throw PipelineError(.unknownReference, at: input.location,
                            "'\(producerID)' has several outputs that fit; name one: " + fitting.map { "\(producerID).\(producer.outputs[$0].name)" }.joined(separator: ", "))
    }

    /// A pipeline without a sink writes every stage output nobody consumes as JSON lines.
    private func addImplicitSink(_ nodes: inout [PipelineGraph.Node], file: String) throws {
        guard !nodes.contains(where: { $0.descriptor.role == .sink }) else { return }
        guard let sink = registry["sink.jsonl"] else { return }
        var consumed = Set<PipelineGraph.Endpoint>()
        for node in nodes { consumed.formUnion(node.inputs) }
        var inputs: [PipelineGraph.Endpoint] = []
        for (index, node) in nodes.enumerated() where node.descriptor.role == .transform {
            for port in node.descriptor.outputs.indices {
                let endpoint = PipelineGraph.Endpoint(node: index, port: port)
                if !consumed.contains(endpoint) { inputs.append(endpoint) }
            }
        }
        guard !inputs.isEmpty else {
            throw PipelineError(.structure, at: SourceLocation(file: file), "the pipeline computes nothing: add a stage after its source")
        }
        let id = nodes.contains { $0.id == "out" } ? "jsonl_out" : "out"
        nodes.append(PipelineGraph.Node(id: id, descriptor: sink, parameters: Parameters(specs: sink.parameters),
                                        inputs: inputs, inputPorts: Array(repeating: 0, count: inputs.count),
                                        bufferCapacity: defaultBufferCapacity, location: SourceLocation(file: file)))
    }

    /// Orders nodes so producers come first (stable: file order among independent stages), or
    /// reports a cycle as `a -> b -> a`.
    private func topologicallySorted(_ nodes: [PipelineGraph.Node]) throws -> [PipelineGraph.Node] {
        var state = Array(repeating: 0, count: nodes.count) // 0 new, 1 on stack, 2 done
        var order: [Int] = []
        var stack: [Int] = []
        func visit(_ index: Int) throws {
            if state[index] == 2 { return }
            if state[index] == 1 {
                let start = stack.firstIndex(of: index)!
                let path = (stack[start...] + [index]).map { nodes[$0].id }.joined(separator: " -> ")
                throw PipelineError(.cycle, at: nodes[index].location, "the stages form a cycle: \(path)")
            }
            state[index] = 1
            stack.append(index)
            for producer in nodes[index].inputs.map(\.node) { try visit(producer) }
            stack.removeLast()
            state[index] = 2
            order.append(index)
        }
        for index in nodes.indices { try visit(index) }
        var newIndex = Array(repeating: 0, count: nodes.count)
        for (position, old) in order.enumerated() { newIndex[old] = position }
        return order.map { old in
            var node = nodes[old]
            node.inputs = node.inputs.map { PipelineGraph.Endpoint(node: newIndex[$0.node], port: $0.port) }
            return node
        }
    }

    // MARK: - YAML helpers

    private func location(_ node: Node, _ file: String) -> SourceLocation {
        SourceLocation(file: file, line: node.mark?.line ?? 0, column: node.mark?.column ?? 0)
    }

    private func checkKeys(_ mapping: Node.Mapping, allowed: [String], what: String, file: String) throws {
        for key in mapping.keys {
            let name = key.scalar?.string ?? "?"
            if !allowed.contains(name) {
                throw PipelineError(.structure, at: location(key, file),
                                    "unknown \(what) key '\(name)'; " + choicesHint(for: name, in: allowed))
            }
        }
    }

    private func optionalString(_ node: Node?, key: String, file: String) throws -> String? {
        guard let node else { return nil }
        guard let value = node.scalar?.string else {
            throw PipelineError(.structure, at: location(node, file), "'\(key)' must be text")
        }
        return value
    }

    private func syntaxError(_ error: YamlError, file: String) -> PipelineError {
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let detail = context.map { "\(problem) (\($0.text) at line \($0.mark.line))" } ?? problem
            return PipelineError(.syntax, at: SourceLocation(file: file, line: mark.line, column: mark.column),
                                 "YAML syntax error: \(detail)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return PipelineError(.syntax, at: SourceLocation(file: file, line: context.mark.line, column: context.mark.column),
                                 "duplicate keys in a mapping: \(duplicates.joined(separator: ", "))")
        default:
            return PipelineError(.syntax, at: SourceLocation(file: file), "YAML error: \(error)")
        }
    }
}
