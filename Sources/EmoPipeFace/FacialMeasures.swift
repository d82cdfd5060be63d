/// The facial distances action units are read from, measured on a `FrontalFace` (millimetres in
/// the mean face's plane, except `eyeAspect`). Indices are the 0-based iBUG 68 scheme.
public struct FacialMeasures: Sendable, Equatable {
    /// Eye line (inner corners 39, 42) to inner brows (21, 22), vertically: rises with AU01.
    public var innerBrowHeight: Double
    /// Eye line (outer corners 36, 45) to outer brows (17, 26): rises with AU02.
    public var outerBrowHeight: Double
    /// Distance between the inner brow ends (21, 22): shrinks with AU04.
    public var browGap: Double
    /// Upper to lower lid (37-41, 38-40, 43-47, 44-46), mean: grows with AU05, shrinks with AU06/07/45.
    public var eyeOpening: Double
    /// Eye aspect ratio (lid distance / eye width, Soukupová and Čech 2016), both eyes' mean; unitless.
    public var eyeAspect: Double
    /// Lip corners (48, 54) apart: grows with AU12, AU14, AU20.
    public var mouthWidth: Double
    /// Lip corners below the nose base (33): shrinks with AU12, grows with AU15.
    public var cornerDrop: Double
    /// Nose base (33) to upper lip top (51): shrinks with AU10.
    public var upperLipDrop: Double
    /// Inner lip opening (61-67, 62-66, 63-65), mean: AU25.
    public var lipGap: Double
    /// Nose base (33) to chin (8): grows with AU26.
    public var jawDrop: Double
    /// Lower lip (57) to chin (8): shrinks with AU17.
    public var chinToLip: Double
    /// Red lip height (51-62 plus 57-66): shrinks with AU23 (lip tightening and pressing).
    public var lipThickness: Double
    /// Inner eye corners (39, 42) to nose wings (31, 35), vertically: shrinks with AU09.
    public var noseLength: Double

    public init(_ face: FrontalFace) {
        innerBrowHeight = face.y(39, 42) - face.y(21, 22)
        outerBrowHeight = face.y(36, 45) - face.y(17, 26)
        browGap = face.distance(21, 22)
        eyeOpening = (face.distance(37, 41) + face.distance(38, 40) + face.distance(43, 47) + face.distance(44, 46)) / 4
        eyeAspect = eyeOpening / ((face.distance(36, 39) + face.distance(42, 45)) / 2)
        mouthWidth = face.distance(48, 54)
        cornerDrop = face.y(48, 54) - face.y(33)
        upperLipDrop = face.y(51) - face.y(33)
        lipGap = (face.distance(61, 67) + face.distance(62, 66) + face.distance(63, 65)) / 3
        jawDrop = face.y(8) - face.y(33)
        chinToLip = face.y(8) - face.y(57)
        lipThickness = face.distance(51, 62) + face.distance(57, 66)
        noseLength = face.y(31, 35) - face.y(39, 42)
    }

    /// The measures' names, in `all` order (the keys of a subject profile's face neutral).
    public static let names = ["inner_brow_height", "outer_brow_height", "brow_gap", "eye_opening", "eye_aspect", "mouth_width",
                               "corner_drop", "upper_lip_drop", "lip_gap", "jaw_drop", "chin_to_lip", "lip_thickness", "nose_length"]

    /// The measures as an array, in `names` order.
    public var all: [Double] {
        [innerBrowHeight, outerBrowHeight, browGap, eyeOpening, eyeAspect, mouthWidth, cornerDrop, upperLipDrop,
         lipGap, jawDrop, chinToLip, lipThickness, noseLength]
    }

    /// Measures from an array in `names` order.
    public init(all v: [Double]) {
        (innerBrowHeight, outerBrowHeight, browGap, eyeOpening, eyeAspect, mouthWidth, cornerDrop) = (v[0], v[1], v[2], v[3], v[4], v[5], v[6])
        (upperLipDrop, lipGap, jawDrop, chinToLip, lipThickness, noseLength) = (v[7], v[8], v[9], v[10], v[11], v[12])
    }

    static let count = 13
    static let eyeAspectIndex = 4
}
