import CFFmpeg
import EmoPipeCore

/// `source.media`: decodes any file FFmpeg opens (or standard input) into an audio stream and a
/// video stream. Audio is resampled to Float32 at `audio_rate`, downmixed to mono or kept in all
/// channels; video is converted to gray or RGB at the native or a chosen size and frame rate.
/// Still images (JPEG, PNG, TIFF, PPM, ...) open as one-frame videos.
///
/// Only connected outputs are decoded: a pipeline that reads `media.audio` alone never decodes
/// a video frame.
public final class MediaSource: SourceStage {
    public static let descriptor = StageDescriptor(
        name: "source.media", role: .source,
        summary: "Decodes audio and video with FFmpeg from a file, a still image or standard input.",
        outputs: [
            PortSpec("audio", [.audio], "Float32 PCM chunks at audio_rate, as decoded (about one per codec frame)."),
            PortSpec("video", [.video], "One packet per output video frame."),
        ],
        parameters: [
            ParameterSpec("audio_rate", .integer, default: .integer(16000), unit: "Hz", range: 0...384_000,
                          "Output sample rate; 0 keeps the input's rate."),
            ParameterSpec("audio_channels", .choice(["mono", "all"]), default: .string("mono"),
                          "'mono' downmixes every channel; 'all' keeps the input's channels, interleaved."),
            ParameterSpec("video_fps", .number, default: .number(0), unit: "frames/s", range: 0...1000,
                          "Output frame rate (sample and hold); 0 keeps every decoded frame at its own time."),
            ParameterSpec("width", .integer, default: .integer(0), unit: "px", range: 0...16384,
                          "Output width; 0 keeps the input's, or follows height at the input's aspect ratio."),
            ParameterSpec("height", .integer, default: .integer(0), unit: "px", range: 0...16384,
                          "Output height; 0 keeps the input's, or follows width at the input's aspect ratio."),
            ParameterSpec("pixel_format", .choice(["gray", "rgb"]), default: .string("gray"),
                          "Pixel layout of video frames: 8-bit luma, or 8-bit RGB."),
            ParameterSpec("threads", .integer, default: .integer(0), range: 0...64,
                          "Decoder threads per stream; 0 lets FFmpeg choose, as the ffmpeg command does. 1 gives the lowest live latency (frame threading holds back a frame per thread)."),
        ],
        fileExtensions: MediaSource.fileExtensions,
        make: { .source(MediaSource(parameters: $0)) })

    /// Extensions of the files `source.media` picks in a folder.
    public static let fileExtensions = [
        "mp4", "m4v", "mov", "mkv", "webm", "avi", "mpg", "mpeg", "ts", "mts", "flv", "wmv", "3gp", "ogv", "nut", "y4m",
        "wav", "flac", "mp3", "m4a", "aac", "ogg", "oga", "opus", "wma", "aif", "aiff", "caf",
        "jpg", "jpeg", "png", "tif", "tiff", "ppm", "pgm", "bmp", "webp",
    ]

    private let audioRate: Int
    private let downmix: Bool
    private let videoRate: Double
    private let requestedWidth: Int
    private let requestedHeight: Int
    private let pixelFormat: PixelFormat
    private let threads: Int

    private var reader: MediaReader?
    private var audioDecoder: MediaReader.Decoder?
    private var videoDecoder: MediaReader.Decoder?
    private var audioFormat = AudioFormat(sampleRate: 0, channels: 0)
    private var videoFormat = VideoFormat(width: 0, height: 0, pixelFormat: .gray8, frameRate: 0)
    private var inputName = ""
    /// The input's own frames per second (0 when unknown).
    private var nativeFrameRate: Double = 0

    init(parameters: Parameters) {
        audioRate = parameters.integer("audio_rate")
        downmix = parameters.string("audio_channels") == "mono"
        videoRate = parameters.number("video_fps")
        requestedWidth = parameters.integer("width")
        requestedHeight = parameters.integer("height")
        pixelFormat = parameters.string("pixel_format") == "rgb" ? .rgb24 : .gray8
        threads = parameters.integer("threads")
    }

