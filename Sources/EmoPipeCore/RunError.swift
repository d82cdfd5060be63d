/// Why one input's run failed: the input, the stage, and the cause, in one line.
public struct RunError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The input's path ("-" for standard input).
    public var input: String
    /// The stage id in the pipeline; nil when the failure is not a stage's (e.g. no such file).
    public var stageID: String?
    /// The stage's registry name.
    public var stageName: String?
    public var message: String

    public init(input: String, stageID: String? = nil, stageName: String? = nil, message: String) {
        self.input = input
        self.stageID = stageID
        self.stageName = stageName
        self.message = message
    }

    public var description: String {
        let name = input == "-" ? "<stdin>" : input
        guard let stageID else { return "\(name): \(message)" }
        return "\(name): stage '\(stageID)' (\(stageName ?? "?")): \(message)"
    }
}
