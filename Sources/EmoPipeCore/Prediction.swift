/// The emotion categories EmoPipe estimates, in the order of `Prediction.probabilities`.
public enum EmotionCategory: String, CaseIterable, Sendable, Codable {
    case neutral, anger, disgust, fear, happiness, sadness, surprise
}

/// The modalities a frame-level estimate can draw on.
public enum Modality: String, CaseIterable, Sendable, Codable {
    case face, voice, eeg, text
}

/// A named cue value that drove an estimate, so a person can see why ("pause_s 1.3").
public struct Cue: Sendable, Equatable {
    /// Cue name, e.g. `face_valence`, `pause_s`.
    public var name: String
    /// The cue's value in its own unit (documented by the stage that computes it).
    public var value: Float

    public init(name: String, value: Float) {
        self.name = name
        self.value = value
    }
}

/// A frame-level estimate of emotion and ambivalence/hesitancy (DESIGN.md section 5).
public struct Prediction: Sendable, Equatable {
    /// Modalities that contributed at this frame.
    public var present: Set<Modality>
    /// Valence in [-1, 1].
    public var valence: Float
    /// Arousal in [-1, 1].
    public var arousal: Float
    /// Dominance in [-1, 1].
    public var dominance: Float
    /// One probability per `EmotionCategory.allCases`, summing to 1.
    public var probabilities: [Float]
    /// Ambivalence/hesitancy score in [0, 1].
    public var ambivalence: Float
    /// Whether the score passed the A/H decision threshold.
    public var ambivalent: Bool
    /// The few cues that drove this estimate, strongest first.
    public var cues: [Cue]

    public init(present: Set<Modality>, valence: Float, arousal: Float, dominance: Float,
                probabilities: [Float], ambivalence: Float, ambivalent: Bool, cues: [Cue]) {
        self.present = present
        self.valence = valence
        self.arousal = arousal
        self.dominance = dominance
        self.probabilities = probabilities
        self.ambivalence = ambivalence
        self.ambivalent = ambivalent
        self.cues = cues
    }

    /// The most probable category (the first one on ties).
    public var emotion: EmotionCategory {
        var best = 0
        for index in probabilities.indices where probabilities[index] > probabilities[best] { best = index }
        return EmotionCategory.allCases[best]
    }
}
