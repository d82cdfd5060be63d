import CFFmpeg
import EmoPipeCore

/// Converts decoded frames to packed gray8 or rgb24 at a fixed output size with swscale.
final class VideoFrameConverter {
    let width: Int
    let height: Int
    let format: PixelFormat
    private var context: OpaquePointer?

    init(width: Int, height: Int, format: PixelFormat) {
        self.width = width
        self.height = height
        self.format = format
    }

    deinit { sws_freeContext(context) }

    /// The frame's pixels, converted (and scaled) into a new packed buffer.
    func convert(_ frame: UnsafeMutablePointer<AVFrame>) throws -> VideoFrame {
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
}
