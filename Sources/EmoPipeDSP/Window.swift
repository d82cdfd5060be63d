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
}
