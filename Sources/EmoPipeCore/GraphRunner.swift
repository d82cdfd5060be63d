import Dispatch
import Foundation
import Logging
import Synchronization

/// What one input's run produced, for summaries and tests.
public struct RunStatistics: Sendable, Equatable {
    /// Packets emitted per stage id (summed over its output ports).
    public var packetsEmitted: [String: Int]
    /// End of the latest packet any source emitted: the input's duration as decoded.
    public var mediaDuration: Timestamp
    /// Whether the run stopped early on a cancellation request (SIGINT).
    public var interrupted: Bool
    /// Input-to-record latency (ms) over the records the sinks received: median, 99th percentile, count.
    public var latency: LatencySummary?
    /// Packets shed by real-time edges, per receiving stage id (empty unless real time).
    public var dropped: [String: Int] = [:]
}

/// Percentiles of the input-to-record latency of a run.
public struct LatencySummary: Sendable, Equatable {
    public var p50Milliseconds: Int
    public var p95Milliseconds: Int
    public var p99Milliseconds: Int
    public var records: Int
    /// Text segments written (words), timed from each segment's end; nil when none was.
    public var words: WordLatency?
}

/// Latency of the text segments a run wrote, from each segment's end to its record.
public struct WordLatency: Sendable, Equatable {
    public var p50Milliseconds: Int
    public var p95Milliseconds: Int
    public var p99Milliseconds: Int
    public var segments: Int
}

/// Runs a `PipelineGraph` on one input.
///
/// Each stage instance runs on its own serial DispatchQueue; sources run their decode loop on
/// theirs. Edges are bounded (`buffer:` packets) and block their producer when full, so memory
/// stays bounded whatever the input's length. Multi-input stages see their packets in
/// (timestamp, input) order, so outputs are byte-identical from run to run. The first error in
/// any stage ends the run: sources stop, queues are closed, partial output files are removed.
public final class GraphRunner: Sendable {
    private let graph: PipelineGraph
    private let realtime: Bool
    private let input: InputLocation
    private let output: OutputSession
    private let logger: Logger
    private let interruption: CancellationFlag
    private let calibration: Calibration

    /// - Parameters:
    ///   - interruption: set from outside (SIGINT) to stop sources; the graph then drains,
    ///     sinks flush, and the statistics say `interrupted`.
    /// With `realtime`, edges carrying video frames drop their oldest queued frame when full
    /// instead of blocking their producer, so a slow stage sheds frames rather than falling
    /// behind a live source; audio, EEG, feature and prediction edges still block (their stages
    /// need every sample, and estimates are never shed). Live timing (`StageContext.live`) is
    /// on for `realtime` and for inputs that are not regular files (standard input, pipes).
    /// `calibration` is handed to every stage (`StageContext.calibration`).
    public init(graph: PipelineGraph, input: InputLocation, output: OutputSession,
                logger: Logger = Logger(label: "emopipe"), interruption: CancellationFlag = CancellationFlag(),
                realtime: Bool = false, calibration: Calibration = .none) {
        self.realtime = realtime
        self.calibration = calibration
        self.graph = graph
        self.input = input
        self.output = output
        self.logger = logger
        self.interruption = interruption
    }

    /// Live timing (`StageContext.live`): `--realtime`, or an input that is not a regular file
    /// (standard input, a named pipe, a device).
    private var isLive: Bool { realtime || !input.isRegularFile }

    /// A `process` call longer than this (1 ms) wakes its consumers at once instead of batching.
    static let slowPacketNanoseconds: UInt64 = 1_000_000

