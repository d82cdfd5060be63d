import ArgumentParser
import EmoPipe
import EmoPipeCore
import Foundation

struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Lists the models in the model store (estimators, text A/H model, networks, word lists) and where each was found.",
        discussion: """
        The store is searched in order: the folders in $EMOPIPE_MODELS (separated by ':'), Models/ beside \
        the executable, ../share/emopipe/Models from it (the installed layout), and the source \
        checkout's Models/. With NAME, prints that model's provenance: what it was trained on, how it \
        was validated and with what scores, its licence.
        """)

    @Argument(help: "A model's name (voice, face-expression, lexicons/vader.tsv).")
    var name: String?

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        var entries = ModelCatalog.entries()
        if let name {
            entries = entries.filter { $0.name == name }
            guard !entries.isEmpty else {
                StandardError.write("error: no model '\(name)' in \(ModelStore.models.searchPathDescription)\n")
                throw ExitCode(2)
            }
        }
        if json {
            let objects = entries.map { entry -> [String: Any] in
                ["name": entry.name, "kind": entry.kind, "path": entry.path, "format": entry.format,
                 "provenance": (try? JSONSerialization.jsonObject(with: Data(entry.provenance.utf8), options: [.fragmentsAllowed])) ?? NSNull()]
            }
            let data = try JSONSerialization.data(withJSONObject: name == nil ? objects as Any : objects[0] as Any,
                                                  options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        } else if let entry = entries.first, name != nil {
            print("\(entry.name) (\(entry.kind), \(entry.format.isEmpty ? "text" : entry.format)): \(entry.path)")
            let provenance = (try? JSONSerialization.jsonObject(with: Data(entry.provenance.utf8), options: [.fragmentsAllowed]))
                .flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.prettyPrinted, .sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes]) }
            print(provenance.map { String(decoding: $0, as: UTF8.self) } ?? entry.provenance)
        } else {
            print("search path: \(ModelStore.models.searchPathDescription)")
            let width = entries.map(\.name.count).max() ?? 0
            for entry in entries {
                print(entry.name.padding(toLength: width + 2, withPad: " ", startingAt: 0)
                      + entry.kind.padding(toLength: 19, withPad: " ", startingAt: 0) + entry.path)
                print(String(repeating: " ", count: width + 2) + entry.summary)
            }
        }
        if entries.contains(where: { $0.kind == "broken" }) { throw ExitCode(1) }
    }
}
