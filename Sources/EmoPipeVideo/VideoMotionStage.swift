import EmoPipeCore

/// `video.motion`: how much the picture changes from one frame to the next.
///
/// `motion_mad` is the mean absolute difference of all pixel bytes between a frame and the one
/// before it, divided by 255: 0 for a still picture, 1 when every pixel flips between black and
/// white. `motion_changed` is the fraction of bytes whose difference exceeds `threshold`. The
/// first frame has no predecessor and gives no row.
public final class VideoMotionStage: Stage {
    public static let descriptor = StageDescriptor(
        name: "video.motion", role: .transform,
        summary: "Mean absolute frame difference and changed-pixel fraction per frame.",
        inputs: [PortSpec("video", [.video], "Frames, gray or RGB.")],
        outputs: [PortSpec("motion", [.features], "motion_mad and motion_changed in [0, 1], from the second frame on.")],
        parameters: [
            ParameterSpec("threshold", .integer, default: .integer(10), unit: "levels (0-255)", range: 0...255,
                          "A byte counts as changed when it differs from the previous frame by more than this."),
        ],
        make: { .stage(VideoMotionStage(parameters: $0)) })

    private let threshold: Int32
    private var previous: VideoFrame?

    init(parameters: Parameters) { threshold = Int32(parameters.integer("threshold")) }

    public func prepare(inputs: [StreamFormat], context: StageContext) throws -> [StreamFormat] {
        [.features(FeatureSchema(["motion_mad", "motion_changed"]))]
    }

    public func process(_ packet: Packet, input: Int, output: Emitter) throws {
        guard case .video(let frame) = packet.payload else { return }
        defer { previous = frame }
        guard let previous else { return }
        guard previous.width == frame.width, previous.height == frame.height, previous.format == frame.format else {
            throw StageError("frame size changed from \(previous.width)x\(previous.height) to \(frame.width)x\(frame.height)")
        }
        let rowBytes = frame.width * frame.format.bytesPerPixel
        var totalDifference: UInt64 = 0
        var changed = 0
        frame.pixels.withUnsafeBufferPointer { current in
            previous.pixels.withUnsafeBufferPointer { before in
                for row in 0..<frame.height {
                    let a = current.baseAddress! + row * frame.stride
                    let b = before.baseAddress! + row * previous.stride
                    var rowDifference: UInt32 = 0
                    var rowChanged = 0
                    for index in 0..<rowBytes {
                        let difference = abs(Int32(a[index]) - Int32(b[index]))
                        rowDifference &+= UInt32(difference)
                        rowChanged &+= difference > threshold ? 1 : 0
                    }
                    totalDifference += UInt64(rowDifference)
                    changed += rowChanged
                }
            }
        }
        let count = Double(rowBytes * frame.height)
        let row = FeatureRow([Float(Double(totalDifference) / (255 * count)), Float(Double(changed) / count)])
        try output.emit(.features(row), at: packet.timestamp, duration: packet.duration)
    }

    public func finish(output: Emitter) throws {}
}
