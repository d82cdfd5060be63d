import ArgumentParser
import EmoPipe
import Foundation

struct StagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stages",
        abstract: "Lists every stage, or shows one stage's ports and parameters.")

    @Argument(help: "A stage name, e.g. audio.level.")
    var name: String?

    @Flag(help: "Print JSON (the same declarations the pipeline loader validates against).")
    var json = false

    @Flag(help: "Print every stage as one Markdown page (docs/stages.md).")
    var markdown = false

    func run() throws {
        let registry = BuiltinStages.registry
        var descriptors = registry.names.map { registry[$0]! }
        if let name {
            guard let descriptor = registry[name] else {
                StandardError.write("error: unknown stage '\(name)'; stages: \(registry.names.joined(separator: ", "))\n")
                throw ExitCode(2)
            }
            descriptors = [descriptor]
        }
        let documentation = descriptors.map(StageDocumentation.init)
        if markdown {
            print(StageDocumentation.markdown(documentation), terminator: "")
        } else if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let data = try encoder.encode(name == nil ? AnyEncodable(documentation) : AnyEncodable(documentation[0]))
            print(String(decoding: data, as: UTF8.self))
        } else if name != nil {
            print(documentation[0].text)
        } else {
            let width = documentation.map(\.name.count).max() ?? 0
            for stage in documentation {
                print(stage.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + stage.summary)
            }
        }
    }
}

/// Encodes either one stage or the list.
private struct AnyEncodable: Encodable {
    private let encodeValue: (Encoder) throws -> Void
    init<T: Encodable>(_ value: T) { encodeValue = value.encode }
    func encode(to encoder: Encoder) throws { try encodeValue(encoder) }
}
