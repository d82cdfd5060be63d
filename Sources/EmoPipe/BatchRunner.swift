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
    /// The input's subject, when known (subject calibration), else empty.
    public var subject: String = ""
    /// `none`, `subject`, or `partial: KEY, ...` (`RecordingSummary.calibration`).
    public var calibration: String = "none"

    /// A failed input that never ran in this process (a resumed batch's input that an earlier
    /// process died with).
    public static func failed(input: String, relativePath: String, pipeline: String, error: String) -> InputResult {
        InputResult(input: input, relativePath: relativePath, status: .failed, error: error, pipeline: pipeline, seconds: 0, mediaSeconds: 0)
    }
}

/// Which pipeline a run uses.
public enum PipelineChoice: Sendable {
    /// One validated pipeline for every input.
    case graph(PipelineGraph)
    /// The stored default for each input's type (`DefaultPipelines`), with those of these
    /// `--set`s that name one of its stages.
    case automatic(overrides: [String])

    /// Whether folder walks take files by their content (`InputDiscovery`): with the defaults.
    public var walksByContent: Bool {
        if case .automatic = self { return true }
        return false
    }
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
    private let discardOutputs: Bool

    /// - Parameter discardOutputs: write nothing (a calibration pass, which keeps only what the
    ///   stages gather).
    public init(registry: StageRegistry, pipeline: PipelineChoice, jobs: Int, outputDirectory: String?,
                logger: Logger = Logger(label: "emopipe"), interruption: CancellationFlag = CancellationFlag(), realtime: Bool = false,
                discardOutputs: Bool = false) {
        self.realtime = realtime
        self.discardOutputs = discardOutputs
        self.registry = registry
        choice = pipeline
        self.jobs = max(1, jobs)
        self.outputDirectory = outputDirectory
        self.logger = logger
        self.interruption = interruption
    }

    /// Runs every item; `started` is called as an input begins, with the pipeline's name and the
    /// configuration hash it runs with, and `completed` as each one ends (from a worker thread). `calibrations`, when given, holds each item's subject calibration
    /// (in item order). The last `serialTail` items run one at a time after all the others: a
    /// resumed batch puts there the inputs an earlier process died with, so that if one of them
    /// kills the process again, nothing else is in flight with it.
    public func run(_ items: [InputItem], memory: MemoryOutput? = nil, calibrations: [Calibration] = [], serialTail: Int = 0,
                    started: @escaping @Sendable (InputLocation, _ pipeline: String, _ configHash: String) -> Void = { _, _, _ in },
                    completed: @escaping @Sendable (InputResult) -> Void = { _ in }) -> [InputResult] {
        precondition(calibrations.isEmpty || calibrations.count == items.count, "one calibration per item")
        precondition((0...items.count).contains(serialTail), "serialTail within the items")
        let results = ResultSlots(count: items.count)
        let tagInputs = items.count > 1
        for (range, workers) in [(0..<(items.count - serialTail), jobs), ((items.count - serialTail)..<items.count, 1)] where !range.isEmpty {
            results.limit = range.upperBound
            let group = DispatchGroup()
            for worker in 0..<min(workers, range.count) {
                DispatchQueue(label: "emopipe.job\(worker)").async(group: group) { [self] in
                    while let index = results.claimNext() {
                        let result = runOne(items[index], tagInputs: tagInputs, memory: memory,
                                            calibration: calibrations.isEmpty ? .none : calibrations[index], started: started)
                        results.store(result, at: index)
                        completed(result)
                    }
                }
            }
            group.wait()
        }
        return results.all
    }

    /// The pipeline an input runs with: the one given, or the stored default for its type.
    public func graph(for input: InputLocation) throws -> PipelineGraph {
        switch choice {
        case .graph(let given): return given
        case .automatic(let overrides):
            let name = DefaultPipelines.name(for: input)
            return try DefaultPipelines.load(name, registry: registry,
                                             overrides: DefaultPipelines.applicable(overrides, to: name, registry: registry))
        }
    }

    /// Fault injection for the tests of crash recovery: `EMOPIPE_FAULT_CRASH=NAME` makes the
    /// process trap (as a Swift runtime error does) when it starts an input whose path ends in
    /// NAME. Unset in every ordinary run.
    static let faultCrash = ProcessInfo.processInfo.environment["EMOPIPE_FAULT_CRASH"].flatMap { $0.isEmpty ? nil : $0 }

    private func runOne(_ item: InputItem, tagInputs: Bool, memory: MemoryOutput?, calibration: Calibration,
                        started: (InputLocation, String, String) -> Void) -> InputResult {
        var result = execute(item, tagInputs: tagInputs, memory: memory, calibration: calibration, started: started)
        if let profile = calibration.profile {
            result.subject = profile.subject
            result.calibration = profile.calibrationLabel
        }
        return result
    }

    private func execute(_ item: InputItem, tagInputs: Bool, memory: MemoryOutput?, calibration: Calibration,
                         started: (InputLocation, String, String) -> Void) -> InputResult {
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
        if discardOutputs {
            plan = .discard
        } else if let memory {
            plan = .memory(memory)
        } else if let outputDirectory {
            plan = .directory(outputDirectory)
        } else {
            plan = .standardOutput(tagInputs: tagInputs)
        }
        let runner = GraphRunner(graph: graph, input: input, output: OutputSession(plan: plan, input: input),
                                 logger: logger, interruption: interruption, realtime: realtime, calibration: calibration)
        let configHash = calibration.configHash(graph.configHash)
        started(input, graph.name, configHash)
        if let name = Self.faultCrash, input.path.hasSuffix(name) { fatalError("EMOPIPE_FAULT_CRASH: \(input.path)") }
        do {
            let statistics = try runner.run()
            return InputResult(input: input.path, relativePath: input.relativePath, configHash: configHash,
                               status: statistics.interrupted ? .interrupted : .done,
                               error: statistics.interrupted ? "interrupted" : nil, pipeline: graph.name,
                               seconds: elapsed(), mediaSeconds: statistics.mediaDuration.seconds, latency: statistics.latency,
                               dropped: statistics.dropped)
        } catch {
            return InputResult(input: input.path, relativePath: input.relativePath, configHash: configHash, status: .failed,
                               error: "\(error)", pipeline: graph.name, seconds: elapsed(), mediaSeconds: 0)
        }
    }
}

/// Hands out input indices to workers and keeps results in input order.
private final class ResultSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private var slots: [InputResult?]
    /// Indices from here on are not handed out (yet).
    private var claimLimit: Int

    init(count: Int) {
        slots = Array(repeating: nil, count: count)
        claimLimit = count
    }

    var limit: Int {
        get { lock.withLock { claimLimit } }
        set { lock.withLock { claimLimit = newValue } }
    }

    func claimNext() -> Int? {
        lock.withLock {
            guard next < min(slots.count, claimLimit) else { return nil }
            defer { next += 1 }
            return next
        }
    }

    func store(_ result: InputResult, at index: Int) { lock.withLock { slots[index] = result } }

    var all: [InputResult] { lock.withLock { slots.compactMap { $0 } } }
}
