import Foundation

/// Analysis windows.
public enum Window {
    /// The periodic Hann window of `length` samples (scipy's `get_window("hann", n)`, which
    /// librosa and MNE use): 0.5 - 0.5 cos(2 pi n / length).
    public static func periodicHann(length: Int) -> [Float] {
        (0..<length).map { index -> Float in
            let phase = 2 * Double.pi * Double(index) / Double(length)
            return Float(0.5 - 0.5 * cos(phase))
        }
    }

    /// The symmetric Hamming window (openSMILE's `hamming`): 0.54 - 0.46 cos(2 pi n / (length - 1)).
    public static func hamming(length: Int) -> [Float] {
        guard length > 1 else { return [1] }
        return (0..<length).map { index -> Float in
            Float(0.54 - 0.46 * cos(2 * Double.pi * Double(index) / Double(length - 1)))
        }
    }

    /// The Gaussian window (openSMILE's `gauss`): exp(-0.5 ((n - (N-1)/2) / (sigma (N-1)/2))^2).
    public static func gaussian(length: Int, sigma: Double) -> [Float] {
        guard length > 1 else { return [1] }
        let half = Double(length - 1) / 2
        return (0..<length).map { index -> Float in
            let x = (Double(index) - half) / (sigma * half)
            return Float(exp(-0.5 * x * x))
        }
    }
}
