import DequeModule
import EmoPipeCore
import EmoPipeNN
import Foundation

/// `face.expression`: each face's expression from a learned network (EmoPipeNN), absolute: it
/// needs no neutral baseline, so a still or the first frame of a clip gets a real answer.
///
/// Each face of a row from `face.landmarks` (or a later face stage) is cut out of its video frame
/// as the network's training faces were (`FaceAlignment`: eye centres level, at the place and
/// distance the graph file gives), run through the network, and (`mirror`: on stills by default)
/// through it again mirrored; the two are averaged. The row is passed on with the class probabilities
/// (`expression_p_neutral`..`expression_p_surprise`, EmotionCategory order), the
/// valence/arousal/dominance point of that distribution (`EmotionSpace`) and a confidence.
///
/// Faces that are already crops (FER2013-style 48x48 images): `whole_image: always`, or connect
/// only the video: the whole frame is the face. With `auto` (the default) a still image of at most
/// `crop_max_px` in which no face was found is taken as a crop.
public final class FaceExpressionStage: Stage {
    public static let descriptor = StageDescriptor(
        name: "face.expression", role: .transform,
        summary: "Expression class probabilities, valence/arousal/dominance and confidence per face from a network on aligned faces.",
        inputs: [PortSpec("video", [.video], "The frames the faces were found in."),
                 PortSpec("faces", [.features], optional: true,
                          "Rows of face.landmarks or a later face stage (face_id, success, confidence, x_0..y_67); without them every frame is one face crop.")],
        outputs: [PortSpec("expression", [.features],
                           "The input rows' columns (frame, face_id, success, confidence without them), then expression_p_neutral..expression_p_surprise, expression_valence, expression_arousal, expression_dominance (-1..1), expression_confidence (0..1), expression_whole_image (1: the whole frame was the face); NaN where no face.")],
        parameters: [
            ParameterSpec("network", .string, default: .string("face-expression"),
                          "A network folder (graph.json + weights.safetensors): a name in the model store (emopipe models) or a path."),
            ParameterSpec("mirror", .choice(["stills", "always", "never"]), default: .string("stills"),
                          "Average the network's probabilities over the face and its mirror image (two passes; about 1 point of accuracy on FER2013's stills): on stills only (on video, fusion's smoothing averages over frames and one pass keeps the cost down), always, or never."),
            ParameterSpec("every", .integer, default: .integer(2), unit: "frames", range: 1...1000,
                          "Run the network on every Nth frame of a tracked face and hold its answer in between (a face new to the tracker is always run). 2 is the smallest that keeps av-affect above 10x real time on 2 cores (Benchmarks/expression.sh: 8.3x at 1, 11.7x at 2, 12.5x at 3, recognition off); 1 for every frame. Stills: every face is run."),
            ParameterSpec("smooth_s", .number, default: .number(0.04), unit: "s", range: 0...10,
                          "Video: time constant of a causal exponential average of each tracked face's class probabilities (0: none); damps the frame-to-frame flicker of the network's answer. Light by default because fuse.affect smooths the fused estimate again (0.4 s): lp_d0's smile reads as happiness in av-affect's output on 34, 33 and 32 of its 36 frames at 0, 0.04 and 0.1 s (every 2). Stills are never smoothed."),
            ParameterSpec("contrast", .choice(["match", "keep"]), default: .string("match"),
                          "match: each crop's mean and spread of pixel values are set to those of the network's training faces (graph.json preprocessing crop_mean, crop_std: FER2013's are dim and low in contrast, lab portraits and camera frames are not); keep: the crop as cut out. Networks without those figures keep."),
            ParameterSpec("whole_image", .choice(["auto", "always", "never"]), default: .string("auto"),
                          "always: the whole frame is the face (inputs that are face crops); never: only faces with landmarks; auto: also a still image of at most crop_max_px in which no face was found."),
            ParameterSpec("crop_max_px", .number, default: .number(128), unit: "px", range: 0...4096,
                          "With whole_image auto: the longer side up to which a still image with no face found counts as a face crop."),
        ],
        make: { .stage(try FaceExpressionStage(parameters: $0)) })

