/// A point in time, or a duration, in integer microseconds since the start of the input.
///
/// Integer microseconds (MediaPipe's convention) keep every stage's clock exact: no rounding drift
/// when a 16 kHz audio stream and a 29.97 fps video stream are aligned on one timeline.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Microseconds since the start of the input (or a duration in microseconds).
    public var microseconds: Int64

    public init(microseconds: Int64) { self.microseconds = microseconds }

    /// The start of the input.
    public static let zero = Timestamp(microseconds: 0)

    /// A timestamp from seconds, rounded to the nearest microsecond. Never traps: a value beyond
    /// what 64-bit microseconds hold (about 292,000 years) is clamped to the largest, NaN is 0.
    /// Values read from files are checked where they are parsed (`init?(checkedSeconds:)`).
    public init(seconds: Double) {
        let value = (seconds * 1_000_000).rounded()
        if value.isNaN {
            microseconds = 0
        } else if value >= 9.2e18 {
            microseconds = Int64(9.2e18)
        } else if value <= -9.2e18 {
            microseconds = -Int64(9.2e18)
        } else {
            microseconds = Int64(value)
        }
    }

    /// A timestamp from seconds, or nil when `seconds` is not finite or beyond what 64-bit
    /// microseconds hold.
    public init?(checkedSeconds seconds: Double) {
        let value = (seconds * 1_000_000).rounded()
        guard value.isFinite, abs(value) < 9.2e18 else { return nil }
        microseconds = Int64(value)
    }

    /// The time of sample `index` in a stream of `rate` samples per second, rounded down to the
    /// microsecond; exact integer arithmetic, so consecutive frames never drift.
    public init(sample index: Int64, rate: Int) {
        microseconds = index * 1_000_000 / Int64(rate)
    }

    /// Seconds as a floating-point value.
    public var seconds: Double { Double(microseconds) / 1_000_000 }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.microseconds < rhs.microseconds }
    public static func + (lhs: Timestamp, rhs: Timestamp) -> Timestamp {
        Timestamp(microseconds: lhs.microseconds + rhs.microseconds)
    }
    public static func - (lhs: Timestamp, rhs: Timestamp) -> Timestamp {
        Timestamp(microseconds: lhs.microseconds - rhs.microseconds)
    }

    /// Seconds with up to six decimals and no trailing zeros, computed from the integer value so
    /// that the text is identical on every run and platform ("1.5", "0.000033", "12").
    public var secondsText: String {
        let sign = microseconds < 0 ? "-" : ""
        let magnitude = microseconds.magnitude
        let whole = magnitude / 1_000_000
        var fraction = magnitude % 1_000_000
        if fraction == 0 { return "\(sign)\(whole)" }
        var digits = 6
        while fraction % 10 == 0 { fraction /= 10; digits -= 1 }
        let text = String(fraction)
        return "\(sign)\(whole)." + String(repeating: "0", count: digits - text.count) + text
    }

    public var description: String { secondsText + " s" }
}
