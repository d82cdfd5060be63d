import Foundation

/// Linear prediction from an autocorrelation sequence (Levinson-Durbin recursion).
public enum LinearPrediction {
    /// The predictor polynomial A(z) = 1 + a1 z^-1 + ... + ap z^-p for autocorrelation
    /// `r[0...order]`, and the prediction error power; nil when r[0] is not positive.
    public static func coefficients(autocorrelation r: [Double], order: Int) -> (a: [Double], error: Double)? {
        guard r.count > order, r[0] > 0 else { return nil }
        var a = [Double](repeating: 0, count: order + 1)
        a[0] = 1
        var error = r[0]
        for i in 1...order {
            var accumulator = r[i]
            for j in 1..<i { accumulator += a[j] * r[i - j] }
            let reflection = -accumulator / error
            let previous = a
            for j in 1..<i { a[j] = previous[j] + reflection * previous[i - j] }
            a[i] = reflection
            error *= (1 - reflection * reflection)
            if error <= 0 { return nil }
        }
        return (a, error)
    }
}
