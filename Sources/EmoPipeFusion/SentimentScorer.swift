import EmoPipeCore
import Foundation
import HeapModule

/// Sentence valence by VADER's rules (Hutto & Gilbert, ICWSM 2014; the `vaderSentiment` 3.3.2
/// package, MIT licence, Copyright (c) 2016 C.J. Hutto): a 7,506-entry lexicon of mean human
/// ratings on -4..4 (`Models/lexicons/vader.tsv`, converted by `scripts/models/convert_vader.py`),
/// boosters and dampeners within three words before a rated word, negation within three words
/// ("not", "never", "n't", ...), "no" before a rated word, "least", ALL-CAPS emphasis, the "but"
/// shift (x0.5 before, x1.5 after), a few idioms, and "!"/"?" emphasis. The compound score is
/// `sum / sqrt(sum^2 + 15)`, in [-1, 1]. Emoji are not translated to words (VADER's emoji table is
/// not included): transcripts rarely hold them.
///
/// The booster, negation and idiom lists below are VADER's, with the same attribution.
public struct SentimentScorer: Sendable {
    /// The default scorer on `Models/lexicons/vader.tsv` from the model store, read once, or why
    /// it could not be read.
    static let loaded = load(from: .models)

    /// The scorer on `lexicons/vader.tsv` of `store`, or why it could not be read.
    static func load(from store: ModelStore) -> Result<SentimentScorer, ModelStoreError> {
        Result {
            let (path, data) = try store.read("lexicons/vader.tsv", inStore: true)
            let scorer = SentimentScorer(lexiconText: String(decoding: data, as: UTF8.self))
            guard !scorer.lexicon.isEmpty else {
                throw ModelStoreError(description: "\(path): no `token<TAB>valence` lines (a broken VADER lexicon)")
            }
            return scorer
        }.mapError { $0 as? ModelStoreError ?? ModelStoreError(description: "\($0)") }
    }

    /// The default scorer, or the error that names the missing or broken lexicon. Stages that
    /// score text call this when they are prepared, so a run without the lexicon stops there
    /// with that message.
    public static func requireDefault() throws -> SentimentScorer {
        try loaded.get()
    }

    /// The default scorer (`requireDefault`); a scorer with no words when the lexicon could not be
    /// read, which only code that skipped `requireDefault` sees.
    public static var vader: SentimentScorer {
        (try? loaded.get()) ?? SentimentScorer(lexiconText: "")
    }

    /// Lower-cased token to mean valence rating (-4..4).
    public let lexicon: [String: Double]

