import EmoPipeCore
import EmoPipeEEG
import EmoPipeFusion
import Foundation

/// One entry of a run's input list: an input to process, or an argument that names nothing.
public enum InputItem: Sendable, Equatable {
    case input(InputLocation)
    /// A path that does not exist or cannot be read; it still gets an error record.
    case unusable(path: String, reason: String)
}

/// A file a folder walk did not take, and why.
public struct PassedOver: Sendable, Equatable {
    /// The file's path.
    public var path: String
    /// Why it is not an input (`not an EEG table: row 2, column 'Gender': 'F' is not a number`).
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}

/// Turns command-line INPUT arguments into inputs: a file as given (whatever its extension), a
/// folder walked recursively (sorted by relative path, hidden files skipped), or "-" for standard
/// input. In a folder, a transcript beside another input of the same name (`clip.srt` beside
/// `clip.mp4`) is that input's sidecar, not an input of its own.
///
/// A walk takes the files with the extensions the pipeline's sources read. With the default
/// pipelines (`byContent`), it also looks inside the files whose extension says little: an
/// SRT/VTT/JSON file is taken when it has a transcript's shape (timing lines; JSON segments or
/// words), a CSV file when it has the shape of an EEG table, and a `.txt` file only as the
/// sidecar of a recording of the same name (name it, or run a text pipeline, to read a lone
/// `.txt` as a transcript). What a walk passes over is
/// listed with the reason (`passedOver`), for the run summary.
public enum InputDiscovery {
    /// The inputs of `arguments`, and the files of their folders that were passed over.
    public struct Expansion: Sendable, Equatable {
        public var items: [InputItem]
        public var passedOver: [PassedOver]
    }

    /// The inputs of `arguments` (`discover(...).items`).
    public static func expand(_ arguments: [String], extensions: Set<String>, byContent: Bool = false) -> [InputItem] {
        discover(arguments, extensions: extensions, byContent: byContent).items
    }

    /// The inputs of `arguments`, and what their folders held that is not an input.
    public static func discover(_ arguments: [String], extensions: Set<String>, byContent: Bool = false) -> Expansion {
        var items: [InputItem] = []
        var passedOver: [PassedOver] = []
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
            let (found, skipped) = walk(folder: argument, extensions: extensions, byContent: byContent)
            items += found
            passedOver += skipped
        }
        return Expansion(items: withUniqueRelativePaths(items), passedOver: passedOver)
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

    private static func walk(folder: String, extensions: Set<String>, byContent: Bool) -> ([InputItem], [PassedOver]) {
        let root = folder.hasSuffix("/") ? String(folder.dropLast()) : folder
        var relativePaths: [String] = []
        var visited: Set<String> = [URL(fileURLWithPath: root).resolvingSymlinksInPath().path]
        guard collect(root, prefix: "", into: &relativePaths, visited: &visited) else {
            return ([.unusable(path: folder, reason: "cannot list folder")], [])
        }
        func byPath(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }
        var passedOver: [PassedOver] = []
        let known = relativePaths.filter { path in
            let fileExtension = (path as NSString).pathExtension.lowercased()
            if extensions.contains(fileExtension) { return true }
            let kind = fileExtension.isEmpty ? "a file without an extension" : "a .\(fileExtension) file"
            passedOver.append(PassedOver(path: root + "/" + path, reason: "\(kind): not a type the pipeline reads"))
            return false
        }
        var taken: [String] = []
        for path in withoutSidecars(known) {
            if byContent, let reason = contentProblem(root + "/" + path) {
                passedOver.append(PassedOver(path: root + "/" + path, reason: reason))
            } else {
                taken.append(path)
            }
        }
        return (taken.sorted(by: byPath).map { .input(InputLocation(path: root + "/" + $0, relativePath: $0)) },
                passedOver.sorted { byPath($0.path, $1.path) })
    }

    /// Why a default-pipeline walk does not take the file at `path` as an input, judged by its
    /// content; nil when it is one (media, EDF/BDF: FFmpeg and the EDF reader judge those).
    static func contentProblem(_ path: String) -> String? {
        switch (path as NSString).pathExtension.lowercased() {
        case "txt":
            return "a .txt file is a transcript beside a recording of the same name, when named, or with a text pipeline (emopipe run text-affect FOLDER)"
        case "srt", "vtt", "json":
            // Recognised by its shape, not judged by its values: a transcript with a bad time is
            // taken, and fails with the reason (a broken input is a failure, not a skip).
            return TranscriptParser.shapeProblem(path: path).map { "not a transcript: " + $0 }
        case "csv":
            return EEGTableShape.problem(path: path).map { "not an EEG table: " + $0 }
        default:
            return nil
        }
    }

    /// The paths less transcripts that share their path without extension with a non-transcript.
    static func withoutSidecars(_ paths: [String]) -> [String] {
        func stem(_ path: String) -> String { (path as NSString).deletingPathExtension }
        func isTranscript(_ path: String) -> Bool { TranscriptParser.extensions.contains((path as NSString).pathExtension.lowercased()) }
        let recordings = Set(paths.filter { !isTranscript($0) }.map(stem))
        return paths.filter { !isTranscript($0) || !recordings.contains(stem($0)) }
    }

    /// Adds the files under `directory`, as `prefix` + their path below it.
    /// Symbolic links are followed, as datasets are often trees of links: a link to a file counts
    /// as that file, a link to a folder is walked once (`visited` holds the real paths of the
    /// folders walked, so a link cycle ends); a dangling link is skipped.
    private static func collect(_ directory: String, prefix: String, into paths: inout [String],
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
                        _ = collect(full, prefix: prefix + relative + "/", into: &paths, visited: &visited)
                    }
                    continue
                }
                isRegularFile = true
            }
            if isRegularFile { paths.append(prefix + relative) }
        }
        return true
    }
}

/// The `.partial` files an input's run leaves in an output folder when the process dies with it
/// (`OUT/<relative path without extension>.<extension>.partial`).
public enum PartialOutputs {
    /// Removes them; returns how many there were.
    @discardableResult
    public static func remove(in output: String, relativePath: String) -> Int {
        let stem = output + "/" + (relativePath as NSString).deletingPathExtension
        let folder = PathText.parent(stem)
        let prefix = (stem as NSString).lastPathComponent + "."
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return 0 }
        var removed = 0
        for name in names where name.hasPrefix(prefix) && name.hasSuffix(".partial") {
            if (try? FileManager.default.removeItem(atPath: folder + "/" + name)) != nil { removed += 1 }
        }
        return removed
    }
}
