/// What a stage does with streams.
public enum StageRole: String, Sendable, Codable {
    /// Decodes an input into streams; owns its reading loop.
    case source
    /// One or more inputs in, one or more outputs out.
    case transform
    /// Writes results; no outputs.
    case sink
}

/// A named input or output port and the payload kinds it carries.
public struct PortSpec: Sendable, Equatable {
    /// Port name, as written after the dot in `in: stage.port`.
    public var name: String
    /// Kinds the port accepts (inputs) or produces (outputs: exactly one).
    public var kinds: [PayloadKind]
    /// For an input: it may be left unconnected.
    public var optional: Bool
    /// For the last input: it takes every remaining connection (a sink's `in: [a, b, c]`).
    public var variadic: Bool
    public var summary: String

    public init(_ name: String, _ kinds: [PayloadKind], optional: Bool = false, variadic: Bool = false,
                _ summary: String) {
        self.name = name
        self.kinds = kinds
        self.optional = optional
        self.variadic = variadic
        self.summary = summary
    }
}

/// A registered stage: its name, ports, parameters and how to make an instance.
///
/// One value describes the stage everywhere: the loader validates against it, the scheduler
/// wires by it, and `emopipe stages` prints it.
public struct StageDescriptor: Sendable {
    /// Registry name, as written after `use:` (`audio.level`).
    public var name: String
    public var role: StageRole
    /// One sentence on what the stage computes.
    public var summary: String
    public var inputs: [PortSpec]
    public var outputs: [PortSpec]
    public var parameters: [ParameterSpec]
    /// For sources: lower-case file extensions it reads, used to pick files in a folder.
    public var fileExtensions: [String]
    /// In live runs, this stage takes its inputs' packets in arrival order rather than merged
    /// by timestamp, so a late input never holds back the others (fusion stages). Its packets
    /// may then come out of time order across inputs; its outputs must still be in order.
    public var liveArrivalOrder: Bool
    /// Makes a fresh instance for one input; the parameters are already validated.
    public var make: @Sendable (Parameters) throws -> StageInstance

    public init(name: String, role: StageRole, summary: String, inputs: [PortSpec] = [],
                outputs: [PortSpec] = [], parameters: [ParameterSpec] = [], fileExtensions: [String] = [],
                liveArrivalOrder: Bool = false, make: @escaping @Sendable (Parameters) throws -> StageInstance) {
        self.liveArrivalOrder = liveArrivalOrder
        self.name = name
        self.role = role
        self.summary = summary
        self.inputs = inputs
        self.outputs = outputs
        self.parameters = parameters
        self.fileExtensions = fileExtensions
        self.make = make
    }

    /// The declaration of parameter `name`, if any.
    public func parameter(_ name: String) -> ParameterSpec? {
        parameters.first { $0.name == name }
    }
}

/// A stage instance, created per input file so that runs never share mutable state.
public enum StageInstance {
    case source(any SourceStage)
    case stage(any Stage)
}
