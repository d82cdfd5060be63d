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
    /// little off the real axis, where a real polynomial's iteration could not leave it. Each
    /// root stops moving once its step falls below `tolerance` (absolute), at most after
    /// `maxIterations` sweeps.
    public static func roots(of c: [Double], start: [ComplexValue] = [], maxIterations: Int = 100,
                             tolerance: Double = 1e-10) -> [ComplexValue] {
        let degree = c.count - 1
        guard degree >= 1, c[0] != 0 else { return [] }
        let monic = c.map { $0 / c[0] }
        let z: [ComplexValue]
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
        // Split into real and imaginary parts; reciprocals take one real division each. A root
        // whose step fell below `tolerance` is settled: it stays put (its neighbours still feel
        // it) and the iteration ends when every root is.
        var re = z.map(\.re), im = z.map(\.im)
        var settled = [Bool](repeating: false, count: degree)
        var unsettled = degree
        let coefficients = Array(monic.dropFirst())
        for _ in 0..<maxIterations {
            guard unsettled > 0 else { break }
            for i in 0..<degree where !settled[i] {
                let zr = re[i], zi = im[i]
                // p(z) and p'(z) by Horner.
                var valueRe = 1.0, valueIm = 0.0, derivativeRe = 0.0, derivativeIm = 0.0
                for coefficient in coefficients {
                    let dr = derivativeRe * zr - derivativeIm * zi + valueRe
                    let di = derivativeRe * zi + derivativeIm * zr + valueIm
                    derivativeRe = dr
                    derivativeIm = di
                    let vr = valueRe * zr - valueIm * zi + coefficient
                    let vi = valueRe * zi + valueIm * zr
                    valueRe = vr
                    valueIm = vi
                }
                if valueRe == 0 && valueIm == 0 {
                    settled[i] = true
                    unsettled -= 1
                    continue
                }
                // ratio = p / p'
                let derivativeNorm = 1 / (derivativeRe * derivativeRe + derivativeIm * derivativeIm)
                let ratioRe = (valueRe * derivativeRe + valueIm * derivativeIm) * derivativeNorm
                let ratioIm = (valueIm * derivativeRe - valueRe * derivativeIm) * derivativeNorm
                // repulsion = sum over j != i of 1 / (z_i - z_j)
                var repulsionRe = 0.0, repulsionIm = 0.0
                for j in 0..<degree where j != i {
                    let dr = zr - re[j], di = zi - im[j]
                    let norm = 1 / (dr * dr + di * di)
                    repulsionRe += dr * norm
                    repulsionIm -= di * norm
                }
                // step = ratio / (1 - ratio * repulsion)
                let denominatorRe = 1 - (ratioRe * repulsionRe - ratioIm * repulsionIm)
                let denominatorIm = -(ratioRe * repulsionIm + ratioIm * repulsionRe)
                let denominatorNorm = 1 / (denominatorRe * denominatorRe + denominatorIm * denominatorIm)
                let stepRe = (ratioRe * denominatorRe + ratioIm * denominatorIm) * denominatorNorm
                let stepIm = (ratioIm * denominatorRe - ratioRe * denominatorIm) * denominatorNorm
                re[i] = zr - stepRe
                im[i] = zi - stepIm
                if (stepRe * stepRe + stepIm * stepIm).squareRoot() < tolerance {
                    settled[i] = true
                    unsettled -= 1
                }
            }
        }
        return (0..<degree).map { ComplexValue(re[$0], im[$0]) }
    }
}
