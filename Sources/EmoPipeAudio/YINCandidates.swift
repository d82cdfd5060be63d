import EmoPipeDSP
import Foundation

/// The per-frame half of probabilistic YIN (Mauch & Dixon 2014), as librosa's `pyin` computes
/// it: the cumulative mean normalised difference function over lags `minPeriod...maxPeriod`,
/// its troughs, and for each trough the probability that it is the period, summed over 100
/// thresholds drawn from a Beta(2, 18) prior, with a Boltzmann prior favouring shorter periods.
struct YINCandidates {
    /// A period candidate: its frequency (Hz, parabolic-refined) and probability.
    struct Candidate { var frequency: Double; var probability: Double }

    let sampleRate: Double
    let frameLength: Int
    let windowLength: Int
    let minPeriod: Int
    let maxPeriod: Int
    private let correlator: Correlator
    private let thresholdProbabilities: [Double]
    /// thresholdMass[k]: the prior probability of thresholds 1/100 ... k/100 (0 at k = 0).
    private let thresholdMass: [Double]
    private let boltzmann: Double
    private let noTroughProbability: Double
    private var correlation: [Float] = []
    private var difference: [Double] = []
    /// The frame's d'(tau), tau = minPeriod...maxPeriod.
    private var yin: [Double] = []
    /// The frame's troughs: index into `yin`, first threshold index below which it lies (101:
    /// none), probability.
    private var troughs: [(index: Int, firstBelow: Int, probability: Double)] = []
    /// belowCount[k]: how many troughs have k as their first threshold index (k = 1...101).
    private var belowCount = [Int](repeating: 0, count: 102)
    /// Counting-sort scratch: where each threshold's troughs start in `byThreshold` (k = 1...102).
    private var bucketStart = [Int](repeating: 0, count: 103)
    private var byThreshold: [Int] = []
    /// The first troughs (positions in `troughs`, lag order) below the current threshold.
    private var leading: [Int] = []
    /// thresholds[k] = k / 100.
    private let thresholds = (0...101).map { Double($0) / 100 }
    /// Troughs ranked past this many below a threshold get less than 1e-20 of its probability.
    static let significantRanks = 24
    /// e^(-boltzmann k) for k = 0, 1, ...
    private var decay: [Double] = []

    /// `frameLength` samples per frame; periods from sampleRate/fmax to sampleRate/fmin.
    init(sampleRate: Double, frameLength: Int, fmin: Double, fmax: Double, betaA: Int = 2, betaB: Int = 18,
         boltzmann: Double = 2, noTroughProbability: Double = 0.01) {
        self.sampleRate = sampleRate
        self.frameLength = frameLength
        let longest = Int((sampleRate / fmin).rounded(.up))
        windowLength = frameLength - longest - 1
        minPeriod = max(1, Int((sampleRate / fmax).rounded(.down)))
        maxPeriod = longest
        correlator = Correlator(size: max(Correlator.fastSize(atLeast: frameLength),
                                          Correlator.minimumSize(count: windowLength, lags: maxPeriod + 1)))
        let thresholds = (0...100).map { Double($0) / 100 }
        let cdf = thresholds.map { Self.betaCDF($0, a: betaA, b: betaB) }
        thresholdProbabilities = (1...100).map { cdf[$0] - cdf[$0 - 1] }
        thresholdMass = thresholdProbabilities.reduce(into: [0]) { $0.append($0.last! + $1) }
        self.boltzmann = boltzmann
        self.noTroughProbability = noTroughProbability
    }

    /// The regularised incomplete beta function I_x(a, b) for integer a, b (binomial sum).
    static func betaCDF(_ x: Double, a: Int, b: Int) -> Double {
        let n = a + b - 1
        var total = 0.0
        for j in a...n {
            var log = lgamma(Double(n + 1)) - lgamma(Double(j + 1)) - lgamma(Double(n - j + 1))
            log += (x > 0 ? Double(j) * Foundation.log(x) : (j == 0 ? 0 : -.infinity))
            log += (x < 1 ? Double(n - j) * Foundation.log(1 - x) : (n - j == 0 ? 0 : -.infinity))
            total += exp(log)
        }
        return min(1, total)
    }

