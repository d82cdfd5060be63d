import EmoPipeCore
import Foundation

/// EEG from a CSV table: a header row of channel names, one row per sample. A column named
/// `time`, `t` or `timestamp` (seconds) gives the sample times, which must be evenly spaced;
/// without one, the rate comes from the `rate` parameter.
struct EEGTableReader {
    let format: EEGFormat
    /// Samples per channel, in column order of `format.labels`.
    let columns: [[Float]]

    init(path: String, rate: Double, unit: String) throws {
        guard let data = FileContents.read(path) else {
            throw StageError("cannot open \(path): " + (FileManager.default.fileExists(atPath: path) ? "cannot read" : "no such file"))
        }
        let lines = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).filter { !$0.allSatisfy(\.isWhitespace) }
        guard let header = lines.first else { throw StageError("\(path) is empty") }
        let names = header.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let timeColumn = names.firstIndex { ["time", "t", "timestamp"].contains($0.lowercased()) }
        var values = Array(repeating: [Float](), count: names.count)
        var times: [Double] = [] // seconds, in double precision: a rate needs every digit
        for (number, line) in lines.enumerated().dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == names.count else {
                throw StageError("\(path):\(number + 1): \(fields.count) values for \(names.count) columns")
            }
            for (column, field) in fields.enumerated() {
                guard let value = Double(field.trimmingCharacters(in: .whitespaces)) else {
                    throw StageError("\(path):\(number + 1): '\(field)' in column '\(names[column])' is not a number")
                }
                if column == timeColumn { times.append(value) } else { values[column].append(Float(value)) }
            }
        }
        var sampleRate = rate
        if let timeColumn {
            guard times.count >= 2 else { throw StageError("\(path) needs two rows or more to tell its rate") }
            let step = (times.last! - times.first!) / Double(times.count - 1)
            guard step > 0, zip(times, times.dropFirst()).allSatisfy({ abs(($1 - $0) - step) <= step * 0.01 }) else {
                throw StageError("\(path): the '\(names[timeColumn])' column is not evenly spaced; EEG needs one sample rate")
            }
            sampleRate = 1 / step
        }
        guard sampleRate > 0 else {
            throw StageError("\(path) has no time column; give the sample rate with the 'rate' parameter")
        }
        guard sampleRate.isFinite, sampleRate <= 1e6 else {
            throw StageError("\(path): a sample rate of \(sampleRate) Hz (from its time column) is beyond 1 MHz")
        }
        let channels = names.indices.filter { $0 != timeColumn }
        format = EEGFormat(labels: channels.map { names[$0] }, units: channels.map { _ in unit }, sampleRate: sampleRate)
        columns = channels.map { values[$0] }
    }
}

/// Whether a CSV file has the shape of an EEG table, judged from its first 64 KiB, for folder
/// walks that take files by content (a data set's `subject-info.csv` is not a recording).
public enum EEGTableShape {
    /// nil when the file looks like an EEG table: a header of names, then at least two complete
    /// rows of as many fields, every field a number; else why not.
    public static func problem(path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "cannot open" }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: 64 << 10)) ?? Data()
        var lines = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline)
            .filter { !$0.allSatisfy(\.isWhitespace) }
        if data.count == 64 << 10, !lines.isEmpty { lines.removeLast() } // cut mid-row
        guard let header = lines.first else { return "empty" }
        let names = header.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard names.allSatisfy({ !$0.isEmpty && Double($0) == nil }) else { return "its first row is not a header of channel names" }
        for (number, line) in lines.enumerated().dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == names.count else { return "row \(number + 1) has \(fields.count) fields for \(names.count) columns" }
            for (column, field) in fields.enumerated() where Double(field.trimmingCharacters(in: .whitespaces)) == nil {
                return "row \(number + 1), column '\(names[column])': '\(field)' is not a number"
            }
        }
        return lines.count >= 3 ? nil : "fewer than two rows of samples"
    }
}
