/// The cues behind an A/H score, each scaled to [0, 1], with the weights that combine them.
///
/// BAH (Behavioural Ambivalence/Hesitancy) describes A/H as discord between what face, voice and
/// words say, and as hesitation: pauses, filled pauses, hedges, slowed speech, gaze aversion, head
/// shakes, pressed lips and lowered brows. The score is a logistic of the weighted cues. These
/// weights are design values, not fitted: BAH's labels here are transcripts only, so only the text
/// part is fitted (`AmbivalenceTextModel`, `emopipe train --task ah`). When a fitted text score
/// is present it is the logistic's base (`score(_:base:)`) and these weights add the non-verbal
/// cues to it.
public enum AmbivalenceCues {
    /// (cue name, weight). Order is the tie-break order in explanations.
    public static let weights: [(name: String, weight: Double)] = [
        ("discord", 4.0),            // largest |valence difference| between two present modalities, averaged over discord_s, / 1.2 (+0.6 vs -0.6 is full discord)
        ("valence_alternation", 1.5), // fused-valence sign changes (|valence| > 0.2) in the window / 3
        ("pause", 1.0),               // current pause inside speech, seconds / 2
        ("filled_pauses", 1.5),       // um/uh/er in the window / 2
        ("hedges", 1.0),              // hedges, "but" reversals, self-corrections in the window / 3
        ("speech_rate_drop", 1.0),    // 1 - voiced segments per s / the input's median, when lower
        ("gaze_aversion", 0.8),       // head turned away from its usual direction (0/1)
        ("head_shake", 1.0),          // yaw swings in the last 1.5 s / 4
        ("lip_press", 0.8),           // AU23 / 5
        ("brow_lowering", 0.8),       // AU04 / 5
    ]
    /// The logistic's offset: with every cue at 0 the score is 0.05.
    public static let bias = -2.944

    /// The score from cue values (missing cues count as 0), on top of `base`: the design bias when
    /// nil, else the logit of a fitted score (such as the text model's).
    public static func score(_ values: [String: Double], base: Double? = nil) -> (score: Double, contributions: [(String, Double)]) {
        var total = base.map { log(max($0, 1e-9) / max(1 - $0, 1e-9)) } ?? bias
        var contributions: [(String, Double)] = []
        for (name, weight) in weights {
            let value = min(1, max(0, values[name] ?? 0))
            total += weight * value
            contributions.append((name, weight * value))
        }
        return (1 / (1 + exp(-total)), contributions)
    }
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
