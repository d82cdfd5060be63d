/// The rules every emitted packet must keep, checked at the edge (MediaPipe's timestamp
/// contract): the port's payload kind, the schema's width for feature rows, and timestamps that
/// never go back on a port.
struct StreamContract {
    private let formats: [StreamFormat]
    private let portNames: [String]
    private var lastTimestamps: [Timestamp?]

    init(formats: [StreamFormat], portNames: [String]) {
        self.formats = formats
        self.portNames = portNames
        lastTimestamps = Array(repeating: nil, count: formats.count)
    }

    /// Checks `packet` for port `port` and records its timestamp.
    mutating func check(_ packet: Packet, on port: Int) throws {
        let name = portNames[port]
        guard packet.payload.kind == formats[port].kind else {
            throw StageError("emitted \(packet.payload.kind) on output '\(name)', which carries \(formats[port].kind)")
        }
        if case .features(let schema) = formats[port], case .features(let row) = packet.payload,
           row.values.count != schema.names.count {
            throw StageError("emitted a row of \(row.values.count) values on '\(name)', whose schema has \(schema.names.count) columns")
        }
        try checkOrder(packet.timestamp, on: port, what: "a packet")
        lastTimestamps[port] = packet.timestamp
    }

    /// Checks a timestamp bound for port `port`.
    func checkBound(_ bound: Timestamp, on port: Int) throws {
        try checkOrder(bound, on: port, what: "a bound")
    }

    private func checkOrder(_ timestamp: Timestamp, on port: Int, what: String) throws {
        if let last = lastTimestamps[port], timestamp < last {
            throw StageError("emitted \(what) at \(timestamp) on '\(portNames[port])' after a packet at \(last): timestamps must not go back")
        }
    }
}
