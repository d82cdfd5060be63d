import CFFmpeg
import EmoPipeCore

/// Demuxes and decodes one input with libavformat and libavcodec: a file, or standard input
/// ("-", read as FFmpeg's `pipe:0`) in any container FFmpeg can demux from a pipe.
///
/// Decoding follows the ffmpeg command line: a corrupt packet is counted and skipped, not fatal;
/// the caller decides whether "nothing decoded" is an error.
final class MediaReader {
    /// A decoder for the best stream of one media type.
    final class Decoder {
        let streamIndex: Int32
        let context: UnsafeMutablePointer<AVCodecContext>
        let timeBase: AVRational
        /// Packets the decoder rejected as corrupt.
        var corruptPackets = 0
        /// Frames decoded.
        var frames = 0

        init(streamIndex: Int32, context: UnsafeMutablePointer<AVCodecContext>, timeBase: AVRational) {
            self.streamIndex = streamIndex
            self.context = context
            self.timeBase = timeBase
        }

        deinit {
            var context: UnsafeMutablePointer<AVCodecContext>? = context
            avcodec_free_context(&context)
        }
    }

    private var format: UnsafeMutablePointer<AVFormatContext>?
    /// Standard input's reader, fed to FFmpeg through a custom AVIO context so that a stop
    /// request ends a read that waits on a live pipe.
    let standardInput: CancellableInput?
    private var inputContext: UnsafeMutablePointer<AVIOContext>?
    private let displayName: String
    /// Start of the input in microseconds: every timestamp is relative to it.
    private let originMicroseconds: Int64

    /// Opens `path` and reads enough to know its streams.
    init(path: String) throws {
        av_log_set_level(AV_LOG_QUIET)
        displayName = path == "-" ? "standard input" : path
        var context: UnsafeMutablePointer<AVFormatContext>?
        if path == "-" {
            let input = CancellableInput()
            standardInput = input
            inputContext = try Self.inputContext(reading: input)
            context = avformat_alloc_context()
            context?.pointee.pb = inputContext
            context?.pointee.flags |= AVFMT_FLAG_CUSTOM_IO
        } else {
            standardInput = nil
        }
        let opened = avformat_open_input(&context, path == "-" ? nil : path, nil, nil)
        guard opened >= 0, let context else {
            Self.free(&inputContext)
            throw StageError("cannot open \(displayName): \(ffmpegErrorText(opened))")
        }
        format = context
        let probed = avformat_find_stream_info(context, nil)
        guard probed >= 0 else {
            avformat_close_input(&format)
            throw StageError("cannot read the streams of \(displayName): \(ffmpegErrorText(probed))")
        }
        let start = context.pointee.start_time
        originMicroseconds = start == emopipe_av_nopts_value() ? 0 : start
    }

    deinit {
        avformat_close_input(&format)
        Self.free(&inputContext)
    }

    /// True when FFmpeg opened the input with an image demuxer (`image2`, `png_pipe`,
    /// `jpeg_pipe`, ...): a still photograph, one frame.
    var isStillImage: Bool {
        guard let format, let demuxer = format.pointee.iformat?.pointee.name else { return false }
        let name = String(cString: demuxer)
        return name == "image2" || name == "image2pipe" || name.hasSuffix("_pipe")
    }

    /// An unseekable AVIO context that reads through `input` (FFmpeg owns its 64 KiB buffer).
    private static func inputContext(reading input: CancellableInput) throws -> UnsafeMutablePointer<AVIOContext> {
        let size: Int32 = 1 << 16
        guard let buffer = av_malloc(Int(size)) else { throw StageError("out of memory") }
        let context = avio_alloc_context(
            buffer.assumingMemoryBound(to: UInt8.self), size, 0, Unmanaged.passUnretained(input).toOpaque(),
            { opaque, buffer, size in
                let input = Unmanaged<CancellableInput>.fromOpaque(opaque!).takeUnretainedValue()
                let got = input.read(into: buffer!, count: Int(size))
                return got > 0 ? Int32(got) : got == 0 ? emopipe_averror_eof() : emopipe_averror_eio()
            }, nil, nil)
        guard let context else {
            av_free(buffer)
            throw StageError("out of memory")
        }
        return context
    }

    private static func free(_ context: inout UnsafeMutablePointer<AVIOContext>?) {
        guard context != nil else { return }
        av_freep(&context!.pointee.buffer)
        avio_context_free(&context)
    }

