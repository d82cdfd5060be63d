import EmoPipeCore
@testable import EmoPipeEEG
import Foundation
import Testing

/// The zero-phase FIR kernel eeg.filter designs for one channel at `rate` Hz with `parameters`.
func zeroPhaseKernel(rate: Double, _ parameters: [String: ParameterValue]) throws -> [Double] {
    let stage = EEGFilterStage(parameters: Parameters(specs: EEGFilterStage.descriptor.parameters, overrides: parameters))
    _ = try stage.prepare(inputs: [.eeg(EEGFormat(labels: ["Cz"], units: ["uV"], sampleRate: rate))],
                          context: StageContext(stageID: "filter", input: .standardInput,
                                                output: OutputSession(plan: .memory(MemoryOutput()), input: .standardInput),
                                                logger: .init(label: "test")))
    return stage.zeroPhaseKernel()
}

@Suite struct EEGFilterStageTests {
    private let rate = 250.0

    /// Filters one channel pushed in chunks of `chunk` samples; returns the output samples and times.
    private func filter(_ signal: [Float], chunk: Int = 100, _ parameters: [String: ParameterValue]) throws
        -> (samples: [Float], times: [Timestamp]) {
        let harness = try StageHarness(EEGFilterStage.descriptor, parameters: parameters,
                                       inputs: [.eeg(EEGFormat(labels: ["Cz"], units: ["uV"], sampleRate: rate))])
        var start = 0
        while start < signal.count {
            let end = min(signal.count, start + chunk)
            try harness.push(Packet(timestamp: Timestamp(seconds: Double(start) / rate), duration: Timestamp(seconds: Double(end - start) / rate),
                                    payload: .eeg(EEGChunk(samples: Array(signal[start..<end]), channels: 1))))
            start = end
        }
        try harness.finish()
        var samples: [Float] = [], times: [Timestamp] = []
        for packet in harness.emitted() {
            guard case .eeg(let chunk) = packet.payload else { continue }
            samples += chunk.samples
            times.append(packet.timestamp)
        }
        return (samples, times)
    }

    private func sine(_ frequency: Double, _ amplitude: Double, count: Int) -> [Double] {
        (0..<count).map { amplitude * sin(2 * Double.pi * frequency * Double($0) / rate) }
    }

    @Test func zeroPhaseKeepsTheBandWithoutShiftingItAndRemovesTheRest() throws {
        let count = 5000
        let alpha = sine(10, 20, count: count)
        // A 50 uV offset (0 Hz, the stop edge of MNE's default high-pass transition: a slow drift
        // inside the 0-1 Hz transition band would partly pass, by design) and 60 Hz mains.
        let mains = sine(60, 10, count: count)
        let input = (0..<count).map { Float(alpha[$0] + 50 + mains[$0]) }
        let (output, times) = try filter(input, ["low_hz": .number(1), "high_hz": .number(45)])
        #expect(output.count == count, "one output per input sample")
        #expect(times.first == .zero)
        // Away from the padded ends, the output is the 10 Hz sine itself: same amplitude, same phase.
        let margin = 1000
        var worst = 0.0
        for index in margin..<(count - margin) { worst = max(worst, abs(Double(output[index]) - alpha[index])) }
        #expect(worst < 0.4, "largest deviation from the 20 uV alpha sine: \(worst) uV")
    }

    @Test func zeroPhaseOutputDoesNotDependOnChunking() throws {
        let input = (0..<3000).map { Float(sin(Double($0) * 0.37) * 10 + Double($0 % 17)) }
        let parameters: [String: ParameterValue] = ["low_hz": .number(1), "high_hz": .number(30), "notch_hz": .number(50)]
        let reference = try filter(input, chunk: 3000, parameters).samples
        for chunk in [1, 7, 250, 1024] { #expect(try filter(input, chunk: chunk, parameters).samples == reference) }
    }

    @Test func theNotchRemovesMainsAndKeepsNeighbours() throws {
        let count = 6000
        let input = sine(50, 10, count: count).map(Float.init)
        let (output, _) = try filter(input, ["low_hz": .number(0), "high_hz": .number(0), "notch_hz": .number(50)])
        let interior = output[1500..<(count - 1500)]
        let rms = (interior.reduce(0.0) { $0 + Double($1 * $1) } / Double(interior.count)).squareRoot()
        #expect(rms < 10 / 2.0.squareRoot() * 0.01, "50 Hz left at \(rms) uV RMS, more than -40 dB")
        let kernel = try zeroPhaseKernel(rate: rate, ["low_hz": .number(0), "high_hz": .number(0), "notch_hz": .number(50)])
        #expect(abs(FIRDesign.gain(kernel, at: 45, rate: rate) - 1) < 0.01 && abs(FIRDesign.gain(kernel, at: 55, rate: rate) - 1) < 0.01)
    }

    @Test func causalOutputNeverPrecedesItsInputAndPassesTheBand() throws {
        var impulse = [Float](repeating: 0, count: 1000)
        impulse[400] = 1
        let parameters: [String: ParameterValue] = ["mode": .string("causal"), "low_hz": .number(1), "high_hz": .number(45), "notch_hz": .number(50)]
        let (response, _) = try filter(impulse, parameters)
        #expect(response[..<400].allSatisfy { $0 == 0 }, "nothing before the impulse")
        #expect(response[400] != 0)
        let tone = sine(10, 1, count: 5000).map(Float.init)
        let (output, _) = try filter(tone, parameters)
        let settled = output[2500...].map { abs($0) }.max()!
        #expect(abs(settled - 1) < 0.03, "10 Hz gain \(settled)")
    }

    @Test func edgesMustFitTheRate() {
        let format = StreamFormat.eeg(EEGFormat(labels: ["Cz"], units: ["uV"], sampleRate: 100))
        #expect(throws: StageError("notch_hz 50.0 Hz is not below the Nyquist frequency (50.0 Hz at 100.0 Hz)")) {
            try StageHarness(EEGFilterStage.descriptor, parameters: ["notch_hz": .number(50)], inputs: [format])
        }
        #expect(throws: StageError("low_hz (30.0) must be below high_hz (20.0)")) {
            try StageHarness(EEGFilterStage.descriptor, parameters: ["low_hz": .number(30), "high_hz": .number(20)], inputs: [format])
        }
    }
}

@Suite struct EEGFilterDesignTests {
    @Test func zeroPhaseKernelsEqualMNEsDefaultFIR() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Reference/eeg_filter_reference.json")
        let reference = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        for kernel in try #require(reference["kernels"] as? [[String: Any]]) {
            let rate = kernel["rate"] as! Double, low = kernel["low_hz"] as! Double, high = kernel["high_hz"] as! Double
            let expected = kernel["taps"] as! [Double]
            let taps = try zeroPhaseKernel(rate: rate, ["low_hz": .number(low), "high_hz": .number(high)])
            #expect(taps.count == expected.count, "\(rate) Hz \(low)-\(high): \(taps.count) taps, MNE \(expected.count)")
            guard taps.count == expected.count else { continue }
            let peak = expected.map(abs).max()!
            let worst = zip(taps, expected).map { abs($0 - $1) }.max()!
            #expect(worst < peak * 1e-6, "\(rate) Hz \(low)-\(high): largest tap difference \(worst) (peak tap \(peak))")
        }
    }
}
