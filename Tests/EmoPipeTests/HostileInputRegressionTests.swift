import Foundation
import Testing

/// Every input and setting that crashed, hung or was accepted broken (issue 27's list and what
/// scripts/fuzz.py found since), from Regressions/cases.json: each runs through the binary and
/// must end with its exit status and message, never a signal, and within bounded output.
@Suite struct HostileInputRegressionTests {
    struct Case: Decodable, CustomTestStringConvertible, Sendable {
        var name: String
        var args: [String]
        var files: [String: FileSpec]
        var status: Int32
        var stderr: String?
        var max_stdout_lines: Int?
        var fifo: String?
        var testDescription: String { name }
    }

    /// A file's contents: text, or a copy of a repository file (with text replacements, or every
    /// value of every tensor of a safetensors file set to one number, written in each tensor's
    /// dtype), or text as UTF-16LE without a mark.
    enum FileSpec: Decodable, Sendable {
        case text(String)
        case copy(path: String, replace: [[String]], fillFloats: String?)
        case utf16le(String)

        init(from decoder: Decoder) throws {
            if let text = try? decoder.singleValueContainer().decode(String.self) {
                self = .text(text)
                return
            }
            let object = try decoder.singleValueContainer().decode([String: AnyField].self)
            if case .string(let text)? = object["utf16le"] {
                self = .utf16le(text)
            } else if case .string(let path)? = object["copy"] {
                var replace: [[String]] = []
                if case .pairs(let pairs)? = object["replace"] { replace = pairs }
                var fill: String?
                if case .string(let value)? = object["fill_floats"] { fill = value }
                self = .copy(path: path, replace: replace, fillFloats: fill)
            } else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown file spec"))
            }
        }
    }

    enum AnyField: Decodable, Sendable {
        case string(String)
        case pairs([[String]])
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) { self = .string(text) } else { self = .pairs(try container.decode([[String]].self)) }
        }
    }

    struct Manifest: Decodable { var cases: [Case] }

    static let cases: [Case] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Regressions/cases.json")
        return (try? JSONDecoder().decode(Manifest.self, from: Data(contentsOf: url)).cases) ?? []
    }()

    /// `data` (a safetensors file) with every value of every tensor set to `value`: float32
    /// tensors get its float32 bits, float16 ones its float16 bits (so 3e38 is infinity there).
    static func filling(_ data: Data, with value: Float) throws -> Data {
        var bytes = [UInt8](data)
        var length = 0
        for index in 0..<8 { length |= Int(bytes[index]) << (8 * index) }
        let header = try #require(try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + length)])) as? [String: Any])
        for (name, entry) in header where name != "__metadata__" {
            let entry = try #require(entry as? [String: Any])
            let dtype = try #require(entry["dtype"] as? String)
            let offsets = try #require(entry["data_offsets"] as? [Int])
            let (width, pattern): (Int, UInt32) = dtype == "F16" ? (2, UInt32(Float16(value).bitPattern)) : (4, value.bitPattern)
            for offset in stride(from: 8 + length + offsets[0], to: 8 + length + offsets[1], by: width) {
                for byte in 0..<width { bytes[offset + byte] = UInt8((pattern >> (8 * UInt32(byte))) & 0xFF) }
            }
        }
        return Data(bytes)
    }

    @Test func theManifestLoads() { #expect(Self.cases.count >= 40) }

    @Test(arguments: cases)
    func endsWithItsStatusAndMessage(_ test: Case) throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for (name, spec) in test.files {
            let path = folder + "/" + name
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            switch spec {
            case .text(let text):
                try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            case .utf16le(let text):
                try text.data(using: .utf16LittleEndian)!.write(to: URL(fileURLWithPath: path))
            case .copy(let source, let replace, let fill):
                var data = try Data(contentsOf: URL(fileURLWithPath: repositoryRoot + "/" + source))
                if !replace.isEmpty {
                    var text = String(decoding: data, as: UTF8.self)
                    for pair in replace {
                        #expect(text.contains(pair[0]), "\(test.name): '\(pair[0])' is not in \(source)")
                        text = text.replacingOccurrences(of: pair[0], with: pair[1])
                    }
                    data = Data(text.utf8)
                }
                if let fill, let value = Float(fill) { data = try Self.filling(data, with: value) }
                try data.write(to: URL(fileURLWithPath: path))
            }
        }
        if let fifo = test.fifo { #expect(mkfifo(folder + "/" + fifo, 0o600) == 0) }
        let arguments = test.args.map {
            $0.replacingOccurrences(of: "{dir}", with: folder).replacingOccurrences(of: "{fixtures}", with: repositoryRoot + "/Fixtures")
        }
        let result = try CLI.run(arguments)
        // The bare relative output path of one case lands in the repository root: remove it.
        if arguments.contains("out.path=0") { try? FileManager.default.removeItem(atPath: repositoryRoot + "/0") }
        #expect(result.status == test.status, "\(test.name): exit \(result.status): \(result.standardError.suffix(600))")
        if let expected = test.stderr {
            #expect(result.standardError.contains(expected), "\(test.name): \(result.standardError.suffix(600))")
        }
        if let limit = test.max_stdout_lines {
            let lines = result.output.split(separator: "\n").count
            #expect(lines <= limit, "\(test.name): \(lines) lines")
        }
    }
}
