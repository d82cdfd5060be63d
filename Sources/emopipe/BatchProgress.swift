import Dispatch
import EmoPipe
import Foundation

/// Progress of a batch on stderr: a line redrawn in place on a terminal (files, media speed,
/// ETA), or one plain line per finished input when stderr is a file or pipe.
final class BatchProgress: @unchecked Sendable {
    private let lock = NSLock()
    private let total: Int
    private let skipped: Int
    private let terminal = isatty(2) != 0
    private let started = DispatchTime.now()
    private var finishedCount = 0
    private var failedCount = 0
    private var media = 0.0
    private let label: String

    /// `label` prefixes every line ("calibration pass" for the first pass of a calibrated batch).
    init(total: Int, skipped: Int, label: String = "") {
        self.total = total
        self.skipped = skipped
        self.label = label.isEmpty ? "" : label + " "
    }

    func finished(_ result: InputResult) {
        lock.withLock {
            finishedCount += 1
            if result.status == .failed { failedCount += 1 }
            media += result.mediaSeconds
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
            let eta = finishedCount > 0 ? elapsed / Double(finishedCount) * Double(total - finishedCount) : 0
            if terminal {
                let line = String(format: "\r%@[%d/%d] %d failed, %.1fx real time, ETA %@   ", label, finishedCount, total, failedCount,
                                  elapsed > 0 ? media / elapsed : 0, Self.duration(eta))
                StandardError.write(line)
            } else {
                StandardError.write("emopipe: \(label)[\(finishedCount)/\(total)] \(result.status.rawValue) \(result.relativePath.isEmpty ? result.input : result.relativePath)"
                    + String(format: " (%.1f s)\n", result.seconds))
            }
        }
    }

    func end() {
        lock.withLock { if terminal && finishedCount > 0 { StandardError.write("\n") } }
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }
}

/// Finds an input's recording record in its JSON-lines output, for the results database.
enum RecordingLookup {
    static func recordingJSON(in folder: String, relativePath: String) -> String? {
        let stem = (relativePath as NSString).deletingPathExtension
        guard let text = try? String(contentsOfFile: folder + "/" + stem + ".jsonl", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").last { $0.contains("\"ah_segments\"") }.map(String.init)
    }
}
