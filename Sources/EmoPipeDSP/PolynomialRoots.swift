import Foundation

/// A complex number, just enough for polynomial roots.
public struct ComplexValue: Sendable, Equatable {
    public var re: Double
    public var im: Double
    public init(_ re: Double, _ im: Double) { self.re = re; self.im = im }
    public var magnitude: Double { (re * re + im * im).squareRoot() }
    public var phase: Double { atan2(im, re) }
    static func + (l: Self, r: Self) -> Self { Self(l.re + r.re, l.im + r.im) }
    static func - (l: Self, r: Self) -> Self { Self(l.re - r.re, l.im - r.im) }
    static func * (l: Self, r: Self) -> Self { Self(l.re * r.re - l.im * r.im, l.re * r.im + l.im * r.re) }
    static func / (l: Self, r: Self) -> Self {
        let d = r.re * r.re + r.im * r.im
        return Self((l.re * r.re + l.im * r.im) / d, (l.im * r.re - l.re * r.im) / d)
    }
}

/// Roots of real polynomials by the Aberth-Ehrlich simultaneous iteration.
public enum PolynomialRoots {
    /// The roots of c[0] x^n + c[1] x^(n-1) + ... + c[n] (c[0] != 0). `start`, when it holds n
    /// values (say the roots of a similar polynomial), seeds the iteration; it is turned a
    /// little off the real axis, where a real polynomial's iteration could not leave it.
    public static func roots(of c: [Double], start: [ComplexValue] = [], maxIterations: Int = 100,
                             tolerance: Double = 1e-12) -> [ComplexValue] {
        let degree = c.count - 1
        guard degree >= 1, c[0] != 0 else { return [] }
        let monic = c.map { $0 / c[0] }
        var z: [ComplexValue]
        if start.count == degree {
            let turn = ComplexValue(cos(0.01), sin(0.01))
            z = start.map { $0 * turn }
        } else {
            // Start on a circle of the Cauchy-bound radius, at angles that avoid symmetry.
            let radius = 1 + (monic.dropFirst().map(abs).max() ?? 0)
            z = (0..<degree).map { k -> ComplexValue in
                let angle = 2 * Double.pi * Double(k) / Double(degree) + 0.4
                return ComplexValue(radius * 0.5 * cos(angle), radius * 0.5 * sin(angle))
            }
        }
        for _ in 0..<maxIterations {
            var largestStep = 0.0
            for i in 0..<degree {
                var value = ComplexValue(1, 0), derivative = ComplexValue(0, 0)
                for coefficient in monic.dropFirst() {
                    derivative = derivative * z[i] + value
                    value = value * z[i] + ComplexValue(coefficient, 0)
                }
                if value.magnitude == 0 { continue }
                let ratio = value / derivative
                var repulsion = ComplexValue(0, 0)
                for j in 0..<degree where j != i {
                    repulsion = repulsion + ComplexValue(1, 0) / (z[i] - z[j])
                }
                let step = ratio / (ComplexValue(1, 0) - ratio * repulsion)
                z[i] = z[i] - step
                largestStep = max(largestStep, step.magnitude)
            }
            if largestStep < tolerance { break }
        }
        return z
    }
}
