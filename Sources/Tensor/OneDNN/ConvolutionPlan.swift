import CDNNL
import Foundation

/// One convolution layer at one input shape and precision, ready to run on oneDNN: the primitive oneDNN
/// chose, the layer's weights reordered once into the layout that primitive prefers (bf16 when it
/// computes in bf16), and the reorders between the engine's NCHW float32 tensors and the primitive's own
/// (blocked) layouts, which are skipped when the layouts agree. The blocked copies live in the calling
/// thread's scratch buffers, shared by every layer: at 256x512 a per-layer buffer would hold gigabytes.
/// A streamed layer (`Conv2D.Storage.streamed`) keeps no packed weights: each run reads them from the
/// model file and packs them into scratch too.
///
/// Not thread-safe: `DNNLConvolution` runs one call of a plan at a time.
final class ConvolutionPlan {
    let precision: Precision
    /// What oneDNN runs, e.g. `brgconv:avx512_core` or `jit_fp32_wino_2x3:avx512_core`.
    let implementation: String
    private let stream: dnnl_stream_t
    private let primitive: dnnl_primitive_t
    private let userSource: dnnl_memory_t, userDestination: dnnl_memory_t
    private let source: dnnl_memory_t?, destination: dnnl_memory_t?
    private let sourceReorder: dnnl_primitive_t?, destinationReorder: dnnl_primitive_t?
    private let weights: dnnl_memory_t, bias: dnnl_memory_t?
    /// Sizes of the primitive's input and output in its own layouts (the scratch they need).
    private let sourceBytes: Int, destinationBytes: Int
    /// A streamed layer's weights, and how they reach the primitive's layout at each run.
    private let streamed: StreamedWeights?

    private struct StreamedWeights {
        let tensor: StreamedTensor
        /// The weights as read (OIHW float32) and their reorder into `weights`; nil when the primitive takes
        /// OIHW float32 itself.
        let user: dnnl_memory_t, reorder: dnnl_primitive_t?
        let packedBytes: Int
    }

