import CDlibShim
import Foundation

/// dlib's HOG frontal face detector, one per thread of work.
///
/// The detector's model is deserialised once per process (~0.5 s); every `FaceDetector` is a
/// cheap copy of that prototype, since a dlib detector must not be shared between threads.
public final class FaceDetector {
    private let handle: OpaquePointer
    private var boxes = [DlibFaceBox](repeating: DlibFaceBox(), count: 32)

    /// A new detector (a copy of the process-wide prototype).
    public init() throws {
        let prototype = try Self.prototype.get()
        guard let copy = dlib_detector_copy(prototype.handle) else {
            throw FaceModelError("could not copy dlib's face detector")
        }
        handle = copy
    }

    deinit { dlib_detector_free(handle) }

    /// Faces in an 8-bit gray image, best first. The image is resampled by `scale` before the
    /// search (2 finds faces half the ~80 px the detector needs; 0.5 skips faces under 160 px and
    /// runs 4x faster); boxes are in the input's pixels. `threshold` is dlib's `adjust_threshold`:
    /// boxes scoring below it are dropped. With a `region`, only that part of the image is searched
    /// (read in place, no copy).
    public func detect(_ image: GrayImage, region: FaceBox? = nil, scale: Double = 1, threshold: Double = 0) throws -> [FaceBox] {
        var left = 0, top = 0, width = image.width, height = image.height
        if let region {
            left = max(0, Int(region.left.rounded(.down)) / 8 * 8)
            top = max(0, Int(region.top.rounded(.down)) / 8 * 8)
            width = min(image.width, Int(region.right.rounded(.up))) - left
            height = min(image.height, Int(region.bottom.rounded(.up))) - top
            guard width > 0, height > 0 else { return [] }
        }
        var message = [CChar](repeating: 0, count: 512)
        let found = image.pixels.withUnsafeBufferPointer { pixels in
            boxes.withUnsafeMutableBufferPointer { out in
                dlib_detect(handle, pixels.baseAddress! + top * image.stride + left, Int32(width), Int32(height),
                            Int32(image.stride), scale, threshold, out.baseAddress, Int32(out.count), &message, message.count)
            }
        }
        guard found >= 0 else { throw FaceModelError("face detection failed: \(decode(message))") }
        return boxes.prefix(Int(found)).map {
            FaceBox(left: $0.left + Double(left), top: $0.top + Double(top), right: $0.right + Double(left),
                    bottom: $0.bottom + Double(top), score: $0.score)
        }
    }

    private final class Prototype: @unchecked Sendable {
        // Only ever read (copied) after creation; dlib's copy constructor does not mutate it.
        let handle: OpaquePointer
        init(_ handle: OpaquePointer) { self.handle = handle }
    }

    private static let prototype: Result<Prototype, FaceModelError> = {
        #if arch(x86_64) && os(Linux)
        // The shim is compiled with AVX (Package.swift); say so rather than die of an illegal instruction.
        if let flags = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
           flags.contains("flags"), !flags.contains(" avx ") && !flags.contains(" avx\n") {
            return .failure(FaceModelError("the face stages were built with AVX instructions, which this CPU lacks"))
        }
        #endif
        var message = [CChar](repeating: 0, count: 512)
        guard let handle = dlib_detector_create(&message, message.count) else {
            return .failure(FaceModelError("could not create dlib's face detector: \(decode(message))"))
        }
        return .success(Prototype(handle))
    }()
}

/// A face model that could not be loaded or run.
public struct FaceModelError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// The NUL-terminated UTF-8 text in a C buffer.
func decode(_ buffer: [CChar]) -> String {
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
}
