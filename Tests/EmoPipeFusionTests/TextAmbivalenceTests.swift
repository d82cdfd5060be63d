import EmoPipeCore
import Foundation
import Testing
@testable import EmoPipeFusion

/// The text A/H path: tallies, the shipped model, `text.ambivalence`, and how `fuse.ambivalence`
/// and `aggregate.recording` use its score. Sentences are written for these tests.
@Suite struct TextAmbivalenceTests {
    static let hesitant = "Um, I mean, I guess I could try. But I'm not sure, I don't know."
    static let decided = "I take the bus to work every morning. Then I have coffee with my team."

    @Test func tallyCountsWordsCuesAndSentences() {
        let tally = TextTally(text: Self.hesitant)
        #expect(TextTally.words("I'm NOT sure\u{2019}s 'quoted' well-known") == ["i'm", "not", "sure's", "quoted", "well", "known"])
        #expect(tally.words == 15 && tally.sentences == 2)
        #expect(tally.filledPauses == 1)                 // um
        #expect(tally.hedges == 4)                       // i mean, i guess, not sure, i don't know
        #expect(tally.contrasts == 1)                    // but
        #expect(tally.tentatives == 3)                   // guess, could, try
        #expect(tally.negations == 2)                    // not, don't
        #expect(tally.firstPerson == 5)                  // i, i, i'm, i, i
        #expect(tally.terms["i guess"] == 1 && tally.terms["i"] == 4)
        let features = Dictionary(uniqueKeysWithValues: zip(TextTally.featureNames, tally.features()))
        #expect(abs(features["log_words"]! - log(16)) < 1e-12)
        #expect(abs(features["hedges_per_100_words"]! - 400.0 / 15) < 1e-9)
        #expect(features["question_share"] == 0)
        let questions = TextTally(text: "Why? I wonder. Really?!")
        #expect(questions.sentences == 3 && questions.questions == 2)
    }

    /// Adding segments one by one tallies what the whole text tallies (bigrams span segments).
    @Test func segmentsAddUpToTheWholeText() {
        var parts = TextTally()
        parts.add("Um, I mean, I guess I could try.", seconds: 2)
        parts.add("But I'm not sure, I don't know.", seconds: 3)
        let whole = TextTally(text: Self.hesitant)
        #expect(parts.terms == whole.terms)
        #expect(parts.features() == whole.features())
        #expect(parts.wordsPerMinute == 15.0 / 5 * 60)
        #expect(whole.wordsPerMinute == nil)
    }

    @Test func shippedModelLoadsAndSaysWhereItCameFrom() throws {
        let model = try AmbivalenceTextModel.resolve("ah-text")
        #expect(model.vocabulary.count > 1000)
        #expect(model.threshold > 0.2 && model.threshold < 0.8)
        #expect(model.provenance.data.contains("168 people"))
        #expect((model.provenance.scores["person_cv_ap_pooled"] ?? 0) > 0.75)
        #expect(model.provenance.scores["fold5_macro_f1"] != nil)
        let scorer = AmbivalenceTextModel.Scorer(model)
        let result = scorer.score(TextTally(text: Self.hesitant))
        #expect(result.contributions.map(\.name) == model.contributionNames)
        let logit = result.contributions.map(\.value).reduce(model.intercept, +)
        #expect(abs(result.probability - 1 / (1 + exp(-logit))) < 1e-12)
        #expect((result.score >= 0.5) == (result.probability >= model.threshold))
    }

