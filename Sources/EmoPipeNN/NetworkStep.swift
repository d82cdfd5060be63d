import Foundation

/// One compiled layer: its operation with weights checked and laid out, the values it reads
/// and writes (indices into the network's arena), and the shapes they have.
struct NetworkStep: @unchecked Sendable {
    enum Operation {
        /// Full convolution as im2col + one matrix multiplication. Weights [out, in * kh * kw].
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
    /// im2col scratch values this step needs (0 when it needs none).
    let columnCount: Int

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
        var columns = 0
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
                let direct = kernel == (1, 1) && stride == (1, 1) && pad == (0, 0) && outShape.height == shape.height && outShape.width == shape.width
                columns = direct ? 0 : shape.channels * kernel.0 * kernel.1 * outShape.height * outShape.width
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
        columnCount = columns
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

    func run(arena: UnsafeMutablePointer<Float>, offsets: [Int], columns: UnsafeMutablePointer<Float>) {
        let x = UnsafePointer(arena + offsets[inputs[0]])
        let y = arena + offsets[output]
        let inShape = inputShape, outShape = outputShape
        let plane = outShape.height * outShape.width
        switch operation {
        case .convolution(let weights, let bias, let kernel, let stride, let pad):
            for channel in 0..<outShape.channels {
                (y + channel * plane).initialize(repeating: bias[channel], count: plane)
            }
            weights.withUnsafeBufferPointer { w in
                if columnCount == 0 {
                    matrixMultiply(w.baseAddress!, x, y, m: outShape.channels, n: plane, k: inShape.channels, accumulate: true)
                } else {
                    gatherColumns(x, into: columns, kernel: kernel, stride: stride, pad: pad)
                    matrixMultiply(w.baseAddress!, columns, y, m: outShape.channels, n: plane,
                                   k: inShape.channels * kernel.0 * kernel.1, accumulate: true)
                }
            }
        case .depthwise(let weights, let bias, let kernel, let stride, let pad):
            weights.withUnsafeBufferPointer { w in
                depthwise(x, y, weights: w.baseAddress!, bias: bias, kernel: kernel, stride: stride, pad: pad)
            }
        case .pool(let maximum, let size, let stride, let pad):
            pool(x, y, maximum: maximum, size: size, stride: stride, pad: pad)
        case .globalAveragePool:
            let count = inShape.height * inShape.width
            for channel in 0..<inShape.channels {
                var sum: Float = 0
                for index in 0..<count { sum += x[channel * count + index] }
                y[channel] = sum / Float(count)
            }
        case .dense(let weights, let bias):
            y.update(from: bias, count: bias.count)
            weights.withUnsafeBufferPointer { w in
                matrixVector(w.baseAddress!, x, y, m: outShape.channels, n: inShape.count, accumulate: true)
            }
        case .add:
            y.update(from: x, count: outShape.count)
            for other in inputs.dropFirst() {
                let z = arena + offsets[other]
                for index in 0..<outShape.count { y[index] += z[index] }
            }
        case .softmax:
            let count = outShape.count
            var largest = -Float.infinity
            for index in 0..<count { largest = max(largest, x[index]) }
            var sum: Float = 0
            for index in 0..<count {
                y[index] = expf(x[index] - largest)
                sum += y[index]
            }
            for index in 0..<count { y[index] /= sum }
        case .none:
            y.update(from: x, count: outShape.count)
        }
        switch activation {
        case .none: break
        case .relu: for index in 0..<outShape.count { y[index] = max(y[index], 0) }
        case .relu6: for index in 0..<outShape.count { y[index] = min(max(y[index], 0), 6) }
        }
    }

