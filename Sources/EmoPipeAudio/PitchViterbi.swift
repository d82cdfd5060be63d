import Foundation

/// pYIN's hidden Markov model decoded online: 2 x `bins` states (voiced and unvoiced at each
/// pitch bin of `1/binsPerSemitone` semitone from `fmin`), pitch moving at most
/// `transitionWidth/2` bins per frame with triangular weights, voicing switching with
/// probability `switchProbability`. Decoding is Viterbi with a fixed lag: the state of frame t
/// is decided once frame t + `lag` is in (the best path's ancestor then), and `flush()`
/// backtracks the rest from the best final state, so a whole file decodes exactly as offline
/// Viterbi when `lag` exceeds its length.
struct PitchViterbi {
    let bins: Int
    let binsPerSemitone: Int
    let fmin: Double
    let lag: Int
    private let halfWidth: Int
    /// logTransition[i][offset]: log weight from bin i to bin i + offset - halfWidth.
    private let logTransition: [[Double]]
    private let logStay: Double
    private let logSwitch: Double
    private var delta: [Double]
    private var started = false
    /// Back pointers of the frames not yet decided, oldest first.
    private var backPointers: [[Int32]] = []
    private var recycled: [[Int32]] = []
    private var scratch: [Double]
    private var bestFrom: [Int32]
    private var bestScore: [Double]

    init(fmin: Double, fmax: Double, binsPerSemitone: Int, transitionWidth: Int, switchProbability: Double, lag: Int) {
        self.fmin = fmin
        self.binsPerSemitone = binsPerSemitone
        bins = Int((12 * Double(binsPerSemitone) * log2(fmax / fmin)).rounded(.down)) + 1
        self.lag = lag
        let width = max(1, transitionWidth | 1)
        halfWidth = width / 2
        let triangle = (0..<width).map { 1 - abs(Double($0 - width / 2)) / Double(width / 2 + 1) }
        let bins = self.bins, halfWidth = self.halfWidth
        logTransition = (0..<bins).map { i in
            let weights = (0..<width).map { offset -> Double in
                let j = i + offset - halfWidth
                return j >= 0 && j < bins ? triangle[offset] : 0
            }
            let sum = weights.reduce(0, +)
            return weights.map { $0 > 0 ? log($0 / sum) : -.infinity }
        }
        logStay = log(1 - switchProbability)
        logSwitch = log(switchProbability)
        delta = [Double](repeating: 0, count: 2 * bins)
        scratch = delta
        bestFrom = [Int32](repeating: 0, count: 2 * bins)
        bestScore = delta
    }

    /// The bin nearest `frequency`, clamped to the grid.
    func bin(of frequency: Double) -> Int {
        min(bins - 1, max(0, Int((12 * Double(binsPerSemitone) * log2(frequency / fmin)).rounded())))
    }

    /// The frequency of `bin` (Hz).
    func frequency(ofBin bin: Int) -> Double { fmin * pow(2, Double(bin) / (12 * Double(binsPerSemitone))) }

    /// Adds a frame's observation: voiced probability per bin (sparse) and the total voiced
    /// probability. Returns the state decided for the frame `lag` frames back, if any
    /// (state < bins is voiced at that bin).
    mutating func push(voiced: [(bin: Int, probability: Double)], voicedProbability: Double) -> Int? {
        let tiny = 1e-300
        let logUnvoiced = log(max(tiny, (1 - voicedProbability) / Double(bins)))
        for state in 0..<bins { scratch[state] = log(tiny) }
        for (bin, probability) in voiced { scratch[bin] = log(max(tiny, exp(scratch[bin]) + probability)) }
        for state in bins..<(2 * bins) { scratch[state] = logUnvoiced }
        guard started else {
            // Initial distribution: unvoiced, uniform over bins.
            for state in 0..<(2 * bins) { delta[state] = scratch[state] + (state < bins ? log(tiny) : -log(Double(bins))) }
            started = true
            backPointers.append([Int32](repeating: -1, count: 2 * bins))
            return decide()
        }
        var pointers = recycled.popLast() ?? [Int32](repeating: 0, count: 2 * bins)
        // Best predecessor within each voicing block for every target bin.
        for block in 0..<2 {
            let base = block * bins
            for j in 0..<bins {
                var best = -Double.infinity, from = Int32(base + j)
                let low = max(0, j - halfWidth), high = min(bins - 1, j + halfWidth)
                for i in low...high {
                    let score = delta[base + i] + logTransition[i][j - i + halfWidth]
                    if score > best { best = score; from = Int32(base + i) }
                }
                bestScore[base + j] = best
                bestFrom[base + j] = from
            }
        }
        var peak = -Double.infinity
        for target in 0..<2 {
            for j in 0..<bins {
                let stay = bestScore[target * bins + j] + logStay, move = bestScore[(1 - target) * bins + j] + logSwitch
                let state = target * bins + j
                if stay >= move {
                    scratch[state] += stay
                    pointers[state] = bestFrom[target * bins + j]
                } else {
                    scratch[state] += move
                    pointers[state] = bestFrom[(1 - target) * bins + j]
                }
                peak = max(peak, scratch[state])
            }
        }
        for state in 0..<(2 * bins) { delta[state] = scratch[state] - peak }
        backPointers.append(pointers)
        return decide()
    }

    private mutating func decide() -> Int? {
        guard backPointers.count > lag else { return nil }
        var state = Int32(bestState())
        for index in stride(from: backPointers.count - 1, to: 0, by: -1) { state = backPointers[index][Int(state)] }
        recycled.append(backPointers.removeFirst())
        return Int(state)
    }

    private func bestState() -> Int {
        var best = 0
        for state in 1..<(2 * bins) where delta[state] > delta[best] { best = state }
        return best
    }

    /// The states of every frame not yet decided, oldest first.
    mutating func flush() -> [Int] {
        guard !backPointers.isEmpty else { return [] }
        var states = [Int](repeating: 0, count: backPointers.count)
        var state = Int32(bestState())
        states[states.count - 1] = Int(state)
        for index in stride(from: backPointers.count - 1, to: 0, by: -1) {
            state = backPointers[index][Int(state)]
            states[index - 1] = Int(state)
        }
        backPointers.removeAll()
        return states
    }
}