    public func open(context: StageContext) throws -> [StreamFormat] {
        inputName = context.input.isStandardInput ? "standard input" : context.input.path
        let reader = try MediaReader(path: context.input.path)
        self.reader = reader
        let wantsAudio = context.isConnected(output: 0), wantsVideo = context.isConnected(output: 1)
        var missing: [String] = []
        if wantsAudio {
            if let index = reader.bestStream(AVMEDIA_TYPE_AUDIO) {
                let decoder = try reader.openDecoder(stream: index, threads: threads)
                audioDecoder = decoder
                let parameters = reader.stream(index).pointee.codecpar.pointee
                audioFormat = AudioFormat(sampleRate: audioRate > 0 ? audioRate : Int(parameters.sample_rate),
                                          channels: downmix ? 1 : max(1, Int(parameters.ch_layout.nb_channels)))
            } else {
                missing.append("audio")
                audioFormat = AudioFormat(sampleRate: audioRate, channels: downmix ? 1 : 0)
            }
        }
        if wantsVideo {
            if let index = reader.bestStream(AVMEDIA_TYPE_VIDEO) {
                videoDecoder = try reader.openDecoder(stream: index, threads: threads)
                let stream = reader.stream(index).pointee
                let size = outputSize(width: Int(stream.codecpar.pointee.width), height: Int(stream.codecpar.pointee.height))
                nativeFrameRate = stream.avg_frame_rate.den > 0 ? av_q2d(stream.avg_frame_rate) : 0
                videoFormat = VideoFormat(width: size.width, height: size.height, pixelFormat: pixelFormat,
                                          frameRate: videoRate > 0 ? videoRate : nativeFrameRate, isStill: reader.isStillImage)
            } else {
                missing.append("video")
                videoFormat = VideoFormat(width: requestedWidth, height: requestedHeight, pixelFormat: pixelFormat,
                                          frameRate: videoRate)
            }
        }
        if (wantsAudio || wantsVideo) && audioDecoder == nil && videoDecoder == nil {
            throw StageError("\(inputName) has no \(missing.joined(separator: " or ")) stream")
        }
        for kind in missing {
            context.logger.info("\(inputName) has no \(kind) stream; the \(kind) output stays empty")
        }
        return [.audio(audioFormat), .video(videoFormat)]
    }

    private func outputSize(width: Int, height: Int) -> (width: Int, height: Int) {
        switch (requestedWidth, requestedHeight) {
        case (0, 0): return (width, height)
        case (let w, 0): return (w, max(1, Int((Double(w) * Double(height) / Double(max(1, width))).rounded())))
        case (0, let h): return (max(1, Int((Double(h) * Double(width) / Double(max(1, height))).rounded())), h)
        case (let w, let h): return (w, h)
        }
    }

    public func run(output: Emitter, cancellation: CancellationFlag) throws {
        guard let reader else { return }
        reader.standardInput?.cancellation = cancellation
        let video = videoDecoder.map { _ in
            VideoPath(format: videoFormat, fixedRate: videoRate, nativeRate: nativeFrameRate)
        }
        var audio = AudioPath(format: audioFormat)
        let decoders = [audioDecoder, videoDecoder].compactMap { $0 }
        try reader.decode(decoders, isCancelled: { cancellation.isCancelled }) { frame, decoder in
            let time = reader.timestamp(of: frame, decoder: decoder)
            if decoder === videoDecoder {
                try video?.handle(frame, at: time, output: output)
            } else {
                try audio.handle(frame, at: time, output: output)
            }
        }
        try audio.flush(output: output)
        try video?.flush(output: output)
        for decoder in decoders where decoder.frames == 0 && decoder.corruptPackets > 0 {
            throw StageError("\(inputName): nothing could be decoded (\(decoder.corruptPackets) corrupt packets)")
        }
    }
}

