import Foundation

/// One compiled layer: its operation with weights checked and laid out, the values it reads
/// and writes (0: the input, then one per layer), and the shapes they have.
struct NetworkStep: @unchecked Sendable {
    enum Operation {
        /// Full convolution. Weights [out, in, kh, kw].
        case convolution(weights: [Float], bias: [Float], kernel: (Int, Int), stride: (Int, Int), pad: (Int, Int))
        /// One filter per channel. Weights [channels, kh * kw].
        case depthwise(weights: [Float], bias: [Float], kernel: (Int, Int), stride: (Int, Int), pad: (Int, Int))
        case pool(maximum: Bool, size: (Int, Int), stride: (Int, Int), pad: (Int, Int))
        case globalAveragePool
        /// Weights [out, in].
        case dense(weights: [Float], bias: [Float])
        case add
        case softmax
        case none
    }

    enum Activation { case none, relu, relu6 }

    let name: String
    let operation: Operation
    let activation: Activation
    let inputs: [Int]
    let output: Int
    let inputShape: Network.Shape
    let outputShape: Network.Shape

    init(layer: NetworkDescription.Layer, inputs: [Int], shapes: [Network.Shape], output: Int, weights: SafeTensors) throws {
        name = layer.name
        self.inputs = inputs
        self.output = output
        let shape = shapes[0]
        inputShape = shape
        let source = weights.source
        func fail(_ message: String) -> NetworkError { NetworkError("\(source): layer \(layer.name): \(message)") }
        switch layer.op == "relu" || layer.op == "relu6" ? layer.op : layer.activation {
        case nil, "linear": activation = .none
        case "relu": activation = .relu
        case "relu6": activation = .relu6
        case let other?: throw fail("activation '\(other)' is not relu, relu6 or none")
        }
        func pair(_ values: [Int]?, default fallback: (Int, Int), what: String) throws -> (Int, Int) {
            guard let values else { return fallback }
            guard values.count == 2, values.allSatisfy({ (1...4096).contains($0) }) else { throw fail("\(what) needs two values in 1...4096") }
            return (values[0], values[1])
        }
        func window(kernel: (Int, Int), stride: (Int, Int)) throws -> (Network.Shape, (Int, Int)) {
            guard (1...4096).contains(kernel.0), (1...4096).contains(kernel.1) else { throw fail("a \(kernel.0)x\(kernel.1) window: sizes must be 1...4096") }
            let pad = (layer.padding ?? .valid).amounts(height: shape.height, width: shape.width, kernel: kernel, stride: stride)
            guard [pad.top, pad.left, pad.bottom, pad.right].allSatisfy({ (0...4096).contains($0) }) else {
                throw fail("padding \([pad.top, pad.left, pad.bottom, pad.right]) must be 0...4096")
            }
            let height = (shape.height + pad.top + pad.bottom - kernel.0) / stride.0 + 1
            let width = (shape.width + pad.left + pad.right - kernel.1) / stride.1 + 1
            guard shape.height + pad.top + pad.bottom >= kernel.0, shape.width + pad.left + pad.right >= kernel.1, height > 0, width > 0 else {
                throw fail("a \(kernel.0)x\(kernel.1) window does not fit its \(shape) input")
            }
            guard pad.bottom <= pad.top + stride.0, pad.right <= pad.left + stride.1 else {
                throw fail("padding larger than the window's reach")
            }
            return (Network.Shape(channels: shape.channels, height: height, width: width), (pad.top, pad.left))
        }
        func bias(count: Int) throws -> [Float] {
            guard let name = layer.bias else { return [Float](repeating: 0, count: count) }
            return try weights.tensor(name, shape: [count], layer: layer.name)
        }
        switch layer.op {
        case "conv2d", "depthwise_conv2d":
            guard let weightName = layer.weight else { throw fail("no weight tensor named") }
            let weightShape = try weights.shape(of: weightName, layer: layer.name)
            guard weightShape.count == 4 else { throw fail("tensor '\(weightName)' has shape \(weightShape), needs [out, in, kh, kw]") }
            let kernel = (weightShape[2], weightShape[3])
            let stride = try pair(layer.stride, default: (1, 1), what: "stride")
            var (outShape, pad) = try window(kernel: kernel, stride: stride)
            if layer.op == "conv2d" {
                let values = try weights.tensor(weightName, shape: [weightShape[0], shape.channels, kernel.0, kernel.1], layer: layer.name)
                outShape.channels = weightShape[0]
                operation = .convolution(weights: values, bias: try bias(count: weightShape[0]), kernel: kernel, stride: stride, pad: pad)
            } else {
                let values = try weights.tensor(weightName, shape: [shape.channels, 1, kernel.0, kernel.1], layer: layer.name)
                operation = .depthwise(weights: values, bias: try bias(count: shape.channels), kernel: kernel, stride: stride, pad: pad)
            }
            outputShape = outShape
        case "max_pool", "average_pool":
            let size = try pair(layer.size, default: (2, 2), what: "size")
            let stride = try pair(layer.stride, default: size, what: "stride")
            let (outShape, pad) = try window(kernel: size, stride: stride)
            operation = .pool(maximum: layer.op == "max_pool", size: size, stride: stride, pad: pad)
            outputShape = outShape
        case "global_average_pool":
            operation = .globalAveragePool
            outputShape = Network.Shape(channels: shape.channels, height: 1, width: 1)
        case "dense":
            guard let weightName = layer.weight else { throw fail("no weight tensor named") }
            let weightShape = try weights.shape(of: weightName, layer: layer.name)
            guard weightShape.count == 2 else { throw fail("tensor '\(weightName)' has shape \(weightShape), needs [out, in]") }
            let values = try weights.tensor(weightName, shape: [weightShape[0], shape.count], layer: layer.name)
            operation = .dense(weights: values, bias: try bias(count: weightShape[0]))
            outputShape = Network.Shape(channels: weightShape[0], height: 1, width: 1)
        case "add":
            guard shapes.count >= 2, shapes.allSatisfy({ $0 == shape }) else {
                throw fail("add needs two or more inputs of one shape, has \(shapes.map(\.description).joined(separator: ", "))")
            }
            operation = .add
            outputShape = shape
        case "softmax":
            operation = .softmax
            outputShape = shape
        case "relu", "relu6":
            operation = .none
            outputShape = shape
        default:
            throw fail("operation '\(layer.op)' is not one the runtime knows (conv2d, depthwise_conv2d, max_pool, average_pool, global_average_pool, dense, add, relu, relu6, softmax)")
        }
        if case .add = operation {} else if shapes.count != 1 { throw fail("\(layer.op) takes one input") }
    }

    /// Weights and biases this step holds.
    var parameterCount: Int {
        switch operation {
        case .convolution(let weights, let bias, _, _, _), .depthwise(let weights, let bias, _, _, _), .dense(let weights, let bias):
            return weights.count + bias.count
        default:
            return 0
        }
    }

    /// Multiply-adds of this step in one forward pass.
    var multiplyAdds: Int {
        switch operation {
        case .convolution(_, _, let kernel, _, _):
            return outputShape.count * inputShape.channels * kernel.0 * kernel.1
        case .depthwise(_, _, let kernel, _, _):
            return outputShape.count * kernel.0 * kernel.1
        case .dense(let weights, _):
            return weights.count
        default:
            return 0
        }
    }
}
