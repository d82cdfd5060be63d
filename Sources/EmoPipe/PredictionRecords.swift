import Foundation

/// Frame and recording records read back from `emopipe run` JSON-lines outputs, for evaluation.
public struct PredictionRecords: Sendable {
    public struct Frame: Sendable {
        public var time: Double
        public var emotion: String?
        public var ah: Double
        public var ahLabel: Int
        public var valence: Double = .nan
        public var arousal: Double = .nan
    }

    public struct Recording: Sendable {
        public var emotion: String?
        public var ah: Double
        public var ahLabel: Int
        public var duration: Double = .nan
        public var emotionShare: Double = .nan
        public var valenceMean: Double = .nan
        public var arousalMean: Double = .nan
        public var segments: [[Double]] = []
        public var pipeline: String = ""
        /// The recording's subject (subject calibration), empty when unknown.
        public var subject: String = ""
    }

    /// Per output file: its stem (the input's relative path without extension), frames, recording.
    public var files: [String: (frames: [Frame], recording: Recording?)] = [:]

    /// Reads every `.jsonl` under `paths` (files or folders). Keys are paths relative to the folder
    /// given (or the file name), without `.jsonl`.
    public init(paths: [String]) throws {
        for path in paths {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { throw LabelError("\(path): not found") }
            if isFolder.boolValue {
                let files = (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".jsonl") }.sorted()
                for file in files { try read(path + "/" + file, key: String(file.dropLast(6))) }
            } else {
                try read(path, key: String(URL(fileURLWithPath: path).lastPathComponent.dropLast(path.hasSuffix(".jsonl") ? 6 : 0)))
            }
        }
    }

    private mutating func read(_ path: String, key: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw LabelError("\(path): cannot read") }
        var frames: [Frame] = []
        var recording: Recording?
        for line in text.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
            let ah = (object["ah"] as? NSNumber)?.doubleValue ?? .nan
            let label = (object["ah_label"] as? NSNumber)?.intValue ?? 0
            func number(_ key: String) -> Double { (object[key] as? NSNumber)?.doubleValue ?? .nan }
            if object["ah_segments"] != nil {
                recording = Recording(emotion: object["emotion"] as? String, ah: ah, ahLabel: label, duration: number("duration"),
                                      emotionShare: number("emotion_share"), valenceMean: number("valence_mean"),
                                      arousalMean: number("arousal_mean"),
                                      segments: (object["ah_segments"] as? [[NSNumber]] ?? []).map { $0.map(\.doubleValue) },
                                      pipeline: object["pipeline"] as? String ?? "", subject: object["subject"] as? String ?? "")
            } else if object["probs"] != nil, let time = (object["t"] as? NSNumber)?.doubleValue {
                frames.append(Frame(time: time, emotion: object["emotion"] as? String, ah: ah, ahLabel: label,
                                    valence: number("valence"), arousal: number("arousal")))
            }
        }
        files[key] = (frames, recording)
    }

    /// The output whose key matches a label's file: the same path without extension, or the same stem.
    public func find(_ file: String) -> (frames: [Frame], recording: Recording?)? {
        let stem = (file as NSString).deletingPathExtension
        if let exact = files[stem] { return exact }
        let name = (stem as NSString).lastPathComponent
        let matches = files.filter { ($0.key as NSString).lastPathComponent == name }
        return matches.count == 1 ? matches.first!.value : nil
    }
}
