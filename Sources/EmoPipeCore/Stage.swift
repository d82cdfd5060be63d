/// Where a stage sends what it produces: packets in timestamp order, per output port.
///
/// A stage only ever emits through the emitter it is handed (swift-nio's `fireChannelRead`),
/// never by reaching into another stage. The engine checks each emitted packet against the
/// port's contract (kind, schema width, non-decreasing timestamps) and names the stage that
/// broke it.
public protocol Emitter {
    /// Sends `packet` on output port `port` (index into the descriptor's `outputs`).
    func emit(_ packet: Packet, on port: Int) throws
    /// Promises that port `port` will carry no packet earlier than `bound` (a timestamp bound, as
    /// in MediaPipe), so multi-input consumers need not wait for a sparse stream.
    func advance(_ port: Int, to bound: Timestamp) throws
}

extension Emitter {
    /// Sends `payload` stamped `timestamp` on port `port`.
    public func emit(_ payload: Payload, at timestamp: Timestamp, duration: Timestamp = .zero, on port: Int = 0) throws {
        try emit(Packet(timestamp: timestamp, duration: duration, payload: payload), on: port)
    }
}

/// A stage that decodes one input into streams and owns its reading loop.
public protocol SourceStage: AnyObject {
    /// Opens the input and returns one format per output port. An output nobody consumes
    /// (`context.isConnected(output:)` false) should not be decoded, and is never emitted on.
    func open(context: StageContext) throws -> [StreamFormat]
    /// Reads to the end of the input, emitting packets; returns early, normally, once
    /// `cancellation` is set (SIGINT, or another stage failed). The engine ends every stream after.
    func run(output: Emitter, cancellation: CancellationFlag) throws
}

/// A transform or sink: packets in, packets (or written records) out.
///
/// The engine calls `prepare` once, then `process` for every input packet in timestamp order
/// (merged across inputs: ties go to the lower input index), then `finish` exactly once at end
/// of stream. All calls come from one serial queue, so a stage needs no locks.
public protocol Stage: AnyObject {
    /// Receives the formats of the connected inputs (in `in:` order) and returns one format per
    /// output port. Throw a `StageError` when the inputs cannot be handled.
    func prepare(inputs: [StreamFormat], context: StageContext) throws -> [StreamFormat]
    /// Handles one packet from input `input`.
    func process(_ packet: Packet, input: Int, output: Emitter) throws
    /// Flushes what is buffered: called once, after every input has ended.
    func finish(output: Emitter) throws
}

/// An error a stage reports about its input or its work, in words a user can act on. The engine
/// adds the input file and the stage id.
public struct StageError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
