import EmoPipeCore

/// Where a face stage finds what it needs in an incoming row: the columns `face.landmarks` writes
/// (and that every later face stage passes on).
struct LandmarkColumns {
    let faceID: Int
    let success: Int
    let x: Int
    let y: Int

    /// Locates the columns, or explains which are missing.
    init(_ schema: FeatureSchema, stage: String) throws {
        guard let faceID = schema.index(of: "face_id"), let success = schema.index(of: "success"),
              let x = schema.index(of: "x_0"), let y = schema.index(of: "y_0"),
              schema.names.count >= x + FaceLandmarks.count, schema.names.count >= y + FaceLandmarks.count,
              schema.names[x + FaceLandmarks.count - 1] == "x_67", schema.names[y + FaceLandmarks.count - 1] == "y_67"
        else {
            throw StageError("\(stage) needs the face_id, success and x_0..x_67, y_0..y_67 columns of face.landmarks")
        }
        self.faceID = faceID
        self.success = success
        self.x = x
        self.y = y
    }

    func faceID(_ row: FeatureRow) -> Int { row.values[faceID].isFinite ? Int(row.values[faceID]) : 0 }

    /// The row's landmarks, nil when the row has no face.
    func landmarks(_ row: FeatureRow) -> FaceLandmarks? {
        guard row.values[success] == 1 else { return nil }
        return FaceLandmarks(points: (0..<FaceLandmarks.count).map {
            SIMD2(Double(row.values[x + $0]), Double(row.values[y + $0]))
        })
    }
}

/// Locates named columns a face stage reads from an earlier face stage.
func requireColumns(_ names: [String], in schema: FeatureSchema, stage: String, from producer: String) throws -> [Int] {
    let found = names.map { schema.index(of: $0) }
    guard found.allSatisfy({ $0 != nil }) else {
        let missing = zip(names, found).filter { $0.1 == nil }.map(\.0)
        throw StageError("\(stage) needs the \(missing.joined(separator: ", ")) column(s) of \(producer)")
    }
    return found.map { $0! }
}
