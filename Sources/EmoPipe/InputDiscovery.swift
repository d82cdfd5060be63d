import EmoPipeCore
import EmoPipeFusion
import Foundation

/// One entry of a run's input list: an input to process, or an argument that names nothing.
public enum InputItem: Sendable, Equatable {
    case input(InputLocation)
    /// A path that does not exist or cannot be read; it still gets an error record.
    case unusable(path: String, reason: String)
}

/// Turns command-line INPUT arguments into inputs: a file as given, a folder walked recursively
/// for files with known extensions (sorted by relative path, hidden files skipped), or "-" for
/// standard input. In a folder, a transcript beside another input of the same name
/// (`clip.srt` beside `clip.mp4`) is that input's sidecar, not an input of its own.
public enum InputDiscovery {
    public static func expand(_ arguments: [String], extensions: Set<String>) -> [InputItem] {
        var items: [InputItem] = []
        for argument in arguments {
            if argument == "-" {
                items.append(.input(.standardInput))
                continue
            }
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: argument, isDirectory: &isFolder) else {
                items.append(.unusable(path: argument, reason: "no such file or folder"))
                continue
            }
            if !isFolder.boolValue {
                items.append(.input(InputLocation(path: argument)))
                continue
            }
            items += walk(folder: argument, extensions: extensions)
        }
        return withUniqueRelativePaths(items)
    }

    /// Outputs are named after relative paths without extension, so two inputs must not share
    /// one (`a/clip.mp4` and `b/clip.wav` given as files): a repeated one becomes the input's
    /// whole path.
    private static func withUniqueRelativePaths(_ items: [InputItem]) -> [InputItem] {
        var seen: Set<String> = []
        return items.map { item in
            guard case .input(var input) = item else { return item }
            if seen.contains(input.relativeStem) {
                input.relativePath = String(input.path.drop { $0 == "/" || $0 == "." })
            }
            seen.insert(input.relativeStem)
            return .input(input)
        }
    }

    private static func walk(folder: String, extensions: Set<String>) -> [InputItem] {
        let root = folder.hasSuffix("/") ? String(folder.dropLast()) : folder
        var relativePaths: [String] = []
        var visited: Set<String> = [URL(fileURLWithPath: root).resolvingSymlinksInPath().path]
        guard collect(root, prefix: "", extensions: extensions, into: &relativePaths, visited: &visited) else {
            return [.unusable(path: folder, reason: "cannot list folder")]
        }
        return withoutSidecars(relativePaths).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            .map { .input(InputLocation(path: root + "/" + $0, relativePath: $0)) }
    }

    /// The paths less transcripts that share their path without extension with a non-transcript.
    static func withoutSidecars(_ paths: [String]) -> [String] {
        func stem(_ path: String) -> String { (path as NSString).deletingPathExtension }
        func isTranscript(_ path: String) -> Bool { TranscriptParser.extensions.contains((path as NSString).pathExtension.lowercased()) }
        let recordings = Set(paths.filter { !isTranscript($0) }.map(stem))
        return paths.filter { !isTranscript($0) || !recordings.contains(stem($0)) }
    }

    /// Adds the files under `directory` with a known extension, as `prefix` + their path below it.
    /// Symbolic links are followed, as datasets are often trees of links: a link to a file counts
    /// as that file, a link to a folder is walked once (`visited` holds the real paths of the
    /// folders walked, so a link cycle ends); a dangling link is skipped.
    private static func collect(_ directory: String, prefix: String, extensions: Set<String>, into paths: inout [String],
                                visited: inout Set<String>) -> Bool {
        // The enumerator lists a link to a folder as a link: list the folder it leads to.
        let target = URL(fileURLWithPath: directory).resolvingSymlinksInPath().path
        guard let enumerator = FileManager.default.enumerator(atPath: target) else { return false }
        while let relative = enumerator.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            let type = enumerator.fileAttributes?[.type] as? FileAttributeType
            if name.hasPrefix(".") {
                if type == .typeDirectory { enumerator.skipDescendants() }
                continue
            }
            var isRegularFile = type == .typeRegular
            if type == .typeSymbolicLink {
                let full = target + "/" + relative
                var isFolder: ObjCBool = false
                guard FileManager.default.fileExists(atPath: full, isDirectory: &isFolder) else { continue }
                if isFolder.boolValue {
                    if visited.insert(URL(fileURLWithPath: full).resolvingSymlinksInPath().path).inserted {
                        _ = collect(full, prefix: prefix + relative + "/", extensions: extensions, into: &paths, visited: &visited)
                    }
                    continue
                }
                isRegularFile = true
            }
            if isRegularFile, extensions.contains((name as NSString).pathExtension.lowercased()) { paths.append(prefix + relative) }
        }
        return true
    }
}
