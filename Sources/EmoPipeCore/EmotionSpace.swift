/// Where each emotion category sits in valence/arousal/dominance, and its TONE/Parrott primary
/// emotion: the one place this mapping lives (DESIGN.md section 5).
///
/// Coordinates are Mehrabian and Russell's pleasure-arousal-dominance ratings of the terms
/// (Mehrabian 1980; Russell and Mehrabian 1977), each in [-1, 1]: angry, disgusted, afraid,
/// happy, sad, surprised; neutral at the origin.
public enum EmotionSpace {
    public static let coordinates: [EmotionCategory: SIMD3<Double>] = [
        .neutral: SIMD3(0, 0, 0),
        .anger: SIMD3(-0.51, 0.59, 0.25),
        .disgust: SIMD3(-0.60, 0.35, 0.11),
        .fear: SIMD3(-0.64, 0.60, -0.43),
        .happiness: SIMD3(0.81, 0.51, 0.46),
        .sadness: SIMD3(-0.63, -0.27, -0.33),
        .surprise: SIMD3(0.40, 0.67, -0.13),
    ]

    /// Parrott's (2001) primary emotion of each category, as TONE uses them (love, joy, surprise,
    /// anger, sadness, fear); Parrott files disgust under anger; neutral has none.
    public static let parrottPrimary: [EmotionCategory: String] = [
        .neutral: "none", .anger: "anger", .disgust: "anger", .fear: "fear", .happiness: "joy",
        .sadness: "sadness", .surprise: "surprise",
    ]

    /// The valence/arousal/dominance point of a probability distribution over the categories
    /// (`EmotionCategory.allCases` order): the probability-weighted mean of their coordinates.
    public static func point(of probabilities: [Double]) -> SIMD3<Double> {
        var point = SIMD3<Double>.zero
        for (category, p) in zip(EmotionCategory.allCases, probabilities) { point += p * coordinates[category]! }
        return point
    }

    /// Category probabilities for a valence/arousal/dominance point, when only the point is known
    /// (an EEG estimate): a Gaussian kernel of width `width` around each category's coordinates.
    /// Dimensions that are NaN are left out of the distance.
    public static func probabilities(near point: SIMD3<Double>, width: Double = 0.5) -> [Double] {
        let weights = EmotionCategory.allCases.map { category -> Double in
            let c = coordinates[category]!
            var distance = 0.0
            for axis in 0..<3 where point[axis].isFinite { distance += (point[axis] - c[axis]) * (point[axis] - c[axis]) }
            return exp(-distance / (2 * width * width))
        }
        let total = weights.reduce(0, +)
        return weights.map { $0 / total }
    }
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
