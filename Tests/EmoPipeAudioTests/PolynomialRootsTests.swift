import EmoPipeDSP
import Foundation
import Testing

/// Aberth-Ehrlich roots against polynomials built from known roots (an LPC-like set of
/// conjugate pole pairs inside the unit circle plus real poles), cold and warm started.
@Suite struct PolynomialRootsTests {
    /// Coefficients (leading first) of prod (x - root).
    private func polynomial(_ roots: [ComplexValue]) -> [Double] {
        var re: [Double] = [1], im: [Double] = [0]
        for root in roots {
            var nextRe = re + [0], nextIm = im + [0]
            for k in 0..<re.count {
                nextRe[k + 1] -= re[k] * root.re - im[k] * root.im
                nextIm[k + 1] -= re[k] * root.im + im[k] * root.re
            }
            re = nextRe
            im = nextIm
        }
        #expect(im.allSatisfy { abs($0) < 1e-9 }, "conjugate pairs give a real polynomial")
        return re
    }

    /// Five formant-like pole pairs (frequency in radians, radius) and one real pole: order 11.
    private let known: [ComplexValue] = {
        let poles: [(angle: Double, radius: Double)] = [(0.25, 0.97), (0.6, 0.95), (1.1, 0.9), (1.8, 0.85), (2.6, 0.8)]
        var roots: [ComplexValue] = [ComplexValue(-0.5, 0)]
        for pole in poles {
            let re = pole.radius * cos(pole.angle), im = pole.radius * sin(pole.angle)
            roots += [ComplexValue(re, im), ComplexValue(re, -im)]
        }
        return roots
    }()

    private func distance(_ a: ComplexValue, _ b: ComplexValue) -> Double { hypot(a.re - b.re, a.im - b.im) }

    private func matches(_ found: [ComplexValue], _ expected: [ComplexValue], tolerance: Double) -> Bool {
        guard found.count == expected.count else { return false }
        var left = found
        for root in expected {
            guard let index = left.indices.min(by: { distance(left[$0], root) < distance(left[$1], root) }),
                  distance(left[index], root) < tolerance else { return false }
            left.remove(at: index)
        }
        return true
    }

    @Test func coldStartFindsEveryRootOfAnOrderElevenPredictor() {
        let found = PolynomialRoots.roots(of: polynomial(known))
        #expect(matches(found, known, tolerance: 1e-9), "\(found)")
    }

    @Test func warmStartFromANeighbouringFramesRootsConverges() {
        // The previous frame's roots, each moved a little: the next frame's iteration starts there.
        let previous = known.map { ComplexValue($0.re * 0.98 + 0.01, $0.im * 1.01) }
        let found = PolynomialRoots.roots(of: polynomial(known), start: previous)
        #expect(matches(found, known, tolerance: 1e-9), "\(found)")
    }

    @Test func aScaledPolynomialHasTheSameRootsAndDegreeZeroHasNone() {
        let scaled = polynomial(known).map { $0 * -3.5 }
        #expect(matches(PolynomialRoots.roots(of: scaled), known, tolerance: 1e-9))
        #expect(PolynomialRoots.roots(of: [2]).isEmpty)
        #expect(matches(PolynomialRoots.roots(of: [2, -4]), [ComplexValue(2, 0)], tolerance: 1e-12))
    }
}
