/// EmoPipe's own English word lists for transcript cues, written for this project (not taken from
/// a published lexicon). Matching is on lower-cased words with punctuation stripped; multi-word
/// entries match consecutive words.
public enum HesitationLexicon {
    /// Filled pauses and hesitation sounds.
    public static let filledPauses: Set<String> = ["um", "umm", "uh", "uhh", "er", "erm", "err", "hmm", "hm", "mm", "ah", "eh", "uhm"]

    /// Hedges: words and phrases that soften or withhold commitment.
    public static let hedges: [[String]] = [
        ["maybe"], ["perhaps"], ["possibly"], ["probably"], ["apparently"], ["somewhat"], ["sort", "of"], ["kind", "of"],
        ["kinda"], ["sorta"], ["i", "guess"], ["i", "think"], ["i", "suppose"], ["i", "mean"], ["not", "sure"],
        ["i", "don't", "know"], ["i", "dont", "know"], ["dunno"], ["might"], ["could", "be"], ["more", "or", "less"],
        ["in", "a", "way"], ["i", "believe"], ["it", "depends"], ["seems"], ["somehow"], ["unsure"], ["undecided"],
    ]

    /// Words that turn an utterance around ("but" reversals).
    public static let reversals: Set<String> = ["but", "however", "although", "though", "yet", "nevertheless", "nonetheless",
                                               "whereas", "except", "still", "anyway"]

    /// Negations (a negation flips the valence of the next scored word within three words).
    public static let negations: Set<String> = ["not", "no", "never", "nothing", "nobody", "none", "neither", "nor", "nowhere",
                                               "cannot", "can't", "don't", "doesn't", "didn't", "won't", "wouldn't", "isn't",
                                               "aren't", "wasn't", "weren't", "shouldn't", "couldn't", "haven't", "hasn't", "dont", "cant"]

    /// Self-corrections and restarts.
    public static let selfCorrections: [[String]] = [
        ["i", "mean"], ["sorry"], ["rather"], ["actually"], ["no", "wait"], ["let", "me", "rephrase"], ["scratch", "that"],
        ["that", "is"], ["or", "rather"], ["well"],
    ]

    /// Valence of common English affect words, in [-1, 1].
    public static let valence: [String: Double] = [
        // positive
        "good": 0.6, "great": 0.8, "excellent": 0.9, "wonderful": 0.9, "amazing": 0.9, "awesome": 0.8, "fantastic": 0.9,
        "happy": 0.8, "glad": 0.6, "love": 0.9, "loved": 0.8, "like": 0.3, "liked": 0.4, "enjoy": 0.6, "enjoyed": 0.6,
        "nice": 0.5, "pleased": 0.6, "delighted": 0.8, "excited": 0.7, "fun": 0.6, "beautiful": 0.7, "best": 0.8,
        "better": 0.4, "hope": 0.4, "hopeful": 0.5, "calm": 0.3, "relaxed": 0.4, "comfortable": 0.4, "safe": 0.4,
        "proud": 0.6, "grateful": 0.7, "thanks": 0.5, "thank": 0.5, "agree": 0.3, "yes": 0.2, "sure": 0.2, "right": 0.1,
        "easy": 0.3, "helpful": 0.5, "interesting": 0.4, "fine": 0.2, "okay": 0.1, "ok": 0.1, "laugh": 0.6, "smile": 0.6,
        "success": 0.7, "win": 0.6, "perfect": 0.8, "trust": 0.5, "benefit": 0.4, "healthy": 0.5, "confident": 0.5,
        // negative
        "bad": -0.6, "terrible": -0.9, "awful": -0.9, "horrible": -0.9, "hate": -0.9, "hated": -0.8, "sad": -0.7,
        "unhappy": -0.7, "angry": -0.8, "mad": -0.6, "upset": -0.7, "afraid": -0.7, "scared": -0.7, "fear": -0.7,
        "worried": -0.6, "worry": -0.5, "anxious": -0.6, "nervous": -0.5, "stress": -0.6, "stressed": -0.6, "hurt": -0.7,
        "pain": -0.7, "sick": -0.6, "tired": -0.4, "bored": -0.4, "boring": -0.5, "disappointed": -0.7, "sorry": -0.3,
        "problem": -0.5, "problems": -0.5, "wrong": -0.5, "difficult": -0.4, "hard": -0.3, "worse": -0.6, "worst": -0.8,
        "fail": -0.7, "failed": -0.7, "lose": -0.6, "lost": -0.5, "cry": -0.7, "disgusting": -0.9, "annoyed": -0.6,
        "annoying": -0.6, "risk": -0.4, "dangerous": -0.6, "doubt": -0.4, "unsafe": -0.6, "distrust": -0.6, "lonely": -0.7,
    ]
}
