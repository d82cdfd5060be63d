import Logging

/// What a stage instance knows about the run it is part of.
public struct StageContext: Sendable {
    /// The stage's id in the pipeline file.
    public var stageID: String
    /// The input this graph instance processes.
    public var input: InputLocation
    /// Where sinks write.
    public var output: OutputSession
    /// Diagnostics for the user (stderr), tagged with input and stage.
    public var logger: Logger
    /// The name of each connected input's stream (`voice`, `media.video`), in input order.
    public var inputNames: [String]
    /// Whether each output port has a consumer. A stage need not compute what goes to a port
    /// nobody reads (and a source should not decode it); empty means every port is read.
    public var connectedOutputs: [Bool]
    /// The pipeline's `name:` and a hash of its configuration (`PipelineGraph.configHash`), for
    /// stages that record what produced their results.
    public var pipelineName: String
    public var configHash: String
    /// The subject calibration of this run (`none` unless a subject profile or a calibration
    /// pass applies).
    public var calibration: Calibration
    /// Live timing (standard input, named pipes, devices, `--realtime`): windowed estimates are
    /// stamped at their window's end and decided with short lags, and stages that fuse several
    /// streams (`StageDescriptor.liveArrivalOrder`) take packets as they arrive instead of
    /// waiting for every input to pass a time. Files run with `live` false: deterministic,
    /// byte-identical outputs.
    public var live: Bool

    public init(stageID: String, input: InputLocation, output: OutputSession, logger: Logger,
                inputNames: [String] = [], connectedOutputs: [Bool] = [], pipelineName: String = "", configHash: String = "",
                calibration: Calibration = .none, live: Bool = false) {
        self.live = live
        self.stageID = stageID
        self.input = input
        self.output = output
        self.logger = logger
        self.inputNames = inputNames
        self.connectedOutputs = connectedOutputs
        self.pipelineName = pipelineName
        self.configHash = configHash
        self.calibration = calibration
    }

    /// Whether output `port` has a consumer.
    public func isConnected(output port: Int) -> Bool {
        port >= connectedOutputs.count || connectedOutputs[port]
    }
}
