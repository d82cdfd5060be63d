import Foundation

/// Where model files that ship as files (networks: a folder with `graph.json` and
/// `weights.safetensors`) are found by name: `$EMOPIPE_MODELS`, then `Models/` beside the
/// executable or in `../share/emopipe/` from it, then the `Models/` folder of the source checkout
/// the binary was built from. A reference containing a `/` is a path and is taken as it is.
public enum ModelDirectory {
    /// The folders searched for a model named without a path, in order.
    public static var searchPath: [URL] {
        var folders: [URL] = []
        if let custom = ProcessInfo.processInfo.environment["EMOPIPE_MODELS"], !custom.isEmpty {
            folders.append(URL(fileURLWithPath: custom, isDirectory: true))
        }
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent()
        folders.append(executable.appendingPathComponent("Models", isDirectory: true))
        folders.append(executable.appendingPathComponent("../share/emopipe/Models", isDirectory: true).standardized)
        // Sources/EmoPipeCore/ModelDirectory.swift -> the checkout's Models/.
        let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        folders.append(checkout.appendingPathComponent("Models", isDirectory: true))
        return folders
    }

    /// The path of the model `reference` names: a path as given (when it contains `/`), or the
    /// first `<folder>/<reference>` on the search path that exists; nil when none does.
    public static func locate(_ reference: String) -> String? {
        guard !reference.isEmpty else { return nil }
        if reference.contains("/") { return FileManager.default.fileExists(atPath: reference) ? reference : nil }
        for folder in searchPath {
            let candidate = folder.appendingPathComponent(reference).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
        }
        return nil
    }
}
