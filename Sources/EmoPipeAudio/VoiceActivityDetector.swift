import Foundation

/// Frame-by-frame speech/non-speech decisions from frame level (dB) and periodicity, as a
/// small state machine. The noise floor follows the level down at once and up by at most
/// `floorRiseDBPerFrame`; a frame is speech when it is `thresholdDB` above the floor and above
/// `minimumDB`, and speech continues for `hangoverFrames` after the last such frame. Pauses
/// (runs of non-speech of at least `minimumPauseFrames` between speech) and speech segments
/// come out as they end.
struct VoiceActivityDetector {
    struct Decision { var speech: Bool; var noiseFloorDB: Double }
    enum Event { case pause(Range<Int64>), speech(Range<Int64>) }

    var thresholdDB: Double
    var minimumDB: Double
    var floorRiseDBPerFrame: Double
    var hangoverFrames: Int
    var minimumPauseFrames: Int
    private var floor: Double?
    private var sinceSpeech = Int.max
    private var speechStart: Int64?
    private var pauseStart: Int64?
    private var heardSpeech = false

    init(thresholdDB: Double, minimumDB: Double, floorRiseDBPerFrame: Double, hangoverFrames: Int, minimumPauseFrames: Int) {
        self.thresholdDB = thresholdDB
        self.minimumDB = minimumDB
        self.floorRiseDBPerFrame = floorRiseDBPerFrame
        self.hangoverFrames = hangoverFrames
        self.minimumPauseFrames = minimumPauseFrames
    }

    /// Decides frame `index` of level `levelDB`; `events` receives segments that end here.
    mutating func push(levelDB: Double, index: Int64, events: inout [Event]) -> Decision {
        let current = floor.map { min(levelDB, $0 + floorRiseDBPerFrame) } ?? levelDB
        floor = current
        let loud = levelDB >= current + thresholdDB && levelDB >= minimumDB
        sinceSpeech = loud ? 0 : (sinceSpeech == .max ? .max : sinceSpeech + 1)
        let speech = sinceSpeech <= hangoverFrames
        if speech {
            if speechStart == nil {
                if let start = pauseStart, heardSpeech, index - start >= Int64(minimumPauseFrames) {
                    events.append(.pause(start..<index))
                }
                pauseStart = nil
                speechStart = index
            }
            heardSpeech = true
        } else if let start = speechStart {
            events.append(.speech(start..<index))
            speechStart = nil
            pauseStart = index
        } else if pauseStart == nil {
            pauseStart = index
        }
        return Decision(speech: speech, noiseFloorDB: current)
    }

    /// The earliest frame a pause or a speech segment reported after frame `index` can start at.
    func earliestStarts(after index: Int64) -> (pause: Int64, speech: Int64) {
        (pauseStart ?? index + 1, speechStart ?? index + 1)
    }

    /// Closes a speech segment still open at frame `end` (a trailing pause is not a pause).
    mutating func finish(at end: Int64, events: inout [Event]) {
        if let start = speechStart { events.append(.speech(start..<end)) }
        speechStart = nil
    }
}

/// Counts over the last `length` frames (a ring): speech frames and voiced-segment onsets.
struct SpeechRateWindow {
    private var speech: [Bool]
    private var onset: [Bool]
    private var next = 0
    private(set) var count = 0
    private(set) var speechFrames = 0
    private(set) var onsets = 0

    init(length: Int) {
        speech = [Bool](repeating: false, count: length)
        onset = speech
    }

    mutating func push(speech isSpeech: Bool, voicedOnset: Bool) {
        if count == speech.count {
            speechFrames -= speech[next] ? 1 : 0
            onsets -= onset[next] ? 1 : 0
        } else {
            count += 1
        }
        speech[next] = isSpeech
        onset[next] = voicedOnset
        speechFrames += isSpeech ? 1 : 0
        onsets += voicedOnset ? 1 : 0
        next = (next + 1) % speech.count
    }
}
