import Foundation

/// Statistics of one feature contour (a frame sequence), as openSMILE's `cFunctionals`
/// computes the eGeMAPS set. Slopes and rates are per second given `frameSeconds`.
enum ContourFunctionals {
    static func mean(_ x: [Double]) -> Double { x.isEmpty ? 0 : x.reduce(0, +) / Double(x.count) }

    /// Population standard deviation.
    static func standardDeviation(_ x: [Double]) -> Double {
        guard x.count > 1 else { return 0 }
        let m = mean(x)
        return (x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count)).squareRoot()
    }

    /// Standard deviation over |mean| (the coefficient of variation; 0 when the mean is 0).
    static func normalisedDeviation(_ x: [Double]) -> Double {
        let m = mean(x)
        return m == 0 ? 0 : standardDeviation(x) / abs(m)
    }

    /// The `fraction` percentile with linear interpolation between order statistics.
    static func percentile(sorted x: [Double], _ fraction: Double) -> Double {
        guard !x.isEmpty else { return 0 }
        let position = fraction * Double(x.count - 1)
        let low = Int(position.rounded(.down)), high = min(x.count - 1, low + 1)
        return x[low] + (x[high] - x[low]) * (position - Double(low))
    }

    /// 3-frame moving average (openSMILE `smaWin = 3`); with `skipZeros`, zeros stay zero and
    /// are left out of their neighbours' averages (`noZeroSma`).
    static func smooth3(_ x: [Double], skipZeros: Bool) -> [Double] {
        guard x.count > 1 else { return x }
        return x.indices.map { index in
            if skipZeros, x[index] == 0 { return 0 }
            var sum = 0.0, count = 0.0
            for neighbour in max(0, index - 1)...min(x.count - 1, index + 1) where !(skipZeros && x[neighbour] == 0) {
                sum += x[neighbour]; count += 1
            }
            return sum / count
        }
    }

    /// Peaks and valleys of a contour with hysteresis: a turning point counts once the contour
    /// has moved away from it by `relativeThreshold` x (max - min) (openSMILE `Peaks2`,
    /// `relThresh`). Returns alternating extrema (index, value, isPeak).
    static func extrema(_ x: [Double], relativeThreshold: Double = 0.1) -> [(index: Int, value: Double, isPeak: Bool)] {
        guard let low = x.min(), let high = x.max(), high > low else { return [] }
        let threshold = relativeThreshold * (high - low)
        var result: [(index: Int, value: Double, isPeak: Bool)] = []
        var candidate = (index: 0, value: x[0]), rising: Bool? = nil
        var minimum = (index: 0, value: x[0]), maximum = (index: 0, value: x[0])
        for (index, value) in x.enumerated() {
            if value > maximum.value { maximum = (index, value) }
            if value < minimum.value { minimum = (index, value) }
            switch rising {
            case nil:
                if value - minimum.value >= threshold {
                    result.append((minimum.index, minimum.value, false)); rising = true; candidate = (index, value)
                } else if maximum.value - value >= threshold {
                    result.append((maximum.index, maximum.value, true)); rising = false; candidate = (index, value)
                }
            case true?:
                if value > candidate.value { candidate = (index, value) }
                else if candidate.value - value >= threshold {
                    result.append((candidate.index, candidate.value, true)); rising = false; candidate = (index, value)
                }
            case false?:
                if value < candidate.value { candidate = (index, value) }
                else if value - candidate.value >= threshold {
                    result.append((candidate.index, candidate.value, false)); rising = true; candidate = (index, value)
                }
            }
        }
        return result
    }

    /// Mean and standard deviation of the rising (valley to next peak) and falling (peak to
    /// next valley) slopes, units per second.
    static func slopes(_ x: [Double], frameSeconds: Double) -> (meanRising: Double, sdRising: Double, meanFalling: Double, sdFalling: Double) {
        let turns = extrema(x)
        var rising: [Double] = [], falling: [Double] = []
        for (first, second) in zip(turns, turns.dropFirst()) where second.index > first.index {
            let slope = (second.value - first.value) / (Double(second.index - first.index) * frameSeconds)
            if first.isPeak { falling.append(-slope) } else { rising.append(slope) }
        }
        return (mean(rising), standardDeviation(rising), mean(falling), standardDeviation(falling))
    }

    /// Lengths (frames) of the runs of consecutive values satisfying `predicate`.
    static func runs(_ x: [Double], where predicate: (Double) -> Bool) -> [Int] {
        var lengths: [Int] = [], current = 0
        for value in x {
            if predicate(value) { current += 1 } else if current > 0 { lengths.append(current); current = 0 }
        }
        if current > 0 { lengths.append(current) }
        return lengths
    }
}
