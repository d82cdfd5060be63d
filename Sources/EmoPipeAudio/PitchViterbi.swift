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
    private let width: Int
    /// log of the triangular transition weight at each offset (offset - halfWidth bins).
    private let logTriangle: [Float]
    /// log of each source bin's row sum (rows are normalised; the sum is smaller at the edges).
    private let logRowSum: [Float]
    private let logStay: Float
    private let logSwitch: Float
    /// Lanes per SIMD step; `bins` is rounded up to a multiple of it in the scratch buffers.
    private typealias Lanes = SIMD8<Float>
    private let paddedBins: Int
    private var delta: [Float]
    private var started = false
    /// Back pointers of the frames not yet decided, oldest first.
    private var backPointers: [[Int32]] = []
    private var recycled: [[Int32]] = []
    private var observation: [Float]
    /// One voicing block's scores, normalised by row sums, with -inf margins of `halfWidth`.
    private var sources: [Float]
    private var bestScore: [[Float]]
    private var bestOffset: [[Int32]]
    /// aliveCount[i]: live sources among bins 0..<i of the block being decoded.
    private var aliveCount: [Int]
    /// How far below the best state (nats) a state may fall and still be a predecessor.
    static let beam: Float = 100

    init(fmin: Double, fmax: Double, binsPerSemitone: Int, transitionWidth: Int, switchProbability: Double, lag: Int) {
        self.fmin = fmin
        self.binsPerSemitone = binsPerSemitone
        bins = Int((12 * Double(binsPerSemitone) * log2(fmax / fmin)).rounded(.down)) + 1
        self.lag = lag
        let width = max(1, transitionWidth | 1), halfWidth = width / 2
        self.width = width
        self.halfWidth = halfWidth
        let triangle = (0..<width).map { 1 - abs(Double($0 - halfWidth)) / Double(halfWidth + 1) }
        logTriangle = triangle.map { Float(log($0)) }
        let bins = self.bins
        logRowSum = (0..<bins).map { i in
            Float(log((0..<triangle.count).reduce(0.0) { sum, offset in
                let j = i + offset - halfWidth
                return j >= 0 && j < bins ? sum + triangle[offset] : sum
            }))
        }
        logStay = Float(log(1 - switchProbability))
        logSwitch = Float(log(switchProbability))
        paddedBins = (bins + Lanes.scalarCount - 1) / Lanes.scalarCount * Lanes.scalarCount
        delta = [Float](repeating: 0, count: 2 * bins)
        observation = delta
        sources = [Float](repeating: -.infinity, count: paddedBins + 2 * halfWidth + Lanes.scalarCount)
        bestScore = [[Float]](repeating: [Float](repeating: 0, count: paddedBins), count: 2)
        bestOffset = [[Int32]](repeating: [Int32](repeating: 0, count: paddedBins), count: 2)
        aliveCount = [Int](repeating: 0, count: bins + 1)
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
        let logNone = Float(log(tiny)), logUnvoiced = Float(log(max(tiny, (1 - voicedProbability) / Double(bins))))
        for state in 0..<bins { observation[state] = 0 }
        // Candidates falling in one bin add up.
        for (bin, probability) in voiced { observation[bin] += Float(probability) }
        for state in 0..<bins { observation[state] = observation[state] > 0 ? log(observation[state]) : logNone }
        for state in bins..<(2 * bins) { observation[state] = logUnvoiced }
        guard started else {
            // Initial distribution: unvoiced, uniform over bins.
            for state in 0..<(2 * bins) { delta[state] = observation[state] + (state < bins ? logNone : -Float(log(Double(bins)))) }
            started = true
            backPointers.append([Int32](repeating: -1, count: 2 * bins))
            return decide()
        }
        for block in 0..<2 { bestPredecessors(block: block) }
        var pointers = recycled.popLast() ?? [Int32](repeating: 0, count: 2 * bins)
        let bins = self.bins, halfWidth = self.halfWidth, logStay = self.logStay, logSwitch = self.logSwitch
        var peak = -Float.infinity
        observation.withUnsafeMutableBufferPointer { observation in
            pointers.withUnsafeMutableBufferPointer { pointers in
                for target in 0..<2 {
                    bestScore[target].withUnsafeBufferPointer { same in
                        bestScore[1 - target].withUnsafeBufferPointer { other in
                            bestOffset[target].withUnsafeBufferPointer { sameOffset in
                                bestOffset[1 - target].withUnsafeBufferPointer { otherOffset in
                                    for j in 0..<bins {
                                        let stay = same[j] + logStay, move = other[j] + logSwitch
                                        let state = target * bins + j
                                        if stay >= move {
                                            observation[state] += stay
                                            pointers[state] = Int32(target * bins + j - halfWidth) + sameOffset[j]
                                        } else {
                                            observation[state] += move
                                            pointers[state] = Int32((1 - target) * bins + j - halfWidth) + otherOffset[j]
                                        }
                                        peak = max(peak, observation[state])
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        for state in 0..<(2 * bins) { delta[state] = observation[state] - peak }
        backPointers.append(pointers)
        return decide()
    }

    /// For every bin j of `block`: the best score over sources i = j - halfWidth ... j + halfWidth
    /// of delta[i] + log transition(i -> j), and its offset (i - j + halfWidth), by SIMD lanes.
    private mutating func bestPredecessors(block: Int) {
        let bins = self.bins, halfWidth = self.halfWidth, width = self.width, paddedBins = self.paddedBins
        let base = block * bins
        // Sources more than `beam` below the best state are dead: chunks that only they reach
        // are skipped (most voiced states, which had no YIN candidate nearby).
        var aliveBefore = 0
        delta.withUnsafeBufferPointer { delta in
            logRowSum.withUnsafeBufferPointer { rowSum in
                sources.withUnsafeMutableBufferPointer { sources in
                    aliveCount.withUnsafeMutableBufferPointer { alive in
                        for i in 0..<bins {
                            sources[halfWidth + i] = delta[base + i] - rowSum[i]
                            alive[i] = aliveBefore
                            if delta[base + i] > -Self.beam { aliveBefore += 1 }
                        }
                        alive[bins] = aliveBefore
                    }
                }
            }
        }
        sources.withUnsafeBufferPointer { sources in
            bestScore[block].withUnsafeMutableBufferPointer { best in
                bestOffset[block].withUnsafeMutableBufferPointer { offsets in
                    let raw = UnsafeRawPointer(sources.baseAddress!)
                    let bestLanes = UnsafeMutableRawPointer(best.baseAddress!), offsetLanes = UnsafeMutableRawPointer(offsets.baseAddress!)
                    let stride = MemoryLayout<Float>.stride, step = Lanes.scalarCount
                    for chunk in Swift.stride(from: 0, to: paddedBins, by: step) {
                        var top = Lanes(repeating: -.infinity)
                        var at = SIMD8<Int32>(repeating: 0)
                        let first = max(0, chunk - halfWidth), last = min(bins, chunk + step + halfWidth)
                        if first < last, aliveCount[last] - aliveCount[first] == 0 {
                            bestLanes.storeBytes(of: top, toByteOffset: chunk * stride, as: Lanes.self)
                            offsetLanes.storeBytes(of: SIMD8<Int32>(repeating: Int32(halfWidth)), toByteOffset: chunk * MemoryLayout<Int32>.stride, as: SIMD8<Int32>.self)
                            continue
                        }
                        for offset in 0..<width {
                            // Source bin j + offset - halfWidth sits at index j + offset of `sources`.
                            let scores = raw.loadUnaligned(fromByteOffset: (chunk + offset) * stride, as: Lanes.self)
                                + Lanes(repeating: logTriangle[offset])
                            let better = scores .> top
                            top.replace(with: scores, where: better)
                            at.replace(with: SIMD8<Int32>(repeating: Int32(offset)), where: better)
                        }
                        bestLanes.storeBytes(of: top, toByteOffset: chunk * stride, as: Lanes.self)
                        offsetLanes.storeBytes(of: at, toByteOffset: chunk * MemoryLayout<Int32>.stride, as: SIMD8<Int32>.self)
                    }
                }
            }
        }
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
