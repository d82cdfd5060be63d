import Dispatch
import Foundation

/// Latency from input to output, per record: when a sink receives a packet stamped T, the time
/// since a source emitted its first packet at or after T (so, for a live pipe, how long after the
/// data arrived its result was written). Text segments (recognised or transcribed words) count from
/// their end, T + duration, in a histogram of their own: a segment's words cannot be known before
/// its last word is spoken. Kept as millisecond histograms: constant memory however long a live
/// run lasts.
public final class LatencyClock: @unchecked Sendable {
    private let lock = NSLock()
    private var stamps: [Int64] = []
    private var walls: [UInt64] = []
    private var histogram = [Int](repeating: 0, count: 60_001)
    private var textHistogram = [Int](repeating: 0, count: 60_001)

    public init() {}

    /// A source emitted a packet stamped `timestamp` now.
    func sourceEmitted(_ timestamp: Timestamp) {
        let now = DispatchTime.now().uptimeNanoseconds
        lock.withLock {
            guard timestamp.microseconds > (stamps.last ?? Int64.min) else { return }
            stamps.append(timestamp.microseconds)
            walls.append(now)
            // Keep the table small on endless runs: records never ask about data a minute old.
            if stamps.count > 20_000 {
                stamps.removeFirst(10_000)
                walls.removeFirst(10_000)
            }
        }
    }

    /// A sink received (wrote) `packet` now.
    func recordWritten(_ packet: Packet) {
        if case .text = packet.payload {
            recordWritten(packet.timestamp + packet.duration, text: true)
        } else {
            recordWritten(packet.timestamp, text: false)
        }
    }

    /// A sink received (wrote) a record that depends on the input up to `timestamp` now.
    func recordWritten(_ timestamp: Timestamp, text: Bool) {
        let now = DispatchTime.now().uptimeNanoseconds
        lock.withLock {
            guard !stamps.isEmpty else { return }
            var low = 0, high = stamps.count - 1
            if stamps[high] < timestamp.microseconds {
                low = high
            } else {
                while low < high {
                    let middle = (low + high) / 2
                    if stamps[middle] >= timestamp.microseconds { high = middle } else { low = middle + 1 }
                }
            }
            let milliseconds = Int((now &- walls[low]) / 1_000_000)
            let bin = min(max(milliseconds, 0), histogram.count - 1)
            if text { textHistogram[bin] += 1 } else { histogram[bin] += 1 }
        }
    }

    /// Median, 95th and 99th percentiles in milliseconds, and the number of records; nil before any.
    public var summary: (p50: Int, p95: Int, p99: Int, count: Int)? { summary(text: false) }

    /// The same for text segments, from each segment's end.
    public var textSummary: (p50: Int, p95: Int, p99: Int, count: Int)? { summary(text: true) }

    private func summary(text: Bool) -> (p50: Int, p95: Int, p99: Int, count: Int)? {
        lock.withLock {
            let histogram = text ? textHistogram : histogram
            let count = histogram.reduce(0, +)
            guard count > 0 else { return nil }
            func percentile(_ p: Double) -> Int {
                let target = Int((p * Double(count)).rounded(.up))
                var seen = 0
                for (ms, n) in histogram.enumerated() {
                    seen += n
                    if seen >= max(target, 1) { return ms }
                }
                return histogram.count - 1
            }
            return (percentile(0.5), percentile(0.95), percentile(0.99), count)
        }
    }
}
