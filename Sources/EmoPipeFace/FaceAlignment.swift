/// A face cut out of an image the way an expression network saw its training faces: a
/// similarity transform (rotation, uniform scale, shift) that puts the eye centres level, a fixed
/// distance apart, at a fixed place in a `size` x `size` crop.
public struct FaceAlignment: Sendable, Equatable {
    /// Crop side (pixels).
    public var size: Int
    /// Where the midpoint between the eye centres goes (crop pixels, pixel centres at integers).
    public var eyeMidpoint: SIMD2<Double>
    /// Distance between the eye centres in the crop (pixels).
    public var eyeDistance: Double

    public init(size: Int, eyeMidpoint: SIMD2<Double>, eyeDistance: Double) {
        self.size = size
        self.eyeMidpoint = eyeMidpoint
        self.eyeDistance = eyeDistance
    }

    /// Centres of the left and right eye (means of points 36-41 and 42-47, image left to right).
    public static func eyeCentres(_ landmarks: FaceLandmarks) -> (SIMD2<Double>, SIMD2<Double>) {
        let left = landmarks.points[36...41].reduce(.zero, +) / 6
        let right = landmarks.points[42...47].reduce(.zero, +) / 6
        return (left, right)
    }

    /// The crop's pixels (rows top to bottom, values 0-255 as Float), sampled bilinearly from
    /// `image`, averaging sub-samples when the face is shrunk (so a large face is not aliased),
    /// and repeating the edge pixels outside the image.
    public func crop(_ image: GrayImage, landmarks: FaceLandmarks) -> [Float] {
        let (left, right) = Self.eyeCentres(landmarks)
        let axis = right - left
        let distance = max(1e-6, (axis * axis).sum().squareRoot())
        // Image pixels per crop pixel, along the eye axis and across it.
        let unit = axis / eyeDistance
        let normal = SIMD2(-unit.y, unit.x)
        let centre = (left + right) / 2
        return render(image, shrink: distance / eyeDistance) { x, y in
            centre + (x - eyeMidpoint.x) * unit + (y - eyeMidpoint.y) * normal
        }
    }

    /// The whole image resampled to the crop size (for inputs that are already face crops).
    public func whole(_ image: GrayImage) -> [Float] {
        let scaleX = Double(image.width) / Double(size), scaleY = Double(image.height) / Double(size)
        return render(image, shrink: max(scaleX, scaleY)) { x, y in SIMD2((x + 0.5) * scaleX - 0.5, (y + 0.5) * scaleY - 0.5) }
    }

    /// The crop, each pixel the mean of n x n bilinear samples of `image` at `place(x, y)` (crop
    /// coordinates, pixel centres at integers), n the shrink factor rounded up (at most 8).
    private func render(_ image: GrayImage, shrink: Double, place: (Double, Double) -> SIMD2<Double>) -> [Float] {
        let steps = min(8, max(1, Int(shrink.rounded(.up))))
        let weight = 1 / Double(steps * steps)
        var out = [Float](repeating: 0, count: size * size)
        for v in 0..<size {
            for u in 0..<size {
                var sum = 0.0
                for a in 0..<steps {
                    for b in 0..<steps {
                        let point = place(Double(u) + (Double(b) + 0.5) / Double(steps) - 0.5, Double(v) + (Double(a) + 0.5) / Double(steps) - 0.5)
                        sum += Self.sample(image, x: point.x, y: point.y)
                    }
                }
                out[v * size + u] = Float(sum * weight)
            }
        }
        return out
    }

    /// Bilinear interpolation at (x, y), pixel centres at integers, edges repeated.
    static func sample(_ image: GrayImage, x: Double, y: Double) -> Double {
        let cx = min(max(x, 0), Double(image.width - 1)), cy = min(max(y, 0), Double(image.height - 1))
        let x0 = Int(cx), y0 = Int(cy)
        let x1 = min(x0 + 1, image.width - 1), y1 = min(y0 + 1, image.height - 1)
        let fx = cx - Double(x0), fy = cy - Double(y0)
        let p = image.pixels
        let top = Double(p[y0 * image.stride + x0]) * (1 - fx) + Double(p[y0 * image.stride + x1]) * fx
        let bottom = Double(p[y1 * image.stride + x0]) * (1 - fx) + Double(p[y1 * image.stride + x1]) * fx
        return top * (1 - fy) + bottom * fy
    }
}
