/// The type of a stage parameter, checked by the loader before anything runs.
public enum ParameterType: Sendable, Equatable, CustomStringConvertible {
    case integer
    case number
    case boolean
    case string
    /// One of a fixed set of words.
    case choice([String])
    /// A list of numbers (YAML sequence).
    case numberList

    public var description: String {
        switch self {
        case .integer: "integer"
        case .number: "number"
        case .boolean: "boolean"
        case .string: "string"
        case .choice(let words): "one of " + words.joined(separator: ", ")
        case .numberList: "list of numbers"
        }
    }
}

/// A parameter value after validation.
public enum ParameterValue: Sendable, Equatable, CustomStringConvertible {
    case integer(Int)
    case number(Double)
    case boolean(Bool)
    case string(String)
    case numberList([Double])

    public var description: String {
        switch self {
        case .integer(let value): String(value)
        case .number(let value): String(value)
        case .boolean(let value): String(value)
        case .string(let value): value
        case .numberList(let values): "[" + values.map { String($0) }.joined(separator: ", ") + "]"
        }
    }
}

/// Declaration of one stage parameter: the single source for validation, `emopipe stages` and
/// the documentation, so they cannot drift (openSMILE's `-H`).
public struct ParameterSpec: Sendable, Equatable {
    /// Name as written under `with:` in a pipeline file.
    public var name: String
    public var type: ParameterType
    /// Value used when the pipeline does not set one.
    public var defaultValue: ParameterValue
    /// Unit of numeric values ("ms", "Hz", "dB", "px", "frames"); nil when unitless.
    public var unit: String?
    /// Inclusive bounds for numeric values; nil when unbounded.
    public var range: ClosedRange<Double>?
    /// One sentence a user can act on.
    public var summary: String

    public init(_ name: String, _ type: ParameterType, default defaultValue: ParameterValue,
                unit: String? = nil, range: ClosedRange<Double>? = nil, _ summary: String) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.unit = unit
        self.range = range
        self.summary = summary
    }
}

/// Validated parameter values of one stage instance, defaults filled in.
///
/// The accessors trap on a name the stage did not declare or a type that does not match its
/// declaration: both are programming errors in the stage, never user errors (the loader has
/// already checked the user's values against the declaration).
public struct Parameters: Sendable, Equatable {
    public private(set) var values: [String: ParameterValue]

    public init(_ values: [String: ParameterValue]) { self.values = values }

    /// All defaults of a declaration, with `overrides` applied unchecked (for tests and code).
    public init(specs: [ParameterSpec], overrides: [String: ParameterValue] = [:]) {
        var values: [String: ParameterValue] = [:]
        for spec in specs { values[spec.name] = spec.defaultValue }
        for (name, value) in overrides {
            precondition(values[name] != nil, "parameter '\(name)' is not declared")
            values[name] = value
        }
        self.values = values
    }

    public func value(_ name: String) -> ParameterValue {
        guard let value = values[name] else { preconditionFailure("parameter '\(name)' is not declared") }
        return value
    }

    public func integer(_ name: String) -> Int {
        guard case .integer(let value) = value(name) else { preconditionFailure("'\(name)' is not an integer") }
        return value
    }

    public func number(_ name: String) -> Double {
        switch value(name) {
        case .number(let value): return value
        case .integer(let value): return Double(value)
        default: preconditionFailure("'\(name)' is not a number")
        }
    }

    public func boolean(_ name: String) -> Bool {
        guard case .boolean(let value) = value(name) else { preconditionFailure("'\(name)' is not a boolean") }
        return value
    }

    public func string(_ name: String) -> String {
        guard case .string(let value) = value(name) else { preconditionFailure("'\(name)' is not a string") }
        return value
    }

    public func numberList(_ name: String) -> [Double] {
        guard case .numberList(let value) = value(name) else { preconditionFailure("'\(name)' is not a list") }
        return value
    }
}
