import EmoPipeCore
import EmoPipeSinks
import Testing

@Suite struct JSONLinesSinkTests {
    @Test func featureRowsBecomeOneObjectPerLineWithStreamFrameAndTime() throws {
        let harness = try StageHarness(JSONLinesSink.descriptor, inputs: [.features(FeatureSchema(["a", "b"]))], inputNames: ["level"])
        try harness.push(Packet(timestamp: Timestamp(microseconds: 10_000), payload: .features(FeatureRow([1.5, -0.25]))))
        try harness.push(Packet(timestamp: Timestamp(microseconds: 20_000), payload: .features(FeatureRow([.nan, .infinity]))))
        try harness.finish()
        #expect(harness.writtenText == """
            {"stream":"level","frame":0,"t":0.01,"a":1.5,"b":-0.25}
            {"stream":"level","frame":1,"t":0.02,"a":null,"b":null}

            """)
    }

    @Test func textIsEscapedAndWordsAreListed() throws {
        let harness = try StageHarness(JSONLinesSink.descriptor, inputs: [.text], inputNames: ["words"])
        let segment = TextSegment(end: Timestamp(seconds: 1.2), text: "say \"um\"\n\\ok",
                                  words: [TimedWord(start: Timestamp(seconds: 0.5), end: Timestamp(seconds: 0.7), text: "um")])
        try harness.push(Packet(timestamp: Timestamp(seconds: 0.5), payload: .text(segment)))
        #expect(harness.writtenText == #"{"stream":"words","frame":0,"t":0.5,"end":1.2,"text":"say \"um\"\n\\ok","words":[{"start":0.5,"end":0.7,"text":"um"}]}"# + "\n")
    }

    @Test func predictionsCarryTheDesignFields() throws {
        let harness = try StageHarness(JSONLinesSink.descriptor, inputs: [.prediction], inputNames: ["affect"])
        let prediction = Prediction(present: [.face, .voice], valence: 0.5, arousal: -0.25, dominance: 0,
                                    probabilities: [0.1, 0, 0, 0, 0.8, 0.1, 0], ambivalence: 0.75, ambivalent: true,
                                    cues: [Cue(name: "pause_s", value: 1.25)])
        try harness.push(Packet(timestamp: Timestamp(seconds: 2), payload: .prediction(prediction)))
        #expect(harness.writtenText == #"{"stream":"affect","frame":0,"t":2,"face":true,"voice":true,"eeg":false,"text":false,"valence":0.5,"arousal":-0.25,"dominance":0.0,"emotion":"happiness","probs":{"neutral":0.1,"anger":0.0,"disgust":0.0,"fear":0.0,"happiness":0.8,"sadness":0.1,"surprise":0.0},"ah":0.75,"ah_label":1,"cues":[{"name":"pause_s","value":1.25}]}"# + "\n")
    }
}

@Suite struct CSVSinkTests {
    @Test func rowsJoinInputsAtTheSameTimeAndCollidingNamesArePrefixed() throws {
        let harness = try StageHarness(CSVSink.descriptor,
                                       inputs: [.features(FeatureSchema(["x", "y"])), .features(FeatureSchema(["x", "z,q"]))],
                                       inputNames: ["voice", "face"])
        try harness.push(Packet(timestamp: .zero, payload: .features(FeatureRow([1, 2]))), input: 0)
        try harness.push(Packet(timestamp: .zero, payload: .features(FeatureRow([3, 4]))), input: 1)
        try harness.push(Packet(timestamp: Timestamp(seconds: 0.04), payload: .features(FeatureRow([5, .nan]))), input: 0)
        try harness.push(Packet(timestamp: Timestamp(seconds: 0.08), payload: .features(FeatureRow([6, 7]))), input: 1)
        try harness.finish()
        #expect(harness.writtenText == """
            timestamp,voice.x,y,face.x,"z,q"
            0,1.0,2.0,3.0,4.0
            0.04,5.0,,,
            0.08,,,6.0,7.0

            """)
    }

    /// Two faces in one frame: the second row of one input at one timestamp starts a new row.
    @Test func twoRowsOfOneInputAtOneTimeAreTwoLines() throws {
        let harness = try StageHarness(CSVSink.descriptor, inputs: [.features(FeatureSchema(["face_id", "AU12_r"]))])
        try harness.push(Packet(timestamp: .zero, payload: .features(FeatureRow([0, 1.5]))))
        try harness.push(Packet(timestamp: .zero, payload: .features(FeatureRow([1, 2.5]))))
        try harness.push(Packet(timestamp: Timestamp(seconds: 0.04), payload: .features(FeatureRow([0, 1]))))
        try harness.finish()
        #expect(harness.writtenText == """
            timestamp,face_id,AU12_r
            0,0.0,1.5
            0,1.0,2.5
            0.04,0.0,1.0

            """)
    }
}
