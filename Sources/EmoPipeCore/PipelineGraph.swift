import Foundation
import Synchronization
/// A validated pipeline: stages in topological order, every connection checked for kind.
/// Built by `PipelineLoader`; instantiated per input by `GraphRunner`.
public struct PipelineGraph: Sendable {
    /// An output port of a node.
    public struct Endpoint: Sendable, Equatable, Hashable {
        public var node: Int
        public var port: Int
        public init(node: Int, port: Int) {
            self.node = node
            self.port = port
        }
    }

    /// One stage instance of the pipeline.
    public struct Node: Sendable {
        public var id: String
        public var descriptor: StageDescriptor
        public var parameters: Parameters
        /// Producers of this node's inputs, in input order (the stage's input index).
        public var inputs: [Endpoint]
        /// For each input, the index of the declared input port it feeds.
        public var inputPorts: [Int]
        /// Capacity of each input edge, in packets (the stage's `buffer:`); nil: by the edge's
        /// payload, `defaultBufferCapacity(for:batchedWakes:)`.
        public var bufferCapacity: Int?
        /// Where the stage is declared (or the file, for the implicit sink).
        public var location: SourceLocation

        public init(id: String, descriptor: StageDescriptor, parameters: Parameters, inputs: [Endpoint], inputPorts: [Int],
                    bufferCapacity: Int?, location: SourceLocation) {
            self.id = id
            self.descriptor = descriptor
            self.parameters = parameters
            self.inputs = inputs
            self.inputPorts = inputPorts
            self.bufferCapacity = bufferCapacity
            self.location = location
        }

        /// The capacity of an edge carrying `kind` when the stage sets no `buffer:`: 16 packets,
        /// except on file runs, whose consumers wake once per half edge (see `Inbox`): there
        /// edges of anything but decoded video frames (megabytes each) hold 64 packets
        /// (kilobytes: 0.64 s of 10 ms feature rows), so a wake hands over 32 of them. Live runs
        /// keep 16, which bounds how far a slow stage's input can lag behind, except for video:
        /// 32 frames (about 1 s), so a passing stall (a full-frame face search, a busy core) is
        /// absorbed rather than shed under `--realtime`.
        public static func defaultBufferCapacity(for kind: PayloadKind, batchedWakes: Bool) -> Int {
            if kind == .video { return batchedWakes ? 16 : 32 }
            return batchedWakes ? 64 : 16
        }
    }

    /// The pipeline's `name:`.
    public var name: String
    /// The pipeline's `description:`.
    public var summary: String
    /// The file it was loaded from.
    public var file: String
    /// Nodes in topological order: every producer before its consumers.
    public var nodes: [Node]

    /// A hash of what the pipeline computes: every node's id, stage, parameters (defaults
    /// included) and wiring, as 16 hex digits (FNV-1a, 64 bit). Equal configurations hash equal
    /// whatever the file's layout, comments or description. A parameter naming a file (a model
    /// file) counts with the file's contents, so a model changed in place is a new configuration
    /// for resumes and kept profiles (`fileFingerprint`).
    public var configHash: String {
        var text = ""
        for node in nodes {
            let parameters = node.descriptor.parameters.map { spec -> String in
                let value = node.parameters.value(spec.name)
                guard case .string(let path) = value, let fingerprint = Self.fileFingerprint(path) else { return "\(spec.name)=\(value)" }
                return "\(spec.name)=\(value)#\(fingerprint)"
            }
            let inputs = node.inputs.map { "\($0.node).\($0.port)" }
            text += "\(node.id)|\(node.descriptor.name)|\(parameters.joined(separator: ","))|\(inputs.joined(separator: ","))\n"
        }
        return FNV1a.hex(text)
    }

