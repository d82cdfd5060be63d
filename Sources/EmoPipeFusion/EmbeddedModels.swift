import EmoPipeCore
import Foundation

/// The default estimators, compiled in from Models/ (`scripts/embed-models.sh`), and how a
/// `model:` parameter finds its model: an embedded name, or a file path.
public enum EmbeddedModels {
    /// Names of the embedded models, sorted.
    public static var names: [String] { EmbeddedModelFiles.files.keys.sorted() }

    /// The JSON text of embedded model `name`.
    public static func text(named name: String) -> String? { EmbeddedModelFiles.files[name] }

    /// The model a `model:` parameter names: an embedded default, or a JSON file.
    public static func resolve(_ reference: String) throws -> AffectModel {
        let (data, source) = try contents(reference)
        return try AffectModel.load(json: data, source: source)
    }

    /// The bytes of the model file `reference` names (an embedded name, or a path), and the name
    /// errors give it.
    static func contents(_ reference: String) throws -> (data: Data, source: String) {
        if let text = text(named: reference) { return (Data(text.utf8), "<embedded model \(reference)>") }
        guard reference.contains("/") || reference.hasSuffix(".json") else {
            throw StageError("no embedded model '\(reference)'; embedded: " + names.joined(separator: ", ") + " (or give a model file's path)")
        }
        guard let data = FileContents.read(reference) else {
            throw StageError("\(reference): model file not found")
        }
        return (data, reference)
    }
}
