import CDNNL
import Foundation

/// A network's checked layers (`NetworkStep`s) compiled once into oneDNN primitives: JIT
/// convolutions in the blocked layouts the CPU runs fastest (weights reordered into them at load,
/// bias and ReLU/ReLU6 fused), pooling, inner products, additions, softmax; a reorder wherever one
/// primitive's layout is not the next one's. Immutable after load and shared by every
/// `OneDNNExecution` (one per thread), which owns the intermediate tensors, the scratchpad and a
/// stream.
final class OneDNNProgram: @unchecked Sendable {
    /// An argument of a call: a slot (an intermediate tensor, per execution) or a constant
    /// (weights, shared).
    enum Operand {
        case slot(Int)
        case constant(dnnl_memory_t)
    }

    struct Call {
        let primitive: dnnl_primitive_t
        let arguments: [(Int32, Operand)]
        /// The scratchpad layout the call needs (user-managed: executions run side by side).
        let scratchpad: dnnl_memory_desc_t?
    }

    /// Layout of each slot. Slot 0 holds the input in the plain layout the caller gives.
    private(set) var slots: [dnnl_memory_desc_t] = []
    /// For a slot that is another view of an earlier slot's buffer, that slot.
    private(set) var aliases: [Int: Int] = [:]
    private(set) var calls: [Call] = []
    /// The slot holding the output in the plain layout the caller reads.
    private(set) var outputSlot = 0
    /// Input and output element counts.
    let inputCount: Int
    private(set) var outputCount = 0
    private var constants: [dnnl_memory_t] = []
    private var primitives: [dnnl_primitive_t] = []

    /// Where each value of the network (0: input, then one per layer) is and in what layout.
    private var valueSlot: [Int: Int] = [:]

    init(steps: [NetworkStep], input: Network.Shape, output: Int, source: String) throws {
        OneDNN.stayOnThisThread()
        inputCount = input.count
        slots.append(try OneDNN.descriptor([1, input.channels, input.height, input.width], dnnl_nchw))
        valueSlot[0] = 0
        do {
            for step in steps { try compile(step) }
            guard let last = valueSlot[output] else { throw NetworkError("output value \(output) was never computed") }
            let shape = output == 0 ? input : steps.first(where: { $0.output == output })!.outputShape
            outputCount = shape.count
            outputSlot = try operand(last, as: OneDNN.descriptor([1, shape.channels, shape.height, shape.width], dnnl_nchw))
        } catch let error as NetworkError {
            release()
            throw NetworkError("\(source): \(error.description)")
        }
    }

    deinit { release() }

    private func release() {
        for primitive in primitives { dnnl_primitive_destroy(primitive) }
        for constant in constants { dnnl_memory_destroy(constant) }
        primitives = []
        constants = []
    }

    private func newSlot(_ descriptor: dnnl_memory_desc_t) -> Int {
        slots.append(descriptor)
        return slots.count - 1
    }

    /// The slot holding `slot`'s values in layout `wanted`: the slot itself when the layouts
    /// agree, else a new one filled by a reorder call.
    private func operand(_ slot: Int, as wanted: dnnl_memory_desc_t) throws -> Int {
        if OneDNN.equal(slots[slot], wanted) { return slot }
        let reorder = try OneDNN.reorderPrimitive(from: slots[slot], to: wanted)
        primitives.append(reorder)
        let target = newSlot(wanted)
        calls.append(Call(primitive: reorder, arguments: [(DNNL_ARG_FROM, .slot(slot)), (DNNL_ARG_TO, .slot(target))], scratchpad: nil))
        return target
    }

