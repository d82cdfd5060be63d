import EmoPipeCore
import Foundation
import Testing
@testable import EmoPipeFusion

@Suite struct TextAndModelTests {
    @Test func srtVttAndJSONTranscriptsParse() throws {
        let srt = "1\n00:00:01,000 --> 00:00:02,500\nUm, I'm <i>not</i> sure.\n\n2\n00:00:03,000 --> 00:00:04,000\nBut maybe.\n"
        let a = try TranscriptParser.parse(srt, format: "srt", file: "a.srt")
        #expect(a.map(\.start) == [1, 3] && a.map(\.end) == [2.5, 4] && a[0].text == "Um, I'm not sure.")
        let vtt = "WEBVTT\n\n00:01.000 --> 00:02.500 align:start\n<v Ann>Hello there\n"
        let b = try TranscriptParser.parse(vtt, format: "vtt", file: "b.vtt")
        #expect(b.count == 1 && b[0].start == 1 && b[0].text == "Hello there")
        let json = #"{"segments":[{"start":0.5,"end":1.5,"text":" I love it","words":[{"start":0.5,"end":0.7,"word":" I"},{"start":0.8,"end":1.5,"word":" love it"}]}]}"#
        let c = try TranscriptParser.parse(json, format: "json", file: "c.json")
        #expect(c.count == 1 && c[0].words.count == 2 && c[0].text == "I love it")
        #expect(throws: StageError("d.srt:2: bad cue timing '00:00:05,000 --> 00:00:04,000'")) {
            _ = try TranscriptParser.parse("1\n00:00:05,000 --> 00:00:04,000\nx\n", format: "srt", file: "d.srt")
        }
    }

    @Test func textCuesCountHesitationAndScoreValence() {
        let cues = TextCuesStage.cues("Um, I don't know, I think it's good, but uh I I am not happy.")
        let named = Dictionary(uniqueKeysWithValues: zip(TextCuesStage.columns, cues))
        #expect(named["filled_pauses"] == 2)
        #expect(named["hedges"]! >= 2)       // "I don't know", "I think"
        #expect(named["reversals"] == 1)
        #expect(named["self_corrections"]! >= 1)  // "I I"
        // VADER on the whole segment: "good" and "happy" rated, "not happy" negated, "but" shifts weight after it.
        #expect(named["scored_words"] == 2)
        #expect(abs(named["lexicon_valence"]! - SentimentScorer.vader.compound("Um, I don't know, I think it's good, but uh I I am not happy.")) < 1e-12)
        #expect(named["lexicon_valence"]! < 0)
        #expect(TextCuesStage.cues("the table is in the kitchen")[6].isNaN)
    }

    @Test func everyStoredModelLoadsAndAMissingOrBrokenOneIsNamed() throws {
        #expect(StoredModels.names == ["ah-text", "eeg", "face", "mean-face", "text", "voice"])
        for name in StoredModels.names {
            let (data, _) = try StoredModels.contents(name)
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            if object?["format"] as? String == "emopipe-mean-face/1" { continue } // the face stages' geometry
            if object?["format"] as? String == AmbivalenceTextModel.formatName {
                _ = try AmbivalenceTextModel.resolve(name)
            } else {
                _ = try StoredModels.resolve(name)
            }
        }
        let missing = try #require(throws: StageError.self) { _ = try StoredModels.resolve("nope") }
        #expect(missing.message.hasPrefix("no model 'nope': looked for nope.json in "))
        #expect(missing.message.hasSuffix("(set EMOPIPE_MODELS to the folder that holds it, or install EmoPipe with `make install`)"))
        #expect(throws: StageError("nowhere/mine.json: no such model (file or folder)")) { _ = try StoredModels.resolve("nowhere/mine.json") }
        let error = try #require(throws: StageError.self) {
            _ = try AffectModel.load(json: Data(#"{"format":"emopipe-affect-model/1"}"#.utf8), source: "m.json")
        }
        #expect(error.message.hasPrefix("m.json: not an EmoPipe model file (missing "))
    }

    /// The face model's prototypes: a smile (AU06 + AU12) is happiness with positive valence;
    /// a neutral face is neutral.
    @Test func facePrototypesReadASmile() throws {
        let model = try StoredModels.resolve("face")
        var smile = [Double](repeating: 0, count: 17)
        smile[model.features.firstIndex(of: "AU06_r")!] = 2
        smile[model.features.firstIndex(of: "AU12_r")!] = 4
        let happy = model.estimate(normalised: smile)
        #expect(happy.probabilities[EmotionCategory.allCases.firstIndex(of: .happiness)!] > 0.6)
        #expect(happy.valence > 0.3)
        let neutral = model.estimate(normalised: [Double](repeating: 0, count: 17))
        #expect(neutral.probabilities[0] == neutral.probabilities.max())
    }
}

