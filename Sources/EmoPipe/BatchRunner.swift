import Dispatch
import EmoPipeCore
import Foundation
import Logging

/// How one input's run ended.
public struct InputResult: Sendable {
    public enum Status: String, Sendable {
        case done, failed, interrupted
    }

    public var input: String
    /// The input's path relative to the folder it was found in (its key in outputs and databases).
    public var relativePath: String = ""
    /// `PipelineGraph.configHash` of the pipeline that ran (empty when none was chosen).
    public var configHash: String = ""
    public var status: Status
    /// One line naming the input, the stage and the cause; nil when done.
    public var error: String?
    /// The pipeline that ran.
    public var pipeline: String
    /// Wall-clock time of the run (s).
    public var seconds: Double
    /// Length of the decoded media (s).
    public var mediaSeconds: Double
    /// Input-to-record latency of the run, when any record was written.
    public var latency: LatencySummary?
    /// Packets shed in real-time mode, per receiving stage id.
    public var dropped: [String: Int] = [:]
}

/// Which pipeline a run uses.
public enum PipelineChoice: Sendable {
    /// One validated pipeline for every input.
    case graph(PipelineGraph)
    /// The embedded default for each input's type (`DefaultPipelines`), with those of these
    /// `--set`s that name one of its stages.
    case automatic(overrides: [String])
}

/// Runs a pipeline on many inputs, `jobs` at a time. One failing input never stops the others:
/// every input ends with a result, and the results come back in input order.
public final class BatchRunner: Sendable {
    private let registry: StageRegistry
    private let choice: PipelineChoice
    private let jobs: Int
    private let outputDirectory: String?
    private let logger: Logger
    private let interruption: CancellationFlag
    private let realtime: Bool

    public init(registry: StageRegistry, pipeline: PipelineChoice, jobs: Int, outputDirectory: String?,
                logger: Logger = Logger(label: "emopipe"), interruption: CancellationFlag = CancellationFlag(), realtime: Bool = false) {
        self.realtime = realtime
        self.registry = registry
        choice = pipeline
        self.jobs = max(1, jobs)
        self.outputDirectory = outputDirectory
        self.logger = logger
        self.interruption = interruption
    }

    /// Runs every item; `completed` is called (from a worker thread) as each one ends.
    public func run(_ items: [InputItem], memory: MemoryOutput? = nil,
                    completed: @escaping @Sendable (InputResult) -> Void = { _ in }) -> [InputResult] {
        let results = ResultSlots(count: items.count)
        let tagInputs = items.count > 1
        let group = DispatchGroup()
        for worker in 0..<min(jobs, max(1, items.count)) {
            DispatchQueue(label: "emopipe.job\(worker)").async(group: group) { [self] in
                while let index = results.claimNext() {
                    let result = runOne(items[index], tagInputs: tagInputs, memory: memory)
                    results.store(result, at: index)
                    completed(result)
                }
            }
        }
        group.wait()
        return results.all
    }

    /// The pipeline an input runs with: the one given, or the embedded default for its type.
    public func graph(for input: InputLocation) throws -> PipelineGraph {
        switch choice {
        case .graph(let given): return given
        case .automatic(let overrides):
            let name = DefaultPipelines.name(for: input)
            return try DefaultPipelines.load(name, registry: registry,
                                             overrides: DefaultPipelines.applicable(overrides, to: name, registry: registry))
        }
    }

    private func runOne(_ item: InputItem, tagInputs: Bool, memory: MemoryOutput?) -> InputResult {
        let start = DispatchTime.now()
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9 }
        guard case .input(let input) = item else {
            guard case .unusable(let path, let reason) = item else { preconditionFailure() }
            return InputResult(input: path, status: .failed, error: RunError(input: path, message: reason).description,
                               pipeline: "", seconds: 0, mediaSeconds: 0)
        }
        if interruption.isCancelled {
            return InputResult(input: input.path, status: .interrupted, error: "not started: interrupted",
                               pipeline: "", seconds: 0, mediaSeconds: 0)
        }
        let graph: PipelineGraph
        do {
            graph = try self.graph(for: input)
        } catch {
            return InputResult(input: input.path, relativePath: input.relativePath, status: .failed, error: "\(error)", pipeline: "",
                               seconds: elapsed(), mediaSeconds: 0)
        }
        let plan: OutputPlan
        if let memory {
            plan = .memory(memory)
        } else if let outputDirectory {
            plan = .directory(outputDirectory)
        } else {
            plan = .standardOutput(tagInputs: tagInputs)
        }
        let runner = GraphRunner(graph: graph, input: input, output: OutputSession(plan: plan, input: input),
                                 logger: logger, interruption: interruption, realtime: realtime)
        do {
            let statistics = try runner.run()
            return InputResult(input: input.path, relativePath: input.relativePath, configHash: graph.configHash,
                               status: statistics.interrupted ? .interrupted : .done,
                               error: statistics.interrupted ? "interrupted" : nil, pipeline: graph.name,
                               seconds: elapsed(), mediaSeconds: statistics.mediaDuration.seconds, latency: statistics.latency,
                               dropped: statistics.dropped)
        } catch {
            return InputResult(input: input.path, relativePath: input.relativePath, configHash: graph.configHash, status: .failed,
                               error: "\(error)", pipeline: graph.name, seconds: elapsed(), mediaSeconds: 0)
        }
    }
}

/// Hands out input indices to workers and keeps results in input order.
private final class ResultSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private var slots: [InputResult?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func claimNext() -> Int? {
        lock.withLock {
            guard next < slots.count else { return nil }
            defer { next += 1 }
            return next
        }
    }

    func store(_ result: InputResult, at index: Int) { lock.withLock { slots[index] = result } }

    var all: [InputResult] { lock.withLock { slots.compactMap { $0 } } }
}