    @Test func brokenModelFilesAreNamed() throws {
        let model = try AmbivalenceTextModel.resolve("ah-text")
        var mismatched = model
        mismatched.idf.removeLast()
        let data = try JSONEncoder().encode(mismatched)
        #expect(throws: StageError("m.json: idf and term_weights need one value per vocabulary term (\(model.vocabulary.count))")) {
            _ = try AmbivalenceTextModel.load(json: data, source: "m.json")
        }
        let full = try JSONEncoder().encode(model)
        let error = try #require(throws: StageError.self) {
            _ = try AmbivalenceTextModel.load(json: full.prefix(full.count / 2), source: "cut.json")
        }
        #expect(error.message.hasPrefix("cut.json: not an EmoPipe A/H text model"))
        #expect(throws: StageError("/nowhere/ah.json: no such model (file or folder)")) { _ = try AmbivalenceTextModel.resolve("/nowhere/ah.json") }
        var unknown = model
        unknown.features = ["shouting"]
        unknown.mean = [0]
        unknown.scale = [1]
        unknown.featureWeights = [1]
        #expect(throws: StageError("u.json: unknown feature 'shouting'; features are " + TextTally.featureNames.joined(separator: ", "))) {
            _ = try AmbivalenceTextModel.load(json: JSONEncoder().encode(unknown), source: "u.json")
        }
    }

    static func segment(_ text: String, at start: Double, _ end: Double) -> Packet {
        Packet(timestamp: Timestamp(seconds: start), duration: Timestamp(seconds: end - start),
               payload: .text(TextSegment(end: Timestamp(seconds: end), text: text)))
    }

    /// Each row scores the transcript so far: the last one scores all of it, as training did.
    @Test func stageScoresTheTranscriptSoFar() throws {
        let stage = try StageHarness(TextAmbivalenceStage.descriptor, inputs: [.text])
        let model = try AmbivalenceTextModel.resolve("ah-text")
        guard case .features(let schema) = stage.outputFormats[0] else { Issue.record("no schema"); return }
        #expect(schema.names == ["text_ah", "text_ah_probability"] + model.contributionNames.map { "text_" + $0 })
        try stage.push(Self.segment("Um, I mean, I guess I could try.", at: 0, 2))
        try stage.push(Self.segment("But I'm not sure, I don't know.", at: 2.5, 5))
        let rows = stage.emitted().compactMap { packet -> [Float]? in if case .features(let row) = packet.payload { row.values } else { nil } }
        #expect(rows.count == 2)
        var first = TextTally()
        first.add("Um, I mean, I guess I could try.")
        #expect(rows[0][0] == Float(model.score(first).score))
        let whole = model.score(TextTally(text: Self.hesitant))
        #expect(rows[1][0] == Float(whole.score) && rows[1][1] == Float(whole.probability))
        #expect(stage.emitted()[1].timestamp == Timestamp(seconds: 2.5))
        let missing = try #require(throws: StageError.self) {
            _ = try StageHarness(TextAmbivalenceStage.descriptor, parameters: ["model": .string("nope")], inputs: [.text])
        }
        #expect(missing.message.hasPrefix("no model 'nope': looked for nope.json in "))
    }

    static let textSchema = StreamFormat.features(FeatureSchema(["text_ah", "text_ah_probability", "text_words", "text_hedges_per_100_words"]))

    static func textRow(_ score: Double, words: Double, hedges: Double, at time: Double) -> Packet {
        Packet(timestamp: Timestamp(seconds: time), payload: .features(FeatureRow([Float(score), 0.5, Float(words), Float(hedges)])))
    }

    static func affect(at time: Double, valences: [(String, Float)] = []) -> Packet {
        let prediction = Prediction(present: [.text], valence: 0, arousal: .nan, dominance: .nan,
                                    probabilities: [Float](repeating: 1 / 7, count: 7), ambivalence: .nan, ambivalent: false,
                                    cues: valences.map { Cue(name: $0.0 + "_valence", value: $0.1) })
        return Packet(timestamp: Timestamp(seconds: time), duration: Timestamp(seconds: 0.1), payload: .prediction(prediction))
    }

    static func predictions(_ packets: [Packet]) -> [Prediction] {
        packets.compactMap { if case .prediction(let p) = $0.payload { p } else { nil } }
    }

    /// With only words, the frame score is the text model's score; non-verbal cues add to it.
    @Test func fusionStartsFromTheTextScore() throws {
        let ah = try StageHarness(AmbivalenceStage.descriptor, inputs: [.prediction, Self.textSchema])
        var out = try ah.push(Self.affect(at: 0))
        out += try ah.push(Self.textRow(0.3, words: -0.6, hedges: 0.2, at: 0.05), input: 1)
        for index in 1..<10 { out += try ah.push(Self.affect(at: Double(index) / 10)) }
        out += try ah.finish()
        let frames = Self.predictions(out)
        #expect(frames.count == 10)
        // Frame 0 came before any word: the design rule. The others carry the text score itself.
        #expect(frames[0].cues.first?.name != "text_ah")
        for frame in frames.dropFirst() {
            #expect(abs(frame.ambivalence - 0.3) < 1e-6)
            #expect(!frame.ambivalent)
            #expect(frame.cues.first == Cue(name: "text_ah", value: 0.3))
            #expect(frame.cues.contains(Cue(name: "text_hedges_per_100_words", value: 0.2)))
        }
        // Face and text that disagree for 2 s raise it above the text score, and name the discord.
        let discord = try StageHarness(AmbivalenceStage.descriptor, inputs: [.prediction, Self.textSchema])
        var raised = try discord.push(Self.textRow(0.3, words: 0, hedges: 0, at: 0), input: 1)
        for index in 0..<30 { raised += try discord.push(Self.affect(at: Double(index) / 10, valences: [("face", 0.7), ("text", -0.6)])) }
        raised += try discord.finish()
        let last = try #require(Self.predictions(raised).last)
        #expect(last.ambivalence > 0.8)
        #expect(last.cues[0].name == "text_ah" && last.cues[1].name.hasPrefix("discord_"))
    }

    /// The recording's A/H is the whole transcript's text score moved by the mean non-verbal shift.
    @Test func recordingUsesTheWholeTranscriptsScore() throws {
        let aggregate = try StageHarness(RecordingAggregateStage.descriptor, inputs: [.prediction, Self.textSchema])
        var frames: [Packet] = []
        for index in 0..<20 {
            var packet = Self.affect(at: Double(index) / 10)
            guard case .prediction(var p) = packet.payload else { continue }
            // Text 0.4 then 0.7; the frames carry it, the last five raised by non-verbal cues.
            let text = index < 10 ? 0.4 : 0.7
            let shift = index >= 15 ? 1.0 : 0
            p.ambivalence = Float(1 / (1 + exp(-(log(text / (1 - text)) + shift))))
            packet.payload = .prediction(p)
            if index == 0 { try aggregate.push(Self.textRow(0.4, words: 0.1, hedges: 0.3, at: 0), input: 1) }
            if index == 10 { try aggregate.push(Self.textRow(0.7, words: 0.9, hedges: 0.0, at: 1.0), input: 1) }
            frames.append(packet)
            try aggregate.push(packet)
        }
        let out = try aggregate.finish()
        guard case .recording(let summary) = out.first?.payload else { Issue.record("no recording"); return }
        let expected = 1 / (1 + exp(-(log(0.7 / 0.3) + 5.0 / 20)))
        #expect(abs(Double(summary.ambivalence) - expected) < 1e-5)
        #expect(summary.ambivalent)
        #expect(summary.ambivalenceCues.map(\.name) == ["text_ah", "text_words", "nonverbal_shift"])
        // Without a text input the old rule holds: top tenth of frame scores, label from segments.
        let plain = try StageHarness(RecordingAggregateStage.descriptor, inputs: [.prediction])
        for packet in frames { try plain.push(packet) }
        guard case .recording(let old) = try plain.finish().first?.payload else { Issue.record("no recording"); return }
        #expect(abs(Double(old.ambivalence) - 1 / (1 + exp(-(log(0.7 / 0.3) + 1)))) < 1e-5)
        #expect(throws: StageError("aggregate.recording's second input must be text.ambivalence (a text_ah column)")) {
            _ = try StageHarness(RecordingAggregateStage.descriptor, inputs: [.prediction, .features(FeatureSchema(["x"]))])
        }
    }
}

extension TextAmbivalenceTests {
    /// A segment with no words yet gives no score: the A/H rules then run without a text base.
    @Test func noWordsNoTextScore() throws {
        let stage = try StageHarness(TextAmbivalenceStage.descriptor, inputs: [.text])
        #expect(try stage.push(Self.segment("  ", at: 0, 1)).isEmpty)
        #expect(try stage.push(Self.segment("[music]", at: 1, 2)).count == 1, "a bracketed word is a word")
    }
}
