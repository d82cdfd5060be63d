import Foundation

/// Path text operations that never trap. Foundation's `NSString.deletingLastPathComponent`
/// traps on a one-character path without a slash ("a", "0": swift-corelibs-foundation on Linux,
/// found by scripts/fuzz.py through `--set out.path=0`), so paths from users go through here.
public enum PathText {
    /// The folder part of `path`: "" for a bare name, "/" for a name in the root, the path up to
    /// its last slash otherwise (trailing slashes ignored).
    public static func parent(_ path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "" }
        if slash == trimmed.startIndex { return "/" }
        var folder = trimmed[..<slash]
        while folder.count > 1, folder.hasSuffix("/") { folder = folder.dropLast() }
        return String(folder)
    }
}
