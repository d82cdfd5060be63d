import DequeModule
import Foundation

/// pYIN's hidden Markov model decoded online: 2 x `bins` states (voiced and unvoiced at each
/// pitch bin of `1/binsPerSemitone` semitone from `fmin`), pitch moving at most
/// `transitionWidth/2` bins per frame with triangular weights, voicing switching with
/// probability `switchProbability`. Decoding is Viterbi with a fixed lag: the state of frame t
/// is decided once frame t + `lag` is in (the best path's ancestor then), and `flush()`
/// backtracks the rest from the best final state, so a whole file decodes exactly as offline
/// Viterbi when `lag` exceeds its length.
///
/// The forward pass keeps only scores (a max-plus convolution in SIMD lanes, no back pointers).
/// Back pointers are recomputed, with the same arithmetic, for the few states the best path
/// visits: each frame's best path is backtracked only until it joins the previous frame's,
/// usually after one step.
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
    /// The scores of the newest frame, normalised so that the best is 0.
    private var delta: [Float]
    private var started = false
    /// The scores of the frames not yet decided, oldest first (the newest is `delta`'s copy).
    private var history = Deque<[Float]>()
    private var recycled: [[Float]] = []
    /// The best path's state at each frame of `history`.
    private var path = Deque<Int>()
    private var observation: [Float]
    /// The summed voiced probability of each bin holding candidates (scratch).
    private var candidateSums: [(bin: Int, sum: Float)] = []
    /// One voicing block's scores, normalised by row sums, with -inf margins of `halfWidth`.
    private var sources: [Float]
    /// Per block: the best predecessor score of each bin within that block.
    private var bestScore: [[Float]]
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
        let bins = self.bins, states = 2 * bins
        // Candidates falling in one bin add up; bins without one get logNone (no log of 0 per bin).
        candidateSums.removeAll(keepingCapacity: true)
        for (bin, probability) in voiced {
            if let index = candidateSums.firstIndex(where: { $0.bin == bin }) {
                candidateSums[index].sum += Float(probability)
            } else {
                candidateSums.append((bin, Float(probability)))
            }
        }
        observation.withUnsafeMutableBufferPointer { observation in
            observation.baseAddress!.update(repeating: logNone, count: bins)
            for (bin, sum) in candidateSums where sum > 0 { observation[bin] = log(sum) }
            (observation.baseAddress! + bins).update(repeating: logUnvoiced, count: bins)
        }
        var best = 0
        if !started {
            // Initial distribution: unvoiced, uniform over bins.
            let logUniform = -Float(log(Double(bins)))
            for state in 0..<states { delta[state] = observation[state] + (state < bins ? logNone : logUniform) }
            for state in 1..<states where delta[state] > delta[best] { best = state }
            started = true
        } else {
            for block in 0..<2 { bestPredecessors(block: block) }
            let logStay = self.logStay, logSwitch = self.logSwitch
            var peak = -Float.infinity
            observation.withUnsafeMutableBufferPointer { observation in
                let step = Lanes.scalarCount, whole = bins / step * step
                var peaks = Lanes(repeating: -.infinity)
                for target in 0..<2 {
                    bestScore[target].withUnsafeBufferPointer { same in
                        bestScore[1 - target].withUnsafeBufferPointer { other in
                            let row = UnsafeMutableRawPointer(observation.baseAddress! + target * bins)
                            let sameLanes = UnsafeRawPointer(same.baseAddress!), otherLanes = UnsafeRawPointer(other.baseAddress!)
                            let stride = MemoryLayout<Float>.stride
                            for j in Swift.stride(from: 0, to: whole, by: step) {
                                let stay = sameLanes.loadUnaligned(fromByteOffset: j * stride, as: Lanes.self) + logStay
                                var move = otherLanes.loadUnaligned(fromByteOffset: j * stride, as: Lanes.self) + logSwitch
                                move.replace(with: stay, where: stay .>= move)
                                let scores = row.loadUnaligned(fromByteOffset: j * stride, as: Lanes.self) + move
                                row.storeBytes(of: scores, toByteOffset: j * stride, as: Lanes.self)
                                peaks.replace(with: scores, where: scores .> peaks)
                            }
                            let rowValues = observation.baseAddress! + target * bins
                            for j in whole..<bins {
                                rowValues[j] += max(same[j] + logStay, other[j] + logSwitch)
                                peak = max(peak, rowValues[j])
                            }
                        }
                    }
                }
                peak = max(peak, peaks.max())
                // Normalise so the best is 0; the best state is the first at the peak.
                delta.withUnsafeMutableBufferPointer { delta in
                    for state in 0..<states { delta[state] = observation[state] - peak }
                }
                while best < states - 1 && observation[best] != peak { best += 1 }
            }
        }
        var scores = recycled.popLast() ?? []
        scores.removeAll(keepingCapacity: true)
        scores.append(contentsOf: delta)
        history.append(scores)
        path.append(best)
        backtrack()
        return decide()
    }

    /// For every bin j of `block`: the best score over sources i = j - halfWidth ... j + halfWidth
    /// of delta[i] + log transition(i -> j), by SIMD lanes.
    private mutating func bestPredecessors(block: Int) {
        let bins = self.bins, halfWidth = self.halfWidth, width = self.width, paddedBins = self.paddedBins
        let base = block * bins
        // Sources more than `beam` below the best state are dead: chunks that only they reach
        // are skipped (most voiced states, which had no YIN candidate nearby).
        delta.withUnsafeBufferPointer { delta in
            logRowSum.withUnsafeBufferPointer { rowSum in
                sources.withUnsafeMutableBufferPointer { sources in
                    // sources = delta - rowSum and the lowest delta, in SIMD lanes.
                    let stride = MemoryLayout<Float>.stride, step = Lanes.scalarCount, whole = bins / step * step
                    let scores = UnsafeRawPointer(delta.baseAddress! + base), sums = UnsafeRawPointer(rowSum.baseAddress!)
                    let target = UnsafeMutableRawPointer(sources.baseAddress! + halfWidth)
                    var lowestLanes = Lanes(repeating: .infinity)
                    for i in Swift.stride(from: 0, to: whole, by: step) {
                        let score = scores.loadUnaligned(fromByteOffset: i * stride, as: Lanes.self)
                        target.storeBytes(of: score - sums.loadUnaligned(fromByteOffset: i * stride, as: Lanes.self),
                                          toByteOffset: i * stride, as: Lanes.self)
                        lowestLanes.replace(with: score, where: score .< lowestLanes)
                    }
                    var lowest = lowestLanes.min()
                    for i in whole..<bins {
                        sources[halfWidth + i] = delta[base + i] - rowSum[i]
                        lowest = min(lowest, delta[base + i])
                    }
                    aliveCount.withUnsafeMutableBufferPointer { alive in
                        if lowest > -Self.beam {
                            // All alive (as unvoiced states mostly are): the counts are the indices.
                            for i in 0...bins { alive[i] = i }
                            return
                        }
                        var aliveBefore = 0
                        for i in 0..<bins {
                            alive[i] = aliveBefore
                            if delta[base + i] > -Self.beam { aliveBefore += 1 }
                        }
                        alive[bins] = aliveBefore
                    }
                }
            }
        }
        let alive = aliveCount
        sources.withUnsafeBufferPointer { sources in
            logTriangle.withUnsafeBufferPointer { triangle in
                bestScore[block].withUnsafeMutableBufferPointer { best in
                    let raw = UnsafeRawPointer(sources.baseAddress!)
                    let bestLanes = UnsafeMutableRawPointer(best.baseAddress!)
                    let stride = MemoryLayout<Float>.stride, step = Lanes.scalarCount
                    // Source bin j + offset - halfWidth sits at index j + offset of `sources`.
                    @inline(__always) func score(_ chunk: Int, _ offset: Int) -> Lanes {
                        raw.loadUnaligned(fromByteOffset: (chunk + offset) * stride, as: Lanes.self) + Lanes(repeating: triangle[offset])
                    }
                    for chunk in Swift.stride(from: 0, to: paddedBins, by: step) {
                        var top = Lanes(repeating: -.infinity)
                        let first = max(0, chunk - halfWidth), last = min(bins, chunk + step + halfWidth)
                        if first >= last || alive[last] - alive[first] > 0 {
                            // Four running maxima over interleaved offsets, so that each max
                            // need not wait for the one before (the maximum is exact in any order).
                            var tops = (top, top, top, top)
                            var offset = 0
                            while offset + 4 <= width {
                                let a = score(chunk, offset), b = score(chunk, offset + 1)
                                let c = score(chunk, offset + 2), d = score(chunk, offset + 3)
                                tops.0.replace(with: a, where: a .> tops.0)
                                tops.1.replace(with: b, where: b .> tops.1)
                                tops.2.replace(with: c, where: c .> tops.2)
                                tops.3.replace(with: d, where: d .> tops.3)
                                offset += 4
                            }
                            while offset < width {
                                let a = score(chunk, offset)
                                tops.0.replace(with: a, where: a .> tops.0)
                                offset += 1
                            }
                            tops.0.replace(with: tops.1, where: tops.1 .> tops.0)
                            tops.2.replace(with: tops.3, where: tops.3 .> tops.2)
                            top = tops.0
                            top.replace(with: tops.2, where: tops.2 .> top)
                        }
                        bestLanes.storeBytes(of: top, toByteOffset: chunk * stride, as: Lanes.self)
                    }
                }
            }
        }
    }

    /// The best predecessor of `state` among `previous` (a frame's scores), by the forward pass's
    /// arithmetic and tie-breaking: within a block the lowest offset of the best score, and
    /// staying in the block when staying scores as well as switching.
    private func predecessor(of state: Int, previous: [Float]) -> Int {
        let target = state / bins, j = state % bins
        let chunk = j / Lanes.scalarCount * Lanes.scalarCount
        let first = max(0, chunk - halfWidth), last = min(bins, chunk + Lanes.scalarCount + halfWidth)
        func best(in block: Int) -> (score: Float, source: Int) {
            let base = block * bins
            var top = -Float.infinity, source = j
            guard first >= last || (first..<last).contains(where: { previous[base + $0] > -Self.beam }) else { return (top, source) }
            for offset in 0..<width {
                let i = j + offset - halfWidth
                guard i >= 0 && i < bins else { continue }
                let score = (previous[base + i] - logRowSum[i]) + logTriangle[offset]
                if score > top { top = score; source = i }
            }
            return (top, source)
        }
        let same = best(in: target), other = best(in: 1 - target)
        return same.score + logStay >= other.score + logSwitch ? target * bins + same.source : (1 - target) * bins + other.source
    }

    /// Extends the best path to the newest frame: back from its best state until the path
    /// joins the one found for the previous frame.
    private mutating func backtrack() {
        var frame = history.count - 1
        while frame > 0 {
            let state = predecessor(of: path[frame], previous: history[frame - 1])
            if path[frame - 1] == state { break }
            path[frame - 1] = state
            frame -= 1
        }
    }

    private mutating func decide() -> Int? {
        guard history.count > lag else { return nil }
        recycled.append(history.removeFirst())
        return path.removeFirst()
    }

    /// The states of every frame not yet decided, oldest first.
    mutating func flush() -> [Int] {
        let states = Array(path)
        history.removeAll()
        path.removeAll()
        return states
    }
}
