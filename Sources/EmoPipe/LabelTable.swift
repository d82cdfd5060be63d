import EmoPipeCore
import Foundation

/// A CSV table with a header row (RFC 4180 quoting), as label files come: `file,label`,
/// `file,start,end[,label]`, or wider tables such as RAVDESS's labels.csv.
public struct LabelTable: Sendable {
    public var header: [String]
    public var rows: [[String]]
    public var file: String

    public init(path: String) throws {
        guard let data = FileContents.read(path), let text = String(data: data, encoding: .utf8) else {
            throw LabelError("\(path): cannot read the label file")
        }
        let records = Self.parse(text)
        guard let header = records.first, !header.isEmpty else { throw LabelError("\(path): empty label file") }
        self.header = header.map { $0.trimmingCharacters(in: .whitespaces) }
        rows = Array(records.dropFirst()).filter { !($0.count == 1 && $0[0].isEmpty) }
        file = path
        for (index, row) in rows.enumerated() where row.count != header.count {
            throw LabelError("\(path):\(index + 2): \(row.count) fields, the header has \(header.count)")
        }
    }

    /// The index of column `name`, or an error listing the columns.
    public func column(_ name: String) throws -> Int {
        guard let index = header.firstIndex(of: name) else {
            throw LabelError("\(file): no column '\(name)'; columns: " + header.joined(separator: ", "))
        }
        return index
    }

    static func parse(_ text: String) -> [[String]] {
        var records: [[String]] = [], field = "", record: [String] = [], quoted = false
        var iterator = text.replacingOccurrences(of: "\r\n", with: "\n").makeIterator()
        while let character = iterator.next() {
            if quoted {
                if character == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.append("\"") } else {
                            quoted = false
                            if next == "," { record.append(field); field = "" } else if next == "\n" { record.append(field); records.append(record); record = []; field = "" } else { field.append(next) }
                        }
                    } else { quoted = false }
                } else { field.append(character) }
            } else if character == "\"" && field.isEmpty {
                quoted = true
            } else if character == "," {
                record.append(field)
                field = ""
            } else if character == "\n" {
                record.append(field)
                records.append(record)
                record = []
                field = ""
            } else {
                field.append(character)
            }
        }
        if !field.isEmpty || !record.isEmpty { record.append(field); records.append(record) }
        return records
    }
}

/// A label file or a training/evaluation request that cannot be used.
public struct LabelError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
