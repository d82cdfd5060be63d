/// Per-modality part of a recording summary.
public struct ModalitySummary: Sendable, Equatable {
    /// Fraction of output frames where the modality contributed.
    public var coverage: Float
    /// Mean valence and arousal of that modality's own estimates, where present.
    public var valence: Float
    public var arousal: Float

    public init(coverage: Float, valence: Float, arousal: Float) {
        self.coverage = coverage
        self.valence = valence
        self.arousal = arousal
    }
}

/// The words a recording's text estimates read: where they came from, how many, and how sure
/// the recogniser was of them.
public struct WordsSummary: Sendable, Equatable {
    /// `transcript` (a file), the recogniser's model (`whisper-tiny.en`), or `none` (no words).
    public var source: String
    /// Words read.
    public var count: Int
    /// Mean confidence (0...1) of the recognised words; nil for a transcript file.
    public var meanConfidence: Float?

    public init(source: String, count: Int, meanConfidence: Float?) {
        self.source = source
        self.count = count
        self.meanConfidence = meanConfidence
    }
}

/// The recording-level record (DESIGN.md section 5): what a whole input amounts to.
public struct RecordingSummary: Sendable, Equatable {
    /// Span of the frame estimates, seconds.
    public var duration: Float
    /// Number of frame estimates.
    public var frames: Int
    /// Per modality (in `Modality.allCases` order): coverage and its own mean valence/arousal.
    public var modalities: [ModalitySummary]
    /// The recording's emotion: the category with the highest pooled probability (the frames'
    /// mean log-probability, as `emopipe train` decides a held-out recording), and the share of
    /// frames where it was on top.
    public var dominantEmotion: EmotionCategory
    public var dominantShare: Float
    /// Share of frames each category was on top (`EmotionCategory.allCases` order).
    public var emotionShares: [Float]
    /// The pooled probabilities (`EmotionCategory.allCases` order): the softmax of the mean
    /// log-probability over the frames with an estimate; empty without any.
    public var emotionProbabilities: [Float] = []
    public var valenceMean: Float
    public var valenceSpread: Float
    public var arousalMean: Float
    public var arousalSpread: Float
    public var dominanceMean: Float
    /// Recording-level A/H score in [0, 1] and label.
    public var ambivalence: Float
    public var ambivalent: Bool
    /// A/H segments, [start, end] in seconds.
    public var ambivalenceSegments: [[Float]]
    /// The cues behind the recording's A/H score, strongest first (see `aggregate.recording`).
    public var ambivalenceCues: [Cue] = []
    /// The words the text estimates read, when the pipeline gives aggregate.recording its text
    /// stream; nil otherwise.
    public var words: WordsSummary?
    /// An interim record of a run still going (`summary_every_s`), not the final one.
    public var interim = false
    /// Who it records, when known (subject calibration), else empty.
    public var subject: String = ""
    /// `none`, `subject` (every per-person baseline came from the subject's profile), or
    /// `partial: KEY, ...` (those baselines had too little data and stayed per input).
    public var calibration: String = "none"
    /// What produced it.
    public var pipeline: String
    public var configHash: String
    public var version: String

    public init(duration: Float, frames: Int, modalities: [ModalitySummary], dominantEmotion: EmotionCategory,
                dominantShare: Float, emotionShares: [Float], valenceMean: Float, valenceSpread: Float, arousalMean: Float,
                arousalSpread: Float, dominanceMean: Float, ambivalence: Float, ambivalent: Bool,
                ambivalenceSegments: [[Float]], pipeline: String, configHash: String, version: String) {
        self.duration = duration
        self.frames = frames
        self.modalities = modalities
        self.dominantEmotion = dominantEmotion
        self.dominantShare = dominantShare
        self.emotionShares = emotionShares
        self.valenceMean = valenceMean
        self.valenceSpread = valenceSpread
        self.arousalMean = arousalMean
        self.arousalSpread = arousalSpread
        self.dominanceMean = dominanceMean
        self.ambivalence = ambivalence
        self.ambivalent = ambivalent
        self.ambivalenceSegments = ambivalenceSegments
        self.pipeline = pipeline
        self.configHash = configHash
        self.version = version
    }
}
