/// A detection box expressed relative to the landmarks fitted in it: where the box sits from the
/// landmarks' centroid and how big it is, in units of the landmarks' spread.
///
/// dlib's shape predictor was trained on its detector's boxes, whose framing depends on the head's
/// pose (a turned face gets a box off the landmarks' centre). Carrying the detector's own framing
/// along with the face, rather than boxing the landmarks afresh, keeps every tracked frame's box
/// the kind the predictor expects.
struct AnchoredBox: Equatable {
    /// Box centre minus landmark centroid, divided by the spread.
    var offset: SIMD2<Double>
    /// Box side divided by the spread.
    var size: Double

    init(box: FaceBox, landmarks: FaceLandmarks) {
        let (centre, spread) = landmarks.centroidAndSpread
        offset = (box.centre - centre) / spread
        size = (box.width + box.height) / 2 / spread
    }

    /// The box at the face whose landmarks are `landmarks`.
    func box(for landmarks: FaceLandmarks) -> FaceBox {
        let (centre, spread) = landmarks.centroidAndSpread
        let middle = centre + offset * spread
        let half = size * spread / 2
        return FaceBox(left: middle.x - half, top: middle.y - half, right: middle.x + half, bottom: middle.y + half)
    }
}