    /// Column names this stage adds.
    public static let columns = EmotionCategory.allCases.map { "expression_p_" + $0.rawValue }
        + ["expression_valence", "expression_arousal", "expression_dominance", "expression_confidence", "expression_whole_image"]
    /// The leading columns written when there are no face rows (whole-frame mode).
    static let frameColumns = ["frame", "face_id", "success", "confidence"]

    private let network: Network
    private let alignment: FaceAlignment
    /// For each EmotionCategory, the network output index that gives it (nil: the network lacks it).
    private let outputIndex: [Int?]
    private let mirror: String
    private let every: Int
    private let smoothing: Double
    /// Target mean and standard deviation of a crop (nil: crops as cut out).
    private let contrastTarget: (mean: Float, deviation: Float)?
    /// Per face id: the time of its last smoothed answer and the smoothed probabilities.
    private var smoothed: [Int: (time: Double, probabilities: [Double])] = [:]
    private let wholeImage: String
    private let cropMaxPixels: Double
    private var layout: LandmarkColumns?
    private var confidenceColumn: Int?
    private var frameColumn: Int?
    private var format: VideoFormat?
    private var frames = Deque<(timestamp: Timestamp, image: GrayImage)>()
    private var frameIndex = 0
    /// Per face id: the frame number it was last run on and its answer.
    private var held: [Int: (frame: Int, values: [Float])] = [:]