    /// The index of the best stream of `type`, or nil when the input has none.
    func bestStream(_ type: AVMediaType) -> Int32? {
        let index = av_find_best_stream(format, type, -1, -1, nil, 0)
        return index >= 0 ? index : nil
    }

    func stream(_ index: Int32) -> UnsafeMutablePointer<AVStream> {
        format!.pointee.streams[Int(index)]!
    }

    /// Opens a decoder for stream `index` with `threads` threads (0: FFmpeg chooses).
    func openDecoder(stream index: Int32, threads: Int) throws -> Decoder {
        let stream = stream(index)
        let parameters = stream.pointee.codecpar!
        guard let codec = avcodec_find_decoder(parameters.pointee.codec_id) else {
            let name = avcodec_get_name(parameters.pointee.codec_id).map { String(cString: $0) } ?? "unknown"
            throw StageError("\(displayName): no decoder for codec '\(name)' in this FFmpeg build")
        }
        guard let context = avcodec_alloc_context3(codec) else { throw StageError("out of memory") }
        let decoder = Decoder(streamIndex: index, context: context, timeBase: stream.pointee.time_base)
        var status = avcodec_parameters_to_context(context, parameters)
        if status >= 0 {
            context.pointee.thread_count = Int32(threads)
            context.pointee.pkt_timebase = stream.pointee.time_base
            status = avcodec_open2(context, codec, nil)
        }
        guard status >= 0 else {
            throw StageError("\(displayName): cannot open the \(String(cString: codec.pointee.name)) decoder: \(ffmpegErrorText(status))")
        }
        return decoder
    }

    /// The frame's time in microseconds from the start of the input, or nil when it has none.
    func timestamp(of frame: UnsafeMutablePointer<AVFrame>, decoder: Decoder) -> Timestamp? {
        let pts = frame.pointee.best_effort_timestamp
        guard pts != emopipe_av_nopts_value() else { return nil }
        let microseconds = av_rescale_q(pts, decoder.timeBase, AVRational(num: 1, den: 1_000_000))
        return Timestamp(microseconds: microseconds - originMicroseconds)
    }

    /// Reads every packet, feeds the decoders in `decoders`, and hands each decoded frame to
    /// `handle` with its decoder. Stops early when `isCancelled` returns true. Flushes the
    /// decoders at the end so no frame is lost.
    func decode(_ decoders: [Decoder], isCancelled: () -> Bool,
                handle: (UnsafeMutablePointer<AVFrame>, Decoder) throws -> Void) throws {
        guard let packet = av_packet_alloc(), let frame = av_frame_alloc() else { throw StageError("out of memory") }
        var packetPointer: UnsafeMutablePointer<AVPacket>? = packet
        var framePointer: UnsafeMutablePointer<AVFrame>? = frame
        defer {
            av_packet_free(&packetPointer)
            av_frame_free(&framePointer)
        }
        let byStream = Dictionary(uniqueKeysWithValues: decoders.map { ($0.streamIndex, $0) })
        while !isCancelled() {
            let status = av_read_frame(format, packet)
            if status == emopipe_averror_eof() { break }
            guard status >= 0 else {
                throw StageError("\(displayName): read error: \(ffmpegErrorText(status))")
            }
            defer { av_packet_unref(packet) }
            guard let decoder = byStream[packet.pointee.stream_index] else { continue }
            try send(packet, to: decoder, frame: frame, handle: handle)
        }
        for decoder in decoders { try send(nil, to: decoder, frame: frame, handle: handle) }
    }

    private func send(_ packet: UnsafeMutablePointer<AVPacket>?, to decoder: Decoder,
                      frame: UnsafeMutablePointer<AVFrame>,
                      handle: (UnsafeMutablePointer<AVFrame>, Decoder) throws -> Void) throws {
        let sent = avcodec_send_packet(decoder.context, packet)
        if sent < 0 && sent != emopipe_averror_eof() {
            decoder.corruptPackets += 1
            return
        }
        while true {
            let received = avcodec_receive_frame(decoder.context, frame)
            if received == emopipe_averror_eagain() || received == emopipe_averror_eof() { return }
            guard received >= 0 else {
                decoder.corruptPackets += 1
                return
            }
            decoder.frames += 1
            defer { av_frame_unref(frame) }
            try handle(frame, decoder)
        }
    }
}
