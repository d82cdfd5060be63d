@testable import EmoPipeAudio
import Foundation
import Testing

/// The online pYIN decoder (scores-only forward pass, back pointers recomputed along the best
/// path) against a textbook fixed-lag Viterbi that stores every back pointer.
@Suite struct PitchViterbiTests {
    private struct Frame { var voiced: [(bin: Int, probability: Double)]; var voicedProbability: Double }

    /// Sparse random observations: a few candidates near a wandering pitch, sometimes none.
    private func frames(count: Int, bins: Int, seed: UInt64) -> [Frame] {
        var random = SeededGenerator(seed: seed)
        var pitch = Double(bins) / 2
        return (0..<count).map { _ in
            pitch = min(Double(bins - 1), max(0, pitch + Double.random(in: -3...3, using: &random)))
            guard Double.random(in: 0...1, using: &random) > 0.25 else { return Frame(voiced: [], voicedProbability: 0) }
            let voiced = (0..<Int.random(in: 1...3, using: &random)).map { _ in
                (bin: min(bins - 1, max(0, Int(pitch) + Int.random(in: -6...6, using: &random))),
                 probability: Double.random(in: 0.02...0.3, using: &random))
            }
            return Frame(voiced: voiced, voicedProbability: min(1, voiced.reduce(0) { $0 + $1.probability }))
        }
    }

    /// Every frame's decided state by full Viterbi with stored back pointers: frame t is decided
    /// as the ancestor of the best state at t + lag (or at the last frame).
    private func reference(_ frames: [Frame], bins: Int, width: Int, switchProbability: Double, lag: Int) -> [Int] {
        let halfWidth = width / 2, states = 2 * bins
        let triangle = (0..<width).map { 1 - abs(Double($0 - halfWidth)) / Double(halfWidth + 1) }
        let logTriangle = triangle.map { Float(log($0)) }
        let logRowSum: [Float] = (0..<bins).map { i in
            Float(log((0..<width).reduce(0.0) { sum, offset in
                let j = i + offset - halfWidth
                return j >= 0 && j < bins ? sum + triangle[offset] : sum
            }))
        }
        let logStay = Float(log(1 - switchProbability)), logSwitch = Float(log(switchProbability))
        let logNone = Float(log(1e-300))
        var delta = [Float](repeating: 0, count: states)
        var pointers: [[Int]] = []
        var bestStates: [Int] = []
        for (t, frame) in frames.enumerated() {
            var observation = [Float](repeating: 0, count: states)
            for (bin, probability) in frame.voiced { observation[bin] += Float(probability) }
            for j in 0..<bins { observation[j] = observation[j] > 0 ? log(observation[j]) : logNone }
            let logUnvoiced = Float(log(max(1e-300, (1 - frame.voicedProbability) / Double(bins))))
            for j in bins..<states { observation[j] = logUnvoiced }
            if t == 0 {
                for s in 0..<states { delta[s] = observation[s] + (s < bins ? logNone : -Float(log(Double(bins)))) }
                pointers.append([Int](repeating: -1, count: states))
            } else {
                var next = [Float](repeating: -.infinity, count: states), back = [Int](repeating: 0, count: states)
                for target in 0..<states {
                    let block = target / bins, j = target % bins
                    for source in 0..<states {
                        let i = source % bins, offset = j - i + halfWidth
                        guard offset >= 0, offset < width else { continue }
                        let score = (delta[source] - logRowSum[i]) + logTriangle[offset] + (source / bins == block ? logStay : logSwitch)
                        if score > next[target] { next[target] = score; back[target] = source }
                    }
                    next[target] += observation[target]
                }
                let peak = next.max()!
                delta = next.map { $0 - peak }
                pointers.append(back)
            }
            bestStates.append(delta.indices.max { delta[$0] < delta[$1] || (delta[$0] == delta[$1] && $0 > $1) }!)
        }
        func ancestor(of state: Int, at from: Int, back to: Int) -> Int {
            var state = state
            for t in stride(from: from, to: to, by: -1) { state = pointers[t][state] }
            return state
        }
        return frames.indices.map { t in
            let decider = min(t + lag, frames.count - 1)
            return ancestor(of: bestStates[decider], at: decider, back: t)
        }
    }

    private func decode(_ frames: [Frame], viterbi: inout PitchViterbi) -> [Int] {
        var states: [Int] = []
        for frame in frames {
            if let state = viterbi.push(voiced: frame.voiced, voicedProbability: frame.voicedProbability) { states.append(state) }
        }
        return states + viterbi.flush()
    }

    @Test(arguments: [(lag: 5, seed: UInt64(1)), (lag: 50, seed: 2), (lag: 10_000, seed: 3)])
    func decodesAsAViterbiThatStoresEveryBackPointer(lag: Int, seed: UInt64) {
        // 55-110 Hz at 0.25 semitone: 49 bins; 9 bins of transition width.
        var viterbi = PitchViterbi(fmin: 55, fmax: 110, binsPerSemitone: 4, transitionWidth: 9, switchProbability: 0.01, lag: lag)
        let input = frames(count: 300, bins: viterbi.bins, seed: seed)
        let ours = decode(input, viterbi: &viterbi)
        let expected = reference(input, bins: viterbi.bins, width: 9, switchProbability: 0.01, lag: lag)
        #expect(ours.count == input.count)
        let differing = zip(ours, expected).filter { $0 != $1 }.count
        #expect(differing == 0, "\(differing) of \(input.count) frames decoded differently")
        #expect(Set(ours.map { $0 < viterbi.bins }).count == 2, "both voiced and unvoiced frames occur")
    }
}
