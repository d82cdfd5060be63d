import EmoPipeCore
import Foundation
import Testing
@testable import EmoPipeFusion

/// Live timing in the fusion stages: packets come in arrival order (the engine's live inboxes),
/// ticks are fused at once from what has arrived, late estimates never change emitted ticks,
/// and stale modalities are named.
@Suite struct LiveFusionTests {
    static func schema(_ modality: Modality) -> StreamFormat {
        .features(FeatureSchema(AffectEstimate.columns, attributes: ["modality": Double(Modality.allCases.firstIndex(of: modality)!)]))
    }

    static func estimate(_ valence: Double, at time: Double, duration: Double = 0.04) -> Packet {
        Packet(timestamp: Timestamp(seconds: time), duration: Timestamp(seconds: duration),
               payload: .features(AmbivalenceTests.estimateRow(valence: valence, arousal: 0.2)))
    }

    static func predictions(_ packets: [Packet]) -> [(time: Double, prediction: Prediction)] {
        packets.compactMap { packet in
            if case .prediction(let p) = packet.payload { (Double(packet.timestamp.microseconds) / 1e6, p) } else { nil }
        }
    }

    @Test func ticksFollowTheClockInputWithoutWaitingForTheOthers() throws {
        let fusion = try StageHarness(AffectFusionStage.descriptor, parameters: ["smooth_s": .number(0), "hold_s": .number(0.5)],
                                      inputs: [Self.schema(.face), Self.schema(.voice)], live: true)
        // Face frames arrive; the voice has sent nothing yet: each frame is fused at once.
        var out: [Packet] = []
        for index in 0..<10 { out += try fusion.push(Self.estimate(0.5, at: Double(index) * 0.1), input: 0) }
        var frames = Self.predictions(out)
        #expect(frames.count == 10)
        #expect(frames.allSatisfy { $0.prediction.present == [.face] })
        // A voice estimate stamped 0.5 s arrives after frame 0.9 was emitted: it changes nothing
        // emitted, and counts from the next tick on (valid to 0.5 + 0.25 + 0.5 hold).
        out = try fusion.push(Self.estimate(-0.6, at: 0.5, duration: 0.25), input: 1)
        #expect(out.isEmpty)
        out = try fusion.push(Self.estimate(0.5, at: 1.0), input: 0)
        frames = Self.predictions(out)
        #expect(frames.count == 1 && frames[0].prediction.present == [.face, .voice])
        // An older voice estimate than the one held is ignored.
        _ = try fusion.push(Self.estimate(0.9, at: 0.3, duration: 0.25), input: 1)
        let next = Self.predictions(try fusion.push(Self.estimate(0.5, at: 1.1), input: 0))
        #expect(next[0].prediction.cues.contains { $0.name == "voice_valence" && abs($0.value + 0.6) < 1e-6 })
        // Past its hold the voice is stale: missing from present, named with its age.
        let late = Self.predictions(try fusion.push(Self.estimate(0.5, at: 1.5), input: 0))
        #expect(late[0].prediction.present == [.face])
        let stale = try #require(late[0].prediction.cues.first { $0.name == "voice_stale_s" })
        #expect(abs(stale.value - 0.75) < 1e-6)
        #expect(Self.predictions(try fusion.finish()).isEmpty)
    }

    /// A fixed-rate clock ticks as any input passes the grid; the end of the last estimate's span
    /// is ticked through at the finish, as for files.
    @Test func aFixedRateClockTicksAsAnyInputPassesTheGrid() throws {
        let fusion = try StageHarness(AffectFusionStage.descriptor, parameters: ["smooth_s": .number(0), "rate_hz": .number(4)],
                                      inputs: [Self.schema(.voice)], live: true)
        var out = try fusion.push(Self.estimate(0.3, at: 1.0, duration: 0.25))
        #expect(Self.predictions(out).map(\.time) == [0, 0.25, 0.5, 0.75, 1.0])
        out = try fusion.push(Self.estimate(0.3, at: 1.25, duration: 0.25))
        #expect(Self.predictions(out).map(\.time) == [1.25])
        #expect(Self.predictions(try fusion.finish()).isEmpty, "the last estimate's span ends at 1.5: no tick before it is left")
    }

