import Foundation

/// Where EmoPipe's shipped data lives, found by one lookup: the models (estimators, the text A/H
/// model, word lists, networks) in a `Models/` folder and the named pipelines in a `Pipelines/`
/// folder. Nothing is compiled into the binary; `make install` puts both folders in
/// `PREFIX/share/emopipe/`.
///
/// The search path of a store, in order:
/// 1. the folders in its environment variable (`EMOPIPE_MODELS`, `EMOPIPE_PIPELINES`), separated
///    by `:`;
/// 2. `Models/` (`Pipelines/`) beside the executable;
/// 3. `../share/emopipe/Models` (`Pipelines`) from the executable's folder: the installed layout
///    (`PREFIX/bin/emopipe`, `PREFIX/share/emopipe/`);
/// 4. the source checkout the binary was built from, when it still exists (development builds,
///    `make demo`).
///
/// The executable is the running process's own file (`/proc/self/exe` on Linux), so a binary
/// found through `PATH` or called through a symbolic link finds its installed data.
public struct ModelStore: Sendable {
    /// The store's folder name (`Models`, `Pipelines`).
    public let folder: String
    /// The environment variable that puts folders first on the search path.
    public let environmentVariable: String
    /// What one entry is called in messages ("model", "pipeline").
    public let noun: String
    /// The environment the search path reads; nil for the process's.
    public let environment: [String: String]?

    /// The models: estimators (`NAME.json`), the text A/H model, `lexicons/`, networks (folders).
    public static let models = ModelStore(folder: "Models", environmentVariable: "EMOPIPE_MODELS", noun: "model")
    /// The named pipelines (`NAME.yaml`).
    public static let pipelines = ModelStore(folder: "Pipelines", environmentVariable: "EMOPIPE_PIPELINES", noun: "pipeline")

    /// A store of `folder`s, with `environmentVariable` first on its search path, read from
    /// `environment` (nil: the process's environment).
    public init(folder: String, environmentVariable: String, noun: String, environment: [String: String]? = nil) {
        self.folder = folder
        self.environmentVariable = environmentVariable
        self.noun = noun
        self.environment = environment
    }

    /// The folders searched, in order (existing or not).
    public var searchPath: [URL] {
        var folders: [URL] = []
        if let custom = (environment ?? ProcessInfo.processInfo.environment)[environmentVariable] {
            for entry in custom.split(separator: ":") where !entry.isEmpty {
                folders.append(URL(fileURLWithPath: String(entry), isDirectory: true))
            }
        }
        let executableFolder = Self.executable.deletingLastPathComponent()
        folders.append(executableFolder.appendingPathComponent(folder, isDirectory: true))
        folders.append(executableFolder.appendingPathComponent("../share/emopipe/" + folder, isDirectory: true).standardized)
        folders.append(Self.checkout.appendingPathComponent(folder, isDirectory: true))
        var seen: Set<String> = []
        return folders.filter { seen.insert($0.path).inserted }
    }

    /// The search path as one line for messages.
    public var searchPathDescription: String {
        searchPath.map(\.path).joined(separator: ", ")
    }

    /// The first `<folder>/<name><extension>` on the search path that exists, for each extension
    /// in turn within a folder (`""` for the name as it is); nil when none does. `name` is
    /// relative to the store (`voice`, `lexicons/vader.tsv`); `..` is refused.
    public func locate(_ name: String, extensions: [String] = [""]) -> URL? {
        guard !name.isEmpty, !name.hasPrefix("/"), !name.split(separator: "/").contains("..") else { return nil }
        for folder in searchPath {
            for suffix in extensions {
                let candidate = folder.appendingPathComponent(name + suffix)
                if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            }
        }
        return nil
    }

    /// The file or folder a reference from a pipeline or the command line names: a path when it
    /// contains `/` or ends in one of the non-empty `extensions` (`mine.json`), else an entry of
    /// the store (`voice` finds `voice.json` with `extensions: ["", ".json"]`).
    public func resolve(_ reference: String, extensions: [String] = [""]) throws -> URL {
        if reference.contains("/") || extensions.contains(where: { !$0.isEmpty && reference.hasSuffix($0) }) {
            guard FileManager.default.fileExists(atPath: reference) else {
                throw ModelStoreError(description: "\(reference): no such \(noun) (file or folder)")
            }
            return URL(fileURLWithPath: reference)
        }
        return try require(reference, extensions: extensions)
    }

    /// The bytes of the regular file a reference names, at most `maximumBytes`: as `resolve`
    /// takes it (a path, or a name in the store), or with `inStore` always the store's entry
    /// (`lexicons/vader.tsv`). A missing or unreadable file is a `ModelStoreError` naming it.
    public func read(_ reference: String, extensions: [String] = [""], inStore: Bool = false,
                     maximumBytes: Int = 256 << 20) throws -> (path: String, data: Data) {
        let url = inStore ? try require(reference, extensions: extensions) : try resolve(reference, extensions: extensions)
        do {
            return (url.path, try FileContents.load(url.path, maximumBytes: maximumBytes))
        } catch {
            throw ModelStoreError(description: "\(url.path): \(error)")
        }
    }

    /// Like `locate`, but a missing entry is an error that names what was looked for and where.
    public func require(_ name: String, extensions: [String] = [""]) throws -> URL {
        if let found = locate(name, extensions: extensions) { return found }
        throw ModelStoreError(store: self, name: name, extensions: extensions)
    }

    /// The entries of the store (file names without `extension`, or folder names when
    /// `folders`), from every folder on the search path, the first of each name winning; sorted.
    public func names(extension fileExtension: String, folders: Bool = false) -> [String] {
        var names: Set<String> = []
        for folder in searchPath {
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { continue }
            for entry in entries where !entry.hasPrefix(".") {
                var isFolder: ObjCBool = false
                FileManager.default.fileExists(atPath: folder.appendingPathComponent(entry).path, isDirectory: &isFolder)
                if folders, isFolder.boolValue { names.insert(entry) }
                if !isFolder.boolValue, entry.hasSuffix("." + fileExtension) { names.insert(String(entry.dropLast(fileExtension.count + 1))) }
            }
        }
        return names.sorted()
    }

    /// The running executable's real path.
    static let executable: URL = {
        #if os(Linux)
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return URL(fileURLWithPath: path)
        }
        #endif
        if let url = Bundle.main.executableURL { return url.resolvingSymlinksInPath() }
        return URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
    }()

    /// The source checkout this file was compiled in (Sources/EmoPipeCore/ModelStore.swift ->
    /// the checkout).
    static let checkout: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
}

/// A model or pipeline that is not in the store: names what was looked for and where.
public struct ModelStoreError: Error, LocalizedError, CustomStringConvertible, Equatable {
    /// The message.
    public let description: String

    /// An error with this message.
    public init(description: String) { self.description = description }

    init(store: ModelStore, name: String, extensions: [String]) {
        let candidates = extensions.map { name + $0 }.joined(separator: " or ")
        description = "no \(store.noun) '\(name)': looked for \(candidates) in \(store.searchPathDescription)"
            + " (set \(store.environmentVariable) to the folder that holds it, or install EmoPipe with `make install`)"
    }

    public var errorDescription: String? { description }
}
