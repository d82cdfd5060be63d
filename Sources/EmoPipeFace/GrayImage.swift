import EmoPipeCore

/// An 8-bit gray image, rows top to bottom, `stride` bytes apart: what dlib's detector and shape
/// predictor read.
public struct GrayImage: Sendable {
    public var width: Int
    public var height: Int
    public var stride: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, stride: Int? = nil, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.stride = stride ?? width
        self.pixels = pixels
    }

    /// The luma of a video frame: gray frames as they are (no copy), RGB by ITU-R BT.601 weights.
    public init(_ frame: VideoFrame) {
        switch frame.format {
        case .gray8:
            self.init(width: frame.width, height: frame.height, stride: frame.stride, pixels: frame.pixels)
        case .rgb24:
            var luma = [UInt8](repeating: 0, count: frame.width * frame.height)
            frame.pixels.withUnsafeBufferPointer { rgb in
                for row in 0..<frame.height {
                    let source = row * frame.stride
                    let target = row * frame.width
                    for column in 0..<frame.width {
                        let p = source + 3 * column
                        // 0.299 R + 0.587 G + 0.114 B in 16-bit fixed point, rounded.
                        let y = 19595 * UInt32(rgb[p]) + 38470 * UInt32(rgb[p + 1]) + 7471 * UInt32(rgb[p + 2]) + 32768
                        luma[target + column] = UInt8(truncatingIfNeeded: y >> 16)
                    }
                }
            }
            self.init(width: frame.width, height: frame.height, pixels: luma)
        }
    }
}

extension GrayImage {
    /// The image with a border of `border` pixels on every side, filled with its mean gray.
    public func padded(by border: Int) -> GrayImage {
        var sum = 0
        for row in 0..<height {
            for column in 0..<width { sum += Int(pixels[row * stride + column]) }
        }
        let fill = UInt8(sum / max(1, width * height))
        let paddedWidth = width + 2 * border
        var out = [UInt8](repeating: fill, count: paddedWidth * (height + 2 * border))
        for row in 0..<height {
            let target = (row + border) * paddedWidth + border
            out.replaceSubrange(target..<(target + width), with: pixels[(row * stride)..<(row * stride + width)])
        }
        return GrayImage(width: paddedWidth, height: height + 2 * border, pixels: out)
    }
}