    /// nil when oneDNN has no implementation for this layer with `algorithm` (e.g. Winograd on a strided
    /// convolution, or on a CPU without AVX-512), or when it would need more than `scratchpadLimit` bytes of
    /// scratchpad (checked before the primitive is made: making one may already reserve it). The input and
    /// output are float32 in `sourceLayout` and `destinationLayout`; a float32 primitive that works in those
    /// layouts itself is preferred (no reorders), else oneDNN picks its layouts and the plan reorders.
    init?(
        weights storage: Conv2D.Storage, shape weightShape: [Int], bias biasValues: [Float]?, stride: Int, padding: Int,
        input shape: [Int], sourceLayout: Tensor.Layout = .planar, destinationLayout: Tensor.Layout = .planar,
        precision: Precision, algorithm: dnnl_alg_kind_t, scratchpadLimit: Int = .max
    ) {
        let n = shape[0], cin = shape[1], h = shape[2], w = shape[3]
        let cout = weightShape[0], k = weightShape[2]
        let ho = (h + 2 * padding - k) / stride + 1, wo = (w + 2 * padding - k) / stride + 1
        let compute = precision == .bf16 ? dnnl_bf16 : dnnl_f32
        var userSourceDesc = Self.desc([n, cin, h, w], dnnl_f32, Self.tag(sourceLayout))
        var userDestinationDesc = Self.desc([n, cout, ho, wo], dnnl_f32, Self.tag(destinationLayout))
        var userWeightsDesc = Self.desc([cout, cin, k, k], dnnl_f32, dnnl_oihw)
        var weightsAny = Self.desc([cout, cin, k, k], compute, dnnl_format_tag_any)
        var biasDesc = Self.desc([cout], dnnl_f32, dnnl_x)
        let strides: [Int64] = [Int64(stride), Int64(stride)], pads: [Int64] = [Int64(padding), Int64(padding)]
        func describe(_ source: inout dnnl_memory_desc_t, _ destination: inout dnnl_memory_desc_t)
            -> dnnl_primitive_desc_t?
        {
            var convolution = dnnl_convolution_desc_t()
            let described = withUnsafePointer(to: &biasDesc) { biasPointer in
                dnnl_convolution_forward_desc_init(
                    &convolution, dnnl_forward_inference, algorithm, &source, &weightsAny,
                    biasValues == nil ? nil : biasPointer, &destination, strides, pads, pads)
            }
            guard described == dnnl_success else { return nil }
            var descriptor: dnnl_primitive_desc_t?
            guard dnnl_primitive_desc_create(&descriptor, &convolution, nil, OneDNN.engine, nil) == dnnl_success else {
                return nil
            }
            return descriptor
        }
        /// Whether a primitive stays within the scratchpad limit. A failed query counts as over any limit: the
        /// limit keeps Winograd's transforms out of the peak.
        func withinLimit(_ descriptor: dnnl_primitive_desc_t) -> Bool {
            var consumption: Int64 = 0
            let queried = dnnl_primitive_desc_query(descriptor, dnnl_query_memory_consumption_s64, 0, &consumption)
            return consumption <= scratchpadLimit && (queried == dnnl_success || scratchpadLimit == .max)
        }
        // A blocked tensor is the layout oneDNN's AVX-512 kernels compute in: asking for it directly saves a
        // reorder on each side. Planar tensors (and bf16) let oneDNN choose, as a reorder is needed anyway.
        var chosenDescriptor: dnnl_primitive_desc_t?
        if precision == .fp32 && (sourceLayout == .blocked16 || destinationLayout == .blocked16) {
            var source = userSourceDesc, destination = userDestinationDesc
            chosenDescriptor = describe(&source, &destination)
            // oneDNN's reference kernels take any layout, at a fraction of the speed: a reorder costs less. A
            // primitive over the limit in these layouts may have one within it in others.
            if let descriptor = chosenDescriptor,
                Self.implementation(of: descriptor).hasPrefix("ref") || !withinLimit(descriptor)
            {
                dnnl_primitive_desc_destroy(descriptor)
                chosenDescriptor = nil
            }
        }
        if chosenDescriptor == nil {
            var sourceAny = Self.desc([n, cin, h, w], compute, dnnl_format_tag_any)
            var destinationAny = Self.desc([n, cout, ho, wo], dnnl_f32, dnnl_format_tag_any)
            chosenDescriptor = describe(&sourceAny, &destinationAny)
        }
        guard let descriptor = chosenDescriptor else { return nil }
        defer { dnnl_primitive_desc_destroy(descriptor) }
        implementation = Self.implementation(of: descriptor)
        guard withinLimit(descriptor) else { return nil }
        self.precision = precision
        let sourceDesc = dnnl_primitive_desc_query_md(descriptor, dnnl_query_src_md, 0)!
        let weightsDesc = dnnl_primitive_desc_query_md(descriptor, dnnl_query_weights_md, 0)!
        let destinationDesc = dnnl_primitive_desc_query_md(descriptor, dnnl_query_dst_md, 0)!
        stream = Self.make { dnnl_stream_create(&$0, OneDNN.engine, dnnl_stream_default_flags.rawValue) }
        primitive = Self.make { dnnl_primitive_create(&$0, descriptor) }
        userSource = Self.memory(&userSourceDesc, handle: nil)
        userDestination = Self.memory(&userDestinationDesc, handle: nil)
        sourceBytes = dnnl_memory_desc_get_size(sourceDesc)
        destinationBytes = dnnl_memory_desc_get_size(destinationDesc)
        if dnnl_memory_desc_equal(sourceDesc, &userSourceDesc) == 0 {
            source = Self.memory(sourceDesc, handle: nil)
            sourceReorder = Self.reorder(from: &userSourceDesc, to: sourceDesc)
        } else {
            source = nil
            sourceReorder = nil
        }
        if dnnl_memory_desc_equal(destinationDesc, &userDestinationDesc) == 0 {
            destination = Self.memory(destinationDesc, handle: nil)
            destinationReorder = Self.reorder(from: destinationDesc, to: &userDestinationDesc)
        } else {
            destination = nil
            destinationReorder = nil
        }
        switch storage {
        case .resident(let weight):
            // Weights: reordered once, here, into the primitive's layout and precision.
            let packed = Self.memory(weightsDesc, handle: semcom_dnnl_memory_allocate())
            let stream = self.stream
            var values = weight.data
            let userWeights = Self.memory(&userWeightsDesc, handle: nil)
            let weightsReorder = Self.reorder(from: &userWeightsDesc, to: weightsDesc)
            values.withUnsafeMutableBytes { raw in
                OneDNN.check(dnnl_memory_set_data_handle(userWeights, raw.baseAddress), "setting the weights")
                Self.run(weightsReorder, from: userWeights, to: packed, on: stream)
                OneDNN.check(dnnl_stream_wait(stream), "packing the weights")
            }
            weights = packed
            streamed = nil
            dnnl_primitive_destroy(weightsReorder)
            dnnl_memory_destroy(userWeights)
        case .streamed(let tensor):
            weights = Self.memory(weightsDesc, handle: nil)
            let plain = dnnl_memory_desc_equal(weightsDesc, &userWeightsDesc) != 0
            streamed = StreamedWeights(
                tensor: tensor, user: plain ? weights : Self.memory(&userWeightsDesc, handle: nil),
                reorder: plain ? nil : Self.reorder(from: &userWeightsDesc, to: weightsDesc),
                packedBytes: dnnl_memory_desc_get_size(weightsDesc))
        }
        if let biasValues {
            let memory = Self.memory(&biasDesc, handle: semcom_dnnl_memory_allocate())
            var handle: UnsafeMutableRawPointer?
            dnnl_memory_get_data_handle(memory, &handle)
            biasValues.withUnsafeBytes { handle!.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            bias = memory
        } else {
            bias = nil
        }
    }

    deinit {
        for primitive in [primitive, sourceReorder, destinationReorder].compactMap({ $0 }) {
            dnnl_primitive_destroy(primitive)
        }
        if let streamed, let reorder = streamed.reorder {
            dnnl_primitive_destroy(reorder)
            dnnl_memory_destroy(streamed.user)
        }
        for memory in [userSource, userDestination, source, destination, weights, bias].compactMap({ $0 }) {
            dnnl_memory_destroy(memory)
        }
        dnnl_stream_destroy(stream)
    }

    /// Convolves the float32 `input` into `output` (fully written), in the plan's layouts.
    func run(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>) {
        OneDNN.check(
            dnnl_memory_set_data_handle(userSource, UnsafeMutableRawPointer(mutating: input)), "binding the input")
        OneDNN.check(dnnl_memory_set_data_handle(userDestination, output), "binding the output")
        if let sourceReorder, let source {
            Self.bindScratch(source, bytes: sourceBytes, slot: "onednn.source")
            Self.run(sourceReorder, from: userSource, to: source, on: stream)
        }
        if let streamed {
            let values = ScratchBuffer.forCurrentThread(count: streamed.tensor.count, slot: "weights.streamed")
            streamed.tensor.read(into: values)
            OneDNN.check(dnnl_memory_set_data_handle(streamed.user, values), "binding the streamed weights")
            if let reorder = streamed.reorder {
                Self.bindScratch(weights, bytes: streamed.packedBytes, slot: "onednn.weights")
                Self.run(reorder, from: streamed.user, to: weights, on: stream)
            }
        }
        if let destination { Self.bindScratch(destination, bytes: destinationBytes, slot: "onednn.destination") }
        var arguments = [
            dnnl_exec_arg_t(arg: SEMCOM_DNNL_ARG_SRC, memory: source ?? userSource),
            dnnl_exec_arg_t(arg: SEMCOM_DNNL_ARG_WEIGHTS, memory: weights),
            dnnl_exec_arg_t(arg: SEMCOM_DNNL_ARG_DST, memory: destination ?? userDestination),
        ]
        if let bias { arguments.append(dnnl_exec_arg_t(arg: SEMCOM_DNNL_ARG_BIAS, memory: bias)) }
        OneDNN.check(dnnl_primitive_execute(primitive, stream, Int32(arguments.count), arguments), "convolving")
        if let destinationReorder, let destination {
            Self.run(destinationReorder, from: destination, to: userDestination, on: stream)
        }
        OneDNN.check(dnnl_stream_wait(stream), "waiting for the convolution")
    }

    /// Points `memory` at the calling thread's scratch buffer `slot`, grown to at least `bytes`.
    private static func bindScratch(_ memory: dnnl_memory_t, bytes: Int, slot: String) {
        let scratch = ScratchBuffer.forCurrentThread(count: bytes / MemoryLayout<Float>.size + 16, slot: slot)
        OneDNN.check(dnnl_memory_set_data_handle(memory, scratch), "binding scratch memory (\(slot))")
    }

    private static func implementation(of descriptor: dnnl_primitive_desc_t) -> String {
        var info: UnsafePointer<CChar>?
        dnnl_primitive_desc_query(descriptor, dnnl_query_impl_info_str, 0, &info)
        return info.map { String(cString: $0) } ?? "?"
    }

    /// oneDNN's name for a feature map's layout.
    private static func tag(_ layout: Tensor.Layout) -> dnnl_format_tag_t {
        switch layout {
        case .planar: dnnl_nchw
        case .blocked16: dnnl_nChw16c
        }
    }

    private static func desc(_ dims: [Int], _ type: dnnl_data_type_t, _ tag: dnnl_format_tag_t) -> dnnl_memory_desc_t {
        var desc = dnnl_memory_desc_t()
        let dims64 = dims.map(Int64.init)
        check(dnnl_memory_desc_init_by_tag(&desc, Int32(dims.count), dims64, type, tag), "describing \(dims)")
        return desc
    }

    private static func memory(_ desc: UnsafePointer<dnnl_memory_desc_t>, handle: UnsafeMutableRawPointer?)
        -> dnnl_memory_t
    {
        make { dnnl_memory_create(&$0, desc, OneDNN.engine, handle) }
    }

    private static func reorder(
        from source: UnsafePointer<dnnl_memory_desc_t>, to destination: UnsafePointer<dnnl_memory_desc_t>
    ) -> dnnl_primitive_t {
        var descriptor: dnnl_primitive_desc_t?
        check(
            dnnl_reorder_primitive_desc_create(&descriptor, source, OneDNN.engine, destination, OneDNN.engine, nil),
            "planning a reorder")
        defer { dnnl_primitive_desc_destroy(descriptor) }
        return make { dnnl_primitive_create(&$0, descriptor) }
    }

    private static func run(
        _ reorder: dnnl_primitive_t, from source: dnnl_memory_t, to destination: dnnl_memory_t, on stream: dnnl_stream_t
    ) {
        let arguments = [
            dnnl_exec_arg_t(arg: SEMCOM_DNNL_ARG_FROM, memory: source),
            dnnl_exec_arg_t(arg: SEMCOM_DNNL_ARG_TO, memory: destination),
        ]
        check(dnnl_primitive_execute(reorder, stream, 2, arguments), "reordering")
    }

    private static func make(_ create: (inout OpaquePointer?) -> dnnl_status_t) -> OpaquePointer {
        var object: OpaquePointer?
        check(create(&object), "creating an object")
        return object!
    }

    private static func check(_ status: dnnl_status_t, _ what: @autoclosure () -> String) {
        OneDNN.check(status, what())
    }
}
