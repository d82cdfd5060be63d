import DequeModule

/// Counts the swings of a signal (a head's yaw for shakes, its pitch for nods) within a trailing
/// window: a swing is a reversal of direction after moving at least `amplitude` from the last
/// turning point (hysteresis, so jitter below the amplitude never counts).
struct OscillationCounter {
    let amplitude: Double
    let window: Double
    private var extreme: Double?
    private var rising: Bool?
    private var reversals = Deque<Double>()

    init(amplitude: Double, window: Double) {
        self.amplitude = amplitude
        self.window = window
    }

    /// Adds the value at `time` (seconds) and returns the swings within the window ending there.
    mutating func add(_ value: Double, at time: Double) -> Int {
        while let first = reversals.first, first <= time - window { reversals.removeFirst() }
        guard let last = extreme else {
            extreme = value
            return reversals.count
        }
        switch rising {
        case nil:
            if abs(value - last) >= amplitude { rising = value > last; extreme = value }
        case true?:
            if value > last { extreme = value } else if last - value >= amplitude {
                reversals.append(time)
                rising = false
                extreme = value
            }
        case false?:
            if value < last { extreme = value } else if value - last >= amplitude {
                reversals.append(time)
                rising = true
                extreme = value
            }
        }
        return reversals.count
    }
}