    /// Runs to the end of the input; throws `RunError` naming the stage that failed.
    public func run() throws -> RunStatistics {
        let failure = FailureState(input: input.path)
        let nodes = try instantiate()
        let formats = try prepare(nodes)
        // Stages hand their consumers batches of packets per thread switch (see `Inbox`), except
        // on live inputs (standard input, named pipes, devices, `--realtime`), which wake
        // consumers at once. Sources, whose reads may still be slow, also hand over what they
        // hold once 1 ms has passed since their last hand-over.
        let batchWakes = !isLive
        let inboxes = graph.nodes.map { node in
            Inbox(capacities: node.inputs.map { endpoint in
                      node.bufferCapacity ?? PipelineGraph.Node.defaultBufferCapacity(
                          for: formats[endpoint.node][endpoint.port].kind, batchedWakes: batchWakes)
                  },
                  droppable: node.inputs.map { endpoint in
                      realtime && formats[endpoint.node][endpoint.port].kind == .video
                  },
                  arrivalOrder: isLive && node.descriptor.liveArrivalOrder)
        }
        let latency = LatencyClock()
        let emitters = graph.nodes.indices.map { index in
            NodeEmitter(node: graph.nodes[index], formats: formats[index],
                        consumers: graph.consumers(of: index).map { $0.map { (inboxes[$0.node], $0.input) } },
                        clock: graph.nodes[index].descriptor.role == .source ? latency : nil,
                        deferWakes: batchWakes,
                        flushInterval: graph.nodes[index].descriptor.role == .source ? GraphRunner.slowPacketNanoseconds : nil)
        }
        // Sources stop when interrupted from outside or when any stage fails.
        let stopSources = CancellationFlag(parent: interruption)
        failure.onFailure = {
            stopSources.cancel()
            for inbox in inboxes { inbox.close() }
        }
        let group = DispatchGroup()
        for (index, node) in graph.nodes.enumerated() {
            let queue = DispatchQueue(label: "emopipe.\(input.relativePath).\(node.id)")
            let emitter = emitters[index]
            let context = nodes[index]
            queue.async(group: group) {
                do {
                    switch context.instance {
                    case .source(let source):
                        try source.run(output: emitter, cancellation: stopSources)
                    case .stage(let stage):
                        let isSink = node.descriptor.role == .sink
                        while let (packet, input) = inboxes[index].next(beforeWaiting: emitter.flushWakes) {
                            // Batching wakes pays for cheap packets only. A slow one (a video
                            // frame's face fit, a plug-in's round trip, a stage waiting on its own
                            // workers) hands its output over at once, so consumers on other
                            // cores keep working alongside. Only emitters that defer are timed.
                            let started = emitter.defersWakes ? DispatchTime.now().uptimeNanoseconds : 0
                            try stage.process(packet, input: input, output: emitter)
                            if isSink { latency.recordWritten(packet) }
                            if emitter.defersWakes, DispatchTime.now().uptimeNanoseconds - started > GraphRunner.slowPacketNanoseconds {
                                emitter.flushWakes()
                            }
                        }
                        if !failure.hasFailed { try stage.finish(output: emitter) }
                    }
                    emitter.endStreams()
                } catch {
                    failure.record(error, stage: node)
                    emitter.endStreams()
                }
            }
        }
        group.wait()
        if let error = failure.error {
            output.discard()
            throw error
        }
        do {
            try output.commit()
        } catch {
            throw RunError(input: input.path, message: "\(error)")
        }
        var emitted: [String: Int] = [:]
        var duration = Timestamp.zero
        for (index, node) in graph.nodes.enumerated() {
            emitted[node.id] = emitters[index].packetCount
            if node.descriptor.role == .source { duration = max(duration, emitters[index].latestEnd) }
        }
        var dropped: [String: Int] = [:]
        for (index, node) in graph.nodes.enumerated() where inboxes[index].droppedCount > 0 { dropped[node.id] = inboxes[index].droppedCount }
        return RunStatistics(packetsEmitted: emitted, mediaDuration: duration, interrupted: interruption.isCancelled,
                             latency: Self.latencySummary(latency),
                             dropped: dropped)
    }

    /// The latencies of the records and of the text segments, when any was written.
    private static func latencySummary(_ clock: LatencyClock) -> LatencySummary? {
        let records = clock.summary, words = clock.textSummary
        guard records != nil || words != nil else { return nil }
        return LatencySummary(p50Milliseconds: records?.p50 ?? 0, p95Milliseconds: records?.p95 ?? 0, p99Milliseconds: records?.p99 ?? 0,
                              records: records?.count ?? 0,
                              words: words.map { WordLatency(p50Milliseconds: $0.p50, p95Milliseconds: $0.p95, p99Milliseconds: $0.p99, segments: $0.count) })
    }

    /// A stage instance with the context it was prepared in.
    private struct PreparedNode: @unchecked Sendable {
        // Each instance is used from exactly one serial queue after preparation.
        var instance: StageInstance
    }

    private func instantiate() throws -> [PreparedNode] {
        try graph.nodes.map { node in
            do {
                return PreparedNode(instance: try node.descriptor.make(node.parameters))
            } catch {
                throw RunError(input: input.path, stageID: node.id, stageName: node.descriptor.name, message: "\(error)")
            }
        }
    }

    /// Opens sources and prepares every stage in topological order; returns each node's output
    /// formats, checked against the declared port kinds.
    private func prepare(_ nodes: [PreparedNode]) throws -> [[StreamFormat]] {
        var formats: [[StreamFormat]] = []
        let configHash = calibration.configHash(graph.configHash)
        for (index, node) in graph.nodes.enumerated() {
            let context = StageContext(stageID: node.id, input: input, output: output,
                                       logger: stageLogger(node.id), inputNames: node.inputs.map(graph.streamName),
                                       connectedOutputs: graph.consumers(of: index).map { !$0.isEmpty },
                                       pipelineName: graph.name, configHash: configHash,
                                       calibration: calibration, live: isLive)
            let produced: [StreamFormat]
            do {
                switch nodes[index].instance {
                case .source(let source):
                    produced = try source.open(context: context)
                case .stage(let stage):
                    let inputs = node.inputs.map { formats[$0.node][$0.port] }
                    produced = try stage.prepare(inputs: inputs, context: context)
                }
            } catch {
                output.discard()
                throw RunError(input: input.path, stageID: node.id, stageName: node.descriptor.name, message: "\(error)")
            }
            let declared = node.descriptor.outputs
            precondition(produced.count == declared.count && zip(produced, declared).allSatisfy { $1.kinds.contains($0.kind) },
                         "\(node.descriptor.name) prepared formats that do not match its declared outputs")
            formats.append(produced)
        }
        return formats
    }

