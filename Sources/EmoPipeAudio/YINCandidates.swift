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
        let yin = normalisedDifference(frame)
        let count = yin.count
        guard count >= 2 else { return [] }
        var troughs: [Int] = []
        if yin[0] < yin[1] { troughs.append(0) }
        for index in 1..<count where yin[index] < yin[index - 1] && (index == count - 1 || yin[index] <= yin[index + 1]) {
            troughs.append(index)
        }
        guard !troughs.isEmpty else { return [] }
        var probabilities = [Double](repeating: 0, count: troughs.count)
        // For each threshold k/100: the troughs below it share its probability, the r-th of n
        // (in lag order) getting Boltzmann(r; lambda, n) = (1 - e^-lambda) e^(-lambda r) / (1 - e^(-lambda n)).
        // firstBelow[t]: the first threshold index trough t is below; belowCount[k]: n at k.
        while decay.count <= max(troughs.count, Self.significantRanks) { decay.append(exp(-boltzmann * Double(decay.count))) }
        var firstBelow = [Int](repeating: 101, count: troughs.count)
        var belowCount = [Int](repeating: 0, count: 102)
        for (index, trough) in troughs.enumerated() {
            // Not below any threshold (k = 101) at 1 and above (or NaN).
            var k = yin[trough] < 1 ? max(1, Int(yin[trough] * 100)) : 101
            while k <= 100, !(yin[trough] < Double(k) / 100) { k += 1 }
            while k > 1, yin[trough] < Double(k - 1) / 100 { k -= 1 }
            firstBelow[index] = k
            belowCount[k] += 1
        }
        for k in 1...101 { belowCount[k] += belowCount[k - 1] }
        let normaliser = 1 - decay[1]
        // The troughs below some threshold, in lag order; between two consecutive values of
        // `firstBelow` the same troughs are below every threshold, so each such run of
        // thresholds shares out its summed prior probability at once.
        let eligible = troughs.indices.filter { firstBelow[$0] <= 100 }
        let runStarts = Set(eligible.map { firstBelow[$0] }).sorted()
        for (position, start) in runStarts.enumerated() {
            let end = position + 1 < runStarts.count ? runStarts[position + 1] : 101
            let below = belowCount[start]
            let share = (thresholdMass[end - 1] - thresholdMass[start - 1]) * normaliser / (1 - decay[below])
            var rank = 0
            // Ranks past `significantRanks` get e^(-2 x 24) of the first's share: nothing.
            for index in eligible where firstBelow[index] <= start {
                probabilities[index] += share * decay[rank]
                rank += 1
                if rank == Self.significantRanks { break }
            }
        }
        // Thresholds below the global minimum give a little probability to it.
        let global = troughs.indices.min { yin[troughs[$0]] < yin[troughs[$1]] }!
        let thresholdsBelow = firstBelow[global] - 1
        probabilities[global] += noTroughProbability * thresholdMass[thresholdsBelow]
        return troughs.indices.compactMap { position in
            guard probabilities[position] > 0 else { return nil }
            let index = troughs[position]
            var shift = 0.0
            if index > 0, index < count - 1 {
                let a = yin[index + 1] + yin[index - 1] - 2 * yin[index], b = (yin[index + 1] - yin[index - 1]) / 2
                if abs(b) < abs(a) { shift = -b / a }
            }
            return Candidate(frequency: sampleRate / (Double(minPeriod + index) + shift), probability: probabilities[position])
        }
    }

    /// d'(tau) for tau = minPeriod...maxPeriod (index 0 is minPeriod).
    private mutating func normalisedDifference(_ frame: UnsafeBufferPointer<Float>) -> [Double] {
        let window = UnsafeBufferPointer(rebasing: frame[0..<windowLength])
        correlator.crossCorrelate(window, frame, lags: maxPeriod + 1, into: &correlation)
        // Energy of the window starting at each lag, by running sums.
        var energy = 0.0
        for index in 0..<windowLength { energy += Double(frame[index]) * Double(frame[index]) }
        let first = energy
        if difference.count != maxPeriod + 1 { difference = [Double](repeating: 0, count: maxPeriod + 1) }
        for lag in 0...maxPeriod {
            difference[lag] = max(0, first + energy - 2 * Double(correlation[lag]))
            let leaving = Double(frame[lag]), entering = Double(frame[lag + windowLength])
            energy += entering * entering - leaving * leaving
        }
        var cumulative = 0.0
        var result = [Double](repeating: 1, count: maxPeriod - minPeriod + 1)
        for lag in 1...maxPeriod {
            cumulative += difference[lag]
            if lag >= minPeriod {
                let mean = cumulative / Double(lag)
                result[lag - minPeriod] = difference[lag] / (mean + 1e-30)
            }
        }
        return result
    }
}
