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
/// A step into bin j of one block (voiced or unvoiced) comes from bin i of either block: its
/// score is max(same_i + log stay, other_i + log switch) - log rowSum_i + log triangle(j - i),
/// so each block's targets need one max-plus convolution of those combined sources. The
/// unvoiced block's is dense (a SIMD max-plus in lanes); voiced targets are scored only at the
/// bins holding YIN candidates, since every other voiced state has probability 0 (-inf).
///
/// The forward pass keeps only scores (no back pointers). Back pointers are recomputed, with
/// the same arithmetic, for the few states the best path visits: each frame's best path is
/// backtracked only until it joins the previous frame's, usually after one step.
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
    /// The summed voiced probability of each bin holding candidates (scratch).
    private var candidateSums: [(bin: Int, sum: Float)] = []
    /// The new scores of the voiced bins holding candidates (scratch).
    private var voicedScratch: [(bin: Int, score: Float)] = []
    /// The unvoiced targets' combined sources, with -inf margins of `halfWidth` (scratch).
    private var sources: [Float]
    /// The best combined source score of each unvoiced target (scratch).
    private var bestScore: [Float]

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
        sources = [Float](repeating: -.infinity, count: paddedBins + 2 * halfWidth + Lanes.scalarCount)
        bestScore = [Float](repeating: 0, count: paddedBins)
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
        // Candidates falling in one bin add up.
        candidateSums.removeAll(keepingCapacity: true)
        for (bin, probability) in voiced {
            if let index = candidateSums.firstIndex(where: { $0.bin == bin }) {
                candidateSums[index].sum += Float(probability)
            } else {
                candidateSums.append((bin, Float(probability)))
            }
        }
        var best = 0
        if !started {
            // Initial distribution: unvoiced, uniform over bins; voiced states start at
            // log(tiny) twice over (dead), as in the offline decoder.
            let logUniform = -Float(log(Double(bins)))
            for state in 0..<bins { delta[state] = logNone + logNone }
            for (bin, sum) in candidateSums where sum > 0 { delta[bin] = log(sum) + logNone }
            for state in bins..<states { delta[state] = logUnvoiced + logUniform }
            for state in 1..<states where delta[state] > delta[best] { best = state }
            started = true
        } else {
            unvoicedTargets()
            // Voiced targets: only where YIN put a candidate (elsewhere their probability is 0).
            var voicedScores = voicedScratch
            voicedScores.removeAll(keepingCapacity: true)
            for (bin, sum) in candidateSums where sum > 0 { voicedScores.append((bin, log(sum) + bestSource(of: bin))) }
            // New scores, normalised so that the best is 0; the best state is the first at the
            // peak. Rounding is monotonic, so the unvoiced peak is logUnvoiced + the best source.
            var voicedPeak = -Float.infinity
            for (_, score) in voicedScores { voicedPeak = max(voicedPeak, score) }
            let unvoicedPeak = logUnvoiced + Self.maximum(bestScore, count: bins)
            let peak = max(voicedPeak, unvoicedPeak)
            delta.withUnsafeMutableBufferPointer { delta in
                delta.baseAddress!.update(repeating: -.infinity, count: bins)
                for (bin, score) in voicedScores { delta[bin] = score - peak }
                bestScore.withUnsafeBufferPointer { best in
                    let stride = MemoryLayout<Float>.stride, step = Lanes.scalarCount, whole = bins / step * step
                    let source = UnsafeRawPointer(best.baseAddress!), target = UnsafeMutableRawPointer(delta.baseAddress! + bins)
                    for j in Swift.stride(from: 0, to: whole, by: step) {
                        let score = (Lanes(repeating: logUnvoiced) + source.loadUnaligned(fromByteOffset: j * stride, as: Lanes.self))
                            - Lanes(repeating: peak)
                        target.storeBytes(of: score, toByteOffset: j * stride, as: Lanes.self)
                    }
                    for j in whole..<bins { delta[bins + j] = (logUnvoiced + best[j]) - peak }
                }
                if voicedPeak == peak {
                    best = voicedScores.filter { $0.score == peak }.map(\.bin).min()!
                } else {
                    best = bins
                    while best < states - 1 && delta[best] != 0 { best += 1 }
                }
            }
            voicedScratch = voicedScores
        }
        var scores = recycled.popLast() ?? []
        scores.removeAll(keepingCapacity: true)
        scores.append(contentsOf: delta)
        history.append(scores)
        path.append(best)
        backtrack()
        return decide()
    }

    /// The largest of the first `count` values (no NaN), in SIMD lanes.
    private static func maximum(_ values: [Float], count: Int) -> Float {
        values.withUnsafeBufferPointer { values in
            let raw = UnsafeRawPointer(values.baseAddress!), stride = MemoryLayout<Float>.stride
            let step = Lanes.scalarCount, whole = count / step * step
            var lanes = Lanes(repeating: -.infinity)
            for j in Swift.stride(from: 0, to: whole, by: step) {
                let value = raw.loadUnaligned(fromByteOffset: j * stride, as: Lanes.self)
                lanes.replace(with: value, where: value .> lanes)
            }
            var top = lanes.max()
            for j in whole..<count { top = max(top, values[j]) }
            return top
        }
    }

    /// The combined source of bin i for targets in `block` (0 voiced, 1 unvoiced), from the
    /// previous frame's scores: max(same + log stay, other + log switch) - log rowSum_i.
    @inline(__always)
    private func combinedSource(_ i: Int, block: Int, in scores: UnsafeBufferPointer<Float>) -> (score: Float, stays: Bool) {
        let stay = scores[block * bins + i] + logStay, move = scores[(1 - block) * bins + i] + logSwitch
        return stay >= move ? (stay - logRowSum[i], true) : (move - logRowSum[i], false)
    }

    /// For every unvoiced bin j: the best over i = j - halfWidth ... j + halfWidth of its combined
    /// source plus log triangle(j - i), into `bestScore`, by SIMD lanes.
    private mutating func unvoicedTargets() {
        let bins = self.bins, halfWidth = self.halfWidth, width = self.width, paddedBins = self.paddedBins
        let logStay = self.logStay, logSwitch = self.logSwitch
        delta.withUnsafeBufferPointer { delta in
            logRowSum.withUnsafeBufferPointer { rowSum in
                sources.withUnsafeMutableBufferPointer { sources in
                    let stride = MemoryLayout<Float>.stride, step = Lanes.scalarCount, whole = bins / step * step
                    let voiced = UnsafeRawPointer(delta.baseAddress!), unvoiced = UnsafeRawPointer(delta.baseAddress! + bins)
                    let sums = UnsafeRawPointer(rowSum.baseAddress!)
                    let target = UnsafeMutableRawPointer(sources.baseAddress! + halfWidth)
                    for i in Swift.stride(from: 0, to: whole, by: step) {
                        let stay = unvoiced.loadUnaligned(fromByteOffset: i * stride, as: Lanes.self) + logStay
                        var move = voiced.loadUnaligned(fromByteOffset: i * stride, as: Lanes.self) + logSwitch
                        move.replace(with: stay, where: stay .>= move)
                        target.storeBytes(of: move - sums.loadUnaligned(fromByteOffset: i * stride, as: Lanes.self),
                                          toByteOffset: i * stride, as: Lanes.self)
                    }
                    for i in whole..<bins {
                        let stay = delta[bins + i] + logStay, move = delta[i] + logSwitch
                        sources[halfWidth + i] = (stay >= move ? stay : move) - rowSum[i]
                    }
                }
            }
        }
        sources.withUnsafeBufferPointer { sources in
            logTriangle.withUnsafeBufferPointer { triangle in
                bestScore.withUnsafeMutableBufferPointer { best in
                    let raw = UnsafeRawPointer(sources.baseAddress!)
                    let bestLanes = UnsafeMutableRawPointer(best.baseAddress!)
                    let stride = MemoryLayout<Float>.stride, step = Lanes.scalarCount
                    // Source bin j + offset - halfWidth sits at index j + offset of `sources`.
                    @inline(__always) func score(_ chunk: Int, _ offset: Int) -> Lanes {
                        raw.loadUnaligned(fromByteOffset: (chunk + offset) * stride, as: Lanes.self) + Lanes(repeating: triangle[offset])
                    }
                    for chunk in Swift.stride(from: 0, to: paddedBins, by: step) {
                        // Four running maxima over interleaved offsets, so that each max need
                        // not wait for the one before (the maximum is exact in any order).
                        var tops = (Lanes(repeating: -.infinity), Lanes(repeating: -.infinity),
                                    Lanes(repeating: -.infinity), Lanes(repeating: -.infinity))
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
                        tops.0.replace(with: tops.2, where: tops.2 .> tops.0)
                        bestLanes.storeBytes(of: tops.0, toByteOffset: chunk * stride, as: Lanes.self)
                    }
                }
            }
        }
    }

    /// The best combined source of voiced bin j plus log triangle(j - i) (scalar: few bins).
    private func bestSource(of j: Int) -> Float {
        delta.withUnsafeBufferPointer { delta in
            var top = -Float.infinity
            for offset in 0..<width {
                let i = j + offset - halfWidth
                guard i >= 0 && i < bins else { continue }
                top = max(top, combinedSource(i, block: 0, in: delta).score + logTriangle[offset])
            }
            return top
        }
    }

    /// The best predecessor of `state` among `previous` (a frame's scores), by the forward pass's
    /// arithmetic and tie-breaking: the lowest source bin of the best score, and staying in the
    /// block when staying scores as well as switching.
    private func predecessor(of state: Int, previous: [Float]) -> Int {
        let target = state / bins, j = state % bins
        return previous.withUnsafeBufferPointer { previous in
            var top = -Float.infinity, source = state
            for offset in 0..<width {
                let i = j + offset - halfWidth
                guard i >= 0 && i < bins else { continue }
                let combined = combinedSource(i, block: target, in: previous)
                let score = combined.score + logTriangle[offset]
                if score > top {
                    top = score
                    source = (combined.stays ? target : 1 - target) * bins + i
                }
            }
            return source
        }
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
