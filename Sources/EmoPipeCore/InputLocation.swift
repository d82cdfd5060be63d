import Foundation

/// One input of a run: a file, or standard input.
public struct InputLocation: Sendable, Equatable, Hashable {
    /// The path as given, or "-" for standard input.
    public var path: String
    /// The path relative to the folder it was found in (the file name for a single file,
    /// "stdin" for standard input); outputs under `-o` mirror it.
    public var relativePath: String

    public init(path: String, relativePath: String? = nil) {
        self.path = path
        if let relativePath {
            self.relativePath = relativePath
        } else if path == "-" {
            self.relativePath = "stdin"
        } else {
            self.relativePath = path.split(separator: "/").last.map(String.init) ?? path
        }
    }

    /// Standard input.
    public static let standardInput = InputLocation(path: "-")

    public var isStandardInput: Bool { path == "-" }

    /// Whether the path names a regular file (after symbolic links): not standard input, a
    /// named pipe or a device, whose reads may wait for data still to come.
    public var isRegularFile: Bool {
        guard !isStandardInput else { return false }
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// The relative path without its extension (`talks/p01.mp4` -> `talks/p01`).
    public var relativeStem: String {
        guard let dot = relativePath.lastIndex(of: "."),
              !relativePath[dot...].contains("/"), dot != relativePath.startIndex else { return relativePath }
        return String(relativePath[..<dot])
    }

    /// The lower-case extension of the path, without the dot; empty when there is none.
    public var fileExtension: String {
        guard let name = path.split(separator: "/").last, let dot = name.lastIndex(of: "."),
              dot != name.startIndex else { return "" }
        return name[name.index(after: dot)...].lowercased()
    }
}