    /// What identifies the contents of the regular file at `path`: a hash of its bytes up to
    /// 32 MiB, else its size and modification time (dlib's 100 MB landmark model is not read
    /// for this); nil when `path` is not a regular file. A file is read once per size and
    /// modification time: the hash is asked for per input of a batch.
    ///
    /// A folder (a network: `graph.json` and its weights) is identified by the files directly in
    /// it; a model name (`voice`, `face-expression`) by the file or folder `ModelStore` finds.
    public static func fileFingerprint(_ path: String) -> String? {
        guard !path.isEmpty else { return nil }
        var isFolder: ObjCBool = false
        if !path.contains("/"), !FileManager.default.fileExists(atPath: path), let located = ModelStore.models.locate(path, extensions: ["", ".json"]) {
            return fileFingerprint(located.path)
        }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return nil }
            let parts = names.sorted().compactMap { name in fileFingerprint(path + "/" + name).map { "\(name):\($0)" } }
            return parts.isEmpty ? nil : FNV1a.hex(parts.joined(separator: ","))
        }
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              attributes[.type] as? FileAttributeType == .typeRegular, let size = attributes[.size] as? Int else { return nil }
        let stamp = "\(size)@\((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
        guard size <= 32 << 20 else { return stamp }
        return fingerprints.withLock { cache in
            if let known = cache[path], known.stamp == stamp { return known.hash }
            guard let data = FileContents.read(path) else { return stamp }
            let hash = FNV1a.hex(data)
            cache[path] = (stamp, hash)
            return hash
        }
    }

    /// Content hashes of the files `fileFingerprint` read, by path, with the size and
    /// modification time they were read at.
    private static let fingerprints = Mutex<[String: (stamp: String, hash: String)]>([:])

    /// Indices of the source nodes.
    public var sources: [Int] { nodes.indices.filter { nodes[$0].descriptor.role == .source } }

    /// For node `index`, per output port, the (consumer node, consumer input) pairs it feeds.
    public func consumers(of index: Int) -> [[(node: Int, input: Int)]] {
        var result = Array(repeating: [(node: Int, input: Int)](), count: nodes[index].descriptor.outputs.count)
        for (consumer, node) in nodes.enumerated() {
            for (input, endpoint) in node.inputs.enumerated() where endpoint.node == index {
                result[endpoint.port].append((consumer, input))
            }
        }
        return result
    }

    /// The name a stream is known by in outputs: `id` when the producer has one output,
    /// `id.port` otherwise.
    public func streamName(_ endpoint: Endpoint) -> String {
        let node = nodes[endpoint.node]
        if node.descriptor.outputs.count == 1 { return node.id }
        return node.id + "." + node.descriptor.outputs[endpoint.port].name
    }

    /// Lower-case file extensions the pipeline's first source reads (to pick files in folders).
    public var fileExtensions: [String] {
        sources.first.map { nodes[$0].descriptor.fileExtensions } ?? []
    }

    /// A canonical text of the resolved graph (stages, parameters with defaults, wiring): equal
    /// texts mean equal computations, whatever the file's formatting.
    public var canonicalText: String {
        var lines = ["pipeline \(name)"]
        for node in nodes {
            let parameters = node.parameters.values.keys.sorted()
                .map { "\($0)=\(node.parameters.values[$0]!)" }.joined(separator: " ")
            let inputs = node.inputs.map { streamName($0) }.joined(separator: ",")
            lines.append("\(node.id) \(node.descriptor.name) in=[\(inputs)] buffer=\(node.bufferCapacity.map(String.init) ?? "default") \(parameters)")
        }
        return lines.joined(separator: "\n")
    }

    /// The graph in Graphviz DOT: one box per stage, one arrow per connection, labelled with
    /// the payload kind.
    public func dot() -> String {
        var lines = ["digraph \"\(name)\" {", "  rankdir=LR;", "  node [shape=box, fontname=\"Helvetica\"];"]
        for node in nodes {
            lines.append("  \"\(node.id)\" [label=\"\(node.id)\\n\(node.descriptor.name)\"];")
        }
        for node in nodes {
            for endpoint in node.inputs {
                let producer = nodes[endpoint.node]
                let port = producer.descriptor.outputs[endpoint.port]
                let kind = port.kinds.first?.rawValue ?? ""
                let label = producer.descriptor.outputs.count > 1 ? "\(port.name) (\(kind))" : kind
                lines.append("  \"\(producer.id)\" -> \"\(node.id)\" [label=\"\(label)\"];")
            }
        }
        lines.append("}")
        return lines.joined(separator: "\n")
    }
}