    private func attributes(_ activation: NetworkStep.Activation) throws -> dnnl_primitive_attr_t {
        var attributes: dnnl_primitive_attr_t?
        try OneDNN.check(dnnl_primitive_attr_create(&attributes), "create primitive attributes")
        dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user)
        if activation != .none {
            var postOps: dnnl_post_ops_t?
            try OneDNN.check(dnnl_post_ops_create(&postOps), "create post-ops")
            defer { dnnl_post_ops_destroy(postOps) }
            if activation == .relu {
                dnnl_post_ops_append_eltwise(postOps, 1, dnnl_eltwise_relu, 0, 0)
            } else {
                dnnl_post_ops_append_eltwise(postOps, 1, dnnl_eltwise_clip, 0, 6)
            }
            try OneDNN.check(dnnl_primitive_attr_set_post_ops(attributes, postOps), "fuse an activation")
        }
        return attributes!
    }

    /// Creates the primitive of `descriptor`, records it with its arguments and scratchpad.
    private func add(_ descriptor: dnnl_primitive_desc_t, _ arguments: [(Int32, Operand)], what: String) throws {
        let primitive = try OneDNN.primitive(descriptor, what: what)
        primitives.append(primitive)
        var scratchpad: dnnl_memory_desc_t? = OneDNN.query(descriptor, dnnl_query_scratchpad_md)
        if var size = scratchpad, dnnl_memory_desc_get_size(&size) == 0 { scratchpad = nil }
        calls.append(Call(primitive: primitive, arguments: arguments, scratchpad: scratchpad))
    }

    private func dims(_ shape: Network.Shape) -> [Int] { [1, shape.channels, shape.height, shape.width] }

    private func compile(_ step: NetworkStep) throws {
        let name = "layer \(step.name)"
        let inShape = step.inputShape, outShape = step.outputShape
        let input = valueSlot[step.inputs[0]]!
        let attributes = try attributes(step.activation)
        defer { dnnl_primitive_attr_destroy(attributes) }
        /// Right and bottom padding that gives the output size the step computed.
        func farPadding(kernel: (Int, Int), stride: (Int, Int), pad: (Int, Int)) -> [Int64] {
            [Int64(max(0, (outShape.height - 1) * stride.0 + kernel.0 - inShape.height - pad.0)),
             Int64(max(0, (outShape.width - 1) * stride.1 + kernel.1 - inShape.width - pad.1))]
        }
        switch step.operation {
        case .convolution(let weights, let bias, let kernel, let stride, let pad),
             .depthwise(let weights, let bias, let kernel, let stride, let pad):
            let depthwise: Bool
            if case .depthwise = step.operation { depthwise = true } else { depthwise = false }
            let weightDims = depthwise ? [inShape.channels, 1, 1, kernel.0, kernel.1] : [outShape.channels, inShape.channels, kernel.0, kernel.1]
            // Each convolution takes its input in the layout it runs fastest on (a reorder is
            // added where the producer chose another).
            var source = try OneDNN.descriptor(dims(inShape), dnnl_format_tag_any)
            var weightAny = try OneDNN.descriptor(weightDims, dnnl_format_tag_any)
            var biasDescriptor = try OneDNN.descriptor([outShape.channels], dnnl_x)
            var destination = try OneDNN.descriptor(dims(outShape), dnnl_format_tag_any)
            func describe(_ algorithm: dnnl_alg_kind_t) throws -> dnnl_convolution_desc_t {
                var operation = dnnl_convolution_desc_t()
                try OneDNN.check(dnnl_convolution_forward_desc_init(
                    &operation, dnnl_forward_inference, algorithm, &source, &weightAny, &biasDescriptor, &destination,
                    [Int64(stride.0), Int64(stride.1)], [Int64(pad.0), Int64(pad.1)], farPadding(kernel: kernel, stride: stride, pad: pad)),
                    "describe the convolution of \(name)")
                return operation
            }
            // 3x3 stride-1 convolutions of 16 or more channels over outputs of 8x8 or more run as
            // Winograd F(2x2, 3x3) where the CPU has a kernel for it (AVX-512): 2.25x fewer
            // multiplications. On the face network (Benchmarks/expression.sh) that is 1.4x the
            // direct JIT kernels overall; on 6x6 outputs the transforms cost more than they save
            // (670 passes/s with those layers direct, 535 with them Winograd), and a gray
            // image's single channel is faster direct.
            var chosen: dnnl_primitive_desc_t?
            if !depthwise, kernel == (3, 3), stride == (1, 1), inShape.channels >= 16, outShape.channels >= 16,
               outShape.height >= 8, outShape.width >= 8 {
                var operation = try describe(dnnl_convolution_winograd)
                chosen = try? OneDNN.primitiveDescriptor(&operation, attributes: attributes, what: "")
            }
            if chosen == nil {
                var operation = try describe(dnnl_convolution_direct)
                chosen = try OneDNN.primitiveDescriptor(&operation, attributes: attributes, what: "set up the convolution of \(name)")
            }
            let descriptor = chosen!
            defer { dnnl_primitive_desc_destroy(descriptor) }
            valueSlot[step.output] = try addWeighted(descriptor, input: input, weights: weights,
                                                     plain: OneDNN.descriptor(weightDims, depthwise ? dnnl_goihw : dnnl_oihw),
                                                     bias: bias, what: "the convolution of \(name)")
        case .pool(let maximum, let size, let stride, let pad):
            try pool(step, input: input, maximum: maximum, size: size, stride: stride,
                     padLeft: [Int64(pad.0), Int64(pad.1)], padRight: farPadding(kernel: size, stride: stride, pad: pad), attributes: attributes)
        case .globalAveragePool:
            try pool(step, input: input, maximum: false, size: (inShape.height, inShape.width), stride: (1, 1),
                     padLeft: [0, 0], padRight: [0, 0], attributes: attributes)
        case .dense(let weights, let bias):
            var source = slots[input]
            var weightAny = try OneDNN.descriptor([outShape.channels, inShape.channels, inShape.height, inShape.width], dnnl_format_tag_any)
            var biasDescriptor = try OneDNN.descriptor([outShape.channels], dnnl_x)
            var destination = try OneDNN.descriptor([1, outShape.channels], dnnl_nc)
            var operation = dnnl_inner_product_desc_t()
            try OneDNN.check(dnnl_inner_product_forward_desc_init(&operation, dnnl_forward_inference, &source, &weightAny, &biasDescriptor, &destination),
                             "describe the inner product of \(name)")
            let descriptor = try OneDNN.primitiveDescriptor(&operation, attributes: attributes, what: "set up the inner product of \(name)")
            defer { dnnl_primitive_desc_destroy(descriptor) }
            // The output is (1, out); later layers see it as (1, out, 1, 1): the same bytes.
            let flat = try addWeighted(descriptor, input: input, weights: weights,
                                       plain: OneDNN.descriptor([outShape.channels, inShape.channels, inShape.height, inShape.width], dnnl_oihw),
                                       bias: bias, what: "the inner product of \(name)")
            let view = newSlot(try OneDNN.descriptor(dims(outShape), dnnl_nchw))
            aliases[view] = flat
            valueSlot[step.output] = view
        case .add:
            var sum = input
            for (index, other) in step.inputs.dropFirst().enumerated() {
                let last = index == step.inputs.count - 2
                var first = slots[sum]
                let addend = try operand(valueSlot[other]!, as: slots[sum])
                var second = slots[addend]
                var destination = try OneDNN.descriptor(dims(outShape), dnnl_format_tag_any)
                var operation = dnnl_binary_desc_t()
                try OneDNN.check(dnnl_binary_desc_init(&operation, dnnl_binary_add, &first, &second, &destination), "describe the addition of \(name)")
                let descriptor = try OneDNN.primitiveDescriptor(&operation, attributes: last ? attributes : try self.attributes(.none),
                                                                what: "set up the addition of \(name)")
                defer { dnnl_primitive_desc_destroy(descriptor) }
                let y = newSlot(OneDNN.query(descriptor, dnnl_query_dst_md))
                try add(descriptor, [(DNNL_ARG_SRC_0, .slot(sum)), (DNNL_ARG_SRC_1, .slot(addend)),
                                     (DNNL_ARG_DST, .slot(y))], what: "the addition of \(name)")
                sum = y
            }
            valueSlot[step.output] = sum
        case .softmax:
            let x = try operand(input, as: OneDNN.descriptor(dims(inShape), dnnl_nchw))
            var data = slots[x]
            var operation = dnnl_softmax_desc_t()
            try OneDNN.check(dnnl_softmax_forward_desc_init(&operation, dnnl_forward_inference, &data, 1), "describe the softmax of \(name)")
            let descriptor = try OneDNN.primitiveDescriptor(&operation, attributes: attributes, what: "set up the softmax of \(name)")
            defer { dnnl_primitive_desc_destroy(descriptor) }
            let y = newSlot(OneDNN.query(descriptor, dnnl_query_dst_md))
            try add(descriptor, [(DNNL_ARG_SRC, .slot(x)), (DNNL_ARG_DST, .slot(y))], what: "the softmax of \(name)")
            valueSlot[step.output] = y
        case .none:
            guard step.activation != .none else { valueSlot[step.output] = input; return }
            var data = slots[input]
            var operation = dnnl_eltwise_desc_t()
            let relu = step.activation == .relu
            try OneDNN.check(dnnl_eltwise_forward_desc_init(&operation, dnnl_forward_inference, relu ? dnnl_eltwise_relu : dnnl_eltwise_clip,
                                                            &data, 0, relu ? 0 : 6), "describe the activation of \(name)")
            let descriptor = try OneDNN.primitiveDescriptor(&operation, attributes: try self.attributes(.none), what: "set up the activation of \(name)")
            defer { dnnl_primitive_desc_destroy(descriptor) }
            let y = newSlot(OneDNN.query(descriptor, dnnl_query_dst_md))
            try add(descriptor, [(DNNL_ARG_SRC, .slot(input)), (DNNL_ARG_DST, .slot(y))], what: "the activation of \(name)")
            valueSlot[step.output] = y
        }
    }

    /// Records a convolution or inner product `descriptor` reading slot `input`: its input
    /// reordered if the primitive chose another layout, its weights (laid out as `plain`
    /// describes) and bias reordered once into constants. Returns the output's slot.
    private func addWeighted(_ descriptor: dnnl_primitive_desc_t, input: Int, weights: [Float], plain: dnnl_memory_desc_t,
                             bias: [Float], what: String) throws -> Int {
        let x = try operand(input, as: OneDNN.query(descriptor, dnnl_query_src_md))
        let w = try OneDNN.constant(weights, plain: plain, wanted: OneDNN.query(descriptor, dnnl_query_weights_md))
        constants.append(w)
        let b = try OneDNN.constant(bias, plain: OneDNN.descriptor([bias.count], dnnl_x),
                                    wanted: OneDNN.query(descriptor, dnnl_query_weights_md, index: 1))
        constants.append(b)
        let y = newSlot(OneDNN.query(descriptor, dnnl_query_dst_md))
        try add(descriptor, [(DNNL_ARG_SRC, .slot(x)), (DNNL_ARG_WEIGHTS, .constant(w)), (DNNL_ARG_BIAS, .constant(b)),
                             (DNNL_ARG_DST, .slot(y))], what: what)
        return y
    }

    private func pool(_ step: NetworkStep, input: Int, maximum: Bool, size: (Int, Int), stride: (Int, Int),
                      padLeft: [Int64], padRight: [Int64], attributes: dnnl_primitive_attr_t) throws {
        let name = "layer \(step.name)"
        var source = slots[input]
        var destination = try OneDNN.descriptor(dims(step.outputShape), dnnl_format_tag_any)
        var operation = dnnl_pooling_desc_t()
        try OneDNN.check(dnnl_pooling_forward_desc_init(
            &operation, dnnl_forward_inference, maximum ? dnnl_pooling_max : dnnl_pooling_avg_exclude_padding, &source, &destination,
            [Int64(stride.0), Int64(stride.1)], [Int64(size.0), Int64(size.1)], padLeft, padRight), "describe the pooling of \(name)")
        let descriptor = try OneDNN.primitiveDescriptor(&operation, attributes: attributes, what: "set up the pooling of \(name)")
        defer { dnnl_primitive_desc_destroy(descriptor) }
        let y = newSlot(OneDNN.query(descriptor, dnnl_query_dst_md))
        try add(descriptor, [(DNNL_ARG_SRC, .slot(input)), (DNNL_ARG_DST, .slot(y))], what: "the pooling of \(name)")
        valueSlot[step.output] = y
    }
}

