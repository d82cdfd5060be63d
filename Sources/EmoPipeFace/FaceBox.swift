/// A face rectangle in image pixels (right and bottom exclusive), with how sure the detector was.
public struct FaceBox: Sendable, Equatable {
    public var left: Double
    public var top: Double
    public var right: Double
    public var bottom: Double
    /// dlib's HOG detection score (0 at its default threshold; about 1-2 for a clear frontal face).
    public var score: Double

    public init(left: Double, top: Double, right: Double, bottom: Double, score: Double = 0) {
        self.left = left
        self.top = top
        self.right = right
        self.bottom = bottom
        self.score = score
    }

    public var width: Double { right - left }
    public var height: Double { bottom - top }
    public var centre: SIMD2<Double> { SIMD2((left + right) / 2, (top + bottom) / 2) }

    /// Intersection over union with `other` (0 when they do not overlap).
    public func overlap(_ other: FaceBox) -> Double {
        let width = min(right, other.right) - max(left, other.left)
        let height = min(bottom, other.bottom) - max(top, other.top)
        guard width > 0, height > 0 else { return 0 }
        let intersection = width * height
        return intersection / (self.width * self.height + other.width * other.height - intersection)
    }
}
