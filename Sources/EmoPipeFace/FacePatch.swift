/// A small, contrast-normalised picture of a face box, to tell whether a tracked box still shows
/// the face the detector confirmed (normalised cross-correlation, as correlation trackers use).
struct FacePatch {
    static let side = 24
    /// Zero-mean, unit-norm samples, row by row; empty when the box has no contrast.
    let samples: [Float]

    init(_ image: GrayImage, box: FaceBox) {
        let side = Self.side
        var values = [Float](repeating: 0, count: side * side)
        let stepX = box.width / Double(side), stepY = box.height / Double(side)
        image.pixels.withUnsafeBufferPointer { pixels in
            for row in 0..<side {
                let y = min(max(Int(box.top + (Double(row) + 0.5) * stepY), 0), image.height - 1)
                for column in 0..<side {
                    let x = min(max(Int(box.left + (Double(column) + 0.5) * stepX), 0), image.width - 1)
                    values[row * side + column] = Float(pixels[y * image.stride + x])
                }
            }
        }
        let mean = values.reduce(0, +) / Float(values.count)
        var norm: Float = 0
        for index in values.indices {
            values[index] -= mean
            norm += values[index] * values[index]
        }
        // Less than one grey level of spread: nothing to correlate with.
        guard norm > Float(values.count) else {
            samples = []
            return
        }
        let scale = 1 / norm.squareRoot()
        samples = values.map { $0 * scale }
    }

    /// Normalised cross-correlation in [-1, 1]; 0 when either patch is flat.
    func similarity(to other: FacePatch) -> Double {
        guard !samples.isEmpty, samples.count == other.samples.count else { return 0 }
        var sum: Float = 0
        for index in samples.indices { sum += samples[index] * other.samples[index] }
        return Double(sum)
    }
}
