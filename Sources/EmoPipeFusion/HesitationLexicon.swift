/// EmoPipe's own English word lists for transcript hesitation cues, written for this project (not
/// taken from a published lexicon; valence comes from VADER's, `SentimentScorer`). Matching is on lower-cased words with punctuation stripped; multi-word
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

    /// Modal and tentative verbs: possibility, obligation and intention rather than commitment.
    public static let tentatives: Set<String> = ["could", "would", "should", "might", "may", "must", "ought", "try", "tried",
                                                "trying", "tries", "wish", "hope", "hoping", "want", "wanted", "wanting",
                                                "supposed", "probably", "guess", "wonder", "considering", "planning"]

    /// First-person singular words.
    public static let firstPerson: Set<String> = ["i", "me", "my", "mine", "myself", "i'm", "i've", "i'd", "i'll", "im", "ive"]

    /// Self-corrections and restarts.
    public static let selfCorrections: [[String]] = [
        ["i", "mean"], ["sorry"], ["rather"], ["actually"], ["no", "wait"], ["let", "me", "rephrase"], ["scratch", "that"],
        ["that", "is"], ["or", "rather"], ["well"],
    ]

    /// Occurrences of the (multi-word) phrases in `words`.
    public static func count(_ phrases: [[String]], in words: [String]) -> Int {
        var total = 0
        for phrase in phrases where phrase.count <= words.count {
            for start in 0...(words.count - phrase.count) where words[start..<(start + phrase.count)].elementsEqual(phrase) { total += 1 }
        }
        return total
    }
}