    private func stageLogger(_ stageID: String) -> Logger {
        var stageLogger = logger
        stageLogger[metadataKey: "input"] = .string(input.path == "-" ? "<stdin>" : input.path)
        stageLogger[metadataKey: "stage"] = .string(stageID)
        return stageLogger
    }
}

/// The first error of a run, and what to do when it happens.
private final class FailureState: @unchecked Sendable {
    // `onFailure` is set before any queue starts; the error is guarded by the lock.
    private let lock = NSLock()
    private let input: String
    private var first: RunError?
    var onFailure: () -> Void = {}

    init(input: String) { self.input = input }

    var hasFailed: Bool { lock.withLock { first != nil } }
    var error: RunError? { lock.withLock { first } }

    func record(_ error: Error, stage: PipelineGraph.Node) {
        let isFirst: Bool = lock.withLock {
            guard first == nil else { return false }
            first = RunError(input: input, stageID: stage.id, stageName: stage.descriptor.name, message: "\(error)")
            return true
        }
        if isFirst { onFailure() }
    }
}

/// Delivers a node's packets to its consumers' inboxes and enforces the stream contract:
/// payload kind, feature-row width, and non-decreasing timestamps per port.
private final class NodeEmitter: Emitter, @unchecked Sendable {
    // Used only from the node's own serial queue (and by the runner after the group finished).
    private let consumers: [[(inbox: Inbox, input: Int)]]
    private var contract: StreamContract
    private(set) var packetCount = 0
    private(set) var latestEnd = Timestamp.zero
    private var ended = false
    private let clock: LatencyClock?
    /// Whether pushes may leave a waiting consumer asleep until its edge fills or `flushWakes`
    /// (never for live runs or a node with no consumers).
    let defersWakes: Bool
    /// Inboxes owed a wake by a deferred push (a handful at most: one per consumer).
    private var pendingWakes: [Inbox] = []
    /// For a source (not timed per packet): an emit this long (ns) after the last hand-over
    /// flushes, so that slow reads or decodes do not hold back what is already decoded.
    private let flushInterval: UInt64?
    private var lastFlush: UInt64 = 0

    init(node: PipelineGraph.Node, formats: [StreamFormat], consumers: [[(inbox: Inbox, input: Int)]],
         clock: LatencyClock? = nil, deferWakes: Bool = false, flushInterval: UInt64? = nil) {
        self.consumers = consumers
        self.clock = clock
        self.flushInterval = flushInterval
        defersWakes = deferWakes && consumers.contains { !$0.isEmpty }
        contract = StreamContract(formats: formats, portNames: node.descriptor.outputs.map(\.name))
    }

    func emit(_ packet: Packet, on port: Int) throws {
        try contract.check(packet, on: port)
        packetCount += 1
        latestEnd = max(latestEnd, packet.timestamp + packet.duration)
        clock?.sourceEmitted(packet.timestamp)
        for consumer in consumers[port] { deliver(.packet(packet), to: consumer) }
        if let flushInterval, !pendingWakes.isEmpty {
            let now = DispatchTime.now().uptimeNanoseconds
            if lastFlush == 0 { lastFlush = now }
            if now - lastFlush > flushInterval { flushWakes() }
        }
    }

    func advance(_ port: Int, to bound: Timestamp) throws {
        try contract.checkBound(bound, on: port)
        for consumer in consumers[port] { deliver(.bound(bound), to: consumer) }
    }

    private func deliver(_ event: StreamEvent, to consumer: (inbox: Inbox, input: Int)) {
        guard defersWakes else {
            consumer.inbox.push(event, input: consumer.input)
            return
        }
        let pending = consumer.inbox.push(event, input: consumer.input, deferWake: true, beforeWaiting: flushWakes)
        if pending && !pendingWakes.contains(where: { $0 === consumer.inbox }) { pendingWakes.append(consumer.inbox) }
    }

    /// Wakes the consumers that deferred pushes left asleep; called before this node waits for
    /// input or on a full edge, and at its end.
    func flushWakes() {
        guard !pendingWakes.isEmpty else { return }
        for inbox in pendingWakes { inbox.flushWake() }
        pendingWakes.removeAll(keepingCapacity: true)
        if flushInterval != nil { lastFlush = DispatchTime.now().uptimeNanoseconds }
    }

    /// Sends end of stream on every port, once.
    func endStreams() {
        guard !ended else { return }
        ended = true
        flushWakes()
        for port in consumers { for consumer in port { consumer.inbox.push(.end, input: consumer.input) } }
    }
}