/// One thread's instance of a `OneDNNProgram`: its intermediate tensors, scratchpad and stream.
final class OneDNNExecution {
    let program: OneDNNProgram
    private var memories: [dnnl_memory_t] = []
    private var scratchpads: [dnnl_memory_t?] = []
    private var arguments: [[dnnl_exec_arg_t]] = []
    private let stream: dnnl_stream_t
    private let output: dnnl_memory_t

    init(_ program: OneDNNProgram) throws {
        self.program = program
        OneDNN.stayOnThisThread()
        stream = try OneDNN.newStream()
        for (slot, descriptor) in program.slots.enumerated() {
            if slot == 0 {
                memories.append(try OneDNN.userMemory(descriptor))
            } else if let original = program.aliases[slot] {
                var handle: UnsafeMutableRawPointer?
                dnnl_memory_get_data_handle(memories[original], &handle)
                let view = try OneDNN.userMemory(descriptor)
                dnnl_memory_set_data_handle(view, handle)
                memories.append(view)
            } else {
                memories.append(try OneDNN.memory(descriptor))
            }
        }
        output = memories[program.outputSlot]
        for call in program.calls {
            var list = call.arguments.map { argument -> dnnl_exec_arg_t in
                switch argument.1 {
                case .slot(let slot): return dnnl_exec_arg_t(arg: argument.0, memory: memories[slot])
                case .constant(let memory): return dnnl_exec_arg_t(arg: argument.0, memory: memory)
                }
            }
            if let layout = call.scratchpad {
                let scratchpad = try OneDNN.memory(layout)
                scratchpads.append(scratchpad)
                list.append(dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: scratchpad))
            }
            arguments.append(list)
        }
    }

    deinit {
        for memory in memories { dnnl_memory_destroy(memory) }
        for case let scratchpad? in scratchpads { dnnl_memory_destroy(scratchpad) }
        dnnl_stream_destroy(stream)
    }

    /// Runs the program on `input` (`program.inputCount` values, channels first) and copies the
    /// output's `program.outputCount` values to `result`.
    func run(_ input: UnsafePointer<Float>, into result: UnsafeMutablePointer<Float>) {
        OneDNN.stayOnThisThread()
        dnnl_memory_set_data_handle(memories[0], UnsafeMutableRawPointer(mutating: input))
        for (call, list) in zip(program.calls, arguments) {
            let status = list.withUnsafeBufferPointer { dnnl_primitive_execute(call.primitive, stream, Int32($0.count), $0.baseAddress) }
            precondition(status == dnnl_success, "oneDNN failed to run a primitive it accepted at load (\(OneDNN.describe(status)))")
        }
        dnnl_stream_wait(stream)
        var handle: UnsafeMutableRawPointer?
        dnnl_memory_get_data_handle(output, &handle)
        result.update(from: handle!.assumingMemoryBound(to: Float.self), count: program.outputCount)
    }
}
