import Foundation

/// Where and why JSON failed to parse or decode, in words a user can act on: the line and column
/// of a syntax error (Foundation reports a character offset), or the field path of a decoding
/// error (`scores.fold1_ap: expected a number`).
public enum JSONErrorText {
    /// `error` from `JSONSerialization` or `JSONDecoder` on `data`, described.
    public static func describe(_ error: Error, in data: Data) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "missing field '\(path(context.codingPath + [key]))'"
        case DecodingError.typeMismatch(let type, let context):
            return "\(path(context.codingPath)): expected \(typeName(type))"
        case DecodingError.valueNotFound(let type, let context):
            return "\(path(context.codingPath)): expected \(typeName(type)), found null"
        case DecodingError.dataCorrupted(let context):
            if let underlying = context.underlyingError { return describe(underlying, in: data) }
            let text = context.debugDescription
            guard context.codingPath.isEmpty else { return "\(path(context.codingPath)): \(text)" }
            // JSONDecoder says only that the data is not JSON: JSONSerialization says where.
            do {
                _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            } catch {
                return describe(error, in: data)
            }
            return syntax(text, in: data)
        default:
            let debug = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
            return syntax(debug ?? "\(error)", in: data)
        }
    }

    /// A field path as `a.b[2].c`.
    public static func path(_ keys: [CodingKey]) -> String {
        guard !keys.isEmpty else { return "(top level)" }
        var text = ""
        for key in keys {
            if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
        }
        return text
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Double.Type, is Float.Type: "a number"
        case is Int.Type: "an integer"
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        default: "\(type)".hasPrefix("Array") ? "a list" : "an object"
        }
    }

    /// "Invalid value around character 31." as "invalid value at line 3, column 14".
    private static func syntax(_ text: String, in data: Data) -> String {
        guard let range = text.range(of: #"around (line \d+, column \d+|character \d+)"#, options: .regularExpression) else {
            return text.isEmpty ? "not valid JSON" : text
        }
        let what = text[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
        let place = String(text[range].dropFirst("around ".count))
        guard place.hasPrefix("character"), let offset = Int(place.dropFirst("character ".count)) else {
            return "\(what.lowercased()) at \(place)"
        }
        var line = 1, column = 1
        for byte in data.prefix(offset) {
            if byte == UInt8(ascii: "\n") { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
        }
        return "\(what.isEmpty ? "not valid JSON" : what.lowercased()) at line \(line), column \(column)"
    }
}
