import EmoPipeCore
import Foundation
import Testing
@testable import EmoPipeFusion

/// A synthetic recording: face and voice estimates that agree, then disagree.
@Suite struct AmbivalenceTests {
    static func estimateRow(valence: Double, arousal: Double, confidence: Double = 0.8) -> FeatureRow {
        var probabilities = [Double](repeating: 0.05, count: 7)
        probabilities[valence > 0 ? 4 : 5] = 0.7
        return FeatureRow(([valence, arousal, 0] + probabilities + [confidence]).map { Float($0) })
    }

    /// 10 s at 10 Hz: face positive throughout; voice positive for 5 s, then negative.
    static func run() throws -> [Prediction] {
        let schema = { (m: Modality) in StreamFormat.features(FeatureSchema(AffectEstimate.columns, attributes: ["modality": Double(Modality.allCases.firstIndex(of: m)!)])) }
        let fusion = try StageHarness(AffectFusionStage.descriptor, parameters: ["smooth_s": .number(0)], inputs: [schema(.face), schema(.voice)])
        var affect: [Packet] = []
        for index in 0..<100 {
            let time = Timestamp(seconds: Double(index) / 10)
            affect += try fusion.push(Packet(timestamp: time, duration: Timestamp(seconds: 0.1), payload: .features(estimateRow(valence: 0.6, arousal: 0.3))), input: 0)
            let voice = index < 50 ? 0.5 : -0.6
            affect += try fusion.push(Packet(timestamp: time, duration: Timestamp(seconds: 0.1), payload: .features(estimateRow(valence: voice, arousal: 0.2))), input: 1)
        }
        affect += try fusion.finish()
        let ah = try StageHarness(AmbivalenceStage.descriptor, inputs: [.prediction])
        var out: [Prediction] = []
        for packet in affect {
            for result in try ah.push(packet) { if case .prediction(let p) = result.payload { out.append(p) } }
        }
        for result in try ah.finish() { if case .prediction(let p) = result.payload { out.append(p) } }
        return out
    }

    @Test func discordBetweenFaceAndVoiceRaisesAHAndIsNamed() throws {
        let frames = try Self.run()
        #expect(frames.count == 100)
        // Discord counts once sustained (2 s mean): judged from 2 s after the voice turns.
        let agree = frames[10..<45], disagree = frames[70..<98]
        let agreeMean = agree.map(\.ambivalence).reduce(0, +) / Float(agree.count)
        let disagreeMean = disagree.map(\.ambivalence).reduce(0, +) / Float(disagree.count)
        #expect(agreeMean < 0.2, "agreement: \(agreeMean)")
        #expect(disagreeMean > 0.5, "discord: \(disagreeMean)")
        #expect(disagree.allSatisfy { $0.ambivalent })
        #expect(agree.allSatisfy { !$0.ambivalent })
        let cue = try #require(disagree.first?.cues.first)
        #expect(cue.name == "discord_face_voice" || cue.name == "discord_voice_face")
        #expect(abs(disagree.last!.cues.first!.value - 1.2) < 0.01, "the valence gap, 0.6 - (-0.6), once it filled the window")
        // The modality valences are there to read.
        #expect(disagree.first!.cues.contains { $0.name == "face_valence" && abs($0.value - 0.6) < 1e-6 })
        #expect(disagree.first!.present == [.face, .voice])
    }

    @Test func fusionWeighsByConfidence() throws {
        let schema = { (m: Modality) in StreamFormat.features(FeatureSchema(AffectEstimate.columns, attributes: ["modality": Double(Modality.allCases.firstIndex(of: m)!)])) }
        let fusion = try StageHarness(AffectFusionStage.descriptor, parameters: ["smooth_s": .number(0)], inputs: [schema(.face), schema(.voice)])
        var out = try fusion.push(Packet(timestamp: .zero, payload: .features(Self.estimateRow(valence: 0.9, arousal: 0, confidence: 0.75))), input: 0)
        out += try fusion.push(Packet(timestamp: .zero, payload: .features(Self.estimateRow(valence: -0.3, arousal: 0, confidence: 0.25))), input: 1)
        out += try fusion.finish()
        guard case .prediction(let p) = out.first?.payload else { Issue.record("no prediction"); return }
        #expect(abs(p.valence - Float(0.75 * 0.9 + 0.25 * -0.3)) < 1e-6)
    }

    @Test func recordingSegmentsMergeAndDropShortOnes() {
        let times = (0..<20).map { Double($0) * 0.1 }
        var scores = [Double](repeating: 0, count: 20)
        for i in [2, 3, 4, 5, 6, 8, 9, 10, 15] { scores[i] = 0.8 }   // 0.2-0.7 and 0.8-1.1 merge; 1.5 alone is too short
        let segments = RecordingAggregateStage.segments(times: times, ends: times.map { $0 + 0.1 }, scores: scores,
                                                        threshold: 0.5, minDuration: 0.5, mergeGap: 0.3)
        #expect(segments.count == 1)
        #expect(abs(segments[0][0] - 0.2) < 1e-9 && abs(segments[0][1] - 1.1) < 1e-9)
    }
}