/// Converts and times decoded video frames, at the native or a fixed frame rate.
private final class VideoPath {
    let converter: VideoFrameConverter
    /// Duration of an output frame.
    let frameDuration: Timestamp
    /// Duration of an input frame: how long the last decoded frame lasts.
    let inputFrameDuration: Timestamp
    var selector: FrameRateSelector?
    /// The latest decoded frame, kept (by reference) until we know which output times it fills.
    let held: UnsafeMutablePointer<AVFrame>
    var heldTime: Timestamp?
    var lastTime: Timestamp?

    /// - Parameters:
    ///   - fixedRate: output frames per second; 0 passes every decoded frame through.
    ///   - nativeRate: the input's frames per second, 0 when unknown.
    init(format: VideoFormat, fixedRate: Double, nativeRate: Double) {
        converter = VideoFrameConverter(width: format.width, height: format.height, format: format.pixelFormat)
        frameDuration = format.frameRate > 0 ? Timestamp(seconds: 1 / format.frameRate) : .zero
        inputFrameDuration = nativeRate > 0 ? Timestamp(seconds: 1 / nativeRate) : Timestamp(microseconds: 1)
        selector = fixedRate > 0 ? FrameRateSelector(rate: fixedRate) : nil
        held = av_frame_alloc()!
    }

    deinit {
        var pointer: UnsafeMutablePointer<AVFrame>? = held
        av_frame_free(&pointer)
    }

    func handle(_ frame: UnsafeMutablePointer<AVFrame>, at decodedTime: Timestamp?, output: Emitter) throws {
        // Frames without a time follow the previous one; times never go back.
        var time = decodedTime ?? lastTime.map { $0 + frameDuration } ?? .zero
        time = max(time, lastTime ?? .zero, .zero)
        lastTime = time
        guard var selector else {
            let converted = try converter.convert(frame)
            try output.emit(.video(converted), at: time, duration: frameDuration, on: 1)
            return
        }
        let times = selector.frameArrived(at: time)
        self.selector = selector
        if !times.isEmpty, heldTime != nil { try emitHeld(at: times, output: output) }
        av_frame_unref(held)
        av_frame_ref(held, frame)
        heldTime = time
    }

    private func emitHeld(at times: [Timestamp], output: Emitter) throws {
        let converted = try converter.convert(held)
        for time in times { try output.emit(.video(converted), at: time, duration: frameDuration, on: 1) }
    }

    func flush(output: Emitter) throws {
        guard var selector, let heldTime else { return }
        let times = selector.streamEnded(at: heldTime + inputFrameDuration)
        self.selector = selector
        if !times.isEmpty { try emitHeld(at: times, output: output) }
    }
}

/// Resamples decoded audio, downmixes it to mono (the channel mean) when asked, and stamps
/// chunks by sample count from the first frame's time.
private struct AudioPath {
    let format: AudioFormat
    var resampler: AudioResampler
    var chunks: AudioChunkEmitter?

    init(format: AudioFormat) {
        self.format = format
        resampler = AudioResampler(sampleRate: format.sampleRate)
    }

    mutating func handle(_ frame: UnsafeMutablePointer<AVFrame>, at time: Timestamp?, output: Emitter) throws {
        if chunks == nil { chunks = AudioChunkEmitter(format: format, origin: max(time ?? .zero, .zero)) }
        try emit(try resampler.convert(frame), output: output)
    }

    mutating func flush(output: Emitter) throws {
        guard chunks != nil else { return }
        try emit(try resampler.convert(nil), output: output)
    }

    private mutating func emit(_ samples: [Float], output: Emitter) throws {
        let channels = resampler.channels
        if format.channels == 1 {
            try chunks!.emit(downmixToMono(samples[...], channels: channels), output: output)
        } else {
            guard channels == format.channels else {
                throw StageError("the audio changed from \(format.channels) to \(channels) channels mid-stream")
            }
            try chunks!.emit(samples, output: output)
        }
    }
}