/// A calibrated model: z-scored against the subject's baseline when there is a profile; its
/// uncalibrated heads (raw features) without one. The two heads here disagree on purpose, so the
/// estimate shows which one ran.
@Suite struct CalibratedModelTests {
    static func model() throws -> String {
        let json = """
            {"format": "emopipe-affect-model/1", "name": "pitch-toy", "modality": "voice", "features": ["f0"],
             "mean": [0], "scale": [1], "input_normalisation": "running", "calibrated": true,
             "classes": ["neutral", "happiness"],
             "classifier": [{"coefficients": [0], "intercept": 0}, {"coefficients": [4], "intercept": 0}], "regression": {},
             "uncalibrated": {"mean": [200], "scale": [50], "regression": {},
                              "classifier": [{"coefficients": [0], "intercept": 0}, {"coefficients": [-4], "intercept": 0}]},
             "weight": 1, "provenance": {"data": "test", "date": "2026-11-27", "method": "by hand", "scores": {}}}
            """
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("emopipe-model-\(UUID()).json").path
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func happiness(_ harness: StageHarness, f0: Float) throws -> Float {
        let out = try harness.push(Packet(timestamp: .zero, payload: .features(FeatureRow([f0]))))
        guard case .features(let row) = out[0].payload else { return .nan }
        return row.values[AffectEstimate.columns.firstIndex(of: "p_happiness")!]
    }

    @Test func aProfileSelectsTheCalibratedHeadsAndNoneTheUncalibratedOnes() throws {
        let path = try Self.model()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let schema = StreamFormat.features(FeatureSchema(["f0"]))
        // 250 Hz: above this speaker's usual 150 Hz (calibrated: happy), above the population's 200 Hz (uncalibrated heads: -4 z, not happy).
        let plain = try StageHarness(AffectEstimateStage.descriptor, parameters: ["model": .string(path)], inputs: [schema])
        #expect(try Self.happiness(plain, f0: 250) < 0.1)
        let profile = SubjectProfile(subject: "p", pipeline: "t", configHash: "0", inputs: ["a.wav"],
                                     baselines: ["model:pitch-toy": FeatureBaseline(names: ["f0"], count: 40, centre: [150], spread: [50])])
        let calibrated = try StageHarness(AffectEstimateStage.descriptor, parameters: ["model": .string(path)], inputs: [schema],
                                          calibration: .apply(profile))
        #expect(try Self.happiness(calibrated, f0: 250) > 0.9)
        // A profile for another feature set is a clear error.
        let other = SubjectProfile(subject: "p", pipeline: "t", configHash: "0", inputs: [],
                                   baselines: ["model:pitch-toy": FeatureBaseline(names: ["f1"], count: 40, centre: [1], spread: [1])])
        let error = try #require(throws: StageError.self) {
            _ = try StageHarness(AffectEstimateStage.descriptor, parameters: ["model": .string(path)], inputs: [schema], calibration: .apply(other))
        }
        #expect(error.message.hasPrefix("the profile of subject 'p' has a baseline for model 'pitch-toy' over other features"))
    }
}

@Suite struct RegressionTests {
    /// y = 2 x1 - x2 + 0.5 exactly: a tiny penalty gives the coefficients back.
    @Test func ridgeRecoversALinearFunction() {
        var x: [[Double]] = [], y: [Double] = []
        for i in 0..<50 {
            let a = Double(i % 7) - 3, b = Double((i * 3) % 11) - 5
            x.append([a, b])
            y.append(2 * a - b + 0.5)
        }
        let fit = RidgeRegression.fit(x: x, y: y, lambda: 1e-9)
        #expect(abs(fit.coefficients[0] - 2) < 1e-6 && abs(fit.coefficients[1] + 1) < 1e-6 && abs(fit.intercept - 0.5) < 1e-6)
    }

    /// Two separable classes: the fitted logistic regression classifies them.
    @Test func logisticRegressionSeparatesTwoClasses() {
        var x: [[Double]] = [], y: [Int] = []
        for i in 0..<40 {
            let side: Double = i % 2 == 0 ? 1 : -1
            x.append([side + 0.1 * Double(i % 5), 0.05 * Double(i % 3)])
            y.append(i % 2)
        }
        let model = LogisticRegression.fit(x: x, y: y, classes: 2)
        var correct = 0
        for (row, label) in zip(x, y) {
            let p = model.probabilities(row)
            if (p[1] > p[0] ? 1 : 0) == label { correct += 1 }
        }
        #expect(correct == 40)
    }
}
