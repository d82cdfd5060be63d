import CDNNL
import Foundation

/// What EmoPipeNN needs of oneDNN (Debian's libdnnl 2.6): the CPU engine, status checks that
/// become `NetworkError`s, memory objects, and the rule that every primitive runs on its
/// caller's thread.
///
/// Debian builds oneDNN on OpenMP. A pipeline already runs its stages and inputs side by side on
/// Dispatch queues, so a library thread team would only fight them for the cores: before creating
/// or running a primitive the calling thread sets its own OpenMP thread count to 1 (an OpenMP
/// setting is per thread, and oneDNN sizes its work split when a primitive is created, so both
/// moments need it). A user who wants the library's threads for a lone network sets
/// `EMOPIPE_NN_THREADS`.
enum OneDNN {
    /// The CPU engine, created once.
    /// (oneDNN engines are thread-safe: primitives and memories from any thread use it.)
    nonisolated(unsafe) static let engine: dnnl_engine_t = {
        var engine: dnnl_engine_t?
        let status = dnnl_engine_create(&engine, dnnl_cpu, 0)
        precondition(status == dnnl_success && engine != nil, "oneDNN: no CPU engine (status \(status.rawValue))")
        return engine!
    }()

    private static let setThreads: (@convention(c) (Int32) -> Void)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "omp_set_num_threads") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32) -> Void).self)
    }()

    private static let threads: Int32 = {
        if let text = ProcessInfo.processInfo.environment["EMOPIPE_NN_THREADS"], let value = Int32(text), value >= 1 {
            return min(value, 256)
        }
        return 1
    }()

    /// Keeps oneDNN on the calling thread (see the type's note). Cheap: call before each use.
    @inline(__always)
    static func stayOnThisThread() { setThreads?(threads) }

    /// Throws a `NetworkError` naming `what` unless `status` is success.
    static func check(_ status: dnnl_status_t, _ what: @autoclosure () -> String) throws {
        guard status == dnnl_success else {
            throw NetworkError("oneDNN could not \(what()) (\(describe(status)))")
        }
    }

    static func describe(_ status: dnnl_status_t) -> String {
        switch status {
        case dnnl_out_of_memory: return "out of memory"
        case dnnl_invalid_arguments: return "invalid arguments"
        case dnnl_unimplemented: return "no implementation for these shapes"
        default: return "status \(status.rawValue)"
        }
    }

    /// A memory descriptor of `dims` (outermost first) in a plain or blocked layout `tag`
    /// (`dnnl_format_tag_any` lets a primitive choose).
    static func descriptor(_ dims: [Int], _ tag: dnnl_format_tag_t) throws -> dnnl_memory_desc_t {
        var descriptor = dnnl_memory_desc_t()
        try check(dnnl_memory_desc_init_by_tag(&descriptor, Int32(dims.count), dims.map(Int64.init), dnnl_f32, tag),
                  "describe a \(dims) tensor")
        return descriptor
    }

    /// A primitive descriptor for `operation` (one of oneDNN's *_desc_t), with `attributes`.
    static func primitiveDescriptor<Operation>(_ operation: inout Operation, attributes: dnnl_primitive_attr_t? = nil,
                                               what: @autoclosure () -> String) throws -> dnnl_primitive_desc_t {
        var result: dnnl_primitive_desc_t?
        try withUnsafePointer(to: &operation) { pointer in
            try check(dnnl_primitive_desc_create(&result, UnsafeRawPointer(pointer), attributes, engine, nil), what())
        }
        return result!
    }

    /// The layout a primitive chose for one of its arguments (`dnnl_query_src_md` and so on).
    static func query(_ descriptor: dnnl_primitive_desc_t, _ what: dnnl_query_t, index: Int32 = 0) -> dnnl_memory_desc_t {
        dnnl_primitive_desc_query_md(descriptor, what, index).pointee
    }

    static func primitive(_ descriptor: dnnl_primitive_desc_t, what: @autoclosure () -> String) throws -> dnnl_primitive_t {
        var primitive: dnnl_primitive_t?
        try check(dnnl_primitive_create(&primitive, descriptor), "create \(what())")
        return primitive!
    }

    /// A memory object the library allocates, zero-filled.
    static func memory(_ descriptor: dnnl_memory_desc_t) throws -> dnnl_memory_t {
        var descriptor = descriptor
        var memory: dnnl_memory_t?
        try check(dnnl_memory_create(&memory, &descriptor, engine, UnsafeMutableRawPointer(bitPattern: -1)), "allocate \(dnnl_memory_desc_get_size(&descriptor)) bytes")
        var handle: UnsafeMutableRawPointer?
        dnnl_memory_get_data_handle(memory, &handle)
        if let handle { memset(handle, 0, dnnl_memory_desc_get_size(&descriptor)) }
        return memory!
    }

    /// A memory object over the caller's buffer (set its handle before each use).
    static func userMemory(_ descriptor: dnnl_memory_desc_t) throws -> dnnl_memory_t {
        var descriptor = descriptor
        var memory: dnnl_memory_t?
        try check(dnnl_memory_create(&memory, &descriptor, engine, nil), "describe a user buffer")
        return memory!
    }

    static func equal(_ a: dnnl_memory_desc_t, _ b: dnnl_memory_desc_t) -> Bool {
        var a = a, b = b
        return dnnl_memory_desc_equal(&a, &b) != 0
    }

    /// `values` (laid out as `plain` describes) copied into a new library-owned memory in the
    /// layout `wanted` (weights reordered once, at load).
    static func constant(_ values: [Float], plain: dnnl_memory_desc_t, wanted: dnnl_memory_desc_t) throws -> dnnl_memory_t {
        let target = try memory(wanted)
        var values = values
        try values.withUnsafeMutableBytes { bytes in
            let source = try userMemory(plain)
            defer { dnnl_memory_destroy(source) }
            dnnl_memory_set_data_handle(source, bytes.baseAddress)
            try reorder(from: source, to: target)
        }
        return target
    }

    /// Copies `source` into `target` (layouts may differ), on this thread, now.
    static func reorder(from source: dnnl_memory_t, to target: dnnl_memory_t) throws {
        stayOnThisThread()
        var from: UnsafePointer<dnnl_memory_desc_t>?
        var to: UnsafePointer<dnnl_memory_desc_t>?
        dnnl_memory_get_memory_desc(source, &from)
        dnnl_memory_get_memory_desc(target, &to)
        let primitive = try reorderPrimitive(from: from!.pointee, to: to!.pointee)
        defer { dnnl_primitive_destroy(primitive) }
        let stream = try newStream()
        defer { dnnl_stream_destroy(stream) }
        let arguments = [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: source), dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: target)]
        try check(dnnl_primitive_execute(primitive, stream, 2, arguments), "run a reorder")
        try check(dnnl_stream_wait(stream), "finish a reorder")
    }

    /// A reorder primitive from layout `from` to layout `to`.
    static func reorderPrimitive(from: dnnl_memory_desc_t, to: dnnl_memory_desc_t) throws -> dnnl_primitive_t {
        var from = from, to = to
        var descriptor: dnnl_primitive_desc_t?
        try check(dnnl_reorder_primitive_desc_create(&descriptor, &from, engine, &to, engine, nil), "reorder between layouts")
        defer { dnnl_primitive_desc_destroy(descriptor) }
        return try primitive(descriptor!, what: "a reorder")
    }

    /// An in-order stream: one per thread that runs primitives.
    static func newStream() throws -> dnnl_stream_t {
        var stream: dnnl_stream_t?
        try check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "create a stream")
        return stream!
    }
}
