import CFFmpeg
import EmoPipeCore

/// Converts decoded audio to packed Float32 at a fixed rate with swresample, keeping the
/// input's channels (downmixing is the caller's, the same for every source). Configured from the
/// frames themselves, and rebuilt if the input format changes mid-stream.
final class AudioResampler {
    let sampleRate: Int
    /// Channels of the current output (those of the input).
    private(set) var channels = 0
    private var context: OpaquePointer?
    /// The input format the context was built for.
    private var inputKey: (rate: Int32, format: Int32, channels: Int32) = (0, 0, 0)

    init(sampleRate: Int) { self.sampleRate = sampleRate }

    deinit { swr_free(&context) }

    private func configure(for frame: UnsafeMutablePointer<AVFrame>) throws {
        let key = (frame.pointee.sample_rate, frame.pointee.format, frame.pointee.ch_layout.nb_channels)
        if context != nil && key == inputKey { return }
        swr_free(&context)
        inputKey = key
        // Containers such as WAV leave the layout unspecified: use the default for the count.
        var inputLayout = AVChannelLayout()
        if frame.pointee.ch_layout.order == AV_CHANNEL_ORDER_UNSPEC {
            av_channel_layout_default(&inputLayout, max(1, key.2))
        } else {
            av_channel_layout_copy(&inputLayout, &frame.pointee.ch_layout)
        }
        defer { av_channel_layout_uninit(&inputLayout) }
        channels = Int(inputLayout.nb_channels)
        var outputLayout = AVChannelLayout()
        av_channel_layout_copy(&outputLayout, &inputLayout)
        defer { av_channel_layout_uninit(&outputLayout) }
        var status = swr_alloc_set_opts2(&context, &outputLayout, AV_SAMPLE_FMT_FLT, Int32(sampleRate),
                                         &inputLayout, AVSampleFormat(key.1), key.0, 0, nil)
        if status >= 0 { status = swr_init(context) }
        guard status >= 0 else {
            throw StageError("cannot resample \(key.0) Hz \(key.2)-channel audio to \(sampleRate) Hz: \(ffmpegErrorText(status))")
        }
    }

    /// Converts one decoded frame, or flushes the resampler's delay when `frame` is nil.
    func convert(_ frame: UnsafeMutablePointer<AVFrame>?) throws -> [Float] {
        if let frame { try configure(for: frame) }
        guard let context else { return [] }
        let inputSamples = frame.map { Int32($0.pointee.nb_samples) } ?? 0
        let capacity = Int(swr_get_out_samples(context, inputSamples))
        guard capacity > 0 else { return [] }
        var output = [Float](repeating: 0, count: capacity * channels)
        let produced: Int32 = output.withUnsafeMutableBytes { raw in
            var planes: [UnsafeMutablePointer<UInt8>?] = [raw.baseAddress!.assumingMemoryBound(to: UInt8.self)]
            guard let frame else { return swr_convert(context, &planes, Int32(capacity), nil, 0) }
            return frame.pointee.extended_data.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 1) { input in
                swr_convert(context, &planes, Int32(capacity), input, inputSamples)
            }
        }
        guard produced >= 0 else { throw StageError("resampling failed: \(ffmpegErrorText(produced))") }
        output.removeLast(output.count - Int(produced) * channels)
        return output
    }
}
