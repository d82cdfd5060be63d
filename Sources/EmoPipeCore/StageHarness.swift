import Logging

/// Drives one stage by hand, with no threads and no files: push packets in, read what comes out
/// (swift-nio's `EmbeddedChannel` for EmoPipe stages). Emitted packets are checked against the
/// same contract the engine enforces.
public final class StageHarness {
    private let stage: any Stage
    private let collector: Collector
    /// The output formats the stage announced in `prepare`.
    public let outputFormats: [StreamFormat]
    /// Where sinks under test write.
    public let memory: MemoryOutput

    /// Makes and prepares `descriptor`'s stage with `parameters` over the given input formats.
    public init(_ descriptor: StageDescriptor, parameters: [String: ParameterValue] = [:],
                inputs: [StreamFormat], inputNames: [String]? = nil, connected: [Bool] = [],
                input: InputLocation = InputLocation(path: "test.input"), calibration: Calibration = .none, live: Bool = false) throws {
        guard case .stage(let stage) = try descriptor.make(Parameters(specs: descriptor.parameters, overrides: parameters)) else {
            preconditionFailure("\(descriptor.name) is a source; use SourceHarness")
        }
        self.stage = stage
        memory = MemoryOutput()
        let context = StageContext(stageID: "under_test", input: input,
                                   output: OutputSession(plan: .memory(memory), input: input),
                                   logger: Logger(label: "test"),
                                   inputNames: inputNames ?? inputs.indices.map { "in\($0)" }, connectedOutputs: connected,
                                   calibration: calibration, live: live)
        outputFormats = try stage.prepare(inputs: inputs, context: context)
        collector = Collector(formats: outputFormats)
    }

    /// Pushes one packet into input `input` and returns what the stage emitted for it.
    @discardableResult
    public func push(_ packet: Packet, input: Int = 0) throws -> [Packet] {
        let before = collector.all.count
        try stage.process(packet, input: input, output: collector)
        return collector.all[before...].map(\.packet)
    }

    /// Ends the stream and returns what the stage flushed.
    @discardableResult
    public func finish() throws -> [Packet] {
        let before = collector.all.count
        try stage.finish(output: collector)
        return collector.all[before...].map(\.packet)
    }

    /// Everything emitted so far on output port `port`.
    public func emitted(on port: Int = 0) -> [Packet] {
        collector.all.filter { $0.port == port }.map(\.packet)
    }

    /// Text the stage (a sink) wrote for its input.
    public var writtenText: String { memory.text(input: "test.input", sink: "under_test") }
}

/// Runs a source stage on one input to its end, collecting every packet per output port.
public enum SourceHarness {
    public static func run(_ descriptor: StageDescriptor, parameters: [String: ParameterValue] = [:],
                           input: InputLocation, connected: [Bool]? = nil) throws -> (formats: [StreamFormat], packets: [[Packet]]) {
        guard case .source(let source) = try descriptor.make(Parameters(specs: descriptor.parameters, overrides: parameters)) else {
            preconditionFailure("\(descriptor.name) is not a source")
        }
        let memory = MemoryOutput()
        let context = StageContext(stageID: "under_test", input: input,
                                   output: OutputSession(plan: .memory(memory), input: input), logger: Logger(label: "test"),
                                   connectedOutputs: connected ?? [])
        let formats = try source.open(context: context)
        let collector = Collector(formats: formats)
        try source.run(output: collector, cancellation: CancellationFlag())
        let packets = formats.indices.map { port in collector.all.filter { $0.port == port }.map(\.packet) }
        return (formats, packets)
    }
}

private final class Collector: Emitter {
    private var contract: StreamContract
    var all: [(port: Int, packet: Packet)] = []

    init(formats: [StreamFormat]) {
        contract = StreamContract(formats: formats, portNames: formats.indices.map { "output \($0)" })
    }

    func emit(_ packet: Packet, on port: Int) throws {
        try contract.check(packet, on: port)
        all.append((port, packet))
    }

    func advance(_ port: Int, to bound: Timestamp) throws {
        try contract.checkBound(bound, on: port)
    }
}