    /// fuse.ambivalence live: a frame is scored when it comes, from the cues that have arrived.
    @Test func ambivalenceScoresEachFrameAsItComes() throws {
        let cues = StreamFormat.features(FeatureSchema(["gaze_aversion", "head_shake"]))
        let ah = try StageHarness(AmbivalenceStage.descriptor, inputs: [.prediction, cues], live: true)
        let frame = { (time: Double) in
            Packet(timestamp: Timestamp(seconds: time), duration: Timestamp(seconds: 0.1),
                   payload: .prediction(Prediction(present: [.face], valence: 0, arousal: 0, dominance: 0,
                                                   probabilities: [Float](repeating: 1 / 7, count: 7), ambivalence: .nan,
                                                   ambivalent: false, cues: [])))
        }
        let first = try ah.push(frame(1.0))
        #expect(first.count == 1, "scored at once, no wait for the cue input")
        _ = try ah.push(Packet(timestamp: Timestamp(seconds: 1.05), payload: .features(FeatureRow([1, 4]))), input: 1)
        let second = try ah.push(frame(1.1))
        guard case .prediction(let before) = first[0].payload, case .prediction(let after) = second[0].payload else {
            Issue.record("no predictions")
            return
        }
        #expect(after.ambivalence > before.ambivalence)
        #expect(after.cues.contains { $0.name == "head_shake" })
    }

    /// aggregate.recording: interim records every summary_every_s, then the final one.
    @Test func interimRecordingRecordsComeEverySummaryInterval() throws {
        let aggregate = try StageHarness(RecordingAggregateStage.descriptor, parameters: ["summary_every_s": .number(1)],
                                         inputs: [.prediction], live: true)
        var out: [Packet] = []
        for index in 0..<35 {
            let prediction = Prediction(present: [.voice], valence: 0.2, arousal: 0.1, dominance: 0,
                                        probabilities: [0.1, 0.1, 0.1, 0.1, 0.4, 0.1, 0.1], ambivalence: 0.2, ambivalent: false, cues: [])
            out += try aggregate.push(Packet(timestamp: Timestamp(seconds: Double(index) / 10), duration: Timestamp(seconds: 0.1),
                                             payload: .prediction(prediction)))
        }
        out += try aggregate.finish()
        let summaries = out.compactMap { packet -> RecordingSummary? in if case .recording(let s) = packet.payload { s } else { nil } }
        #expect(summaries.map(\.interim) == [true, true, true, false])
        #expect(summaries.map(\.frames) == [11, 21, 31, 35])
        #expect(summaries.last!.dominantEmotion == .happiness && abs(summaries.last!.valenceMean - 0.2) < 1e-6)
        #expect(abs(summaries.last!.duration - 3.5) < 1e-6)
    }

    /// The recording's emotion is the pooled decision (mean log-probability), as `emopipe train`
    /// scores a held-out recording, not the class most often on top.
    @Test func recordingEmotionPoolsTheFramesProbabilities() throws {
        let aggregate = try StageHarness(RecordingAggregateStage.descriptor, parameters: [:], inputs: [.prediction])
        // neutral, anger, disgust, fear, happiness, sadness, surprise
        let leaningFear: [Float] = [0.1, 0.28, 0.1, 0.3, 0.1, 0.06, 0.06]
        let sureAnger: [Float] = [0.01, 0.9, 0.02, 0.02, 0.02, 0.02, 0.01]
        var out: [Packet] = []
        for (index, probabilities) in [leaningFear, sureAnger, leaningFear].enumerated() {
            let prediction = Prediction(present: [.voice], valence: 0, arousal: 0.5, dominance: 0, probabilities: probabilities,
                                        ambivalence: 0.1, ambivalent: false, cues: [])
            out += try aggregate.push(Packet(timestamp: Timestamp(seconds: Double(index) / 10), duration: Timestamp(seconds: 0.1),
                                             payload: .prediction(prediction)))
        }
        out += try aggregate.finish()
        let summary = try #require(out.compactMap { packet -> RecordingSummary? in if case .recording(let s) = packet.payload { s } else { nil } }.last)
        let order = EmotionCategory.allCases
        #expect(abs(summary.emotionShares[order.firstIndex(of: .fear)!] - 2.0 / 3) < 1e-6)
        #expect(summary.dominantEmotion == .anger && abs(summary.dominantShare - 1.0 / 3) < 1e-6)
        // softmax of the mean log-probabilities, by hand
        let logMeans = (0..<7).map { k in (2 * log(Double(leaningFear[k])) + log(Double(sureAnger[k]))) / 3 }
        let total = logMeans.map { exp($0) }.reduce(0, +)
        for k in 0..<7 { #expect(abs(Double(summary.emotionProbabilities[k]) - exp(logMeans[k]) / total) < 1e-5) }
    }

    @Test func topFractionMeanIsTheMeanOfTheLargestScores() {
        var top = TopFractionMean()
        var scores: [Double] = []
        var state: UInt64 = 3
        for _ in 0..<5000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1
            let score = Double(state >> 11) / Double(1 << 53)
            scores.append(score)
            top.add(score)
        }
        let exact = scores.sorted(by: >).prefix(500).reduce(0, +) / 500
        #expect(abs(top.topMean(500) - exact) < 1e-4)
        #expect(TopFractionMean().topMean(3) == 0)
    }
}
