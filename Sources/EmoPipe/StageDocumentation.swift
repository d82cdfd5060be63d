import EmoPipeCore

/// A stage's self-description as data (openSMILE's `-exportHelp`): what `emopipe stages --json`
/// prints, generated from the same declarations the loader validates against.
public struct StageDocumentation: Codable, Sendable {
    public struct Port: Codable, Sendable {
        public var name: String
        public var kinds: [String]
        public var optional: Bool
        public var variadic: Bool
        public var summary: String
    }

    public struct Parameter: Codable, Sendable {
        public var name: String
        public var type: String
        public var choices: [String]?
        public var defaultValue: String
        public var unit: String?
        public var minimum: Double?
        public var maximum: Double?
        public var summary: String

        enum CodingKeys: String, CodingKey {
            case name, type, choices, defaultValue = "default", unit, minimum, maximum, summary
        }
    }

    public var name: String
    public var role: String
    public var summary: String
    public var inputs: [Port]
    public var outputs: [Port]
    public var parameters: [Parameter]
    public var fileExtensions: [String]?

    public init(_ descriptor: StageDescriptor) {
        func port(_ spec: PortSpec) -> Port {
            Port(name: spec.name, kinds: spec.kinds.map(\.rawValue), optional: spec.optional, variadic: spec.variadic,
                 summary: spec.summary)
        }
        name = descriptor.name
        role = descriptor.role.rawValue
        summary = descriptor.summary
        inputs = descriptor.inputs.map(port)
        outputs = descriptor.outputs.map(port)
        parameters = descriptor.parameters.map { spec in
            var type = spec.type.description
            var choices: [String]?
            if case .choice(let words) = spec.type {
                type = "choice"
                choices = words
            }
            return Parameter(name: spec.name, type: type, choices: choices, defaultValue: spec.defaultValue.description,
                             unit: spec.unit, minimum: spec.range?.lowerBound, maximum: spec.range?.upperBound,
                             summary: spec.summary)
        }
        fileExtensions = descriptor.fileExtensions.isEmpty ? nil : descriptor.fileExtensions
    }

    /// The stage as text for `emopipe stages NAME`.
    public var text: String {
        var lines = ["\(name) (\(role)): \(summary)"]
        func portLines(_ title: String, _ ports: [Port]) {
            guard !ports.isEmpty else { return }
            lines.append("\(title):")
            for port in ports {
                var flags = port.kinds.joined(separator: "/")
                if port.optional { flags += ", optional" }
                if port.variadic { flags += ", takes several" }
                lines.append("  \(port.name) [\(flags)]: \(port.summary)")
            }
        }
        portLines("inputs", inputs)
        portLines("outputs", outputs)
        if !parameters.isEmpty {
            lines.append("parameters:")
            for parameter in parameters {
                var detail = parameter.choices.map { "one of " + $0.joined(separator: "|") } ?? parameter.type
                detail += ", default \(parameter.defaultValue)"
                if let unit = parameter.unit { detail += " \(unit)" }
                if let minimum = parameter.minimum, let maximum = parameter.maximum {
                    detail += ", \(Self.number(minimum))...\(Self.number(maximum))"
                }
                lines.append("  \(parameter.name) (\(detail)): \(parameter.summary)")
            }
        }
        if let fileExtensions { lines.append("reads: " + fileExtensions.joined(separator: " ")) }
        return lines.joined(separator: "\n")
    }

    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