    init(parameters: Parameters) throws {
        let reference = parameters.string("network")
        let folder: String
        do {
            folder = try ModelStore.models.resolve(reference).path
        } catch let error as ModelStoreError {
            throw StageError(error.description)
        }
        do {
            network = try Self.cachedNetwork(folder).copy()
        } catch let error as NetworkError {
            throw StageError(error.description)
        }
        let graph = network.graph
        guard graph.preprocessing.color == "gray", network.inputShape.channels == 1, network.inputShape.height == network.inputShape.width else {
            throw StageError("\(folder): face.expression takes networks of square gray faces (this one: \(network.inputShape), \(graph.preprocessing.color))")
        }
        guard let placement = graph.alignment, placement.eyeMidpoint.count == 2 else {
            throw StageError("\(folder)/graph.json: no alignment (eye_midpoint, eye_distance) to cut faces out as the network saw them")
        }
        // The face must land inside the network's input at a size that can be resampled.
        let size = Double(network.inputShape.width)
        guard placement.eyeDistance >= 1, placement.eyeDistance <= size,
              placement.eyeMidpoint.allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= size }) else {
            throw StageError("\(folder)/graph.json: alignment eye_distance \(placement.eyeDistance) px and eye_midpoint \(placement.eyeMidpoint) must lie within the \(Int(size)) px input (distance at least 1 px)")
        }
        guard graph.preprocessing.scale.isFinite, graph.preprocessing.offset.isFinite, graph.preprocessing.scale != 0,
              abs(graph.preprocessing.scale) <= 1e3, abs(graph.preprocessing.offset) <= 1e3 else {
            throw StageError("\(folder)/graph.json: preprocessing scale \(graph.preprocessing.scale) and offset \(graph.preprocessing.offset) must be finite, non-zero and within ±1000")
        }
        if let reference = graph.calibrationReference, !reference.allSatisfy({ $0.isFinite }) {
            throw StageError("\(folder)/graph.json: calibration_reference must be finite numbers")
        }
        alignment = FaceAlignment(size: network.inputShape.width, eyeMidpoint: SIMD2(placement.eyeMidpoint[0], placement.eyeMidpoint[1]),
                                  eyeDistance: placement.eyeDistance)
        let unknown = graph.classes.filter { EmotionCategory(rawValue: $0) == nil }
        guard unknown.isEmpty else {
            throw StageError("\(folder): classes \(unknown.joined(separator: ", ")) are not emotion categories (" + EmotionCategory.allCases.map(\.rawValue).joined(separator: ", ") + ")")
        }
        outputIndex = EmotionCategory.allCases.map { graph.classes.firstIndex(of: $0.rawValue) }
        mirror = parameters.string("mirror")
        every = parameters.integer("every")
        smoothing = parameters.number("smooth_s")
        if parameters.string("contrast") == "match", let mean = graph.preprocessing.cropMean, let deviation = graph.preprocessing.cropStandardDeviation {
            guard mean.isFinite, deviation.isFinite, (0...255).contains(mean), deviation > 0, deviation <= 255 else {
                throw StageError("\(folder)/graph.json: preprocessing crop_mean \(mean) and crop_std \(deviation) must lie in 0...255 (std above 0)")
            }
            contrastTarget = (mean, deviation)
        } else {
            contrastTarget = nil
        }
        wholeImage = parameters.string("whole_image")
        cropMaxPixels = parameters.number("crop_max_px")
    }

    public func prepare(inputs: [StreamFormat], context: StageContext) throws -> [StreamFormat] {
        guard case .video(let video) = inputs[0] else { throw StageError("face.expression takes video") }
        format = video
        guard inputs.count > 1 else {
            return [.features(FeatureSchema(Self.frameColumns + Self.columns, attributes: referenceAttributes([
                "image_width": Double(video.width), "image_height": Double(video.height), "frame_rate": video.frameRate,
            ])))]
        }
        guard case .features(let schema) = inputs[1] else { throw StageError("face.expression takes face rows as its second input") }
        layout = try LandmarkColumns(schema, stage: "face.expression")
        confidenceColumn = schema.index(of: "confidence")
        frameColumn = schema.index(of: "frame")
        return [.features(FeatureSchema(schema.names + Self.columns, attributes: referenceAttributes(schema.attributes)))]
    }

    /// `attributes` plus the network's mean log-probability per category over its training faces
    /// (`expression_reference_<category>`), when its graph gives them: what subject calibration
    /// maps a person's own mean onto.
    private func referenceAttributes(_ attributes: [String: Double]) -> [String: Double] {
        guard let reference = network.graph.calibrationReference, reference.count == network.classes.count else { return attributes }
        var result = attributes
        for (category, index) in zip(EmotionCategory.allCases, outputIndex) {
            if let index { result["expression_reference_" + category.rawValue] = reference[index] }
        }
        return result
    }

    public func process(_ packet: Packet, input: Int, output: Emitter) throws {
        switch packet.payload {
        case .video(let frame) where input == 0:
            let image = GrayImage(frame)
            if layout == nil {
                frameIndex += 1
                let values = expression(of: alignment.whole(image), faceConfidence: 1, wholeImage: true)
                return try output.emit(.features(FeatureRow([Float(frameIndex), 0, 1, 1] + values)), at: packet.timestamp, duration: packet.duration)
            }
            frames.append((packet.timestamp, image))
        case .features(let row) where input == 1:
            // Frames come first at equal timestamps (lower input index): drop the older ones.
            while let first = frames.first, first.timestamp < packet.timestamp { frames.removeFirst() }
            var values = row.values
            values += answer(row, image: frames.first.flatMap { $0.timestamp == packet.timestamp ? $0.image : nil },
                             time: packet.timestamp.seconds)
            try output.emit(.features(FeatureRow(values)), at: packet.timestamp, duration: packet.duration)
        default:
            return
        }
    }

    /// The expression columns for one face row (NaN when there is no face to run).
    private func answer(_ row: FeatureRow, image: GrayImage?, time: Double) -> [Float] {
        let none = [Float](repeating: .nan, count: Self.columns.count)
        guard let layout, let format else { return none }
        // A frame shed on the way (a live run under --realtime) keeps the face's last answer.
        guard let image else { return layout.landmarks(row) == nil ? none : held[layout.faceID(row)]?.values ?? none }
        let faceConfidence = confidenceColumn.map { Double(row.values[$0]) }.flatMap { $0.isFinite ? $0 : nil } ?? 1
        let frame = frameColumn.map { Int(row.values[$0]) } ?? 0
        if wholeImage == "always" { return expression(of: alignment.whole(image), faceConfidence: 1, wholeImage: true) }
        guard let landmarks = layout.landmarks(row) else {
            let small = Double(max(image.width, image.height)) <= cropMaxPixels
            guard wholeImage == "auto", format.isStill, small else { return none }
            return expression(of: alignment.whole(image), faceConfidence: 1, wholeImage: true)
        }
        let id = layout.faceID(row)
        if !format.isStill, let last = held[id], frame > last.frame, frame - last.frame < every {
            return smooth(last.values, face: id, time: time, faceConfidence: faceConfidence)
        }
        let values = expression(of: alignment.crop(image, landmarks: landmarks), faceConfidence: faceConfidence, wholeImage: false)
        held[id] = (frame, values)
        return format.isStill ? values : smooth(values, face: id, time: time, faceConfidence: faceConfidence)
    }

    /// A video face's answer with its class probabilities averaged over time (`smooth_s`): each
    /// frame moves the average 1 - exp(-dt / smooth_s) of the way to the frame's own answer; a
    /// face unseen for 1 s or more starts afresh.
    private func smooth(_ values: [Float], face: Int, time: Double, faceConfidence: Double) -> [Float] {
        let count = EmotionCategory.allCases.count
        let current = values[..<count].map(Double.init)
        guard smoothing > 0, current.allSatisfy({ $0.isFinite }) else { return values }
        var average = current
        if let previous = smoothed[face], time > previous.time, time - previous.time < 1 {
            let step = 1 - exp(-(time - previous.time) / smoothing)
            average = zip(previous.probabilities, current).map { $0 + step * ($1 - $0) }
        } else if let previous = smoothed[face], time == previous.time {
            average = previous.probabilities
        }
        smoothed[face] = (time, average)
        return describe(average, faceConfidence: faceConfidence, wholeImage: values[count + 4] == 1)
    }

    /// Runs the network on a crop (0-255 values) and, as `mirror` says, on its mirror image.
    private func expression(of crop: [Float], faceConfidence: Double, wholeImage: Bool) -> [Float] {
        let scale = network.graph.preprocessing.scale, offset = network.graph.preprocessing.offset
        var crop = crop
        if let contrastTarget { Self.matchContrast(&crop, to: contrastTarget) }
        let input = crop.map { $0 * scale + offset }
        var probabilities = network.predict(input).map(Double.init)
        if mirror == "always" || (mirror == "stills" && format?.isStill == true) {
            let size = alignment.size
            var flipped = input
            for row in 0..<size {
                for column in 0..<size { flipped[row * size + column] = input[row * size + size - 1 - column] }
            }
            probabilities = zip(probabilities, network.predict(flipped)).map { ($0 + Double($1)) / 2 }
        }
        return describe(outputIndex.map { $0.map { probabilities[$0] } ?? 0 }, faceConfidence: faceConfidence, wholeImage: wholeImage)
    }

    /// The stage's columns for class probabilities in EmotionCategory order.
    private func describe(_ categories: [Double], faceConfidence: Double, wholeImage: Bool) -> [Float] {
        let point = EmotionSpace.point(of: categories)
        let confidence = (categories.max() ?? 0) * min(1, max(0, faceConfidence))
        return (categories + [point.x, point.y, point.z, confidence, wholeImage ? 1 : 0]).map { Float($0) }
    }

    /// Sets the crop's mean and standard deviation to `target`'s, clipped to 0...255 (a flat crop
    /// only moves to the target mean).
    static func matchContrast(_ crop: inout [Float], to target: (mean: Float, deviation: Float)) {
        guard !crop.isEmpty else { return }
        let mean = crop.reduce(0, +) / Float(crop.count)
        let deviation = (crop.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(crop.count)).squareRoot()
        let gain = deviation > 1 ? target.deviation / deviation : 1
        for index in crop.indices { crop[index] = min(255, max(0, (crop[index] - mean) * gain + target.mean)) }
    }

    public func finish(output: Emitter) throws {}

    /// Networks already read (a batch of thousands of stills reads the weights once).
    private static let networks = ModelCache<Network>()

    private static func cachedNetwork(_ folder: String) throws -> Network {
        try networks.model(in: folder, load: Network.load(folder:))
    }
}
