/// What travels on an edge: packets, timestamp bounds, and one explicit end of stream.
public enum StreamEvent: Sendable, Equatable {
    case packet(Packet)
    /// No later packet on this stream is earlier than this timestamp.
    case bound(Timestamp)
    /// The stream is over; nothing follows.
    case end
}
