import Foundation

/// Running tallies of a transcript for the text A/H model: word uni- and bigram counts, hesitation
/// cue counts (`HesitationLexicon`) and sentence valences (`SentimentScorer`). Segments are added
/// as they come; the tallies, and so the features, describe everything added so far, in constant
/// memory per distinct term. Training (`emopipe train --task ah`) and run time (`text.ambivalence`)
/// both go through this one type, so they see the same tokens and features.
///
/// Words are lower-cased runs of letters, digits and apostrophes (curly apostrophes made straight;
/// apostrophes at either end dropped). Sentences end at `.`, `!`, `?` and at the end of a segment.
public struct TextTally: Sendable {
    /// Unigram and bigram counts ("but", "i guess"); bigrams also span segment boundaries.
    public private(set) var terms: [String: Int] = [:]
    public private(set) var words = 0
    public private(set) var sentences = 0
    public private(set) var questions = 0
    public private(set) var filledPauses = 0
    public private(set) var hedges = 0
    public private(set) var contrasts = 0
    public private(set) var tentatives = 0
    public private(set) var negations = 0
    public private(set) var selfCorrections = 0
    public private(set) var firstPerson = 0
    /// Seconds of transcript added with a duration (for words per minute); 0 when untimed.
    public private(set) var seconds = 0.0
    private var valenceSum = 0.0
    private var valenceShiftSum = 0.0
    private var signChanges = 0
    private var lastValence: Double?
    private var lastSign = 0
    private var previousWord: String?

    public init() {}

    /// The tally of one whole text.
    public init(text: String) {
        add(text)
    }

    /// Names of `features()`, in order.
    public static let featureNames = [
        "log_words", "log_sentences", "words_per_sentence", "question_share",
        "filled_pauses_per_100_words", "hedges_per_100_words", "contrasts_per_100_words", "tentatives_per_100_words",
        "negations_per_100_words", "self_corrections_per_100_words", "first_person_per_100_words",
        "valence_mean", "valence_shift", "valence_sign_changes",
    ]

    /// Adds a segment's text; `seconds` is its duration when known.
    public mutating func add(_ text: String, seconds duration: Double? = nil) {
        if let duration, duration.isFinite, duration > 0 { seconds += duration }
        for sentence in Self.sentences(text) {
            let tokens = Self.words(sentence.text)
            guard !tokens.isEmpty else { continue }
            sentences += 1
            if sentence.question { questions += 1 }
            let valence = SentimentScorer.vader.compound(sentence.text)
            valenceSum += valence
            if let last = lastValence { valenceShiftSum += abs(valence - last) }
            lastValence = valence
            let sign = valence > 0.05 ? 1 : valence < -0.05 ? -1 : 0
            if sign != 0 {
                if lastSign != 0 && sign != lastSign { signChanges += 1 }
                lastSign = sign
            }
            count(tokens)
        }
    }

    private mutating func count(_ tokens: [String]) {
        let lexicon = HesitationLexicon.self
        words += tokens.count
        for (index, token) in tokens.enumerated() {
            terms[token, default: 0] += 1
            if let previous = index > 0 ? tokens[index - 1] : previousWord { terms[previous + " " + token, default: 0] += 1 }
            if lexicon.filledPauses.contains(token) { filledPauses += 1 }
            if lexicon.reversals.contains(token) { contrasts += 1 }
            if lexicon.tentatives.contains(token) { tentatives += 1 }
            if lexicon.negations.contains(token) { negations += 1 }
            if lexicon.firstPerson.contains(token) { firstPerson += 1 }
            if index > 0, tokens[index - 1] == token, !lexicon.filledPauses.contains(token) { selfCorrections += 1 }
        }
        hedges += lexicon.count(lexicon.hedges, in: tokens)
        selfCorrections += lexicon.count(lexicon.selfCorrections, in: tokens)
        previousWord = tokens.last
    }

    /// The features in `featureNames` order; rates are per 100 words, shares per sentence.
    public func features() -> [Double] {
        let perWord = 100 / Double(max(words, 1)), perSentence = 1 / Double(max(sentences, 1))
        return [
            log(1 + Double(words)), log(1 + Double(sentences)), Double(words) * perSentence, Double(questions) * perSentence,
            Double(filledPauses) * perWord, Double(hedges) * perWord, Double(contrasts) * perWord, Double(tentatives) * perWord,
            Double(negations) * perWord, Double(selfCorrections) * perWord, Double(firstPerson) * perWord,
            valenceSum * perSentence, valenceShiftSum / Double(max(sentences - 1, 1)), Double(signChanges) / Double(max(sentences - 1, 1)),
        ]
    }

    /// Words per minute of the timed segments; nil when none was timed.
    public var wordsPerMinute: Double? { seconds > 0 ? Double(words) / seconds * 60 : nil }

    /// Lower-cased words of `text` (see the type's description).
    public static func words(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        func flush() {
            let trimmed = current.trimmingCharacters(in: CharacterSet(charactersIn: "'"))
            if !trimmed.isEmpty { tokens.append(trimmed) }
            current = ""
        }
        for character in text.lowercased() {
            if character.isLetter || character.isNumber {
                current.append(character)
            } else if character == "'" || character == "\u{2019}" {
                current.append("'")
            } else {
                flush()
            }
        }
        flush()
        return tokens
    }

    /// Sentences of `text`: runs ending at `.`, `!` or `?` (a run of them ends one sentence), and
    /// the rest; whether each ends with `?`.
    static func sentences(_ text: String) -> [(text: String, question: Bool)] {
        var result: [(String, Bool)] = []
        var current = ""
        var terminator: Character?
        for character in text {
            if character == "." || character == "!" || character == "?" {
                current.append(character)
                terminator = character == "?" || terminator == "?" ? "?" : character
                continue
            }
            if terminator != nil {
                result.append((current, terminator == "?"))
                current = ""
                terminator = nil
            }
            current.append(character)
        }
        if !current.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { result.append((current, terminator == "?")) }
        return result
    }
}
