import CFFmpeg
import EmoPipeCore

/// Converts decoded frames to packed gray8 or rgb24 at a fixed output size with swscale.
///
/// Gray at the native size from 8-bit planar YUV takes a fast path: the luma plane, expanded
/// from limited (16-235) to full range by a table, as swscale computes it (within one level) at
/// a third of its cost (swscale's gray path doubles the time of an H.264 decode).
final class VideoFrameConverter {
    let width: Int
    let height: Int
    let format: PixelFormat
    private let allowsLumaCopy: Bool
    private var context: OpaquePointer?

    /// Formats whose first plane is 8-bit luma at full resolution.
    private static let lumaFirstFormats: Set<Int32> = [
        AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUVJ420P, AV_PIX_FMT_YUV422P, AV_PIX_FMT_YUVJ422P,
        AV_PIX_FMT_YUV444P, AV_PIX_FMT_YUVJ444P, AV_PIX_FMT_NV12, AV_PIX_FMT_NV21, AV_PIX_FMT_GRAY8,
    ].map(\.rawValue).reduce(into: []) { $0.insert($1) }
    private static let fullRangeFormats: Set<Int32> = [
        AV_PIX_FMT_YUVJ420P, AV_PIX_FMT_YUVJ422P, AV_PIX_FMT_YUVJ444P, AV_PIX_FMT_GRAY8,
    ].map(\.rawValue).reduce(into: []) { $0.insert($1) }
    /// Limited-range luma to full range: (Y - 16) * 255 / 219, rounded and clipped.
    private static let expandLimitedRange: [UInt8] = (0..<256).map { value in
        UInt8(max(0, min(255, ((Double(value) - 16) * 255 / 219).rounded())))
    }

    /// - Parameter allowsLumaCopy: take the luma fast path where it applies (tests compare it
    ///   with swscale by turning it off).
    init(width: Int, height: Int, format: PixelFormat, allowsLumaCopy: Bool = true) {
        self.width = width
        self.height = height
        self.format = format
        self.allowsLumaCopy = allowsLumaCopy
    }

    deinit { sws_freeContext(context) }

    /// The frame's pixels, converted (and scaled) into a new packed buffer.
    func convert(_ frame: UnsafeMutablePointer<AVFrame>) throws -> VideoFrame {
        if allowsLumaCopy, format == .gray8, Int(frame.pointee.width) == width, Int(frame.pointee.height) == height,
           Self.lumaFirstFormats.contains(frame.pointee.format) {
            return copyLuma(frame)
        }
        let target = format == .gray8 ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_RGB24
        // The cached context is rebuilt only if the input size or format changes mid-stream.
        context = sws_getCachedContext(context, frame.pointee.width, frame.pointee.height,
                                       AVPixelFormat(frame.pointee.format), Int32(width), Int32(height),
                                       target, Int32(SWS_BILINEAR), nil, nil, nil)
        guard let context else {
            throw StageError("cannot convert \(frame.pointee.width)x\(frame.pointee.height) frames to \(format.rawValue)")
        }
        let stride = width * format.bytesPerPixel
        var pixels = [UInt8](repeating: 0, count: stride * height)
        let scaled: Int32 = pixels.withUnsafeMutableBufferPointer { destination in
            var destinationPlanes: [UnsafeMutablePointer<UInt8>?] = [destination.baseAddress, nil, nil, nil]
            var destinationStrides: [Int32] = [Int32(stride), 0, 0, 0]
            return withUnsafePointer(to: &frame.pointee.data) { planes in
                planes.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { sourcePlanes in
                    withUnsafePointer(to: &frame.pointee.linesize) { strides in
                        strides.withMemoryRebound(to: Int32.self, capacity: 8) { sourceStrides in
                            sws_scale(context, sourcePlanes, sourceStrides, 0, frame.pointee.height,
                                      &destinationPlanes, &destinationStrides)
                        }
                    }
                }
            }
        }
        guard scaled > 0 else { throw StageError("swscale failed on a \(frame.pointee.width)x\(frame.pointee.height) frame") }
        return VideoFrame(width: width, height: height, format: format, stride: stride, pixels: pixels)
    }

    private func copyLuma(_ frame: UnsafeMutablePointer<AVFrame>) -> VideoFrame {
        let fullRange = frame.pointee.color_range == AVCOL_RANGE_JPEG || Self.fullRangeFormats.contains(frame.pointee.format)
        let sourceStride = Int(frame.pointee.linesize.0)
        let source = frame.pointee.data.0!
        let pixels = [UInt8](unsafeUninitializedCapacity: width * height) { destination, count in
            for row in 0..<height {
                let from = source + row * sourceStride
                let to = destination.baseAddress! + row * width
                if fullRange {
                    to.update(from: from, count: width)
                } else {
                    Self.expandLimitedRange.withUnsafeBufferPointer { table in
                        for column in 0..<width { to[column] = table[Int(from[column])] }
                    }
                }
            }
            count = width * height
        }
        return VideoFrame(width: width, height: height, format: .gray8, stride: width, pixels: pixels)
    }
}
