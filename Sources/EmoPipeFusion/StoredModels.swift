import EmoPipeCore
import Foundation

/// How a `model:` parameter finds its estimator file: a name in the model store
/// (`ModelStore.models`: `voice` is `Models/voice.json`), or a file path.
public enum StoredModels {
    /// Names of the estimator files in the model store (`Models/*.json`), sorted.
    public static var names: [String] { ModelStore.models.names(extension: "json") }

    /// The model a `model:` parameter names: a stored model, or a JSON file.
    public static func resolve(_ reference: String) throws -> AffectModel {
        let (data, source) = try contents(reference)
        return try AffectModel.load(json: data, source: source)
    }

    /// The bytes of the model file `reference` names (a stored name, or a path), and the path
    /// errors give it.
    static func contents(_ reference: String) throws -> (data: Data, source: String) {
        do {
            let (path, data) = try ModelStore.models.read(reference, extensions: [".json"])
            return (data, path)
        } catch let error as ModelStoreError {
            throw StageError(error.description)
        }
    }
}
