import Foundation

/// Elementwise functions over float arrays for the transformer's softmax and GELU: libm's expf
/// and erff are calls per element and dominated Whisper's encoder after the matrix products.
/// These are branch-free scalar loops without calls, which the compiler vectorises.
enum VectorMath {
    /// e^x for x in [-87, 88] with a relative error below 2e-7: 2^n e^f with n = round(x log2 e)
    /// (by the 1.5 x 2^23 rounding trick), f = x - n ln 2 (|f| <= 0.35) and e^f by its Taylor
    /// polynomial of degree 6. Inputs below -87 give about 1e-38 (not 0).
    @inline(__always)
    static func exp(_ x: Float) -> Float {
        let clamped = Swift.min(Swift.max(x, -87), 88)
        let shifted = clamped * 1.442695041 + 12_582_912
        let n = shifted - 12_582_912
        let f = clamped - n * 0.6931471806
        var p: Float = 1.0 / 720
        p = p * f + 1.0 / 120
        p = p * f + 1.0 / 24
        p = p * f + 1.0 / 6
        p = p * f + 0.5
        p = p * f + 1
        p = p * f + 1
        let exponent = (Int32(bitPattern: shifted.bitPattern) &- 0x4B40_0000 &+ 127) &<< 23
        return p * Float(bitPattern: UInt32(bitPattern: exponent))
    }

    /// In place: x <- e^(x - shift); returns the sum of the results.
    static func exponentiate(_ values: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Float {
        for index in 0..<count { values[index] = exp(values[index] - shift) }
        // Eight running sums (a float sum is not reordered, so one would not vectorise).
        var sums = (Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0))
        var index = 0
        while index + 8 <= count {
            sums.0 += values[index]; sums.1 += values[index + 1]; sums.2 += values[index + 2]; sums.3 += values[index + 3]
            sums.4 += values[index + 4]; sums.5 += values[index + 5]; sums.6 += values[index + 6]; sums.7 += values[index + 7]
            index += 8
        }
        var sum = ((sums.0 + sums.1) + (sums.2 + sums.3)) + ((sums.4 + sums.5) + (sums.6 + sums.7))
        while index < count { sum += values[index]; index += 1 }
        return sum
    }

    /// The largest of `count` values (-infinity for none).
    static func maximum(_ values: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = (-Float.infinity, -Float.infinity, -Float.infinity, -Float.infinity)
        var index = 0
        while index + 4 <= count {
            lanes.0 = Swift.max(lanes.0, values[index]); lanes.1 = Swift.max(lanes.1, values[index + 1])
            lanes.2 = Swift.max(lanes.2, values[index + 2]); lanes.3 = Swift.max(lanes.3, values[index + 3])
            index += 4
        }
        var result = Swift.max(Swift.max(lanes.0, lanes.1), Swift.max(lanes.2, lanes.3))
        while index < count { result = Swift.max(result, values[index]); index += 1 }
        return result
    }

    /// In place: x <- x scale.
    static func scale(_ values: UnsafeMutablePointer<Float>, count: Int, by factor: Float) {
        for index in 0..<count { values[index] *= factor }
    }

    /// In place: GELU(x) = x Φ(x) = x (1 + erf(x / sqrt 2)) / 2, with erf from Abramowitz and
    /// Stegun 7.1.26 (absolute error below 1.5e-7).
    static func gelu(_ values: UnsafeMutablePointer<Float>, count: Int) {
        for index in 0..<count {
            let x = values[index]
            let z = Swift.abs(x) * 0.70710678
            let t = 1 / (1 + 0.3275911 * z)
            var poly: Float = 1.061405429
            poly = poly * t - 1.453152027
            poly = poly * t + 1.421413741
            poly = poly * t - 0.284496736
            poly = poly * t + 0.254829592
            let erfAbs = 1 - poly * t * exp(-z * z)
            values[index] = 0.5 * x * (1 + (x < 0 ? -erfAbs : erfAbs))
        }
    }
}
