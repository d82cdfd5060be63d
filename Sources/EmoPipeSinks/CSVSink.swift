import EmoPipeCore

/// `sink.csv`: one row per timestamp, one column per feature (OpenFace-style wide table).
///
/// The header comes from the input schemas: `timestamp` (seconds), then every column of every
/// input in `in:` order; a column name used by two inputs is prefixed with its stream name
/// (`voice.loudness`). Rows from inputs that share a timestamp are joined into one row; a value
/// an input did not give at that time is left empty, as is NaN. An input that gives two rows at one
/// timestamp (two faces in one frame) starts a second row with the same timestamp.
public final class CSVSink: Stage {
    public static let descriptor = StageDescriptor(
        name: "sink.csv", role: .sink,
        summary: "Writes feature streams as one CSV table, one row per timestamp.",
        inputs: [PortSpec("in", [.features], variadic: true, "Feature streams; their columns are joined side by side.")],
        parameters: [
            ParameterSpec("path", .string, default: .string("-"),
                          "Output file; '-' is the run's output (stdout, or OUT/<input>.csv with -o). {stem} and {name} expand as in sink.jsonl."),
        ],
        make: { .stage(CSVSink(parameters: $0)) })

    private let path: String
    private var writer: SinkWriter?
    /// First column of each input in the row.
    private var offsets: [Int] = []
    private var row: [Float?] = []
    private var rowTime: Timestamp?
    /// Which inputs have given their values to `row`.
    private var filled: [Bool] = []

    init(parameters: Parameters) { path = parameters.string("path") }

    public func prepare(inputs: [StreamFormat], context: StageContext) throws -> [StreamFormat] {
        let writer = try context.output.writer(sinkID: context.stageID, fileExtension: "csv", path: path)
        self.writer = writer
        var columns: [(stream: String, name: String)] = []
        for (format, stream) in zip(inputs, context.inputNames) {
            guard case .features(let schema) = format else { throw StageError("sink.csv takes feature streams") }
            offsets.append(columns.count)
            columns += schema.names.map { (stream, $0) }
        }
        var counts: [String: Int] = [:]
        for column in columns { counts[column.name, default: 0] += 1 }
        let names = columns.map { counts[$0.name]! > 1 ? "\($0.stream).\($0.name)" : $0.name }
        row = Array(repeating: nil, count: names.count)
        filled = Array(repeating: false, count: inputs.count)
        let leading = (writer.inputTag != nil ? ["input"] : []) + ["timestamp"]
        try writer.write((leading + names).map(Self.field).joined(separator: ",") + "\n")
        try writer.endRecord()
        return []
    }

    public func process(_ packet: Packet, input: Int, output: Emitter) throws {
        guard case .features(let features) = packet.payload else { return }
        if let rowTime, rowTime != packet.timestamp || filled[input] { try flushRow() }
        rowTime = packet.timestamp
        filled[input] = true
        for (offset, value) in features.values.enumerated() { row[offsets[input] + offset] = value }
    }

    public func finish(output: Emitter) throws { try flushRow() }

    private func flushRow() throws {
        guard let writer, let time = rowTime else { return }
        var fields = writer.inputTag.map { [Self.field($0)] } ?? []
        fields.append(time.secondsText)
        for value in row { fields.append(value.map { $0.isFinite ? $0.description : "" } ?? "") }
        try writer.write(fields.joined(separator: ",") + "\n")
        try writer.endRecord()
        row = Array(repeating: nil, count: row.count)
        filled = Array(repeating: false, count: filled.count)
        rowTime = nil
    }

    /// Quotes a field when CSV needs it (RFC 4180).
    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