    /// The candidates of one frame of `frameLength` samples.
    mutating func candidates(_ frame: UnsafeBufferPointer<Float>) -> [Candidate] {
        precondition(frame.count == frameLength)
        normaliseDifference(frame)
        let count = yin.count
        guard count >= 2 else { return [] }
        while decay.count <= Self.significantRanks { decay.append(exp(-boltzmann * Double(decay.count))) }
        troughs.removeAll(keepingCapacity: true)
        belowCount.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        var global = -1
        yin.withUnsafeBufferPointer { yin in
            for index in 0..<count {
                let isTrough = index == 0 ? yin[0] < yin[1]
                    : yin[index] < yin[index - 1] && (index == count - 1 || yin[index] <= yin[index + 1])
                guard isTrough else { continue }
                // The first threshold k/100 the trough is below (101: none, at 1 and above or NaN).
                let value = yin[index]
                var k = value < 1 ? max(1, Int(value * 100)) : 101
                while k <= 100, !(value < thresholds[k]) { k += 1 }
                while k > 1, value < thresholds[k - 1] { k -= 1 }
                troughs.append((index, k, 0))
                belowCount[k] += 1
                if global < 0 || value < yin[troughs[global].index] { global = troughs.count - 1 }
            }
        }
        guard global >= 0 else { return [] }
        if byThreshold.count < troughs.count { byThreshold = [Int](repeating: 0, count: troughs.count) }
        // The troughs by first threshold (a counting sort, lag order within each threshold):
        // bucketStart[k] first holds the end of threshold k's troughs, and is moved back to
        // their start as they are placed, last first.
        var offset = 0
        for k in 1...101 {
            offset += belowCount[k]
            bucketStart[k] = offset
        }
        bucketStart[102] = offset
        for position in troughs.indices.reversed() {
            let k = troughs[position].firstBelow
            bucketStart[k] -= 1
            byThreshold[bucketStart[k]] = position
        }
        // For each threshold k/100 the troughs below it share its probability, the r-th of n
        // (in lag order) getting Boltzmann(r; lambda, n) = (1 - e^-lambda) e^(-lambda r) / (1 - e^(-lambda n)).
        // Between two thresholds where n grows the same troughs are below every threshold, so
        // each such run of thresholds shares out its summed prior probability at once. Ranks
        // past `significantRanks` get e^(-2 x 24) of the first's share, nothing: only the first
        // troughs in lag order below a threshold are kept (`leading`), and a trough that falls
        // behind them stays behind, as troughs only join as the threshold rises.
        let normaliser = 1 - decay[1]
        leading.removeAll(keepingCapacity: true)
        var below = 0, start = 0
        for k in 1...101 {
            guard k == 101 || belowCount[k] > 0 else { continue }
            if below > 0 {
                // Thresholds start..<k: `below` troughs share them.
                let share = (thresholdMass[k - 1] - thresholdMass[start - 1]) * normaliser / (1 - decayPower(below))
                for (rank, position) in leading.enumerated() { troughs[position].probability += share * decay[rank] }
            }
            guard k <= 100 else { break }
            for slot in bucketStart[k]..<bucketStart[k + 1] { admit(byThreshold[slot]) }
            below += belowCount[k]
            start = k
        }
        // Thresholds below the global minimum give a little probability to it.
        troughs[global].probability += noTroughProbability * thresholdMass[troughs[global].firstBelow - 1]
        var result: [Candidate] = []
        result.reserveCapacity(troughs.count)
        for trough in troughs where trough.probability > 0 {
            let index = trough.index
            var shift = 0.0
            if index > 0, index < count - 1 {
                let a = yin[index + 1] + yin[index - 1] - 2 * yin[index], b = (yin[index + 1] - yin[index - 1]) / 2
                if abs(b) < abs(a) { shift = -b / a }
            }
            result.append(Candidate(frequency: sampleRate / (Double(minPeriod + index) + shift), probability: trough.probability))
        }
        return result
    }

    /// Puts trough `position` into `leading` in lag order, keeping the first `significantRanks`.
    private mutating func admit(_ position: Int) {
        var slot = leading.count
        while slot > 0 && leading[slot - 1] > position { slot -= 1 }
        guard slot < Self.significantRanks else { return }
        leading.insert(position, at: slot)
        if leading.count > Self.significantRanks { leading.removeLast() }
    }

    /// e^(-boltzmann n), from the table when it holds n.
    private func decayPower(_ n: Int) -> Double { n < decay.count ? decay[n] : exp(-boltzmann * Double(n)) }

    /// d'(tau) for tau = minPeriod...maxPeriod into `yin` (index 0 is minPeriod).
    private mutating func normaliseDifference(_ frame: UnsafeBufferPointer<Float>) {
        let window = UnsafeBufferPointer(rebasing: frame[0..<windowLength])
        correlator.crossCorrelate(window, frame, lags: maxPeriod + 1, into: &correlation)
        if difference.count != maxPeriod + 1 { difference = [Double](repeating: 0, count: maxPeriod + 1) }
        if yin.count != maxPeriod - minPeriod + 1 { yin = [Double](repeating: 1, count: maxPeriod - minPeriod + 1) }
        let windowLength = self.windowLength, maxPeriod = self.maxPeriod, minPeriod = self.minPeriod
        correlation.withUnsafeBufferPointer { correlation in
            difference.withUnsafeMutableBufferPointer { difference in
                // Energy of the window starting at each lag, by running sums.
                var even = SIMD4<Double>(repeating: 0), odd = even
                var index = 0
                while index + 8 <= windowLength {
                    let a = SIMD4<Double>(Double(frame[index]), Double(frame[index + 1]), Double(frame[index + 2]), Double(frame[index + 3]))
                    let b = SIMD4<Double>(Double(frame[index + 4]), Double(frame[index + 5]), Double(frame[index + 6]), Double(frame[index + 7]))
                    even += a * a
                    odd += b * b
                    index += 8
                }
                var energy = (even + odd).sum()
                while index < windowLength {
                    energy += Double(frame[index]) * Double(frame[index])
                    index += 1
                }
                let first = energy
                for lag in 0...maxPeriod {
                    difference[lag] = max(0, first + energy - 2 * Double(correlation[lag]))
                    let leaving = Double(frame[lag]), entering = Double(frame[lag + windowLength])
                    energy += entering * entering - leaving * leaving
                }
                // Cumulative sums first, then the divisions, which then run in SIMD lanes.
                yin.withUnsafeMutableBufferPointer { yin in
                    var cumulative = 0.0
                    for lag in 1..<minPeriod { cumulative += difference[lag] }
                    for lag in minPeriod...maxPeriod {
                        cumulative += difference[lag]
                        yin[lag - minPeriod] = cumulative
                    }
                    for lag in minPeriod...maxPeriod {
                        yin[lag - minPeriod] = difference[lag] / (yin[lag - minPeriod] / Double(lag) + 1e-30)
                    }
                }
            }
        }
    }
}
