import EmoPipeCore

/// Action-unit intensities (OpenFace's 0-5 scale) from facial geometry, relative to the person's
/// running neutral face, for one tracked face.
///
/// Every measure (`FacialMeasures`) is compared with the person's neutral: its running median
/// (`RunningMedian`, as OpenFace's person-specific neutral) over the calm frames so far, those where
/// no AU reached `calmLevel` against the neutral of the moment. OpenFace's median over every frame
/// drifts into the expression when a person holds it for most of a clip (a posed smile); the calm
/// median does not. When fewer than `calmShare` of the frames were calm (the first frames were an
/// expression, so everything since looks active), the median over every frame is the neutral until
/// calm frames catch up. An AU's intensity is the change a full-strength action (FACS level E)
/// makes, mapped to 5, clipped to [0, 5]; the full-strength changes are in `FullScale` (mean-face
/// millimetres, for an 88 mm outer-eye-corner width).
///
/// Geometry sees movement, not texture: AU06 and AU07 (cheek raise, lid tightening) both narrow
/// the eye and are told apart only by whether the lip corners rise; AU14 and AU20 both widen the
/// mouth. These are estimates from 68 points, not OpenFace's appearance-based regressors.
///
/// With subject calibration the neutral is fixed instead: the calm-frame median over all of the
/// person's inputs (`init(neutral:)`), so the first frame is already measured against it.
public struct ActionUnitEstimator: Sendable {
    /// The AUs estimated, as OpenFace names their intensity columns.
    public static let names = ["AU01_r", "AU02_r", "AU04_r", "AU05_r", "AU06_r", "AU07_r", "AU09_r", "AU10_r", "AU12_r",
                               "AU14_r", "AU15_r", "AU17_r", "AU20_r", "AU23_r", "AU25_r", "AU26_r", "AU45_r"]

    /// Change (mm, or ratio for the eye aspect) of a full-strength action.
    public enum FullScale {
        public static let browRaise = 10.0
        public static let browLower = 8.0
        public static let browGather = 6.0
        public static let lidRaise = 4.0
        public static let lidNarrow = 3.5
        public static let noseWrinkle = 5.0
        public static let upperLipRaise = 5.0
        public static let cornerRaise = 6.0
        public static let mouthWiden = 10.0
        public static let cornerLower = 4.0
        public static let chinRaise = 6.0
        public static let lipThin = 4.0
        public static let lipPart = 8.0
        public static let jawDrop = 15.0
        /// Fraction of the neutral eye aspect ratio lost when the eyes are shut.
        public static let eyeClose = 0.7
    }

    /// A frame is calm when every AU stays below this intensity against the current neutral.
    public static let calmLevel = 1.5
    /// Share of calm frames below which the median over all frames serves as the neutral.
    public static let calmShare = 0.2

    /// The calm frames' and every frame's measures so far (a calibration pass pools them over a
    /// person's inputs).
    public private(set) var calm: [RunningMedian]
    public private(set) var every: [RunningMedian]
    private let fixedNeutral: FacialMeasures?

    /// An estimator whose neutral is learnt from the frames it sees.
    public init() {
        calm = Self.histograms()
        every = Self.histograms()
        fixedNeutral = nil
    }

    /// An estimator measuring against a known neutral (a subject profile's).
    public init(neutral: FacialMeasures) {
        calm = Self.histograms()
        every = Self.histograms()
        fixedNeutral = neutral
    }

    /// Empty histograms for the measures, in `FacialMeasures.all` order.
    public static func histograms() -> [RunningMedian] {
        (0..<FacialMeasures.count).map { index in
            index == FacialMeasures.eyeAspectIndex ? RunningMedian(lower: 0, upper: 1, bins: 500)
                : RunningMedian(lower: -50, upper: 150, bins: 2000)
        }
    }

