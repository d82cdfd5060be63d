import Foundation

/// A network's graph file (`graph.json`, format `emopipe-network/1`): its input, its layers in
/// order, the output layer, the class names and how pixels become input values. The weights
/// live beside it in `weights.safetensors`.
public struct NetworkDescription: Decodable, Sendable {
    /// The input tensor: channels x height x width.
    public struct Input: Decodable, Sendable {
        public var name: String
        public var channels: Int
        public var height: Int
        public var width: Int
    }

    /// How 8-bit pixels p become input values: p * scale + offset.
    public struct Preprocessing: Decodable, Sendable {
        /// "gray" (one channel of luma) or "rgb".
        public var color: String
        public var scale: Float
        public var offset: Float
        /// Median over the training faces of each face's mean and standard deviation of pixel
        /// values (0-255), where the graph gives them: what a crop's contrast can be matched to.
        public var cropMean: Float?
        public var cropStandardDeviation: Float?

        enum CodingKeys: String, CodingKey {
            case color, scale, offset
            case cropMean = "crop_mean"
            case cropStandardDeviation = "crop_std"
        }
    }

    /// Zero padding of a convolution or pooling window.
    public enum Padding: Decodable, Sendable, Equatable {
        /// No padding.
        case valid
        /// TensorFlow's "same": output ceil(size / stride), the odd pixel of padding at the
        /// bottom and right.
        case same
        /// Explicit [top, left, bottom, right] pixels.
        case explicit(top: Int, left: Int, bottom: Int, right: Int)

        public init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                switch text {
                case "valid": self = .valid
                case "same": self = .same
                default: throw DecodingError.dataCorruptedError(in: container, debugDescription: "padding '\(text)' is not valid, same or [top, left, bottom, right]")
                }
                return
            }
            let values = try container.decode([Int].self)
            guard values.count == 4, values.allSatisfy({ $0 >= 0 }) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "explicit padding needs 4 non-negative values [top, left, bottom, right]")
            }
            self = .explicit(top: values[0], left: values[1], bottom: values[2], right: values[3])
        }

        /// (top, left, bottom, right) for a window of `kernel` moved by `stride` over `height` x `width`.
        func amounts(height: Int, width: Int, kernel: (Int, Int), stride: (Int, Int)) -> (top: Int, left: Int, bottom: Int, right: Int) {
            switch self {
            case .valid: return (0, 0, 0, 0)
            case .explicit(let top, let left, let bottom, let right): return (top, left, bottom, right)
            case .same:
                func split(_ size: Int, _ k: Int, _ s: Int) -> (Int, Int) {
                    let out = (size + s - 1) / s
                    let total = max((out - 1) * s + k - size, 0)
                    return (total / 2, total - total / 2)
                }
                let (top, bottom) = split(height, kernel.0, stride.0)
                let (left, right) = split(width, kernel.1, stride.1)
                return (top, left, bottom, right)
            }
        }
    }

    /// One layer: `op` is conv2d, depthwise_conv2d, max_pool, average_pool, global_average_pool,
    /// dense, add, relu, relu6 or softmax.
    public struct Layer: Decodable, Sendable {
        public var name: String
        public var op: String
        /// The layer (or the network input) it reads; `add` reads `inputs`.
        public var input: String?
        public var inputs: [String]?
        /// Tensor names in the weight file: conv2d [out, in, kh, kw]; depthwise_conv2d
        /// [channels, 1, kh, kw]; dense [out, in]; bias [out].
        public var weight: String?
        public var bias: String?
        /// Vertical and horizontal step (default 1, 1; pooling defaults to its size).
        public var stride: [Int]?
        public var padding: Padding?
        /// Pooling window (rows, columns).
        public var size: [Int]?
        /// Applied to the layer's output: "relu", "relu6" or none.
        public var activation: String?
    }

    /// For face networks: where the training faces' eyes were, in input pixels (pixel centres
    /// at integers), so a face can be cut out the same way.
    public struct FaceAlignment: Decodable, Sendable {
        public var eyeMidpoint: [Double]
        public var eyeDistance: Double

        enum CodingKeys: String, CodingKey {
            case eyeMidpoint = "eye_midpoint"
            case eyeDistance = "eye_distance"
        }
    }

    public var format: String
    public var name: String
    public var alignment: FaceAlignment?
    /// The network's mean log-probability per class over its training inputs (as run), for
    /// mapping a person's own mean onto the population's (subject calibration).
    public var calibrationReference: [Double]?
    public var input: Input
    public var output: String
    public var classes: [String]
    public var preprocessing: Preprocessing
    public var layers: [Layer]

    enum CodingKeys: String, CodingKey {
        case format, name, alignment, input, output, classes, preprocessing, layers
        case calibrationReference = "calibration_reference"
    }
}