    /// Reads `token<TAB>valence` lines; `#` lines are comments.
    public init(lexiconText: String) {
        var lexicon: [String: Double] = [:]
        for line in lexiconText.split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: "\t")
            if fields.count == 2, let value = Double(fields[1]) { lexicon[String(fields[0])] = value }
        }
        self.lexicon = lexicon
    }

    static let boosterIncrement = 0.293
    static let capsIncrement = 0.733
    static let negationScalar = -0.74

    static let negations: Set<String> = [
        "aint", "arent", "cannot", "cant", "couldnt", "darent", "didnt", "doesnt", "ain't", "aren't", "can't", "couldn't",
        "daren't", "didn't", "doesn't", "dont", "hadnt", "hasnt", "havent", "isnt", "mightnt", "mustnt", "neither", "don't",
        "hadn't", "hasn't", "haven't", "isn't", "mightn't", "mustn't", "neednt", "needn't", "never", "none", "nope", "nor",
        "not", "nothing", "nowhere", "oughtnt", "shant", "shouldnt", "uhuh", "wasnt", "werent", "oughtn't", "shan't",
        "shouldn't", "uh-uh", "wasn't", "weren't", "without", "wont", "wouldnt", "won't", "wouldn't", "rarely", "seldom",
        "despite",
    ]

    static let boosters: [String: Double] = {
        let up = ["absolutely", "amazingly", "awfully", "completely", "considerable", "considerably", "decidedly", "deeply",
                  "effing", "enormous", "enormously", "entirely", "especially", "exceptional", "exceptionally", "extreme",
                  "extremely", "fabulously", "flipping", "flippin", "frackin", "fracking", "fricking", "frickin", "frigging",
                  "friggin", "fully", "fuckin", "fucking", "fuggin", "fugging", "greatly", "hella", "highly", "hugely",
                  "incredible", "incredibly", "intensely", "major", "majorly", "more", "most", "particularly", "purely",
                  "quite", "really", "remarkably", "so", "substantially", "thoroughly", "total", "totally", "tremendous",
                  "tremendously", "uber", "unbelievably", "unusually", "utter", "utterly", "very"]
        let down = ["almost", "barely", "hardly", "just enough", "kind of", "kinda", "kindof", "kind-of", "less", "little",
                    "marginal", "marginally", "occasional", "occasionally", "partly", "scarce", "scarcely", "slight",
                    "slightly", "somewhat", "sort of", "sorta", "sortof", "sort-of"]
        return Dictionary(uniqueKeysWithValues: up.map { ($0, boosterIncrement) } + down.map { ($0, -boosterIncrement) })
    }()

    static let specialCases: [String: Double] = [
        "the shit": 3, "the bomb": 3, "bad ass": 1.5, "badass": 1.5, "bus stop": 0, "yeah right": -2, "kiss of death": -1.5,
        "to die for": 3, "beating heart": 3.5,
    ]

    /// Python's `string.punctuation`.
    static let punctuation = Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")

    /// Python's `str.isupper()`: some cased character, and every cased character upper case.
    static func isUpper(_ word: String) -> Bool {
        var cased = false
        for character in word where character.isCased {
            if character.isLowercase { return false }
            cased = true
        }
        return cased
    }

    /// Whitespace-separated tokens with leading and trailing punctuation removed, unless that
    /// leaves two characters or fewer (then the token is kept whole: an emoticon, "a.", "I!").
    static func tokens(_ text: String) -> [String] {
        text.split(whereSeparator: \.isWhitespace).map { token in
            let stripped = token.drop { punctuation.contains($0) }.reversed().drop { punctuation.contains($0) }.reversed()
            return stripped.count <= 2 ? String(token) : String(stripped)
        }
    }

    /// The compound valence of `text` (one sentence, or a short passage), in [-1, 1]; 0 when it
    /// holds no rated word.
    public func compound(_ text: String) -> Double {
        let words = Self.tokens(text.trimmingCharacters(in: .whitespacesAndNewlines))
        let lower = words.map { $0.lowercased() }
        let upperCount = words.filter(Self.isUpper).count
        let capsDifferential = upperCount > 0 && upperCount < words.count
        var sentiments: [Double] = []
        for (i, word) in lower.enumerated() {
            if Self.boosters[word] != nil || (word == "kind" && i + 1 < lower.count && lower[i + 1] == "of") {
                sentiments.append(0)
                continue
            }
            sentiments.append(valence(at: i, words: words, lower: lower, capsDifferential: capsDifferential))
        }
        if let but = lower.firstIndex(of: "but") { Self.butShift(&sentiments, at: but) }
        guard !sentiments.isEmpty else { return 0 }
        var sum = sentiments.reduce(0, +)
        let exclamations = min(text.filter { $0 == "!" }.count, 4)
        let questions = text.filter { $0 == "?" }.count
        let emphasis = Double(exclamations) * 0.292 + (questions > 1 ? (questions <= 3 ? Double(questions) * 0.18 : 0.96) : 0)
        if sum > 0 { sum += emphasis } else if sum < 0 { sum -= emphasis }
        return min(1, max(-1, sum / (sum * sum + 15).squareRoot()))
    }

    /// VADER's "but" rule: for each value of the list as it was, the first position that now
    /// holds that value is halved before the "but" and multiplied by 1.5 after it. VADER finds
    /// that position by a linear search each time (quadratic in the words); here each value's
    /// positions sit in a min-heap, so a long text costs n log n.
    static func butShift(_ sentiments: inout [Double], at but: Int) {
        var positions: [Double: Heap<Int>] = [:]
        for (index, value) in sentiments.enumerated() { positions[value, default: Heap()].insert(index) }
        for value in sentiments {
            // Zero stays zero wherever it is: nothing to rewrite.
            guard value != 0 else { continue }
            // Positions whose value has changed since they were filed are dropped as met.
            var found: Int?
            while let index = positions[value]?.min {
                if sentiments[index] == value {
                    found = index
                    break
                }
                _ = positions[value]?.popMin()
            }
            guard let index = found, index != but else { continue }
            let shifted = index < but ? value * 0.5 : value * 1.5
            sentiments[index] = shifted
            _ = positions[value]?.popMin()
            positions[shifted, default: Heap()].insert(index)
        }
    }

    private func valence(at i: Int, words: [String], lower: [String], capsDifferential: Bool) -> Double {
        guard let rated = lexicon[lower[i]] else { return 0 }
        var valence = rated
        if lower[i] == "no", i != lower.count - 1, lexicon[lower[i + 1]] != nil { valence = 0 }
        if (i > 0 && lower[i - 1] == "no") || (i > 1 && lower[i - 2] == "no")
            || (i > 2 && lower[i - 3] == "no" && ["or", "nor"].contains(lower[i - 1])) {
            valence = rated * Self.negationScalar
        }
        if Self.isUpper(words[i]) && capsDifferential { valence += valence > 0 ? Self.capsIncrement : -Self.capsIncrement }
        for start in 0..<3 where i > start && lexicon[lower[i - (start + 1)]] == nil {
            var scalar = 0.0
            let modifier = words[i - (start + 1)]
            if let booster = Self.boosters[modifier.lowercased()] {
                scalar = valence < 0 ? -booster : booster
                if Self.isUpper(modifier) && capsDifferential { scalar += valence > 0 ? Self.capsIncrement : -Self.capsIncrement }
            }
            if start == 1 && scalar != 0 { scalar *= 0.95 }
            if start == 2 && scalar != 0 { scalar *= 0.9 }
            valence += scalar
            valence = negationCheck(valence, lower: lower, start: start, i: i)
            if start == 2 { valence = idiomCheck(valence, lower: lower, i: i) }
        }
        // "least": negates unless "at least" or "very least".
        if i > 1, lexicon[lower[i - 1]] == nil, lower[i - 1] == "least" {
            if lower[i - 2] != "at" && lower[i - 2] != "very" { valence *= Self.negationScalar }
        } else if i > 0, lexicon[lower[i - 1]] == nil, lower[i - 1] == "least" {
            valence *= Self.negationScalar
        }
        return valence
    }

    static func negated(_ word: String) -> Bool { negations.contains(word) || word.contains("n't") }

    private func negationCheck(_ valence: Double, lower: [String], start: Int, i: Int) -> Double {
        switch start {
        case 0:
            return Self.negated(lower[i - 1]) ? valence * Self.negationScalar : valence
        case 1:
            if lower[i - 2] == "never" && (lower[i - 1] == "so" || lower[i - 1] == "this") { return valence * 1.25 }
            if lower[i - 2] == "without" && lower[i - 1] == "doubt" { return valence }
            return Self.negated(lower[i - 2]) ? valence * Self.negationScalar : valence
        default:
            if (lower[i - 3] == "never" && (lower[i - 2] == "so" || lower[i - 2] == "this")) || (lower[i - 1] == "so" || lower[i - 1] == "this") {
                return valence * 1.25
            }
            if lower[i - 3] == "without" && (lower[i - 2] == "doubt" || lower[i - 1] == "doubt") { return valence }
            return Self.negated(lower[i - 3]) ? valence * Self.negationScalar : valence
        }
    }

    private func idiomCheck(_ valence: Double, lower: [String], i: Int) -> Double {
        var valence = valence
        let oneZero = lower[i - 1] + " " + lower[i]
        let twoOneZero = lower[i - 2] + " " + lower[i - 1] + " " + lower[i]
        let twoOne = lower[i - 2] + " " + lower[i - 1]
        let threeTwoOne = lower[i - 3] + " " + lower[i - 2] + " " + lower[i - 1]
        let threeTwo = lower[i - 3] + " " + lower[i - 2]
        for sequence in [oneZero, twoOneZero, twoOne, threeTwoOne, threeTwo] {
            if let special = Self.specialCases[sequence] {
                valence = special
                break
            }
        }
        if lower.count - 1 > i, let special = Self.specialCases[lower[i] + " " + lower[i + 1]] { valence = special }
        if lower.count - 1 > i + 1, let special = Self.specialCases[lower[i] + " " + lower[i + 1] + " " + lower[i + 2]] { valence = special }
        for gram in [threeTwoOne, threeTwo, twoOne] { if let booster = Self.boosters[gram] { valence += booster } }
        return valence
    }
}
