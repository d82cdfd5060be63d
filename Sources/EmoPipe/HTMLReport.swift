import Foundation

/// One self-contained HTML file (inline SVG, CSS and script; no network) over the outputs of a
/// run: per recording, timelines of valence, arousal and A/H with the A/H segments shaded and a
/// band of the top emotion per frame; for a batch, a table sortable by any column.
public enum HTMLReport {
    static let emotionColours: [String: String] = [
        "neutral": "#9e9e9e", "anger": "#d32f2f", "disgust": "#7b1fa2", "fear": "#455a64", "happiness": "#fbc02d",
        "sadness": "#1976d2", "surprise": "#00897b",
    ]

    public static func render(_ records: PredictionRecords, title: String) -> String {
        let names = records.files.keys.sorted()
        // A subject column when the run knew who each recording is (subject calibration).
        let subjects = records.files.values.contains { !($0.recording?.subject ?? "").isEmpty }
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:24px;color:#222}h1{font-size:20px}h2{font-size:16px;margin:28px 0 6px}
            table{border-collapse:collapse;font-size:13px}th,td{padding:4px 10px;border-bottom:1px solid #ddd;text-align:right}
            th{cursor:pointer;background:#f3f3f3;user-select:none}td:first-child,th:first-child{text-align:left}
            .legend span{display:inline-block;margin-right:12px;font-size:12px}.swatch{display:inline-block;width:10px;height:10px;margin-right:4px}
            svg{background:#fff;border:1px solid #e0e0e0}
            </style></head><body>
            <h1>\(escape(title))</h1>
            <p>\(names.count) recording\(names.count == 1 ? "" : "s"). Click a column to sort.</p>
            <table id="batch"><thead><tr><th>recording</th>\(subjects ? "<th>subject</th>" : "")<th>duration (s)</th><th>emotion</th><th>share</th><th>valence</th><th>arousal</th><th>A/H</th><th>A/H label</th><th>A/H segments</th></tr></thead><tbody>

            """
        for name in names {
            let recording = records.files[name]!.recording
            func cell(_ value: Double, _ digits: Int = 2) -> String { value.isFinite ? String(format: "%.\(digits)f", value) : "" }
            html += "<tr><td><a href=\"#\(anchor(name))\">\(escape(name))</a></td>"
                + (subjects ? "<td>\(escape(recording?.subject ?? ""))</td>" : "") + "<td>\(cell(recording?.duration ?? .nan, 1))</td>"
                + "<td>\(escape(recording?.emotion ?? ""))</td><td>\(cell(recording?.emotionShare ?? .nan))</td>"
                + "<td>\(cell(recording?.valenceMean ?? .nan))</td><td>\(cell(recording?.arousalMean ?? .nan))</td>"
                + "<td>\(cell(recording?.ah ?? .nan))</td><td>\(recording.map { String($0.ahLabel) } ?? "")</td>"
                + "<td>\(recording?.segments.count ?? 0)</td></tr>\n"
        }
        html += "</tbody></table>\n<div class=\"legend\">"
        for (emotion, colour) in emotionColours.sorted(by: { $0.key < $1.key }) {
            html += "<span><span class=\"swatch\" style=\"background:\(colour)\"></span>\(emotion)</span>"
        }
        html += "<span><span class=\"swatch\" style=\"background:#1565c0\"></span>valence</span><span><span class=\"swatch\" style=\"background:#ef6c00\"></span>arousal</span><span><span class=\"swatch\" style=\"background:#c62828\"></span>A/H</span></div>\n"
        for name in names {
            let output = records.files[name]!
            html += "<h2 id=\"\(anchor(name))\">\(escape(name))</h2>\n" + timeline(output.frames, segments: output.recording?.segments ?? [])
        }
        html += """
            <script>
            document.querySelectorAll('#batch th').forEach((th, column) => th.addEventListener('click', () => {
              const body = th.closest('table').tBodies[0], rows = Array.from(body.rows);
              const ascending = th.dataset.order !== 'asc'; th.dataset.order = ascending ? 'asc' : 'desc';
              const key = r => { const t = r.cells[column].textContent, n = parseFloat(t); return isNaN(n) ? t : n; };
              rows.sort((a, b) => (key(a) > key(b) ? 1 : key(a) < key(b) ? -1 : 0) * (ascending ? 1 : -1));
              rows.forEach(r => body.appendChild(r));
            }));
            </script>
            </body></html>

            """
        return html
    }

    /// Valence and arousal in [-1, 1] (top), A/H in [0, 1] (bottom), segments shaded, top emotion band.
    static func timeline(_ frames: [PredictionRecords.Frame], segments: [[Double]]) -> String {
        let width = 900.0, left = 40.0, plot = width - left - 10
        guard let first = frames.first?.time, let last = frames.last?.time, last > first else {
            return "<p>No frame records.</p>\n"
        }
        func x(_ t: Double) -> Double { left + (t - first) / (last - first) * plot }
        func path(_ values: [(Double, Double)], top: Double, height: Double, low: Double, high: Double) -> String {
            var d = ""
            var pen = false
            for (t, v) in values {
                guard v.isFinite else { pen = false; continue }
                let y = top + (high - v) / (high - low) * height
                d += String(format: "%@%.1f %.1f ", pen ? "L" : "M", x(t), y)
                pen = true
            }
            return d
        }
        var svg = "<svg width=\"\(Int(width))\" height=\"230\" viewBox=\"0 0 \(Int(width)) 230\" role=\"img\">\n"
        for segment in segments where segment.count == 2 {
            svg += String(format: "<rect x=\"%.1f\" y=\"8\" width=\"%.1f\" height=\"200\" fill=\"#c62828\" opacity=\"0.12\"/>\n",
                          x(segment[0]), max(1, x(segment[1]) - x(segment[0])))
        }
        // Emotion band: one rectangle per run of frames with the same top emotion.
        var start = 0
        while start < frames.count {
            var end = start
            while end + 1 < frames.count, frames[end + 1].emotion == frames[start].emotion { end += 1 }
            let until = end + 1 < frames.count ? frames[end + 1].time : last
            let colour = frames[start].emotion.flatMap { emotionColours[$0] } ?? "#ffffff"
            svg += String(format: "<rect x=\"%.1f\" y=\"8\" width=\"%.2f\" height=\"10\" fill=\"%@\"/>",
                          x(frames[start].time), max(0.5, x(until) - x(frames[start].time)), colour)
            start = end + 1
        }
        svg += "\n<line x1=\"\(left)\" x2=\"\(width - 10)\" y1=\"73\" y2=\"73\" stroke=\"#bbb\"/>"
        svg += "<text x=\"4\" y=\"32\" font-size=\"10\">+1</text><text x=\"4\" y=\"76\" font-size=\"10\">0</text><text x=\"4\" y=\"122\" font-size=\"10\">-1</text>"
        svg += "<text x=\"4\" y=\"150\" font-size=\"10\">A/H</text><line x1=\"\(left)\" x2=\"\(width - 10)\" y1=\"178\" y2=\"178\" stroke=\"#eee\" stroke-dasharray=\"4 3\"/>\n"
        svg += "<path d=\"\(path(frames.map { ($0.time, $0.valence) }, top: 28, height: 90, low: -1, high: 1))\" fill=\"none\" stroke=\"#1565c0\" stroke-width=\"1.5\"/>\n"
        svg += "<path d=\"\(path(frames.map { ($0.time, $0.arousal) }, top: 28, height: 90, low: -1, high: 1))\" fill=\"none\" stroke=\"#ef6c00\" stroke-width=\"1.5\"/>\n"
        svg += "<path d=\"\(path(frames.map { ($0.time, $0.ah) }, top: 148, height: 60, low: 0, high: 1))\" fill=\"none\" stroke=\"#c62828\" stroke-width=\"1.5\"/>\n"
        svg += String(format: "<text x=\"%.0f\" y=\"224\" font-size=\"10\">%.1f s</text><text x=\"%.0f\" y=\"224\" font-size=\"10\" text-anchor=\"end\">%.1f s</text>\n",
                      left, first, width - 10, last)
        return svg + "</svg>\n"
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func anchor(_ name: String) -> String { "r-" + name.map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined() }
}
