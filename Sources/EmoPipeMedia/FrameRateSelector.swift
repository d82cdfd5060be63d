import EmoPipeCore

/// Resamples a video stream to a fixed frame rate by sample-and-hold: output frame n, at time
/// n / rate, is the latest input frame whose time is not after it. Frames between output times
/// are dropped; gaps longer than an output period repeat the previous frame (as ffmpeg's fps
/// filter does). Output times are exact multiples of the period, rounded to the microsecond.
struct FrameRateSelector {
    /// Output frames per second.
    let rate: Double
    private var nextIndex: Int64 = 0
    private var hasPrevious = false

    init(rate: Double) { self.rate = rate }

    func time(ofOutput index: Int64) -> Timestamp {
        Timestamp(microseconds: Int64((Double(index) * 1_000_000 / rate).rounded()))
    }

    /// An input frame at `time` arrives; returns the output times that the *previous* input frame
    /// fills, in order. The new frame becomes the previous one.
    mutating func frameArrived(at time: Timestamp) -> [Timestamp] {
        defer { hasPrevious = true }
        return fill(until: time)
    }

    /// The stream ended at `end` (last frame time plus its duration); returns the output times
    /// the last input frame fills.
    mutating func streamEnded(at end: Timestamp) -> [Timestamp] { fill(until: end) }

    private mutating func fill(until limit: Timestamp) -> [Timestamp] {
        var times: [Timestamp] = []
        while time(ofOutput: nextIndex) < limit {
            if hasPrevious { times.append(time(ofOutput: nextIndex)) }
            nextIndex += 1
        }
        return times
    }
}
