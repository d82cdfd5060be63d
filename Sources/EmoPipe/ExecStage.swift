import EmoPipeCore
import Foundation

/// `exec`: a stage implemented by another program, named in the pipeline file, so a new stage
/// needs no recompiling. The program speaks JSON lines on its standard input and output:
///
/// 1. EmoPipe sends `{"emopipe":"exec/1","inputs":[{"stream":"face","columns":["AU12_r",...]},...]}`;
///    the program answers `{"columns":["name",...]}`, its output schema.
/// 2. For every input packet, in timestamp order across the inputs, EmoPipe sends
///    `{"input":0,"t":1.24,"duration":0.04,"values":[...]}` (NaN as null) and the program
///    answers one line: `{"values":[...]}` for an output row at that time, or `{}` for none.
/// 3. At the end EmoPipe closes the program's input; it must exit with status 0.
///
/// A program that exits early, answers something else, or takes longer than `timeout_s` fails
/// the input with a message that quotes the end of its stderr.
public final class ExecStage: Stage {
    public static let descriptor = StageDescriptor(
        name: "exec", role: .transform,
        summary: "Runs an external program as a stage: feature rows in and out as JSON lines.",
        inputs: [PortSpec("in", [.features], variadic: true, "Feature streams, merged by time.")],
        outputs: [PortSpec("out", [.features], "The program's rows, with the columns it declared.")],
        parameters: [
            ParameterSpec("command", .string, default: .string(""),
                          "The program and its arguments, separated by spaces (no shell), run from the current folder."),
            ParameterSpec("timeout_s", .number, default: .number(30), unit: "s", range: 0.1...3600,
                          "Longest wait for one answer line."),
        ],
        make: { .stage(try ExecStage(parameters: $0)) })

    private let arguments: [String]
    private let timeout: Double
    private var process: Process?
    private var toProgram: FileHandle?
    private var reader: LineReader?
    private var errorLog = ErrorTail()
    private var outputWidth = 0

    init(parameters: Parameters) throws {
        arguments = parameters.string("command").split(separator: " ").map(String.init)
        timeout = parameters.number("timeout_s")
        guard !arguments.isEmpty else { throw StageError("exec needs a command") }
    }

    deinit {
        if let process, process.isRunning { process.terminate() }
    }

    public func prepare(inputs: [StreamFormat], context: StageContext) throws -> [StreamFormat] {
        let process = Process()
        let executable = arguments[0].contains("/") ? arguments[0] : Self.find(arguments[0]) ?? arguments[0]
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(arguments.dropFirst())
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw StageError("cannot start '\(arguments[0])': \(error.localizedDescription)")
        }
        self.process = process
        toProgram = input.fileHandleForWriting
        reader = LineReader(handle: output.fileHandleForReading)
        errorLog.follow(errors.fileHandleForReading)
        var streams: [[String: Any]] = []
        for (format, name) in zip(inputs, context.inputNames) {
            guard case .features(let schema) = format else { throw StageError("exec takes feature streams") }
            streams.append(["stream": name, "columns": schema.names])
        }
        try send(["emopipe": "exec/1", "inputs": streams])
        let answer = try receive()
        guard let columns = answer["columns"] as? [String], !columns.isEmpty else {
            throw StageError(failure("answered the schema line without a \"columns\" list"))
        }
        outputWidth = columns.count
        return [.features(FeatureSchema(columns))]
    }

    public func process(_ packet: Packet, input: Int, output: Emitter) throws {
        guard case .features(let row) = packet.payload else { return }
        try send(["input": input, "t": Double(packet.timestamp.microseconds) / 1e6,
                  "duration": Double(packet.duration.microseconds) / 1e6,
                  "values": row.values.map { $0.isFinite ? Double($0) as Any : NSNull() }])
        let answer = try receive()
        guard let values = answer["values"] else { return }
        guard let list = values as? [Any], list.count == outputWidth else {
            throw StageError(failure("answered with \(String(describing: values)) where \(outputWidth) values were due"))
        }
        let numbers = list.map { ($0 as? NSNumber).map { Float(truncating: $0) } ?? .nan }
        try output.emit(.features(FeatureRow(numbers)), at: packet.timestamp, duration: packet.duration)
    }

    public func finish(output: Emitter) throws {
        try? toProgram?.close()
        guard let process else { return }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(2000) }
        if process.isRunning {
            process.terminate()
            throw StageError(failure("did not exit within \(timeout) s of the end of its input"))
        }
        guard process.terminationStatus == 0 else {
            throw StageError(failure("exited with status \(process.terminationStatus)"))
        }
    }

    private func send(_ object: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: object) + Data("\n".utf8)
        do {
            try toProgram?.write(contentsOf: data)
        } catch {
            throw StageError(failure("stopped reading its input (it exited?)"))
        }
    }

    private func receive() throws -> [String: Any] {
        guard let reader else { throw StageError("exec is not running") }
        guard let line = reader.nextLine(timeout: timeout) else {
            guard reader.ended else { throw StageError(failure("gave no answer within \(timeout) s")) }
            process?.waitUntilExit()
            throw StageError(failure("exited mid-stream (status \(process?.terminationStatus ?? -1))"))
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw StageError(failure("answered a line that is not a JSON object: \(line.prefix(120))"))
        }
        return object
    }

    /// A message naming the program, with the end of its stderr.
    private func failure(_ what: String) -> String {
        let tail = errorLog.text.trimmingCharacters(in: .whitespacesAndNewlines)
        return "plug-in '\(arguments.joined(separator: " "))' \(what)" + (tail.isEmpty ? "" : "; its stderr ends: \(tail.suffix(400))")
    }

    static func find(_ name: String) -> String? {
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }
}

/// Reads lines from a pipe with a timeout (poll + read), buffering partial lines.
final class LineReader {
    private let descriptor: Int32
    private var buffer = [UInt8]()
    /// True once the program closed its output (it exited).
    private(set) var ended = false

    init(handle: FileHandle) { descriptor = handle.fileDescriptor }

    func nextLine(timeout: Double) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let newline = buffer.firstIndex(of: 10) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            if ended { return nil }
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { return nil }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(remaining, 1) * 1000))
            if ready <= 0 { continue }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = read(descriptor, &chunk, chunk.count)
            if count <= 0 { ended = true } else { buffer += chunk[..<count] }
        }
    }
}

/// Keeps the last few kilobytes a program writes to stderr, read on a background queue.
final class ErrorTail: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private let ended = DispatchSemaphore(value: 0)

    func follow(_ handle: FileHandle) {
        DispatchQueue.global(qos: .utility).async { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                lock.withLock {
                    data.append(chunk)
                    if data.count > 8192 { data = data.suffix(4096) }
                }
            }
            ended.signal()
        }
    }

    /// What the program wrote; after it exited, everything up to its end (waits up to 0.5 s for
    /// the reader to reach the end of the pipe).
    var text: String {
        if ended.wait(timeout: .now() + 0.5) == .success { ended.signal() }
        return lock.withLock { String(decoding: data, as: UTF8.self) }
    }
}