    /// im2col: row (c, i, j) of `columns` holds input channel c at kernel offset (i, j) for every
    /// output position, zero where the window reaches into the padding.
    private func gatherColumns(_ x: UnsafePointer<Float>, into columns: UnsafeMutablePointer<Float>,
                               kernel: (Int, Int), stride: (Int, Int), pad: (Int, Int)) {
        let height = inputShape.height, width = inputShape.width
        let outHeight = outputShape.height, outWidth = outputShape.width
        var row = columns
        for channel in 0..<inputShape.channels {
            let image = x + channel * height * width
            for i in 0..<kernel.0 {
                for j in 0..<kernel.1 {
                    // Output columns whose input column ox * stride - pad + j is inside the image.
                    let first = min(outWidth, max(0, (pad.1 - j + stride.1 - 1) / stride.1))
                    let last = min(outWidth, max(first, (width - 1 + pad.1 - j) / stride.1 + 1))
                    for oy in 0..<outHeight {
                        let target = row + oy * outWidth
                        let iy = oy * stride.0 - pad.0 + i
                        guard iy >= 0, iy < height else {
                            target.initialize(repeating: 0, count: outWidth)
                            continue
                        }
                        let line = image + iy * width - pad.1 + j
                        for ox in 0..<first { target[ox] = 0 }
                        if stride.1 == 1 {
                            (target + first).update(from: line + first, count: last - first)
                        } else {
                            for ox in first..<last { target[ox] = line[ox * stride.1] }
                        }
                        for ox in last..<outWidth { target[ox] = 0 }
                    }
                    row += outHeight * outWidth
                }
            }
        }
    }

    private func depthwise(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, weights: UnsafePointer<Float>, bias: [Float],
                           kernel: (Int, Int), stride: (Int, Int), pad: (Int, Int)) {
        let height = inputShape.height, width = inputShape.width
        let outHeight = outputShape.height, outWidth = outputShape.width
        // Per kernel column j: the output columns whose input column stays inside the image.
        let spans = (0..<kernel.1).map { j -> (first: Int, last: Int) in
            let first = min(outWidth, max(0, (pad.1 - j + stride.1 - 1) / stride.1))
            return (first, min(outWidth, max(first, (width - 1 + pad.1 - j) / stride.1 + 1)))
        }
        spans.withUnsafeBufferPointer { spans in
            for channel in 0..<inputShape.channels {
                let image = x + channel * height * width
                let out = y + channel * outHeight * outWidth
                out.initialize(repeating: bias[channel], count: outHeight * outWidth)
                let w = weights + channel * kernel.0 * kernel.1
                for oy in 0..<outHeight {
                    let target = out + oy * outWidth
                    for i in 0..<kernel.0 {
                        let iy = oy * stride.0 - pad.0 + i
                        guard iy >= 0, iy < height else { continue }
                        let row = image + iy * width - pad.1
                        for j in 0..<kernel.1 {
                            let weight = w[i * kernel.1 + j]
                            let (first, last) = spans[j]
                            let line = row + j
                            if stride.1 == 1 {
                                for ox in first..<last { target[ox] += weight * line[ox] }
                            } else {
                                for ox in first..<last { target[ox] += weight * line[ox * stride.1] }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Max pooling ignores the padding (as -infinity would); average pooling averages only the
    /// pixels inside the image (Keras's and ONNX's count_include_pad = 0).
    private func pool(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, maximum: Bool,
                      size: (Int, Int), stride: (Int, Int), pad: (Int, Int)) {
        let height = inputShape.height, width = inputShape.width
        let outHeight = outputShape.height, outWidth = outputShape.width
        for channel in 0..<inputShape.channels {
            let image = x + channel * height * width
            let out = y + channel * outHeight * outWidth
            for oy in 0..<outHeight {
                let top = max(0, oy * stride.0 - pad.0), bottom = min(height, oy * stride.0 - pad.0 + size.0)
                for ox in 0..<outWidth {
                    let left = max(0, ox * stride.1 - pad.1), right = min(width, ox * stride.1 - pad.1 + size.1)
                    if maximum {
                        var value = -Float.infinity
                        for iy in top..<bottom {
                            let line = image + iy * width
                            for ix in left..<right where line[ix] > value { value = line[ix] }
                        }
                        out[oy * outWidth + ox] = value
                    } else {
                        var value: Float = 0
                        for iy in top..<bottom {
                            let line = image + iy * width
                            for ix in left..<right { value += line[ix] }
                        }
                        out[oy * outWidth + ox] = value / Float((bottom - top) * (right - left))
                    }
                }
            }
        }
    }
}