    /// The neutral that calm and all-frame histograms give: the calm median, or the median over
    /// every frame when fewer than `calmShare` of the frames were calm; nil before any frame.
    public static func neutral(calm: [RunningMedian], every: [RunningMedian]) -> FacialMeasures? {
        let source = Double(calm[0].count) >= calmShare * Double(every[0].count) ? calm : every
        let medians = source.compactMap(\.median)
        return medians.count == FacialMeasures.count ? FacialMeasures(all: medians) : nil
    }

    /// The person's neutral measures so far (nil before the first face), or the fixed neutral.
    public var neutralMeasures: FacialMeasures? {
        fixedNeutral ?? Self.neutral(calm: calm, every: every)
    }

    /// Returns the AU intensities in `names` order against the neutral so far (this frame included
    /// when it is calm, or the first), with the eye openness relative to the neutral (1 = as usual,
    /// 0 = shut).
    public mutating func update(_ measures: FacialMeasures) -> (intensities: [Double], eyeOpenness: Double) {
        if let fixedNeutral {
            return (Self.intensities(measures, neutral: fixedNeutral), measures.eyeAspect / max(fixedNeutral.eyeAspect, 1e-6))
        }
        let values = measures.all
        for (index, value) in values.enumerated() { every[index].add(value) }
        let isCalm = neutralMeasures.map { Self.intensities(measures, neutral: $0).allSatisfy { $0 < Self.calmLevel } } ?? true
        if isCalm || calm[0].count == 0 {
            for (index, value) in values.enumerated() { calm[index].add(value) }
        }
        let base = neutralMeasures!
        return (Self.intensities(measures, neutral: base), measures.eyeAspect / max(base.eyeAspect, 1e-6))
    }

    /// AU intensities of `m` against the neutral `n`.
    public static func intensities(_ m: FacialMeasures, neutral n: FacialMeasures) -> [Double] {
        func level(_ fraction: Double) -> Double { 5 * min(1, max(0, fraction)) }
        typealias F = FullScale
        let innerRaise = m.innerBrowHeight - n.innerBrowHeight
        let outerRaise = m.outerBrowHeight - n.outerBrowHeight
        let gather = n.browGap - m.browGap
        let lidOpen = m.eyeOpening - n.eyeOpening
        let widen = m.mouthWidth - n.mouthWidth
        let cornerUp = n.cornerDrop - m.cornerDrop
        let closure = 1 - m.eyeAspect / max(n.eyeAspect, 1e-6)
        let smile = 0.6 * cornerUp / F.cornerRaise + 0.4 * widen / F.mouthWiden
        return [
            level(innerRaise / F.browRaise),                                                    // AU01
            level(outerRaise / F.browRaise),                                                    // AU02
            level(0.5 * -innerRaise / F.browLower + 0.5 * gather / F.browGather),               // AU04
            level(lidOpen / F.lidRaise),                                                        // AU05
            level(min(-lidOpen / F.lidNarrow, smile) ),                                         // AU06
            level(-lidOpen / F.lidNarrow - max(0, smile)),                                      // AU07
            level((n.noseLength - m.noseLength) / F.noseWrinkle),                               // AU09
            level((n.upperLipDrop - m.upperLipDrop) / F.upperLipRaise),                         // AU10
            level(smile),                                                                        // AU12
            level(widen / F.mouthWiden - abs(cornerUp) / F.cornerRaise),                        // AU14
            level(-cornerUp / F.cornerLower),                                                   // AU15
            level((n.chinToLip - m.chinToLip) / F.chinRaise),                                   // AU17
            level(min(widen / F.mouthWiden, -cornerUp / F.cornerLower) * 1.5),                  // AU20
            level((n.lipThickness - m.lipThickness) / F.lipThin),                               // AU23
            level((m.lipGap - n.lipGap) / F.lipPart),                                           // AU25
            level((m.jawDrop - n.jawDrop) / F.jawDrop),                                         // AU26
            level(closure / F.eyeClose),                                                        // AU45
        ]
    }
}
