import Foundation

/// FNV-1a, 64 bit: a small, stable, non-cryptographic hash for naming configurations (pipeline
/// configurations, subject baselines). Stable across runs and platforms, unlike `Hasher`.
public enum FNV1a {
    /// The hash of `text`'s UTF-8 bytes as 16 hex digits.
    public static func hex(_ text: String) -> String { hex(bytes: text.utf8) }

    /// The hash of `data` as 16 hex digits.
    public static func hex(_ data: Data) -> String { data.withUnsafeBytes { hex(bytes: $0) } }

    private static func hex<Bytes: Sequence>(bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
