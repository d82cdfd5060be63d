import EmoPipeCore

/// `sink.null`: consumes and discards its inputs, like `ffmpeg -f null`. Use it to make a source
/// decode streams nobody else reads (benchmarks), or to run stages for their side effects.
public final class NullSink: Stage {
    public static let descriptor = StageDescriptor(
        name: "sink.null", role: .sink,
        summary: "Discards every packet (for benchmarks and decode checks).",
        inputs: [PortSpec("in", PayloadKind.allCases, variadic: true, "Streams to consume.")],
        make: { _ in .stage(NullSink()) })

    public func prepare(inputs: [StreamFormat], context: StageContext) throws -> [StreamFormat] { [] }
    public func process(_ packet: Packet, input: Int, output: Emitter) throws {}
    public func finish(output: Emitter) throws {}
}
