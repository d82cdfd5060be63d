import EmoPipeCore

/// Builds one JSON object as text, keys in insertion order, numbers in their shortest
/// round-trip form, so the same values always give the same bytes. NaN and infinities, which
/// JSON cannot hold, become null.
struct JSONObjectBuilder {
    private(set) var text = "{"
    private var empty = true

    private mutating func key(_ name: String) {
        if !empty { text += "," }
        empty = false
        text += JSONObjectBuilder.quoted(name) + ":"
    }

    mutating func add(_ name: String, _ value: String) {
        key(name)
        text += JSONObjectBuilder.quoted(value)
    }

    mutating func add(_ name: String, _ value: Float) {
        key(name)
        text += JSONObjectBuilder.number(value)
    }

    mutating func add(_ name: String, _ value: Int) {
        key(name)
        text += String(value)
    }

    mutating func add(_ name: String, _ value: Bool) {
        key(name)
        text += value ? "true" : "false"
    }

    mutating func add(_ name: String, _ value: Timestamp) {
        key(name)
        text += value.secondsText
    }

    /// Adds already-encoded JSON (an array or object).
    mutating func add(_ name: String, raw json: String) {
        key(name)
        text += json
    }

    /// The finished object.
    var json: String { text + "}" }

    static func number(_ value: Float) -> String {
        value.isFinite ? value.description : "null"
    }

    static func quoted(_ string: String) -> String {
        var result = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
